/**
 * Layer extraction: an uncompressed OCI/Docker layer tar → the upper dir of an
 * overlay snapshot, written directly (never through a mount).
 *
 * OCI whiteouts become overlayfs whiteouts as they are written:
 *   dir/.wh.name       → character device 0/0 at dir/name
 *   dir/.wh..wh..opq   → xattr trusted.overlay.opaque=y on dir
 *
 * Safety ("layer extraction never writes outside its target"): names are
 * normalised and refused when absolute or containing `..`; every entry is
 * reached as one name inside a directory fd, and that directory was opened
 * beneath dest without crossing a symlink (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, sys/dirfd), so a symlink anywhere on the way is refused
 * whatever it points to; files are created O_EXCL|O_NOFOLLOW after removing
 * whatever was there, and metadata is set through fds of what was made;
 * hardlink targets must be entries already present in dest, reached the same
 * way. This holds even while something else changes dest meanwhile (`docker
 * cp` into a running container that swaps a directory for a symlink): at worst
 * the extraction fails.
 *
 * Error contract: rejects with an EngineError. InvalidParameter for a hostile
 * or malformed layer (the message names the entry and what is wrong with it),
 * Internal for a failure of the host filesystem (with the path). The input
 * stream's own error is passed through unchanged. On any failure the input is
 * destroyed (as stream.pipeline would), no file handle or write is left
 * pending, and dest is left partially written: the caller removes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import type { Extract, Header } from 'tar-stream';
import { conflict, EngineError, internal, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { at, closeFd, fdPath, O_PATH, openBeneath, openDir, removeAt } from '../sys/dirfd.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, SysError } from '../sys/libc.js';

/**
 * What one layer may hold: the sum of its regular files' sizes, and its tar
 * entries. They bound the disk a small compressed layer can fill and the
 * per-entry work and state of its extraction. berthd's --max-layer-size and
 * --max-layer-entries set them for every pull, load, import and commit.
 */
export interface LayerLimits {
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 ** 3;
export const DEFAULT_MAX_LAYER_ENTRIES = 1_000_000;
export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxBytes: DEFAULT_MAX_LAYER_BYTES, maxEntries: DEFAULT_MAX_LAYER_ENTRIES };

export interface ApplyLayerOptions {
  /** Cap on the sum of regular file sizes in the layer (default 64 GiB). */
  maxBytes?: number;
  /** Cap on the number of tar entries in the layer (default 1,000,000). */
  maxEntries?: number;
  /** Create character and block devices instead of refusing them (default false). */
  allowDevices?: boolean;
  /** Own every entry by this user instead of the archive's (`docker cp -a`: dockerd's ChownOpts). */
  owner?: { uid: number; gid: number };
  /** Refuse to replace a directory by a non-directory or the reverse (dockerd's NoOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
}

export interface ApplyLayerResult {
  /** Sum of the sizes of the regular files in the layer (Docker's layer size). */
  bytes: number;
}

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** Files at least this big are written with async writes (batched), smaller ones synchronously. */
const ASYNC_WRITE_THRESHOLD = 1024 * 1024;
const WRITE_BATCH_BYTES = 1024 * 1024;

/** An entry as tar-stream's extract yields it (the type is not exported). */
type Entry = Extract extends AsyncIterable<infer S> ? S : never;

const O_CREATE_FILE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/**
 * Extracts the layer tar into dest (an existing empty directory, the upper dir
 * of a snapshot) and resolves with the layer size. See the module comment for
 * whiteouts, safety checks and the error contract.
 */
export async function applyLayer(tar: Readable, dest: string | { fd: number }, opts: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  const destFd = typeof dest === 'string' ? openDest(dest) : dest.fd;
  const tree = new Tree(destFd);
  const x = new Extractor(tree, opts);
  // allowUnknownFormat: accept v7 headers, as Go's archive/tar does (checksums are still verified).
  const ex = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
  captureRawPaxXattrs(ex);

  let sourceError: unknown;
  const onSourceError = (err: unknown): void => {
    if (sourceError === undefined) sourceError = err ?? new Error('layer stream failed');
    ex.destroy(sourceError as Error);
  };
  tar.on('error', onSourceError);
  tar.pipe(ex);

  let ok = false;
  try {
    for await (const entry of ex) await x.entry(entry);
    x.finish();
    ok = true;
    return { bytes: x.bytes };
  } catch (err) {
    if (sourceError !== undefined) throw sourceError;
    if (err instanceof EngineError) throw err;
    // Anything else comes from the tar parser (checksum, truncation, header sizes).
    throw invalidParameter(`malformed layer tar: ${messageOf(err)}`, err);
  } finally {
    tree.close();
    if (typeof dest === 'string') closeFd(destFd);
    tar.unpipe(ex);
    tar.off('error', onSourceError);
    if (!ok) {
      ex.destroy();
      tar.destroy();
    }
  }
}

