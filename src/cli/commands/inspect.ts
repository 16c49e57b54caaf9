/** `inspect`: low-level information on any object, tried in docker's order. */
import { ApiError } from '../../client/client.js';
import type { Cli } from '../command.js';
import type { CliContext } from '../context.js';
import { renderInspect } from '../format/formatter.js';

type Kind = 'container' | 'image' | 'network' | 'volume';

const ENDPOINTS: Record<Kind, (name: string) => string> = {
  container: (n) => `/containers/${encodeURIComponent(n)}/json`,
  image: (n) => `/images/${encodeURIComponent(n)}/json`,
  network: (n) => `/networks/${encodeURIComponent(n)}`,
  volume: (n) => `/volumes/${encodeURIComponent(n)}`,
};

export function registerInspectCommand(cli: Cli<CliContext>): void {
  cli.add({
    path: 'inspect',
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on berth objects',
    args: { min: 1 },
    options: [
      { flags: '-f, --format', arg: 'string', desc: 'Format output using a custom template' },
      { flags: '-s, --size', desc: 'Display total file sizes if the type is container' },
      { flags: '--type', arg: 'string', desc: 'Only inspect objects of the given type' },
    ],
    async action(ctx, args, o) {
      const type = o['type'] as string | undefined;
      const kinds = (Object.keys(ENDPOINTS) as Kind[]).filter((k) => !type || k === type);
      if (type && kinds.length === 0) {
        ctx.err(`"${type}" is not a valid value for --type\n`);
        return 1;
      }
      const found: Record<string, unknown>[] = [];
      const missing: string[] = [];
      for (const name of args) {
        let obj: Record<string, unknown> | undefined;
        for (const k of kinds) {
          try {
            obj = await ctx.client().json<Record<string, unknown>>('GET', ENDPOINTS[k](name));
            break;
          } catch (e) {
            if (!(e instanceof ApiError) || e.status !== 404) throw e;
          }
        }
        if (obj) found.push(obj);
        else missing.push(name);
      }
      ctx.out(renderInspect(o['format'] as string | undefined, found));
      for (const m of missing) ctx.err(`Error: No such object: ${m}\n`);
      return missing.length ? 1 : 0;
    },
  });
}
