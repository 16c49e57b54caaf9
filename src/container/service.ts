/**
 * The container subsystem's entry point: create, start, stop, kill, remove,
 * wait, pause, rename, restart policies, and reconciliation at daemon start
 * (live restore). It reaches everything else through named contracts only:
 * the Snapshotter (its layer), the MountProvider (volumes), the
 * NetworkAttacher (network and /etc files), the Monitor (the process that
 * holds the container), the OciRuntime, and the Host seam. A start reads
 * top to bottom in startLocked().
 *
 * Concurrency: operations on one container run one at a time (a per-container
 * lock). Exits are reported by the monitors through exit files and handled
 * without that lock, so that stop/kill/remove can wait for them.
 *
 * Errors follow Docker's: NotFound "No such container: x"; Conflict for a
 * name in use, removing a running container, starting a paused one;
 * NotModified when starting a running or stopping a stopped container.
 */
import { KeyedLock } from '../util/keyed-lock.js';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, promises as fs } from 'node:fs';
import { conflict, EngineError, invalidParameter, messageOf, notFound, notModified } from '../errdefs/errdefs.js';
import { parseLogOptions } from '../logs/options.js';
import { LogRotators, prepareLog } from '../logs/rotation.js';
import { MonitorError, type Monitor } from '../runtime/monitor/monitor.js';
import { RuntimeError, type OciRuntime, type RuntimeResources } from '../runtime/oci/runtime.js';
import type { NetworkAttacher } from '../network/attacher.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Host } from '../sys/host.js';
import type { MountProvider } from '../volume/container-mounts.js';
import type { Logger } from '../util/log.js';
import { hostsFile, resolvConf, writeEtcFiles } from './etc-files.js';
import { generateName, VALID_NAME } from './names.js';
import type { ContainerPaths } from './paths.js';
import { Backoff, restartAtDaemonStart, wantsRestart } from './restart.js';
import { buildContainerSpec, cgroupPathOf } from './runtime-spec.js';
import { specToJson } from '../runtime/spec/build.js';
import { parseSignal, SIGKILL, SIGTERM } from './signals.js';
import type { ContainerStore } from './store.js';
import { isRunning, ZERO_TIME, type ContainerRecord, type ContainerSpec } from './types.js';
import { AttachHub, type AttachOptions, type AttachSink, type AttachHandle } from './attach.js';
import { ContainerFiles } from './files.js';
import { topOf, usageOf, type ContainerUsage, type TopResult } from './processes.js';

/** Health checks of running containers (container/health.ts). */
export interface HealthWatch {
  start(rec: ContainerRecord): void;
  stop(id: string): void;
}

export interface ContainerServiceDeps {
  store: ContainerStore;
  paths: ContainerPaths;
  /** The daemon's scratch dir: temporary mounts of stopped containers' filesystems. */
  scratchDir: string;
  snapshots: Snapshotter;
  host: Host;
  runtime: OciRuntime;
  monitor: Monitor;
  network: NetworkAttacher;
  mounts: MountProvider;
  health: HealthWatch;
  log: Logger;
  /** The chain ID of the image's top layer (the parent of the container's layer). */
  imageTopLayer(imageId: string): string | undefined;
  /** Announces a lifecycle event (`create`, `start`, `die`…) with extra attributes. */
  emit(rec: ContainerRecord, action: string, attributes?: Record<string, string>): void;
}

export interface CreateOptions {
  name?: string;
}

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

const now = () => new Date().toISOString();

/** The label of a container's own layer snapshot: the container's ID. */
const CONTAINER_LABEL = 'berth.container';

export class ContainerService {
  private readonly locks = new KeyedLock();
  private readonly events = new EventEmitter();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly removedListeners: ((id: string) => void)[] = [];
  /** Generations of the logs of running containers with log limits. */
  private readonly logRotators: LogRotators;
  readonly attach: AttachHub;
  /** The container's filesystem: export, cp, diff, commit's layer. */
  readonly files: ContainerFiles;

  /** Announces an event the service does not make itself (commit, copy, export, attach, exec_*), with Docker's attributes. */
  announce(rec: ContainerRecord, action: string, attributes?: Record<string, string>): void {
    this.d.emit(rec, action, attributes);
  }

