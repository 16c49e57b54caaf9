/**
 * `docker diff`: what a container changed, read from its overlay upper dir.
 * An overlay whiteout (char device 0/0) is a deletion; an opaque directory
 * replaced everything below it; an entry that exists in a lower layer is a
 * change, otherwise an addition. Parents of changed entries that exist below
 * are changes too, as Docker reports them.
 *
 * The upper dir belongs to a container that may be running and swapping
 * directories for symlinks: it is walked through directory fds (sys/dirfd),
 * so no name outside it is ever listed. Lower layers are image layers, which
 * nothing changes.
 */
import { promises as fs, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { at, closeFd, fdPath, openBeneath, openDir, O_PATH } from '../sys/dirfd.js';
import { lgetxattr } from '../sys/libc.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

export interface Change {
  path: string;
  kind: 0 | 1 | 2; // modified, added, deleted
}

async function existsBelow(lowers: readonly string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    try {
      await fs.lstat(join(l, rel));
      return true;
    } catch {
      /* not in this layer */
    }
  }
  return false;
}

/** Where the runtime mounts things; it creates these in the container layer when the image lacks them. */
const RUNTIME_MOUNTPOINTS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'dev', 'proc', 'sys', 'dev/pts', 'dev/shm', 'dev/mqueue', 'sys/fs/cgroup'];

/**
 * The mountpoints the runtime made in the container layer (empty, absent from
 * the image): not changes of the container's own, so diff and commit leave
 * them out, as Docker's init layer does.
 */
export async function runtimeMountpoints(upper: string, lowers: readonly string[], extra: readonly string[] = []): Promise<Set<string>> {
  const out = new Set<string>();
  const upperFd = openDir(upper);
  try {
    for (const rel of [...RUNTIME_MOUNTPOINTS, ...extra.map((p) => p.replace(/^\/+/, ''))]) {
      const empty = await emptyMountpoint(upperFd, rel, out);
      if (empty && !(await existsBelow(lowers, rel))) out.add(rel);
    }
  } finally {
    closeFd(upperFd);
  }
  return out;
}

/** Whether rel in the upper dir is an empty file, or a directory holding only other mountpoints. */
async function emptyMountpoint(upperFd: number, rel: string, known: ReadonlySet<string>): Promise<boolean> {
  let fd: number;
  try {
    fd = openBeneath(upperFd, rel, O_PATH | O_NOFOLLOW);
  } catch {
    return false; // absent, or reached through a symlink: not a mountpoint the runtime made
  }
  try {
    const st = await fs.stat(fdPath(fd));
    if (st.isFile()) return st.size === 0;
    if (!st.isDirectory()) return false;
    return (await fs.readdir(fdPath(fd))).every((n) => known.has(`${rel}/${n}`) || RUNTIME_MOUNTPOINTS.includes(`${rel}/${n}`));
  } finally {
    closeFd(fd);
  }
}

export async function containerChanges(upper: string, lowers: readonly string[], ignore: ReadonlySet<string> = new Set()): Promise<Change[]> {
  const out: Change[] = [];
  const walk = async (dirFd: number, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(fdPath(dirFd));
    } catch {
      return;
    }
    for (const name of names) {
      const childRel = `${rel}/${name}`;
      if (ignore.has(childRel.slice(1))) continue;
      let st;
      try {
        st = await fs.lstat(at(dirFd, name));
      } catch {
        continue; // removed meanwhile
      }
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ path: childRel, kind: 2 });
        continue;
      }
      const below = await existsBelow(lowers, childRel);
      if (st.isDirectory()) {
        const opaque = lgetxattr(at(dirFd, name), 'trusted.overlay.opaque')?.toString() === 'y';
        // A directory only passed through (no change of its own) is reported when something below it changed.
        const before = out.length;
        let child: number | undefined;
        try {
          child = openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch {
          child = undefined; // replaced meanwhile: reported as it was seen
        }
        if (child !== undefined) {
          try {
            await walk(child, childRel);
          } finally {
            closeFd(child);
          }
        }
        const changedInside = out.length > before;
        if (!below) out.splice(before, 0, { path: childRel, kind: 1 });
        else if (opaque || changedInside || !(await sameMeta(lowers, childRel, st))) out.splice(before, 0, { path: childRel, kind: 0 });
        continue;
      }
      out.push({ path: childRel, kind: below ? 0 : 1 });
    }
  };
  const root = openDir(upper);
  try {
    await walk(root, '');
  } finally {
    closeFd(root);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether a directory copied up kept the metadata of its lower version. */
async function sameMeta(lowers: readonly string[], rel: string, st: import('node:fs').Stats): Promise<boolean> {
  for (const l of lowers) {
    try {
      const lst = await fs.lstat(join(l, rel));
      return lst.mode === st.mode && lst.uid === st.uid && lst.gid === st.gid;
    } catch {
      /* next layer */
    }
  }
  return false;
}
