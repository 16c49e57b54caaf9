/** How run/create report a rejected option, as docker does. */
import { CliError } from '../command.js';

/**
 * A rejected option: `flag` for values the flag's type refuses (docker
 * prints these with the usage line), `parse` for errors found while
 * building the request (docker prints `docker: …`) — both status 125 —
 * and `plain` for the few docker reports bare with status 1 (Windows-only
 * flags on a Linux daemon, -d with -a).
 */
export class RunOptionsError extends CliError {
  constructor(
    message: string,
    readonly kind: 'flag' | 'parse' | 'plain',
  ) {
    super(message, kind === 'plain' ? 1 : 125);
  }
}

/** stderr text docker prints for the error, for `<prog> run|create`. */
export function runErrorText(err: RunOptionsError, prog: string, command: 'run' | 'create'): string {
  if (err.kind === 'plain') return `${err.message}\n`;
  const help = `Run '${prog} ${command} --help' for more information\n`;
  if (err.kind === 'flag') return `${err.message}\n\nUsage:  ${prog} ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n${help}`;
  return `${prog}: ${err.message}\n\n${help}`;
}

export const fail = (msg: string): RunOptionsError => new RunOptionsError(msg, 'parse');

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function goFileError(path: string, e: unknown, op = 'open'): Error {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new Error(`${op} ${path}: no such file or directory`);
  if (code === 'EACCES') return new Error(`${op} ${path}: permission denied`);
  if (code === 'EISDIR') return new Error(`read ${path}: is a directory`);
  if (code === 'ENOTDIR') return new Error(`${op} ${path}: not a directory`);
  return e instanceof Error ? e : new Error(String(e));
}