  constructor(private readonly d: ContainerServiceDeps) {
    this.events.setMaxListeners(0);
    mkdirSync(d.paths.socketDir, { recursive: true });
    mkdirSync(d.paths.runtimeRoot, { recursive: true });
    this.attach = new AttachHub((id) => d.monitor.attachSocket(d.paths.cuuid(id)));
    this.files = new ContainerFiles(d.host, d.snapshots, d.paths, d.scratchDir, d.mounts);
    this.logRotators = new LogRotators((id, err) => d.log.warn('log rotation failed', { id, err: messageOf(err) }));
  }

  get store(): ContainerStore {
    return this.d.store;
  }

  /** Called with the ID of each container once it is removed (exec sessions are forgotten then). */
  onRemoved(listener: (id: string) => void): void {
    this.removedListeners.push(listener);
  }

  /** Per-container serialisation of operations. */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }


  // --- create -------------------------------------------------------------

  async create(spec: ContainerSpec, opts: CreateOptions = {}): Promise<ContainerRecord> {
    const store = this.d.store;
    let name = opts.name?.replace(/^\//, '');
    if (name !== undefined && name !== '') {
      if (!VALID_NAME.test(name)) throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    } else {
      name = generateName();
      for (let i = 1; store.nameTaken(name); i++) name = generateName(i);
    }
    if (store.nameTaken(name)) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${store.nameTaken(name)}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const id = randomBytes(32).toString('hex');
    const parent = this.d.imageTopLayer(spec.image);
    const rec: ContainerRecord = {
      id,
      name,
      created: now(),
      spec: { ...spec, hostname: spec.hostname || id.slice(0, 12) },
      path: '',
      args: [],
      state: {
        status: 'created',
        pid: 0,
        monitorPid: 0,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: ZERO_TIME,
        finishedAt: ZERO_TIME,
        restartCount: 0,
        manuallyStopped: false,
      },
      snapshotKey: id,
      anonymousVolumes: [],
      mountPoints: [],
      incomplete: true,
    };
    const argv = [...(spec.entrypoint ?? []), ...(spec.cmd ?? [])];
    if (argv.length === 0) throw invalidParameter('No command specified');
    rec.path = argv[0]!;
    rec.args = argv.slice(1);
    try {
      // Side by side: each ends in a synced metadata write. The layer is labelled with the ID, so
      // one whose record never got written is found and removed at the next daemon start.
      const made = await Promise.allSettled([this.d.snapshots.prepare(rec.snapshotKey, parent, { [CONTAINER_LABEL]: id }), store.add(rec)]);
      for (const m of made) if (m.status === 'rejected') throw m.reason;
      const p = this.d.paths;
      await writeEtcFiles(
        { hostname: p.hostname(id), hosts: p.hosts(id), resolvConf: p.resolvConf(id) },
        {
          hostname: rec.spec.hostname,
          hosts: hostsFile([]),
          resolvConf: resolvConf({ hostResolvConf: this.d.host.net.resolvConf(), dns: spec.dns, dnsSearch: spec.dnsSearch, dnsOptions: spec.dnsOptions, keepLoopback: spec.networkMode === 'host' }),
        },
      );
      await this.d.network.register(rec);
      await this.d.mounts.resolve(rec, (r, fn) => this.files.withRootfs(r, fn));
      delete rec.incomplete;
      await Promise.all([store.save(rec), this.d.network.flush()]);
    } catch (e) {
      await this.discard(rec);
      throw e;
    }
    this.d.emit(rec, 'create');
    return rec;
  }

  /** Undoes a create that failed half-way: nothing of it stays. */
  private async discard(rec: ContainerRecord): Promise<void> {
    await this.d.network.unregister(rec).catch(() => {});
    await this.d.mounts.removed(rec, true).catch(() => {});
    if (this.d.snapshots.stat(rec.snapshotKey)) await this.d.snapshots.remove(rec.snapshotKey).catch(() => {});
    if (this.d.store.get(rec.id)) await this.d.store.remove(rec).catch(() => {});
    else await fs.rm(this.d.paths.dir(rec.id), { recursive: true, force: true });
  }

  // --- start --------------------------------------------------------------

  start(ref: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, () => this.startLocked(rec));
  }

  private async startLocked(rec: ContainerRecord): Promise<void> {
    const st = rec.state.status;
    if (st === 'running') throw notModified('container already started');
    if (st === 'paused') throw conflict('cannot start a paused container, try unpause instead');
    if (st === 'removing' || st === 'dead') throw conflict(`container ${rec.id} is marked for removal and cannot be started`);
    this.cancelRestart(rec.id, { starting: true });
    const p = this.d.paths;
    let resolveStart!: () => void;
    this.starting.set(rec.id, new Promise((r) => (resolveStart = r)));
    let mounted = false;
    let monitorStarted = false;
    let prepared = false;
    const log = this.d.log;
    let span = log.span('start.cleanup');
    try {
      await this.cleanupRuntime(rec);
      span();
      const bundle = p.bundle(rec.id);
      span = log.span('start.mount');
      await fs.mkdir(p.rootfs(rec.id), { recursive: true });
      this.d.host.mounts.mountAll(this.d.snapshots.mounts(rec.snapshotKey), p.rootfs(rec.id));
      mounted = true;
      span();
      span = log.span('start.spec');
      prepared = true; // volumes are acquired from here on
      const spec = await buildContainerSpec(rec, p, {
        host: this.d.host,
        mounts: await this.d.mounts.specMounts(rec),
        env: this.d.network.linkEnv(rec),
        namespacePid: (ref) => this.namespacePid(ref),
      });
      // Runtime state in a bundle made afresh at each start: no fsync (~13 ms here), as nothing reads it after a crash.
      await fs.writeFile(`${bundle}/config.json`, specToJson(spec), { mode: 0o600 });
      this.d.monitor.exits.consume(rec.id);
      span();
      span = log.span('start.monitor');
      const logLimits = parseLogOptions(rec.spec.logConfig.type, rec.spec.logConfig.config);
      const logSizeMax = await prepareLog(p.log(rec.id), logLimits);
      const started = await this.d.monitor.start({
        id: rec.id,
        name: rec.name,
        bundle,
        logPath: p.log(rec.id),
        command: rec.path,
        terminal: rec.spec.tty,
        stdin: rec.spec.openStdin,
        // Docker closes stdin after the first client only without a TTY (StdinOnce): with one,
        // detaching (ctrl-p ctrl-q) must leave the terminal open for the next `attach`.
        leaveStdinOpen: rec.spec.openStdin && (!rec.spec.stdinOnce || rec.spec.tty),
        ...(logSizeMax !== undefined ? { logSizeMax } : {}),
      });
      monitorStarted = true;
      this.logRotators.watch(rec.id, p.log(rec.id), logLimits);
      span();
      span = log.span('start.network');
      await this.d.network.attach(rec, started.pid);
      span();
      await this.attach.containerCreated(rec.id);
      if (rec.spec.consoleSize && rec.spec.tty) await this.resize(rec.id, rec.spec.consoleSize[0], rec.spec.consoleSize[1]).catch(() => {});
      Object.assign(rec.state, {
        status: 'running',
        pid: started.pid,
        monitorPid: started.monitorPid,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: now(),
        finishedAt: ZERO_TIME,
        manuallyStopped: false,
      });
      span = log.span('start.runtime');
      await this.d.runtime.start(rec.id);
      span();
      span = log.span('start.save');
      await Promise.all([this.d.store.save(rec), this.d.network.flush()]);
      span();
      this.d.health.start(rec);
      this.d.emit(rec, 'start');
      this.events.emit(`start:${rec.id}`);
    } catch (e) {
      const message = messageOf(e);
      this.d.log.warn('container start failed', { id: rec.id, err: message });
      this.logRotators.unwatch(rec.id);
      if (monitorStarted) await this.d.runtime.delete(rec.id, true).catch(() => {});
      if (prepared) await this.released(rec).catch(() => {});
      if (mounted) this.d.host.mounts.unmount(p.rootfs(rec.id), { detach: true });
      this.attach.containerFailed(rec.id);
      Object.assign(rec.state, {
        status: rec.state.startedAt === ZERO_TIME || rec.state.status === 'created' ? 'created' : 'exited',
        pid: 0,
        monitorPid: 0,
        exitCode: e instanceof MonitorError ? e.exitCode(128) : 128,
        error: message,
      });
      await this.d.store.save(rec).catch(() => {});
      // Docker removes an auto-remove container whose start failed: `docker run --rm`
      // waits for that removal (wait?condition=removed) and would hang otherwise.
      // Queued behind this start's lock, so it runs once the start has returned.
      if (rec.spec.autoRemove) {
        void this.remove(rec.id, { force: true, volumes: true }).catch((re: unknown) => this.d.log.warn('auto-remove after a failed start failed', { id: rec.id, err: messageOf(re) }));
      }
      throw e instanceof EngineError ? e : new EngineError('Internal', message);
    } finally {
      this.starting.delete(rec.id);
      resolveStart();
    }
  }

  /** What a container holds only while it runs, let go at its exit: health checks, network, volumes. */
  private async released(rec: ContainerRecord): Promise<void> {
    this.d.health.stop(rec.id);
    await this.d.network.detach(rec);
    await this.d.mounts.release(rec);
  }

  /** The pid of another container's process, for `container:<name>` namespace modes. */
  private namespacePid(ref: string): number {
    const other = this.d.store.resolve(ref);
    if (!isRunning(other)) throw conflict(`cannot join container ${ref}: it is not running`);
    return other.state.pid;
  }

  /** Removes runtime leftovers of an earlier run (runc state, mounts, sockets). */
  private async cleanupRuntime(rec: ContainerRecord): Promise<void> {
    const p = this.d.paths;
    // The runtime keeps state per container; only a leftover one needs a delete (a process spawn).
    if (this.d.runtime.hasState(rec.id)) await this.d.runtime.delete(rec.id, true);
    this.d.host.mounts.unmount(p.rootfs(rec.id), { detach: true });
    await fs.rm(`${p.socketDir}/${p.cuuid(rec.id)}`, { recursive: true, force: true });
    await fs.rm(p.bundle(rec.id), { recursive: true, force: true });
    await fs.mkdir(p.bundle(rec.id), { recursive: true, mode: 0o700 });
  }

  // --- exits --------------------------------------------------------------

  private async onExit(id: string, exitCode: number): Promise<void> {
    const pending = this.starting.get(id);
    if (pending) await pending;
    const rec = this.d.store.get(id);
    if (!rec) {
      this.d.monitor.exits.consume(id);
      return;
    }
    if (!isRunning(rec)) {
      this.d.monitor.exits.consume(id);
      return;
    }
    const p = this.d.paths;
    this.logRotators.unwatch(id);
    const oom = this.d.monitor.oomKilled(p.bundle(id));
    const runMs = Date.now() - Date.parse(rec.state.startedAt);
    const span = this.d.log.span('exit.cleanup');
    if (!(await this.d.runtime.removeStopped(id).catch(() => false))) {
      await this.d.runtime.delete(id, true).catch((e: unknown) => this.d.log.warn('runtime delete failed', { id, err: messageOf(e) }));
    }
    this.d.host.mounts.unmount(p.rootfs(id), { detach: true });
    span();
    // Decided in the same step as the exit, so a stop arriving meanwhile sees `restarting` and cancels it.
    const restart = !rec.spec.autoRemove && wantsRestart(rec, exitCode);
    Object.assign(rec.state, { status: restart ? 'restarting' : 'exited', pid: 0, monitorPid: 0, exitCode, oomKilled: oom, finishedAt: now() });
    // An auto-remove container is not recorded as exited (an fsync on the way to `run --rm`'s
    // answer): the remove below consumes the exit file. A crash before the removal ends leaves
    // `running` on disk; the next daemon start removes auto-remove containers that do not run.
    if (!rec.spec.autoRemove) await this.recordExit(rec);
    await this.released(rec);
    if (oom) this.d.emit(rec, 'oom');
    this.d.emit(rec, 'die', { exitCode: String(exitCode) });
    this.events.emit(`exit:${id}`, exitCode);
    if (rec.spec.autoRemove) {
      await this.remove(id, { force: true, volumes: true }).catch(async (e: unknown) => {
        this.d.log.warn('auto-remove failed', { id, err: messageOf(e) });
        if (this.d.store.get(id)) await this.recordExit(rec);
      });
      return;
    }
    if (restart && wantsRestart(rec, exitCode)) this.scheduleRestart(rec, runMs);
  }

  /** Saves an exit and only then lets its exit file go. */
  private async recordExit(rec: ContainerRecord): Promise<void> {
    await this.d.store.save(rec).catch((e: unknown) => this.d.log.error('cannot save container state', { id: rec.id, err: messageOf(e) }));
    this.d.monitor.exits.consume(rec.id);
  }

  private scheduleRestart(rec: ContainerRecord, runMs: number): void {
    const b = this.backoffs.get(rec.id) ?? new Backoff();
    this.backoffs.set(rec.id, b);
    const delay = b.next(runMs);
    rec.state.status = 'restarting';
    rec.state.restartCount++;
    void this.d.store.save(rec);
    const t = setTimeout(() => {
      this.restartTimers.delete(rec.id);
      if (rec.state.status !== 'restarting') return;
      this.start(rec.id).catch((e: unknown) => {
        this.d.log.warn('restart failed', { id: rec.id, err: messageOf(e) });
        if (this.d.store.get(rec.id) && wantsRestart(rec, rec.state.exitCode)) this.scheduleRestart(rec, 0);
      });
    }, delay);
    this.restartTimers.set(rec.id, t);
  }

  /** Cancels a pending restart; the container becomes `exited` unless a start follows at once. */
  private cancelRestart(id: string, opts: { starting?: boolean } = {}): void {
    const t = this.restartTimers.get(id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(id);
    const rec = this.d.store.get(id);
    if (rec?.state.status === 'restarting' && !opts.starting) rec.state.status = 'exited';
  }

  /** Resolves when the container is no longer running (at once if it is not). */
  private exited(id: string): Promise<void> {
    const rec = this.d.store.get(id);
    if (!rec || !isRunning(rec)) return Promise.resolve();
    return new Promise((resolve) => this.events.once(`exit:${id}`, () => resolve()));
  }

  private exitedWithin(id: string, ms: number): Promise<boolean> {
    return Promise.race([this.exited(id).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  }

  // --- stop / kill --------------------------------------------------------

  stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, async () => {
      if (rec.state.status === 'restarting') {
        rec.state.manuallyStopped = true;
        this.cancelRestart(rec.id);
        await this.d.store.save(rec);
        return;
      }
      if (!isRunning(rec)) throw notModified('container already stopped');
      rec.state.manuallyStopped = true;
      await this.d.store.save(rec);
      await this.stopLocked(rec, opts);
      this.d.emit(rec, 'stop');
    });
  }

  private async stopLocked(rec: ContainerRecord, opts: { timeout?: number; signal?: string }): Promise<void> {
    const sig = parseSignal(opts.signal ?? rec.spec.stopSignal ?? 'SIGTERM');
    const timeout = opts.timeout ?? rec.spec.stopTimeout ?? 10;
    if (timeout !== 0) {
      await this.signal(rec, sig);
      if (timeout < 0) {
        await this.exited(rec.id);
        return;
      }
      if (await this.exitedWithin(rec.id, timeout * 1000)) return;
      this.d.log.info('container did not stop in time: killing it', { id: rec.id, timeout });
    }
    await this.signal(rec, SIGKILL);
    if (!(await this.exitedWithin(rec.id, 10_000))) {
      throw new EngineError('Internal', `container ${rec.id.slice(0, 12)} did not exit 10 s after SIGKILL`);
    }
  }

  private async signal(rec: ContainerRecord, sig: number): Promise<void> {
    try {
      await this.d.runtime.kill(rec.id, sig);
      // A frozen process cannot act on a signal: thaw it (Docker does the same for stop/kill).
      if (rec.state.status === 'paused') {
        await this.d.runtime.resume(rec.id);
        rec.state.status = 'running';
      }
    } catch (e) {
      // The process may have exited between our check and the signal.
      if (!(e instanceof RuntimeError && (e.reason === 'not-running' || e.reason === 'not-found'))) throw e;
    }
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.d.store.resolve(ref);
    const sig = parseSignal(signal);
    // Not under the container's lock: a `stop` waiting out a long timeout holds it, and a kill
    // must act meanwhile (as in Docker). A kill only signals; the exit path records the rest.
    if (!isRunning(rec)) throw conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`);
    if (sig === SIGKILL || sig === SIGTERM) {
      rec.state.manuallyStopped = true;
      await this.d.store.save(rec);
    }
    this.d.emit(rec, 'kill', { signal: String(sig) });
    await this.signal(rec, sig);
    if (sig === SIGKILL) await this.exitedWithin(rec.id, 10_000);
  }

  restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, async () => {
      this.cancelRestart(rec.id);
      if (isRunning(rec)) {
        rec.state.manuallyStopped = true;
        await this.stopLocked(rec, opts);
      }
      await this.startLocked(rec);
      this.d.emit(rec, 'restart');
    });
  }

  // --- pause ---------------------------------------------------------------

  /** Freezes the container; `transient` (commit) marks it to be thawed if the daemon dies before unpause. */
  pause(ref: string, opts: { transient?: boolean } = {}): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, async () => {
      if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
      if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
      if (opts.transient) {
        rec.state.transientPause = true;
        await this.d.store.save(rec);
      }
      try {
        await this.d.runtime.pause(rec.id);
      } catch (e) {
        if (opts.transient) {
          delete rec.state.transientPause;
          await this.d.store.save(rec);
        }
        throw e;
      }
      rec.state.status = 'paused';
      await this.d.store.save(rec);
      this.d.emit(rec, 'pause');
    });
  }

  unpause(ref: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, async () => {
      if (rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
      await this.d.runtime.resume(rec.id);
      rec.state.status = 'running';
      delete rec.state.transientPause;
      await this.d.store.save(rec);
      this.d.emit(rec, 'unpause');
    });
  }

  /**
   * At daemon start, for a container whose monitor lives: the pause state
   * the runtime really has. A transient pause (commit) interrupted by a crash
   * is thawed; a user's pause that the crash kept from being recorded is recorded.
   */
  private async reconcilePause(rec: ContainerRecord): Promise<void> {
    const frozen = this.d.host.cgroups.frozen(cgroupPathOf(rec));
    if (rec.state.transientPause) {
      if (frozen) await this.d.runtime.resume(rec.id);
      rec.state.status = 'running';
      delete rec.state.transientPause;
      await this.d.store.save(rec);
      return;
    }
    const status = frozen ? 'paused' : 'running';
    if (rec.state.status !== status) {
      rec.state.status = status;
      await this.d.store.save(rec);
    }
  }

  // --- remove ---------------------------------------------------------------

  remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.locked(rec.id, async () => {
      if (rec.state.status === 'removing') throw conflict(`removal of container ${rec.id.slice(0, 12)} is already in progress`);
      // A container waiting to be restarted counts as running, as in Docker: without force it stays.
      if (rec.state.status === 'restarting' && !opts.force) {
        throw conflict(`You cannot remove a restarting container ${rec.id}. Stop the container before attempting removal or force remove`);
      }
      if (isRunning(rec)) {
        if (!opts.force) {
          throw conflict(
            `You cannot remove a ${rec.state.status} container ${rec.id}. ${rec.state.status === 'paused' ? 'Unpause and then stop' : 'Stop'} the container before attempting removal or force remove`,
          );
        }
        rec.state.manuallyStopped = true;
        await this.signal(rec, SIGKILL);
        await this.exitedWithin(rec.id, 10_000);
      }
      this.cancelRestart(rec.id);
      // Recorded before anything goes: a crash in the middle is finished at the next start. An
      // auto-remove container needs no record of it (one fsync less per `run --rm`): the next
      // start removes every auto-remove container that is not running, as Docker's restore does.
      rec.state.status = 'removing';
      rec.state.removeVolumes = !!opts.volumes;
      if (!rec.spec.autoRemove) await this.d.store.save(rec);
      const p = this.d.paths;
      if (this.d.runtime.hasState(rec.id)) await this.d.runtime.delete(rec.id, true).catch(() => {});
      this.d.host.mounts.unmount(p.rootfs(rec.id), { detach: true });
      await fs.rm(p.bundle(rec.id), { recursive: true, force: true });
      await fs.rm(`${p.socketDir}/${p.cuuid(rec.id)}`, { recursive: true, force: true });
      this.d.monitor.exits.consume(rec.id);
      this.logRotators.unwatch(rec.id);
      if (this.d.snapshots.stat(rec.snapshotKey)) await this.d.snapshots.remove(rec.snapshotKey);
      await this.d.network.unregister(rec);
      await this.d.mounts.removed(rec, !!opts.volumes);
      await this.d.store.remove(rec);
      for (const listener of this.removedListeners) listener(rec.id);
      this.backoffs.delete(rec.id);
      this.d.emit(rec, 'destroy');
      this.events.emit(`removed:${rec.id}`);
    });
  }

  // --- wait -----------------------------------------------------------------

  /**
   * Resolves per condition: not-running (now if not running), next-exit
   * (the next exit), removed (when the container is gone).
   */
  wait(ref: string, condition: WaitCondition = 'not-running'): { ready: Promise<WaitResult> } {
    const rec = this.d.store.resolve(ref);
    const result = (): WaitResult => ({ StatusCode: rec.state.exitCode, Error: rec.state.error && rec.state.status !== 'running' && rec.state.startedAt === ZERO_TIME ? { Message: rec.state.error } : null });
    if (condition === 'removed') {
      return { ready: new Promise((resolve) => this.events.once(`removed:${rec.id}`, () => resolve(result()))) };
    }
    const running = isRunning(rec) || rec.state.status === 'restarting';
    if (condition === 'not-running' && !running) return { ready: Promise.resolve(result()) };
    return {
      ready: new Promise((resolve) => {
        const onExit = () => {
          this.events.off(`removed:${rec.id}`, onRemoved);
          resolve(result());
        };
        const onRemoved = () => {
          this.events.off(`exit:${rec.id}`, onExit);
          resolve(result());
        };
        this.events.once(`exit:${rec.id}`, onExit);
        this.events.once(`removed:${rec.id}`, onRemoved);
      }),
    };
  }

  // --- rename / resize ------------------------------------------------------

  rename(ref: string, newName: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    const name = newName.replace(/^\//, '');
    if (!VALID_NAME.test(name)) throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (name === rec.name) throw invalidParameter('Renaming a container with the same name as its current name');
    return this.locked(rec.id, async () => {
      const oldName = rec.name;
      await this.d.store.rename(rec, name);
      this.d.emit(rec, 'rename', { oldName: `/${oldName}` });
    });
  }

  /**
   * Removes a legacy link by its name `/parent/alias` (DELETE with link=1, as
   * moby's rmLink): the parent forgets it; both containers stay.
   */
  removeLink(linkName: string): Promise<void> {
    const name = linkName.startsWith('/') ? linkName : `/${linkName}`;
    const cut = name.lastIndexOf('/');
    if (cut === 0) throw conflict('Conflict, cannot remove the default link name of the container');
    const [parentRef, alias] = [name.slice(1, cut), name.slice(cut + 1)];
    const parent = this.d.store.tryResolve(parentRef);
    if (!parent) throw notFound(`No such container: ${linkName}`);
    const aliasOf = (l: string) => {
      const [target, a] = l.replace(/^\//, '').split(':');
      return (a ?? target!).split('/').pop();
    };
    if (!parent.spec.links.some((l) => aliasOf(l) === alias)) throw notFound(`No such container: ${linkName}`);
    return this.locks.run(parent.id, async () => {
      parent.spec.links = parent.spec.links.filter((l) => aliasOf(l) !== alias);
      await this.d.store.save(parent);
    });
  }

  /** Resizes the container's terminal (conmon's ctl fifo: `1 <height> <width>`). */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (!isRunning(rec)) throw conflict(`Container ${rec.id} is not running`);
    if (!rec.spec.tty) return;
    await this.d.monitor.resize(this.d.paths.bundle(rec.id), height, width);
  }

  /** The container's processes as ps shows them (docker top). */
  async top(rec: ContainerRecord, psArgs: string | undefined): Promise<TopResult> {
    if (!isRunning(rec)) throw conflict(`Container ${rec.id} is not running`);
    return topOf(this.d.host, await this.d.runtime.pids(rec.id), psArgs);
  }

  /** What the container uses now (docker stats). */
  usage(rec: ContainerRecord): ContainerUsage {
    return usageOf(this.d.host, rec);
  }

  updateResources(rec: ContainerRecord, r: RuntimeResources): Promise<void> {
    return this.locked(rec.id, () => this.d.runtime.update(rec.id, r));
  }

  attachTo(ref: string, opts: AttachOptions, sink: AttachSink): AttachHandle {
    const rec = this.d.store.resolve(ref);
    const running = isRunning(rec);
    return this.attach.attach(rec.id, opts, sink, running);
  }

  // --- daemon start / stop ----------------------------------------------------

  /**
   * Reconciles records with reality after a daemon (re)start: containers whose
   * monitor is alive stay running; those that exited meanwhile get their
   * recorded exit code; restart policies are applied.
   */
  async restore(): Promise<void> {
    const toStart: ContainerRecord[] = [];
    await this.discardUnfinished();
    const mounted = new Set(this.d.host.mounts.mountsUnder(this.d.paths.containersRunDir));
    const leftover = (rec: ContainerRecord) => this.d.runtime.hasState(rec.id) || mounted.has(this.d.paths.rootfs(rec.id));
    for (const rec of this.d.store.all()) {
      const st = rec.state.status;
      if (st === 'running' || st === 'paused') {
        const code = this.d.monitor.exits.read(rec.id);
        if (code !== undefined) {
          // Exited while berthd was down: record it before the API serves (as Docker's restore
          // does), rather than leaving it to the watcher, which races with the first requests.
          await this.onExit(rec.id, code);
          continue;
        }
        if (this.d.monitor.alive(rec.state.monitorPid)) {
          await this.reconcilePause(rec);
          this.watchLog(rec);
          continue;
        }
        // Monitor gone without an exit file (host crash, killed monitor).
        this.d.log.warn('container monitor is gone; marking the container exited', { id: rec.id });
        await this.d.runtime.delete(rec.id, true).catch(() => {});
        this.d.host.mounts.unmount(this.d.paths.rootfs(rec.id), { detach: true });
        Object.assign(rec.state, { status: 'exited', pid: 0, monitorPid: 0, exitCode: 128 + SIGKILL, finishedAt: now(), error: 'container monitor exited unexpectedly' });
        if (rec.spec.autoRemove) {
          // An auto-remove container whose removal a crash interrupted (it is not recorded as removing).
          await this.remove(rec.id, { force: true, volumes: true }).catch((e: unknown) => this.d.log.warn('cannot remove an auto-remove container', { id: rec.id, err: messageOf(e) }));
          continue;
        }
        await this.d.store.save(rec);
        if (restartAtDaemonStart(rec)) toStart.push(rec);
      } else if (st === 'restarting' || st === 'removing') {
        if (st === 'removing') {
          // A removal the crash interrupted: finished now, with the volumes option it was given.
          rec.state.status = 'dead';
          await this.remove(rec.id, { force: true, volumes: !!rec.state.removeVolumes }).catch((e: unknown) => this.d.log.warn('cannot finish the removal of a container', { id: rec.id, err: messageOf(e) }));
          continue;
        }
        rec.state.status = 'exited';
        await this.d.store.save(rec);
        toStart.push(rec);
      } else {
        // created, exited, dead: a start or an exit interrupted by the crash may have left a runtime behind.
        if (leftover(rec)) await this.reapInterrupted(rec);
        if (rec.spec.autoRemove && st !== 'created') {
          // Exited (or its removal interrupted) while no daemon could remove it: gone now.
          await this.remove(rec.id, { force: true, volumes: true }).catch((e: unknown) => this.d.log.warn('cannot remove an auto-remove container', { id: rec.id, err: messageOf(e) }));
          continue;
        }
        if (st === 'exited' && restartAtDaemonStart(rec)) toStart.push(rec);
      }
    }
    this.d.monitor.exits.start((id, code) => void this.onExit(id, code));
    for (const rec of toStart) {
      this.start(rec.id).catch((e: unknown) => this.d.log.warn('restart at daemon start failed', { id: rec.id, err: messageOf(e) }));
    }
  }

  /**
   * A container the record says is not running, but whose start (or exit
   * handling) a crash interrupted: its process, monitor, mount and network
   * go, as Docker's restore deletes tasks of containers it did not record as
   * running. The record keeps its state.
   */
  private async reapInterrupted(rec: ContainerRecord): Promise<void> {
    this.d.log.info('cleaning up a container start or exit interrupted by a crash', { id: rec.id, status: rec.state.status });
    await this.d.runtime.delete(rec.id, true).catch((e: unknown) => this.d.log.warn('runtime delete failed', { id: rec.id, err: messageOf(e) }));
    this.d.host.mounts.unmount(this.d.paths.rootfs(rec.id), { detach: true });
    await this.released(rec).catch((e: unknown) => this.d.log.warn('cleanup after an interrupted start failed', { id: rec.id, err: messageOf(e) }));
  }

  /**
   * What a crash during create left: records still marked incomplete, and
   * container layers whose record was never written.
   */
  private async discardUnfinished(): Promise<void> {
    for (const rec of this.d.store.all()) {
      if (!rec.incomplete) continue;
      this.d.log.info('removing a container whose create was interrupted', { id: rec.id });
      await this.discard(rec);
    }
    for (const s of this.d.snapshots.walk()) {
      const owner = s.labels[CONTAINER_LABEL];
      if (s.kind === 'committed' || owner === undefined || this.d.store.get(owner)) continue;
      this.d.log.info('removing the layer of a container that was never recorded', { id: owner });
      await this.d.snapshots.remove(s.name).catch((e: unknown) => this.d.log.warn('cannot remove an orphan container layer', { id: owner, err: messageOf(e) }));
    }
  }

  /** Keeps the log generations of a container found running at daemon start. */
  private watchLog(rec: ContainerRecord): void {
    try {
      this.logRotators.watch(rec.id, this.d.paths.log(rec.id), parseLogOptions(rec.spec.logConfig.type, rec.spec.logConfig.config));
    } catch (e) {
      // options stored before they were checked: the container runs without rotation until its next start, which refuses them
      this.d.log.warn('cannot apply the container\'s log options', { id: rec.id, err: messageOf(e) });
    }
  }

  /** Stops watching; containers keep running under their monitors. */
  close(): void {
    this.d.monitor.exits.stop();
    this.logRotators.close();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.attach.closeAll();
  }
}
