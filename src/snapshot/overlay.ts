/**
 * Overlayfs snapshotter. Layout under its root (`<root>/overlay`):
 *   snapshots/<n>/fs     the layer's own files (upper dir when active)
 *   snapshots/<n>/work   overlay's work dir (active snapshots only)
 *   metadata.json        key/name → {id, kind, parent, labels}, written atomically
 * Directories are numbered rather than named by chain ID so that an overlay
 * mount's lowerdir list stays short (mount options are limited to one page).
 *
 * Crash safety: metadata is written after a snapshot's dirs exist and before
 * they are removed; at open(), dirs that metadata does not know are deleted.
 * A commit first syncs the layer's filesystem (syncfs: every file and
 * directory entry written into the layer reaches the disk), then records the
 * committed name atomically: after a power cut a committed layer is whole.
 *
 * Permissions: each snapshot's dir is 0700 (its fs/ carries the layer root's
 * own mode), so nothing under a layer is reachable for other users even if
 * the root above it were opened up.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidParameter, notFound } from '../errdefs/errdefs.js';
import { syncFilesystem } from '../sys/libc.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './snapshotter.js';

interface Record_ {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
}

interface Metadata {
  nextId: number;
  snapshots: Record<string, Record_>;
}

export interface OverlayOptions {
  /** Flushes the filesystem holding a directory to disk (syncfs); tests record it. */
  syncFs?: (dir: string) => Promise<void>;
}

export class OverlaySnapshotter implements Snapshotter {
  private meta: Metadata = { nextId: 1, snapshots: {} };
  private readonly metaPath: string;
  private readonly dir: string;
  private readonly syncFs: (dir: string) => Promise<void>;
  /** Serialises metadata writes so that they land in order. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(root: string, opts: OverlayOptions) {
    this.metaPath = join(root, 'metadata.json');
    this.dir = join(root, 'snapshots');
    this.syncFs = opts.syncFs ?? syncFilesystem;
  }

  static async open(root: string, opts: OverlayOptions = {}): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root, opts);
    await fs.mkdir(s.dir, { recursive: true, mode: 0o700 });
    s.meta = (await readJsonIfExists<Metadata>(s.metaPath)) ?? s.meta;
    const known = new Set(Object.values(s.meta.snapshots).map((r) => String(r.id)));
    for (const name of await fs.readdir(s.dir)) {
      if (!known.has(name)) await fs.rm(join(s.dir, name), { recursive: true, force: true });
    }
    return s;
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.meta)) as Metadata;
    this.saving = this.saving.then(() => writeJsonAtomic(this.metaPath, snapshot));
    return this.saving;
  }

  private get(key: string): Record_ {
    const r = this.meta.snapshots[key];
    if (!r) throw notFound(`snapshot ${key} does not exist`);
    return r;
  }

  private fsDir(r: Record_): string {
    return join(this.dir, String(r.id), 'fs');
  }

  private workDir(r: Record_): string {
    return join(this.dir, String(r.id), 'work');
  }

  prepare(key: string, parent?: string, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.create('active', key, parent, labels);
  }

  view(key: string, parent?: string, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.create('view', key, parent, labels);
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, labels: Record<string, string>): Promise<Mount[]> {
    if (this.meta.snapshots[key]) throw conflict(`snapshot ${key} already exists`);
    if (parent !== undefined) {
      const p = this.get(parent);
      if (p.kind !== 'committed') throw invalidParameter(`parent snapshot ${parent} is not committed`);
    }
    const id = this.meta.nextId++;
    const r: Record_ = { id, kind, labels, created: new Date().toISOString(), ...(parent !== undefined ? { parent } : {}) };
    await fs.mkdir(join(this.dir, String(id)), { mode: 0o700 });
    await fs.mkdir(this.fsDir(r), { mode: 0o755 });
    if (kind === 'active') await fs.mkdir(this.workDir(r), { mode: 0o700 });
    this.meta.snapshots[key] = r;
    await this.save();
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    const r = this.get(key);
    const lowers = r.parent !== undefined ? this.layerChain(r.parent) : [];
    if (r.kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(r), options: ['ro', 'rbind'] }];
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`] }];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(r), options: ['rw', 'rbind'] }];
    return [
      {
        type: 'overlay',
        source: 'overlay',
        options: ['index=off', `workdir=${this.workDir(r)}`, `upperdir=${this.fsDir(r)}`, `lowerdir=${lowers.join(':')}`],
      },
    ];
  }

  async commit(name: string, key: string, labels?: Record<string, string>): Promise<void> {
    const r = this.get(key);
    if (r.kind !== 'active') throw invalidParameter(`snapshot ${key} is not active and cannot be committed`);
    if (this.meta.snapshots[name]) throw conflict(`snapshot ${name} already exists`);
    await this.syncFs(this.fsDir(r));
    if (this.meta.snapshots[key] !== r) throw notFound(`snapshot ${key} was removed while it was being committed`);
    if (this.meta.snapshots[name]) throw conflict(`snapshot ${name} already exists`);
    delete this.meta.snapshots[key];
    this.meta.snapshots[name] = { ...r, kind: 'committed', labels: { ...r.labels, ...labels }, created: new Date().toISOString() };
    await this.save();
    await fs.rm(this.workDir(r), { recursive: true, force: true });
  }

  async remove(key: string): Promise<void> {
    const r = this.get(key);
    const child = Object.entries(this.meta.snapshots).find(([, s]) => s.parent === key);
    if (child) throw conflict(`cannot remove snapshot ${key}: snapshot ${child[0]} depends on it`);
    delete this.meta.snapshots[key];
    await this.save();
    await fs.rm(join(this.dir, String(r.id)), { recursive: true, force: true });
  }

  stat(key: string): SnapshotInfo | undefined {
    const r = this.meta.snapshots[key];
    return r ? info(key, r) : undefined;
  }

  walk(): SnapshotInfo[] {
    return Object.entries(this.meta.snapshots).map(([k, r]) => info(k, r));
  }

  async usage(key: string): Promise<Usage> {
    return du(this.fsDir(this.get(key)));
  }

  layerDir(key: string): string {
    return this.fsDir(this.get(key));
  }

  layerChain(key: string): string[] {
    const out: string[] = [];
    for (let k: string | undefined = key; k !== undefined; k = this.get(k).parent) out.push(this.fsDir(this.get(k)));
    return out;
  }
}

function info(name: string, r: Record_): SnapshotInfo {
  return { name, kind: r.kind, labels: r.labels, created: r.created, ...(r.parent !== undefined ? { parent: r.parent } : {}) };
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
      if (st.nlink > 1n) {
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
