/** run, create, start, attach: the commands that create containers or connect to their streams. */
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import type { ContainerCreateResponse, ContainerInspect, ContainerWaitResponse } from '../../api/types/containers.js';
import { ApiError } from '../../client/client.js';
import { CliError, PROG, type Cli, type CommandSpec, type Opts } from '../command.js';
import type { CliContext, EngineClient, Verb } from '../context.js';
import { pullImage } from './registry.js';
import { forEachName } from './shared.js';
import { familiarString, parseImageRef, withDefaultTag } from '../image-ref.js';
import { RunOptionsError, runErrorText } from '../opts/run-errors.js';
import { CREATE_OPTIONS, RUN_OPTIONS } from '../opts/run-flags.js';
import { parseRunOptions } from '../opts/run-opts.js';
import type { ParsedRun } from '../opts/run-types.js';
import { runSession } from '../stream-session.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../stream/detach-keys.js';

const enc = encodeURIComponent;

/** docker's FamiliarString(TagNameOnly(ref)): `busybox:latest`, `localhost:5000/x:latest`. */
function displayImage(image: string): string {
  try {
    return familiarString(withDefaultTag(parseImageRef(image)));
  } catch {
    return image;
  }
}

/** docker's exit status for a failed start: 126 cannot invoke, 127 not found, else 125. */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied/.test(message)) return 126;
  return 125;
}

function runFailure(command: string, e: unknown): CliError {
  const msg = e instanceof ApiError ? `Error response from daemon: ${e.message}` : (e as Error).message;
  return new CliError(`${PROG}: ${msg}\n\nRun '${PROG} ${command} --help' for more information`, e instanceof ApiError ? startFailureStatus(e.message) : 125);
}

async function createContainer(ctx: CliContext, p: ParsedRun, command: 'run' | 'create'): Promise<string> {
  const client = ctx.client();
  if (p.cidfile && existsSync(p.cidfile)) throw new CliError(`${PROG}: container ID file found, make sure the other container isn't running or delete ${p.cidfile}`, 125);
  const query = { name: p.name, platform: p.platform };
  // --- registry pulls (issue 7): --pull always|missing|never, progress on stderr as docker's ---
  const image = p.request.Image ?? '';
  const pull = async () =>
    pullImage(ctx, image, { ...(p.platform ? { platform: p.platform } : {}), ...(p.quiet ? {} : { write: (s: string) => ctx.err(s), tty: process.stderr.isTTY === true }) }).catch(
      (pe: unknown) => {
        throw runFailure(command, pe);
      },
    );
  if (p.pull === 'always') await pull();
  let res: ContainerCreateResponse;
  try {
    res = await client.json<ContainerCreateResponse>('POST', '/containers/create', { query, body: p.request });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && /No such image/.test(e.message) && p.pull === 'missing') {
      ctx.err(`Unable to find image '${displayImage(image)}' locally\n`);
      await pull();
      res = await client.json<ContainerCreateResponse>('POST', '/containers/create', { query, body: p.request }).catch((ce: unknown) => {
        throw runFailure(command, ce);
      });
    } else throw runFailure(command, e);
  }
  for (const w of [...res.Warnings, ...p.warnings]) ctx.err(`WARNING: ${w}\n`);
  if (p.cidfile) writeFileSync(p.cidfile, res.Id);
  return res.Id;
}

function parse(ctx: CliContext, o: Record<string, unknown>, args: string[], command: 'run' | 'create'): ParsedRun {
  try {
    const p = parseRunOptions(o, args, process.env, (f) => readFileSync(f, 'utf8'), command);
    const tty = !!p.request.Tty;
    if (tty && ctx.stdoutIsTTY && process.stdout.rows) {
      p.request.HostConfig = { ...p.request.HostConfig, ConsoleSize: [process.stdout.rows, process.stdout.columns] };
    }
    return p;
  } catch (e) {
    if (e instanceof RunOptionsError) throw new CliError(runErrorText(e, PROG, command).replace(/\n$/, ''), e.status);
    throw e;
  }
}

/** Forwards the signals the CLI receives to the container (docker's --sig-proxy). */
function proxySignals(client: EngineClient, id: string): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = sigs.map((s) => {
    const h = () => void client.json('POST', `/containers/${id}/kill`, { query: { signal: s } }).catch(() => {});
    process.on(s, h);
    return [s, h] as const;
  });
  return () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
}

