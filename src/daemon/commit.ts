/**
 * `docker commit`: a container's layer becomes a new image on top of the
 * container's image, with the container's configuration (and `--change`
 * instructions) as the image's defaults.
 */
import { internal } from '../errdefs/errdefs.js';
import type { ContainerService } from '../container/service.js';
import type { ContainerRecord } from '../container/types.js';
import { applyChanges } from '../image/changes.js';
import type { ImageService } from '../image/image-service.js';
import { ingestLayer } from '../image/layer-ingest.js';
import type { ContainerDefaults, ImageConfigFile } from '../image/oci.js';
import type { Reference } from '../image/reference.js';
import { commandLine } from './container-convert.js';

export interface CommitOptions {
  ref?: Reference;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
}

function defaultsOf(rec: ContainerRecord): ContainerDefaults {
  const s = rec.spec;
  return {
    ...(s.user ? { User: s.user } : {}),
    ...(s.exposedPorts.length ? { ExposedPorts: Object.fromEntries(s.exposedPorts.map((p) => [p, {}])) } : {}),
    Env: s.env,
    Cmd: s.cmd,
    ...(s.healthcheck ? { Healthcheck: { Test: s.healthcheck.test, Interval: s.healthcheck.intervalNs, Timeout: s.healthcheck.timeoutNs, StartPeriod: s.healthcheck.startPeriodNs, Retries: s.healthcheck.retries } } : {}),
    Volumes: s.volumes.length ? Object.fromEntries(s.volumes.map((v) => [v, {}])) : null,
    WorkingDir: s.workingDir,
    Entrypoint: s.entrypoint,
    Labels: Object.keys(s.labels).length ? s.labels : null,
    ...(s.stopSignal && s.stopSignal !== 'SIGTERM' ? { StopSignal: s.stopSignal } : {}),
  };
}

export async function commitContainer(images: ImageService, containers: ContainerService, rec: ContainerRecord, o: CommitOptions): Promise<string> {
  const defaults = applyChanges(defaultsOf(rec), o.changes);
  const base = images.store.get(rec.spec.image);
  if (!base) throw internal(`the image of container ${rec.id.slice(0, 12)} (${rec.spec.image}) is gone`);
  const baseConfig = images.store.config(base.id);
  const pause = o.pause && rec.state.status === 'running';
  if (pause) await containers.pause(rec.id, { transient: true });
  try {
    const top = base.layers[base.layers.length - 1]?.chainID;
    const layer = await ingestLayer(images, await containers.files.layerDiff(rec), { ...(top ? { parent: top } : {}), keep: 'uncompressed' });
    const created = new Date().toISOString();
    const config: ImageConfigFile = {
      ...baseConfig,
      created,
      container: rec.id,
      container_config: { ...defaults, Cmd: rec.args.length || rec.path ? [rec.path, ...rec.args] : null },
      config: defaults,
      docker_version: '',
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : { comment: '' }),
      rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, layer.diffID] },
      history: [...(baseConfig.history ?? []), { created, created_by: commandLine(rec), ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) }],
    };
    delete config['parent'];
    const { id } = await images.exclusive(() => images.createImage(config, [...base.layers, layer], { ...(o.ref ? { refs: [o.ref] } : {}), parent: base.id }));
    return id;
  } finally {
    if (pause) await containers.unpause(rec.id).catch(() => {});
  }
}
