/**
 * Implements the container routes' Backend with the container subsystem and
 * its neighbours (images, logs, cgroups): resolves names, converts to
 * Docker's shapes, applies list filters.
 */
import os from 'node:os';
import type { Readable } from 'node:stream';
import { checkFilterNames, matchLabels, type Filters } from '../api/filters.js';
import type { AttachQuery, CommitQuery, ContainerBackend, LogsQuery } from '../api/routes/containers.js';
import type { HijackedStream } from '../api/hijack.js';
import type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateResponse,
  FilesystemChange,
  NetworkSettings,
  PathStat,
  Port,
  Resources,
  RestartPolicy,
  StatsResponse,
  MountPoint,
} from '../api/types/containers.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../stream/detach-keys.js';
import type { ContainerPaths } from '../container/paths.js';
import type { ContainerService } from '../container/service.js';
import { isRunning, type ContainerRecord, type RestartPolicyName } from '../container/types.js';
import { invalidParameter, notFound, notImplemented } from '../errdefs/errdefs.js';
import type { ImageService } from '../image/image-service.js';
import { parseNormalizedNamed, parseRepositoryTag } from '../image/reference.js';
import { formatEntry, parseSince, readLog } from '../logs/reader.js';
import { detailsPrefix, logAttributes } from '../logs/attrs.js';
import { logDriverName } from '../logs/options.js';
import { refuseUnupdatable } from './unsupported-fields.js';
import { psFilter } from './ps-filters.js';
import { commitContainer } from './commit.js';
import { specFromRequest, wireInspect, wireSummary } from './container-convert.js';
import { parseTimestamp } from './filter-util.js';
import { filterMatcher } from '../util/re2.js';

/** What networking (and later volumes) tell about a container; the network subsystem provides it. */
export interface ContainerViews {
  networkSettings(rec: ContainerRecord): NetworkSettings;
  ports(rec: ContainerRecord): Port[];
  mounts(rec: ContainerRecord): MountPoint[];
  execIds(rec: ContainerRecord): string[];
}

