/**
 * Image records and references (tags and digests), in memory and written
 * through to disk (`<root>/image/`):
 *   images/<hex>.json   one ImageRecord per image (ID = config digest)
 *   refs.json           full reference string → image ID
 * The image config itself is a blob in the content store; records hold what
 * the config does not: where each layer's blob is, its chain ID and size.
 *
 * The store checks nothing about layers or content; ImageService keeps those
 * consistent. Every write is atomic; reads never touch the disk.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { notFound } from '../errdefs/errdefs.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import type { Descriptor, ImageConfigFile } from './oci.js';
import { parseNormalizedNamed, type Reference } from './reference.js';

export interface LayerRecord {
  diffID: string;
  chainID: string;
  /** Bytes of the files in the layer (Docker's layer size). */
  size: number;
  /** Bytes of the uncompressed layer tar. */
  tarSize: number;
  /** The layer blob as kept in the content store (compressed or not). */
  blob: Descriptor;
}

export interface ImageRecord {
  id: string;
  layers: LayerRecord[];
  /** The image this one was committed or built from, when local. */
  parent?: string;
  /** When this engine first stored the image. */
  added: string;
  lastTagTime?: string;
  /** The manifest this image was pulled or loaded with, when any. */
  manifest?: Descriptor;
}

export class ImageStore {
  private readonly images = new Map<string, ImageRecord>();
  private readonly configs = new Map<string, ImageConfigFile>();
  private readonly refs = new Map<string, string>();
  private readonly dir: string;
  private readonly refsPath: string;
  private refsSaving: Promise<void> = Promise.resolve();

  private constructor(root: string) {
    this.dir = join(root, 'images');
    this.refsPath = join(root, 'refs.json');
  }

  /** Opens the store; `readConfig` fetches an image's config blob. */
  static async open(root: string, readConfig: (id: string) => Promise<ImageConfigFile>): Promise<ImageStore> {
    const s = new ImageStore(root);
    await fs.mkdir(s.dir, { recursive: true });
    for (const name of await fs.readdir(s.dir)) {
      if (!name.endsWith('.json')) continue;
      const rec = await readJsonIfExists<ImageRecord>(join(s.dir, name));
      if (!rec) continue;
      s.images.set(rec.id, rec);
      s.configs.set(rec.id, await readConfig(rec.id));
    }
    const refs = (await readJsonIfExists<Record<string, string>>(s.refsPath)) ?? {};
    for (const [r, id] of Object.entries(refs)) if (s.images.has(id)) s.refs.set(r, id);
    return s;
  }

  get(id: string): ImageRecord | undefined {
    return this.images.get(id);
  }

  config(id: string): ImageConfigFile {
    const c = this.configs.get(id);
    if (!c) throw notFound(`No such image: ${id}`);
    return c;
  }

  all(): ImageRecord[] {
    return [...this.images.values()];
  }

  async put(rec: ImageRecord, config: ImageConfigFile): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${rec.id.slice(7)}.json`), rec);
    this.images.set(rec.id, rec);
    this.configs.set(rec.id, config);
  }

  /** Forgets an image and every reference to it. */
  async delete(id: string): Promise<void> {
    let refsChanged = false;
    for (const [r, target] of this.refs) {
      if (target === id) {
        this.refs.delete(r);
        refsChanged = true;
      }
    }
    if (refsChanged) await this.saveRefs();
    this.images.delete(id);
    this.configs.delete(id);
    await fs.rm(join(this.dir, `${id.slice(7)}.json`), { force: true });
  }

  /** The image a full reference (`docker.io/library/x:tag` or `…@sha256:…`) points at. */
  lookupRef(ref: Reference): string | undefined {
    return this.refs.get(ref.string());
  }

  /** All references to an image, tags and digests, in insertion order. */
  refsOf(id: string): Reference[] {
    const out: Reference[] = [];
    for (const [r, target] of this.refs) if (target === id) out.push(parseNormalizedNamed(r));
    return out;
  }

  /** Points ref at id; returns the image it pointed at before, if another. */
  async setRef(ref: Reference, id: string): Promise<string | undefined> {
    const key = ref.string();
    const old = this.refs.get(key);
    this.refs.set(key, id);
    await this.saveRefs();
    const rec = this.images.get(id);
    if (rec && ref.tag !== undefined) {
      rec.lastTagTime = new Date().toISOString();
      await writeJsonAtomic(join(this.dir, `${id.slice(7)}.json`), rec);
    }
    return old !== id ? old : undefined;
  }

  async deleteRef(ref: Reference): Promise<boolean> {
    const had = this.refs.delete(ref.string());
    if (had) await this.saveRefs();
    return had;
  }

  private saveRefs(): Promise<void> {
    const snapshot = Object.fromEntries(this.refs);
    this.refsSaving = this.refsSaving.then(() => writeJsonAtomic(this.refsPath, snapshot));
    return this.refsSaving;
  }
}
