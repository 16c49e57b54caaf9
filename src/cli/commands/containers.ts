/** Container commands besides run/create/start/attach: ps, stop, kill, rm, logs, inspect, top, stats… */
import { createReadStream, createWriteStream, promises as fs, statSync } from 'node:fs';
import { basename, dirname, posix, resolve } from 'node:path';
import { pipeline } from '../lazy-stream.js';
import type {
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  FilesystemChange,
  PathStat,
  StatsResponse,
} from '../../api/types/containers.js';
import type { IdResponse } from '../../api/types/common.js';
import { ApiError } from '../../client/client.js';
import { FrameDecoder } from '../../stream/mux.js';
import { CliError, type Cli, type OptSpec } from '../command.js';
import type { CliContext } from '../context.js';
import { renderInspect } from '../format/formatter.js';
import { tabwrite } from '../format/tabwriter.js';
import { humanSize, parseBytes } from '../format/units.js';
import { psFormatUsesSize, renderContainers } from '../views/containers.js';
import { invalidStatsEntry, renderStats, statsEntry } from '../views/stats.js';
import { FORMAT_HELP } from './images.js';
import { confirm, filtersQuery, forEachName } from './shared.js';

const enc = encodeURIComponent;


const timeoutOpts: OptSpec[] = [
  { flags: '-s, --signal', arg: 'string', desc: 'Signal to send to the container' },
  { flags: '-t, --timeout', arg: 'int', desc: 'Seconds to wait before killing the container', int: true },
];

