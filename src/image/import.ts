/**
 * `docker import`: a root filesystem tarball (plain or gzip) becomes a
 * one-layer image, with `--change` instructions and a message applied to its
 * config as Docker does ("Imported from -").
 */
import type { Readable } from 'node:stream';
import { applyChanges } from './changes.js';
import type { ImageService } from './image-service.js';
import { ingestLayer } from './layer-ingest.js';
import type { ImageConfigFile } from './oci.js';
import { hostArch } from './archive.js';
import type { Reference } from './reference.js';

export interface ImportOptions {
  ref?: Reference;
  changes?: string[];
  message?: string;
  /** Where the tarball came from, for the history comment ("-" for stdin). */
  source?: string;
}

export async function importTarball(svc: ImageService, input: Readable, opts: ImportOptions): Promise<string> {
  // Changes are checked before any data is read, so bad input leaves nothing.
  const defaults = applyChanges({}, opts.changes ?? []);
  const layer = await ingestLayer(svc, input, { keep: 'uncompressed' });
  const created = new Date().toISOString();
  const comment = opts.message || `Imported from ${opts.source ?? '-'}`;
  const config: ImageConfigFile = {
    architecture: hostArch(),
    os: 'linux',
    created,
    comment,
    config: defaults,
    rootfs: { type: 'layers', diff_ids: [layer.diffID] },
    history: [{ created, comment }],
  };
  const { id } = await svc.exclusive(() => svc.createImage(config, [layer], opts.ref ? { refs: [opts.ref] } : {}));
  return id;
}
