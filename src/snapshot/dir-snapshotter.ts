/**
 * What both snapshotters share (containerd's storage.MetaStore plus the
 * directory bookkeeping): the records, the lifecycle and error rules of
 * snapshotter.ts, and crash safety. Layout under a snapshotter's root:
 *   metadata.json        key/name → {id, kind, parent, labels, created}, written atomically
 *   snapshots/<id>/      one dir per snapshot, 0700 (its fs/ carries the layer root's own
 *                        mode), so nothing under a layer is reachable for other users
 *   snapshots/<id>/fs    the snapshot's own layer (layerDir)
 * Directories are numbered rather than named by chain ID so that an overlay
 * mount's lowerdir list stays short (mount options are limited to one page).
 * An implementation fills snapshots/<id>/ (populate) and says how it mounts.
 *
 * Crash safety: a record is written after its snapshot's dirs are complete
 * and before they are removed; at open, dirs that no record names are
 * deleted. A commit first syncs the layer's filesystem (syncfs: every file
 * and directory entry written into the layer reaches the disk), then records
 * the committed name atomically: after a power cut a committed layer is whole.
 *
 * Concurrency: a key being created is reserved at once, so a second prepare
 * of it is a Conflict and so is removing its parent meanwhile; a commit
 * re-checks its key and name after the sync; metadata writes land in order.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { conflict, internal, invalidParameter, messageOf, notFound } from '../errdefs/errdefs.js';
import { syncFilesystem } from '../sys/libc.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import type { GraphDriverInfo, Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './snapshotter.js';

export interface SnapshotRecord {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
}

interface Metadata {
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

export interface DirSnapshotterOptions {
  /** Flushes the filesystem holding a directory to disk (syncfs); tests record it. */
  syncFs?: (dir: string) => Promise<void>;
  /** Told what open() could not clean up (left for the next open): the daemon's log. */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

export abstract class DirSnapshotter implements Snapshotter {
  private meta: Metadata = { nextId: 1, snapshots: {} };
  /** Keys being created, with their parents: taken, and holding their parents. */
  private readonly creating = new Map<string, string | undefined>();
  private readonly metaPath: string;
  private readonly snapshotsDir: string;
  private readonly syncFs: (dir: string) => Promise<void>;
  private readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  /** Serialises metadata writes so that they land in order. */
  private saving: Promise<void> = Promise.resolve();

  protected constructor(root: string, opts: DirSnapshotterOptions) {
    this.metaPath = join(root, 'metadata.json');
    this.snapshotsDir = join(root, 'snapshots');
    this.syncFs = opts.syncFs ?? syncFilesystem;
    this.warn = opts.warn ?? (() => {});
  }

  /**
   * Fills a new snapshot's dir (which exists, empty): at least fs/, which
   * for an active snapshot is where its writes land. parentLayer is the
   * parent's layerDir.
   */
  protected abstract populate(kind: 'active' | 'view', dir: string, parentLayer: string | undefined): Promise<void>;
  /** The mounts of an active snapshot or view; parentLayers topmost first. */
  protected abstract mountsOf(kind: 'active' | 'view', dir: string, parentLayers: string[]): Mount[];
  /** Cleans up what only an active snapshot needed, once it is committed. */
  protected abstract committed(dir: string): Promise<void>;
  abstract readonly driver: string;
  abstract graphDriver(key: string, mountpoint?: string): GraphDriverInfo;