const LIST_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'publish', 'expose', 'is-task'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export class DaemonContainerBackend implements ContainerBackend {
  constructor(
    private readonly svc: ContainerService,
    private readonly images: ImageService,
    private readonly paths: ContainerPaths,
    private readonly views: ContainerViews,
  ) {}

  private rec(ref: string): ContainerRecord {
    return this.svc.store.resolve(ref);
  }

  // --- list / inspect -------------------------------------------------------

  async list(opts: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<ContainerSummary[]> {
    const f = opts.filters;
    checkFilterNames(f, LIST_FILTERS);
    for (const s of f.get('status') ?? []) if (!STATUSES.includes(s)) throw invalidParameter(`invalid filter 'status=${s}'`);
    const ancestors = (f.get('ancestor') ?? []).map((a) => this.images.tryResolve(a)?.id ?? a);
    const createdOf = (ref: string) => Date.parse(this.rec(ref).created);
    const before = f.get('before')?.map(createdOf);
    const since = f.get('since')?.map(createdOf);
    // dockerd's regexp filter (Go syntax), matched in linear time under one budget for the request.
    const nameMatch = f.has('name') ? filterMatcher(f.get('name')!) : undefined;
    const lookPast = psFilter(f);
    let recs = this.svc.store.all().sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || (b.id < a.id ? -1 : 1));
    const all = opts.all || (opts.limit !== undefined && opts.limit > 0) || f.has('status') || f.has('exited');
    recs = recs.filter((r) => {
      const st = r.state.status;
      if (!all && st !== 'running' && st !== 'paused' && st !== 'restarting') return false;
      if (f.has('id') && !f.get('id')!.some((p) => r.id.startsWith(p))) return false;
      if (nameMatch && !nameMatch(r.name)) return false;
      if (!matchLabels(f, r.spec.labels)) return false;
      if (f.has('status') && !f.get('status')!.includes(st)) return false;
      if (f.has('exited') && !(st === 'exited' && f.get('exited')!.map(Number).includes(r.state.exitCode))) return false;
      if (ancestors.length && !ancestors.some((a) => r.spec.image === a || r.spec.imageRef === a)) return false;
      const c = Date.parse(r.created);
      if (before && !before.every((b) => c < b)) return false;
      if (since && !since.every((s) => c > s)) return false;
      return lookPast(r, () => ({ mounts: this.views.mounts(r), networks: this.views.networkSettings(r).Networks ?? {} }));
    });
    if (opts.limit !== undefined && opts.limit > 0) recs = recs.slice(0, opts.limit);
    const now = Date.now();
    return Promise.all(
      recs.map(async (r) => {
        const sizes = opts.size ? await this.sizes(r) : {};
        return wireSummary(r, { ports: this.views.ports(r), mounts: this.views.mounts(r), networks: this.views.networkSettings(r).Networks, ...sizes }, now);
      }),
    );
  }

  private async sizes(r: ContainerRecord): Promise<{ sizeRw: number; sizeRootFs: number }> {
    const rw = (await this.images.snapshots.usage(r.snapshotKey).catch(() => ({ size: 0 }))).size;
    const img = this.images.store.get(r.spec.image);
    const base = img ? img.layers.reduce((n, l) => n + l.size, 0) : 0;
    return { sizeRw: rw, sizeRootFs: rw + base };
  }

  async inspect(ref: string, size: boolean, version: string): Promise<ContainerInspect> {
    const r = this.rec(ref);
    const gd = this.images.snapshots.graphDriver(r.snapshotKey, this.paths.rootfs(r.id));
    return wireInspect(r, {
      mounts: this.views.mounts(r),
      networkSettings: this.views.networkSettings(r),
      graphDriver: { Name: gd.name, Data: gd.data },
      paths: { resolvConf: this.paths.resolvConf(r.id), hostname: this.paths.hostname(r.id), hosts: this.paths.hosts(r.id), log: this.paths.log(r.id) },
      execIds: this.views.execIds(r),
      apiVersion: version,
      ...(size ? await this.sizes(r) : {}),
    });
  }

  // --- create / lifecycle -----------------------------------------------------

  async create(body: ContainerCreateRequest, name: string | undefined, platform: string | undefined): Promise<ContainerCreateResponse> {
    if (!body.Image) throw invalidParameter('Config.Image must be set: an image is required to create a container');
    const img = this.images.tryResolve(body.Image);
    if (!img) throw notFound(`No such image: ${displayImage(body.Image)}`);
    const config = this.images.store.config(img.id);
    if (platform) checkPlatform(platform, body.Image, config);
    const spec = specFromRequest(body, img.id, config);
    const rec = await this.svc.create(spec, name !== undefined ? { name } : {});
    return { Id: rec.id, Warnings: [] };
  }

  async start(ref: string, _detachKeys: string | undefined): Promise<void> {
    await this.svc.start(ref);
  }

  async stop(ref: string, timeout: number | undefined, signal: string | undefined): Promise<void> {
    await this.svc.stop(ref, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
  }

  async restart(ref: string, timeout: number | undefined, signal: string | undefined): Promise<void> {
    await this.svc.restart(ref, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
  }

  async kill(ref: string, signal: string | undefined): Promise<void> {
    await this.svc.kill(ref, signal || 'SIGKILL');
  }

  async pause(ref: string): Promise<void> {
    await this.svc.pause(ref);
  }

  async unpause(ref: string): Promise<void> {
    await this.svc.unpause(ref);
  }

  async rename(ref: string, name: string): Promise<void> {
    await this.svc.rename(ref, name);
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    await this.svc.resize(ref, h, w);
    this.svc.announce(this.rec(ref), 'resize', { height: String(h), width: String(w) });
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean; link: boolean }): Promise<void> {
    if (opts.link) return this.svc.removeLink(ref);
    await this.svc.remove(ref, { force: opts.force, volumes: opts.volumes });
  }

  /** dockerd's rmLink: `<parent>/<alias>` drops the parent's link of that alias (its running /etc/hosts stays as it is, as in Docker). */
  async wait(ref: string, condition: string) {
    return this.svc.wait(ref, condition as 'not-running' | 'next-exit' | 'removed');
  }

  async update(ref: string, body: Resources & { RestartPolicy?: RestartPolicy }): Promise<ContainerUpdateResponse> {
    const r = this.rec(ref);
    refuseUnupdatable(body as Record<string, unknown>);
    const res = r.spec.resources;
    if (body.Memory !== undefined && body.Memory > 0 && body.Memory < 6 * 1024 * 1024) throw invalidParameter('Minimum memory limit allowed is 6MB');
    const next = {
      ...res,
      ...(body.Memory !== undefined ? { memory: body.Memory } : {}),
      ...(body.MemorySwap !== undefined ? { memorySwap: body.MemorySwap } : {}),
      ...(body.MemoryReservation !== undefined ? { memoryReservation: body.MemoryReservation } : {}),
      ...(body.NanoCpus !== undefined ? { nanoCpus: body.NanoCpus } : {}),
      ...(body.CpuShares !== undefined ? { cpuShares: body.CpuShares } : {}),
      ...(body.CpuQuota !== undefined ? { cpuQuota: body.CpuQuota } : {}),
      ...(body.CpuPeriod !== undefined ? { cpuPeriod: body.CpuPeriod } : {}),
      ...(body.CpusetCpus !== undefined ? { cpusetCpus: body.CpusetCpus } : {}),
      ...(body.CpusetMems !== undefined ? { cpusetMems: body.CpusetMems } : {}),
      ...(body.PidsLimit !== undefined && body.PidsLimit !== null ? { pidsLimit: body.PidsLimit } : {}),
      ...(body.BlkioWeight !== undefined ? { blkioWeight: body.BlkioWeight } : {}),
    };
    if (next.memory > 0 && body.Memory !== undefined && body.MemorySwap === undefined && res.memorySwap > 0 && res.memorySwap < next.memory) {
      throw invalidParameter('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    if (isRunning(r)) {
      const quota = next.nanoCpus ? Math.round((next.nanoCpus / 1e9) * 100_000) : next.cpuQuota;
      await this.svc.updateResources(r, {
        ...(next.memory ? { memory: next.memory } : {}),
        ...(next.memorySwap ? { memorySwap: next.memorySwap } : {}),
        ...(next.memoryReservation ? { memoryReservation: next.memoryReservation } : {}),
        ...(next.cpuShares ? { cpuShares: next.cpuShares } : {}),
        ...(quota ? { cpuQuota: quota, cpuPeriod: next.nanoCpus ? 100_000 : next.cpuPeriod || 100_000 } : {}),
        ...(next.cpusetCpus ? { cpusetCpus: next.cpusetCpus } : {}),
        ...(next.cpusetMems ? { cpusetMems: next.cpusetMems } : {}),
        ...(body.PidsLimit !== undefined ? { pidsLimit: next.pidsLimit > 0 ? next.pidsLimit : -1 } : {}),
        ...(next.blkioWeight ? { blkioWeight: next.blkioWeight } : {}),
      });
    }
    r.spec.resources = next;
    if (body.RestartPolicy?.Name !== undefined) {
      const name = (body.RestartPolicy.Name || 'no') as RestartPolicyName;
      if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw invalidParameter(`invalid restart policy '${name}'`);
      if (r.spec.autoRemove && name !== 'no') throw invalidParameter('Restart policy cannot be updated because AutoRemove is enabled for the container');
      r.spec.restartPolicy = { name, maximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 };
    }
    await this.svc.store.save(r);
    this.svc.announce(r, 'update');
    return { Warnings: [] };
  }

  // --- streams ------------------------------------------------------------------

  async attach(ref: string, q: AttachQuery): Promise<{ tty: boolean; run(stream: HijackedStream): void }> {
    const r = this.rec(ref);
    const keys = parseDetachKeys(q.detachKeys || DEFAULT_DETACH_KEYS);
    return {
      tty: r.spec.tty,
      run: (stream) => {
        this.svc.announce(r, 'attach');
        void (async () => {
          if (q.logs) {
            for await (const e of readLog(this.paths.log(r.id), { stdout: q.stdout, stderr: q.stderr, timestamps: false, follow: false }, () => false)) {
              stream.write(e.stream === 'stdout' ? 1 : 2, e.line);
            }
          }
          if (!q.stream) {
            stream.end();
            return;
          }
          const running = isRunning(r);
          if (running && !(q.stdin && r.spec.openStdin) && r.spec.openStdin && r.spec.stdinOnce && !r.spec.tty) {
            // conmon closes a container's stdin when any attach client leaves (unless told to keep
            // it open, which StdinOnce forbids): a client without stdin follows the log instead,
            // so its going away cannot close the stdin another client is writing to.
            await this.followOutput(r, q, stream);
            return;
          }
          const handle = this.svc.attachTo(r.id, { stdin: q.stdin && r.spec.openStdin, stdout: q.stdout, stderr: q.stderr }, {
            output: (s, d) => stream.write(s, d),
            end: () => stream.end(),
          });
          // Detach keys apply only with a TTY, as in Docker: piped stdin goes through untouched.
          const scanner = r.spec.tty ? new DetachScanner(keys) : undefined;
          stream.onInput((d) => {
            const { forward, detach } = scanner ? scanner.feed(d) : { forward: d, detach: false };
            if (forward.length) handle.write(forward);
            if (detach) {
              handle.detach();
              stream.end();
              this.svc.announce(r, 'detach');
            }
          });
          stream.onInputEnd(() => handle.closeStdin());
          stream.onClose(() => handle.detach());
        })().catch(() => stream.end());
      },
    };
  }

  /** Streams what the container writes from now on, until it exits or the client goes. */
  private async followOutput(r: ContainerRecord, q: AttachQuery, stream: HijackedStream): Promise<void> {
    const ac = new AbortController();
    stream.onClose(() => ac.abort());
    const isRunning = () => {
      const st = this.svc.store.get(r.id)?.state.status;
      return st === 'running' || st === 'paused';
    };
    const opts = { stdout: q.stdout, stderr: q.stderr, timestamps: false, follow: true, tail: 0, signal: ac.signal };
    for await (const e of readLog(this.paths.log(r.id), opts, isRunning)) stream.write(e.stream === 'stdout' ? 1 : 2, e.line);
    stream.end();
  }

  async logs(ref: string, q: LogsQuery, signal: AbortSignal): Promise<{ tty: boolean; body: AsyncIterable<Buffer> }> {
    const r = this.rec(ref);
    const now = new Date();
    const tail = q.tail === undefined || q.tail === 'all' ? undefined : Number(q.tail);
    if (tail !== undefined && !Number.isInteger(tail)) throw invalidParameter(`invalid value for "tail": ${q.tail}`);
    const opts = {
      stdout: q.stdout,
      stderr: q.stderr,
      timestamps: q.timestamps,
      follow: q.follow,
      signal,
      ...(q.since && q.since !== '0' ? { since: parseSince(q.since, now) } : {}),
      ...(q.until ? { until: parseSince(q.until, now, 'until') } : {}),
      ...(tail !== undefined && tail >= 0 ? { tail } : {}),
    };
    if (logDriverName(r.spec.logConfig.type) === 'none') throw notImplemented('configured logging driver does not support reading');
    const tty = r.spec.tty;
    const details = q.details
      ? detailsPrefix(logAttributes(r.spec.logConfig.config, { id: r.id, name: r.name.replace(/^\//, ''), labels: r.spec.labels, env: r.spec.env, imageName: r.spec.imageRef, imageId: r.spec.image }))
      : undefined;
    const isRunning = () => {
      const st = this.svc.store.get(r.id)?.state.status;
      return st === 'running' || st === 'paused' || st === 'restarting';
    };
    const path = this.paths.log(r.id);
    async function* body(): AsyncGenerator<Buffer> {
      for await (const e of readLog(path, opts, isRunning)) yield formatEntry(e, { timestamps: q.timestamps, tty, ...(details ? { details } : {}) });
    }
    return { tty, body: body() };
  }

  async top(ref: string, psArgs: string | undefined): Promise<ContainerTopResponse> {
    const r = this.rec(ref);
    const t = await this.svc.top(r, psArgs);
    this.svc.announce(r, 'top');
    return { Titles: t.titles, Processes: t.processes };
  }

  async stats(ref: string, stream: boolean, oneShot: boolean, signal: AbortSignal): Promise<AsyncIterable<StatsResponse>> {
    const r = this.rec(ref);
    const sample = () => this.sample(r);
    async function* gen(): AsyncGenerator<StatsResponse> {
      let prev = sample();
      if (!stream && oneShot) {
        yield prev;
        return;
      }
      for (;;) {
        await new Promise((res) => setTimeout(res, 1000));
        if (signal.aborted) return;
        const cur = sample();
        cur.precpu_stats = prev.cpu_stats;
        cur.preread = prev.read;
        yield cur;
        if (!stream) return;
        prev = cur;
      }
    }
    return gen();
  }

  private sample(r: ContainerRecord): StatsResponse {
    const usage = this.svc.usage(r);
    const u = usage.cgroup;
    const zeroCpu = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
    const nets = usage.networks;
    return {
      read: new Date().toISOString(),
      preread: '0001-01-01T00:00:00Z',
      name: `/${r.name}`,
      id: r.id,
      pids_stats: u ? { current: u.pidsCurrent, ...(u.pidsLimit ? { limit: u.pidsLimit } : {}) } : {},
      blkio_stats: { io_service_bytes_recursive: u ? u.blkio : null },
      num_procs: 0,
      cpu_stats: u
        ? {
            cpu_usage: { total_usage: u.cpuTotalNs, ...(u.perCpuNs.length ? { percpu_usage: u.perCpuNs } : {}), usage_in_kernelmode: u.cpuSystemNs, usage_in_usermode: u.cpuUserNs },
            system_cpu_usage: usage.systemCpuNs,
            online_cpus: os.cpus().length,
            throttling_data: { periods: u.throttling.periods, throttled_periods: u.throttling.throttledPeriods, throttled_time: u.throttling.throttledTimeNs },
          }
        : zeroCpu,
      precpu_stats: zeroCpu,
      memory_stats: u ? { usage: u.memoryUsage, max_usage: u.memoryMaxUsage, limit: u.memoryLimit, stats: u.memoryStats } : {},
      ...(nets.length
        ? {
            networks: Object.fromEntries(
              nets.map((n) => [n.name, { rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped, tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped }]),
            ),
          }
        : {}),
    };
  }

  // --- filesystem -------------------------------------------------------------

  async changes(ref: string): Promise<FilesystemChange[]> {
    return (await this.svc.files.changes(this.rec(ref))).map((c) => ({ Path: c.path, Kind: c.kind }));
  }

  export(ref: string): Promise<Readable> {
    const r = this.rec(ref);
    this.svc.announce(r, 'export');
    return this.svc.files.export(r);
  }

  archiveStat(ref: string, path: string): Promise<PathStat> {
    return this.svc.files.stat(this.rec(ref), path);
  }

  async archiveGet(ref: string, path: string): Promise<{ stat: PathStat; body: Readable }> {
    const r = this.rec(ref);
    const out = await this.svc.files.archive(r, path);
    // dockerd's events for `docker cp` (the legacy POST /copy sent "copy").
    this.svc.announce(r, 'archive-path');
    return out;
  }

  async archivePut(ref: string, path: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const r = this.rec(ref);
    await this.svc.files.extract(r, path, body, opts);
    this.svc.announce(r, 'extract-to-dir');
  }

  // --- prune / commit -----------------------------------------------------------

  async prune(filters: Filters): Promise<ContainerPruneResponse> {
    checkFilterNames(filters, ['until', 'label', 'label!']);
    const until = filters.get('until')?.map((t) => parseTimestamp(t));
    const notLabels = new Map([['label', filters.get('label!') ?? []]]);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of this.svc.store.all()) {
      const st = r.state.status;
      if (st !== 'exited' && st !== 'created' && st !== 'dead') continue;
      if (!matchLabels(filters, r.spec.labels)) continue;
      if ((notLabels.get('label') ?? []).length && matchLabels(notLabels, r.spec.labels)) continue;
      if (until && !until.every((u) => Date.parse(r.created) <= u)) continue;
      const size = (await this.sizes(r)).sizeRw;
      try {
        await this.svc.remove(r.id, {});
        deleted.push(r.id);
        reclaimed += size;
      } catch {
        /* started meanwhile, or already removed: not pruned */
      }
    }
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  async commit(q: CommitQuery, config: ContainerConfig | undefined) {
    const r = this.rec(q.container);
    const ref = q.repo ? parseRepositoryTag(q.repo, q.tag) : undefined;
    const id = await commitContainer(this.images, this.svc, r, {
      ...(ref ? { ref } : {}),
      ...(q.comment ? { comment: q.comment } : {}),
      ...(q.author ? { author: q.author } : {}),
      pause: q.pause,
      changes: q.changes,
      ...(config ? { config } : {}),
    });
    this.svc.announce(r, 'commit', { comment: q.comment ?? '', imageID: id, imageRef: ref ? ref.familiarString() : '' });
    return { Id: id };
  }
}

/** The create's `platform` (os[/arch[/variant]]) must be the image's, as dockerd checks it. */
function checkPlatform(platform: string, image: string, config: { os?: string; architecture?: string; variant?: string }): void {
  const [os = '', arch, variant] = platform.toLowerCase().split('/');
  if (!/^[a-z0-9_-]+$/.test(os) || platform.split('/').length > 3) throw invalidParameter(`invalid platform ${JSON.stringify(platform)}: use os[/arch[/variant]], such as linux/amd64`);
  const actual = [config.os ?? 'linux', config.architecture ?? '', ...(config.variant ? [config.variant] : [])].join('/');
  const archOk = arch === undefined || arch === config.architecture || (arch === 'x86_64' && config.architecture === 'amd64');
  if (os !== (config.os ?? 'linux') || !archOk || (variant !== undefined && variant !== config.variant)) {
    throw notFound(`image with reference ${displayImage(image)} was found but does not match the specified platform: wanted ${platform}, actual: ${actual}`);
  }
}

function displayImage(ref: string): string {
  try {
    return parseNormalizedNamed(ref).withDefaultTag().familiarString();
  } catch {
    return ref;
  }
}
