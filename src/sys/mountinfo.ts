/**
 * Which paths are mount points, from /proc/self/mountinfo (read only; the
 * mounting itself is sys/mount.ts). Used to adopt volume mounts left by a
 * previous daemon, to clear scratch dirs and to never delete through a mount.
 */
import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-superblock options (`rw,size=1024k,uid=1000`). */
  superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({
      mountPoint: unescape(f[4]!),
      fsType: unescape(f[dash + 1] ?? ''),
      source: unescape(f[dash + 2] ?? ''),
      superOptions: unescape(f[dash + 3] ?? ''),
    });
  }
  return out;
}

export function readMounts(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The mount on path, the last (topmost) when several are stacked. */
export function mountAt(path: string, mounts: readonly MountEntry[] = readMounts()): MountEntry | undefined {
  let found: MountEntry | undefined;
  for (const m of mounts) if (m.mountPoint === path) found = m;
  return found;
}

/** Mount points at or below dir, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string, mounts: readonly MountEntry[] = readMounts()): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const hits = new Set<string>();
  for (const m of mounts) if (m.mountPoint === dir || m.mountPoint.startsWith(prefix)) hits.add(m.mountPoint);
  return [...hits].sort((a, b) => b.length - a.length);
}
