/**
 * `docker cp` on a container's filesystem: stat a path, archive it, extract
 * an archive into a directory. Paths are resolved inside the container root
 * (symlinks followed but clamped to the root), so a link pointing at /etc
 * reads the container's /etc, never the host's.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { basename, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidParameter, notFound } from '../errdefs/errdefs.js';
import { tarDirectory } from '../image/layer-diff.js';
import { applyLayer } from '../image/unpack.js';
import { resolveInRoot } from './rootfs-path.js';

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

/** The host path for a container path, and whether to follow a final symlink (Docker: only with a trailing "/"). */
function locate(root: string, path: string): string {
  if (!path.startsWith('/')) path = `/${path}`;
  const follow = path.endsWith('/') || path.endsWith('/.');
  return resolveInRoot(root, path, follow);
}

export function statPath(root: string, path: string): PathStat {
  const host = locate(root, path);
  let st: Stats;
  try {
    st = lstatSync(host);
  } catch {
    throw notFound(`Could not find the file ${path} in container`);
  }
  return {
    name: basename(host),
    size: st.size,
    mode: goFileMode(st),
    mtime: st.mtime.toISOString(),
    // Docker reports where the link leads inside the container.
    linkTarget: st.isSymbolicLink() ? `/${posix.relative(root, resolveInRoot(root, `/${posix.relative(root, host)}`, true))}` : '',
  };
}

export function archivePath(root: string, path: string): { stat: PathStat; body: Readable } {
  const stat = statPath(root, path);
  const host = locate(root, path);
  const name = path.endsWith('/.') ? '.' : basename(host);
  return { stat, body: tarDirectory(host, { rootName: name }) };
}

/** Extracts a tar into the directory `path` of the container. */
export async function extractTo(root: string, path: string, body: Readable): Promise<void> {
  const host = resolveInRoot(root, path.startsWith('/') ? path : `/${path}`, true);
  let st: Stats;
  try {
    st = statSync(host);
  } catch {
    throw notFound(`Could not find the file ${path} in container`);
  }
  if (!st.isDirectory()) throw invalidParameter(`extraction point is not a directory: ${path}`);
  await applyLayer(body, host);
}
