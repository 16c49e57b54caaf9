/**
 * Container commands besides run/create/start/attach/exec: ps, stop, kill,
 * rm, logs, inspect, top, stats… One function per verb, `(ctx, args, opts)`
 * → exit status; CONTAINER_COMMANDS declares how each is called.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from '../lazy-stream.js';
import type {
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  FilesystemChange,
  StatsResponse,
} from '../../api/types/containers.js';
import type { IdResponse } from '../../api/types/common.js';
import { ApiError, type RequestOptions } from '../../client/client.js';
import { FrameDecoder } from '../../stream/mux.js';
import { CliError, type Cli, type CommandSpec, type OptSpec, type Opts } from '../command.js';
import type { CliContext, Verb } from '../context.js';
import { renderInspect } from '../format/formatter.js';
import { FORMAT_HELP } from '../format/help-text.js';
import { tabwrite } from '../format/tabwriter.js';
import { humanSize, parseBytes } from '../format/units.js';
import { filtersParam } from '../opts/kv.js';
import { runFlag } from '../opts/run-flags.js';
import { psFormatUsesSize, renderContainers } from '../views/containers.js';
import { invalidStatsEntry, renderStats, statsEntry } from '../views/stats.js';
import { cp } from './container-copy.js';
import { confirm, filtersQuery, forEachName } from './shared.js';

const enc = encodeURIComponent;

export const ps: Verb = async (ctx, _args, o) => {
  const format = o['format'] as string | undefined;
  const size = !!o['size'] || psFormatUsesSize(format);
  const filters = filtersQuery(o['filter'] as string[]);
  const last = o['latest'] ? 1 : (o['last'] as number);
  const list = await ctx.client().json<ContainerSummary[]>('GET', '/containers/json', {
    query: { all: o['all'] ? true : undefined, limit: last > 0 ? last : undefined, size: size ? true : undefined, filters: filtersParam(filters) },
  });
  ctx.out(renderContainers(list, { ...(format ? { format } : {}), quiet: !!o['quiet'], size: !!o['size'], noTrunc: !!o['noTrunc'] }));
  return 0;
};

/** container inspect: what was found is printed, then a line per container not found (status 1). */
export const inspect: Verb = async (ctx, args, o) => {
  const found: ContainerInspect[] = [];
  const errors: string[] = [];
  for (const n of args) {
    try {
      found.push(await ctx.client().json<ContainerInspect>('GET', `/containers/${enc(n)}/json`, { query: { size: o['size'] ? true : undefined } }));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
    }
  }
  ctx.out(renderInspect(o['format'] as string | undefined, found as unknown as Record<string, unknown>[]));
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length ? 1 : 0;
};

/** A verb that sends one request per named container and prints each name done (stop, kill, pause…). */
function eachContainer(method: string, action: string, query: (o: Opts) => RequestOptions['query'] = () => undefined): Verb {
  return (ctx, args, o) =>
    forEachName(ctx, args, async (c) => {
      await ctx.client().json(method, `/containers/${enc(c)}${action}`, { query: query(o) });
      ctx.out(`${c}\n`);
    });
}

const stopQuery = (o: Opts): RequestOptions['query'] => ({ t: o['timeout'] as number | undefined, signal: o['signal'] as string | undefined });
export const stop = eachContainer('POST', '/stop', stopQuery);
export const restart = eachContainer('POST', '/restart', stopQuery);
export const kill = eachContainer('POST', '/kill', (o) => ({ signal: o['signal'] as string | undefined }));
export const pause = eachContainer('POST', '/pause');
export const unpause = eachContainer('POST', '/unpause');
export const rm = eachContainer('DELETE', '', (o) => ({ force: o['force'] ? true : undefined, v: o['volumes'] ? true : undefined, link: o['link'] ? true : undefined }));

export const wait: Verb = (ctx, args) =>
  forEachName(ctx, args, async (c) => {
    const r = await ctx.client().json<ContainerWaitResponse>('POST', `/containers/${enc(c)}/wait`);
    ctx.out(`${r.StatusCode}\n`);
  });

export const rename: Verb = async (ctx, args) => {
  if (!args[1]!.trim()) throw new CliError('Error: Neither old nor new names may be empty', 1);
  await ctx.client().json('POST', `/containers/${enc(args[0]!)}/rename`, { query: { name: args[1]! } });
  return 0;
};

