/**
 * Directory trees for volumes: Docker's copy-up (an image directory's content
 * copied into a new volume) and a volume's size.
 *
 * copyTree never follows a symbolic link, in the source or the destination:
 * every entry is read with lstat and created fresh under the destination.
 */
import { promises as fs, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { S_IFBLK, S_IFCHR, S_IFIFO, mknod } from '../sys/libc.js';

const S_IFMT = 0o170000n;

/**
 * Copies the content of directory src into directory dst (which exists),
 * keeping owners, permission bits (setuid, setgid, sticky included),
 * access and modification times (to the microsecond), symbolic links, hard links within the tree,
 * fifos and device nodes; sockets are skipped. dst itself takes src's owner,
 * mode and times, as Docker's copy-up does (continuity's CopyDir).
 * Extended attributes are not copied.
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  const st = await fs.lstat(src, { bigint: true });
  if (!st.isDirectory()) throw new Error(`copy-up source ${src} is not a directory`);
  const links = new Map<string, string>();
  await copyChildren(src, dst, links);
  await applyMeta(dst, st);
}

async function copyChildren(src: string, dst: string, links: Map<string, string>): Promise<void> {
  for (const name of await fs.readdir(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = await fs.lstat(s, { bigint: true });
    if (st.isDirectory()) {
      await fs.mkdir(d, { mode: 0o700 });
      await copyChildren(s, d, links);
      await applyMeta(d, st);
      continue;
    }
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        await fs.link(first, d);
        continue;
      }
      links.set(key, d);
    }
    if (st.isFile()) {
      await fs.copyFile(s, d);
    } else if (st.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(s), d);
    } else if (st.isFIFO()) {
      mknod(d, S_IFIFO | 0o600);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      mknod(d, (st.isCharacterDevice() ? S_IFCHR : S_IFBLK) | 0o600, major, minor);
    } else {
      links.delete(`${st.dev}:${st.ino}`);
      continue; // sockets belong to a process, not to the image
    }
    await applyMeta(d, st);
  }
}

/** Owner first (chown clears setuid/setgid), then mode, then times. */
async function applyMeta(path: string, st: BigIntStats): Promise<void> {
  await fs.lchown(path, Number(st.uid), Number(st.gid));
  const atime = seconds(st.atimeNs);
  const mtime = seconds(st.mtimeNs);
  if ((st.mode & S_IFMT) === 0o120000n) {
    await fs.lutimes(path, atime, mtime);
    return;
  }
  await fs.chmod(path, Number(st.mode & 0o7777n));
  await fs.utimes(path, atime, mtime);
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
 * while walking are skipped.
 */
export async function treeSize(dir: string): Promise<number> {
  const seen = new Set<bigint>();
  let size = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(d);
    } catch (e) {
      if (d !== dir && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      const p = join(d, name);
      let st: BigIntStats;
      try {
        st = await fs.lstat(p, { bigint: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      if (st.isDirectory()) {
        await walk(p);
        continue;
      }
      if (st.size === 0n || seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += Number(st.size);
    }
  };
  await walk(dir);
  return size;
}
