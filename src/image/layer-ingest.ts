/**
 * Turning a layer stream into a stored blob and an unpacked snapshot, in one
 * pass: the bytes go to the content store as they arrive, are decompressed,
 * hashed into the diff ID, and unpacked straight into the upper dir of a
 * fresh snapshot, which is then committed under the layer's chain ID.
 *
 * Layers are shared: when a snapshot with that chain ID already exists the
 * fresh one is dropped. On any failure (bad data, digest mismatch, hostile
 * tar) the blob ingest and the snapshot are removed: nothing half-made stays.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, isKind } from '../errdefs/errdefs.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import { decompressor, sniff, type Compression } from './compression.js';
import type { ContentStore, ContentWriter } from './content-store.js';
import type { LayerRecord } from './image-store.js';
import { MediaType, type Descriptor } from './oci.js';
import { applyLayer, type LayerLimits } from './unpack.js';

export const LABEL_DIFF_ID = 'berth.diff-id';
export const LABEL_SIZE = 'berth.size';
export const LABEL_TAR_SIZE = 'berth.tar-size';
export const LABEL_EXTRACT = 'berth.extract';

export function chainIdOf(parentChainId: string | undefined, diffId: string): string {
  return parentChainId === undefined ? diffId : 'sha256:' + createHash('sha256').update(`${parentChainId} ${diffId}`).digest('hex');
}

/** The chain IDs of a list of diff IDs. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out[out.length - 1], d));
  return out;
}

export interface IngestDeps {
  content: ContentStore;
  snapshots: Snapshotter;
  /** Scratch space on the snapshots' filesystem (ImageService.tmpDir), for unpacking ahead. */
  tmpDir?: string;
  /** What one layer may hold (default: applyLayer's defaults). */
  layerLimits?: LayerLimits;
}

export interface IngestOptions {
  /** Chain ID of the layer below, if any. */
  parent?: string;
  /**
   * Keep the blob as it arrived (registries), decompressed (import), or it is
   * already in the content store as `stored` (archives: the input is that blob).
   */
  keep: 'as-is' | 'uncompressed' | { stored: Descriptor };
  /** Media type of the incoming blob when known; otherwise sniffed. */
  mediaType?: string;
  expectedBlob?: { digest: string; size?: number };
  expectedDiffId?: string;
  /** Called with the count of incoming bytes read so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Unpack ahead (pulls): the parent layer is still being unpacked and will be
   * committed when this settles. The layer is unpacked into a scratch dir
   * under deps.tmpDir meanwhile (a layer's unpacked form does not depend on
   * its parent: whiteouts are recorded, not applied), then moved into its
   * snapshot once the parent is there. A rejection fails this ingest.
   */
  parentReady?: Promise<unknown>;
  /** Called when the data is unpacked and checked, before waiting for the parent. */
  onUnpacked?: () => void;
}

/**
 * Passes data through while counting it, and optionally hashing it and
 * writing it to the content store. Writes go out in 1 MiB batches, in order,
 * while data keeps flowing (up to 8 MiB ahead): a write per network or
 * decompressor chunk would stall the whole pipeline on each one. The stream
 * ends only when every write has landed; a failed write fails it.
 */
class Tap extends Transform {
  readonly hash: Hash | undefined;
  bytes = 0;
  private pending: Promise<void> = Promise.resolve();
  private queued = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private failed: Error | undefined;

  constructor(
    private readonly writer?: ContentWriter,
    private readonly onBytes?: (n: number) => void,
    hash = false,
  ) {
    super();
    this.hash = hash ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    if (!this.writer) return cb(null, chunk);
    if (this.failed) return cb(this.failed);
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= 1 << 20) this.flushBatch();
    if (this.queued < 8 << 20) return cb(null, chunk);
    void this.pending.then(() => cb(this.failed ?? null, chunk));
  }

  override _flush(cb: TransformCallback): void {
    if (!this.writer) return cb();
    if (this.batchBytes > 0) this.flushBatch();
    void this.pending.then(() => cb(this.failed ?? null));
  }

  private flushBatch(): void {
    const buf = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    this.queued += buf.length;
    const writer = this.writer!;
    this.pending = this.pending.then(async () => {
      try {
        if (!this.failed) await writer.write(buf);
      } catch (e) {
        this.failed = e as Error;
      } finally {
        this.queued -= buf.length;
      }
    });
  }
}

