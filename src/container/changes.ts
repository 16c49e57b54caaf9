/**
 * `docker diff`: what a container changed, read from its overlay upper dir.
 * An overlay whiteout (char device 0/0) is a deletion; an opaque directory
 * replaced everything below it; an entry that exists in a lower layer is a
 * change, otherwise an addition. Parents of changed entries that exist below
 * are changes too, as Docker reports them.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../sys/libc.js';

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
  for (const rel of [...RUNTIME_MOUNTPOINTS, ...extra.map((p) => p.replace(/^\/+/, ''))]) {
    let st;
    try {
      st = await fs.lstat(join(upper, rel));
    } catch {
      continue;
    }
    const empty = st.isDirectory() ? (await fs.readdir(join(upper, rel))).every((n) => out.has(`${rel}/${n}`) || RUNTIME_MOUNTPOINTS.includes(`${rel}/${n}`)) : st.isFile() && st.size === 0;
    if (empty && !(await existsBelow(lowers, rel))) out.add(rel);
  }
  return out;
}

export async function containerChanges(upper: string, lowers: readonly string[], ignore: ReadonlySet<string> = new Set()): Promise<Change[]> {
  const out: Change[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(join(upper, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const childRel = `${rel}/${e.name}`;
      if (ignore.has(childRel.slice(1))) continue;
      const host = join(upper, childRel);
      const st = await fs.lstat(host);
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ path: childRel, kind: 2 });
        continue;
      }
      const below = await existsBelow(lowers, childRel);
      if (e.isDirectory()) {
        const opaque = lgetxattr(host, 'trusted.overlay.opaque')?.toString() === 'y';
        // A directory only passed through (no change of its own) is reported when something below it changed.
        const before = out.length;
        await walk(childRel);
        const changedInside = out.length > before;
        if (!below) out.splice(before, 0, { path: childRel, kind: 1 });
        else if (opaque || changedInside || !(await sameMeta(lowers, childRel, st))) out.splice(before, 0, { path: childRel, kind: 0 });
        continue;
      }
      out.push({ path: childRel, kind: below ? 0 : 1 });
    }
  };
  await walk('');
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
