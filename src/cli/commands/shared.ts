/** Small pieces several commands share: filter flags, confirmation prompts. */
import { ApiError } from '../../client/client.js';
import { CliError } from '../command.js';
import { InspectError, renderInspect } from '../format/formatter.js';
import type { CliContext } from '../context.js';
import { parseFilters } from '../opts/kv.js';

/** `--filter k=v` flags → the API's filters object (`{"k":["v"]}`). */
export function filtersQuery(flags: readonly string[] | undefined): Record<string, string[]> {
  return parseFilters(flags, (f) => new CliError(`invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 125));
}

/** Docker's `Are you sure you want to continue? [y/N]` prompt. */
export function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  return confirmLine(ctx, `${warning}\nAre you sure you want to continue?`);
}

/** docker's prompt.Confirm: the question and ` [y/N] ` on one line; yes only for y or yes. */
export async function confirmLine(ctx: CliContext, question: string): Promise<boolean> {
  ctx.out(`${question} [y/N] `);
  // Loaded here: under Bun node:readline costs milliseconds at the start of every command of this chunk.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: ctx.stdin });
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

/**
 * `… inspect` of named objects, as docker does it: a template that does not
 * parse fails before any request (exit 64); what was found is printed, then
 * the errors; a template that fails on an object keeps what it rendered.
 * `render` turns the objects into output (defaults to renderInspect).
 */
export async function inspectEach<T>(
  ctx: CliContext,
  names: readonly string[],
  format: string | undefined,
  fetch: (name: string) => Promise<T>,
  render: (format: string | undefined, found: T[]) => string = (f, found) => renderInspect(f, found as unknown as Record<string, unknown>[]),
): Promise<number> {
  if (format && format !== 'json') {
    try {
      renderInspect(format, []);
    } catch (e) {
      throw new CliError((e as Error).message, 64);
    }
  }
  const found: T[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
    }
  }
  try {
    ctx.out(render(format, found));
  } catch (e) {
    if (!(e instanceof InspectError)) throw e;
    ctx.out(e.output);
    errors.push(e.message);
  }
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length ? 1 : 0;
}
