/**
 * What every command gets: the API client for the chosen daemon, output
 * streams, and whether they are terminals.
 */
import { Client } from '../client/client.js';
import type { CliIO } from './command.js';
import { write } from './stdio.js';

export interface CliContext extends CliIO {
  host: string;
  client(): Client;
}

export function makeContext(host: string): CliContext & { dispose(): void } {
  let client: Client | undefined;
  return {
    host,
    client: () => (client ??= new Client(host)),
    out: (s) => write(1, s),
    err: (s) => write(2, s),
    // Asked only by the commands that care: touching process.stdin/stdout makes their stream (see stdio.ts).
    get stdoutIsTTY() {
      return !!process.stdout.isTTY;
    },
    get stdinIsTTY() {
      return !!process.stdin.isTTY;
    },
    dispose: () => client?.close(),
  };
}
