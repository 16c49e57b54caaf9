/**
 * The runc implementation of the OciRuntime contract (runtime.ts): a thin,
 * stateless wrapper over the runc binary, through the Host seam.
 *
 * runc reports failures only as text (JSON log lines or plain stderr): call()
 * turns them into RuntimeError with a reason, in this one place.
 */
import { join } from 'node:path';
import { CommandError } from '../../sys/exec.js';
import type { Host } from '../../sys/host.js';
import { RuntimeError, type OciRuntime, type RuntimeErrorReason, type RuntimeResources, type RuntimeState } from './runtime.js';

export { RuntimeError, type RuntimeResources, type RuntimeState } from './runtime.js';

export class Runc implements OciRuntime {
  constructor(
    private readonly host: Host,
    /** runc's state directory (--root). */
    readonly root: string,
    readonly binary = '/usr/sbin/runc',
  ) {}

  private async call(args: string[], input?: string): Promise<string> {
    try {
      const r = await this.host.processes.run([this.binary, '--root', this.root, ...args], input !== undefined ? { input } : {});
      return r.stdout;
    } catch (e) {
      if (e instanceof CommandError) {
        const message = runcMessage(e.result.stderr || e.result.stdout);
        throw new RuntimeError(message, failureReason(message));
      }
      throw e;
    }
  }

  /**
   * What `runc start` does, without spawning runc (20–40 ms, more on a loaded
   * host): after `runc create`, the container's init blocks writing to
   * exec.fifo in runc's state dir until someone reads it, then runs the
   * process; runc tells created from running by that fifo's presence, so it
   * is removed once read. When the fifo or the state is not there, runc
   * itself is asked, to report why.
   */
  async start(id: string): Promise<void> {
    const dir = join(this.root, id);
    const fifo = join(dir, 'exec.fifo');
    const pid = (await this.readState(id))?.init_process_pid;
    if (!pid || !this.host.files.exists(fifo)) {
      await this.call(['start', id]);
      return;
    }
    // The writer is `runc init` until it has read its go-ahead (a zombie's empty command line counts as gone).
    const got = await this.host.files.readFifo(fifo, () => this.host.processes.alive(pid, 'runc'));
    if (!got?.length) throw new RuntimeError(`cannot start container ${id}: its init process (pid ${pid}) exited before it was started`, 'not-running');
    await this.host.files.removeTree(fifo);
  }

  /** runc's own record of a container (state.json in its state dir); undefined when absent or unreadable. */
  private async readState(id: string): Promise<{ init_process_pid?: number; cgroup_paths?: Record<string, string> } | undefined> {
    try {
      const text = await this.host.files.readText(join(this.root, id, 'state.json'));
      return text === undefined ? undefined : (JSON.parse(text) as { init_process_pid?: number; cgroup_paths?: Record<string, string> });
    } catch {
      return undefined;
    }
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
    const state = await this.readState(id);
    if (!state) return false;
    if (state.init_process_pid && this.host.processes.alive(state.init_process_pid)) return false;
    if (!(await this.host.cgroups.remove(Object.values(state.cgroup_paths ?? {})))) return false;
    await this.host.files.removeTree(dir);
    return true;
  }

  hasState(id: string): boolean {
    return this.host.files.exists(join(this.root, id));
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return JSON.parse(await this.call(['state', id])) as RuntimeState;
    } catch (e) {
      if (e instanceof RuntimeError && e.reason === 'not-found') return undefined;
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

function failureReason(message: string): RuntimeErrorReason {
  if (/does not exist|container not found/i.test(message)) return 'not-found';
  if (/not running|process already finished|container has stopped/i.test(message)) return 'not-running';
  return 'other';
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
