/**
 * Recording fakes of the engine's contracts (OciRuntime, Monitor,
 * NetworkAttacher, MountProvider, HealthWatch), for unit tests of the
 * container state machine. Each records its calls in a shared journal, so a
 * test can assert the order of a start or of a rollback, and each can be told
 * to fail its next call of a given kind.
 */
import type { ContainerRecord } from '../../src/container/types.js';
import type { HealthWatch } from '../../src/container/service.js';
import type { NetworkAttacher } from '../../src/network/attacher.js';
import { MonitorError, type ContainerMonitorOptions, type ExecMonitor, type ExecMonitorOptions, type ExitSource, type Monitor, type MonitorStarted } from '../../src/runtime/monitor/monitor.js';
import { RuntimeError, type OciRuntime, type RuntimeResources, type RuntimeState } from '../../src/runtime/oci/runtime.js';
import type { SpecMount } from '../../src/runtime/spec/build.js';
import type { MountProvider, RootfsAccess } from '../../src/volume/container-mounts.js';

/** The calls of every fake, in order: `runtime.start <id>`, `network.attach <id>`… */
export class Journal {
  readonly entries: string[] = [];
  private readonly failures: { match: string; error: Error }[] = [];

  record(entry: string): void {
    this.entries.push(entry);
    const i = this.failures.findIndex((f) => entry.startsWith(f.match));
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f!.error;
    }
  }

  /** The next call recorded as starting with `match` throws `error`. */
  failOn(match: string, error: Error): void {
    this.failures.push({ match, error });
  }

  /** The entries for one container, its ID replaced by `C`. */
  of(id: string): string[] {
    return this.entries.filter((e) => e.includes(id)).map((e) => e.replaceAll(id, 'C'));
  }
}

/** An OCI runtime whose containers are entries in a map; processes are pids in a live set. */
export class FakeRuntime implements OciRuntime {
  readonly binary = '/fake/runc';
  readonly root = '/fake/runc-state';
  readonly containers = new Map<string, { pid: number; status: RuntimeState['status'] }>();

  constructor(
    private readonly journal: Journal,
    private readonly live: Set<number>,
  ) {}

  private get(id: string) {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`container "${id}" does not exist`, 'not-found');
    return c;
  }

  async start(id: string): Promise<void> {
    this.journal.record(`runtime.start ${id}`);
    this.get(id).status = 'running';
  }

  async kill(id: string, signal: string | number): Promise<void> {
    this.journal.record(`runtime.kill ${id} ${signal}`);
    const c = this.get(id);
    if (!this.live.has(c.pid)) throw new RuntimeError('container not running', 'not-running');
  }

  async delete(id: string, force = false): Promise<void> {
    this.journal.record(`runtime.delete ${id}${force ? ' --force' : ''}`);
    const c = this.containers.get(id);
    if (c && force) this.live.delete(c.pid);
    this.containers.delete(id);
  }

  async removeStopped(id: string): Promise<boolean> {
    this.journal.record(`runtime.removeStopped ${id}`);
    this.containers.delete(id);
    return true;
  }

  hasState(id: string): boolean {
    return this.containers.has(id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const c = this.containers.get(id);
    return c ? { id, pid: c.pid, status: c.status, bundle: '' } : undefined;
  }

  async pause(id: string): Promise<void> {
    this.journal.record(`runtime.pause ${id}`);
    this.get(id).status = 'paused';
  }

  async resume(id: string): Promise<void> {
    this.journal.record(`runtime.resume ${id}`);
    this.get(id).status = 'running';
  }

  async pids(id: string): Promise<number[]> {
    return [this.get(id).pid];
  }

  async update(id: string, _r: RuntimeResources): Promise<void> {
    this.journal.record(`runtime.update ${id}`);
  }
}

/** Exit notifications driven by the test: exit(id, code) is what a monitor's exit file would say. */
export class FakeExits implements ExitSource {
  private onExit: ((id: string, code: number) => void) | undefined;
  readonly recorded = new Map<string, number>();

  start(onExit: (id: string, exitCode: number) => void): void {
    this.onExit = onExit;
    for (const [id, code] of this.recorded) onExit(id, code);
  }

  stop(): void {
    this.onExit = undefined;
  }

