/**
 * Mounting what a Snapshotter returns, and unmounting it, with libc calls
 * (no mount(8) process on the hot path).
 */
import { MNT_DETACH, MS, SysError, mount, umount } from './libc.js';

export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

const FLAG_OPTS: Record<string, number> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  bind: MS.BIND,
  rbind: MS.BIND | MS.REC,
};

function split(options: readonly string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o === 'rw') continue;
    const f = FLAG_OPTS[o];
    if (f !== undefined) flags |= f;
    else data.push(o);
  }
  return { flags, data };
}

/** Mounts the specs on target, in order. A read-only bind is remounted ro (the kernel ignores ro on the first bind call). */
export function mountAll(specs: readonly MountSpec[], target: string): void {
  for (const m of specs) {
    const { flags, data } = split(m.options);
    if (m.type === 'bind') {
      mount(m.source, target, null, flags & (MS.BIND | MS.REC), null);
      if (flags & MS.RDONLY) mount(null, target, null, MS.BIND | MS.REMOUNT | (flags & ~MS.REC), null);
    } else {
      mount(m.source, target, m.type, flags, data.join(',') || null);
    }
  }
}

/** Unmounts target; a target that is not mounted is not an error. */
export function unmount(target: string, opts: { detach?: boolean } = {}): void {
  try {
    umount(target, opts.detach ? MNT_DETACH : 0);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'EINVAL' || e.code === 'ENOENT')) return;
    throw e;
  }
}

export { SysError };
