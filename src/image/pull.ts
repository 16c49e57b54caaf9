/**
 * `docker pull`: manifest → (platform's manifest) → config → layers → image
 * record, with docker's progress messages.
 *
 * Layers download in parallel (3 at a time, as dockerd), each in one pass:
 * network → content store + decompress + unpack (layer-ingest's single
 * pipeline). A layer whose parent is still being unpacked is unpacked ahead
 * into scratch space and moved into its snapshot once the parent is
 * committed, so layers unpack as they arrive and commit in order. Every blob
 * is checked against its digest and size before it is published in the
 * content store and before its layer is committed; the config and manifests
 * are checked before use. Broken transfers resume from the byte they got to
 * (blob-reader).
 *
 * Layers already unpacked locally (same chain ID) are "Already exists" and
 * not downloaded; an image already stored (same config digest) downloads
 * nothing but its manifest.
 *
 * Failure or cancellation (the AbortSignal: the client went away) stops every
 * transfer and removes what this pull made that no image uses: scratch
 * dirs, snapshots and ingest files (by layer-ingest and the content writers),
 * committed layers and stored blobs (by a garbage pass over them).
 */
import { addAbortSignal, type Readable } from 'node:stream';
import { invalidParameter, isKind, messageOf, notFound, unavailable } from '../errdefs/errdefs.js';
import type { Logger } from '../util/log.js';
import { sha256Digest } from './content-store.js';
import type { ImageService } from './image-service.js';
import type { ImageRecord, LayerRecord } from './image-store.js';
import { chainIds, existingLayer, ingestLayer } from './layer-ingest.js';
import { MediaType, type Descriptor, type ImageConfigFile, type Manifest, type Platform } from './oci.js';
import type { Reference } from './reference.js';
import { credentialsFrom, type AuthConfig } from './registry/auth.js';
import { openBlob, type BlobReadOptions } from './registry/blob-reader.js';
import { RegistryError, RemoteRepository } from './registry/client.js';
import { AbortedError, isAbort } from './registry/http.js';
import { formatPlatform, hostPlatform, normalizePlatform, parseManifest, selectManifest, verifyDigest } from './registry/manifest.js';
import { ByteProgress, shortDigest, type ProgressSink } from './registry/progress.js';
import type { RegistryService } from './registry/service.js';
import { Slots } from './registry/slots.js';

export interface PullRequest {
  /** Canonical reference; name-only means every tag (`pull -a`). */
  ref: Reference;
  /** `--platform`; without it the host's platform is chosen from indexes and any single-platform image is taken. */
  platform?: Platform;
  auth?: AuthConfig;
  signal?: AbortSignal;
  progress: ProgressSink;
}

export interface PulledImage {
  ref: Reference;
  id: string;
  /** The digest the image was pulled by: the index's when there was one. */
  digest: string;
  /** A tag (or digest reference) now points at an image it did not point at before. */
  updated: boolean;
}

export interface PullerOptions {
  /** Parallel layer downloads (dockerd's max-concurrent-downloads: 3). */
  concurrency?: number;
  attempts?: number;
  retryDelayMs?: (attempt: number) => number;
  log?: Logger;
  /** Observes resumed transfers (tests, logs). */
  onResume?: (digest: string, offset: number) => void;
}

