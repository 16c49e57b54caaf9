/**
 * File access anchored on directory file descriptors, for trees that a
 * container can change while the daemon works in them: its root filesystem,
 * its upper layer, a volume it holds (CVE-2018-15664 class).
 *
 * A path string such as `${rootfs}/a/b` is resolved again by the kernel at
 * every call, so a container that swaps `a` for a symlink to `/` between two
 * calls sends the second one to the host. Here every lookup starts from a
 * directory fd the daemon holds:
 *  - `openInRoot` resolves a container path as the container would (symlinks
 *    followed, `..` and absolute targets kept inside the root) in one
 *    openat2(2) call with RESOLVE_IN_ROOT;
 *  - `openBeneath` opens a relative path whose every component must be a real
 *    directory below the fd (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
 *  - `at(fd, name)` names one entry of an open directory as
 *    `/proc/self/fd/<fd>/<name>`: only `name` is looked up, in exactly that
 *    directory, so Node's calls that do not follow their last component
 *    (lstat, readlink, mkdir, rmdir, unlink, symlink, link, lchown, lutimes,
 *    open with O_NOFOLLOW, l*xattr) stay where they were aimed.
 *
 * Error contract: functions throw SysError (libc) or Node's ErrnoException
 * with the errno code; ELOOP/EXDEV from openBeneath mean a symlink or an
 * escape was met. Callers own the fds they get and close them.
 */
import fs from 'node:fs';
import { posix } from 'node:path';
import { openat2, RESOLVE } from './libc.js';

export const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** Opens a directory the daemon owns (its path is trusted) to anchor lookups on. */
export function openDir(path: string): number {
  return fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/** Resolves `path` inside the root `rootFd` as the container would see it, and opens it. */
export function openInRoot(rootFd: number, path: string, flags: number): number {
  return openat2(rootFd, path === '' ? '.' : path, flags, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
}

/** Opens `rel` below `dirFd` through real directories only (no symlink anywhere on the way). */
export function openBeneath(dirFd: number, rel: string, flags: number): number {
  return openat2(dirFd, rel === '' ? '.' : rel, flags, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS);
}

/** The path of an open fd (for Node calls that take a path and follow it: readdir, fstat-like reopen). */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The entry `name` (one component, or ".") of the open directory dirFd. */
export function at(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

/** The host path an fd refers to now (for messages and for mapping back into a root). */
export function fdTarget(fd: number): string {
  return fs.readlinkSync(fdPath(fd));
}

export function closeFd(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Runs fn (synchronous: the fd is closed when it returns) with an fd and closes it afterwards. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

/**
 * chmod of the entry `name` of dirFd without following it: a symlink (which
 * has no mode of its own) is left alone. Uses an O_PATH fd, as glibc's
 * fchmodat(AT_SYMLINK_NOFOLLOW) does.
 */
export function chmodAt(dirFd: number, name: string, mode: number): void {
  withFd(fs.openSync(at(dirFd, name), O_PATH | O_NOFOLLOW), (fd) => {
    if (fs.fstatSync(fd).isSymbolicLink()) return;
    fs.chmodSync(fdPath(fd), mode);
  });
}

/**
 * Removes the entry `name` of dirFd, a directory with everything below it
 * included, never following a symlink on the way (Node's recursive rm walks
 * by path strings, which a concurrent writer can redirect).
 */
export function removeAt(dirFd: number, name: string): void {
  const st = fs.lstatSync(at(dirFd, name), { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    fs.unlinkSync(at(dirFd, name));
    return;
  }
  withFd(fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW), (fd) => {
    for (const child of fs.readdirSync(fdPath(fd))) removeAt(fd, child);
  });
  fs.rmdirSync(at(dirFd, name));
}

/** What readInRoot found at a path. */
export type RootFile =
  | { kind: 'file'; data: Buffer }
  | { kind: 'missing' }
  /** A FIFO, a device, a socket, a directory or a symlink loop: never opened for reading. */
  | { kind: 'not-regular'; what: string }
  | { kind: 'too-large'; size: number };

/**
 * Reads a regular file of a root (a container path, symlinks resolved inside
 * the root) without ever opening anything else for reading: the path is
 * opened O_PATH and checked first, so a FIFO cannot block and a device cannot
 * be read. Files over maxBytes are refused; the read runs off the event loop.
 */
export async function readInRoot(rootFd: number, path: string, maxBytes: number): Promise<RootFile> {
  let node: number;
  try {
    node = openInRoot(rootFd, path, O_PATH);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'not-regular', what: 'a loop of symbolic links' };
    throw err;
  }
  try {
    const st = fs.fstatSync(node);
    if (!st.isFile()) return { kind: 'not-regular', what: fileKind(st) };
    if (st.size > maxBytes) return { kind: 'too-large', size: st.size };
    return { kind: 'file', data: await readCapped(fdPath(node), maxBytes) };
  } finally {
    closeFd(node);
  }
}

/**
 * Reads a regular file the daemon owns but a container can write (a bind-mounted
 * /etc/hosts): refused when it is not a regular file or grew past maxBytes.
 */
export async function readBounded(path: string, maxBytes: number): Promise<RootFile> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'not-regular', what: fileKind(st) };
    if (st.size > maxBytes) return { kind: 'too-large', size: st.size };
    return { kind: 'file', data: await readAllCapped(fh, maxBytes) };
  } finally {
    await fh.close().catch(() => {});
  }
}