  read(id: string): number | undefined {
    return this.recorded.get(id);
  }

  consume(id: string): void {
    this.recorded.delete(id);
  }

  /** The container's process exits with code (reported at once when watched, else kept for start()). */
  exit(id: string, code: number): void {
    this.recorded.set(id, code);
    this.onExit?.(id, code);
  }
}

/** A monitor that "creates" the container in the fake runtime with the next pid. */
export class FakeMonitor implements Monitor {
  readonly exits = new FakeExits();
  readonly monitors = new Set<number>();
  readonly oom = new Set<string>();
  private nextPid = 1000;

  constructor(
    private readonly journal: Journal,
    private readonly runtime: FakeRuntime,
    private readonly live: Set<number>,
  ) {}

  async start(o: ContainerMonitorOptions): Promise<MonitorStarted> {
    this.journal.record(`monitor.start ${o.id}`);
    const pid = this.nextPid++;
    const monitorPid = this.nextPid++;
    this.live.add(pid);
    this.monitors.add(monitorPid);
    this.runtime.containers.set(o.id, { pid, status: 'created' });
    return { pid, monitorPid };
  }

  startExec(o: ExecMonitorOptions): ExecMonitor {
    this.journal.record(`monitor.startExec ${o.containerId}`);
    const err = new MonitorError('exec is not faked', 'other');
    const rejected = Promise.reject(err);
    rejected.catch(() => {});
    return { attachReady: Promise.resolve(), begin: () => {}, pid: rejected, exitCode: rejected };
  }

  alive(monitorPid: number): boolean {
    return this.monitors.has(monitorPid);
  }

  oomKilled(bundle: string): boolean {
    return this.oom.has(bundle);
  }

  async resize(bundle: string, height: number, width: number): Promise<void> {
    this.journal.record(`monitor.resize ${bundle} ${height}x${width}`);
  }

  attachSocket(cuuid: string): string {
    return `/fake/attach/${cuuid}`;
  }
}

export class FakeNetwork implements NetworkAttacher {
  readonly attached = new Set<string>();
  readonly registered = new Set<string>();

  constructor(private readonly journal: Journal) {}

  async register(rec: ContainerRecord): Promise<void> {
    this.journal.record(`network.register ${rec.id}`);
    this.registered.add(rec.id);
  }

  async attach(rec: ContainerRecord, pid: number): Promise<void> {
    this.journal.record(`network.attach ${rec.id} ${pid}`);
    this.attached.add(rec.id);
  }

  async detach(rec: ContainerRecord): Promise<void> {
    this.journal.record(`network.detach ${rec.id}`);
    this.attached.delete(rec.id);
  }

  async unregister(rec: ContainerRecord): Promise<void> {
    this.journal.record(`network.unregister ${rec.id}`);
    this.registered.delete(rec.id);
  }

  async flush(): Promise<void> {
    this.journal.record('network.flush');
  }

  linkEnv(): string[] {
    return [];
  }
}

export class FakeMounts implements MountProvider {
  readonly held = new Set<string>();

  constructor(private readonly journal: Journal) {}

  async resolve(rec: ContainerRecord, _rootfs: RootfsAccess): Promise<void> {
    this.journal.record(`mounts.resolve ${rec.id}`);
  }

  async specMounts(rec: ContainerRecord): Promise<SpecMount[]> {
    this.journal.record(`mounts.specMounts ${rec.id}`);
    this.held.add(rec.id);
    return [];
  }

  async release(rec: ContainerRecord): Promise<void> {
    this.journal.record(`mounts.release ${rec.id}`);
    this.held.delete(rec.id);
  }

  async removed(rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    this.journal.record(`mounts.removed ${rec.id}${removeAnonymous ? ' -v' : ''}`);
    this.held.delete(rec.id);
  }

  async restore(running: ContainerRecord[]): Promise<void> {
    for (const r of running) this.held.add(r.id);
  }
}

export class FakeHealth implements HealthWatch {
  readonly watched = new Set<string>();

  start(rec: ContainerRecord): void {
    if (rec.spec.healthcheck) this.watched.add(rec.id);
  }

  stop(id: string): void {
    this.watched.delete(id);
  }
}
