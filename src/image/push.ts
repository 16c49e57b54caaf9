/**
 * `docker push`: layers (5 at a time, as dockerd), then the config, then the
 * manifest under the tag, with docker's progress messages
 * (`Preparing`, `Waiting`, `Pushing`, `Pushed`, `Layer already exists`,
 * `Mounted from x`, and `<tag>: digest: sha256:… size: N`).
 *
 * Each blob: HEAD first (the registry may have it already); else a
 * cross-repository mount from another repository of the same registry that
 * a local image of it came from or went to; else an upload: one PUT for
 * blobs up to the chunk size, chunked PATCHes for larger ones (an
 * interrupted chunk resumes from what the registry reports it has).
 *
 * Layers are pushed as stored: blobs pulled from a registry keep their
 * compression (and an unchanged image keeps its manifest, so its digest is
 * the same everywhere); layers made here (load, import, commit) are kept
 * uncompressed and pushed so (`application/vnd.docker.image.rootfs.diff.tar`,
 * valid for every registry and client), which costs no CPU on either side.
 * After a push the image records the manifest and its digest reference
 * (RepoDigests), as dockerd does.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { invalidParameter, messageOf, notFound } from '../errdefs/errdefs.js';
import type { Logger } from '../util/log.js';
import { sha256Digest } from './content-store.js';
import type { ImageService } from './image-service.js';
import type { ImageRecord } from './image-store.js';
import { MediaType, isZstdMediaType, type Descriptor } from './oci.js';
import type { Reference } from './reference.js';
import { credentialsFrom, type AuthConfig } from './registry/auth.js';
import { defaultRetryDelay, isRetryable, DEFAULT_ATTEMPTS } from './registry/blob-reader.js';
import { RegistryError, RemoteRepository } from './registry/client.js';
import { AbortedError, isAbort } from './registry/http.js';
import { dockerLayerMediaType, ociLayerMediaType, parseManifest } from './registry/manifest.js';
import { ByteProgress, shortDigest, type ProgressSink } from './registry/progress.js';
import type { RegistryService } from './registry/service.js';
import { Slots } from './registry/slots.js';

export interface PushRequest {
  /** A tag, or a name alone (every local tag of the repository). */
  ref: Reference;
  auth?: AuthConfig;
  signal?: AbortSignal;
  progress: ProgressSink;
}

export interface PushedTag {
  ref: Reference;
  digest: string;
  size: number;
}

export interface PusherOptions {
  /** Parallel layer uploads (dockerd's max-concurrent-uploads: 5). */
  concurrency?: number;
  /** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size. */
  chunkSize?: number;
  attempts?: number;
  retryDelayMs?: (attempt: number) => number;
  log?: Logger;
}

export const DEFAULT_CHUNK_SIZE = 32 << 20;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Counts bytes flowing through (upload progress). */
class Counter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
}

export class ImagePusher {
  constructor(
    private readonly svc: ImageService,
    private readonly registries: RegistryService,
    private readonly opts: PusherOptions = {},
  ) {}

  async push(req: PushRequest): Promise<PushedTag[]> {
    const ref = req.ref;
    req.progress({ status: `The push refers to repository [${ref.name()}]` });
    const tagged = this.svc.list().flatMap((v) => v.refs.filter((r) => r.tag !== undefined && r.name() === ref.name()).map((r) => ({ ref: r, id: v.record.id })));
    if (tagged.length === 0) throw notFound(`An image does not exist locally with the tag: ${ref.familiarName()}`);
    let targets = tagged;
    if (ref.tag !== undefined) {
      targets = tagged.filter((t) => t.ref.tag === ref.tag);
      if (targets.length === 0) throw notFound(`tag does not exist: ${ref.familiarString()}`);
    }
    const creds = credentialsFrom(req.auth);
    const signal = req.signal;
    return this.registries.withEndpoints(ref.domain, creds, { push: true, ...(signal ? { signal } : {}) }, async (session, commit) => {
      const repo = new RemoteRepository(session, ref.path, true);
      commit();
      const out: PushedTag[] = [];
      for (const t of targets) out.push(await this.pushTag(repo, t.ref, t.id, req));
      return out;
    });
  }

