/**
 * Health checks as Docker runs them: the probe command (exec form for CMD,
 * `/bin/sh -c` for CMD-SHELL) runs in the container every interval; a probe
 * that exits non-zero or outlives its timeout is a failure; after `retries`
 * consecutive failures the container is unhealthy; failures during the start
 * period do not count. The last five results are kept, output cut at 4 KiB.
 */
import type { HealthResult, ContainerRecord, HealthSpec } from './types.js';

const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export interface ProbeResult {
  exitCode: number;
  output: string;
}

export interface HealthDeps {
  /** Runs cmd in the container; resolves with exit code -1 and a message on timeout. */
  probe(rec: ContainerRecord, cmd: string[], timeoutMs: number): Promise<ProbeResult>;
  /** Persist the record and announce a status change. */
  changed(rec: ContainerRecord, statusChanged: boolean): Promise<void>;
}

export function probeCommand(test: string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: HealthDeps) {}

  start(rec: ContainerRecord): void {
    const hc = rec.spec.healthcheck;
    if (!hc) return;
    const cmd = probeCommand(hc.test);
    if (!cmd) return;
    this.stop(rec.id);
    rec.state.health = { status: 'starting', failingStreak: 0, log: [] };
    const startedAt = Date.now();
    const tick = () => {
      void this.runOnce(rec, hc, cmd, startedAt).finally(() => {
        if (this.timers.has(rec.id)) this.timers.set(rec.id, setTimeout(tick, hc.intervalNs / 1e6));
      });
    };
    this.timers.set(rec.id, setTimeout(tick, hc.intervalNs / 1e6));
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }

  private async runOnce(rec: ContainerRecord, hc: HealthSpec, cmd: string[], startedAt: number): Promise<void> {
    const start = new Date();
    let r: ProbeResult;
    try {
      r = await this.d.probe(rec, cmd, hc.timeoutNs / 1e6);
    } catch (e) {
      r = { exitCode: -1, output: (e as Error).message };
    }
    const h = rec.state.health;
    if (!h || !this.timers.has(rec.id)) return;
    const result: HealthResult = { start: start.toISOString(), end: new Date().toISOString(), exitCode: r.exitCode, output: r.output.slice(0, MAX_OUTPUT) };
    h.log = [...h.log, result].slice(-MAX_LOG);
    const before = h.status;
    if (r.exitCode === 0) {
      h.failingStreak = 0;
      h.status = 'healthy';
    } else if (Date.now() - startedAt >= hc.startPeriodNs / 1e6 || h.status !== 'starting') {
      h.failingStreak++;
      if (h.failingStreak >= hc.retries) h.status = 'unhealthy';
    }
    await this.d.changed(rec, before !== h.status);
  }
}
