/**
 * What every command gets: the API client for the chosen daemon, output
 * streams, and whether they are terminals.
 */
import { Client } from '../client/client.js';
import type { CliIO } from './command.js';

export interface CliContext extends CliIO {
  host: string;
  client(): Client;
}

export function makeContext(host: string): CliContext & { dispose(): void } {
  let client: Client | undefined;
  return {
    host,
    client: () => (client ??= new Client(host)),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    stdoutIsTTY: !!process.stdout.isTTY,
    stdinIsTTY: !!process.stdin.isTTY,
    dispose: () => client?.close(),
  };
}
