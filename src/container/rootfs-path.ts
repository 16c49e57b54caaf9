/**
 * Resolving paths inside a container's root filesystem the way the kernel
 * would from inside the container: symlinks are followed, but `..` and
 * absolute link targets never leave the root (moby's FollowSymlinkInScope).
 * Used for reading /etc/passwd, creating the working directory, and cp.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { invalidParameter } from '../errdefs/errdefs.js';

const MAX_LINKS = 255;

/**
 * The host path of `path` inside `root`, with every symlink resolved within
 * root. Components that do not exist are kept as given (so the result can be
 * created). With `followLast` false the final component is not resolved.
 */
export function resolveInRoot(root: string, path: string, followLast = true): string {
  let links = 0;
  const resolved: string[] = [];
  const pending = posix.normalize('/' + path).split('/').filter(Boolean);
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    const host = posix.join(root, ...candidate);
    if (pending.length === 0 && !followLast) {
      resolved.push(part);
      break;
    }
    let st;
    try {
      st = lstatSync(host);
    } catch {
      resolved.push(part);
      continue;
    }
    if (!st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw invalidParameter(`too many levels of symbolic links resolving ${path}`);
    const target = readlinkSync(host);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...resolved);
}
