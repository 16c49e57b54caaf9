/**
 * The Snapshotter contract (containerd's): a tree of filesystem snapshots.
 * Two implementations: overlay.ts (overlayfs, the daemon's) and copy.ts (a
 * plain copy of the parent's tree, for filesystems without overlay support).
 * conformance.ts is the one suite of contract tests both pass.
 *
 * Terms: a *committed* snapshot has a `name` (for image layers, the layer's
 * chain ID) and is immutable; an *active* snapshot has a `key`, is writable,
 * and is what a container's root filesystem or a layer being unpacked lives
 * in; a *view* is a read-only active snapshot. Keys and names share one
 * namespace.
 *
 * Lifecycle: prepare(key, parent) or view(key, parent) → the caller mounts
 * the returned mounts (or writes into layerDir(key) directly when unpacking)
 * → unmounts → commit(name, key) turns an active snapshot into a committed
 * one (the key is gone afterwards, its labels and parent carry over, commit's
 * labels are merged over them), or remove(key) discards it. Only a committed
 * snapshot can be a parent; it can be the parent of many. A view sees its
 * parent as it was committed, an active snapshot starts from it; neither
 * ever changes the parent.
 *
 * The snapshotter returns mounts; it never mounts. Callers mount them through
 * sys/ and unmount before commit() and remove().
 *
 * Errors (EngineError kinds):
 * - Conflict: prepare/view of a key, or commit to a name, that exists or is
 *   being created; remove of a snapshot that has children (committed, active,
 *   views, or ones being prepared on it).
 * - NotFound: an unknown key or name (commit, remove, mounts, usage, layerDir,
 *   layerChain, graphDriver), or an unknown parent. stat() returns undefined
 *   instead.
 * - InvalidParameter: a parent that is not committed; commit of a view or of
 *   a committed snapshot; mounts() of a committed snapshot (view it instead).
 * A call that fails leaves nothing behind: no record, no directory.
 *
 * Crash safety: a snapshot's record is written (atomically) only after its
 * directories are complete, and removed before they are deleted; at open,
 * directories no record names are deleted. A commit reaches the disk
 * (syncfs) before its name is recorded. If remove() cannot delete the
 * directories after the record is gone, it rejects saying so, and the next
 * open deletes them.
 */

export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  /** The key (active/view) or the name (committed). */
  name: string;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
}

export interface Usage {
  /** Bytes allocated in this snapshot's own directory (layerDir), hardlinked files once. */
  size: number;
  /** Entries under layerDir (files, dirs, links…), hardlinked files once. */
  inodes: number;
}

/**
 * What `docker inspect` shows as GraphDriver for a snapshot: Docker's storage
 * driver name and its metadata (for overlay2 LowerDir, MergedDir, UpperDir,
 * WorkDir; for vfs none, as Docker reports null).
 */
export interface GraphDriverInfo {
  name: string;
  data: Record<string, string> | null;
}

export interface Snapshotter {
  /** Docker's name for this kind of storage (`docker inspect`'s Driver): overlay2, vfs. */
  readonly driver: string;
  prepare(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  view(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  /** The mounts of an active snapshot or view: what prepare/view returned. */
  mounts(key: string): Mount[];
  commit(name: string, key: string, labels?: Record<string, string>): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): SnapshotInfo | undefined;
  usage(key: string): Promise<Usage>;
  walk(): SnapshotInfo[];
  /**
   * The directory holding this snapshot's own layer. Writes into it before
   * mounting are seen through the mounts; writes through the mounts land in
   * it; commit keeps its content. What it holds is the implementation's
   * format: overlay keeps only what this layer changed (deletions as overlay
   * whiteouts), the format image/unpack writes and image/layer-diff and
   * container/changes read; the copy snapshotter keeps the whole tree.
   */
  layerDir(key: string): string;
  /** The layer dirs of key and all its parents, topmost first. */
  layerChain(key: string): string[];
  /**
   * The GraphDriver data `docker inspect` shows for this snapshot;
   * mountpoint is where the caller mounts it (a container's rootfs), when it
   * does.
   */
  graphDriver(key: string, mountpoint?: string): GraphDriverInfo;
}
