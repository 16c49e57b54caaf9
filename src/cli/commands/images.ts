/** Image commands: images/ls, inspect, history, tag, rmi, prune, import, save, load. */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from '../lazy-stream.js';
import type { DeleteResponseItem, HistoryItem, ImageInspect, ImagePruneResponse, ImageSummary } from '../../api/types/images.js';
import { ApiError } from '../../client/client.js';
import { CliError, type Cli, type OptSpec } from '../command.js';
import type { CliContext } from '../context.js';
import { renderInspect, renderList } from '../format/formatter.js';
import { goTime, humanSize, timeAgo } from '../format/units.js';
import { ProgressDisplay } from '../progress.js';
import { stdinBody } from '../stdio.js';
import { confirm, filtersQuery, forEachName } from './shared.js';
import { FORMAT_HELP } from '../format/help-text.js';
import { filtersParam } from '../opts/kv.js';

const formatOpt: OptSpec = { flags: '--format', arg: 'string', desc: FORMAT_HELP };
const filterOpt: OptSpec = { flags: '-f, --filter', arg: 'filter', desc: 'Filter output based on conditions provided', repeat: true };

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
  Containers: string;
}

/** Docker's rows for `images`: one per tag, digest-only repos, or one `<none>` row. */
export function imageRows(images: ImageSummary[], opts: { noTrunc: boolean; now?: number }): ImageRow[] {
  const rows: ImageRow[] = [];
  const now = opts.now ?? Date.now();
  for (const img of images) {
    const created = new Date(img.Created * 1000);
    const base = {
      ID: opts.noTrunc ? img.Id : shortId(img.Id),
      CreatedSince: timeAgo(created, new Date(now)),
      Size: humanSize(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
    // Reading the time zone costs more CPU than the rest of `images` under Bun: only when a format asks.
    const row = (r: Pick<ImageRow, 'Repository' | 'Tag' | 'Digest'>): ImageRow => ({
      ...base,
      ...r,
      get CreatedAt() {
        return goTime(created);
      },
    });
    const byRepo = new Map<string, { tags: string[]; digests: string[] }>();
    const repoOf = (r: string, sep: string) => r.slice(0, r.lastIndexOf(sep));
    for (const t of img.RepoTags ?? []) {
      if (t === '<none>:<none>') continue;
      const e = byRepo.get(repoOf(t, ':')) ?? { tags: [], digests: [] };
      e.tags.push(t.slice(t.lastIndexOf(':') + 1));
      byRepo.set(repoOf(t, ':'), e);
    }
    for (const d of img.RepoDigests ?? []) {
      if (d === '<none>@<none>') continue;
      const e = byRepo.get(repoOf(d, '@')) ?? { tags: [], digests: [] };
      e.digests.push(d.slice(d.lastIndexOf('@') + 1));
      byRepo.set(repoOf(d, '@'), e);
    }
    if (byRepo.size === 0) {
      rows.push(row({ Repository: '<none>', Tag: '<none>', Digest: '<none>' }));
      continue;
    }
    for (const [repo, e] of byRepo) {
      const digest = e.digests[0] ?? '<none>';
      if (e.tags.length === 0) rows.push(row({ Repository: repo, Tag: '<none>', Digest: digest }));
      for (const t of e.tags) rows.push(row({ Repository: repo, Tag: t, Digest: digest }));
    }
  }
  return rows;
}

const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
  Containers: 'CONTAINERS',
};

export interface HistoryRow {
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

export function historyRows(items: HistoryItem[], opts: { noTrunc: boolean; human: boolean; now?: number }): HistoryRow[] {
  const now = new Date(opts.now ?? Date.now());
  return items.map((h) => {
    let by = h.CreatedBy.replace(/\t/g, ' ').replace(/\n/g, ' ');
    if (!opts.noTrunc && [...by].length > 45) by = [...by].slice(0, 44).join('') + '…';
    const created = new Date(h.Created * 1000);
    const rfc3339 = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      ID: h.Id === '<missing>' ? h.Id : opts.noTrunc ? h.Id : shortId(h.Id),
      CreatedSince: opts.human ? timeAgo(created, now) : rfc3339,
      CreatedAt: rfc3339,
      CreatedBy: by,
      Size: opts.human ? humanSize(h.Size) : String(h.Size),
      Comment: h.Comment,
    };
  });
}

const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export function deleteLines(items: DeleteResponseItem[]): string {
  return items.map((d) => (d.Untagged ? `Untagged: ${d.Untagged}\n` : d.Deleted ? `Deleted: ${d.Deleted}\n` : '')).join('');
}

const enc = encodeURIComponent;

export function registerImageCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'image', description: 'Manage images' });

  cli.add({
    path: 'images',
    aliases: ['image ls', 'image list'],
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    args: { max: 1 },
    options: [
      { flags: '-a, --all', desc: 'Show all images (default hides intermediate images)' },
      { flags: '--digests', desc: 'Show digests' },
      filterOpt,
      formatOpt,
      { flags: '--no-trunc', desc: "Don't truncate output" },
      { flags: '-q, --quiet', desc: 'Only show image IDs' },
    ],
    async action(ctx, args, o) {
      const filters = filtersQuery(o['filter'] as string[]);
      if (args[0]) (filters['reference'] ??= []).push(args[0]);
      const images = await ctx.client().json<ImageSummary[]>('GET', '/images/json', {
        query: { all: !!o['all'], filters: filtersParam(filters) },
      });
      const rows = imageRows(images, { noTrunc: !!o['noTrunc'] });
      const table = o['digests']
        ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
      ctx.out(renderList(o['format'] as string | undefined, table, rows as unknown as Record<string, unknown>[], IMAGE_HEADERS, { quiet: !!o['quiet'], quietField: 'ID' }));
    },
  });

  cli.add({
    path: 'image inspect',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    args: { min: 1 },
    options: [{ flags: '-f, --format', arg: 'string', desc: FORMAT_HELP }],
    async action(ctx, args, o) {
      return inspectImages(ctx, args, o['format'] as string | undefined);
    },
  });

  cli.add({
    path: 'history',
    aliases: ['image history'],
    usage: '[OPTIONS] IMAGE',
    description: 'Show the history of an image',
    args: { min: 1, max: 1 },
    options: [
      formatOpt,
      { flags: '-H, --human', desc: 'Print sizes and dates in human readable format', default: true },
      { flags: '--no-trunc', desc: "Don't truncate output" },
      { flags: '-q, --quiet', desc: 'Only show image IDs' },
    ],
    async action(ctx, args, o) {
      const items = await ctx.client().json<HistoryItem[]>('GET', `/images/${enc(args[0]!)}/history`);
      const human = o['human'] !== false;
      const rows = historyRows(items, { noTrunc: !!o['noTrunc'], human });
      ctx.out(
        renderList(
          o['format'] as string | undefined,
          `table {{.ID}}\t{{.${human ? 'CreatedSince' : 'CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
          rows as unknown as Record<string, unknown>[],
          HISTORY_HEADERS,
          { quiet: !!o['quiet'], quietField: 'ID' },
        ),
      );
    },
  });

  cli.add({
    path: 'tag',
    aliases: ['image tag'],
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    args: { min: 2, max: 2 },
    async action(ctx, args) {
      await ctx.client().json('POST', `/images/${enc(args[0]!)}/tag`, { query: { repo: args[1]! } });
    },
  });

  cli.add({
    path: 'rmi',
    aliases: ['image rm', 'image remove'],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    args: { min: 1 },
    options: [
      { flags: '-f, --force', desc: 'Force removal of the image' },
      { flags: '--no-prune', desc: 'Do not delete untagged parents' },
    ],
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (name) => {
        const items = await ctx.client().json<DeleteResponseItem[]>('DELETE', `/images/${enc(name)}`, {
          query: { force: o['force'] ? true : undefined, noprune: o['noPrune'] ? true : undefined },
        });
        ctx.out(deleteLines(items));
      });
    },
  });

  cli.add({
    path: 'image prune',
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    args: { max: 0 },
    options: [
      { flags: '-a, --all', desc: 'Remove all unused images, not just dangling ones' },
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "until=<timestamp>")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
    ],
    async action(ctx, _args, o) {
      const warning = o['all']
        ? 'WARNING! This will remove all images without at least one container associated to them.'
        : 'WARNING! This will remove all dangling images.';
      if (!o['force'] && !(await confirm(ctx, warning))) return 0;
      const filters = filtersQuery(o['filter'] as string[]);
      if (o['all']) filters['dangling'] = ['false'];
      const r = await ctx.client().json<ImagePruneResponse>('POST', '/images/prune', {
        query: { filters: filtersParam(filters) },
      });
      if (r.ImagesDeleted?.length) {
        ctx.out('Deleted Images:\n');
        for (const d of r.ImagesDeleted) ctx.out(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
        ctx.out('\n');
      }
      ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
    },
  });

  cli.add({
    path: 'import',
    aliases: ['image import'],
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    args: { min: 1, max: 2 },
    options: [
      { flags: '-c, --change', arg: 'list', desc: 'Apply Dockerfile instruction to the created image', repeat: true },
      { flags: '-m, --message', arg: 'string', desc: 'Set commit message for imported image' },
      { flags: '--platform', arg: 'string', desc: 'Set platform if server is multi-platform capable' },
    ],
    async action(ctx, args, o) {
      const src = args[0]!;
      const isUrl = /^https?:\/\//.test(src);
      let body: NodeJS.ReadableStream | undefined;
      if (src === '-') body = stdinBody();
      else if (!isUrl) {
        await fs.access(src).catch(() => {
          throw new CliError(`open ${src}: no such file or directory`);
        });
        body = createReadStream(src);
      }
      await ctx.client().jsonLines(
        'POST',
        '/images/create',
        {
          query: {
            fromSrc: isUrl ? src : '-',
            repo: args[1],
            message: o['message'] as string | undefined,
            changes: o['change'] as string[],
            platform: o['platform'] as string | undefined,
          },
          ...(body ? { body } : {}),
        },
        (m) => {
          if (m.status) ctx.out(`${m.status}\n`);
        },
      );
    },
  });

  cli.add({
    path: 'save',
    aliases: ['image save'],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    args: { min: 1 },
    options: [{ flags: '-o, --output', arg: 'string', desc: 'Write to a file, instead of STDOUT' }],
    async action(ctx, args, o) {
      const output = o['output'] as string | undefined;
      if (!output && ctx.stdoutIsTTY) throw new CliError('Cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      const res = await ctx.client().stream('GET', '/images/get', { query: { names: args } });
      if (output) {
        const tmp = `${output}.berth-tmp`;
        try {
          await pipeline(res, createWriteStream(tmp));
          await fs.rename(tmp, output);
        } catch (e) {
          await fs.rm(tmp, { force: true });
          throw new CliError(`failed to save image: ${(e as Error).message}`);
        }
      } else await pipeline(res, process.stdout);
    },
  });

  cli.add({
    path: 'load',
    aliases: ['image load'],
    usage: '[OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    args: { max: 0 },
    options: [
      { flags: '-i, --input', arg: 'string', desc: 'Read from tar archive file, instead of STDIN' },
      { flags: '-q, --quiet', desc: 'Suppress the load output' },
    ],
    async action(ctx, _args, o) {
      const input = o['input'] as string | undefined;
      if (!input && ctx.stdinIsTTY) throw new CliError('requested load from stdin, but stdin is empty', 1);
      if (input) {
        await fs.access(input).catch(() => {
          throw new CliError(`open ${input}: no such file or directory`);
        });
      }
      const quiet = !!o['quiet'] || !ctx.stdoutIsTTY;
      const display = new ProgressDisplay((s) => ctx.out(s), ctx.stdoutIsTTY);
      await ctx.client().jsonLines(
        'POST',
        '/images/load',
        { query: { quiet }, body: input ? createReadStream(input) : stdinBody() },
        (m) => display.show(m),
      );
    },
  });
}

/** `image inspect` and the image half of `inspect`: prints what was found, then the errors. */
export async function inspectImages(ctx: CliContext, names: string[], format: string | undefined): Promise<number> {
  const found: ImageInspect[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      found.push(await ctx.client().json<ImageInspect>('GET', `/images/${enc(n)}/json`));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
    }
  }
  ctx.out(renderInspect(format, found as unknown as Record<string, unknown>[]));
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length ? 1 : 0;
}

