/**
 * Content store: blobs addressed by sha256 digest under `content/blobs/sha256/`.
 *
 * Lifecycle: a blob is written through a ContentWriter into `content/ingest/`
 * (hashed as it is written); commit() checks size and digest against what the
 * caller expected, fsyncs and renames it into place, so nothing half-written is
 * ever visible under its digest. abort() removes the ingest file. A writer
 * opened with a `ref` that already has an ingest file resumes it (the bytes
 * already there are re-hashed), which lets an interrupted download continue.
 *
 * Errors: NotFound for a missing blob; InvalidParameter when a commit's size
 * or digest does not match (the ingest file is removed).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidParameter, notFound, errnoCode } from '../errdefs/errdefs.js';
import { syncDir } from '../util/atomic-file.js';

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

export interface BlobInfo {
  digest: string;
  size: number;
}

export function sha256Digest(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function hexOf(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw invalidParameter(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 hex digits>`);
  return m[1]!;
}

export class ContentStore {
  private readonly blobs: string;
  private readonly ingest: string;

  constructor(root: string) {
    this.blobs = join(root, 'blobs', 'sha256');
    this.ingest = join(root, 'ingest');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobs, { recursive: true });
    await fs.mkdir(this.ingest, { recursive: true });
  }

  path(digest: string): string {
    return join(this.blobs, hexOf(digest));
  }

  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await fs.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`content ${digest} not found`);
      throw e;
    }
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`content ${digest} not found`);
      throw e;
    }
  }

  /** A stream of the blob; fails with NotFound before any data when missing. */
  async openRead(digest: string): Promise<Readable> {
    await this.info(digest);
    return createReadStream(this.path(digest));
  }

  /** Stores a small blob (manifests, configs) and returns its descriptor. */
  async put(data: Buffer, expected?: Partial<BlobInfo>): Promise<BlobInfo> {
    const digest = sha256Digest(data);
    if (await this.has(digest)) {
      check(expected, { digest, size: data.length });
      return { digest, size: data.length };
    }
    const w = await this.writer();
    await w.write(data);
    return w.commit(expected);
  }

  /** Opens a writer; with `ref`, resumes an earlier interrupted ingest of that ref. */
  async writer(ref?: string): Promise<ContentWriter> {
    const name = ref ? ref.replace(/[^A-Za-z0-9_.-]/g, '_') : randomBytes(12).toString('hex');
    const path = join(this.ingest, name);
    const hash = createHash('sha256');
    let offset = 0;
    if (ref) {
      try {
        for await (const chunk of createReadStream(path)) {
          hash.update(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
    }
    const fh = await fs.open(path, offset > 0 ? 'a' : 'w');
    return new ContentWriter(this, fh, path, hash, offset);
  }

  /** @internal used by ContentWriter.commit */
  async place(tmpPath: string, digest: string): Promise<void> {
    const target = this.path(digest);
    await fs.rename(tmpPath, target);
    await syncDir(this.blobs);
  }

  async delete(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  async list(): Promise<string[]> {
    return (await fs.readdir(this.blobs)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes ingest files left by a crash (none is in use at daemon start). */
  async cleanIngest(keep: (name: string) => boolean = () => false): Promise<void> {
    for (const n of await fs.readdir(this.ingest)) if (!keep(n)) await fs.rm(join(this.ingest, n), { force: true });
  }
}

function check(expected: Partial<BlobInfo> | undefined, got: BlobInfo): void {
  if (expected?.size !== undefined && expected.size !== got.size) {
    throw invalidParameter(`size mismatch for ${expected.digest ?? got.digest}: expected ${expected.size} bytes, got ${got.size}`);
  }
  if (expected?.digest !== undefined && expected.digest !== got.digest) {
    throw invalidParameter(`digest mismatch: expected ${expected.digest}, got ${got.digest}`);
  }
}

export class ContentWriter {
  private done = false;

  constructor(
    private readonly store: ContentStore,
    private readonly fh: fs.FileHandle,
    private readonly path: string,
    private readonly hash: Hash,
    /** Bytes already written (non-zero when resuming). */
    public offset: number,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    let pos = 0;
    while (pos < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, pos, chunk.length - pos);
      pos += bytesWritten;
    }
    this.offset += chunk.length;
  }

  /** Verifies and publishes the blob under its digest. */
  async commit(expected?: Partial<BlobInfo>): Promise<BlobInfo> {
    if (this.done) throw new Error('content writer already closed');
    this.done = true;
    const got: BlobInfo = { digest: 'sha256:' + this.hash.digest('hex'), size: this.offset };
    try {
      check(expected, got);
      await this.fh.sync();
      await this.fh.close();
      await this.store.place(this.path, got.digest);
      return got;
    } catch (e) {
      await this.fh.close().catch(() => {});
      await fs.rm(this.path, { force: true });
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => {});
    await fs.rm(this.path, { force: true });
  }
}