function openDest(dest: string): number {
  try {
    return openDir(path.resolve(dest));
  } catch (err) {
    const c = code(err);
    if (c === 'ENOENT' || c === 'ENOTDIR' || c === 'ELOOP') throw invalidParameter(`cannot extract layer into ${dest}: not a directory`);
    throw internal(`cannot extract layer into ${dest}: ${messageOf(err)}`, err);
  }
}

/**
 * Normalises a layer path ("./usr//bin/" → "usr/bin", "." → "" for the root)
 * or throws InvalidParameter when it is empty, absolute, contains a NUL byte
 * or a ".." component. `entry` names the tar entry in the message (defaults to
 * the path itself).
 */
export function normalizeLayerPath(name: string, entry: string = name, what = 'path'): string {
  const problem = layerPathProblem(name);
  if (problem !== undefined) throw badEntry(entry, what === 'path' ? problem : `${what} ${JSON.stringify(name)} ${problem}`);
  const parts: string[] = [];
  for (const c of name.split('/')) if (c !== '' && c !== '.') parts.push(c);
  return parts.join('/');
}

function layerPathProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.startsWith('/')) return 'is an absolute path';
  for (const c of name.split('/')) if (c === '..') return 'contains a ".." component';
  return undefined;
}

function badEntry(name: string, reason: string): EngineError {
  return invalidParameter(`invalid layer entry ${JSON.stringify(name)}: ${reason}`);
}

interface DirTimes {
  atime: number | Date;
  mtime: number | Date;
}

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  atime: number | Date;
  mtime: number | Date;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/**
 * The destination tree, reached only through directory fds (sys/dirfd): each
 * entry is named as one component inside its parent's fd, and that parent was
 * opened beneath dest without crossing a symlink. So even when dest belongs to
 * a running container that swaps directories for symlinks meanwhile (`docker
 * cp` into it), nothing is written outside dest.
 */
class Tree {
  private parentRel: string | undefined;
  private parentFd = -1;

  constructor(readonly fd: number) {}

  /**
   * A path naming rel ("" is dest itself) in its parent directory. Missing
   * parents are created (0755, as Docker does) unless `what` names a hardlink
   * target, whose parents must exist. Refuses symlinks and non-directories on
   * the way.
   */
  entry(rel: string, name: string, what?: string): string {
    if (rel === '') return at(this.fd, '.');
    const slash = rel.lastIndexOf('/');
    if (slash < 0) return at(this.fd, rel);
    return at(this.dir(rel.slice(0, slash), name, what), rel.slice(slash + 1));
  }

  /** An fd (the caller closes it) of the directory rel, opened as entry() opens parents. */
  openDir(rel: string, name: string, what?: string): number {
    if (rel === '') return fs.openSync(at(this.fd, '.'), O_PATH | O_DIRECTORY);
    try {
      return openBeneath(this.fd, rel, O_PATH | O_DIRECTORY);
    } catch {
      return this.walkDown(rel, name, what);
    }
  }

  /** The directory rel was removed: the cached parent goes if it was rel or below it. */
  forgetBelow(rel: string): void {
    const p = this.parentRel;
    if (p !== undefined && (p === rel || p.startsWith(`${rel}/`))) this.forget();
  }

  close(): void {
    this.forget();
  }

  private forget(): void {
    if (this.parentFd >= 0) closeFd(this.parentFd);
    this.parentFd = -1;
    this.parentRel = undefined;
  }

  private dir(parent: string, name: string, what?: string): number {
    if (parent === this.parentRel) return this.parentFd;
    const fd = this.openDir(parent, name, what);
    this.forget();
    this.parentRel = parent;
    this.parentFd = fd;
    return fd;
  }

