/**
 * The build routes' Backend: unpacks the context, runs the builder with its
 * contracts implemented over berth's subsystems (step containers through
 * ContainerService, images through ImageService and the registry pull),
 * tags the result, and keeps the build cache's records (which images the
 * builder made, when they were used) for `system df` and `build prune`.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { JsonStream } from '../api/context.js';
import { checkFilterNames, type Filters } from '../api/filters.js';
import type { BuildBackend, BuildPruneResponse, BuildQuery } from '../api/routes/build.js';
import type { PullParams } from '../api/routes/images.js';
import type { ContainerCreateRequest } from '../api/types/containers.js';
import { Builder, type HostPlatform } from '../build/builder.js';
import { openContext } from '../build/context.js';
import type { BuildContainers, BuildImage, BuildImages, StepSpec } from '../build/contracts.js';
import type { BuildOutput } from '../build/options.js';
import { resolveUser } from '../container/user.js';
import type { ContainerService } from '../container/service.js';
import type { EventBus } from '../events/bus.js';
import { EngineError, invalidParameter, notFound } from '../errdefs/errdefs.js';
import type { ImageService } from '../image/image-service.js';
import { ingestLayer } from '../image/layer-ingest.js';
import type { ImageConfigFile } from '../image/oci.js';
import { parseNormalizedNamed, type Reference } from '../image/reference.js';
import type { Host } from '../sys/host.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import { specFromRequest } from './container-convert.js';
import { parseTimestamp } from './filter-util.js';

/** One image the builder made, as the build cache lists it. */
interface CacheRecord {
  created: string;
  lastUsed: string;
  usage: number;
}

/** A build cache entry of `GET /system/df` (Docker's BuildCache shape). */
export interface BuildCacheEntry {
  ID: string;
  Parent: string;
  Parents: string[];
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string;
  UsageCount: number;
}

export class DaemonBuildBackend implements BuildBackend {
  private records = new Map<string, CacheRecord>();

  private constructor(
    private readonly images: ImageService,
    private readonly containers: ContainerService,
    private readonly host: Host,
    private readonly events: EventBus,
    private readonly pull: (p: PullParams, out: JsonStream) => Promise<void>,
    private readonly platform: HostPlatform,
    private readonly indexPath: string,
  ) {}

  static async open(
    deps: { images: ImageService; containers: ContainerService; host: Host; events: EventBus; pull: (p: PullParams, out: JsonStream) => Promise<void>; platform: HostPlatform },
    indexPath: string,
  ): Promise<DaemonBuildBackend> {
    const b = new DaemonBuildBackend(deps.images, deps.containers, deps.host, deps.events, deps.pull, deps.platform, indexPath);
    const saved = await readJsonIfExists<Record<string, CacheRecord>>(indexPath);
    b.records = new Map(Object.entries(saved ?? {}));
    return b;
  }

  async build(body: Readable, q: BuildQuery, out: JsonStream, signal: AbortSignal): Promise<void> {
    const tags = q.tags.map(parseTag);
    const ctx = await openContext(body, this.images.tmpDir, q.dockerfile, this.images.layerLimits);
    const made: string[] = [];
    const output: BuildOutput = {
      stream: (text) => {
        if (!q.quiet) out.write({ stream: text });
      },
      aux: (obj) => out.write({ aux: obj }),
      message: (obj) => {
        if (!q.quiet) out.write(obj);
      },
    };
    try {
      const builder = new Builder(
        { containers: this.stepContainers(), images: this.buildImages(q.registryConfig, made), platform: this.platform, signal },
        {
          dockerfile: q.dockerfile,
          tags: tags.map((t) => t.string()),
          buildArgs: q.buildArgs,
          labels: q.labels,
          ...(q.target ? { target: q.target } : {}),
          noCache: q.noCache,
          pull: q.pull,
          rm: q.rm,
          forceRm: q.forceRm,
          quiet: q.quiet,
          networkMode: q.networkMode,
          extraHosts: q.extraHosts,
          ...(q.shmSize ? { shmSize: q.shmSize } : {}),
          resources: { memory: q.memory, memorySwap: q.memorySwap, cpuShares: q.cpuShares, cpuPeriod: q.cpuPeriod, cpuQuota: q.cpuQuota, cpusetCpus: q.cpusetCpus, cpusetMems: q.cpusetMems, ulimits: q.ulimits },
          cacheFrom: q.cacheFrom,
          ...(q.platform ? { platform: q.platform } : {}),
        },
        output,
        ctx.dir,
        ctx.dockerfile,
        ctx.scratch,
      );
      const id = await builder.build();
      output.aux({ ID: id });
      if (q.quiet) out.write({ stream: `${id}\n` });
      output.stream(`Successfully built ${id.slice(7, 19)}\n`);
      for (const t of tags) {
        await this.images.tag(id, t);
        this.events.publish({ type: 'image', action: 'tag', actor: { id, attributes: { name: t.familiarString() } } });
        output.stream(`Successfully tagged ${t.familiarString()}\n`);
      }
    } finally {
      await this.remember(made);
      await ctx.dispose();
    }
  }

