/** Signal names and numbers as `docker kill -s` and `--stop-signal` accept them. */
import os from 'node:os';
import { invalidParameter } from '../errdefs/errdefs.js';

const SIGNALS = os.constants.signals as Record<string, number>;

/** Parses `KILL`, `SIGKILL`, `9`, `SIGRTMIN+3` into a signal number. */
export function parseSignal(s: string): number {
  const t = s.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n <= 0 || n > 64) throw invalidParameter(`invalid signal: ${s}`);
    return n;
  }
  const name = t.startsWith('SIG') ? t : `SIG${t}`;
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'IN' ? 34 : 64;
    const n = base + Number(rt[2] ?? 0);
    if (n < 34 || n > 64) throw invalidParameter(`invalid signal: ${s}`);
    return n;
  }
  const n = SIGNALS[name];
  if (n === undefined) throw invalidParameter(`invalid signal: ${s}`);
  return n;
}

export const SIGKILL = 9;
export const SIGTERM = 15;