interface AttachRun {
  client: EngineClient;
  id: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
  sigProxy: boolean;
}

/**
 * Attaches, then runs `start` (if given), streams until the container's
 * output ends. Resolves true when the user detached (the container runs on).
 */
async function attachAndStream(ctx: CliContext, a: AttachRun, start?: () => Promise<void>): Promise<boolean> {
  let keys: Buffer;
  try {
    keys = parseDetachKeys(a.detachKeys ?? DEFAULT_DETACH_KEYS);
  } catch (e) {
    throw new CliError((e as Error).message, 1);
  }
  const h = await a.client.hijack('POST', `/containers/${a.id}/attach`, {
    query: { stream: true, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, detachKeys: a.detachKeys },
  });
  const release = a.sigProxy && !a.tty ? proxySignals(a.client, a.id) : () => {};
  try {
    const session = runSession(h, {
      tty: a.tty,
      stdin: a.stdin,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      // As docker: the detach keys are looked for only with a TTY (piped binary stdin may contain them).
      ...(a.stdin && a.tty ? { detachKeys: keys } : {}),
      resize: (rows, cols) => void a.client.json('POST', `/containers/${a.id}/resize`, { query: { h: rows, w: cols } }).catch(() => {}),
    });
    if (start) {
      try {
        await start();
      } catch (e) {
        h.socket.destroy();
        throw e;
      }
    }
    return (await session).detached;
  } finally {
    release();
  }
}

/** run: create, then start attached (or detached with -d) and exit with the container's status. */
export const run: Verb = async (ctx, args, o) => {
  const p = parse(ctx, o, args, 'run');
  const tty = !!p.request.Tty;
  const wantsStdin = p.attach.includes('stdin');
  if (!p.detach && tty && wantsStdin && !ctx.stdinIsTTY) throw new CliError('the input device is not a TTY', 1);
  const id = await createContainer(ctx, p, 'run');
  const start = () => startForRun(ctx.client(), id, !!p.request.HostConfig?.AutoRemove);
  if (p.detach) {
    await start();
    ctx.out(`${id}\n`);
    return 0;
  }
  return runAttached(ctx, p, id, start);
};

/** Starts a container `run` created; a failed start removes it when --rm was asked. */
async function startForRun(client: EngineClient, id: string, autoRemove: boolean): Promise<void> {
  try {
    await client.json('POST', `/containers/${id}/start`);
  } catch (e) {
    if (autoRemove) await client.json('DELETE', `/containers/${id}`, { query: { force: true } }).catch(() => {});
    throw runFailure('run', e);
  }
}

/** The foreground part of run: attach, start, stream, then the exit status (0 when the user detached). */
async function runAttached(ctx: CliContext, p: ParsedRun, id: string, start: () => Promise<void>): Promise<number> {
  const client = ctx.client();
  const condition = p.request.HostConfig?.AutoRemove ? 'removed' : 'next-exit';
  // wait is asked before start, as docker does, so a fast exit is not missed.
  const waitRes = client.json<ContainerWaitResponse>('POST', `/containers/${id}/wait`, { query: { condition } });
  waitRes.catch(() => {});
  const streams = { tty: !!p.request.Tty, stdin: p.attach.includes('stdin'), stdout: p.attach.includes('stdout'), stderr: p.attach.includes('stderr') };
  const attach: AttachRun = { client, id, ...streams, sigProxy: p.sigProxy, ...(p.detachKeys ? { detachKeys: p.detachKeys } : {}) };
  if (p.attach.length === 0) await start();
  else if (await attachAndStream(ctx, attach, start)) return 0; // detached: the container runs on
  const r = await waitRes.catch((e: unknown) => {
    throw runFailure('run', e);
  });
  if (r.Error?.Message) ctx.err(`${PROG}: ${r.Error.Message}\n`);
  return r.StatusCode;
}

export const create: Verb = async (ctx, args, o) => {
  const p = parse(ctx, o, args, 'create');
  ctx.out(`${await createContainer(ctx, p, 'create')}\n`);
  return 0;
};

