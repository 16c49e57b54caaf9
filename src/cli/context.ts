/**
 * What every command gets (nerdctl's habit: a verb writes only to the
 * streams it is handed): the API client for the chosen daemon, the standard
 * streams, and whether they are terminals. main.ts hands over the process's
 * own; tests hand over buffers.
 */
import { Client } from '../client/client.js';
import type { CliIO, Opts } from './command.js';
import { write } from './stdio.js';

/** The requests a command makes of the daemon (the Client's, so tests can stand in for it). */
export type EngineClient = Pick<Client, 'request' | 'json' | 'stream' | 'jsonLines' | 'hijack'>;

export interface CliContext extends CliIO {
  host: string;
  client(): EngineClient;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** One CLI verb: its arguments and parsed options in, the exit status out. */
export type Verb = (ctx: CliContext, args: string[], opts: Opts) => Promise<number>;

export function makeContext(host: string): CliContext & { dispose(): void } {
  let client: Client | undefined;
  return {
    host,
    client: () => (client ??= new Client(host)),
    // Getters: touching process.stdin/stdout/stderr makes their streams (see stdio.ts), which a command that never uses them need not pay for.
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    out: (s) => write(1, s),
    err: (s) => write(2, s),
    get stdoutIsTTY() {
      return !!process.stdout.isTTY;
    },
    get stdinIsTTY() {
      return !!process.stdin.isTTY;
    },
    dispose: () => client?.close(),
  };
}
