/**
 * Running host tools (runc, conmon, ip, nft…). The only place that spawns
 * processes on the host. Batch work into one invocation where the tool allows
 * it (`ip -batch -`, `nft -f -`): each spawn costs milliseconds.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class CommandError extends Error {
  /** A host tool that failed is the host's failure (errdefs kindOf). */
  readonly kind = 'Internal';
  readonly result: RunResult;
  readonly argv: readonly string[];
  constructor(argv: readonly string[], result: RunResult) {
    const detail = result.stderr.trim() || result.stdout.trim() || `exit status ${result.code}`;
    super(`${argv[0]} failed: ${detail}`);
    this.argv = argv;
    this.result = result;
  }
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

/** Runs argv to completion and returns its output; throws CommandError on failure. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${argv[0]}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      const result: RunResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      };
      if (result.code !== 0 && !opts.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {
      /* the tool may exit before reading all input; its exit status tells */
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface SyncPipeChild {
  /** Messages the child writes on the sync pipe (fd 3), one JSON object each, in order. */
  nextSync(): Promise<string | undefined>;
  /** With an attach pipe: resolves with the first message on it (fd 5). */
  attachReady: Promise<string | undefined>;
  /** Writes to the start pipe (fd 4). */
  signalStart(data?: string): void;
  /** Resolves when the directly spawned process exits (conmon forks and its parent exits early). */
  exited: Promise<number>;
  pid: number;
}

/** Splits a pipe's bytes into the JSON objects the monitor writes, one per line. */
function messages(stream: Readable): () => Promise<string | undefined> {
  const queue: string[] = [];
  const waiting: ((m: string | undefined) => void)[] = [];
  let buf = '';
  let ended = false;
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const w = waiting.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  const end = () => {
    ended = true;
    const rest = buf.trim();
    buf = '';
    if (rest) {
      const w = waiting.shift();
      if (w) w(rest);
      else queue.push(rest);
    }
    for (const w of waiting.splice(0)) w(undefined);
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return () => {
    const m = queue.shift();
    if (m !== undefined || ended) return Promise.resolve(m);
    return new Promise((resolve) => waiting.push(resolve));
  };
}

/**
 * Spawns a monitor that speaks the conmon/podman pipe protocol:
 * `_OCI_SYNCPIPE` (fd 3, child → us), `_OCI_STARTPIPE` (fd 4, us → child),
 * and with `attachPipe` `_OCI_ATTACHPIPE` (fd 5, child → us: "attach socket
 * ready"). Its stdout and stderr go to logPath, so nothing ties it to this
 * process once started: it outlives the daemon.
 */
export function spawnWithSyncPipes(argv: readonly string[], logPath: string, opts: { attachPipe?: boolean; cwd?: string } = {}): SyncPipeChild {
  const logFd = openSync(logPath, 'a');
  let child;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', logFd, logFd, 'pipe', 'pipe', ...(opts.attachPipe ? (['pipe'] as const) : [])],
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(opts.attachPipe ? { _OCI_ATTACHPIPE: '5' } : {}) },
      detached: true,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const sync = child.stdio[3] as Readable;
  const start = child.stdio[4] as Writable;
  const attach = (child.stdio as unknown as (Readable | undefined)[])[5];
  for (const p of [sync, start, attach]) (p as unknown as { unref?: () => void } | undefined)?.unref?.();
  start.on('error', () => {});
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
  return {
    nextSync: messages(sync),
    attachReady: attach ? messages(attach)() : Promise.resolve(undefined),
    exited,
    pid: child.pid ?? 0,
    signalStart: (data = '0') => {
      start.write(data);
    },
  };
}
