/**
 * The image of the image-ops scenario, made by the bench: three layers,
 * ~200 MB of incompressible (random) data in all —
 *   1. 5,000 small files (1–4 KiB each, 50 directories),
 *   2. 4 files of 24 MiB,
 *   3. 4 files of 24 MiB —
 * written as a `docker save` archive (Docker 20.10 layout, which berth and
 * every Docker load), and as gzip-compressed registry blobs with their
 * digests (level 1: the data is random, so gzip only frames it).
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Blob } from './registry.js';

const BLOCK = 512;

/** A ustar header for a regular file or a directory (names < 100 bytes). */
function header(name: string, size: number, type: 'file' | 'dir', mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (s: string, off: number, len: number): void => {
    h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  };
  const oct = (n: number, len: number): string => n.toString(8).padStart(len - 1, '0') + '\0';
  if (Buffer.byteLength(name) >= 100) throw new Error(`tar name too long: ${name}`);
  put(name, 0, 100);
  put(oct(type === 'dir' ? 0o755 : 0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(mtime, 12), 136, 12);
  h.fill(' ', 148, 156);
  put(type === 'dir' ? '5' : '0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** Writes a tar file block by block while hashing it. */
class TarWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  private write(b: Buffer): void {
    writeSync(this.fd, b);
    this.hash.update(b);
    this.size += b.length;
  }

  dir(name: string, mtime: number): void {
    this.write(header(name.endsWith('/') ? name : `${name}/`, 0, 'dir', mtime));
  }

  /** A file whose content is produced in chunks by `fill` (called until `size` bytes are written). */
  file(name: string, size: number, mtime: number, chunk: (buf: Buffer) => void): void {
    this.write(header(name, size, 'file', mtime));
    const buf = Buffer.allocUnsafe(Math.min(size, 1 << 20) || 1);
    let left = size;
    while (left > 0) {
      const n = Math.min(left, buf.length);
      const part = buf.subarray(0, n);
      chunk(part);
      this.write(part);
      left -= n;
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) this.write(Buffer.alloc(pad));
  }

  /** Copies a file's bytes in as an entry. */
  copy(name: string, src: string, size: number, mtime: number): void {
    const fd = openSync(src, 'r');
    try {
      let pos = 0;
      this.file(name, size, mtime, (part) => {
        const n = readSync(fd, part, 0, part.length, pos);
        if (n !== part.length) throw new Error(`short read of ${src}`);
        pos += n;
      });
    } finally {
      closeSync(fd);
    }
  }

  bytes(name: string, data: Buffer, mtime: number): void {
    let off = 0;
    this.file(name, data.length, mtime, (part) => {
      data.copy(part, 0, off, off + part.length);
      off += part.length;
    });
  }

  /** Two zero blocks; returns the sha256 hex of the whole tar. */
  finish(): string {
    this.write(Buffer.alloc(BLOCK * 2));
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

export interface BigImage {
  /** The `docker save` archive. */
  archive: string;
  archiveSize: number;
  /** Uncompressed content size (the three layer tars). */
  layerBytes: number;
  config: Blob;
  /** gzip blobs, ready for the registry. */
  layers: Blob[];
  imageId: string;
}

async function gzipBlob(src: string, dst: string): Promise<Blob> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(createReadStream(src), createGzip({ level: 1 }), tap, createWriteStream(dst));
  return { digest: `sha256:${hash.digest('hex')}`, size, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', file: dst };
}

export async function makeBigImage(dir: string, tag: string, opts: { smallFiles?: number; bigFileMiB?: number } = {}): Promise<BigImage> {
  const smallFiles = opts.smallFiles ?? 5000;
  const bigMiB = opts.bigFileMiB ?? 24;
  const mtime = Math.floor(Date.now() / 1000);
  const random = (b: Buffer): void => {
    randomFillSync(b);
  };
  const layerFiles: string[] = [];
  const diffIds: string[] = [];
  const sizes: number[] = [];
  // Layer 1: many small files.
  {
    const w = new TarWriter(join(dir, 'layer1.tar'));
    w.dir('small', mtime);
    for (let d = 0; d < 50; d++) w.dir(`small/d${String(d).padStart(2, '0')}`, mtime);
    for (let i = 0; i < smallFiles; i++) {
      const size = 1024 + Math.floor(Math.random() * 3072);
      w.file(`small/d${String(i % 50).padStart(2, '0')}/f${String(i).padStart(5, '0')}`, size, mtime, random);
    }
    diffIds.push(`sha256:${w.finish()}`);
    sizes.push(w.size);
    layerFiles.push(w.path);
  }
  // Layers 2 and 3: big files.
  for (const n of [2, 3]) {
    const w = new TarWriter(join(dir, `layer${n}.tar`));
    w.dir(`big${n}`, mtime);
    for (let i = 0; i < 4; i++) w.file(`big${n}/blob${i}.bin`, bigMiB << 20, mtime, random);
    diffIds.push(`sha256:${w.finish()}`);
    sizes.push(w.size);
    layerFiles.push(w.path);
  }
  const created = new Date(mtime * 1000).toISOString();
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      created,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map((_, i) => ({ created, created_by: `bench layer ${i + 1}` })),
    }),
  );
  const configHex = createHash('sha256').update(configBytes).digest('hex');
  // The archive (legacy layout: <v1id>/layer.tar, <config>.json, manifest.json, repositories).
  const archive = join(dir, 'big-image.tar');
  const w = new TarWriter(archive);
  const v1ids: string[] = [];
  let parent = '';
  for (let i = 0; i < 3; i++) {
    const v1 = createHash('sha256').update(`${parent} ${diffIds[i]}`).digest('hex');
    v1ids.push(v1);
    w.dir(v1, mtime);
    w.bytes(`${v1}/VERSION`, Buffer.from('1.0'), mtime);
    w.bytes(`${v1}/json`, Buffer.from(JSON.stringify({ id: v1, ...(parent ? { parent } : {}), created })), mtime);
    w.copy(`${v1}/layer.tar`, layerFiles[i]!, sizes[i]!, mtime);
    parent = v1;
  }
  w.bytes(`${configHex}.json`, configBytes, mtime);
  const [repo, t] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
  w.bytes('manifest.json', Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [tag], Layers: v1ids.map((v) => `${v}/layer.tar`) }])), mtime);
  w.bytes('repositories', Buffer.from(JSON.stringify({ [repo]: { [t]: v1ids[2] } })), mtime);
  w.finish();
  // Registry blobs.
  const layers: Blob[] = [];
  for (let i = 0; i < 3; i++) {
    layers.push(await gzipBlob(layerFiles[i]!, join(dir, `layer${i + 1}.tar.gz`)));
    rmSync(layerFiles[i]!);
  }
  return {
    archive,
    archiveSize: w.size,
    layerBytes: sizes.reduce((a, b) => a + b, 0),
    config: { digest: `sha256:${configHex}`, size: configBytes.length, mediaType: 'application/vnd.docker.container.image.v1+json', data: configBytes },
    layers,
    imageId: `sha256:${configHex}`,
  };
}
