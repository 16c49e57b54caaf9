/**
 * A small tar writer for build contexts: ustar headers (as Go's archive/tar
 * writes them for go-archive, magic `ustar\0` version `00`), with a PAX
 * record for a name, link name or size that does not fit. It yields Buffers
 * for Readable.from, header and contents back to back, so a context of
 * thousands of files costs a few allocations per file rather than a stream
 * per entry.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const BLOCK = 512;

export type TarType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

const TYPEFLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6' };

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

/** The biggest value an octal field of `width` bytes holds (width - 1 digits and a NUL). */
const maxOctal = (width: number): number => 8 ** (width - 1) - 1;

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function ustar(h: TarHeader, name: string, linkname: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, size);
  octal(b, 136, 12, Math.max(0, Math.min(h.mtime, maxOctal(12))));
  b.write(TYPEFLAG[h.type], 156, 1, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0' + '00', 257, 8, 'latin1');
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

/** The header blocks of an entry: a PAX extended header first when a value does not fit ustar. */
export function encodeHeader(h: TarHeader): Buffer {
  const linkname = h.linkname ?? '';
  const records: string[] = [];
  if (Buffer.byteLength(h.name) > 100) records.push(paxRecord('path', h.name));
  if (Buffer.byteLength(linkname) > 100) records.push(paxRecord('linkpath', linkname));
  if (h.size > maxOctal(12)) records.push(paxRecord('size', String(h.size)));
  const main = ustar(h, truncate(h.name), truncate(linkname), h.size > maxOctal(12) ? 0 : h.size);
  if (!records.length) return main;
  const body = Buffer.from(records.join(''));
  const paxName = truncate(`PaxHeaders.0/${h.name.replace(/\/$/, '').split('/').pop()}`);
  const pax = ustar({ ...h, type: 'file', linkname: '' }, paxName, '', body.length);
  pax.write('x', 156, 1, 'latin1');
  // The checksum covers the typeflag: recompute it.
  pax.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += pax[i]!;
  pax.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return Buffer.concat([pax, body, padding(body.length), main]);
}

/** The first 100 bytes of a UTF-8 name, not splitting a character. */
function truncate(s: string): string {
  let out = s;
  while (Buffer.byteLength(out) > 100) out = out.slice(0, -1);
  return out;
}

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The end of an archive: two zero blocks. */
export const END = Buffer.alloc(BLOCK * 2);

const CHUNK = 1 << 20;

/**
 * A regular file's contents as the header promised: exactly `size` bytes
 * and the padding, read synchronously in 1 MiB chunks (under load, Node's
 * thread-pool round trips per small file cost more than the reads
 * themselves). A file that changed size while the context was sent fails
 * the build (the tar would be corrupt otherwise).
 */
export function* fileContents(path: string, size: number): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    let read = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size - read, 1)));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      read += n;
      if (read > size) break;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
    if (read !== size) throw new Error(`can't add file ${path} to tar: it changed size while being sent (${size} bytes expected)`);
  } finally {
    closeSync(fd);
  }
  yield padding(size);
}

const BATCH = 256 * 1024;

/** Joins small pieces (headers, small files, padding) into chunks of about 256 kB: each chunk costs a stream round trip. */
export function* batched(pieces: Iterable<Buffer>): Generator<Buffer> {
  let held: Buffer[] = [];
  let size = 0;
  for (const p of pieces) {
    if (p.length >= BATCH) {
      // A big chunk of a file goes as it is, after what is held: no copy.
      if (size > 0) yield Buffer.concat(held, size);
      held = [];
      size = 0;
      yield p;
      continue;
    }
    held.push(p);
    size += p.length;
    if (size >= BATCH) {
      yield Buffer.concat(held, size);
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(held, size);
}