  private async pushTag(repo: RemoteRepository, ref: Reference, id: string, req: PushRequest): Promise<PushedTag> {
    const rec = this.svc.store.get(id);
    if (!rec) throw notFound(`tag does not exist: ${ref.familiarString()}`);
    const configBytes = await this.svc.content.read(rec.id);
    const ac = new AbortController();
    const onOuter = () => ac.abort();
    req.signal?.addEventListener('abort', onOuter, { once: true });
    const signal = ac.signal;
    try {
      // Layers, each once (an image may list the same layer twice).
      const seen = new Set<string>();
      const layers = rec.layers.filter((l) => (seen.has(l.blob.digest) ? false : (seen.add(l.blob.digest), true)));
      for (const l of layers) req.progress({ status: 'Preparing', id: shortDigest(l.diffID), layer: true });
      const slots = new Slots(this.opts.concurrency ?? 5);
      const settled = await Promise.allSettled(
        layers.map(async (l, i) => {
          const pid = shortDigest(l.diffID);
          let release = slots.tryAcquire();
          if (!release) {
            req.progress({ status: 'Waiting', id: pid, layer: true });
            release = await slots.acquire(i, signal);
          }
          try {
            await this.pushBlob(repo, l.blob, signal, req.progress, pid);
          } catch (e) {
            ac.abort();
            throw e;
          } finally {
            release();
          }
        }),
      );
      const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
      if (failures.length) throw failures.find((e) => !isAbort(e)) ?? failures[0];
      await this.pushBlob(repo, { mediaType: MediaType.DockerConfig, digest: rec.id, size: configBytes.length }, signal, req.progress);

      const m = await this.manifestFor(rec);
      const digest = sha256Digest(m.bytes);
      const tag = ref.tag!;
      const claimed = await repo.putManifest(tag, m.bytes, m.mediaType, signal);
      if (claimed && claimed !== digest) {
        throw invalidParameter(`the registry stored the manifest of ${ref.familiarString()} under digest ${claimed}, not ${digest}`);
      }
      req.progress({ status: `${tag}: digest: ${digest} size: ${m.bytes.length}` });
      req.progress({ aux: { Tag: tag, Digest: digest, Size: m.bytes.length } });
      const manifest: Descriptor = { mediaType: m.mediaType, digest, size: m.bytes.length };
      await this.svc.exclusive(async () => {
        if (!this.svc.store.get(rec.id)) return; // removed meanwhile: nothing to record
        await this.svc.content.put(m.bytes, { digest });
        await this.svc.createImage(this.svc.store.config(rec.id), rec.layers, { refs: [ref.trimNamed().withDigest(digest)], manifest, configBytes });
      });
      return { ref, digest, size: m.bytes.length };
    } finally {
      req.signal?.removeEventListener('abort', onOuter);
    }
  }

