/** Waiting helpers for integration tests: poll instead of fixed sleeps. */
import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns something truthy; fails with `what` after timeoutMs. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

export function pidAlive(pid: number): boolean {
  // kill(0) and kill(-1) would signal groups, not a process: they are no answer.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What the kernel says about a process and its parent: for failure messages of tests that wait on pids. */
export function procReport(pid: number): string {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch (e) {
      return `(${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`;
    }
  };
  const field = (status: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?';
  const status = read(`/proc/${pid}/status`);
  const ppid = Number(field(status, 'PPid'));
  const lines = [`pid ${pid}: ${field(status, 'Name')} state ${field(status, 'State')} ppid ${ppid} wchan ${read(`/proc/${pid}/wchan`)}`];
  if (ppid > 0) {
    const pstatus = read(`/proc/${ppid}/status`);
    lines.push(`parent ${ppid}: ${read(`/proc/${ppid}/cmdline`).replace(/\0/g, ' ')} state ${field(pstatus, 'State')} wchan ${read(`/proc/${ppid}/wchan`)}`);
    lines.push(`parent stack:\n${read(`/proc/${ppid}/stack`)}`);
  }
  return lines.join('\n');
}
