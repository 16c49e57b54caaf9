/**
 * The OCI runtime driver: a thin, stateless wrapper over the runc binary.
 * State rules (what may be started, stopped, paused) live in container/, not
 * here. `create` is not here: the monitor (conmon) runs it.
 *
 * Errors: a failed runc call throws RuntimeError with runc's own message;
 * state() returns undefined for an unknown container instead of throwing.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeCgroupDirs } from '../../sys/cgroups.js';
import { CommandError, run } from '../../sys/exec.js';
import { processAlive } from '../../sys/proc.js';

export class RuntimeError extends Error {}

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export interface RuntimeResources {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export class Runc {
  constructor(
    /** runc's state directory (--root). */
    readonly root: string,
    readonly binary = '/usr/sbin/runc',
  ) {}

  private async call(args: string[], input?: string): Promise<string> {
    try {
      const r = await run([this.binary, '--root', this.root, ...args], input !== undefined ? { input } : {});
      return r.stdout;
    } catch (e) {
      if (e instanceof CommandError) throw new RuntimeError(runcMessage(e.result.stderr || e.result.stdout));
      throw e;
    }
  }

  async start(id: string): Promise<void> {
    await this.call(['start', id]);
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.call(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.call(['delete', ...(force ? ['--force'] : []), id]);
  }

  /**
   * What `runc delete` does for a container whose process has exited (remove
   * its cgroups and its state directory), done in-process: spawning runc costs
   * about 10 ms on every exit. Resolves false when that was not possible
   * (process still there, cgroup busy, unreadable state); the caller then
   * runs delete.
   */
  async removeStopped(id: string): Promise<boolean> {
    const dir = join(this.root, id);
    let state: { init_process_pid?: number; cgroup_paths?: Record<string, string> };
    try {
      state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as typeof state;
    } catch {
      return false;
    }
    if (state.init_process_pid && processAlive(state.init_process_pid)) return false;
    if (!(await removeCgroupDirs(Object.values(state.cgroup_paths ?? {})))) return false;
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return JSON.parse(await this.call(['state', id])) as RuntimeState;
    } catch (e) {
      if (e instanceof RuntimeError && /does not exist|not exist/.test(e.message)) return undefined;
      throw e;
    }
  }

  async pause(id: string): Promise<void> {
    await this.call(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.call(['resume', id]);
  }

  /** The host pids of every process in the container. */
  async pids(id: string): Promise<number[]> {
    return JSON.parse(await this.call(['ps', '--format', 'json', id])) as number[] ?? [];
  }

  async update(id: string, r: RuntimeResources): Promise<void> {
    const resources = {
      memory: {
        ...(r.memory !== undefined ? { limit: r.memory } : {}),
        ...(r.memorySwap !== undefined ? { swap: r.memorySwap } : {}),
        ...(r.memoryReservation !== undefined ? { reservation: r.memoryReservation } : {}),
      },
      cpu: {
        ...(r.cpuShares !== undefined ? { shares: r.cpuShares } : {}),
        ...(r.cpuQuota !== undefined ? { quota: r.cpuQuota } : {}),
        ...(r.cpuPeriod !== undefined ? { period: r.cpuPeriod } : {}),
        ...(r.cpusetCpus !== undefined ? { cpus: r.cpusetCpus } : {}),
        ...(r.cpusetMems !== undefined ? { mems: r.cpusetMems } : {}),
      },
      ...(r.pidsLimit !== undefined ? { pids: { limit: r.pidsLimit } } : {}),
      ...(r.blkioWeight !== undefined ? { blockIO: { weight: r.blkioWeight } } : {}),
    };
    await this.call(['update', '--resources', '-', id], JSON.stringify(resources));
  }
}

/** runc logs JSON lines ({"level":"error","msg":…}) or plain text; keep the message. */
export function runcMessage(out: string): string {
  const msgs: string[] = [];
  for (const line of out.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      const j = JSON.parse(t) as { msg?: string; level?: string };
      if (j.msg && j.level !== 'debug' && j.level !== 'info') msgs.push(j.msg);
    } catch {
      msgs.push(t);
    }
  }
  return msgs.join(': ') || out.trim();
}
