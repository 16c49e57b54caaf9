/**
 * Layer creation: an overlay upper dir → an uncompressed OCI layer tar (the
 * reverse of unpack.ts), and a plain tar of a directory tree.
 *
 * Output is Docker-shaped: relative names without a leading "/" or "./"
 * ("etc/", "etc/passwd"), directories with a trailing "/", the root itself
 * omitted; overlay whiteouts (character device 0/0) become empty ".wh.name"
 * files (mode 0600, the device's owner and mtime), an opaque directory
 * (trusted.overlay.opaque=y) is its directory entry followed by
 * "dir/.wh..wh..opq"; a file with several links inside the tree is written once
 * and then as tar hardlinks to that first name; sockets are skipped; of the
 * xattrs only security.capability is kept, as Docker does. Mode (with set-id
 * and sticky bits), uid, gid and mtime (whole seconds) are kept, uname/gname
 * left empty, and each directory's entries are sorted by name and visited
 * depth first (filepath.Walk's order), so the same tree always gives the same
 * bytes.
 *
 * The tar encoder is our own (ustar, with PAX records when a value does not
 * fit) rather than tar-stream's pack, because pack cannot write binary PAX
 * values (security.capability), turns mode 0 into 0644, and has no room for
 * uids over 2097151 or mtimes past 2038.
 *
 * The tree is read through directory fds (see "the walk" below), so a running
 * container that swaps a directory for a symlink meanwhile can only make the
 * read fail, never point it outside the tree.
 *
 * Error contract: the returned stream is destroyed with an EngineError —
 * InvalidParameter if the directory is missing or not a directory, Internal
 * for a filesystem failure (naming the entry), an entry replaced by a symlink
 * meanwhile, or a file that changed size while it was read. Nothing is read before the stream is consumed; destroying the
 * stream early closes any open file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { EngineError, errnoCode, internal, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { at, closeFd, fdPath, O_PATH, openBeneath, openDir } from '../sys/dirfd.js';
import { lgetxattr } from '../sys/libc.js';
import { OVERLAY_OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './unpack.js';

export interface TreeOptions {
  /** Relative paths ("etc/hostname") left out of the archive. */
  exclude?: ReadonlySet<string>;
  /** tarEntry: the archive name of the entry (and the prefix of what is below it), instead of its own name. */
  as?: string;
}

/** The tar of an overlay upper dir, whiteouts and opaque dirs in OCI form. */
export function diffLayer(upperDir: string, opts: TreeOptions = {}): Readable {
  return treeStream(() => ({ base: openTreeDir(upperDir) }), true, opts);
}

/** The tar of a plain tree (nothing converted): export. */
export function tarDirectory(dir: string, opts: TreeOptions = {}): Readable {
  return treeStream(() => ({ base: openTreeDir(dir) }), false, opts);
}

/**
 * The tar of the entry `name` of the open directory `dirFd` (a file, a
 * symlink, or a directory with everything below it), named `name` in the
 * archive (`docker cp`: "hosts", "etc/…", or "." for a directory's content).
 * The stream owns dirFd and closes it.
 */
export function tarEntry(dirFd: number, name: string, opts: TreeOptions = {}): Readable {
  return treeStream(() => ({ base: dirFd, start: name }), false, opts);
}

function openTreeDir(dir: string): number {
  try {
    return openDir(path.resolve(dir));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR' || errnoCode(err) === 'ELOOP') throw invalidParameter(`cannot make a layer of ${dir}: not a directory`);
    throw internal(`cannot make a layer of ${dir}: ${messageOf(err)}`, err);
  }
}

interface TreeRoot {
  /** The directory every entry is found under; owned (closed) by the walk. */
  base: number;
  /** Archive only this entry of base (and what is below it); without it, base's content. */
  start?: string;
}

function treeStream(open: () => TreeRoot, overlay: boolean, opts: TreeOptions): Readable {
  return Readable.from(walk(open, overlay, opts), { objectMode: false, highWaterMark: 1 << 20 });
}

// --- the walk ---------------------------------------------------------------------
//
// The tree may belong to a running container, which can swap any directory for
// a symlink at any moment. So no path string is ever resolved from the tree's
// root: each entry is reached as one name inside a directory fd that was opened
// beneath the base without crossing a symlink (sys/dirfd), files are opened
// O_PATH and checked before they are read (a FIFO or device swapped in is never
// opened), and a directory is listed through the fd it was opened with.

