/**
 * Copying a directory tree with everything a layer carries: owners, modes
 * (setuid included), times, xattrs (trusted.* and security.capability, as
 * root), hardlinks within the tree, device nodes, fifos, symlinks as symlinks
 * (never followed), holes; reflinked where the filesystem can (btrfs, xfs).
 * GNU cp does all of it in one process. `--preserve=all` rather than `-a`, so
 * that an attribute that cannot be kept is an error, not a silent loss.
 */
import { run } from './exec.js';

/** Copies the tree at src to dst, which must not exist yet (it is created as src's copy). */
export async function copyTree(src: string, dst: string): Promise<void> {
  await run(['cp', '--no-dereference', '--recursive', '--preserve=all', '--reflink=auto', '--no-target-directory', '--', src, dst]);
}
