/**
 * Helpers for the layer unpack/diff tests: building tars with tar-stream's
 * pack, reading tars back, temp dirs, and a comparable description of a tree.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import type { Header } from 'tar-stream';
import { lgetxattr } from '../../sys/libc.js';

export type EntrySpec = Partial<Header> & { name: string; data?: string | Buffer; pax?: Record<string, string> };

/** A tar (as one Buffer) of the given entries, written by tar-stream's pack. */
export async function makeTar(entries: EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data !== undefined) p.entry(header, data, cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function streamOf(buf: Buffer, chunkSize = 64 * 1024): Readable {
  function* gen(): Generator<Buffer> {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  }
  return Readable.from(gen(), { objectMode: false });
}

export interface ReadEntry {
  header: Header & { pax?: Record<string, string> | null };
  data: Buffer;
}

/** Every entry of a tar, parsed with tar-stream's extract. */
export async function readTar(tar: Readable | Buffer): Promise<ReadEntry[]> {
  const ex = extract();
  const src = Buffer.isBuffer(tar) ? streamOf(tar) : tar;
  src.on('error', (e: Error) => ex.destroy(e));
  src.pipe(ex as unknown as NodeJS.WritableStream);
  const out: ReadEntry[] = [];
  for await (const entry of ex) {
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    out.push({ header: entry.header as ReadEntry['header'], data: Buffer.concat(parts) });
  }
  return out;
}

export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `berth-${prefix}-`));
}

const XATTRS = ['security.capability', 'trusted.overlay.opaque', 'user.test'];

/**
 * One line per path (sorted), describing what a layer round trip must keep:
 * type, mode, owner, mtime (seconds; directories and files), content digest,
 * link target, device numbers, selected xattrs, and hardlink groups.
 */
export function describeTree(root: string): string[] {
  const lines: string[] = [];
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = rel ? path.join(root, rel) : root;
    const st = fs.lstatSync(abs);
    const parts = [rel || '.', typeOf(st), (st.mode & 0o7777).toString(8), `${st.uid}:${st.gid}`];
    if (!st.isSymbolicLink() && rel) parts.push(`mtime=${Math.floor(st.mtimeMs / 1000)}`);
    if (st.isFile()) parts.push(`sha=${createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16)}`);
    if (st.isSymbolicLink()) parts.push(`-> ${fs.readlinkSync(abs)}`);
    if (st.isCharacterDevice() || st.isBlockDevice()) parts.push(`rdev=${st.rdev}`);
    for (const x of XATTRS) {
      const v = lgetxattr(abs, x);
      if (v) parts.push(`${x}=${v.toString('hex')}`);
    }
    if (!st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (!inodes.has(key)) inodes.set(key, rel);
      parts.push(`link=${inodes.get(key)!}`);
    }
    lines.push(parts.join(' '));
    if (st.isDirectory()) for (const n of fs.readdirSync(abs).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return lines;
}

function typeOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'chr';
  if (st.isBlockDevice()) return 'blk';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

/** Names of everything under dir (recursive, relative, sorted). */
export function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const n of fs.readdirSync(rel ? path.join(dir, rel) : dir).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