/** Small entries are gathered into chunks of about this size. */
const CHUNK = 256 * 1024;
/** Files up to this size are read synchronously in one go; bigger ones stream in READ_SIZE reads. */
const SYNC_READ_MAX = 1024 * 1024;
const READ_SIZE = 1024 * 1024;
const CAPABILITY_XATTR = 'security.capability';
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** The directory whose entries are being visited: one open fd, reopened beneath the base when the walk moves. */
class Cursor {
  private rel: string | undefined;
  private fd = -1;
  constructor(readonly base: number) {}

  /** An fd of the directory rel ("" or "." for the base). */
  dir(rel: string): number {
    if (rel === this.rel) return this.fd;
    const fd = op(rel || '.', () => openBeneath(this.base, rel, O_PATH | O_DIRECTORY));
    this.set(rel, fd);
    return fd;
  }

  set(rel: string, fd: number): void {
    this.release();
    this.rel = rel;
    this.fd = fd;
  }

  release(): void {
    if (this.fd >= 0) closeFd(this.fd);
    this.fd = -1;
    this.rel = undefined;
  }
}

function parentOf(rel: string): [string, string] {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? ['', rel] : [rel.slice(0, slash), rel.slice(slash + 1)];
}

async function* walk(open: () => TreeRoot, overlay: boolean, opts: TreeOptions): AsyncGenerator<Buffer> {
  const root = open();
  const cur = new Cursor(root.base);
  try {
    yield* walkFrom(root, cur, overlay, opts);
  } finally {
    cur.release();
    closeFd(root.base);
  }
}

async function* walkFrom(root: TreeRoot, cur: Cursor, overlay: boolean, opts: TreeOptions): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  let outBytes = 0;
  const emit = (b: Buffer): void => {
    out.push(b);
    outBytes += b.length;
  };
  const take = (): Buffer => {
    const b = out.length === 1 ? out[0]! : Buffer.concat(out, outBytes);
    out.length = 0;
    outBytes = 0;
    return b;
  };

  const links = new Map<string, string>(); // "dev:ino" → first name written
  const start = root.start;
  const as = opts.as;
  const nameOf = start === undefined || as === undefined || as === start ? (rel: string) => rel : (rel: string) => as + rel.slice(start.length);
  let stack: string[];
  if (root.start !== undefined) {
    stack = [root.start];
  } else {
    const rootSt = op('.', () => fs.fstatSync(root.base));
    if (overlay && isOpaque(root.base, '.', '.')) emit(opaqueMarker('', rootSt));
    stack = children(cur, root.base, '');
  }

  while (stack.length > 0) {
    const rel = stack.pop()!;
    if (opts.exclude?.has(rel)) continue;
    const [parentRel, name] = parentOf(rel);
    const parent = cur.dir(parentRel);
    const node = op(rel, () => fs.openSync(at(parent, name), O_PATH | O_NOFOLLOW));
    try {
      const st = op(rel, () => fs.fstatSync(node));
      const base: TarEntry = {
        name: nameOf(rel),
        type: '0',
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: 0,
        mtime: Math.floor(st.mtimeMs / 1000),
      };

      if (st.isDirectory()) {
        emit(encodeHeader({ ...base, name: `${base.name}/`, type: '5' }));
        if (overlay && isOpaque(parent, name, rel)) emit(opaqueMarker(base.name, st));
        stack.push(...children(cur, node, rel));
      } else if (overlay && st.isCharacterDevice() && st.rdev === 0) {
        const slash = base.name.lastIndexOf('/');
        emit(encodeHeader({ ...base, name: `${base.name.slice(0, slash + 1)}${WHITEOUT_PREFIX}${base.name.slice(slash + 1)}`, mode: 0o600 }));
      } else if (st.isSocket()) {
        continue; // tar cannot hold sockets; Docker skips them too
      } else if (st.nlink > 1 && links.has(`${st.dev}:${st.ino}`)) {
        emit(encodeHeader({ ...base, type: '1', linkname: links.get(`${st.dev}:${st.ino}`)! }));
      } else {
        if (st.nlink > 1) links.set(`${st.dev}:${st.ino}`, base.name);
        if (st.isFile()) {
          const cap = op(rel, () => lgetxattr(at(parent, name), CAPABILITY_XATTR));
          const entry: TarEntry = { ...base, size: st.size };
          if (cap) entry.xattrs = [[CAPABILITY_XATTR, cap]];
          emit(encodeHeader(entry));
          // Reopened through the O_PATH fd: the very inode just checked to be a regular file.
          const fd = op(rel, () => fs.openSync(fdPath(node), O_RDONLY));
          try {
            if (st.size <= SYNC_READ_MAX) {
              if (st.size > 0) emit(readSmall(fd, rel, st.size));
            } else {
              if (outBytes > 0) yield take();
              yield* readLarge(fd, rel, st.size);
            }
          } finally {
            fs.closeSync(fd);
          }
        } else if (st.isSymbolicLink()) {
          emit(encodeHeader({ ...base, type: '2', linkname: op(rel, () => fs.readlinkSync(at(parent, name))) }));
        } else if (st.isCharacterDevice() || st.isBlockDevice()) {
          const [devmajor, devminor] = splitDev(st.rdev);
          emit(encodeHeader({ ...base, type: st.isCharacterDevice() ? '3' : '4', devmajor, devminor }));
        } else if (st.isFIFO()) {
          emit(encodeHeader({ ...base, type: '6' }));
        }
      }
    } finally {
      closeFd(node);
    }
    if (outBytes >= CHUNK) yield take();
  }
  emit(Buffer.alloc(1024)); // end of archive
  yield take();
}

