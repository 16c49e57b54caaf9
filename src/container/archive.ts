/**
 * `docker cp` on a container's filesystem: stat a path, archive it, extract
 * an archive into a directory.
 *
 * The container may be running and may swap any directory for a symlink
 * while a copy runs (CVE-2018-15664). So paths are never joined onto the
 * rootfs and handed to the host: each is resolved by the kernel inside the
 * root (openat2 RESOLVE_IN_ROOT, as the container itself would resolve it:
 * a link to /etc reads the container's /etc), and the archive and extraction
 * below that point go through directory fds only (image/layer-diff,
 * image/unpack). At worst a racing container makes its own copy fail.
 *
 * Error contract: NotFound when the path does not exist in the container,
 * InvalidParameter when it is not what the operation needs (a directory to
 * extract into), Internal for a host failure.
 */
import fs, { type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { errnoCode, internal, invalidParameter, messageOf, notFound } from '../errdefs/errdefs.js';
import { tarEntry } from '../image/layer-diff.js';
import { applyLayer, type ApplyLayerOptions } from '../image/unpack.js';
import { at, closeFd, fdTarget, O_PATH, openDir, openInRoot, withFd } from '../sys/dirfd.js';

export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits, which the docker CLI decodes. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go os.FileMode type bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += MODE_DIR;
  if (st.isSymbolicLink()) m += MODE_SYMLINK;
  if (st.isBlockDevice()) m += MODE_DEVICE;
  if (st.isCharacterDevice()) m += MODE_DEVICE + MODE_CHAR_DEVICE;
  if (st.isFIFO()) m += MODE_NAMED_PIPE;
  if (st.isSocket()) m += MODE_SOCKET;
  if (st.mode & 0o4000) m += MODE_SETUID;
  if (st.mode & 0o2000) m += MODE_SETGID;
  if (st.mode & 0o1000) m += MODE_STICKY;
  return m;
}

const { O_DIRECTORY } = fs.constants;

/**
 * A path of the container, found inside the root: the directory that holds
 * it (an fd the caller closes) and its name there ("." when the path itself
 * was resolved, for a trailing "/" or "/."), plus its name in an archive.
 */
interface Located {
  dir: number;
  entry: string;
  archiveName: string;
}

/** Docker follows a final symlink only when the path ends in "/" or "/.". */
function locate(rootFd: number, path: string): Located {
  const abs = path.startsWith('/') ? path : `/${path}`;
  const follow = abs.endsWith('/') || abs.endsWith('/.');
  const norm = posix.normalize(abs).replace(/(.)\/+$/, '$1');
  if (follow || norm === '/') {
    const dir = open(rootFd, norm, O_PATH | O_DIRECTORY, path);
    const archiveName = abs.endsWith('/.') || norm === '/' ? '.' : posix.basename(fdTarget(dir)) || '.';
    return { dir, entry: '.', archiveName };
  }
  const dir = open(rootFd, posix.dirname(norm), O_PATH | O_DIRECTORY, path);
  const entry = posix.basename(norm);
  return { dir, entry, archiveName: entry };
}

function open(rootFd: number, path: string, flags: number, asked: string, notDir = `${asked} is not a directory in the container`): number {
  try {
    return openInRoot(rootFd, path, flags);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw notFound(`Could not find the file ${asked} in container`);
    if (code === 'ENOTDIR') throw invalidParameter(notDir);
    if (code === 'ELOOP') throw invalidParameter(`too many levels of symbolic links resolving ${asked} in the container`);
    throw internal(`cannot resolve ${asked} in the container: ${messageOf(err)}`, err);
  }
}

function statOf(loc: Located, path: string): Stats {
  try {
    return fs.lstatSync(at(loc.dir, loc.entry));
  } catch {
    throw notFound(`Could not find the file ${path} in container`);
  }
}

/** Where a symlink leads inside the container (Docker reports the resolved container path). */
function linkTarget(rootFd: number, path: string, loc: Located): string {
  const norm = posix.normalize(path.startsWith('/') ? path : `/${path}`).replace(/(.)\/+$/, '$1');
  try {
    return withFd(openInRoot(rootFd, norm, O_PATH), (fd) => {
      const root = fdTarget(rootFd);
      const rel = posix.relative(root, fdTarget(fd));
      return `/${rel}`;
    });
  } catch {
    // A dangling link: where it points, read as the container would.
    const target = fs.readlinkSync(at(loc.dir, loc.entry));
    return posix.resolve(posix.dirname(norm), target);
  }
}

/** Runs fn with the container root (the mounted rootfs) opened as a directory fd. */
function withRoot<T>(root: string, fn: (rootFd: number) => T): T {
  return withFd(openDir(root), fn);
}

export function statPath(root: string, path: string): PathStat {
  return withRoot(root, (rootFd) => {
    const loc = locate(rootFd, path);
    try {
      return statLocated(rootFd, path, loc);
    } finally {
      closeFd(loc.dir);
    }
  });
}

function statLocated(rootFd: number, path: string, loc: Located): PathStat {
  const st = statOf(loc, path);
  return {
    name: loc.archiveName === '.' && loc.entry === '.' ? posix.basename(fdTarget(loc.dir)) : loc.archiveName,
    size: st.size,
    mode: goFileMode(st),
    mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? linkTarget(rootFd, path, loc) : '',
  };
}

/** The stat of path and a tar of it; the stream owns what it reads from and closes it. */
export function archivePath(root: string, path: string, as?: string): { stat: PathStat; body: Readable } {
  return withRoot(root, (rootFd) => {
    const loc = locate(rootFd, path);
    try {
      const stat = statLocated(rootFd, path, loc);
      return { stat, body: tarEntry(loc.dir, loc.entry, { as: as ?? loc.archiveName }) };
    } catch (err) {
      closeFd(loc.dir);
      throw err;
    }
  });
}

/** Extracts a tar into the directory `path` of the container (a symlink to a directory is followed, inside the root). */
export async function extractTo(root: string, path: string, body: Readable, opts: ApplyLayerOptions = {}): Promise<void> {
  const rootFd = openDir(root);
  try {
    const abs = path.startsWith('/') ? path : `/${path}`;
    const dir = open(rootFd, abs, O_DIRECTORY | fs.constants.O_RDONLY, path, `extraction point is not a directory: ${path}`);
    try {
      await applyLayer(body, { fd: dir }, opts);
    } finally {
      closeFd(dir);
    }
  } catch (err) {
    body.resume();
    throw err;
  } finally {
    closeFd(rootFd);
  }
}