  // --- the build cache ----------------------------------------------------------------

  /** Records the images a build made or reused, for df and prune. */
  private async remember(ids: string[]): Promise<void> {
    const now = new Date().toISOString();
    for (const id of new Set(ids)) {
      const r = this.records.get(id);
      this.records.set(id, r ? { ...r, lastUsed: now, usage: r.usage + 1 } : { created: now, lastUsed: now, usage: 1 });
    }
    for (const id of [...this.records.keys()]) if (!this.images.store.get(id)) this.records.delete(id);
    await writeJsonAtomic(this.indexPath, Object.fromEntries(this.records));
  }

  /** The builder's images that still exist, as `system df` lists them. */
  cacheUsage(): BuildCacheEntry[] {
    const out: BuildCacheEntry[] = [];
    for (const [id, r] of this.records) {
      const img = this.images.store.get(id);
      if (!img) continue;
      const cfg = this.images.store.config(id);
      const last = cfg.history?.at(-1);
      const own = last && !last.empty_layer ? (img.layers.at(-1)?.size ?? 0) : 0;
      out.push({
        ID: id.slice(7),
        Parent: img.parent?.slice(7) ?? '',
        Parents: img.parent ? [img.parent.slice(7)] : [],
        Type: 'regular',
        Description: last?.created_by ?? '',
        InUse: this.inUse(id),
        Shared: this.images.store.refsOf(id).length > 0 || this.images.children(id).length > 0,
        Size: own,
        CreatedAt: r.created,
        LastUsedAt: r.lastUsed,
        UsageCount: r.usage,
      });
    }
    return out;
  }

  private inUse(id: string): boolean {
    return this.containers.store.all().some((c) => c.spec.image === id);
  }

  /**
   * Removes the builder's images that nothing holds (no tag, no child image,
   * no container), leaves first, until none is left; `all` changes nothing
   * more here (the classic cache has no shared internal records).
   */
  async prune(opts: { all: boolean; filters: Filters }): Promise<BuildPruneResponse> {
    checkFilterNames(opts.filters, ['until']);
    const until = opts.filters.get('until')?.map((t) => parseTimestamp(t));
    const deleted: string[] = [];
    let reclaimed = 0;
    for (let progress = true; progress; ) {
      progress = false;
      for (const e of this.cacheUsage()) {
        const id = `sha256:${e.ID}`;
        if (e.Shared || e.InUse) continue;
        if (until && !until.every((u) => Date.parse(e.CreatedAt) <= u)) continue;
        try {
          await this.images.remove(id, { prune: false });
        } catch (err) {
          if (err instanceof EngineError && err.kind === 'Conflict') continue;
          throw err;
        }
        this.records.delete(id);
        deleted.push(e.ID);
        reclaimed += e.Size;
        progress = true;
      }
    }
    await writeJsonAtomic(this.indexPath, Object.fromEntries(this.records));
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // --- the builder's contracts ----------------------------------------------------------

  private stepContainers(): BuildContainers {
    const svc = this.containers;
    const rec = (id: string) => svc.store.resolve(id);
    return {
      create: async (spec) => (await svc.create(this.containerSpec(spec))).id,
      run: (id, output, signal) => runStep(svc, id, output, signal),
      putFiles: (id, dir, tar) => svc.files.putFiles(rec(id), dir, tar),
      mkdir: (id, path) => svc.files.mkdir(rec(id), path),
      isDir: (id, path) => svc.files.isDir(rec(id), path),
      list: (id, dir) => svc.files.list(rec(id), dir),
      owner: async (id, chown) => {
        const [u = '', g] = chown.split(':');
        const user = await svc.files.withRootfs(rec(id), (root) => resolveUser(this.host, root, `${u}:${g ?? u}`));
        return { uid: user.uid, gid: user.gid };
      },
      archive: async (id, path, as) => (await svc.files.archive(rec(id), path, as)).body,
      commitLayer: async (id) => {
        const r = rec(id);
        if ((await svc.files.changes(r)).length === 0) return undefined;
        const base = r.spec.image ? this.images.store.get(r.spec.image) : undefined;
        const top = base?.layers.at(-1)?.chainID;
        return ingestLayer(this.images, await svc.files.layerDiff(r), { ...(top ? { parent: top } : {}), keep: 'uncompressed' });
      },
      remove: (id) => svc.remove(id, { force: true, volumes: true }),
    };
  }

  private containerSpec(s: StepSpec) {
    const req: ContainerCreateRequest = {
      Image: s.image ?? '',
      Cmd: s.cmd,
      // The image's entrypoint never wraps a step's command.
      Entrypoint: [''],
      Env: s.env,
      User: s.user,
      WorkingDir: s.workingDir,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        NetworkMode: s.networkMode,
        ExtraHosts: s.extraHosts,
        ...(s.shmSize ? { ShmSize: s.shmSize } : {}),
        Memory: s.resources.memory,
        MemorySwap: s.resources.memorySwap,
        CpuShares: s.resources.cpuShares,
        CpuPeriod: s.resources.cpuPeriod,
        CpuQuota: s.resources.cpuQuota,
        CpusetCpus: s.resources.cpusetCpus,
        CpusetMems: s.resources.cpusetMems,
        Ulimits: s.resources.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      },
    };
    const config: ImageConfigFile = s.image ? this.images.store.config(s.image) : { architecture: this.platform.architecture, os: this.platform.os, rootfs: { type: 'layers', diff_ids: [] } };
    return specFromRequest(req, s.image ?? '', config);
  }