  /** The manifest to push: the one the image came with when it still describes it, else a new one. */
  private async manifestFor(rec: ImageRecord): Promise<{ bytes: Buffer; mediaType: string }> {
    if (rec.manifest && (await this.svc.content.has(rec.manifest.digest))) {
      try {
        const bytes = await this.svc.content.read(rec.manifest.digest);
        const p = parseManifest(bytes, rec.manifest.mediaType);
        if (
          p.kind === 'manifest' &&
          p.manifest.config.digest === rec.id &&
          p.manifest.layers.length === rec.layers.length &&
          p.manifest.layers.every((l, i) => l.digest === rec.layers[i]!.blob.digest)
        ) {
          return { bytes, mediaType: p.mediaType };
        }
      } catch {
        /* a stored manifest that does not parse: build one */
      }
    }
    const configSize = (await this.svc.content.info(rec.id)).size;
    if (rec.layers.some((l) => isZstdMediaType(l.blob.mediaType))) {
      const m = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: rec.id, size: configSize },
        layers: rec.layers.map((l) => ({ mediaType: ociLayerMediaType(l.blob.mediaType), digest: l.blob.digest, size: l.blob.size })),
      };
      return { bytes: Buffer.from(JSON.stringify(m, null, 3)), mediaType: MediaType.OciManifest };
    }
    // Docker v2 schema 2, laid out as docker's distribution library writes it.
    const m = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, size: configSize, digest: rec.id },
      layers: rec.layers.map((l) => ({ mediaType: dockerLayerMediaType(l.blob.mediaType), size: l.blob.size, digest: l.blob.digest })),
    };
    return { bytes: Buffer.from(JSON.stringify(m, null, 3)), mediaType: MediaType.DockerManifest };
  }

  /** Repositories of the same registry that a local image holding this blob is tagged in (mount sources). */
  private mountSources(repo: RemoteRepository, digest: string): string[] {
    const domain = repo.session.endpoint.domain;
    const out = new Set<string>();
    for (const v of this.svc.list()) {
      if (v.record.id !== digest && !v.record.layers.some((l) => l.blob.digest === digest)) continue;
      for (const r of v.refs) if (r.domain === domain && r.path !== repo.path) out.add(r.path);
    }
    return [...out].slice(0, 3);
  }

  private async pushBlob(repo: RemoteRepository, blob: Descriptor, signal: AbortSignal, progress: ProgressSink, pid?: string): Promise<void> {
    const say = (status: string) => pid && progress({ status, id: pid, layer: true });
    if ((await repo.blobSize(blob.digest, signal)) !== undefined) {
      say('Layer already exists');
      return;
    }
    let upload: URL | undefined;
    for (const from of this.mountSources(repo, blob.digest)) {
      try {
        const r = await repo.mountBlob(blob.digest, from, signal);
        if (r === 'mounted') {
          say(`Mounted from ${from}`);
          return;
        }
        upload = r;
        break;
      } catch (e) {
        if (isAbort(e)) throw e;
        this.opts.log?.debug('cross-repository mount refused', { digest: blob.digest, from, err: messageOf(e) });
      }
    }
    const path = this.svc.content.path(blob.digest);
    await this.svc.content.info(blob.digest); // NotFound now rather than mid-upload
    const bp = pid ? new ByteProgress(progress, pid, 'Pushing', blob.size) : undefined;
    const attempts = this.opts.attempts ?? DEFAULT_ATTEMPTS;
    const delay = this.opts.retryDelayMs ?? defaultRetryDelay;
    const chunk = this.opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (blob.size <= chunk) {
      for (let attempt = 1; ; attempt++) {
        try {
          upload ??= await repo.startUpload(signal);
          let sent = 0;
          await repo.putBlob(upload, blob.digest, blob.size, () => createReadStream(path).pipe(new Counter((n) => bp?.update((sent += n)))), signal);
          break;
        } catch (e) {
          if (signal.aborted) throw new AbortedError();
          if (attempt >= attempts || !isRetryable(e)) throw e;
          upload = undefined; // a failed PUT may have closed the session: start a new one
          await sleep(delay(attempt), signal);
        }
      }
    } else {
      let url = upload ?? (await repo.startUpload(signal));
      let offset = 0;
      let failures = 0;
      while (offset < blob.size) {
        const len = Math.min(chunk, blob.size - offset);
        const start = offset;
        try {
          let sent = 0;
          url = await repo.patchChunk(
            url,
            start,
            len,
            (): Readable => createReadStream(path, { start, end: start + len - 1 }).pipe(new Counter((n) => bp?.update(start + (sent += n)))),
            signal,
          );
          offset += len;
        } catch (e) {
          if (signal.aborted) throw new AbortedError();
          if (++failures >= attempts || !(isRetryable(e) || (e instanceof RegistryError && e.status === 416))) throw e;
          await sleep(delay(failures), signal);
          const st = await repo.uploadStatus(url, signal);
          this.opts.log?.info('resuming blob upload', { digest: blob.digest, offset: st.offset });
          url = st.url;
          offset = st.offset;
        }
      }
      await repo.completeUpload(url, blob.digest, signal);
    }
    bp?.update(blob.size);
    say('Pushed');
  }
}