const LAYER_MEDIA_TYPES = new Set<string>([
  MediaType.DockerLayerGzip,
  MediaType.DockerLayer,
  MediaType.OciLayer,
  MediaType.OciLayerGzip,
  MediaType.OciLayerZstd,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

const MAX_CONFIG = 64 << 20;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a failed layer nobody waits for is reported through its job
  return { promise, resolve, reject };
}

interface Job {
  index: number;
  desc: Descriptor;
  diffId: string;
  chainId: string;
  parentChain: string | undefined;
  id: string;
  done: Deferred<LayerRecord>;
  committed: boolean;
  /** This pull committed the snapshot (it did not exist before). */
  madeChain: boolean;
  /** This pull stored the blob. */
  madeBlob: boolean;
}

interface PullContext {
  repo: RemoteRepository;
  signal: AbortSignal;
  progress: ProgressSink;
}

export class ImagePuller {
  constructor(
    private readonly svc: ImageService,
    private readonly registries: RegistryService,
    private readonly opts: PullerOptions = {},
  ) {}

  async pull(req: PullRequest): Promise<PulledImage[]> {
    const creds = credentialsFrom(req.auth);
    const ref = req.ref;
    const signal = req.signal;
    return this.registries.withEndpoints(ref.domain, creds, { push: false, ...(signal ? { signal } : {}) }, async (session, commit) => {
      const repo = new RemoteRepository(session, ref.path);
      const results: PulledImage[] = [];
      if (ref.isNameOnly()) {
        let tags: string[];
        try {
          tags = await repo.tags(signal);
        } catch (e) {
          throw translatePullError(e, ref);
        }
        commit();
        for (const t of tags) {
          try {
            results.push(await this.pullTag(repo, ref.withTag(t), req, () => {}));
          } catch (e) {
            if (isAbort(e) || signal?.aborted) throw e;
            this.opts.log?.warn('error pulling tag', { ref: ref.withTag(t).familiarString(), err: messageOf(e) });
          }
        }
      } else {
        results.push(await this.pullTag(repo, ref, req, commit));
      }
      const updated = results.some((r) => r.updated);
      req.progress({ status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${ref.familiarString()}` });
      return results;
    });
  }

  private async pullTag(repo: RemoteRepository, ref: Reference, req: PullRequest, commit: () => void): Promise<PulledImage> {
    const signal = req.signal;
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
    let fetched;
    try {
      fetched = await repo.getManifest(tagOrDigest, signal);
    } catch (e) {
      throw translatePullError(e, ref);
    }
    commit();
    const topDigest = ref.digest ?? sha256Digest(fetched.bytes);
    if (ref.digest) verifyDigest(fetched.bytes, ref.digest);
    else if (fetched.claimedDigest && /^sha256:/.test(fetched.claimedDigest) && fetched.claimedDigest !== topDigest) {
      throw invalidParameter(`manifest verification failed for digest ${fetched.claimedDigest}: the content has digest ${topDigest}`);
    }
    req.progress({ status: `Pulling from ${ref.path}`, id: tagOrDigest });

    let parsed = parseManifest(fetched.bytes, fetched.mediaType);
    let manifestBytes = fetched.bytes;
    let manifestDigest = topDigest;
    const want = req.platform ?? hostPlatform();
    if (parsed.kind === 'index') {
      const d = selectManifest(parsed.index, want);
      const m = await repo.getManifest(d.digest, signal);
      verifyDigest(m.bytes, d.digest);
      parsed = parseManifest(m.bytes, m.mediaType || d.mediaType);
      if (parsed.kind !== 'manifest') throw invalidParameter(`the index entry ${d.digest} for ${formatPlatform(want)} is itself an index; nested indexes are not supported`);
      manifestBytes = m.bytes;
      manifestDigest = d.digest;
    }
    const manifest = parsed.manifest;
    const manifestDesc: Descriptor = { mediaType: parsed.mediaType, digest: manifestDigest, size: manifestBytes.length };
    const configDigest = manifest.config.digest;

    const existing = this.svc.store.get(configDigest);
    let config: ImageConfigFile;
    let configBytes: Buffer;
    if (existing) {
      config = this.svc.store.config(configDigest);
      configBytes = await this.svc.content.read(configDigest);
    } else {
      configBytes = await repo.readBlob(configDigest, MAX_CONFIG, signal);
      verifyDigest(configBytes, configDigest, 'image config');
      try {
        config = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
      } catch {
        throw invalidParameter(`the image config ${configDigest} is not valid JSON`);
      }
      if (!config || typeof config !== 'object' || !config.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
        throw invalidParameter(`the image config ${configDigest} has no rootfs.diff_ids`);
      }
    }
    if (req.platform) {
      const have = normalizePlatform({ os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) });
      const w = normalizePlatform(req.platform);
      if (have.os !== w.os || have.architecture !== w.architecture || (w.variant !== undefined && have.variant !== undefined && w.variant !== have.variant)) {
        throw notFound(
          `image with reference ${ref.familiarString()} was found but does not match the specified platform: wanted ${formatPlatform(w)}, actual: ${formatPlatform(have)}`,
        );
      }
    }

    const layers = existing ? existing.layers : await this.pullLayers({ repo, signal: signal ?? new AbortController().signal, progress: req.progress }, manifest, config, configDigest, manifestDesc);

    let updated = false;
    let id = '';
    await this.svc.exclusive(async () => {
      for (const l of layers) {
        if (!this.svc.snapshots.stat(l.chainID)) throw unavailable(`layer ${l.chainID} was removed while ${ref.familiarString()} was being pulled; pull it again`);
      }
      await this.svc.content.put(manifestBytes, { digest: manifestDigest });
      const digestRef = ref.trimNamed().withDigest(topDigest);
      const refs = ref.digest ? [digestRef] : [ref, digestRef];
      const before = this.svc.store.lookupRef(ref.digest ? digestRef : ref);
      const created = await this.svc.createImage(config, layers, { refs, manifest: manifestDesc, configBytes });
      id = created.id;
      updated = before !== created.id;
    });
    req.progress({ status: `Digest: ${topDigest}` });
    return { ref, id, digest: topDigest, updated };
  }

  private async pullLayers(ctx: PullContext, manifest: Manifest, config: ImageConfigFile, configDigest: string, manifestDesc: Descriptor): Promise<LayerRecord[]> {
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw invalidParameter(`invalid image: the manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff IDs`);
    }
    for (const l of manifest.layers) {
      if (!LAYER_MEDIA_TYPES.has(l.mediaType)) throw invalidParameter(`unsupported layer media type ${JSON.stringify(l.mediaType)} (layer ${l.digest})`);
    }
    const chains = chainIds(diffIds);
    const jobs: Job[] = manifest.layers.map((desc, i) => ({
      index: i,
      desc: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size },
      diffId: diffIds[i]!,
      chainId: chains[i]!,
      parentChain: chains[i - 1],
      id: shortDigest(desc.digest),
      done: deferred<LayerRecord>(),
      committed: false,
      madeChain: false,
      madeBlob: false,
    }));

    // Our own controller: one failed layer stops the others.
    const ac = new AbortController();
    const onOuterAbort = () => ac.abort();
    ctx.signal.addEventListener('abort', onOuterAbort, { once: true });
    const inner: PullContext = { ...ctx, signal: ac.signal };
    const slots = new Slots(this.opts.concurrency ?? 3);
    try {
      const pending: Job[] = [];
      for (const j of jobs) {
        const have = await this.existing(j);
        if (have) {
          j.committed = true;
          j.done.resolve(have);
          ctx.progress({ status: 'Already exists', id: j.id, layer: true });
        } else pending.push(j);
      }
      for (const j of pending) ctx.progress({ status: 'Pulling fs layer', id: j.id, layer: true });
      const settled = await Promise.allSettled(
        pending.map((j) =>
          this.runJob(j, jobs, slots, inner).catch((e: unknown) => {
            ac.abort();
            throw e;
          }),
        ),
      );
      const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
      if (failures.length) throw failures.find((e) => !isAbort(e)) ?? failures[0];
      // Cancelled after the last bytes came in: still cancelled (and cleaned up).
      if (ctx.signal.aborted) throw new AbortedError();
      return await Promise.all(jobs.map((j) => j.done.promise));
    } catch (e) {
      await this.discard(jobs, configDigest, manifestDesc);
      throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onOuterAbort);
    }
  }

  /** A layer record for a job whose layer is already unpacked here (with a blob we hold), else undefined. */
  private async existing(j: Job): Promise<LayerRecord | undefined> {
    const snap = this.svc.snapshots.stat(j.chainId);
    if (!snap || snap.kind !== 'committed') return undefined;
    if (await this.svc.content.has(j.desc.digest)) return existingLayer(this.svc.snapshots, j.chainId, j.desc);
    for (const r of this.svc.store.all()) {
      for (const l of r.layers) {
        if (l.chainID === j.chainId && (await this.svc.content.has(l.blob.digest))) return existingLayer(this.svc.snapshots, j.chainId, l.blob);
      }
    }
    return undefined;
  }

  private async runJob(j: Job, jobs: Job[], slots: Slots, ctx: PullContext): Promise<void> {
    const parent = j.index > 0 ? jobs[j.index - 1] : undefined;
    try {
      let rec: LayerRecord;
      const dupOf = jobs.slice(0, j.index).find((x) => x.desc.digest === j.desc.digest);
      if (dupOf) {
        await dupOf.done.promise;
        rec = await this.ingestStored(j, parent, ctx);
      } else if (await this.svc.content.has(j.desc.digest)) {
        ctx.progress({ status: 'Download complete', id: j.id, layer: true });
        rec = await this.ingestStored(j, parent, ctx);
      } else {
        let release = slots.tryAcquire();
        if (!release) {
          ctx.progress({ status: 'Waiting', id: j.id, layer: true });
          release = await slots.acquire(j.index, ctx.signal);
        }
        try {
          // The slot is for the transfer: it goes to the next layer once this one's bytes are in.
          rec = await this.onePass(j, parent, ctx, () => {
            release?.();
            release = undefined;
          });
        } finally {
          release?.();
        }
      }
      j.committed = true;
      ctx.progress({ status: 'Pull complete', id: j.id, layer: true });
      j.done.resolve(rec);
    } catch (e) {
      j.done.reject(e);
      throw e;
    }
  }

  /** What ingestLayer needs to unpack ahead of a parent that is not committed yet. */
  private ahead(parent: Job | undefined): { parentReady?: Promise<unknown> } {
    return parent && !parent.committed ? { parentReady: parent.done.promise } : {};
  }

  private blobOptions(j: Job, ctx: PullContext): BlobReadOptions {
    return {
      signal: ctx.signal,
      ...(this.opts.attempts !== undefined ? { attempts: this.opts.attempts } : {}),
      ...(this.opts.retryDelayMs ? { retryDelayMs: this.opts.retryDelayMs } : {}),
      onRetry: (_n, ms) => {
        // docker counts down: "Retrying in 5 seconds", "… 4 seconds", …
        const secs = Math.max(1, Math.ceil(ms / 1000));
        for (let k = 0; k < secs; k++) {
          const left = secs - k;
          setTimeout(() => {
            if (!ctx.signal.aborted) ctx.progress({ status: `Retrying in ${left} second${left === 1 ? '' : 's'}`, id: j.id, layer: true });
          }, k * 1000).unref();
        }
      },
      onResume: (offset) => {
        this.opts.log?.info('resuming layer download', { digest: j.desc.digest, offset });
        this.opts.onResume?.(j.desc.digest, offset);
      },
    };
  }

  /**
   * Download, verify, store and unpack in one pass. When the parent is not
   * committed yet, the layer is unpacked ahead into scratch space and moved
   * into its snapshot once the parent is (layer-ingest's parentReady).
   */
  private async onePass(j: Job, parent: Job | undefined, ctx: PullContext, transferred: () => void): Promise<LayerRecord> {
    const span = this.span('pull layer (download + unpack in one pass)', j);
    const bp = new ByteProgress(ctx.progress, j.id, 'Downloading', j.desc.size);
    const stream = openBlob(ctx.repo, j.desc, this.blobOptions(j, ctx));
    // When the download fails, that is the error to report (not the unpacker's "unexpected end of data").
    let readError: unknown;
    stream.once('error', (e) => (readError = e));
    const hadChain = !!this.svc.snapshots.stat(j.chainId);
    try {
      const rec = await ingestLayer(this.svc, stream, {
        ...(j.parentChain !== undefined ? { parent: j.parentChain } : {}),
        ...this.ahead(parent),
        keep: 'as-is',
        mediaType: j.desc.mediaType,
        expectedBlob: { digest: j.desc.digest, size: j.desc.size },
        expectedDiffId: j.diffId,
        onProgress: (n) => bp.update(n),
        onUnpacked: () => {
          j.madeBlob = true;
          transferred();
          span();
          ctx.progress({ status: 'Verifying Checksum', id: j.id, layer: true });
          ctx.progress({ status: 'Download complete', id: j.id, layer: true });
        },
      });
      j.madeChain = !hadChain;
      ctx.progress({ status: 'Extracting', id: j.id, current: j.desc.size, total: j.desc.size });
      return rec;
    } catch (e) {
      stream.destroy();
      // The blob may have been stored before the layer's content was found wrong.
      j.madeBlob = await this.svc.content.has(j.desc.digest);
      throw ctx.signal.aborted ? new AbortedError() : translateLayerError(readError ?? e, j.desc.digest);
    }
  }

  /** Unpack a blob that is in the content store. */
  private async ingestStored(j: Job, parent: Job | undefined, ctx: PullContext): Promise<LayerRecord> {
    const span = this.span('pull layer unpack', j);
    const bp = new ByteProgress(ctx.progress, j.id, 'Extracting', j.desc.size);
    const hadChain = !!this.svc.snapshots.stat(j.chainId);
    const src: Readable = addAbortSignal(ctx.signal, await this.svc.content.openRead(j.desc.digest));
    try {
      const rec = await ingestLayer(this.svc, src, {
        ...(j.parentChain !== undefined ? { parent: j.parentChain } : {}),
        ...this.ahead(parent),
        keep: { stored: j.desc },
        expectedDiffId: j.diffId,
        onProgress: (n) => bp.update(n),
      });
      j.madeChain = !hadChain;
      span();
      return rec;
    } catch (e) {
      src.destroy();
      throw ctx.signal.aborted ? new AbortedError() : translateLayerError(e, j.desc.digest);
    }
  }

  /** A timing span for a layer's phase (berthd --debug): where a pull's time goes. */
  private span(name: string, j: Job): () => void {
    const end = this.opts.log?.span(name);
    return () => end?.({ layer: j.id, bytes: j.desc.size });
  }

  /** Removes the layers and blobs this pull made that no image uses (after a failure or cancellation). */
  private async discard(jobs: Job[], configDigest: string, manifestDesc: Descriptor): Promise<void> {
    const made = jobs.filter((j) => j.madeChain || j.madeBlob);
    if (made.length === 0) return;
    const pseudo: ImageRecord = {
      id: configDigest,
      added: '',
      manifest: manifestDesc,
      layers: made.map((j) => ({ diffID: j.diffId, chainID: j.madeChain ? j.chainId : '', size: 0, tarSize: 0, blob: j.desc })),
    };
    try {
      await this.svc.exclusive(() => this.svc.collectGarbage(pseudo));
    } catch (e) {
      this.opts.log?.warn('could not remove the layers of a failed pull', { err: messageOf(e) });
    }
  }
}

/** dockerd's wording for registry refusals of a pull (translatePullError). */
export function translatePullError(e: unknown, ref: Reference): unknown {
  if (!(e instanceof RegistryError)) return e;
  switch (e.code) {
    case 'MANIFEST_UNKNOWN':
      return new RegistryError(`manifest for ${ref.familiarString()} not found: ${e.message}`, 404, e.code);
    case 'NAME_UNKNOWN':
      return new RegistryError(`repository ${ref.familiarName()} not found: ${e.message}`, 404, e.code);
    case 'DENIED':
      return new RegistryError(`pull access denied for ${ref.familiarName()}, repository does not exist or may require 'docker login': ${e.message}`, 404, e.code);
    case 'UNAUTHORIZED':
      if (e.status === 401 && !/no basic auth credentials|incorrect username/.test(e.message)) {
        return new RegistryError(`pull access denied for ${ref.familiarName()}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`, 404, 'DENIED');
      }
      return e;
    default:
      if (e.status === 404) return new RegistryError(`manifest for ${ref.familiarString()} not found: manifest unknown: manifest unknown`, 404, 'MANIFEST_UNKNOWN');
      return e;
  }
}

/** Blob checks in docker's words. */
function translateLayerError(e: unknown, digest: string): unknown {
  if (isAbort(e)) return e;
  const msg = messageOf(e);
  if (isKind(e, 'InvalidParameter') && /^(digest|size) mismatch/.test(msg)) {
    return invalidParameter(`filesystem layer verification failed for digest ${digest}`, e);
  }
  if (isKind(e, 'InvalidParameter') || e instanceof RegistryError || (e as Error)?.name === 'NetworkError') return e;
  return invalidParameter(`failed to register layer: ${msg}`, e);
}
