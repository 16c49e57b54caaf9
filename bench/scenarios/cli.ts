/**
 * Scenario 7: berth's CLI against the docker CLI, both talking to the same
 * berthd, so that the ratio is the CLIs' own cost (issue 15, target 1: ≤ 1.1×).
 * Each command alternates between the two CLIs (rounds rotated, warm-up not
 * recorded); the row's berth column is berth's CLI, its Docker column the
 * docker CLI → berthd.
 */
import { alternate, cliArgv, statOf, timeCli, type ClientName, type Ctx, type Variant } from '../lib/context.js';
import { ratio } from '../lib/report.js';

export const S7 = '7. berth CLI vs docker CLI (same berthd)';

const SLEEPER = 'bench-cli';

/** The commands of the target, by name: the arguments after `-H host`. */
export function cliCommands(busybox: string): [name: string, args: string[]][] {
  return [
    ['version', ['version']],
    ['ps', ['ps']],
    ['inspect', ['inspect', SLEEPER]],
    ['images', ['images']],
    ['exec true', ['exec', SLEEPER, 'true']],
    ['run --rm', ['run', '--rm', '--network', 'none', busybox, 'true']],
  ];
}

export async function cliVsCli(ctx: Ctx): Promise<void> {
  const e = ctx.berth;
  await e.api.remove(SLEEPER).catch(() => {});
  const id = await e.api.createContainer(SLEEPER, ['sleep', '3600'], { image: e.busybox, network: 'none' });
  await e.api.start(id);
  const variants: Variant[] = (['berth CLI', 'docker CLI'] as ClientName[]).map((client) => ({ key: `${client}→berth`, client, engine: e }));
  try {
    for (const [name, args] of cliCommands(e.busybox)) {
      ctx.progress(`  ${name}`);
      const samples = await alternate(variants, ctx.settings.cliStartReps, 2, async (v) => (await timeCli(ctx, cliArgv(ctx, v.client as ClientName, e, args))).ms);
      const berth = statOf(samples, 'berth CLI→berth');
      const docker = statOf(samples, 'docker CLI→berth');
      const row = { scenario: S7, name, client: 'berth CLI → berthd', unit: 'ms' as const, better: 'lower' as const, ...(berth ? { berth } : {}), ...(docker ? { docker, dockerClient: 'docker CLI → berthd' } : {}) };
      ctx.rows.push(row);
      const q = ratio(row);
      if (q !== undefined) ctx.facts[`cli.ratio.${name}`] = q;
    }
  } finally {
    await e.api.remove(id).catch(() => {});
  }
}
