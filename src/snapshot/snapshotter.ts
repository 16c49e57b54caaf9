/**
 * The Snapshotter contract (containerd's): a tree of filesystem snapshots.
 *
 * Terms: a *committed* snapshot has a `name` (for image layers, the layer's
 * chain ID) and is immutable; an *active* snapshot has a `key`, is writable,
 * and is what a container's root filesystem or a layer being unpacked lives
 * in; a *view* is a read-only active snapshot.
 *
 * Lifecycle: prepare(key, parent) → write through the returned mounts (or
 * directly into the upper dir when unpacking) → commit(name, key) turns the
 * active snapshot into a committed one (the key is gone afterwards), or
 * remove(key) discards it. A committed snapshot can be the parent of many.
 *
 * The snapshotter returns mounts; it never mounts. Callers mount them through
 * sys/ and unmount before remove().
 *
 * Errors: Conflict when a key or name already exists, or when removing a
 * snapshot that still has children; NotFound for an unknown key/name or
 * parent; InvalidParameter when committing something that is not active.
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
  /** Bytes used by this snapshot's own layer (not its parents'). */
  size: number;
  inodes: number;
}

export interface Snapshotter {
  prepare(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  view(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  mounts(key: string): Mount[];
  commit(name: string, key: string, labels?: Record<string, string>): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): SnapshotInfo | undefined;
  usage(key: string): Promise<Usage>;
  walk(): SnapshotInfo[];
  /**
   * The directory holding this snapshot's own layer: the overlay upper dir of
   * an active snapshot, or the layer dir of a committed one. Unpacking writes
   * here directly; diffs read from here.
   */
  layerDir(key: string): string;
  /** The layer dirs of key and all its parents, topmost first. */
  layerChain(key: string): string[];
}
