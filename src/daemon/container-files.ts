/** Helpers over a container's files: its layer and image layers, mounted or not. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runtimeMountpoints } from '../container/changes.js';
import type { ContainerRecord } from '../container/types.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import { mountAll, unmount } from '../sys/mount.js';

/** The runtime's mountpoints in the container layer, which diff and commit leave out. */
export async function containerRuntimeMountpoints(snapshots: Snapshotter, rec: ContainerRecord): Promise<Set<string>> {
  const [upper, ...lowers] = snapshots.layerChain(rec.snapshotKey);
  const extra = [...rec.spec.binds.map((b) => b.target), ...rec.spec.mounts.map((m) => m.target), ...Object.keys(rec.spec.tmpfs), ...rec.spec.volumes];
  return runtimeMountpoints(upper!, lowers, extra);
}

/**
 * Runs fn with the container's root filesystem mounted: the running
 * container's own mount, or a temporary one removed afterwards.
 */
export async function withRootfs<T>(snapshots: Snapshotter, rec: ContainerRecord, runningRootfs: string, tmpDir: string, fn: (root: string) => Promise<T>): Promise<T> {
  if (rec.state.status === 'running' || rec.state.status === 'paused') return fn(runningRootfs);
  const dir = join(tmpDir, `rootfs-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  mountAll(snapshots.mounts(rec.snapshotKey), dir);
  try {
    return await fn(dir);
  } finally {
    unmount(dir, { detach: true });
    await fs.rm(dir, { recursive: true, force: true });
  }
}
