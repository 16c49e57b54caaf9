/**
 * Overlayfs snapshotter, the daemon's (`<root>/overlay`). On top of
 * DirSnapshotter's layout (records, numbered dirs, crash safety):
 *   snapshots/<n>/fs     the layer's own files: the upper dir while active, a
 *                        lower dir once committed; deletions are overlay
 *                        whiteouts (char 0/0, trusted.overlay.opaque)
 *   snapshots/<n>/work   overlay's work dir (active snapshots only; deleted at commit)
 *
 * Mounts: an active snapshot on a parent is an overlay mount (upper = its
 * fs/, lowers = the parent chain); without a parent, a bind of its fs/. A
 * view is a read-only overlay of the parent chain, or a read-only bind when
 * there is one layer (or none: its own empty fs/).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DirSnapshotter, type DirSnapshotterOptions } from './dir-snapshotter.js';
import type { GraphDriverInfo, Mount } from './snapshotter.js';

export type OverlayOptions = DirSnapshotterOptions;

export class OverlaySnapshotter extends DirSnapshotter {
  readonly driver = 'overlay2';

  static async open(root: string, opts: OverlayOptions = {}): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root, opts);
    await s.load();
    return s;
  }

  protected async populate(kind: 'active' | 'view', dir: string): Promise<void> {
    await fs.mkdir(join(dir, 'fs'), { mode: 0o755 });
    if (kind === 'active') await fs.mkdir(join(dir, 'work'), { mode: 0o700 });
  }

  protected mountsOf(kind: 'active' | 'view', dir: string, lowers: string[]): Mount[] {
    const upper = join(dir, 'fs');
    if (kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: upper, options: ['ro', 'rbind'] }];
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`] }];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: upper, options: ['rw', 'rbind'] }];
    return [{ type: 'overlay', source: 'overlay', options: ['index=off', `workdir=${join(dir, 'work')}`, `upperdir=${upper}`, `lowerdir=${lowers.join(':')}`] }];
  }

  protected async committed(dir: string): Promise<void> {
    await fs.rm(join(dir, 'work'), { recursive: true, force: true });
  }

  /** Docker's overlay2 metadata: LowerDir only when there are lower layers; MergedDir where the caller mounts it, else <n>/merged as Docker names it. */
  graphDriver(key: string, mountpoint?: string): GraphDriverInfo {
    const [upper, ...lowers] = this.layerChain(key);
    const dir = this.dirOf(this.record(key));
    return {
      name: this.driver,
      data: {
        ...(lowers.length ? { LowerDir: lowers.join(':') } : {}),
        MergedDir: mountpoint ?? join(dir, 'merged'),
        UpperDir: upper!,
        WorkDir: join(dir, 'work'),
      },
    };
  }
}