  /** Opens parent one component at a time, creating what is missing, naming the component that is in the way. */
  private walkDown(parent: string, name: string, what?: string): number {
    const of = what ? ` of ${what}` : '';
    let fd = this.fd;
    let prefix = '';
    try {
      for (const comp of parent.split('/')) {
        prefix = prefix ? `${prefix}/${comp}` : comp;
        const p = at(fd, comp);
        const st = fsOp(name, prefix, () => fs.lstatSync(p, { throwIfNoEntry: false }));
        if (!st) {
          if (what) throw badEntry(name, `${what} is not in the layer (parent ${JSON.stringify(prefix)} does not exist)`);
          fsOp(name, prefix, () => fs.mkdirSync(p, 0o755));
        } else if (st.isSymbolicLink()) {
          throw badEntry(name, `parent ${JSON.stringify(prefix)}${of} is a symbolic link; refusing to write through it`);
        } else if (!st.isDirectory()) {
          throw badEntry(name, `parent ${JSON.stringify(prefix)}${of} is not a directory`);
        }
        const next = fsOp(name, prefix, () => openBeneath(fd, comp, O_PATH | O_DIRECTORY));
        if (fd !== this.fd) closeFd(fd);
        fd = next;
      }
    } catch (err) {
      if (fd !== this.fd) closeFd(fd);
      throw err;
    }
    return fd;
  }
}

class Extractor {
  bytes = 0;
  private entries = 0;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly allowDevices: boolean;
  private readonly owner: { uid: number; gid: number } | undefined;
  private readonly noOverwriteDirNonDir: boolean;
  /** Directory times, applied once every entry is written (children would change them). */
  private readonly dirTimes = new Map<string, DirTimes>();

  constructor(
    private readonly tree: Tree,
    opts: ApplyLayerOptions,
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_LAYER_BYTES;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_LAYER_ENTRIES;
    this.allowDevices = opts.allowDevices ?? false;
    this.owner = opts.owner;
    this.noOverwriteDirNonDir = opts.noOverwriteDirNonDir ?? false;
  }

  async entry(entry: Entry): Promise<void> {
    const h = entry.header;
    const name = h.name;
    const isFile = h.type === 'file' || h.type === 'contiguous-file';
    // Entries whose data we do not write must still be drained for the parser to go on.
    if (!isFile) entry.resume();
    if (++this.entries > this.maxEntries) {
      throw invalidParameter(`layer has more than ${this.maxEntries} entries, the limit (berthd --max-layer-entries); refusing entry ${JSON.stringify(name)}`);
    }

    const rel = normalizeLayerPath(name);
    const slash = rel.lastIndexOf('/');
    const base = rel.slice(slash + 1);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      entry.resume(); // a whiteout's own data (normally none) is not written
      if (rel.startsWith(WHITEOUT_META_PREFIX) && rel !== WHITEOUT_OPAQUE) return; // aufs metadata (.wh..wh.plnk…)
      if (base === WHITEOUT_OPAQUE) return this.opaque(rel, name);
      return this.whiteout(rel, slash, base, name, h);
    }
    if (rel.startsWith(WHITEOUT_META_PREFIX)) {
      entry.resume();
      return; // inside an aufs metadata dir
    }
    if (rel === '' && h.type !== 'directory') throw badEntry(name, 'a non-directory cannot replace the layer root');