  /**
   * Reads the records and deletes the dirs no record names (a crash left
   * them). One that cannot be deleted is reported and left for the next open:
   * nothing refers to it, and the daemon must start.
   */
  protected async load(): Promise<void> {
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
    this.meta = (await readJsonIfExists<Metadata>(this.metaPath)) ?? this.meta;
    const known = new Set(Object.values(this.meta.snapshots).map((r) => String(r.id)));
    for (const name of await fs.readdir(this.snapshotsDir)) {
      if (known.has(name)) continue;
      const dir = join(this.snapshotsDir, name);
      await fs.rm(dir, { recursive: true, force: true }).catch((e: unknown) => this.warn('cannot delete the directory of a removed snapshot', { dir, err: messageOf(e) }));
    }
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.meta)) as Metadata;
    // A failed write must not fail the ones queued after it.
    const write = this.saving.catch(() => {}).then(() => writeJsonAtomic(this.metaPath, snapshot));
    this.saving = write;
    return write;
  }

  protected record(key: string): SnapshotRecord {
    const r = this.meta.snapshots[key];
    if (!r) throw notFound(`snapshot ${key} does not exist`);
    return r;
  }

  protected dirOf(r: SnapshotRecord): string {
    return join(this.snapshotsDir, String(r.id));
  }

  private ensureFree(name: string): void {
    if (this.meta.snapshots[name] || this.creating.has(name)) throw conflict(`snapshot ${name} already exists`);
  }

  prepare(key: string, parent?: string, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.create('active', key, parent, labels);
  }

  view(key: string, parent?: string, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.create('view', key, parent, labels);
  }

  private async create(kind: 'active' | 'view', key: string, parent: string | undefined, labels: Record<string, string>): Promise<Mount[]> {
    this.ensureFree(key);
    let parentLayer: string | undefined;
    if (parent !== undefined) {
      const p = this.meta.snapshots[parent];
      if (!p) throw notFound(`parent snapshot ${parent} of ${key} does not exist`);
      if (p.kind !== 'committed') throw invalidParameter(`parent snapshot ${parent} of ${key} is not committed`);
      parentLayer = join(this.dirOf(p), 'fs');
    }
    const r: SnapshotRecord = { id: this.meta.nextId++, kind, labels: { ...labels }, created: new Date().toISOString(), ...(parent !== undefined ? { parent } : {}) };
    const dir = this.dirOf(r);
    this.creating.set(key, parent);
    try {
      await fs.mkdir(dir, { mode: 0o700 });
      try {
        await this.populate(kind, dir, parentLayer);
        this.meta.snapshots[key] = r;
        await this.save().catch((e: unknown) => {
          delete this.meta.snapshots[key];
          throw e;
        });
      } catch (e) {
        await fs.rm(dir, { recursive: true, force: true });
        throw e;
      }
    } finally {
      this.creating.delete(key);
    }
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    const r = this.record(key);
    if (r.kind === 'committed') throw invalidParameter(`snapshot ${key} is committed and has no mounts of its own: make a view of it`);
    return this.mountsOf(r.kind, this.dirOf(r), r.parent !== undefined ? this.layerChain(r.parent) : []);
  }

  async commit(name: string, key: string, labels: Record<string, string> = {}): Promise<void> {
    const r = this.record(key);
    if (r.kind !== 'active') throw invalidParameter(`snapshot ${key} is ${r.kind === 'view' ? 'a view' : 'committed'}: only an active snapshot can be committed`);
    this.ensureFree(name);
    await this.syncFs(join(this.dirOf(r), 'fs'));
    if (this.meta.snapshots[key] !== r) throw notFound(`snapshot ${key} was removed or committed while it was being committed`);
    this.ensureFree(name);
    const c: SnapshotRecord = { ...r, kind: 'committed', labels: { ...r.labels, ...labels }, created: new Date().toISOString() };
    delete this.meta.snapshots[key];
    this.meta.snapshots[name] = c;
    await this.save().catch((e: unknown) => {
      delete this.meta.snapshots[name];
      this.meta.snapshots[key] = r;
      throw e;
    });
    await this.committed(this.dirOf(c));
  }

  async remove(key: string): Promise<void> {
    const r = this.record(key);
    const child = Object.keys(this.meta.snapshots).find((k) => this.meta.snapshots[k]!.parent === key) ?? [...this.creating].find(([, p]) => p === key)?.[0];
    if (child !== undefined) throw conflict(`cannot remove snapshot ${key}: snapshot ${child} depends on it`);
    delete this.meta.snapshots[key];
    await this.save().catch((e: unknown) => {
      this.meta.snapshots[key] ??= r;
      throw e;
    });
    const dir = this.dirOf(r);
    try {
      await fs.rm(dir, { recursive: true, force: true });
    } catch (e) {
      throw internal(`snapshot ${key} is removed, but its directory ${dir} could not be deleted (${messageOf(e)}); it is deleted when the snapshotter is next opened (at berthd's next start)`, e);
    }
  }

  stat(key: string): SnapshotInfo | undefined {
    const r = this.meta.snapshots[key];
    return r ? info(key, r) : undefined;
  }

  walk(): SnapshotInfo[] {
    return Object.entries(this.meta.snapshots).map(([k, r]) => info(k, r));
  }

  async usage(key: string): Promise<Usage> {
    return du(this.layerDir(key));
  }

  layerDir(key: string): string {
    return join(this.dirOf(this.record(key)), 'fs');
  }

  layerChain(key: string): string[] {
    const out: string[] = [];
    for (let k: string | undefined = key; k !== undefined; k = this.record(k).parent) out.push(this.layerDir(k));
    return out;
  }
}

function info(name: string, r: SnapshotRecord): SnapshotInfo {
  return { name, kind: r.kind, labels: { ...r.labels }, created: r.created, ...(r.parent !== undefined ? { parent: r.parent } : {}) };
}

/** Disk usage of a tree: allocated bytes and inode count (hardlinks once). */
async function du(dir: string): Promise<Usage> {
  const seen = new Set<bigint>();
  let size = 0;
  let inodes = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = join(d, e.name);
      const st = await fs.lstat(p, { bigint: true });
      if (st.nlink > 1n && !e.isDirectory()) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      inodes++;
      size += Number(st.blocks) * 512;
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return { size, inodes };
}
