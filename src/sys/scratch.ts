/**
 * Clearing a scratch directory at daemon start (`<root>/tmp`), after a crash
 * may have left anything in it: temporary mounts of containers' filesystems
 * (export, cp, copy-up of a stopped container), half-written files.
 *
 * Mounts are detached first, deepest first; then the content is removed
 * through directory fds without ever entering another filesystem, so a mount
 * that could not be detached is skipped rather than emptied (an `rm -rf`
 * through a leftover overlay mount deletes the container's own files).
 * Nothing here throws: what cannot be removed is reported and left for the
 * next start, which must not fail because of scratch.
 */
import fs from 'node:fs';
import { at, closeFd, fdPath, openDir } from './dirfd.js';
import { MNT_DETACH, umount } from './libc.js';
import { mountsUnder } from './mountinfo.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** Empties dir (creating it if missing); returns what it could not do, for the log. */
export function clearScratch(dir: string): string[] {
  const problems: string[] = [];
  for (const m of mountsUnder(dir)) {
    if (m === dir) continue;
    try {
      umount(m, MNT_DETACH);
    } catch (err) {
      problems.push(`cannot unmount ${m}: ${(err as Error).message}`);
    }
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A bind mount of the same filesystem has the same st_dev: what is still mounted is known by its path.
    const keep = new Set(mountsUnder(dir));
    const fd = openDir(dir);
    try {
      const dev = fs.fstatSync(fd).dev;
      for (const name of fs.readdirSync(fdPath(fd))) removeSameFs(fd, name, { dev, keep }, `${dir}/${name}`, problems);
    } finally {
      closeFd(fd);
    }
  } catch (err) {
    problems.push(`cannot clear ${dir}: ${(err as Error).message}`);
  }
  return problems;
}

function removeSameFs(dirFd: number, name: string, fsOf: { dev: number; keep: ReadonlySet<string> }, path: string, problems: string[]): void {
  try {
    const st = fs.lstatSync(at(dirFd, name));
    if (!st.isDirectory()) {
      fs.unlinkSync(at(dirFd, name));
      return;
    }
    if (st.dev !== fsOf.dev || fsOf.keep.has(path)) {
      problems.push(`${path} is still a mount point; left in place`);
      return;
    }
    const fd = fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      for (const child of fs.readdirSync(fdPath(fd))) removeSameFs(fd, child, fsOf, `${path}/${child}`, problems);
    } finally {
      closeFd(fd);
    }
    fs.rmdirSync(at(dirFd, name));
  } catch (err) {
    problems.push(`cannot remove ${path}: ${(err as Error).message}`);
  }
}
