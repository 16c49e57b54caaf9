/**
 * Directories that hold engine state (`--root`, `--exec-root` and their
 * first-level dirs): owned by the daemon's user and group, mode 0700.
 *
 * Below them are container root filesystems, image layers, volumes and logs;
 * another local user who could traverse there could read them, or run a
 * set-uid binary shipped in an image with the host's privileges
 * (CVE-2021-41091). A directory that exists with other owners or modes (made
 * by an older berth, by hand, or pre-created by someone else) is tightened.
 * A symlinked root is followed, as Docker does.
 */
import { promises as fs } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;

export async function ensurePrivateDir(path: string): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = await fs.stat(path);
  if (!st.isDirectory()) throw new Error(`${path} is not a directory: berth keeps its state there; remove it or choose another path`);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (st.uid !== uid || st.gid !== gid) await fs.chown(path, uid, gid);
  if ((st.mode & 0o7777) !== PRIVATE_DIR_MODE) await fs.chmod(path, PRIVATE_DIR_MODE);
}
