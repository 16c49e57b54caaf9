/** Looking at host processes: alive checks and signals by pid. */
import { readFileSync } from 'node:fs';

/** True when pid exists and its command line contains `expect` (guards against pid reuse). */
export function processAlive(pid: number, expect?: string): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (expect === undefined) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(expect);
  } catch {
    return false;
  }
}

/** The process state letter from /proc (R, S, Z…), or undefined when gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export function signalProcess(pid: number, sig: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
