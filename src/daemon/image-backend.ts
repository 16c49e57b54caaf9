/**
 * Implements the image routes' Backend over ImageService: resolves names,
 * converts our records to Docker's wire shapes, applies list filters.
 */
import { Readable } from 'node:stream';
import type { JsonStream } from '../api/context.js';
import { checkFilterNames, filterBool, matchLabels, type Filters } from '../api/filters.js';
import type { ImageBackend, ImportParams, PullParams } from '../api/routes/images.js';
import type { HistoryItem, ImageContainerConfig, ImageInspect, ImagePruneResponse, ImageSummary } from '../api/types/images.js';
import { progressMessage } from '../api/types/progress.js';
import { versionAtLeast } from '../api/version.js';
import { invalidParameter, notImplemented } from '../errdefs/errdefs.js';
import { loadArchive, resolveSaveItems, saveArchive } from '../image/archive.js';
import type { ImageService, ImageView } from '../image/image-service.js';
import { importTarball } from '../image/import.js';
import type { ContainerDefaults } from '../image/oci.js';
import { parseNormalizedNamed, parseRepositoryTag, type Reference } from '../image/reference.js';
import { parseTimestamp } from './filter-util.js';
import { DEFAULT_BUDGET, globMatcher } from '../util/re2.js';
import type { EventBus } from '../events/bus.js';

const LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];
const PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'];

export class DaemonImageBackend implements ImageBackend {
  constructor(
    private readonly svc: ImageService,
    private readonly events: EventBus,
    /** Pulls from registries (registry-backend.ts). */
    private readonly registry?: { pull(p: PullParams, out: JsonStream): Promise<void> },
  ) {}

  private emit(action: string, id: string, name: string): void {
    this.events.publish({ type: 'image', action, actor: { id, attributes: { name } } });
  }

  list(opts: { all: boolean; filters: Filters; digests: boolean; version: string }): ImageSummary[] {
    const f = opts.filters;
    checkFilterNames(f, LIST_FILTERS);
    const dangling = filterBool(f, 'dangling');
    const before = f.get('before')?.map((n) => created(this.svc.view(this.svc.resolve(n))));
    const since = f.get('since')?.map((n) => created(this.svc.view(this.svc.resolve(n))));
    const until = f.get('until')?.map((t) => parseTimestamp(t));
    const refPatterns = f.get('reference');
    // One budget for every glob of the request: a hostile pattern cannot cost more than one match.
    const budget = { left: DEFAULT_BUDGET };
    const refGlobs = refPatterns?.map((p) => globMatcher(p, budget));
    const out: { view: ImageView; refs: Reference[] }[] = [];
    for (const v of this.svc.list()) {
      if (!matchLabels(f, v.config.config?.Labels)) continue;
      const c = created(v);
      if (before && !before.every((b) => c < b)) continue;
      if (since && !since.every((s) => c > s)) continue;
      if (until && !until.every((u) => c <= u)) continue;
      // As moby: the reference filter narrows an image's own tags and digests too.
      const refs = refGlobs ? v.refs.filter((r) => refGlobs.some((g) => g(r.familiarName()) || (r.tag !== undefined && g(`${r.familiarName()}:${r.tag}`)))) : v.refs;
      if (refs.length === 0) {
        if (refPatterns || dangling === false) continue;
        if (!opts.all && this.svc.children(v.record.id).length > 0) continue;
      } else if (dangling === true) continue;
      out.push({ view: v, refs });
    }
    out.sort((a, b) => created(b.view) - created(a.view));
    return out.map((o) => this.summary(o.view, o.refs, opts.version));
  }

  private summary(v: ImageView, refs: Reference[], version: string): ImageSummary {
    const s: ImageSummary = {
      Id: v.record.id,
      ParentId: v.record.parent ?? '',
      RepoTags: refs.filter((r) => r.tag !== undefined).map((r) => r.familiarString()),
      RepoDigests: refs.filter((r) => r.digest !== undefined).map((r) => `${r.familiarName()}@${r.digest}`),
      Created: Math.floor(created(v) / 1000),
      Size: v.size,
      SharedSize: -1,
      Labels: v.config.config?.Labels ?? null,
      Containers: -1,
    };
    if (!versionAtLeast(version, '1.44')) s.VirtualSize = v.size;
    return s;
  }

