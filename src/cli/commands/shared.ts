/** Small pieces several commands share: filter flags, confirmation prompts. */
import { createInterface } from 'node:readline';
import { ApiError } from '../../client/client.js';
import { CliError } from '../command.js';
import type { CliContext } from '../context.js';

/** `--filter k=v` flags → the API's filters object (`{"k":["v"]}`). */
export function filtersQuery(flags: readonly string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 125);
    (out[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  return out;
}

/** Docker's `Are you sure you want to continue? [y/N]` prompt. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/**
 * Runs fn for each named object (rm, stop, rmi…): a daemon error is printed
 * as docker prints it and the next name is tried; the status is 1 if any failed.
 */
export async function forEachName(ctx: CliContext, names: readonly string[], fn: (name: string) => Promise<void>): Promise<number> {
  let failed = false;
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.err(`Error response from daemon: ${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