  private buildImages(registryConfig: string | undefined, made: string[]): BuildImages {
    const view = (id: string): BuildImage | undefined => {
      const r = this.images.store.get(id);
      if (!r) return undefined;
      return { id: r.id, config: this.images.store.config(r.id), layers: r.layers, ...(r.parent ? { parent: r.parent } : {}) };
    };
    return {
      find: (ref) => {
        const r = this.images.tryResolve(ref);
        return r ? view(r.id) : undefined;
      },
      get: (id) => {
        const v = view(id);
        if (v && this.records.has(id)) made.push(id);
        return v;
      },
      children: (id) =>
        (id === '' ? this.images.store.all().filter((r) => !r.parent) : this.images.children(id)).map((r) => view(r.id)!).filter((v) => v !== undefined),
      pull: async (ref, write, signal) => {
        const named = parseNormalizedNamed(ref);
        const auth = authFor(registryConfig, named);
        await this.pull({ fromImage: named.withDefaultTag().string(), signal, ...(auth ? { auth } : {}) }, { write, fail: () => {}, end: () => {}, closed: false });
        const got = this.images.tryResolve(named.withDefaultTag().string());
        if (!got) throw notFound(`pull access denied for ${named.familiarName()}: the image is not there after the pull`);
        return view(got.id)!;
      },
      create: async (config, layers, parent) => {
        const { id } = await this.images.exclusive(() => this.images.createImage(config, layers, parent ? { parent } : {}));
        made.push(id);
        return id;
      },
      tag: async (id, ref) => this.images.tag(id, parseNormalizedNamed(ref)),
    };
  }
}

/** Starts a step container, streams its output, resolves with its exit code; the signal kills it. */
async function runStep(svc: ContainerService, id: string, output: (stream: 1 | 2, data: Buffer) => void, signal: AbortSignal): Promise<number> {
  let streamsEnded!: () => void;
  const ended = new Promise<void>((r) => (streamsEnded = r));
  const handle = svc.attachTo(id, { stdin: false, stdout: true, stderr: true }, { output, end: () => streamsEnded() });
  const exit = svc.wait(id, 'next-exit');
  const kill = () => void svc.kill(id).catch(() => {});
  signal.addEventListener('abort', kill, { once: true });
  try {
    if (signal.aborted) throw invalidParameter('the build was cancelled: the client closed the connection');
    await svc.start(id);
    // An abort while the start was on its way found nothing running to kill.
    if (signal.aborted) kill();
    const r = await exit.ready;
    // The last output may arrive just after the exit.
    await Promise.race([ended, new Promise((r2) => setTimeout(r2, 2000).unref())]);
    return r.StatusCode;
  } finally {
    signal.removeEventListener('abort', kill);
    handle.detach();
  }
}

function parseTag(t: string): Reference {
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(t);
  } catch (e) {
    throw invalidParameter(`invalid tag ${JSON.stringify(t)}: ${(e as Error).message}`);
  }
  if (ref.digest) throw invalidParameter(`invalid tag ${JSON.stringify(t)}: a tag cannot contain a digest`);
  return ref.withDefaultTag();
}

/** The X-Registry-Auth value for ref's registry, from X-Registry-Config (registry → AuthConfig). */
function authFor(registryConfig: string | undefined, ref: Reference): string | undefined {
  if (!registryConfig) return undefined;
  let map: Record<string, unknown>;
  try {
    map = JSON.parse(Buffer.from(registryConfig, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalidParameter('X-Registry-Config is not base64-encoded JSON');
  }
  const hostOf = (k: string) => {
    const h = posix.normalize(k.replace(/^[a-z]+:\/\//i, '')).split('/')[0]!;
    return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
  };
  for (const [k, v] of Object.entries(map ?? {})) {
    if (hostOf(k) === ref.domain && v && typeof v === 'object') return Buffer.from(JSON.stringify(v)).toString('base64');
  }
  return undefined;
}
