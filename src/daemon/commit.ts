/**
 * `docker commit`: a container's layer becomes a new image on top of the
 * container's image, with the container's configuration (and `--change`
 * instructions) as the image's defaults.
 */
import { internal, invalidParameter } from '../errdefs/errdefs.js';
import type { ContainerConfig } from '../api/types/containers.js';
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
  /** The request's config: its fields override the container's, as dockerd's merge does. */
  config?: ContainerConfig;
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

/** Config fields that describe one container's run, not an image: refused when set, since an image would not keep them. */
const RUN_ONLY = ['Hostname', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Image', 'MacAddress', 'NetworkDisabled', 'StopTimeout'] as const;

const asCmd = (v: string[] | string | null | undefined): string[] | null | undefined => (typeof v === 'string' ? [v] : v);

/**
 * dockerd's commit merge: what the request's config sets wins; what it
 * leaves empty comes from the container (Env and Labels merge by key,
 * ExposedPorts and Volumes are unions, Cmd comes along only when neither Cmd
 * nor Entrypoint is given).
 */
export function mergeCommitConfig(user: ContainerConfig, base: ContainerDefaults): ContainerDefaults {
  for (const k of RUN_ONLY) {
    if (user[k]) throw invalidParameter(`commit config: ${k} describes a container's run and is not kept in an image; leave it out`);
  }
  const out: ContainerDefaults = { ...base };
  if (user.User) out.User = user.User;
  if (user.WorkingDir) out.WorkingDir = user.WorkingDir;
  if (user.StopSignal) out.StopSignal = user.StopSignal;
  if (user.Healthcheck?.Test) out.Healthcheck = { ...user.Healthcheck, Test: user.Healthcheck.Test };
  if (user.OnBuild?.length) out.OnBuild = user.OnBuild;
  if (user.Shell?.length) out.Shell = user.Shell;
  const entrypoint = asCmd(user.Entrypoint);
  const cmd = asCmd(user.Cmd);
  if (entrypoint?.length || cmd?.length) {
    out.Entrypoint = entrypoint?.length ? entrypoint : (base.Entrypoint ?? null);
    out.Cmd = cmd?.length ? cmd : null;
  }
  if (user.Env?.length) {
    const keys = new Set(user.Env.map((e) => e.split('=')[0]));
    out.Env = [...user.Env, ...(base.Env ?? []).filter((e) => !keys.has(e.split('=')[0]))];
  }
  if (user.Labels && Object.keys(user.Labels).length) out.Labels = { ...(base.Labels ?? {}), ...user.Labels };
  if (user.ExposedPorts && Object.keys(user.ExposedPorts).length) out.ExposedPorts = { ...(base.ExposedPorts ?? {}), ...user.ExposedPorts };
  if (user.Volumes && Object.keys(user.Volumes).length) out.Volumes = { ...(base.Volumes ?? {}), ...user.Volumes };
  return out;
}

export async function commitContainer(images: ImageService, containers: ContainerService, rec: ContainerRecord, o: CommitOptions): Promise<string> {
  const defaults = applyChanges(o.config ? mergeCommitConfig(o.config, defaultsOf(rec)) : defaultsOf(rec), o.changes);
  const base = images.store.get(rec.spec.image);
  if (!base) throw internal(`the image of container ${rec.id.slice(0, 12)} (${rec.spec.image}) is gone`);
  const baseConfig = images.store.config(base.id);
  // As dockerd, a container that stops meanwhile is committed unpaused rather than failing the commit.
  const pause = o.pause && rec.state.status === 'running' && (await containers.pause(rec.id, { transient: true }).then(() => true, () => false));
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