export async function ingestLayer(deps: IngestDeps, input: Readable, opts: IngestOptions): Promise<LayerRecord> {
  const { compression, stream } = await sniff(input);
  const key = `extract-${randomBytes(8).toString('hex')}`;
  const ahead = opts.parentReady !== undefined;
  if (ahead && !deps.tmpDir) throw new Error('ingestLayer: unpacking ahead needs deps.tmpDir');
  // Unpacking ahead: a scratch dir now, the snapshot once the parent is committed.
  let scratch = ahead ? join(deps.tmpDir!, key) : undefined;
  if (scratch) await fs.mkdir(scratch, { mode: 0o755 });
  else await deps.snapshots.prepare(key, opts.parent, { [LABEL_EXTRACT]: 'true' });
  const writer = typeof opts.keep === 'object' ? undefined : await deps.content.writer().catch(async (e: unknown) => {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    else await deps.snapshots.remove(key);
    throw e;
  });
  let committed = false;
  try {
    const decompress = decompressor(compression);
    // Hash each byte once: when the content writer takes the tar itself, its digest is the diff ID.
    const diffIdFromBlob = writer !== undefined && (!decompress || opts.keep === 'uncompressed');
    const inTap = new Tap(opts.keep === 'as-is' || !decompress ? writer : undefined, opts.onProgress);
    const tarTap = new Tap(opts.keep === 'uncompressed' && decompress ? writer : undefined, undefined, !diffIdFromBlob);
    const out = new PassThrough();
    const stages = decompress ? [inTap, decompress, tarTap, out] : [inTap, tarTap, out];
    const flow = pipeline(stream, ...(stages as [Transform, ...Transform[]]));
    const unpack = applyLayer(out, scratch ?? deps.snapshots.layerDir(key), deps.layerLimits ?? {}).then(
      (r) => {
        out.resume(); // drain the end-of-archive padding: it counts toward the diff ID
        return r;
      },
      (e: unknown) => {
        out.destroy(e as Error);
        throw e;
      },
    );
    const [flowResult, unpackResult] = await Promise.allSettled([flow, unpack]);
    if (unpackResult.status === 'rejected') throw unpackResult.reason;
    if (flowResult.status === 'rejected') throw flowResult.reason;

    // The blob is checked (and published) first: a blob that is not the one
    // announced is the error to report, not the diff ID it then fails. A
    // published blob whose layer fails is the caller's to remove (pull does).
    const blob = writer ? await writer.commit(opts.expectedBlob) : (opts.keep as { stored: Descriptor }).stored;
    const diffID = diffIdFromBlob ? blob.digest : 'sha256:' + tarTap.hash!.digest('hex');
    if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== diffID) {
      throw invalidParameter(`layer content does not match its diff ID: expected ${opts.expectedDiffId}, got ${diffID}`);
    }
    const chainID = chainIdOf(opts.parent, diffID);
    const size = unpackResult.value.bytes;
    opts.onUnpacked?.();
    if (scratch) {
      await opts.parentReady;
      await deps.snapshots.prepare(key, opts.parent, { [LABEL_EXTRACT]: 'true' });
      const dir = deps.snapshots.layerDir(key);
      await fs.rmdir(dir); // the empty upper dir prepare made: the unpacked one takes its place
      await fs.rename(scratch, dir);
      scratch = undefined;
    }
    if (!deps.snapshots.stat(chainID)) {
      // commit syncs the layer to disk first: another ingest of the same layer may commit meanwhile
      await deps.snapshots.commit(chainID, key, { [LABEL_DIFF_ID]: diffID, [LABEL_SIZE]: String(size), [LABEL_TAR_SIZE]: String(tarTap.bytes) }).catch((e: unknown) => {
        if (!isKind(e, 'Conflict') || !deps.snapshots.stat(chainID)) throw e;
      });
    }
    if (deps.snapshots.stat(key)) await deps.snapshots.remove(key); // the layer was there already
    committed = true;
    return {
      diffID,
      chainID,
      size,
      tarSize: tarTap.bytes,
      blob: { mediaType: blobMediaType(opts, compression), digest: blob.digest, size: blob.size },
    };
  } finally {
    if (!committed) {
      await writer?.abort();
      if (deps.snapshots.stat(key)) await deps.snapshots.remove(key);
    }
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  }
}

function blobMediaType(opts: IngestOptions, c: Compression): string {
  if (typeof opts.keep === 'object') return opts.keep.stored.mediaType;
  if (opts.keep === 'uncompressed' || c === 'none') return MediaType.OciLayer;
  if (opts.mediaType) return opts.mediaType;
  return c === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayerGzip;
}

/** A layer record for a chain ID that is already unpacked, from its snapshot labels. */
export function existingLayer(snapshots: Snapshotter, chainID: string, blob: LayerRecord['blob']): LayerRecord | undefined {
  const info = snapshots.stat(chainID);
  if (!info || info.kind !== 'committed') return undefined;
  const diffID = info.labels[LABEL_DIFF_ID];
  if (!diffID) return undefined;
  return {
    diffID,
    chainID,
    size: Number(info.labels[LABEL_SIZE] ?? 0),
    tarSize: Number(info.labels[LABEL_TAR_SIZE] ?? 0),
    blob,
  };
}