    const meta = entryMeta(h);
    if (this.owner) Object.assign(meta, this.owner);
    if (this.noOverwriteDirNonDir && rel !== '') this.checkKindKept(rel, name, h.type === 'directory');
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        return this.file(entry, rel, name, meta);
      case 'directory':
        return this.directory(rel, name, meta, h);
      case 'symlink':
        return this.symlink(rel, name, meta, h);
      case 'link':
        return this.hardlink(rel, name, meta, h);
      case 'fifo':
        return this.node(rel, name, meta, h, S_IFIFO);
      case 'character-device':
        return this.node(rel, name, meta, h, S_IFCHR);
      case 'block-device':
        return this.node(rel, name, meta, h, S_IFBLK);
      default:
        throw badEntry(name, `unsupported tar entry type ${h.type ?? '(unknown typeflag)'}`);
    }
  }

  /** With noOverwriteDirNonDir: an existing entry at rel must be a directory exactly when the new one is. */
  private checkKindKept(rel: string, name: string, isDir: boolean): void {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.tree.entry(rel, name));
    } catch {
      return; // nothing there (or its parent is missing, which the write itself reports)
    }
    if (st.isDirectory() && !isDir) throw conflict(`cannot overwrite directory ${JSON.stringify('/' + rel)} with non-directory ${JSON.stringify(name)}`);
    if (!st.isDirectory() && isDir) throw conflict(`cannot overwrite non-directory ${JSON.stringify('/' + rel)} with directory ${JSON.stringify(name)}`);
  }

  /** Applies directory times, deferred until all children are written. */
  finish(): void {
    for (const [rel, t] of this.dirTimes) {
      const p = this.tree.entry(rel, rel || '.');
      fsOp(rel || '.', rel, () => fs.lutimesSync(p, t.atime, t.mtime));
    }
  }

  // --- entry kinds -------------------------------------------------------------

  private async file(entry: Entry, rel: string, name: string, meta: Meta): Promise<void> {
    const size = entry.header.size ?? 0;
    if (this.bytes + size > this.maxBytes) {
      throw invalidParameter(
        `layer exceeds the maximum size of ${this.maxBytes} bytes (entry ${JSON.stringify(name)} of ${size} bytes brings it to ${this.bytes + size}; the limit is berthd --max-layer-size)`,
      );
    }
    this.bytes += size;
    const p = this.tree.entry(rel, name);
    const fd = this.replace(rel, p, name, () => fs.openSync(p, O_CREATE_FILE, 0o600));
    try {
      if (size >= ASYNC_WRITE_THRESHOLD) await writeLarge(entry, fd, name, rel);
      else if (size > 0) for await (const chunk of entry) writeAllSync(fd, chunk as Buffer, name, rel);
      else entry.resume();
      fsOp(name, rel, () => {
        fs.fchownSync(fd, meta.uid, meta.gid);
        fs.fchmodSync(fd, meta.mode); // after chown, which clears set-id bits
      });
      this.xattrs(entry.header, p, name, rel); // after chown, which clears security.capability
      fsOp(name, rel, () => fs.futimesSync(fd, meta.atime, meta.mtime));
    } finally {
      fs.closeSync(fd);
    }
  }

  private directory(rel: string, name: string, meta: Meta, h: Header): void {
    const p = this.tree.entry(rel, name);
    if (rel !== '') {
      try {
        fs.mkdirSync(p, 0o755);
      } catch (err) {
        if (code(err) !== 'EEXIST') throw fsError(name, rel, err);
        const st = fsOp(name, rel, () => fs.lstatSync(p));
        if (!st.isDirectory()) {
          this.remove(rel, p, st, name);
          fsOp(name, rel, () => fs.mkdirSync(p, 0o755));
        }
      }
    }
    // Owner and mode through an fd of the directory itself: a path could be a symlink by now.
    const fd = fsOp(name, rel, () => fs.openSync(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    try {
      fsOp(name, rel, () => {
        fs.fchownSync(fd, meta.uid, meta.gid);
        fs.fchmodSync(fd, meta.mode);
      });
    } finally {
      fs.closeSync(fd);
    }
    this.xattrs(h, p, name, rel);
    this.dirTimes.set(rel, { atime: meta.atime, mtime: meta.mtime });
  }

  private symlink(rel: string, name: string, meta: Meta, h: Header): void {
    const target = h.linkname;
    if (!target) throw badEntry(name, 'symbolic link without a target');
    if (target.includes('\0')) throw badEntry(name, 'symbolic link target contains a NUL byte');
    const p = this.tree.entry(rel, name);
    this.replace(rel, p, name, () => fs.symlinkSync(target, p));
    fsOp(name, rel, () => fs.lchownSync(p, meta.uid, meta.gid));
    this.xattrs(h, p, name, rel);
    fsOp(name, rel, () => fs.lutimesSync(p, meta.atime, meta.mtime));
  }

  private hardlink(rel: string, name: string, meta: Meta, h: Header): void {
    const target = h.linkname;
    if (!target) throw badEntry(name, 'hardlink without a target');
    const trel = normalizeLayerPath(target, name, 'hardlink target');
    if (trel === '') throw badEntry(name, 'hardlink target is the layer root');
    if (trel.startsWith(WHITEOUT_META_PREFIX)) throw badEntry(name, `hardlink target ${JSON.stringify(target)} is aufs metadata`);
    const what = `hardlink target ${JSON.stringify(target)}`;
    const [tparent, tbase] = splitRel(trel);
    const tdir = this.tree.openDir(tparent, name, what);
    try {
      const t = at(tdir, tbase);
      const tst = fsOp(name, trel, () => fs.lstatSync(t, { throwIfNoEntry: false }));
      if (!tst) throw badEntry(name, `${what} is not in the layer (it must come before the link)`);
      if (tst.isDirectory()) throw badEntry(name, `${what} is a directory`);
      if (trel === rel) return;
      if (trel.startsWith(`${rel}/`)) throw badEntry(name, `${what} is inside the link's own path`);
      const p = this.tree.entry(rel, name);
      // link(2) does not follow a symlink target: the link is to the symlink itself.
      try {
        this.replace(rel, p, name, () => fs.linkSync(t, p));
      } catch (err) {
        // Too many links to one inode is the layer's doing (ext4 allows 65000), not the host's failure.
        if (err instanceof EngineError && code(err.cause) === 'EMLINK') throw badEntry(name, `too many hardlinks to ${JSON.stringify(target)} (the filesystem's limit)`);
        throw err;
      }
      if (!tst.isSymbolicLink()) {
        // As Docker: the link header's metadata is applied to the (shared) inode.
        fsOp(name, rel, () => {
          fs.lchownSync(p, meta.uid, meta.gid);
          chmodNoFollow(p, meta.mode);
          fs.lutimesSync(p, meta.atime, meta.mtime);
        });
      }
    } finally {
      closeFd(tdir);
    }
  }

  private node(rel: string, name: string, meta: Meta, h: Header, kind: number): void {
    const major = h.devmajor ?? 0;
    const minor = h.devminor ?? 0;
    if (kind !== S_IFIFO && !this.allowDevices) {
      const what = kind === S_IFCHR ? 'character device' : 'block device';
      throw badEntry(name, `${what} ${major}:${minor} refused: device nodes are not allowed in image layers`);
    }
    const p = this.tree.entry(rel, name);
    this.replace(rel, p, name, () => mknod(p, kind | meta.mode, major, minor));
    fsOp(name, rel, () => {
      fs.lchownSync(p, meta.uid, meta.gid);
      chmodNoFollow(p, meta.mode); // mknod honours the umask
      fs.lutimesSync(p, meta.atime, meta.mtime);
    });
    this.xattrs(h, p, name, rel);
  }

  /** dir/.wh.name → character device 0/0 at dir/name, replacing whatever is there. */
  private whiteout(rel: string, slash: number, base: string, name: string, h: Header): void {
    const orig = base.slice(WHITEOUT_PREFIX.length);
    if (orig === '' || orig === '.' || orig === '..') throw badEntry(name, 'whiteout names no file');
    const trel = slash < 0 ? orig : `${rel.slice(0, slash)}/${orig}`;
    const p = this.tree.entry(trel, name);
    this.replace(trel, p, name, () => mknod(p, S_IFCHR, 0, 0));
    const meta = entryMeta(h);
    fsOp(name, trel, () => {
      fs.lchownSync(p, meta.uid, meta.gid);
      // Docker leaves the time of mknod; keeping the entry's makes apply → diff reproduce the same tar.
      fs.lutimesSync(p, meta.atime, meta.mtime);
    });
  }

  /** dir/.wh..wh..opq → dir is opaque (created if the layer did not list it). */
  private opaque(rel: string, name: string): void {
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    this.tree.entry(rel, name); // creates dir when the layer did not list it
    const p = this.tree.entry(dir, name);
    fsOp(name, dir || '.', () => lsetxattr(p, OVERLAY_OPAQUE_XATTR, Buffer.from('y')));
  }

  // --- helpers -----------------------------------------------------------------

  /** Runs create(); if the path exists, removes what is there (not following it) and runs create() again. */
  private replace<T>(rel: string, p: string, name: string, create: () => T): T {
    try {
      return create();
    } catch (err) {
      if (code(err) !== 'EEXIST') throw fsError(name, rel, err);
    }
    const st = fsOp(name, rel, () => fs.lstatSync(p));
    this.remove(rel, p, st, name);
    return fsOp(name, rel, create);
  }

  private remove(rel: string, p: string, st: fs.Stats, name: string): void {
    if (!st.isDirectory()) {
      fsOp(name, rel, () => fs.unlinkSync(p));
      return;
    }
    const [parent, base] = splitRel(rel);
    const dir = fsOp(name, rel, () => openBeneath(this.tree.fd, parent, O_PATH | O_DIRECTORY));
    try {
      fsOp(name, rel, () => removeAt(dir, base));
    } finally {
      closeFd(dir);
    }
    this.tree.forgetBelow(rel);
    const prefix = `${rel}/`;
    for (const d of this.dirTimes.keys()) if (d === rel || d.startsWith(prefix)) this.dirTimes.delete(d);
  }

  private xattrs(h: Header, p: string, name: string, rel: string): void {
    const pax = (h as PaxHeader).pax;
    if (!pax) return;
    const raw = rawXattrs.get(pax);
    for (const key in pax) {
      let xname: string;
      let value: Buffer;
      if (key.startsWith('SCHILY.xattr.')) {
        xname = key.slice('SCHILY.xattr.'.length);
        value = raw?.get(xname) ?? Buffer.from(pax[key]!, 'utf8');
      } else if (key.startsWith('LIBARCHIVE.xattr.')) {
        try {
          xname = decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length));
        } catch {
          throw badEntry(name, `malformed PAX record ${JSON.stringify(key)}`);
        }
        value = Buffer.from(pax[key]!, 'base64');
      } else {
        continue;
      }
      // overlayfs' own attributes (user.* ones with the userxattr mount option) are the snapshotter's business, never a layer's.
      if (xname === '' || xname.startsWith('trusted.overlay.') || xname.startsWith('user.overlay.')) continue;
      try {
        lsetxattr(p, xname, value);
      } catch (err) {
        // As Docker: EPERM (e.g. user.* on a symlink) is skipped, anything else fails.
        if (err instanceof SysError && err.errno === os.constants.errno.EPERM) continue;
        throw fsError(name, rel, err);
      }
    }
  }
}

