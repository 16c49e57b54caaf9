/**
 * Directory trees for volumes: Docker's copy-up (an image directory's content
 * copied into a new volume) and a volume's size.
 *
 * Both ends may be live: a volume already held by a running container can be
 * changed by it while the copy writes into it, so every entry is reached as one
 * name inside a directory fd (sys/dirfd), never by a path string that a
 * swapped-in symlink could redirect to the host. Nothing is followed: entries
 * are read with lstat and created fresh (O_EXCL, mkdir, symlink, mknod) under
 * the destination, and metadata is set through an fd of the very entry made.
 */
import { promises as fs, constants, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, symlinkSync, linkSync, fstatSync, chownSync, lchownSync, chmodSync, utimesSync, lutimesSync, type BigIntStats } from 'node:fs';
import { at, closeFd, fdPath, O_PATH, openBeneath, openDir } from '../sys/dirfd.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, mknod } from '../sys/libc.js';

const S_IFMT = 0o170000n;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
const COPY_CHUNK = 1024 * 1024;

/** A walk's two ends: directory fds, plus the destination root for hard links made later. */
interface Ends {
  dstRoot: number;
  /** "dev:ino" of a source inode with several links → the destination path (relative) of its first copy. */
  links: Map<string, string>;
}

/**
 * Copies the content of directory src into directory dst (which exists),
 * keeping owners, permission bits (setuid, setgid, sticky included),
 * access and modification times (to the microsecond), symbolic links, hard links within the tree,
 * fifos and device nodes; sockets are skipped. dst itself takes src's owner,
 * mode and times, as Docker's copy-up does (continuity's CopyDir).
 * Extended attributes are not copied.
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  const srcFd = openDir(src);
  try {
    const st = await fs.stat(fdPath(srcFd), { bigint: true });
    if (!st.isDirectory()) throw new Error(`copy-up source ${src} is not a directory`);
    const dstFd = openDir(dst);
    try {
      await copyChildren(srcFd, dstFd, '', { dstRoot: dstFd, links: new Map() });
      setMeta(dstFd, '.', st);
    } finally {
      closeFd(dstFd);
    }
  } finally {
    closeFd(srcFd);
  }
}

async function copyChildren(srcDir: number, dstDir: number, rel: string, ends: Ends): Promise<void> {
  for (const name of readdirSync(fdPath(srcDir))) {
    const childRel = rel ? `${rel}/${name}` : name;
    const st = lstatSync(at(srcDir, name), { bigint: true });
    if (st.isDirectory()) {
      mkdirSync(at(dstDir, name), { mode: 0o700 });
      const s = openSync(at(srcDir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      try {
        const d = openSync(at(dstDir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        try {
          await copyChildren(s, d, childRel, ends);
        } finally {
          closeFd(d);
        }
      } finally {
        closeFd(s);
      }
      setMeta(dstDir, name, st);
      continue;
    }
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = ends.links.get(key);
      if (first !== undefined) {
        linkFirst(ends.dstRoot, first, dstDir, name);
        continue;
      }
      ends.links.set(key, childRel);
    }
    if (st.isFile()) {
      await copyFile(srcDir, dstDir, name);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(at(srcDir, name)), at(dstDir, name));
    } else if (st.isFIFO()) {
      mknod(at(dstDir, name), S_IFIFO | 0o600);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      mknod(at(dstDir, name), (st.isCharacterDevice() ? S_IFCHR : S_IFBLK) | 0o600, major, minor);
    } else {
      ends.links.delete(`${st.dev}:${st.ino}`);
      continue; // sockets belong to a process, not to the image
    }
    setMeta(dstDir, name, st);
  }
}

/** A hard link to the first copy of an inode, found again beneath the destination root through real directories only. */
function linkFirst(dstRoot: number, firstRel: string, dstDir: number, name: string): void {
  const slash = firstRel.lastIndexOf('/');
  const dir = slash < 0 ? -1 : openBeneath(dstRoot, firstRel.slice(0, slash), O_PATH | O_DIRECTORY);
  try {
    linkSync(at(dir < 0 ? dstRoot : dir, firstRel.slice(slash + 1)), at(dstDir, name));
  } finally {
    if (dir >= 0) closeFd(dir);
  }
}

/** Copies a regular file's bytes between fds: the source opened without following, the destination created O_EXCL. */
async function copyFile(srcDir: number, dstDir: number, name: string): Promise<void> {
  const src = await fs.open(at(srcDir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    if (!(await src.stat()).isFile()) throw new Error(`copy-up: ${name} changed while it was copied`);
    const dst = await fs.open(at(dstDir, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        let off = 0;
        while (off < bytesRead) off += (await dst.write(buf, off, bytesRead - off)).bytesWritten;
      }
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/**
 * Owner first (chown clears setuid/setgid), then mode, then times, on the
 * entry `name` of dirFd through an O_PATH fd of it: the entry just made,
 * whatever its name points at by now.
 */
function setMeta(dirFd: number, name: string, st: BigIntStats): void {
  const atime = seconds(st.atimeNs);
  const mtime = seconds(st.mtimeNs);
  if ((st.mode & S_IFMT) === 0o120000n) {
    lchownSync(at(dirFd, name), Number(st.uid), Number(st.gid));
    lutimesSync(at(dirFd, name), atime, mtime);
    return;
  }
  const fd = openSync(at(dirFd, name), O_PATH | O_NOFOLLOW);
  try {
    if (fstatSync(fd).isSymbolicLink()) throw new Error(`copy-up: ${name} changed while it was copied`);
    chownSync(fdPath(fd), Number(st.uid), Number(st.gid));
    chmodSync(fdPath(fd), Number(st.mode & 0o7777n));
    utimesSync(fdPath(fd), atime, mtime);
  } finally {
    closeFd(fd);
  }
}

/**
 * Node's utimes takes floating seconds, which cannot carry nanoseconds at
 * today's epoch (and libuv truncates): aim at the middle of the microsecond
 * so the copy keeps the time exactly to the microsecond.
 */
function seconds(ns: bigint): number {
  const s = ns / 1_000_000_000n;
  const us = (ns % 1_000_000_000n) / 1000n;
  return Number(s) + (Number(us) * 1000 + 500) / 1e9;
}

/** glibc's major()/minor(). */
function splitDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** True when dir has no entries. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const h = await fs.opendir(dir);
  try {
    return (await h.read()) === null;
  } finally {
    await h.close().catch(() => {});
  }
}

/**
 * Bytes of the files under dir as Docker counts them (daemon/internal/directory):
 * file sizes, directories not counted, each inode once. Entries that vanish
 * while walking are skipped. Walks through directory fds (a container may
 * change the volume meanwhile).
 */
export async function treeSize(dir: string): Promise<number> {
  const seen = new Set<bigint>();
  let size = 0;
  const walk = async (dirFd: number): Promise<void> => {
    for (const name of await fs.readdir(fdPath(dirFd))) {
      let st: BigIntStats;
      try {
        st = await fs.lstat(at(dirFd, name), { bigint: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      if (st.isDirectory()) {
        let child: number;
        try {
          child = openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch {
          continue; // gone or replaced meanwhile
        }
        try {
          await walk(child);
        } finally {
          closeFd(child);
        }
        continue;
      }
      if (st.size === 0n || seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += Number(st.size);
    }
  };
  const root = openDir(dir);
  try {
    await walk(root);
  } finally {
    closeFd(root);
  }
  return size;
}
