/**
 * The three clients integration tests drive a daemon with: berth's CLI, the
 * real docker CLI, and the dockerode SDK.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import { REPO, type TestDaemon } from './daemon.js';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CmdOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Collect stdout as bytes (save). */
  binary?: boolean;
  timeoutMs?: number;
}

export function runCmd(argv: string[], opts: CmdOptions = {}): Promise<CmdResult & { stdoutBytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export const BERTH_BIN = join(REPO, 'bin/berth');

export type CliName = 'berth' | 'docker';

/** Runs a docker-syntax command line through the chosen CLI against the daemon. */
export function cli(which: CliName, d: TestDaemon, args: string[], opts: CmdOptions = {}) {
  const argv = which === 'berth' ? [BERTH_BIN, '-H', d.host, ...args] : ['docker', '-H', d.host, ...args];
  return runCmd(argv, { ...opts, env: { DOCKER_CONFIG: join(d.base, 'docker-config'), ...opts.env } });
}

export const berth = (d: TestDaemon, args: string[], opts?: CmdOptions) => cli('berth', d, args, opts);
export const docker = (d: TestDaemon, args: string[], opts?: CmdOptions) => cli('docker', d, args, opts);

export function sdk(d: TestDaemon): Docker {
  return new Docker({ socketPath: d.socket });
}

/**
 * The per-suite shorthands the CLI suites use: `run` (any outcome), `ok`
 * (asserts exit 0, returns trimmed stdout) and `inspect -f`. `daemon` is read
 * at each call, since suites start their daemon in a `before` hook.
 */
export function cliSession(which: CliName, daemon: () => TestDaemon) {
  const run = (args: string[], opts: CmdOptions = {}) => cli(which, daemon(), args, { timeoutMs: 30_000, ...opts });
  const ok = async (args: string[], opts: CmdOptions = {}) => {
    const r = await run(args, opts);
    assert.equal(r.code, 0, `${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  };
  const inspect = (ref: string, format: string) => ok(['inspect', '-f', format, ref]);
  return { run, ok, inspect };
}
