/**
 * The create request from run/create's options: docker's container.Config,
 * HostConfig and NetworkingConfig, one builder each. Fields are sent in the
 * API's order and left out when they hold Go's zero value (docker sends every
 * field; `""`, `0`, `false`, `null`, `{}` and `[]` mean the same to the daemon
 * as an absent field), except the few the daemon reads even when zero:
 * AttachStdin/Stdout/Stderr, Tty, OpenStdin, StdinOnce, NetworkMode,
 * RestartPolicy and MemorySwappiness (-1).
 */
import type { HealthConfig } from '../../api/types/common.js';
import { fail } from './run-errors.js';
import { parseNetworkOpts } from './network-opt.js';
import type { HealthFlags, RunConfig, RunHostConfigBody, RunNetworkingConfig, RunOptions, RunResources } from './run-types.js';

const isZero = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** Sets o[k] = v unless v is a zero value. */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (!isZero(v)) o[k] = v as T[K];
}

/** The streams attached: -a's, stdout and stderr when none is named, none with -d. */
function attachedStreams(o: RunOptions): Pick<RunConfig, 'AttachStdin' | 'AttachStdout' | 'AttachStderr' | 'StdinOnce'> {
  if (o.detach) return { AttachStdin: false, AttachStdout: false, AttachStderr: false, StdinOnce: false };
  const all = o.attach.length === 0;
  const stdin = o.attach.includes('stdin') || o.interactive;
  return { AttachStdin: stdin, AttachStdout: all || o.attach.includes('stdout'), AttachStderr: all || o.attach.includes('stderr'), StdinOnce: o.interactive && stdin };
}