/** chmod through an O_PATH fd of p, never through a symlink that p may be by now. */
function chmodNoFollow(p: string, mode: number): void {
  const fd = fs.openSync(p, O_PATH | O_NOFOLLOW);
  try {
    if (!fs.fstatSync(fd).isSymbolicLink()) fs.chmodSync(fdPath(fd), mode);
  } finally {
    closeFd(fd);
  }
}

function splitRel(rel: string): [string, string] {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? ['', rel] : [rel.slice(0, slash), rel.slice(slash + 1)];
}

interface PaxHeader extends Header {
  pax?: Record<string, string> | null;
}

function entryMeta(h: Header): Meta {
  const pax = (h as PaxHeader).pax;
  let uid = h.uid ?? 0;
  let gid = h.gid ?? 0;
  let mtime = (h.mtime?.getTime() ?? 0) / 1000;
  // A negative header time can only come from GNU base-256, which tar-stream 3.2 decodes one
  // second too late (it negates the one's complement); the GNU-tar round-trip test pins this.
  if (mtime < 0) mtime -= 1;
  let atime = mtime;
  if (pax) {
    // tar-stream applies PAX path, linkpath and size, but not these.
    uid = paxInt(pax.uid) ?? uid;
    gid = paxInt(pax.gid) ?? gid;
    mtime = paxTime(pax.mtime) ?? mtime;
    atime = paxTime(pax.atime) ?? mtime;
  }
  if (!Number.isFinite(mtime)) mtime = 0;
  if (!Number.isFinite(atime)) atime = mtime;
  return { mode: (h.mode ?? 0) & 0o7777, uid, gid, atime: timeArg(atime), mtime: timeArg(mtime) };
}