/** logs: a TTY container's log is raw; otherwise it is framed and each frame goes to stdout or stderr. */
export const logs: Verb = async (ctx, args, o) => {
  const client = ctx.client();
  const info = await client.json<ContainerInspect>('GET', `/containers/${enc(args[0]!)}/json`);
  const res = await client.stream('GET', `/containers/${info.Id}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: o['follow'] ? true : undefined,
      timestamps: o['timestamps'] ? true : undefined,
      since: o['since'] as string | undefined,
      until: o['until'] as string | undefined,
      tail: o['tail'] as string,
    },
  });
  if (info.Config.Tty) {
    await pipeline(res, ctx.stdout, { end: false });
    return 0;
  }
  const dec = new FrameDecoder((f) => (f.stream === 2 ? ctx.stderr : ctx.stdout).write(f.payload), { split: true });
  for await (const c of res) dec.push(c as Buffer);
  return 0;
};

export const top: Verb = async (ctx, args) => {
  const r = await ctx.client().json<ContainerTopResponse>('GET', `/containers/${enc(args[0]!)}/top`, { query: { ps_args: args.slice(1).join(' ') || undefined } });
  ctx.out(tabwrite([r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))].join('\n') + '\n', { minWidth: 20, tabWidth: 1, padding: 3, padChar: ' ' }));
  return 0;
};

/** stats: one sample per container; with --no-stream once, else redrawn for ever. */
export const stats: Verb = async (ctx, args, o) => {
  const client = ctx.client();
  let targets = args;
  if (targets.length === 0) {
    const list = await client.json<ContainerSummary[]>('GET', '/containers/json', { query: { all: o['all'] ? true : undefined } });
    targets = list.map((c) => c.Id);
  }
  const sample = async (name: string) => {
    try {
      return statsEntry(name, await client.json<StatsResponse>('GET', `/containers/${enc(name)}/stats`, { query: { stream: false } }));
    } catch (e) {
      // A container named on the command line must exist; one listed may have gone since.
      if (e instanceof ApiError && args.length) throw e;
      return invalidStatsEntry(name);
    }
  };
  const render = async () => renderStats(await Promise.all(targets.map(sample)), { ...(o['format'] ? { format: o['format'] as string } : {}), noTrunc: !!o['noTrunc'] });
  if (o['noStream']) {
    ctx.out(await render());
    return 0;
  }
  for (;;) {
    const text = await render();
    ctx.out(ctx.stdoutIsTTY ? `\x1b[2J\x1b[H${text}` : text);
  }
};

export const diff: Verb = async (ctx, args) => {
  const changes = await ctx.client().json<FilesystemChange[]>('GET', `/containers/${enc(args[0]!)}/changes`);
  ctx.out(changes.map((c) => `${['C', 'A', 'D'][c.Kind]} ${c.Path}\n`).join(''));
  return 0;
};

export const commit: Verb = async (ctx, args, o) => {
  const r = await ctx.client().json<IdResponse>('POST', '/commit', {
    query: {
      container: args[0]!,
      repo: args[1],
      comment: o['message'] as string | undefined,
      author: o['author'] as string | undefined,
      pause: o['pause'] !== false,
      changes: o['change'] as string[],
    },
  });
  ctx.out(`${r.Id}\n`);
  return 0;
};

export const exportFs: Verb = async (ctx, args, o) => {
  const output = o['output'] as string | undefined;
  if (!output && ctx.stdoutIsTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  const res = await ctx.client().stream('GET', `/containers/${enc(args[0]!)}/export`);
  await pipeline(res, output ? createWriteStream(output) : ctx.stdout);
  return 0;
};

/** A size flag of `update`: bytes, or -1 for unlimited. */
function updateBytes(o: Opts, k: string): number | undefined {
  const v = o[k] as string | undefined;
  if (v === undefined) return undefined;
  if (v === '-1') return -1;
  try {
    return parseBytes(v);
  } catch (e) {
    throw new CliError(`invalid argument "${v}" for "--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}" flag: ${(e as Error).message}`, 125);
  }
}

/** The body of POST /containers/{id}/update for the flags given; refuses none. */
export function updateBody(o: Opts): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
  set('BlkioWeight', o['blkioWeight']);
  set('CpuPeriod', o['cpuPeriod']);
  set('CpuQuota', o['cpuQuota']);
  set('CpuShares', o['cpuShares']);
  if (o['cpus'] !== undefined) set('NanoCpus', Math.round(Number(o['cpus']) * 1e9));
  set('CpusetCpus', o['cpusetCpus']);
  set('CpusetMems', o['cpusetMems']);
  set('Memory', updateBytes(o, 'memory'));
  set('MemoryReservation', updateBytes(o, 'memoryReservation'));
  set('MemorySwap', updateBytes(o, 'memorySwap'));
  set('PidsLimit', o['pidsLimit']);
  if (o['restart'] !== undefined) {
    const [name, max] = (o['restart'] as string).split(':');
    body['RestartPolicy'] = { Name: name, ...(max ? { MaximumRetryCount: Number(max) } : {}) };
  }
  if (Object.keys(body).length === 0) throw new CliError('you must provide one or more flags when using this command', 1);
  return body;
}

export const update: Verb = async (ctx, args, o) => {
  const body = updateBody(o);
  return forEachName(ctx, args, async (c) => {
    await ctx.client().json('POST', `/containers/${enc(c)}/update`, { body });
    ctx.out(`${c}\n`);
  });
};

export const prune: Verb = async (ctx, _args, o) => {
  if (!o['force'] && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
  const filters = filtersQuery(o['filter'] as string[]);
  const r = await ctx.client().json<ContainerPruneResponse>('POST', '/containers/prune', { query: { filters: filtersParam(filters) } });
  if (r.ContainersDeleted?.length) ctx.out(`Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
  return 0;
};

// ---------------------------------------------------------------------------
// How each verb is called: paths, aliases, usage, options (docker's texts).

/** run's declaration of a flag `update` shares, its value parsed as an integer. */
const intFlag = (long: string): OptSpec => ({ ...runFlag(long), int: true });

const timeoutOpts: OptSpec[] = [
  { flags: '-s, --signal', arg: 'string', desc: 'Signal to send to the container' },
  { flags: '-t, --timeout', arg: 'int', desc: 'Seconds to wait before killing the container', int: true },
];

/** `NAME` and `container NAME`, docker's two spellings of most container verbs. */
const both = (name: string): Pick<CommandSpec<CliContext>, 'path' | 'aliases'> => ({ path: name, aliases: [`container ${name}`] });
const MANY = '[OPTIONS] CONTAINER [CONTAINER...]';

export const CONTAINER_COMMANDS: CommandSpec<CliContext>[] = [
  {
    path: 'ps',
    aliases: ['container ls', 'container list', 'container ps'],
    usage: '[OPTIONS]',
    description: 'List containers',
    args: { max: 0 },
    options: [
      { flags: '-a, --all', desc: 'Show all containers (default shows just running)' },
      { flags: '-f, --filter', arg: 'filter', desc: 'Filter output based on conditions provided', repeat: true },
      { flags: '--format', arg: 'string', desc: FORMAT_HELP },
      { flags: '-n, --last', arg: 'int', desc: 'Show n last created containers (includes all states)', int: true, default: -1 },
      { flags: '-l, --latest', desc: 'Show the latest created container (includes all states)' },
      { flags: '--no-trunc', desc: "Don't truncate output" },
      { flags: '-q, --quiet', desc: 'Only display container IDs' },
      { flags: '-s, --size', desc: 'Display total file sizes' },
    ],
    action: ps,
  },
  {
    path: 'container inspect',
    usage: MANY,
    description: 'Display detailed information on one or more containers',
    args: { min: 1 },
    options: [
      { flags: '-f, --format', arg: 'string', desc: FORMAT_HELP },
      { flags: '-s, --size', desc: 'Display total file sizes' },
    ],
    action: inspect,
  },
  { ...both('stop'), usage: MANY, description: 'Stop one or more running containers', args: { min: 1 }, options: timeoutOpts, action: stop },
  { ...both('restart'), usage: MANY, description: 'Restart one or more containers', args: { min: 1 }, options: timeoutOpts, action: restart },
  {
    ...both('kill'),
    usage: MANY,
    description: 'Kill one or more running containers',
    args: { min: 1 },
    options: [{ flags: '-s, --signal', arg: 'string', desc: 'Signal to send to the container' }],
    action: kill,
  },
  { ...both('pause'), usage: 'CONTAINER [CONTAINER...]', description: 'Pause all processes within one or more containers', args: { min: 1 }, action: pause },
  { ...both('unpause'), usage: 'CONTAINER [CONTAINER...]', description: 'Unpause all processes within one or more containers', args: { min: 1 }, action: unpause },
  {
    path: 'rm',
    aliases: ['container rm', 'container remove'],
    usage: MANY,
    description: 'Remove one or more containers',
    args: { min: 1 },
    options: [
      { flags: '-f, --force', desc: 'Force the removal of a running container (uses SIGKILL)' },
      { flags: '-l, --link', desc: 'Remove the specified link' },
      { flags: '-v, --volumes', desc: 'Remove anonymous volumes associated with the container' },
    ],
    action: rm,
  },
  { ...both('wait'), usage: 'CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes', args: { min: 1 }, action: wait },
  { ...both('rename'), usage: 'CONTAINER NEW_NAME', description: 'Rename a container', args: { min: 2, max: 2 }, action: rename },
  {
    ...both('logs'),
    usage: '[OPTIONS] CONTAINER',
    description: 'Fetch the logs of a container',
    args: { min: 1, max: 1 },
    options: [
      { flags: '--details', desc: 'Show extra details provided to logs' },
      { flags: '-f, --follow', desc: 'Follow log output' },
      { flags: '--since', arg: 'string', desc: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      { flags: '-n, --tail', arg: 'string', desc: 'Number of lines to show from the end of the logs', default: 'all' },
      { flags: '-t, --timestamps', desc: 'Show timestamps' },
      { flags: '--until', arg: 'string', desc: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    ],
    action: logs,
  },
  { ...both('top'), usage: 'CONTAINER [ps OPTIONS]', description: 'Display the running processes of a container', args: { min: 1 }, stopAtFirstArg: true, action: top },
  {
    ...both('stats'),
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
    options: [
      { flags: '-a, --all', desc: 'Show all containers (default shows just running)' },
      { flags: '--format', arg: 'string', desc: FORMAT_HELP },
      { flags: '--no-stream', desc: 'Disable streaming stats and only pull the first result' },
      { flags: '--no-trunc', desc: "Don't truncate output" },
    ],
    action: stats,
  },
  { ...both('diff'), usage: 'CONTAINER', description: "Inspect changes to files or directories on a container's filesystem", args: { min: 1, max: 1 }, action: diff },
  {
    ...both('commit'),
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    args: { min: 1, max: 2 },
    options: [
      { flags: '-a, --author', arg: 'string', desc: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { flags: '-c, --change', arg: 'list', desc: 'Apply Dockerfile instruction to the created image', repeat: true },
      { flags: '-m, --message', arg: 'string', desc: 'Commit message' },
      { flags: '-p, --pause', desc: 'Pause container during commit', default: true },
    ],
    action: commit,
  },
  {
    ...both('export'),
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    args: { min: 1, max: 1 },
    options: [{ flags: '-o, --output', arg: 'string', desc: 'Write to a file, instead of STDOUT' }],
    action: exportFs,
  },
  {
    ...both('cp'),
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    args: { min: 2, max: 2 },
    options: [
      { flags: '-a, --archive', desc: 'Archive mode (copy all uid/gid information)' },
      { flags: '-L, --follow-link', desc: 'Always follow symbol link in SRC_PATH' },
      { flags: '-q, --quiet', desc: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
    ],
    action: cp,
  },
  {
    ...both('update'),
    usage: MANY,
    description: 'Update configuration of one or more containers',
    args: { min: 1 },
    options: [
      intFlag('blkio-weight'),
      intFlag('cpu-period'),
      intFlag('cpu-quota'),
      intFlag('cpu-shares'),
      runFlag('cpus'),
      runFlag('cpuset-cpus'),
      runFlag('cpuset-mems'),
      runFlag('memory'),
      runFlag('memory-reservation'),
      { flags: '--memory-swap', arg: 'bytes', desc: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
      intFlag('pids-limit'),
      { flags: '--restart', arg: 'string', desc: 'Restart policy to apply when a container exits' },
    ],
    action: update,
  },
  {
    path: 'container prune',
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    args: { max: 0 },
    options: [
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "until=<timestamp>")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
    ],
    action: prune,
  },
];

export function registerContainerCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'container', description: 'Manage containers' });
  for (const spec of CONTAINER_COMMANDS) cli.add(spec);
}