async function readCapped(path: string, maxBytes: number): Promise<Buffer> {
  const fh = await fs.promises.open(path, O_RDONLY);
  try {
    return await readAllCapped(fh, maxBytes);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** At most maxBytes (a file growing meanwhile is cut there). */
async function readAllCapped(fh: fs.promises.FileHandle, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < maxBytes) {
    const buf = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, total);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}

function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/**
 * mkdir -p of a container path inside the root: existing components are
 * resolved as the container would (symlinks inside the root), missing ones
 * are created one at a time beneath the last existing directory, never
 * through a symlink. Returns nothing; throws the errno of the step that failed.
 */
export function mkdirInRoot(rootFd: number, path: string, mode: number): void {
  const parts = posix.normalize(`/${path}`).split('/').filter((p) => p !== '');
  // The deepest prefix that exists (resolved in the root), then create the rest below it.
  let i = parts.length;
  let fd = -1;
  for (; i >= 0; i--) {
    try {
      fd = openInRoot(rootFd, '/' + parts.slice(0, i).join('/'), O_PATH | O_DIRECTORY);
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOENT') throw err;
    }
  }
  try {
    for (const comp of parts.slice(i)) {
      try {
        fs.mkdirSync(at(fd, comp), mode);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
      }
      const next = openBeneath(fd, comp, O_PATH | O_DIRECTORY);
      closeFd(fd);
      fd = next;
    }
  } finally {
    closeFd(fd);
  }
}

/** Creates an empty file at a container path (its parents made by mkdirInRoot); an existing entry is left as it is. */
export function createFileInRoot(rootFd: number, path: string): void {
  const full = posix.normalize(`/${path}`);
  const parent = posix.dirname(full);
  mkdirInRoot(rootFd, parent, 0o755);
  withFd(openInRoot(rootFd, parent, O_PATH | O_DIRECTORY), (dirFd) => {
    try {
      // O_EXCL: never through a symlink planted at the name.
      fs.closeSync(fs.openSync(at(dirFd, posix.basename(full)), 'wx', 0o644));
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
  });
}

/** The directory `path` of a root (resolved as the container would), opened; undefined when it is missing or not a directory. */
export function openDirInRoot(root: string, path: string): number | undefined {
  return withFd(openDir(root), (rootFd) => {
    try {
      return openInRoot(rootFd, path, O_RDONLY | O_DIRECTORY);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  });
}