  async inspect(name: string, version: string): Promise<ImageInspect> {
    const v = this.svc.view(this.svc.resolve(name));
    const cfg = v.config;
    const top = v.record.layers[v.record.layers.length - 1];
    const gd = top ? this.svc.snapshots.graphDriver(top.chainID) : undefined;
    const out: ImageInspect = {
      Id: v.record.id,
      RepoTags: v.refs.filter((r) => r.tag !== undefined).map((r) => r.familiarString()),
      RepoDigests: v.refs.filter((r) => r.digest !== undefined).map((r) => `${r.familiarName()}@${r.digest}`),
      Parent: v.record.parent ?? '',
      Comment: cfg.comment ?? '',
      Created: cfg.created ?? new Date(0).toISOString(),
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: containerConfig(cfg.config),
      Architecture: cfg.architecture,
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os,
      Size: v.size,
      GraphDriver: gd ? { Name: gd.name, Data: gd.data } : { Name: this.svc.snapshots.driver, Data: null },
      RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
      Metadata: { LastTagTime: v.record.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
    if (!versionAtLeast(version, '1.44')) out.VirtualSize = v.size;
    if (!versionAtLeast(version, '1.45')) {
      out.Container = cfg.container ?? '';
      out.ContainerConfig = containerConfig(cfg.container_config);
    }
    return out;
  }

  history(name: string): HistoryItem[] {
    const v = this.svc.view(this.svc.resolve(name));
    const items: HistoryItem[] = [];
    let layer = 0;
    for (const h of v.config.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        size = v.record.layers[layer]?.size ?? 0;
        layer++;
      }
      items.push({
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    items.reverse();
    // The newest entry is this image; walk local parents for the older ones.
    let rec: typeof v.record | undefined = v.record;
    let i = 0;
    while (rec && i < items.length) {
      items[i]!.Id = rec.id;
      const tags = this.svc.store.refsOf(rec.id).filter((r) => r.tag !== undefined);
      items[i]!.Tags = tags.length ? tags.map((r) => r.familiarString()) : null;
      const parent: string | undefined = rec.parent;
      rec = parent ? this.svc.store.get(parent) : undefined;
      if (!rec) break;
      const parentEntries = this.svc.store.config(rec.id).history?.length ?? 0;
      i = items.length - parentEntries;
    }
    return items;
  }

  async tag(name: string, repo: string, tag: string | undefined): Promise<void> {
    const ref = parseRepositoryTag(repo, tag);
    await this.svc.tag(name, ref);
    this.emit('tag', this.svc.resolve(name).id, ref.withDefaultTag().familiarString());
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }) {
    const id = this.svc.tryResolve(name)?.id ?? name;
    const items = await this.svc.remove(name, { force: opts.force, prune: !opts.noprune });
    for (const i of items) {
      if (i.Untagged) this.emit('untag', id, i.Untagged);
      if (i.Deleted) this.emit('delete', i.Deleted, i.Deleted);
    }
    return items;
  }

  async prune(filters: Filters): Promise<ImagePruneResponse> {
    checkFilterNames(filters, PRUNE_FILTERS);
    const dangling = filterBool(filters, 'dangling') ?? true;
    const until = filters.get('until')?.map((t) => parseTimestamp(t));
    const notLabels = new Map([['label', filters.get('label!') ?? []]]);
    const { deleted, reclaimed } = await this.svc.prune({
      all: !dangling,
      select: (v) => {
        if (!matchLabels(filters, v.config.config?.Labels)) return false;
        if ((notLabels.get('label') ?? []).length && matchLabels(notLabels, v.config.config?.Labels)) return false;
        if (until && !until.every((u) => created(v) <= u)) return false;
        return true;
      },
    });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  async importImage(body: Readable, p: ImportParams, out: JsonStream): Promise<void> {
    const ref = p.repo ? parseRepositoryTag(p.repo, p.tag) : undefined;
    let input: Readable = body;
    if (p.fromSrc !== '-') {
      if (!/^https?:\/\//.test(p.fromSrc)) throw invalidParameter(`import source ${p.fromSrc} must be "-" (the request body) or an http(s) URL`);
      const res = await fetch(p.fromSrc);
      if (!res.ok || !res.body) throw invalidParameter(`cannot download ${p.fromSrc}: HTTP ${res.status}`);
      input = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    }
    const id = await importTarball(this.svc, input, {
      ...(ref ? { ref } : {}),
      changes: p.changes,
      ...(p.message ? { message: p.message } : {}),
      source: p.fromSrc,
    });
    out.write({ status: id });
    this.emit('import', id, ref ? ref.familiarString() : id);
  }

  // --- registry pull (issue 7): implemented by the registry backend ---
  async pull(p: PullParams, out: JsonStream): Promise<void> {
    if (!this.registry) throw notImplemented(`cannot pull ${parseNormalizedNamed(p.fromImage).familiarName()}: no registry client configured`);
    await this.registry.pull(p, out);
  }

  async load(body: Readable, quiet: boolean, out: JsonStream): Promise<void> {
    const r = await loadArchive(this.svc, body, {
      message: (line) => out.write({ stream: `${line}\n` }),
      ...(quiet ? {} : { layerProgress: (id: string, cur: number, total: number) => out.write(progressMessage(id, 'Loading layer', cur, total)) }),
    });
    for (const i of r.images) this.emit('load', i.id, i.refs[0]?.familiarString() ?? i.id);
  }

  save(names: string[]): Readable {
    if (names.length === 0) throw invalidParameter('no image names given to save');
    const items = resolveSaveItems(this.svc, names);
    for (const i of items) this.emit('save', i.id, i.refs[0]?.familiarString() ?? i.id);
    return saveArchive(this.svc, items);
  }
}

function created(v: ImageView): number {
  return v.config.created ? Date.parse(v.config.created) : 0;
}

/** Image defaults in the full container-config shape Docker shows. */
function containerConfig(c: ContainerDefaults | undefined): ImageContainerConfig {
  const d = c ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: d.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(d.ExposedPorts ? { ExposedPorts: d.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: d.Env ?? null,
    Cmd: d.Cmd ?? null,
    ...(d.Healthcheck ? { Healthcheck: d.Healthcheck } : {}),
    ...(d.ArgsEscaped !== undefined ? { ArgsEscaped: d.ArgsEscaped } : {}),
    Image: '',
    Volumes: d.Volumes ?? null,
    WorkingDir: d.WorkingDir ?? '',
    Entrypoint: d.Entrypoint ?? null,
    OnBuild: d.OnBuild ?? null,
    Labels: d.Labels ?? null,
    ...(d.StopSignal ? { StopSignal: d.StopSignal } : {}),
    ...(d.Shell ? { Shell: d.Shell } : {}),
  };
}