export function registerContainerCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'container', description: 'Manage containers' });

  cli.add({
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
    async action(ctx, _args, o) {
      const format = o['format'] as string | undefined;
      const size = !!o['size'] || psFormatUsesSize(format);
      const filters = filtersQuery(o['filter'] as string[]);
      const last = o['latest'] ? 1 : (o['last'] as number);
      const list = await ctx.client().json<ContainerSummary[]>('GET', '/containers/json', {
        query: {
          all: o['all'] ? true : undefined,
          limit: last > 0 ? last : undefined,
          size: size ? true : undefined,
          filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
        },
      });
      ctx.out(renderContainers(list, { ...(format ? { format } : {}), quiet: !!o['quiet'], size: !!o['size'], noTrunc: !!o['noTrunc'] }));
    },
  });

  cli.add({
    path: 'container inspect',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    args: { min: 1 },
    options: [
      { flags: '-f, --format', arg: 'string', desc: FORMAT_HELP },
      { flags: '-s, --size', desc: 'Display total file sizes' },
    ],
    async action(ctx, args, o) {
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
    },
  });

  cli.add({
    path: 'stop',
    aliases: ['container stop'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Stop one or more running containers',
    args: { min: 1 },
    options: timeoutOpts,
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (c) => {
        await ctx.client().json('POST', `/containers/${enc(c)}/stop`, { query: { t: o['timeout'] as number | undefined, signal: o['signal'] as string | undefined } });
        ctx.out(`${c}\n`);
      });
    },
  });

  cli.add({
    path: 'restart',
    aliases: ['container restart'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Restart one or more containers',
    args: { min: 1 },
    options: timeoutOpts,
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (c) => {
        await ctx.client().json('POST', `/containers/${enc(c)}/restart`, { query: { t: o['timeout'] as number | undefined, signal: o['signal'] as string | undefined } });
        ctx.out(`${c}\n`);
      });
    },
  });

  cli.add({
    path: 'kill',
    aliases: ['container kill'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    args: { min: 1 },
    options: [{ flags: '-s, --signal', arg: 'string', desc: 'Signal to send to the container' }],
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (c) => {
        await ctx.client().json('POST', `/containers/${enc(c)}/kill`, { query: { signal: o['signal'] as string | undefined } });
        ctx.out(`${c}\n`);
      });
    },
  });

  for (const [cmd, desc] of [
    ['pause', 'Pause all processes within one or more containers'],
    ['unpause', 'Unpause all processes within one or more containers'],
  ] as const) {
    cli.add({
      path: cmd,
      aliases: [`container ${cmd}`],
      usage: 'CONTAINER [CONTAINER...]',
      description: desc,
      args: { min: 1 },
      async action(ctx, args) {
        return forEachName(ctx, args, async (c) => {
          await ctx.client().json('POST', `/containers/${enc(c)}/${cmd}`);
          ctx.out(`${c}\n`);
        });
      },
    });
  }

  cli.add({
    path: 'rm',
    aliases: ['container rm', 'container remove'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    args: { min: 1 },
    options: [
      { flags: '-f, --force', desc: 'Force the removal of a running container (uses SIGKILL)' },
      { flags: '-l, --link', desc: 'Remove the specified link' },
      { flags: '-v, --volumes', desc: 'Remove anonymous volumes associated with the container' },
    ],
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (c) => {
        await ctx.client().json('DELETE', `/containers/${enc(c)}`, { query: { force: o['force'] ? true : undefined, v: o['volumes'] ? true : undefined, link: o['link'] ? true : undefined } });
        ctx.out(`${c}\n`);
      });
    },
  });

  cli.add({
    path: 'wait',
    aliases: ['container wait'],
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Block until one or more containers stop, then print their exit codes',
    args: { min: 1 },
    async action(ctx, args) {
      return forEachName(ctx, args, async (c) => {
        const r = await ctx.client().json<ContainerWaitResponse>('POST', `/containers/${enc(c)}/wait`);
        ctx.out(`${r.StatusCode}\n`);
      });
    },
  });

  cli.add({
    path: 'rename',
    aliases: ['container rename'],
    usage: 'CONTAINER NEW_NAME',
    description: 'Rename a container',
    args: { min: 2, max: 2 },
    async action(ctx, args) {
      if (!args[1]!.trim()) throw new CliError('Error: Neither old nor new names may be empty', 1);
      await ctx.client().json('POST', `/containers/${enc(args[0]!)}/rename`, { query: { name: args[1]! } });
    },
  });

  cli.add({
    path: 'logs',
    aliases: ['container logs'],
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
    async action(ctx, args, o) {
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
        await pipeline(res, process.stdout, { end: false });
        return;
      }
      const dec = new FrameDecoder((f) => (f.stream === 2 ? process.stderr : process.stdout).write(f.payload), { split: true });
      for await (const c of res) dec.push(c as Buffer);
    },
  });

  cli.add({
    path: 'top',
    aliases: ['container top'],
    usage: 'CONTAINER [ps OPTIONS]',
    description: 'Display the running processes of a container',
    args: { min: 1 },
    stopAtFirstArg: true,
    async action(ctx, args) {
      const r = await ctx.client().json<ContainerTopResponse>('GET', `/containers/${enc(args[0]!)}/top`, { query: { ps_args: args.slice(1).join(' ') || undefined } });
      ctx.out(tabwrite([r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))].join('\n') + '\n', { minWidth: 20, tabWidth: 1, padding: 3, padChar: ' ' }));
    },
  });

  cli.add({
    path: 'stats',
    aliases: ['container stats'],
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
    options: [
      { flags: '-a, --all', desc: 'Show all containers (default shows just running)' },
      { flags: '--format', arg: 'string', desc: FORMAT_HELP },
      { flags: '--no-stream', desc: 'Disable streaming stats and only pull the first result' },
      { flags: '--no-trunc', desc: "Don't truncate output" },
    ],
    async action(ctx, args, o) {
      const client = ctx.client();
      let targets = args;
      if (targets.length === 0) {
        const list = await client.json<ContainerSummary[]>('GET', '/containers/json', { query: { all: o['all'] ? true : undefined } });
        targets = list.map((c) => c.Id);
      }
      const sample = async (name: string) => {
        try {
          const s = (await client.json<StatsResponse>('GET', `/containers/${enc(name)}/stats`, { query: { stream: false } }));
          return statsEntry(name, s);
        } catch (e) {
          if (e instanceof ApiError && args.length) throw e;
          return invalidStatsEntry(name);
        }
      };
      const render = async () => renderStats(await Promise.all(targets.map(sample)), { ...(o['format'] ? { format: o['format'] as string } : {}), noTrunc: !!o['noTrunc'] });
      if (o['noStream']) {
        ctx.out(await render());
        return;
      }
      for (;;) {
        const text = await render();
        ctx.out(ctx.stdoutIsTTY ? `\x1b[2J\x1b[H${text}` : text);
      }
    },
  });

  cli.add({
    path: 'diff',
    aliases: ['container diff'],
    usage: 'CONTAINER',
    description: "Inspect changes to files or directories on a container's filesystem",
    args: { min: 1, max: 1 },
    async action(ctx, args) {
      const changes = await ctx.client().json<FilesystemChange[]>('GET', `/containers/${enc(args[0]!)}/changes`);
      ctx.out(changes.map((c) => `${['C', 'A', 'D'][c.Kind]} ${c.Path}\n`).join(''));
    },
  });

  cli.add({
    path: 'commit',
    aliases: ['container commit'],
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    args: { min: 1, max: 2 },
    options: [
      { flags: '-a, --author', arg: 'string', desc: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { flags: '-c, --change', arg: 'list', desc: 'Apply Dockerfile instruction to the created image', repeat: true },
      { flags: '-m, --message', arg: 'string', desc: 'Commit message' },
      { flags: '-p, --pause', desc: 'Pause container during commit', default: true },
    ],
    async action(ctx, args, o) {
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
    },
  });

  cli.add({
    path: 'export',
    aliases: ['container export'],
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    args: { min: 1, max: 1 },
    options: [{ flags: '-o, --output', arg: 'string', desc: 'Write to a file, instead of STDOUT' }],
    async action(ctx, args, o) {
      const output = o['output'] as string | undefined;
      if (!output && ctx.stdoutIsTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      const res = await ctx.client().stream('GET', `/containers/${enc(args[0]!)}/export`);
      await pipeline(res, output ? createWriteStream(output) : process.stdout);
    },
  });

  cli.add({
    path: 'cp',
    aliases: ['container cp'],
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    args: { min: 2, max: 2 },
    options: [
      { flags: '-a, --archive', desc: 'Archive mode (copy all uid/gid information)' },
      { flags: '-L, --follow-link', desc: 'Always follow symbol link in SRC_PATH' },
      { flags: '-q, --quiet', desc: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
    ],
    async action(ctx, args, o) {
      const split = (s: string) => {
        const i = s.indexOf(':');
        return i > 0 && !s.startsWith('/') && !s.startsWith('.') ? { container: s.slice(0, i), path: s.slice(i + 1) } : undefined;
      };
      const from = split(args[0]!);
      const to = split(args[1]!);
      if ((from && to) || (!from && !to)) throw new CliError('copying between containers is not supported; one side must be a local path, the other CONTAINER:PATH', 1);
      const client = ctx.client();
      if (from) {
        // -L (docker's followLink): when the source is a symlink, copy what it leads to (the daemon
        // resolves it inside the container) under the link's own name.
        let srcPath = from.path;
        let rebaseName: string | undefined;
        if (o['followLink']) {
          const st = await pathStat(client, from.container, from.path).catch(() => undefined);
          if (st && (st.mode & GO_MODE_SYMLINK) !== 0 && st.linkTarget) {
            srcPath = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(posix.dirname(from.path), st.linkTarget);
            rebaseName = basename(from.path.replace(/\/+$/, ''));
          }
        }
        const res = await client.stream('GET', `/containers/${enc(from.container)}/archive`, { query: { path: srcPath } });
        if (args[1] === '-') {
          await pipeline(res, process.stdout);
          return;
        }
        await copyOut(res, srcPath, args[1]!, rebaseName);
        return;
      }
      const src = args[0]!;
      if (src === '-') {
        await client.json('PUT', `/containers/${enc(to!.container)}/archive`, { query: { path: to!.path }, body: process.stdin, contentType: 'application/x-tar' });
        return;
      }
      await copyIn(client, src, to!.container, to!.path);
    },
  });

  cli.add({
    path: 'update',
    aliases: ['container update'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    args: { min: 1 },
    options: [
      { flags: '--blkio-weight', arg: 'uint16', desc: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', int: true },
      { flags: '--cpu-period', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) period', int: true },
      { flags: '--cpu-quota', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota', int: true },
      { flags: '-c, --cpu-shares', arg: 'int', desc: 'CPU shares (relative weight)', int: true },
      { flags: '--cpus', arg: 'decimal', desc: 'Number of CPUs' },
      { flags: '--cpuset-cpus', arg: 'string', desc: 'CPUs in which to allow execution (0-3, 0,1)' },
      { flags: '--cpuset-mems', arg: 'string', desc: 'MEMs in which to allow execution (0-3, 0,1)' },
      { flags: '-m, --memory', arg: 'bytes', desc: 'Memory limit' },
      { flags: '--memory-reservation', arg: 'bytes', desc: 'Memory soft limit' },
      { flags: '--memory-swap', arg: 'bytes', desc: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
      { flags: '--pids-limit', arg: 'int', desc: 'Tune container pids limit (set -1 for unlimited)', int: true },
      { flags: '--restart', arg: 'string', desc: 'Restart policy to apply when a container exits' },
    ],
    async action(ctx, args, o) {
      const bytes = (k: string) => {
        const v = o[k] as string | undefined;
        if (v === undefined) return undefined;
        if (v === '-1') return -1;
        try {
          return parseBytes(v);
        } catch (e) {
          throw new CliError(`invalid argument "${v}" for "--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}" flag: ${(e as Error).message}`, 125);
        }
      };
      const body: Record<string, unknown> = {};
      const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
      set('BlkioWeight', o['blkioWeight']);
      set('CpuPeriod', o['cpuPeriod']);
      set('CpuQuota', o['cpuQuota']);
      set('CpuShares', o['cpuShares']);
      if (o['cpus'] !== undefined) set('NanoCpus', Math.round(Number(o['cpus']) * 1e9));
      set('CpusetCpus', o['cpusetCpus']);
      set('CpusetMems', o['cpusetMems']);
      set('Memory', bytes('memory'));
      set('MemoryReservation', bytes('memoryReservation'));
      set('MemorySwap', bytes('memorySwap'));
      set('PidsLimit', o['pidsLimit']);
      if (o['restart'] !== undefined) {
        const [name, max] = (o['restart'] as string).split(':');
        body['RestartPolicy'] = { Name: name, ...(max ? { MaximumRetryCount: Number(max) } : {}) };
      }
      if (Object.keys(body).length === 0) throw new CliError('you must provide one or more flags when using this command', 1);
      return forEachName(ctx, args, async (c) => {
        await ctx.client().json('POST', `/containers/${enc(c)}/update`, { body });
        ctx.out(`${c}\n`);
      });
    },
  });

  cli.add({
    path: 'container prune',
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    args: { max: 0 },
    options: [
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "until=<timestamp>")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
    ],
    async action(ctx, _args, o) {
      if (!o['force'] && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
      const filters = filtersQuery(o['filter'] as string[]);
      const r = await ctx.client().json<ContainerPruneResponse>('POST', '/containers/prune', { query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined } });
      if (r.ContainersDeleted?.length) ctx.out(`Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n\n`);
      ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
    },
  });
}

/** Go's os.ModeSymlink bit in a path stat's mode. */
const GO_MODE_SYMLINK = 2 ** 27;

/** The daemon's stat of a path in a container (HEAD archive: the X-Docker-Container-Path-Stat header). */
async function pathStat(client: ReturnType<CliContext['client']>, container: string, path: string): Promise<PathStat> {
  const res = await client.stream('HEAD', `/containers/${enc(container)}/archive`, { query: { path } });
  res.resume();
  const header = res.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') throw new CliError(`the daemon sent no stat for ${container}:${path}`, 1);
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

/**
 * Writes a `cp` archive to the local path: into a directory, or as the named
 * file. With rebaseName, the archive's top entry takes that name (cp -L of a
 * link copies its target under the link's name).
 */
async function copyOut(res: NodeJS.ReadableStream, srcPath: string, dest: string, rebaseName?: string): Promise<void> {
  const { extract } = await import('tar-stream').then((m) => m.default);
  let destIsDir = false;
  try {
    destIsDir = statSync(dest).isDirectory();
  } catch {
    destIsDir = false;
  }
  const target = resolve(dest);
  const ex = extract();
  const rootName = basename(srcPath.replace(/\/+$/, '')) || '/';
  const done = (async () => {
    for await (const e of ex) {
      const name = e.header.name.replace(/\/$/, '');
      const rel = name === rootName ? '' : name.slice(rootName.length + 1);
      const local = rebaseName === undefined ? name : rel ? `${rebaseName}/${rel}` : rebaseName;
      const out = destIsDir ? resolve(target, local) : rel ? resolve(target, rel) : target;
      if (!out.startsWith(destIsDir ? target : dirname(target))) throw new CliError(`refusing to write ${name} outside ${dest}`, 1);
      if (e.header.type === 'directory') {
        await fs.mkdir(out, { recursive: true, mode: e.header.mode ?? 0o755 });
        e.resume();
      } else if (e.header.type === 'file') {
        await pipeline(e, createWriteStream(out, { mode: e.header.mode ?? 0o644 }));
      } else if (e.header.type === 'symlink') {
        await fs.rm(out, { force: true });
        await fs.symlink(e.header.linkname ?? '', out);
        e.resume();
      } else e.resume();
    }
  })();
  await pipeline(res, ex);
  await done;
}

/** Sends a local file or directory as a tar to CONTAINER:PATH. */
async function copyIn(client: ReturnType<CliContext['client']>, src: string, container: string, destPath: string): Promise<void> {
  const tar = (await import('tar-stream')).default;
  await fs.lstat(src).catch(() => {
    throw new CliError(`lstat ${src}: no such file or directory`, 1);
  });
  // Copying to an existing directory puts the source inside it; otherwise the destination names the copy.
  let parent = destPath;
  let name = basename(resolve(src));
  try {
    await client.json('HEAD', `/containers/${enc(container)}/archive`, { query: { path: destPath } });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    parent = dirname(destPath);
    name = basename(destPath);
  }
  const pack = tar.pack();
  const add = async (abs: string, rel: string): Promise<void> => {
    const s = await fs.lstat(abs);
    if (s.isDirectory()) {
      pack.entry({ name: `${rel}/`, type: 'directory', mode: s.mode & 0o7777, mtime: s.mtime });
      for (const c of (await fs.readdir(abs)).sort()) await add(`${abs}/${c}`, `${rel}/${c}`);
    } else if (s.isSymbolicLink()) {
      pack.entry({ name: rel, type: 'symlink', linkname: await fs.readlink(abs), mode: s.mode & 0o7777, mtime: s.mtime });
    } else if (s.isFile()) {
      await new Promise<void>((res, rej) => {
        const entry = pack.entry({ name: rel, size: s.size, mode: s.mode & 0o7777, mtime: s.mtime }, (err) => (err ? rej(err) : res()));
        pipeline(createReadStream(abs), entry).catch(rej);
      });
    }
  };
  const producing = add(resolve(src), name).then(() => pack.finalize(), (e: unknown) => pack.destroy(e as Error));
  const { Readable } = await import('node:stream');
  await client.json('PUT', `/containers/${enc(container)}/archive`, { query: { path: parent }, body: Readable.from(pack), contentType: 'application/x-tar' });
  await producing;
}