/** Seconds as fs.*utimes* take them: Node reads a negative number as "now", a Date is taken as is. */
function timeArg(sec: number): number | Date {
  return sec >= 0 ? sec : new Date(sec * 1000);
}

function paxInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

function paxTime(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

// --- raw PAX xattr values --------------------------------------------------------
//
// tar-stream decodes every PAX value as UTF-8, which mangles binary xattr values
// (security.capability is binary). We wrap the parser's private PAX decoding on
// this one instance to also keep the raw bytes of SCHILY.xattr.* records, keyed
// by the pax object tar-stream then attaches to the entry's header. If a future
// tar-stream renames the method, values fall back to tar-stream's UTF-8 string
// (and the binary-xattr round-trip test fails, which is the point of it).

const rawXattrs = new WeakMap<object, Map<string, Buffer>>();

interface ExtractInternals {
  _decodeLongHeader?: (buf: Buffer) => void;
  _header?: { type?: string | null } | null;
  _pax?: Record<string, string> | null;
}

function captureRawPaxXattrs(ex: Extract): void {
  const inner = ex as unknown as ExtractInternals;
  const orig = inner._decodeLongHeader;
  if (typeof orig !== 'function') return;
  inner._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    orig.call(this, buf);
    if (this._header?.type !== 'pax-header' || !this._pax) return;
    const raw = parsePaxXattrs(buf);
    if (raw) rawXattrs.set(this._pax, raw);
  };
}