/** docker's health checks: --no-healthcheck alone, or the --health-* values (none negative). */
export function buildHealthcheck(h: HealthFlags): HealthConfig | undefined {
  const given = h.cmd !== '' || h.interval !== 0 || h.timeout !== 0 || h.startPeriod !== 0 || h.retries !== 0 || h.startInterval !== 0;
  if (h.disabled) {
    if (given) throw fail('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!given) return undefined;
  if (h.interval < 0) throw fail('--health-interval cannot be negative');
  if (h.timeout < 0) throw fail('--health-timeout cannot be negative');
  if (h.retries < 0) throw fail('--health-retries cannot be negative');
  if (h.startPeriod < 0) throw fail('--health-start-period cannot be negative');
  if (h.startInterval < 0) throw fail('--health-start-interval cannot be negative');
  const hc: HealthConfig = {};
  if (h.cmd !== '') hc.Test = ['CMD-SHELL', h.cmd];
  put(hc, 'Interval', h.interval);
  put(hc, 'Timeout', h.timeout);
  put(hc, 'StartPeriod', h.startPeriod);
  put(hc, 'StartInterval', h.startInterval);
  put(hc, 'Retries', h.retries);
  return hc;
}

/** container.Config: what runs, as whom, with which streams, env, labels and health check. Throws for bad --health-* values. */
export function buildConfig(o: RunOptions): RunConfig {
  const streams = attachedStreams(o);
  const c = {} as RunConfig;
  put(c, 'Hostname', o.hostname);
  put(c, 'Domainname', o.domainname);
  put(c, 'User', o.user);
  c.AttachStdin = streams.AttachStdin;
  c.AttachStdout = streams.AttachStdout;
  c.AttachStderr = streams.AttachStderr;
  put(c, 'ExposedPorts', o.exposedPorts);
  c.Tty = o.tty;
  c.OpenStdin = o.interactive;
  c.StdinOnce = streams.StdinOnce;
  put(c, 'Env', o.env);
  if (o.cmd) c.Cmd = o.cmd;
  put(c, 'Healthcheck', buildHealthcheck(o.health));
  c.Image = o.image;
  put(c, 'Volumes', o.volumes);
  put(c, 'WorkingDir', o.workdir);
  if (o.entrypoint !== undefined) c.Entrypoint = [o.entrypoint];
  put(c, 'Labels', o.labels);
  put(c, 'StopSignal', o.stopSignal);
  if (o.stopTimeout !== undefined) c.StopTimeout = o.stopTimeout;
  return c;
}

/** Resources in the API's order (docker's HostConfig embeds them after the namespaces). */
const RESOURCE_FIELDS: (keyof RunResources)[] = [
  'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus',
  'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness',
  'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth',
];

function putResources(hc: RunHostConfigBody, r: RunResources): void {
  for (const k of RESOURCE_FIELDS) {
    if (k === 'MemorySwappiness') hc.MemorySwappiness = r.MemorySwappiness ?? -1;
    else put(hc, k, r[k]);
  }
}

/** Binds, logging, ports, restart policy and removal, the volumes of other containers. */
function putStorageAndLifecycle(hc: RunHostConfigBody, o: RunOptions): void {
  put(hc, 'Binds', o.binds);
  put(hc, 'ContainerIDFile', o.cidfile);
  if (o.logDriver !== '' || Object.keys(o.logOpts).length > 0) hc.LogConfig = { Type: o.logDriver, Config: o.logOpts };
  hc.NetworkMode = o.networks[0]?.Target ?? 'default';
  put(hc, 'PortBindings', o.portBindings);
  hc.RestartPolicy = o.restart;
  put(hc, 'AutoRemove', o.autoRemove);
  put(hc, 'VolumeDriver', o.volumeDriver);
  put(hc, 'VolumesFrom', o.volumesFrom);
}

/** Capabilities, DNS and hosts, namespaces, security options, tmpfs, sysctls, runtime. */
function putIsolation(hc: RunHostConfigBody, o: RunOptions): void {
  put(hc, 'Annotations', o.annotations);
  put(hc, 'CapAdd', o.capAdd);
  put(hc, 'CapDrop', o.capDrop);
  put(hc, 'CgroupnsMode', o.cgroupnsMode);
  put(hc, 'Dns', o.dns);
  put(hc, 'DnsOptions', o.dnsOptions);
  put(hc, 'DnsSearch', o.dnsSearch);
  put(hc, 'ExtraHosts', o.extraHosts);
  put(hc, 'GroupAdd', o.groupAdd);
  put(hc, 'IpcMode', o.ipc);
  put(hc, 'Links', o.links);
  put(hc, 'OomScoreAdj', o.oomScoreAdj);
  put(hc, 'PidMode', o.pidMode);
  put(hc, 'Privileged', o.privileged);
  put(hc, 'PublishAllPorts', o.publishAll);
  put(hc, 'ReadonlyRootfs', o.readOnly);
  put(hc, 'SecurityOpt', o.securityOpts);
  put(hc, 'StorageOpt', o.storageOpts);
  put(hc, 'Tmpfs', o.tmpfs);
  put(hc, 'UTSMode', o.utsMode);
  put(hc, 'UsernsMode', o.usernsMode);
  put(hc, 'ShmSize', o.shmSize);
  put(hc, 'Sysctls', o.sysctls);
  put(hc, 'Runtime', o.runtime);
  put(hc, 'Isolation', o.isolation);
}

/** HostConfig: how the host runs the container. Throws when --rm meets a restart policy. */
export function buildHostConfig(o: RunOptions): RunHostConfigBody {
  if (o.autoRemove && o.restart.Name !== 'no' && o.restart.Name !== '') throw fail('conflicting options: cannot specify both --restart and --rm');
  const hc: RunHostConfigBody = {};
  putStorageAndLifecycle(hc, o);
  putIsolation(hc, o);
  putResources(hc, o.resources);
  put(hc, 'Mounts', o.mounts);
  if (o.systemPathsUnconfined) {
    hc.MaskedPaths = [];
    hc.ReadonlyPaths = [];
  }
  if (o.init !== undefined) hc.Init = o.init;
  return hc;
}

/**
 * NetworkingConfig: an endpoint per --network, the legacy flags applied to
 * the first. Throws for conflicting or misplaced network options.
 */
export function buildNetworkingConfig(o: RunOptions): RunNetworkingConfig {
  // parseNetworkOpts fills in the first attachment: work on a copy, so the options stay as read.
  return { EndpointsConfig: parseNetworkOpts(structuredClone(o.networks), o.legacyNet) };
}
