/**
 * `docker save` / `docker load` archives.
 *
 * Load reads every format Docker has written: the legacy layout of Docker ≤ 24
 * (`manifest.json` + `<id>/layer.tar`, with symlinked duplicate layers), the
 * combined layout of Docker ≥ 25 (`manifest.json` whose paths point into an
 * OCI `blobs/` tree), and plain OCI image layouts (`index.json` only). The
 * archive may be gzip-compressed. Large files stream straight into the
 * content store while the archive is read; layers are unpacked afterwards in
 * order, sharing snapshots that already exist.
 *
 * Save writes the Docker ≥ 25 layout: uncompressed layers and configs under
 * `blobs/sha256/`, an OCI manifest per image, `index.json`, `oci-layout` and
 * `manifest.json` (which Docker 20.10's load also reads).
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { EngineError, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { decompressor, sniff } from './compression.js';
import { sha256Digest } from './content-store.js';
import type { ImageService } from './image-service.js';
import type { LayerRecord } from './image-store.js';
import { chainIdOf, existingLayer, ingestLayer } from './layer-ingest.js';
import { MediaType, isGzipMediaType, isZstdMediaType, type Descriptor, type ImageConfigFile, type Index, type Manifest } from './oci.js';
import { parseDockerRef, parseNormalizedNamed, type Reference } from './reference.js';
import { createGunzip } from 'node:zlib';

/** Files up to this size are kept in memory while reading an archive (JSON metadata, small layers)… */
const SMALL_FILE = 1 << 20;
/** …while they add up to at most this; the rest go to the content store, so memory stays flat. */
const IN_MEMORY_BUDGET = 64 << 20;
/**
 * Entries a load archive may have. A docker save archive has a few per image
 * layer; more is an archive made to exhaust the daemon (each entry costs a
 * little state until the archive is read).
 */
export const MAX_ARCHIVE_ENTRIES = 100_000;

interface ArchiveFile {
  /** In memory (small files) or a blob in the content store. */
  data?: Buffer;
  blob?: { digest: string; size: number };
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
  /** The image this one was committed from, when it is in the same archive. */
  Parent?: string;
}

export interface LoadEvents {
  /** A line for the user: "Loaded image: x:y", etc. */
  message(line: string): void;
  layerProgress?(layerId: string, current: number, total: number): void;
}

export interface LoadResult {
  images: { id: string; refs: Reference[] }[];
}

export async function loadArchive(svc: ImageService, input: Readable, ev: LoadEvents): Promise<LoadResult> {
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const written: string[] = [];
  try {
    await readArchive(svc, input, files, links, written).catch((e: unknown) => {
      throw e instanceof EngineError ? e : invalidParameter(`invalid archive: ${messageOf(e)} (is this a tar archive made by docker save?)`);
    });
    const resolve = (p: string): ArchiveFile => {
      let path = posix.normalize(p);
      for (let i = 0; i < 16 && links.has(path); i++) path = links.get(path)!;
      const f = files.get(path);
      if (!f) throw invalidParameter(`invalid archive: ${p} is listed but not present`);
      return f;
    };
    const readJson = async <T>(p: string): Promise<{ value: T; bytes: Buffer }> => {
      const f = resolve(p);
      const data = f.data ?? (f.blob && f.blob.size <= SMALL_FILE ? await svc.content.read(f.blob.digest) : undefined);
      if (!data) throw invalidParameter(`invalid archive: ${p} is too large to be JSON metadata`);
      try {
        return { value: JSON.parse(data.toString('utf8')) as T, bytes: data };
      } catch {
        throw invalidParameter(`invalid archive: ${p} is not valid JSON`);
      }
    };
    const entries = files.has('manifest.json')
      ? (await readJson<DockerManifestEntry[]>('manifest.json')).value
      : files.has('index.json')
        ? await ociEntries(readJson, (await readJson<Index>('index.json')).value)
        : undefined;
    if (!entries) {
      throw invalidParameter('invalid archive: no manifest.json or index.json found (is this the output of docker save?)');
    }
    if (!Array.isArray(entries)) throw invalidParameter('invalid archive: manifest.json is not a list');
    const result: LoadResult = { images: [] };
    const parents: { id: string; parent: string }[] = [];
    for (const e of entries) {
      const { value: config, bytes } = await readJson<ImageConfigFile>(e.Config);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== e.Layers.length) {
        throw invalidParameter(`invalid archive: image ${e.Config} lists ${e.Layers.length} layers but its config has ${diffIds.length}`);
      }
      const layers: LayerRecord[] = [];
      for (let i = 0; i < e.Layers.length; i++) {
        const parent = layers[i - 1]?.chainID;
        const f = resolve(e.Layers[i]!);
        let stored = f.blob;
        if (!stored) {
          stored = await svc.content.put(f.data!);
          written.push(stored.digest); // removed at the end unless an image took it
        }
        const mediaType = await layerMediaType(svc, stored.digest, diffIds[i]!);
        const desc: Descriptor = { mediaType, digest: stored.digest, size: stored.size };
        const have = existingLayer(svc.snapshots, chainIdOf(parent, diffIds[i]!), desc);
        if (have) {
          layers.push(have);
          continue;
        }
        const shortId = diffIds[i]!.slice(7, 19);
        layers.push(
          await ingestLayer(svc, await svc.content.openRead(stored.digest), {
            ...(parent !== undefined ? { parent } : {}),
            keep: { stored: desc },
            expectedDiffId: diffIds[i]!,
            onProgress: (n) => ev.layerProgress?.(shortId, n, stored.size),
          }),
        );
      }
      const refs = (e.RepoTags ?? []).map((t) => parseDockerRef(t));
      const created = await svc.exclusive(() => svc.createImage(config, layers, { refs, configBytes: bytes }));
      for (const m of created.moved) {
        ev.message(`The image ${m.ref.familiarString()} already exists, renaming the old one with ID ${m.from} to empty string`);
      }
      if (refs.length === 0) ev.message(`Loaded image ID: ${created.id}`);
      for (const r of refs) ev.message(`Loaded image: ${r.familiarString()}`);
      result.images.push({ id: created.id, refs });
      if (e.Parent) parents.push({ id: created.id, parent: e.Parent });
    }
    // As Docker: parent links hold only between images of the same archive.
    for (const p of parents) {
      if (result.images.some((i) => i.id === p.parent)) await svc.exclusive(() => svc.setParent(p.id, p.parent));
    }
    return result;
  } finally {
    // Blobs of the archive that no image took (duplicates, OCI manifests) go.
    await svc.exclusive(async () => {
      const used = new Set<string>();
      for (const r of svc.store.all()) {
        used.add(r.id);
        if (r.manifest) used.add(r.manifest.digest);
        for (const l of r.layers) used.add(l.blob.digest);
      }
      for (const d of written) if (!used.has(d)) await svc.content.delete(d);
    });
  }
}

