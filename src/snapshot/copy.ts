/**
 * Plain-copy snapshotter (Docker's vfs, containerd's native): for
 * filesystems without overlay support. Each active snapshot holds a whole
 * copy of its parent's tree, so it needs no union mount, at the price of the
 * copy's time and space. On top of DirSnapshotter's layout (records,
 * numbered dirs, crash safety, the lifecycle and error rules of
 * snapshotter.ts):
 *   snapshots/<n>/fs     the snapshot's whole tree: prepare copies the
 *                        parent's fs/ into it (sys/copy-tree: owners, modes,
 *                        xattrs, hardlinks, devices); commit keeps it as is.
 *                        A view's fs/ stays empty.
 *
 * Mounts: an active snapshot is a read-write bind of its fs/; a view is a
 * read-only bind of its parent's fs/ (committed, so immutable, and kept
 * while the view exists), or of its own empty fs/ without a parent.
 * Deletions are real deletions in the copy: there are no whiteouts.
 *
 * Errors: those of the contract; a copy that fails (disk full, an attribute
 * the filesystem cannot keep) fails prepare with cp's message and leaves
 * nothing behind. usage() counts the whole copy: those bytes are this
 * snapshot's. graphDriver() reports Docker's vfs: name "vfs", no data.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { copyTree } from '../sys/copy-tree.js';
import { DirSnapshotter, type DirSnapshotterOptions } from './dir-snapshotter.js';
import type { GraphDriverInfo, Mount } from './snapshotter.js';

export type CopyOptions = DirSnapshotterOptions;

export class CopySnapshotter extends DirSnapshotter {
  readonly driver = 'vfs';

  static async open(root: string, opts: CopyOptions = {}): Promise<CopySnapshotter> {
    const s = new CopySnapshotter(root, opts);
    await s.load();
    return s;
  }

  protected async populate(kind: 'active' | 'view', dir: string, parentLayer: string | undefined): Promise<void> {
    if (kind === 'active' && parentLayer !== undefined) await copyTree(parentLayer, join(dir, 'fs'));
    else await fs.mkdir(join(dir, 'fs'), { mode: 0o755 });
  }

  protected mountsOf(kind: 'active' | 'view', dir: string, parentLayers: string[]): Mount[] {
    if (kind === 'active') return [{ type: 'bind', source: join(dir, 'fs'), options: ['rw', 'rbind'] }];
    return [{ type: 'bind', source: parentLayers[0] ?? join(dir, 'fs'), options: ['ro', 'rbind'] }];
  }

  protected async committed(): Promise<void> {}

  graphDriver(key: string): GraphDriverInfo {
    this.record(key);
    return { name: this.driver, data: null };
  }
}