const XATTR_KEY = Buffer.from('SCHILY.xattr.');

/** The SCHILY.xattr.* records of a PAX header block, values as raw bytes. */
export function parsePaxXattrs(buf: Buffer): Map<string, Buffer> | undefined {
  let out: Map<string, Buffer> | undefined;
  let pos = 0;
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(buf.toString('latin1', pos, sp));
    if (!Number.isSafeInteger(len) || len <= sp - pos || pos + len > buf.length) break;
    const end = pos + len - 1; // the record's trailing newline
    const eq = buf.indexOf(0x3d, sp + 1);
    const keyStart = sp + 1;
    if (
      eq > keyStart + XATTR_KEY.length &&
      eq < end &&
      buf.compare(XATTR_KEY, 0, XATTR_KEY.length, keyStart, keyStart + XATTR_KEY.length) === 0
    ) {
      const key = buf.toString('utf8', keyStart + XATTR_KEY.length, eq);
      (out ??= new Map()).set(key, Buffer.from(buf.subarray(eq + 1, end)));
    }
    pos += len;
  }
  return out;
}

// --- file data ---------------------------------------------------------------------

function writeAllSync(fd: number, chunk: Buffer, name: string, abs: string): void {
  let off = 0;
  try {
    while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
  } catch (err) {
    throw fsError(name, abs, err);
  }
}

/** Streams a big entry to fd with batched async writes; data is never held beyond one batch. */
async function writeLarge(entry: Entry, fd: number, name: string, abs: string): Promise<void> {
  let batch: Buffer[] = [];
  let batched = 0;
  for await (const chunk of entry) {
    batch.push(chunk as Buffer);
    batched += (chunk as Buffer).length;
    if (batched >= WRITE_BATCH_BYTES) {
      await writevAll(fd, batch, batched, name, abs);
      batch = [];
      batched = 0;
    }
  }
  if (batched > 0) await writevAll(fd, batch, batched, name, abs);
}

async function writevAll(fd: number, bufs: Buffer[], total: number, name: string, abs: string): Promise<void> {
  let rest = bufs;
  let left = total;
  while (left > 0) {
    let n: number;
    try {
      n = await new Promise<number>((resolve, reject) =>
        fs.writev(fd, rest, (err, written) => (err ? reject(err) : resolve(written))),
      );
    } catch (err) {
      throw fsError(name, abs, err);
    }
    left -= n;
    if (left === 0) return;
    // Short write: drop what was written and go on with the rest.
    const next: Buffer[] = [];
    for (const b of rest) {
      if (n >= b.length) n -= b.length;
      else {
        next.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    rest = next;
  }
}

// --- errors ------------------------------------------------------------------------

function code(err: unknown): string | undefined {
  if (err instanceof SysError) return err.code;
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function fsError(name: string, rel: string, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  // Node names the /proc/self/fd path it was given; the entry's own path says more.
  const msg = messageOf(err).replace(/, \w+ '\/proc\/self\/fd\/[^']*'( -> '[^']*')?$/, '');
  return internal(`cannot extract layer entry ${JSON.stringify(name)} (at ${JSON.stringify(rel || '.')}): ${msg}`, err);
}

function fsOp<T>(name: string, abs: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fsError(name, abs, err);
  }
}