/** start: each container named, or one attached with -a/-i (its exit status then). */
export const start: Verb = async (ctx, args, o) => {
  if (o['attach'] || o['interactive']) return startAttached(ctx, args, o);
  const status = await forEachName(ctx, args, async (c) => {
    await ctx.client().json('POST', `/containers/${enc(c)}/start`);
    ctx.out(`${c}\n`);
  });
  if (status !== 0) throw new CliError('Error: failed to start containers: ' + args.join(', '), 1);
  return 0;
};

async function startAttached(ctx: CliContext, args: string[], o: Opts): Promise<number> {
  if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once', 1);
  const client = ctx.client();
  const info = await client.json<ContainerInspect>('GET', `/containers/${enc(args[0]!)}/json`);
  const tty = !!info.Config.Tty;
  const stdin = !!o['interactive'] && !!info.Config.OpenStdin;
  const waitRes = client.json<ContainerWaitResponse>('POST', `/containers/${info.Id}/wait`, { query: { condition: 'next-exit' } });
  waitRes.catch(() => {});
  const detached = await attachAndStream(
    ctx,
    { client, id: info.Id, tty, stdin, stdout: true, stderr: true, sigProxy: !tty, ...(o['detachKeys'] ? { detachKeys: o['detachKeys'] as string } : {}) },
    async () => {
      await client.json('POST', `/containers/${info.Id}/start`).catch((e: unknown) => {
        throw e instanceof ApiError ? new CliError(`Error response from daemon: ${e.message}`, startFailureStatus(e.message)) : e;
      });
    },
  );
  if (detached) return 0;
  return (await waitRes).StatusCode;
}

export const attach: Verb = async (ctx, args, o) => {
  const client = ctx.client();
  const info = await client.json<ContainerInspect>('GET', `/containers/${enc(args[0]!)}/json`);
  if (!info.State.Running) throw new CliError('You cannot attach to a stopped container, start it first', 1);
  if (info.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first', 1);
  const tty = !!info.Config.Tty;
  const stdin = !o['noStdin'] && !!info.Config.OpenStdin;
  if (tty && stdin && !ctx.stdinIsTTY) throw new CliError('the input device is not a TTY', 1);
  const waitRes = client.json<ContainerWaitResponse>('POST', `/containers/${info.Id}/wait`, { query: { condition: 'next-exit' } });
  waitRes.catch(() => {});
  const sigProxy = o['sigProxy'] !== false && !tty;
  const detached = await attachAndStream(ctx, { client, id: info.Id, tty, stdin, stdout: true, stderr: true, sigProxy, ...(o['detachKeys'] ? { detachKeys: o['detachKeys'] as string } : {}) });
  // docker's attach reports the detach as an error (run and start -a do not).
  if (detached) throw new CliError('read escape sequence', 1);
  return (await waitRes).StatusCode;
};

export const RUN_COMMANDS: CommandSpec<CliContext>[] = [
  {
    path: 'run',
    aliases: ['container run'],
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    args: { min: 1 },
    stopAtFirstArg: true,
    options: RUN_OPTIONS,
    action: run,
  },
  {
    path: 'create',
    aliases: ['container create'],
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    args: { min: 1 },
    stopAtFirstArg: true,
    options: CREATE_OPTIONS,
    action: create,
  },
  {
    path: 'start',
    aliases: ['container start'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Start one or more stopped containers',
    args: { min: 1 },
    options: [
      { flags: '-a, --attach', desc: 'Attach STDOUT/STDERR and forward signals' },
      { flags: '--detach-keys', arg: 'string', desc: 'Override the key sequence for detaching a container' },
      { flags: '-i, --interactive', desc: "Attach container's STDIN" },
    ],
    action: start,
  },
  {
    path: 'attach',
    aliases: ['container attach'],
    usage: '[OPTIONS] CONTAINER',
    description: 'Attach local standard input, output, and error streams to a running container',
    args: { min: 1, max: 1 },
    options: [
      { flags: '--detach-keys', arg: 'string', desc: 'Override the key sequence for detaching a container' },
      { flags: '--no-stdin', desc: 'Do not attach STDIN' },
      { flags: '--sig-proxy', desc: 'Proxy all received signals to the process', default: true },
    ],
    action: attach,
  },
];

export function registerRunCommands(cli: Cli<CliContext>): void {
  for (const spec of RUN_COMMANDS) cli.add(spec);
}
