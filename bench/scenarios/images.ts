/**
 * Scenario 6: image operations on a ~200 MB 3-layer image with a layer of
 * 5,000 small files (bench/lib/bigimage.ts), all through the docker CLI so
 * both engines get the same client: load, save, push to a fresh local
 * registry, pull from a local registry (seeded by the bench itself), and
 * commit of a container with 100 MB of changes.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBigImage } from '../lib/bigimage.js';
import { cliArgv, timeCli, type Ctx, type Engine } from '../lib/context.js';
import { runCmd } from '../lib/host.js';
import { startRegistry, uploadImage } from '../lib/registry.js';
import type { Row } from '../lib/report.js';
import { stat } from '../lib/stats.js';

export const S6 = '6. image ops (~200 MB, 3 layers, 5,000 small files)';

const TAG = 'bench/big:latest';

/** Alternates engines per repetition; an engine whose operation fails is skipped from then on, with the reason. */
async function perEngine(
  ctx: Ctx,
  reps: number,
  fn: (e: Engine, rep: number) => Promise<number>,
): Promise<{ samples: Map<string, number[]>; skipped: Map<string, string> }> {
  const engines = [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])];
  const samples = new Map<string, number[]>(engines.map((e) => [e.kind, []]));
  const skipped = new Map<string, string>();
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? engines : [...engines].reverse();
    for (const e of order) {
      if (skipped.has(e.kind)) continue;
      try {
        samples.get(e.kind)!.push(await fn(e, rep));
      } catch (err) {
        const msg = (err as Error).message.replace(/\s+/g, ' ').slice(0, 200);
        ctx.progress(`  ${e.label}: ${msg}`);
        skipped.set(e.kind, msg);
      }
    }
  }
  return { samples, skipped };
}

function row(ctx: Ctx, name: string, r: Awaited<ReturnType<typeof perEngine>>, note?: string): Row {
  const b = r.samples.get('berth') ?? [];
  const d = r.samples.get('docker') ?? [];
  return {
    scenario: S6,
    name,
    client: 'docker CLI',
    unit: 's',
    better: 'lower',
    ...(b.length ? { berth: stat(b) } : {}),
    ...(r.skipped.has('berth') && !b.length ? { skipped: r.skipped.get('berth')! } : {}),
    ...(d.length ? { docker: stat(d) } : {}),
    ...(r.skipped.has('docker') && !d.length && ctx.docker ? { dockerSkipped: r.skipped.get('docker')! } : {}),
    ...(note ? { note } : {}),
  };
}

export async function imageOps(ctx: Ctx): Promise<void> {
  const dir = join(ctx.tmp, 'image');
  mkdirSync(dir, { recursive: true });
  ctx.progress('  making the image');
  const img = await makeBigImage(dir, TAG);
  const mb = (img.archiveSize / 1e6).toFixed(0);
  const reg = await startRegistry(join(ctx.tmp, 'registry-pull'));
  const cli = (e: Engine, args: string[]) => cliArgv(ctx, 'docker CLI', e, args);
  const pulled = `${reg.addr}/bench/big:latest`;
  const rmiAll = async (e: Engine, extra: string[] = []): Promise<void> => {
    for (const ref of [TAG, pulled, ...extra]) await e.api.removeImage(ref);
  };
  const { imageReps, pushReps } = ctx.settings;
  try {
    ctx.progress('  seeding the registry');
    await uploadImage(reg.port, 'bench/big', 'latest', img.config, img.layers);
    for (const l of img.layers) rmSync(l.file!, { force: true });

    ctx.progress('  load');
    const load = await perEngine(ctx, imageReps, async (e) => {
      await rmiAll(e);
      return (await timeCli(ctx, cli(e, ['load', '-i', img.archive]))).ms / 1000;
    });
    ctx.rows.push(row(ctx, `load (${mb} MB archive)`, load));
    ctx.facts['img.load.ratio'] = ratioOf(load);

    ctx.progress('  save');
    const save = await perEngine(ctx, imageReps, async (e) => {
      const out = join(dir, `save-${e.kind}.tar`);
      try {
        return (await timeCli(ctx, cli(e, ['save', '-o', out, TAG]))).ms / 1000;
      } finally {
        rmSync(out, { force: true });
      }
    });
    ctx.rows.push(row(ctx, 'save', save));

    ctx.progress('  push');
    const push = await perEngine(ctx, pushReps, async (e, rep) => {
      const target = await startRegistry(join(ctx.tmp, `registry-push-${e.kind}-${rep}`));
      const ref = `${target.addr}/bench/push:latest`;
      try {
        const t = await e.api.request('POST', `/images/${TAG}/tag?repo=${encodeURIComponent(`${target.addr}/bench/push`)}&tag=latest`);
        if (t.status >= 300) throw new Error(`tag: ${t.status} ${t.body.toString().trim()}`);
        return (await timeCli(ctx, cli(e, ['push', ref]))).ms / 1000;
      } finally {
        await e.api.removeImage(ref).catch(() => {});
        await target.stop();
        rmSync(join(ctx.tmp, `registry-push-${e.kind}-${rep}`), { recursive: true, force: true });
      }
    });
    ctx.rows.push(row(ctx, 'push to an empty local registry', push));

    ctx.progress('  pull');
    const berthPull = await runCmd(cliArgv(ctx, 'berth CLI', ctx.berth, ['pull', '--help']), ctx.env);
    const pull = await perEngine(ctx, imageReps, async (e) => {
      await rmiAll(e);
      return (await timeCli(ctx, cli(e, ['pull', pulled]))).ms / 1000;
    });
    ctx.rows.push(row(ctx, 'pull from a local registry', pull, berthPull.code !== 0 ? 'berth CLI has no pull command yet' : undefined));
    ctx.facts['img.pull.ratio'] = ratioOf(pull);

    ctx.progress('  commit');
    const commit = await perEngine(ctx, imageReps, async (e, rep) => {
      const name = `bench-commit-${rep}`;
      await e.api.remove(name).catch(() => {});
      const id = await e.api.createContainer(name, ['sh', '-c', 'mkdir /bench-data && for i in 1 2 3 4 5 6 7 8 9 10; do head -c 10485760 /dev/urandom > /bench-data/f$i; done'], { image: e.busybox, network: 'none' });
      try {
        await e.api.start(id);
        const w = await e.api.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
        if (w.StatusCode !== 0) throw new Error(`the container writing 100 MB exited with ${w.StatusCode}`);
        return (await timeCli(ctx, cli(e, ['commit', id, 'bench/commit:latest']))).ms / 1000;
      } finally {
        await e.api.removeImage('bench/commit:latest').catch(() => {});
        await e.api.remove(id).catch(() => {});
      }
    });
    ctx.rows.push(row(ctx, 'commit a container with 100 MB of changes', commit));
  } finally {
    for (const e of [ctx.berth, ctx.docker]) if (e) await rmiAll(e).catch(() => {});
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Docker median / berth median (how many times faster berth is), NaN when either is missing. */
function ratioOf(r: Awaited<ReturnType<typeof perEngine>>): number {
  const b = r.samples.get('berth') ?? [];
  const d = r.samples.get('docker') ?? [];
  return b.length && d.length ? stat(d).median / stat(b).median : NaN;
}
