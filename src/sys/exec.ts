/**
 * Running host tools (runc, conmon, ip, nft…). The only place that spawns
 * processes on the host. Batch work into one invocation where the tool allows
 * it (`ip -batch -`, `nft -f -`): each spawn costs milliseconds.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class CommandError extends Error {
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