/**
 * The children of the directory node (an O_PATH fd of rel) as relative paths,
 * in reverse name order (the walk pops from the end). The directory is listed
 * through a fd opened from node itself, and becomes the cursor's directory.
 */
function children(cur: Cursor, node: number, rel: string): string[] {
  const fd = op(rel || '.', () => fs.openSync(fdPath(node), O_RDONLY | O_DIRECTORY));
  let names: string[];
  try {
    names = op(rel || '.', () => fs.readdirSync(fdPath(fd)));
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  cur.set(rel, fd);
  names.sort();
  const out: string[] = new Array<string>(names.length);
  for (let i = 0; i < names.length; i++) out[names.length - 1 - i] = rel ? `${rel}/${names[i]!}` : names[i]!;
  return out;
}

function isOpaque(dirFd: number, name: string, rel: string): boolean {
  const v = op(rel, () => lgetxattr(at(dirFd, name), OVERLAY_OPAQUE_XATTR));
  return v !== undefined && v.length === 1 && v[0] === 0x79; // 'y'
}

function opaqueMarker(rel: string, st: fs.Stats): Buffer {
  return encodeHeader({
    name: rel ? `${rel}/${WHITEOUT_OPAQUE}` : WHITEOUT_OPAQUE,
    type: '0',
    mode: st.mode & 0o777,
    uid: st.uid,
    gid: st.gid,
    size: 0,
    mtime: Math.floor(st.mtimeMs / 1000),
  });
}

/** A small file's data with its padding to the next 512-byte block. */
function readSmall(fd: number, rel: string, size: number): Buffer {
  const padded = blockCeil(size);
  const buf = Buffer.allocUnsafe(padded);
  buf.fill(0, size);
  let off = 0;
  while (off < size) {
    const n = op(rel, () => fs.readSync(fd, buf, off, size - off, off));
    if (n === 0) throw changed(rel, size, off);
    off += n;
  }
  return buf;
}

async function* readLarge(fd: number, rel: string, size: number): AsyncGenerator<Buffer> {
  let off = 0;
  while (off < size) {
    const want = Math.min(READ_SIZE, size - off);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const bytesRead = await opAsync(rel, () => readAt(fd, buf, got, want - got, off + got));
      if (bytesRead === 0) throw changed(rel, size, off + got);
      got += bytesRead;
    }
    off += want;
    yield buf;
  }
  const pad = blockCeil(size) - size;
  if (pad > 0) yield Buffer.alloc(pad);
}

function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

function changed(rel: string, size: number, at: number): EngineError {
  return internal(`cannot make a layer: ${JSON.stringify(rel)} shrank while it was read (${at} of ${size} bytes)`);
}

/** glibc's major/minor split of a dev_t (rdev can exceed 32 bits). */
function splitDev(rdev: number): [number, number] {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

function op<T>(rel: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw wrap(rel, err);
  }
}

async function opAsync<T>(rel: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrap(rel, err);
  }
}

function wrap(rel: string, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const code = errnoCode(err);
  // openat2's answers when a directory on the way was swapped for a symlink (or moved out) meanwhile.
  if (code === 'ELOOP' || code === 'EXDEV') return internal(`cannot make a layer: ${JSON.stringify(rel)} changed while it was read (a directory on its path is now a symbolic link)`, err);
  return internal(`cannot make a layer: reading ${JSON.stringify(rel)} failed: ${messageOf(err)}`, err);
}

