/**
 * Restart policies with Docker's back-off: the delay starts at 100 ms and
 * doubles after each restart up to one minute; a run of 10 s or more resets
 * it. A container stopped by the user is not restarted while the daemon
 * runs; at daemon start `always` brings it back, `unless-stopped` does not.
 */
import type { ContainerRecord } from './types.js';

const DEFAULT_DELAY = 100;
const MAX_DELAY = 60_000;

export function wantsRestart(rec: ContainerRecord, exitCode: number): boolean {
  const p = rec.spec.restartPolicy;
  if (rec.state.manuallyStopped) return false;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.maximumRetryCount === 0 || rec.state.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}

/** Whether a container that is not running should be started when the daemon starts. */
export function restartAtDaemonStart(rec: ContainerRecord): boolean {
  const p = rec.spec.restartPolicy;
  if (p.name === 'always') return true;
  if (p.name === 'unless-stopped') return !rec.state.manuallyStopped;
  if (p.name === 'on-failure') return !rec.state.manuallyStopped && rec.state.exitCode !== 0 && rec.state.startedAt !== '0001-01-01T00:00:00Z' && (p.maximumRetryCount === 0 || rec.state.restartCount < p.maximumRetryCount);
  return false;
}

/** Per-container back-off state (in memory: a daemon restart starts it afresh, as Docker). */
export class Backoff {
  private delay = 0;

  /** The delay before the next restart, given how long the last run lasted. */
  next(runMs: number): number {
    if (runMs >= 10_000) this.delay = 0;
    this.delay = this.delay === 0 ? DEFAULT_DELAY : Math.min(this.delay * 2, MAX_DELAY);
    return this.delay;
  }
}