async function layerMediaType(svc: ImageService, digest: string, diffId: string): Promise<string> {
  if (digest === diffId) return MediaType.OciLayer;
  const head = await svc.content.openRead(digest);
  const { compression, stream } = await sniff(head);
  stream.destroy();
  return compression === 'gzip' ? MediaType.OciLayerGzip : compression === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

/** Entries equivalent to manifest.json, from an OCI index (one per manifest, nested indexes followed for this platform). */
async function ociEntries(readJson: <T>(p: string) => Promise<{ value: T }>, index: Index): Promise<DockerManifestEntry[]> {
  const out: DockerManifestEntry[] = [];
  const blobPath = (d: string) => `blobs/${d.replace(':', '/')}`;
  const visit = async (idx: Index, name: string | undefined, depth: number): Promise<void> => {
    if (depth > 8) throw invalidParameter('invalid archive: OCI indexes nested too deep');
    for (const m of idx.manifests ?? []) {
      const ref = m.annotations?.['io.containerd.image.name'] ?? name;
      if (m.mediaType === MediaType.OciIndex || m.mediaType === MediaType.DockerManifestList) {
        await visit((await readJson<Index>(blobPath(m.digest))).value, ref, depth + 1);
        continue;
      }
      if (m.platform && (m.platform.os !== 'linux' || m.platform.architecture !== hostArch())) continue;
      const man = (await readJson<Manifest>(blobPath(m.digest))).value;
      const tag = m.annotations?.['org.opencontainers.image.ref.name'];
      const repoTag = ref ?? (tag && /[:/]/.test(tag) ? tag : undefined);
      out.push({ Config: blobPath(man.config.digest), RepoTags: repoTag ? [repoTag] : [], Layers: man.layers.map((l) => blobPath(l.digest)) });
    }
  };
  await visit(index, undefined, 0);
  return out;
}

export function hostArch(): string {
  const a = process.arch;
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

async function readArchive(
  svc: ImageService,
  input: Readable,
  files: Map<string, ArchiveFile>,
  links: Map<string, string>,
  written: string[],
): Promise<void> {
  const { compression, stream } = await sniff(input);
  const extract = tar.extract();
  const dec = decompressor(compression);
  const done = dec ? pipeline(stream, dec, extract) : pipeline(stream, extract);
  done.catch(() => {}); // awaited below; errors also surface through the entry loop
  let count = 0;
  let inMemory = 0;
  for await (const entry of extract) {
    const h = entry.header;
    if (++count > MAX_ARCHIVE_ENTRIES) {
      throw invalidParameter(`invalid archive: more than ${MAX_ARCHIVE_ENTRIES} entries (a docker save archive has a few per image layer)`);
    }
    const name = posix.normalize(h.name.replace(/^\.?\/+/, '')).replace(/\/$/, '');
    if (name.startsWith('..') || posix.isAbsolute(name)) throw invalidParameter(`invalid archive: entry ${h.name} points outside the archive`);
    if (h.type === 'symlink' || h.type === 'link') {
      const target = h.type === 'symlink' ? posix.normalize(posix.join(posix.dirname(name), h.linkname ?? '')) : posix.normalize(h.linkname ?? '');
      links.set(name, target);
      entry.resume();
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      const size = h.size ?? 0;
      if (size <= SMALL_FILE && inMemory + size <= IN_MEMORY_BUDGET) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        inMemory += size;
        files.set(name, { data: Buffer.concat(chunks) });
      } else {
        const w = await svc.content.writer();
        try {
          for await (const c of entry) await w.write(c as Buffer);
          const blob = await w.commit();
          written.push(blob.digest);
          files.set(name, { blob });
        } catch (e) {
          await w.abort();
          throw e;
        }
      }
    } else {
      entry.resume();
    }
  }
  await done;
}

// --- save -------------------------------------------------------------------

export interface SaveItem {
  id: string;
  /** Tags to record for this image in the archive. */
  refs: Reference[];
}

/** Writes the archive for the given images; the stream errors if a blob is missing. */
export function saveArchive(svc: ImageService, items: SaveItem[]): Readable {
  const pack = tar.pack();
  const mtime = new Date(0);
  const write = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime }, data, (e) => (e ? reject(e) : resolve())));
  const writeStream = (name: string, size: number, body: Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      const e = pack.entry({ name, size, mode: 0o644, mtime }, (err) => (err ? reject(err) : resolve()));
      pipeline(body, e).catch(reject);
    });
  const dir = (name: string): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, mtime }, (e) => (e ? reject(e) : resolve())));

  const run = async (): Promise<void> => {
    const seen = new Set<string>();
    const manifestJson: DockerManifestEntry[] = [];
    const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    await dir('blobs/');
    await dir('blobs/sha256/');
    const blob = async (digest: string, data: Buffer) => {
      if (seen.has(digest)) return;
      seen.add(digest);
      await write(`blobs/sha256/${digest.slice(7)}`, data);
    };
    for (const item of items) {
      const rec = svc.store.get(item.id);
      if (!rec) throw invalidParameter(`image ${item.id} disappeared during save`);
      const configBytes = await svc.content.read(rec.id);
      await blob(rec.id, configBytes);
      const layers: Descriptor[] = [];
      for (const l of rec.layers) {
        layers.push({ mediaType: MediaType.OciLayer, digest: l.diffID, size: l.tarSize });
        if (seen.has(l.diffID)) continue;
        seen.add(l.diffID);
        const src = await svc.content.openRead(l.blob.digest);
        const body = isGzipMediaType(l.blob.mediaType) ? src.pipe(createGunzip()) : isZstdMediaType(l.blob.mediaType) ? src.pipe(decompressor('zstd')!) : src;
        await writeStream(`blobs/sha256/${l.diffID.slice(7)}`, l.tarSize, body);
      }
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: rec.id, size: configBytes.length },
        layers,
      };
      const mBytes = Buffer.from(JSON.stringify(manifest));
      const mDigest = sha256Digest(mBytes);
      await blob(mDigest, mBytes);
      const tags = item.refs.filter((r) => r.tag !== undefined);
      const desc = (r?: Reference): Descriptor => ({
        mediaType: MediaType.OciManifest,
        digest: mDigest,
        size: mBytes.length,
        ...(r ? { annotations: { 'io.containerd.image.name': r.string(), 'org.opencontainers.image.ref.name': r.tag! } } : {}),
      });
      if (tags.length === 0) index.manifests.push(desc());
      for (const t of tags) index.manifests.push(desc(t));
      manifestJson.push({
        Config: `blobs/sha256/${rec.id.slice(7)}`,
        RepoTags: tags.length ? tags.map((t) => t.familiarString()) : null,
        Layers: rec.layers.map((l) => `blobs/sha256/${l.diffID.slice(7)}`),
        ...(rec.parent && items.some((i) => i.id === rec.parent) ? { Parent: rec.parent } : {}),
      });
    }
    await write('index.json', Buffer.from(JSON.stringify(index)));
    await write('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await write('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    pack.finalize();
  };
  run().catch((e: unknown) => pack.destroy(e as Error));
  // tar-stream's pack is a streamx stream; hand callers a Node Readable.
  return Readable.from(pack);
}

/**
 * What `docker save NAME…` includes: a tag includes that tag; a repository
 * name without tag includes all its tags; an ID includes the image untagged.
 */
export function resolveSaveItems(svc: ImageService, names: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (id: string, refs: Reference[]) => {
    const it = items.get(id) ?? { id, refs: [] };
    for (const r of refs) if (!it.refs.some((x) => x.string() === r.string())) it.refs.push(r);
    items.set(id, it);
  };
  for (const n of names) {
    let named: Reference | undefined;
    try {
      named = parseNormalizedNamed(n);
    } catch {
      named = undefined;
    }
    if (named && named.isNameOnly()) {
      const all = svc.list().filter((v) => v.refs.some((r) => r.tag !== undefined && r.name() === named!.name()));
      if (all.length > 0) {
        for (const v of all) add(v.record.id, v.refs.filter((r) => r.tag !== undefined && r.name() === named!.name()));
        continue;
      }
    }
    const rec = svc.resolve(n);
    const ref = named && !named.digest && svc.store.lookupRef(named.withDefaultTag()) === rec.id ? [named.withDefaultTag()] : [];
    add(rec.id, ref);
  }
  return [...items.values()];
}