// --- tar encoding -----------------------------------------------------------------

export interface TarEntry {
  /** Path inside the archive; directories end with "/". */
  name: string;
  /** The typeflag: '0' file, '1' hardlink, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' fifo. */
  type: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (whole). */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as SCHILY.xattr.* PAX records (values are bytes). */
  xattrs?: Array<[string, Buffer]>;
}

const BLOCK = 512;
const blockCeil = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/**
 * The header block(s) of one entry: a ustar header, preceded by a PAX
 * extended header when a name, link target or number does not fit ustar (or
 * is not ASCII) or there are xattrs. Data and its padding follow separately.
 */
export function encodeHeader(e: TarEntry): Buffer {
  const pax: Array<[string, Buffer]> = [];
  const hdr = Buffer.alloc(BLOCK);

  const split = fitName(e.name);
  if (split) {
    hdr.write(split[1], 0, 100, 'ascii');
    if (split[0]) hdr.write(split[0], 345, 155, 'ascii');
  } else {
    pax.push(['path', Buffer.from(e.name)]);
    Buffer.from(e.name).copy(hdr, 0, 0, 100);
  }
  if (e.linkname !== undefined) {
    if (isAscii(e.linkname) && e.linkname.length <= 100) hdr.write(e.linkname, 157, 100, 'ascii');
    else {
      pax.push(['linkpath', Buffer.from(e.linkname)]);
      Buffer.from(e.linkname).copy(hdr, 157, 0, 100);
    }
  }
  octal(hdr, 100, 8, e.mode & 0o7777);
  numeric(hdr, 108, 8, e.uid, 'uid', pax);
  numeric(hdr, 116, 8, e.gid, 'gid', pax);
  numeric(hdr, 124, 12, e.size, 'size', pax);
  numeric(hdr, 136, 12, e.mtime, 'mtime', pax);
  hdr.write(e.type, 156, 1, 'ascii');
  hdr.write('ustar\x0000', 257, 8, 'ascii');
  if (e.type === '3' || e.type === '4') {
    octal(hdr, 329, 8, e.devmajor ?? 0);
    octal(hdr, 337, 8, e.devminor ?? 0);
  }
  for (const [k, v] of e.xattrs ?? []) pax.push([`SCHILY.xattr.${k}`, v]);
  checksum(hdr);
  if (pax.length === 0) return hdr;

  pax.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  const ph = Buffer.alloc(BLOCK);
  const slash = e.name.replace(/\/$/, '').lastIndexOf('/');
  const phName = `PaxHeaders/${e.name.slice(slash + 1)}`.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
  ph.write(phName, 0, 100, 'ascii');
  octal(ph, 100, 8, 0o644);
  octal(ph, 108, 8, 0);
  octal(ph, 116, 8, 0);
  octal(ph, 124, 12, body.length);
  octal(ph, 136, 12, 0);
  ph.write('x', 156, 1, 'ascii');
  ph.write('ustar\x0000', 257, 8, 'ascii');
  checksum(ph);
  const pad = blockCeil(body.length) - body.length;
  return Buffer.concat([ph, body, Buffer.alloc(pad), hdr]);
}

/** "%d key=value\n" where %d counts the whole record, itself included. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(key) + value.length + 3; // " ", "=", "\n"
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

/** [prefix, name] when the path fits ustar's name (and prefix) fields; as Go's splitUSTARPath. */
function fitName(name: string): [string, string] | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return ['', name];
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > 100 || nlen === 0 || i > 155) return undefined;
  return [name.slice(0, i), name.slice(i + 1)];
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

/** A NUL-terminated zero-padded octal field. */
function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0'), off, len - 1, 'ascii');
}

/** An octal field, or 0 there and a PAX record when the value does not fit (or is negative). */
function numeric(buf: Buffer, off: number, len: number, value: number, key: string, pax: Array<[string, Buffer]>): void {
  if (Number.isInteger(value) && value >= 0 && value < 8 ** (len - 1)) octal(buf, off, len, value);
  else {
    octal(buf, off, len, 0);
    pax.push([key, Buffer.from(String(value))]);
  }
}

function checksum(hdr: Buffer): void {
  hdr.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += hdr[i]!;
  hdr.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
}
