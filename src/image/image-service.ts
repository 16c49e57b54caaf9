/**
 * The image subsystem's one entry point: resolve names, list, tag, delete,
 * prune, create images from layers (import, load, commit), and keep content
 * and snapshots consistent with the records.
 *
 * Lifecycle: open() loads records and drops leftovers of interrupted work
 * (extract snapshots, ingest files, unreferenced layers). Methods may run
 * concurrently; the ones that change records run one at a time (a simple
 * lock), so that a delete never races an import over a shared layer.
 *
 * Errors: NotFound "No such image: x"; Conflict with Docker's texts for
 * deletes that would break a container or another image; InvalidParameter for
 * bad references and bad layer data.
 */
import { join } from 'node:path';
import { conflict, invalidParameter, isKind, notFound } from '../errdefs/errdefs.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Logger } from '../util/log.js';
import { sha256Digest, type ContentStore } from './content-store.js';
import { ImageStore, type ImageRecord, type LayerRecord } from './image-store.js';
import { LABEL_EXTRACT } from './layer-ingest.js';
import { clearScratch } from '../sys/scratch.js';
import type { ImageConfigFile } from './oci.js';
import { isFullImageId, parseDockerRef, parseNormalizedNamed, type Reference } from './reference.js';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from './unpack.js';

/** Who uses an image: the container subsystem answers, the image subsystem asks. */
export interface ImageUsers {
  containersUsing(imageId: string): { id: string; running: boolean }[];
}

export interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImageView {
  record: ImageRecord;
  config: ImageConfigFile;
  refs: Reference[];
  /** Sum of layer sizes. */
  size: number;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export class ImageService {
  private users: ImageUsers = { containersUsing: () => [] };
  private lock: Promise<void> = Promise.resolve();

  private constructor(
    readonly content: ContentStore,
    readonly snapshots: Snapshotter,
    readonly store: ImageStore,
    private readonly log: Logger,
    readonly tmpDir: string,
    readonly layerLimits: LayerLimits,
  ) {}

  static async open(root: string, content: ContentStore, snapshots: Snapshotter, log: Logger, layerLimits: LayerLimits = DEFAULT_LAYER_LIMITS): Promise<ImageService> {
    await content.init();
    const store = await ImageStore.open(join(root, 'image'), async (id) => JSON.parse((await content.read(id)).toString('utf8')) as ImageConfigFile);
    const tmpDir = join(root, 'tmp');
    // Never a plain rm -rf: a crash can leave containers' filesystems mounted in scratch.
    for (const problem of clearScratch(tmpDir)) log.warn('scratch cleanup', { problem });
    const svc = new ImageService(content, snapshots, store, log, tmpDir, layerLimits);
    await svc.cleanup();
    return svc;
  }

  setUsers(users: ImageUsers): void {
    this.users = users;
  }

  /** Runs fn with the record lock held. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Drops what an interrupted import/load/pull left: extract snapshots, ingest files, orphan layers and blobs. */
  private async cleanup(): Promise<void> {
    for (const s of this.snapshots.walk()) {
      if (s.labels[LABEL_EXTRACT] && s.kind !== 'committed') {
        this.log.info('removing unfinished layer extraction', { snapshot: s.name });
        await this.snapshots.remove(s.name);
      }
    }
    await this.content.cleanIngest();
    await this.collectGarbage();
  }

  // --- lookups ------------------------------------------------------------

  /**
   * Resolves a name, full ID, `sha256:` ID, digest reference or unique ID
   * prefix, in Docker's order. Throws NotFound with Docker's message.
   */
  resolve(refOrId: string): ImageRecord {
    const found = this.tryResolve(refOrId);
    if (!found) throw notFound(`No such image: ${displayRef(refOrId)}`);
    return found;
  }

  tryResolve(refOrId: string): ImageRecord | undefined {
    if (isFullImageId(refOrId)) {
      const id = refOrId.startsWith('sha256:') ? refOrId : `sha256:${refOrId}`;
      return this.store.get(id);
    }
    let ref: Reference | undefined;
    try {
      ref = parseDockerRef(refOrId);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const id = this.store.lookupRef(ref);
      if (id) return this.store.get(id);
      // A digest reference also finds an image by its manifest digest.
      if (ref.digest) {
        const byDigest = this.store.all().find((r) => r.manifest?.digest === ref.digest && this.store.refsOf(r.id).some((x) => x.name() === ref.name()));
        if (byDigest) return byDigest;
      }
    }
    const prefix = refOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{1,64}$/.test(prefix)) {
      const matches = this.store.all().filter((r) => r.id.slice(7).startsWith(prefix));
      if (matches.length > 1) throw invalidParameter(`ambiguous image ID prefix ${prefix}: matches ${matches.length} images; give more characters`);
      return matches[0];
    }
    return undefined;
  }

  view(rec: ImageRecord): ImageView {
    return {
      record: rec,
      config: this.store.config(rec.id),
      refs: this.store.refsOf(rec.id),
      size: rec.layers.reduce((n, l) => n + l.size, 0),
    };
  }

  list(): ImageView[] {
    return this.store.all().map((r) => this.view(r));
  }

  /** Images whose parent is id (committed/built on top of it). */
  children(id: string): ImageRecord[] {
    return this.store.all().filter((r) => r.parent === id);
  }

  // --- tags ---------------------------------------------------------------

  async tag(source: string, target: Reference): Promise<void> {
    if (target.digest) throw invalidParameter('refusing to create a tag with a digest reference');
    await this.exclusive(async () => {
      const img = this.resolve(source);
      await this.store.setRef(target.withDefaultTag(), img.id);
    });
  }

  // --- create -------------------------------------------------------------

  /**
   * Records a new image from its config and already-ingested layers, and
   * points refs at it. Returns the image ID (config digest) and, per ref, the
   * ID of an image the ref was moved away from.
   */
  async createImage(
    config: ImageConfigFile,
    layers: LayerRecord[],
    opts: { refs?: Reference[]; parent?: string; manifest?: ImageRecord['manifest']; configBytes?: Buffer } = {},
  ): Promise<{ id: string; moved: { ref: Reference; from: string }[] }> {
    const bytes = opts.configBytes ?? Buffer.from(JSON.stringify(config));
    const id = sha256Digest(bytes);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== layers.length || diffIds.some((d, i) => d !== layers[i]!.diffID)) {
      throw invalidParameter(`image config lists ${diffIds.length} layers that do not match the ${layers.length} layers provided`);
    }
    await this.content.put(bytes, { digest: id });
    const moved: { ref: Reference; from: string }[] = [];
    const existing = this.store.get(id);
    const rec: ImageRecord = {
      id,
      layers,
      added: existing?.added ?? new Date().toISOString(),
      ...(opts.parent ? { parent: opts.parent } : existing?.parent ? { parent: existing.parent } : {}),
      ...(opts.manifest ? { manifest: opts.manifest } : existing?.manifest ? { manifest: existing.manifest } : {}),
    };
    await this.store.put(rec, config);
    for (const r of opts.refs ?? []) {
      const from = await this.store.setRef(r, id);
      if (from) moved.push({ ref: r, from });
    }
    return { id, moved };
  }

  /** Links an image to its parent when the parent's layers are a prefix of its own (Docker's rule). */
  async setParent(id: string, parentId: string): Promise<void> {
    const rec = this.store.get(id);
    const parent = this.store.get(parentId);
    if (!rec || !parent || rec.parent === parentId) return;
    const prefix = parent.layers.every((l, i) => rec.layers[i]?.chainID === l.chainID);
    if (!prefix || parent.layers.length > rec.layers.length) return;
    await this.store.put({ ...rec, parent: parentId }, this.store.config(id));
  }

  // --- delete -------------------------------------------------------------

  /** `docker rmi`: untag and/or delete, with Docker's conflict rules. */
  remove(refOrId: string, opts: { force?: boolean; prune?: boolean } = {}): Promise<DeleteItem[]> {
    return this.exclusive(() => this.removeLocked(refOrId, !!opts.force, opts.prune !== false));
  }

  private async removeLocked(refOrId: string, force: boolean, prune: boolean): Promise<DeleteItem[]> {
    const img = this.resolve(refOrId);
    const records: DeleteItem[] = [];
    let repoRefs = this.store.refsOf(img.id);
    const byId = isIdPrefixOf(img.id, refOrId);
    let removedRepositoryRef = false;
    if (!byId) {
      if (!force && isSingleReference(repoRefs)) {
        const c = this.users.containersUsing(img.id)[0];
        if (c) {
          throw conflict(
            `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${short(c.id)} is using its referenced image ${short(img.id)}`,
          );
        }
      }
      const parsed = parseDockerRef(refOrId);
      if (!(await this.store.deleteRef(parsed))) throw notFound(`No such image: ${parsed.familiarString()}`);
      records.push({ Untagged: parsed.familiarString() });
      repoRefs = this.store.refsOf(img.id);
      if (!parsed.digest && !repoRefs.some((r) => !r.digest && r.name() === parsed.name())) {
        // The last tag of this repository went: its digest references go too.
        const remaining: Reference[] = [];
        for (const r of repoRefs) {
          if (r.digest && r.name() === parsed.name()) {
            await this.store.deleteRef(r);
            records.push({ Untagged: r.familiarString() });
          } else remaining.push(r);
        }
        repoRefs = remaining;
      }
      if (repoRefs.length > 0) return records;
      removedRepositoryRef = true;
    } else if (isSingleReference(repoRefs)) {
      this.checkDeleteConflict(img.id, { hard: true, soft: !force, ignoreRefs: true });
      for (const r of repoRefs) {
        await this.store.deleteRef(r);
        records.push({ Untagged: r.familiarString() });
      }
    }
    await this.deleteHelper(img.id, records, force, prune, removedRepositoryRef);
    return records;
  }

  private async deleteHelper(id: string, records: DeleteItem[], force: boolean, prune: boolean, quiet: boolean): Promise<void> {
    try {
      this.checkDeleteConflict(id, { hard: true, soft: !force });
    } catch (e) {
      if (quiet && isKind(e, 'Conflict')) {
        // Pruning a parent, or an untag that left a used image: not an error.
        const used = this.users.containersUsing(id).length > 0;
        if (!this.isDangling(id) || used) return;
      }
      throw e;
    }
    const rec = this.store.get(id)!;
    for (const r of this.store.refsOf(id)) {
      await this.store.deleteRef(r);
      records.push({ Untagged: r.familiarString() });
    }
    await this.store.delete(id);
    records.push({ Deleted: id });
    for (const chainId of await this.collectGarbage(rec)) records.push({ Deleted: chainId });
    if (prune && rec.parent && this.store.get(rec.parent)) await this.deleteHelper(rec.parent, records, false, true, true);
  }

  private isDangling(id: string): boolean {
    return this.store.refsOf(id).length === 0 && this.children(id).length === 0;
  }

  private checkDeleteConflict(id: string, opts: { hard: boolean; soft: boolean; ignoreRefs?: boolean }): void {
    if (opts.hard) {
      if (this.children(id).length > 0) throw conflict(`conflict: unable to delete ${short(id)} (cannot be forced) - image has dependent child images`);
      const running = this.users.containersUsing(id).find((c) => c.running);
      if (running) throw conflict(`conflict: unable to delete ${short(id)} (cannot be forced) - image is being used by running container ${short(running.id)}`);
    }
    if (opts.soft) {
      if (!opts.ignoreRefs && this.store.refsOf(id).length > 0) {
        throw conflict(`conflict: unable to delete ${short(id)} (must be forced) - image is referenced in multiple repositories`);
      }
      const stopped = this.users.containersUsing(id).find((c) => !c.running);
      if (stopped) throw conflict(`conflict: unable to delete ${short(id)} (must be forced) - image is being used by stopped container ${short(stopped.id)}`);
    }
  }

  /**
   * Removes layer snapshots and blobs that no image references any more:
   * those of `deleted` (an image just removed), or everything at start-up.
   * Returns the chain IDs removed, topmost first. A snapshot that still has
   * children (another layer, a container's layer) stays.
   */
  async collectGarbage(deleted?: ImageRecord): Promise<string[]> {
    const liveChains = new Set<string>();
    const liveBlobs = new Set<string>();
    for (const r of this.store.all()) {
      liveBlobs.add(r.id);
      if (r.manifest) liveBlobs.add(r.manifest.digest);
      for (const l of r.layers) {
        liveChains.add(l.chainID);
        liveBlobs.add(l.blob.digest);
      }
    }
    const chainCandidates = deleted
      ? [...deleted.layers].reverse().map((l) => l.chainID)
      : this.snapshots.walk().filter((s) => s.kind === 'committed' && s.name.startsWith('sha256:')).map((s) => s.name);
    const removed: string[] = [];
    for (let progress = true; progress; ) {
      progress = false;
      const parents = new Set(this.snapshots.walk().map((s) => s.parent).filter((p): p is string => p !== undefined));
      for (const c of chainCandidates) {
        if (liveChains.has(c) || parents.has(c) || removed.includes(c) || !this.snapshots.stat(c)) continue;
        await this.snapshots.remove(c);
        removed.push(c);
        progress = true;
      }
    }
    const blobCandidates = deleted
      ? [deleted.id, ...(deleted.manifest ? [deleted.manifest.digest] : []), ...deleted.layers.map((l) => l.blob.digest)]
      : await this.content.list();
    for (const d of blobCandidates) if (!liveBlobs.has(d)) await this.content.delete(d);
    return removed;
  }

  // --- prune --------------------------------------------------------------

  /** Deletes dangling images (or all unused ones with `all`) that `keep` does not protect. */
  prune(opts: { all: boolean; select: (v: ImageView) => boolean }): Promise<{ deleted: DeleteItem[]; reclaimed: number }> {
    return this.exclusive(async () => {
      const deleted: DeleteItem[] = [];
      const before = await this.diskUsage();
      const candidates = this.list().filter((v) => {
        if (!opts.select(v)) return false;
        if (this.users.containersUsing(v.record.id).length > 0) return false;
        if (this.children(v.record.id).length > 0) return false;
        return opts.all || v.refs.length === 0;
      });
      for (const v of candidates) {
        if (!this.store.get(v.record.id)) continue;
        try {
          const items: DeleteItem[] = [];
          if (opts.all) {
            for (const r of this.store.refsOf(v.record.id)) {
              await this.store.deleteRef(r);
              items.push({ Untagged: r.familiarString() });
            }
          }
          await this.deleteHelper(v.record.id, items, false, true, false);
          deleted.push(...items);
        } catch (e) {
          if (!isKind(e, 'Conflict')) throw e;
        }
      }
      const after = await this.diskUsage();
      return { deleted, reclaimed: Math.max(0, before - after) };
    });
  }

  /** Bytes held by unpacked layers (used for prune's reclaimed space). */
  private async diskUsage(): Promise<number> {
    let n = 0;
    for (const s of this.snapshots.walk()) if (s.kind === 'committed') n += Number(s.labels['berth.size'] ?? 0);
    return n;
  }
}

/** Docker's isImageIDPrefix: the input is a prefix of the image ID. */
function isIdPrefixOf(id: string, input: string): boolean {
  return input.length > 0 && (id.startsWith(input) || id.slice(7).startsWith(input));
}

/** All references name one repository (tags and digests), as Docker's isSingleReference. */
function isSingleReference(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest) canonical.add(r.name());
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0]!;
  return canonical.size === 1 && canonical.has(single.name());
}

/** The name as Docker shows it in "No such image" (normalised with tag when it parses). */
function displayRef(s: string): string {
  try {
    return parseNormalizedNamed(s).withDefaultTag().familiarString();
  } catch {
    return s;
  }
}
