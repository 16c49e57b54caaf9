/**
 * The edge between Docker's container JSON and our ContainerSpec: create
 * requests (already of their type: the route validated the body against its
 * schema, api/schemas) are checked for meaning and merged with the image's
 * defaults (as dockerd's `merge`), and records are shown back in Docker's
 * inspect/list shapes.
 */
import os from 'node:os';
import { invalidParameter } from '../errdefs/errdefs.js';
import { logDriverName, parseLogOptions } from '../logs/options.js';
import { hostConfigExtras } from './host-config-extras.js';
import { API_VERSION, versionAtLeast } from '../api/version.js';
import { refuseUnsupportedHostConfig } from './unsupported-fields.js';
import type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerInspect,
  ContainerState as WireState,
  ContainerSummary,
  EndpointSettings,
  HostConfig,
  MountPoint,
  PortMap,
} from '../api/types/containers.js';
import { statusText } from '../container/status.js';
import { bindMode, isRunning, type ContainerRecord, type ContainerSpec, type MountRequest, type NetworkEndpointSpec, type RestartPolicyName } from '../container/types.js';
import type { ImageConfigFile } from '../image/oci.js';

const DURATION_NS = 1e9;

/** A port or range ("80", "8000-8010") of 16-bit numbers, low to high (nat.ParsePortRange). */
function portRangeOk(s: string): boolean {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return hi <= 65535 && lo <= hi;
}

/** Container ports (`port[/proto]`) and host ports, checked before anything is made (dockerd's verifyContainerSettings). */
function checkPorts(req: ContainerCreateRequest, h: HostConfig): void {
  const containerPort = (key: string) => {
    const [port = '', proto = 'tcp', ...rest] = key.split('/');
    if (!portRangeOk(port) || !['tcp', 'udp', 'sctp'].includes(proto) || rest.length) throw invalidParameter(`invalid port specification: ${JSON.stringify(key)}`);
  };
  for (const key of Object.keys(req.ExposedPorts ?? {})) containerPort(key);
  for (const [key, list] of Object.entries(h.PortBindings ?? {})) {
    containerPort(key);
    for (const b of list ?? []) {
      if (b && b.HostPort && !portRangeOk(b.HostPort)) throw invalidParameter(`invalid port specification: ${JSON.stringify(b.HostPort)}`);
    }
  }
}

/** dockerd's limits on health check settings (durations in nanoseconds; 0 means the default). */
function checkHealthcheck(hc: ContainerCreateRequest['Healthcheck']): void {
  if (!hc) return;
  const MIN_NS = 1e6;
  for (const k of ['Interval', 'Timeout', 'StartPeriod'] as const) {
    const v = hc[k] ?? 0;
    if (v !== 0 && v < MIN_NS) throw invalidParameter(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if ((hc.Retries ?? 0) < 0) throw invalidParameter('Retries in Healthcheck cannot be negative');
}

function asList(v: string[] | string | null | undefined): string[] | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? [v] : v;
}

function mergeEnv(image: readonly string[], user: readonly string[]): string[] {
  const out = [...image];
  for (const e of user) {
    const k = e.split('=')[0];
    const i = out.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

function restartPolicy(h: HostConfig): { name: RestartPolicyName; maximumRetryCount: number } {
  const name = (h.RestartPolicy?.Name || 'no') as RestartPolicyName;
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw invalidParameter(`invalid restart policy '${name}'`);
  const max = h.RestartPolicy?.MaximumRetryCount ?? 0;
  if (max < 0) throw invalidParameter('maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') throw invalidParameter(`maximum retry count cannot be used with restart policy '${name}'`);
  return { name, maximumRetryCount: max };
}

function mounts(h: HostConfig): MountRequest[] {
  return (h.Mounts ?? []).map((m) => {
    if (!['bind', 'volume', 'tmpfs'].includes(m.Type)) throw invalidParameter(`mount type unknown: ${m.Type}`);
    if (!m.Target) throw invalidParameter('Target must not be empty');
    refuseUnhonouredMountOptions(m);
    return {
      type: m.Type as MountRequest['type'],
      source: m.Source ?? '',
      target: m.Target,
      readOnly: !!m.ReadOnly,
      ...(m.BindOptions?.Propagation ? { propagation: m.BindOptions.Propagation } : {}),
      ...(m.VolumeOptions?.NoCopy ? { noCopy: true } : {}),
      ...(m.VolumeOptions?.Labels ? { volumeLabels: m.VolumeOptions.Labels } : {}),
      ...(m.VolumeOptions?.DriverConfig?.Options ? { volumeDriverOptions: m.VolumeOptions.DriverConfig.Options } : {}),
      ...(m.TmpfsOptions?.SizeBytes ? { tmpfsSize: m.TmpfsOptions.SizeBytes } : {}),
      ...(m.TmpfsOptions?.Mode ? { tmpfsMode: m.TmpfsOptions.Mode } : {}),
    };
  });
}

/** The mount options berth honours; any other one set (not zero) is refused by name rather than ignored. */
const HONOURED_MOUNT_OPTIONS: Record<'BindOptions' | 'VolumeOptions' | 'TmpfsOptions', readonly string[]> = {
  BindOptions: ['Propagation'],
  VolumeOptions: ['NoCopy', 'Labels', 'DriverConfig'],
  TmpfsOptions: ['SizeBytes', 'Mode'],
};

function refuseUnhonouredMountOptions(m: NonNullable<HostConfig['Mounts']>[number]): void {
  const isSet = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0));
  for (const [group, honoured] of Object.entries(HONOURED_MOUNT_OPTIONS)) {
    const opts = (m as unknown as Record<string, Record<string, unknown> | null | undefined>)[group];
    for (const [k, v] of Object.entries(opts ?? {})) {
      if (isSet(v) && !honoured.includes(k)) throw invalidParameter(`mount ${m.Target}: ${group}.${k} is not supported by berth; leave it unset`);
    }
  }
  const driver = m.VolumeOptions?.DriverConfig?.Name;
  if (driver && driver !== 'local') throw invalidParameter(`mount ${m.Target}: volume driver ${JSON.stringify(driver)} is not supported by berth (only "local")`);
}

function binds(list: readonly string[]): ContainerSpec['binds'] {
  return list.map((b) => {
    const parts = b.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw invalidParameter(`invalid volume specification: '${b}'`);
    const opts = parts[2] ? parts[2].split(',') : [];
    for (const o of opts) {
      if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'consistent', 'cached', 'delegated'].includes(o)) {
        throw invalidParameter(`invalid mode: ${o}`);
      }
    }
    const type = parts[0].startsWith('/') ? 'bind' : 'volume';
    if (!parts[1].startsWith('/')) throw invalidParameter(`invalid volume specification: '${b}': invalid mount config for type "${type}": invalid mount path: '${parts[1]}' mount path must be absolute`);
    return { source: parts[0], target: parts[1], readOnly: opts.includes('ro'), options: opts.filter((o) => o !== 'ro' && o !== 'rw'), mode: parts[2] ?? '' };
  });
}

/** A bind's mode as given (`ro,z`), Docker's MountPoint.Mode; rebuilt for records made before it was kept. */
/**
 * Validates a create request and merges it with the image config into the
 * spec the engine keeps. Throws InvalidParameter with Docker's messages.
 */
export function specFromRequest(req: ContainerCreateRequest, imageId: string, image: ImageConfigFile): ContainerSpec {
  const ic = image.config ?? {};
  const h: HostConfig = req.HostConfig ?? {};
  let entrypoint = asList(req.Entrypoint);
  let cmd = asList(req.Cmd);
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) cmd = ic.Cmd ?? null;
    if (entrypoint === null) entrypoint = ic.Entrypoint ?? null;
  }
  // `--entrypoint ""` resets the image's entrypoint.
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  let hostname = req.Hostname ?? '';
  let domainname = req.Domainname ?? '';
  if (hostname.includes('.') && !domainname) {
    const i = hostname.indexOf('.');
    domainname = hostname.slice(i + 1);
    hostname = hostname.slice(0, i);
  }
  if (hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(hostname)) throw invalidParameter(`invalid hostname format: ${hostname}`);
  checkPorts(req, h);
  checkHealthcheck(req.Healthcheck);
  refuseUnsupportedHostConfig(h as Record<string, unknown>);
  const userBinds = binds(h.Binds ?? []);
  const userMounts = mounts(h);
  const makesVolumes =
    Object.keys(req.Volumes ?? {}).length > 0 || Object.keys(ic.Volumes ?? {}).length > 0 ||
    userBinds.some((b) => !b.source.startsWith('/')) || userMounts.some((m) => m.type === 'volume');
  const extras = hostConfigExtras(h, makesVolumes);
  const unsetLists = (['Dns', 'DnsOptions', 'DnsSearch'] as const).filter((k) => h[k] === undefined || h[k] === null);
  const rp = restartPolicy(h);
  if (h.AutoRemove && rp.name !== 'no') throw invalidParameter("can't create 'AutoRemove' container with restart policy");
  const memory = h.Memory ?? 0;
  if (memory < 0) throw invalidParameter('invalid memory limit: must not be negative');
  if (memory > 0 && memory < 6 * 1024 * 1024) throw invalidParameter('Minimum memory limit allowed is 6MB');
  let memorySwap = h.MemorySwap ?? 0;
  if (memorySwap > 0 && memory > 0 && memorySwap < memory) throw invalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memorySwap > 0 && memory === 0) throw invalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (memory > 0 && memorySwap === 0) memorySwap = memory * 2;
  const nanoCpus = h.NanoCpus ?? 0;
  if (nanoCpus > 0 && ((h.CpuQuota ?? 0) > 0 || (h.CpuPeriod ?? 0) > 0)) {
    throw invalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  const ncpu = os.cpus().length;
  if (nanoCpus < 0 || nanoCpus > ncpu * 1e9) throw invalidParameter(`Range of CPUs is from 0.01 to ${ncpu.toFixed(2)}, as there are only ${ncpu} CPUs available`);
  const shmSize = h.ShmSize ?? 0;
  if (shmSize < 0) throw invalidParameter('SHM size can not be less than 0');
  const oomScoreAdj = h.OomScoreAdj ?? 0;
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) throw invalidParameter(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  parseLogOptions(h.LogConfig?.Type ?? '', h.LogConfig?.Config ?? {}); // checked now (Docker: at start), so a bad value creates nothing
  const networkMode = !h.NetworkMode || h.NetworkMode === 'default' ? 'bridge' : h.NetworkMode;
  // Clients key the endpoint by the mode as they sent it: docker's CLI says "default" without --network.
  const endpoints = req.NetworkingConfig?.EndpointsConfig ?? {};
  const endpoint = endpoints[networkMode] ?? (networkMode === 'bridge' ? (endpoints[h.NetworkMode || 'default'] ?? endpoints.default) : undefined);
  const hc = req.Healthcheck ?? undefined;
  const imgHc = ic.Healthcheck;
  const test = hc?.Test ?? imgHc?.Test;
  const exposed = new Set([...Object.keys(ic.ExposedPorts ?? {}), ...Object.keys(req.ExposedPorts ?? {})]);
  for (const p of Object.keys(h.PortBindings ?? {})) exposed.add(p);
  return {
    image: imageId,
    imageRef: req.Image ?? '',
    hostname,
    domainname,
    user: req.User || ic.User || '',
    tty: !!req.Tty,
    openStdin: !!req.OpenStdin,
    stdinOnce: !!req.StdinOnce,
    attachStdin: !!req.AttachStdin,
    attachStdout: req.AttachStdout !== false,
    attachStderr: req.AttachStderr !== false,
    env: mergeEnv(ic.Env ?? [], req.Env ?? []),
    cmd,
    entrypoint,
    workingDir: req.WorkingDir || ic.WorkingDir || '',
    labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
    stopSignal: req.StopSignal || ic.StopSignal || 'SIGTERM',
    ...(req.StopTimeout !== undefined && req.StopTimeout !== null ? { stopTimeout: req.StopTimeout } : {}),
    exposedPorts: [...exposed],
    volumes: [...new Set([...Object.keys(ic.Volumes ?? {}), ...Object.keys(req.Volumes ?? {})])],
    ...(test && test.length && test[0] !== 'NONE'
      ? {
          healthcheck: {
            test,
            intervalNs: hc?.Interval || imgHc?.Interval || 30 * DURATION_NS,
            timeoutNs: hc?.Timeout || imgHc?.Timeout || 30 * DURATION_NS,
            startPeriodNs: hc?.StartPeriod || imgHc?.StartPeriod || 0,
            retries: hc?.Retries || imgHc?.Retries || 3,
          },
        }
      : {}),
    macAddress: req.MacAddress ?? endpoint?.MacAddress ?? '',
    binds: userBinds,
    mounts: userMounts,
    tmpfs: h.Tmpfs ?? {},
    volumesFrom: h.VolumesFrom ?? [],
    networkMode,
    portBindings: Object.fromEntries(
      Object.entries(h.PortBindings ?? {}).map(([k, v]) => [k, (v ?? []).map((b) => ({ hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' }))]),
    ),
    publishAllPorts: !!h.PublishAllPorts,
    networkAliases: endpoint?.Aliases ?? [],
    ipv4Address: endpoint?.IPAMConfig?.IPv4Address ?? '',
    networkEndpoints: networkEndpoints(networkMode, endpoint, endpoints, h.Links ?? []),
    dns: h.Dns ?? [],
    dnsOptions: h.DnsOptions ?? [],
    dnsSearch: h.DnsSearch ?? [],
    extraHosts: h.ExtraHosts ?? [],
    links: h.Links ?? [],
    restartPolicy: rp,
    autoRemove: !!h.AutoRemove,
    capAdd: h.CapAdd ?? [],
    capDrop: h.CapDrop ?? [],
    privileged: !!h.Privileged,
    readonlyRootfs: !!h.ReadonlyRootfs,
    securityOpt: h.SecurityOpt ?? [],
    init: !!h.Init,
    pidMode: h.PidMode ?? '',
    ipcMode: h.IpcMode || 'private',
    utsMode: h.UTSMode ?? '',
    cgroupnsMode: h.CgroupnsMode || 'private',
    shmSize: shmSize || 64 * 1024 * 1024,
    sysctls: h.Sysctls ?? {},
    oomScoreAdj,
    groupAdd: h.GroupAdd ?? [],
    logConfig: { type: logDriverName(h.LogConfig?.Type), config: h.LogConfig?.Config ?? {} },
    resources: {
      memory,
      memorySwap,
      memoryReservation: h.MemoryReservation ?? 0,
      ...(h.MemorySwappiness !== undefined && h.MemorySwappiness !== null ? { memorySwappiness: h.MemorySwappiness } : {}),
      oomKillDisable: !!h.OomKillDisable,
      nanoCpus,
      cpuShares: h.CpuShares ?? 0,
      cpuQuota: h.CpuQuota ?? 0,
      cpuPeriod: h.CpuPeriod ?? 0,
      cpusetCpus: h.CpusetCpus ?? '',
      cpusetMems: h.CpusetMems ?? '',
      pidsLimit: h.PidsLimit ?? 0,
      blkioWeight: h.BlkioWeight ?? 0,
      ulimits: (h.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
      devices: (h.Devices ?? []).map((d) => ({ pathOnHost: d.PathOnHost, pathInContainer: d.PathInContainer, permissions: d.CgroupPermissions })),
    },
    runtime: h.Runtime || 'runc',
    ...extras,
    ...(unsetLists.length ? { unsetLists } : {}),
    ...(h.ConsoleSize && h.ConsoleSize[0] && h.ConsoleSize[1] ? { consoleSize: [h.ConsoleSize[0], h.ConsoleSize[1]] as [number, number] } : {}),
    annotations: h.Annotations ?? {},
  };
}

/** Docker's Config block of inspect. */
export function wireConfig(rec: ContainerRecord): ContainerConfig {
  const s = rec.spec;
  return {
    Hostname: s.hostname,
    Domainname: s.domainname,
    User: s.user,
    AttachStdin: s.attachStdin,
    AttachStdout: s.attachStdout,
    AttachStderr: s.attachStderr,
    ...(s.exposedPorts.length ? { ExposedPorts: Object.fromEntries(s.exposedPorts.map((p) => [p, {}])) } : {}),
    Tty: s.tty,
    OpenStdin: s.openStdin,
    StdinOnce: s.stdinOnce,
    Env: s.env,
    Cmd: s.cmd,
    ...(s.healthcheck
      ? { Healthcheck: { Test: s.healthcheck.test, Interval: s.healthcheck.intervalNs, Timeout: s.healthcheck.timeoutNs, StartPeriod: s.healthcheck.startPeriodNs, Retries: s.healthcheck.retries } }
      : {}),
    Image: s.imageRef,
    Volumes: s.volumes.length ? Object.fromEntries(s.volumes.map((v) => [v, {}])) : null,
    WorkingDir: s.workingDir,
    Entrypoint: s.entrypoint,
    OnBuild: null,
    Labels: s.labels,
    // omitempty in Docker: shown only when the request set it
    ...(s.macAddress ? { MacAddress: s.macAddress } : {}),
    ...(s.stopSignal !== 'SIGTERM' ? { StopSignal: s.stopSignal } : {}),
    ...(s.stopTimeout !== undefined ? { StopTimeout: s.stopTimeout } : {}),
  };
}

export function wirePortBindings(s: ContainerSpec): PortMap {
  return Object.fromEntries(Object.entries(s.portBindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))]));
}

/** A list the request left unset shows as null; records made before that was kept show their list. */
function listOrNull(s: ContainerSpec, key: string, v: string[]): string[] | null {
  return s.unsetLists?.includes(key) && v.length === 0 ? null : v;
}

/** Docker's HostConfig block of inspect. */
export function wireHostConfig(rec: ContainerRecord): HostConfig {
  const s = rec.spec;
  const r = s.resources;
  return {
    Binds: s.binds.length ? s.binds.map((b) => `${b.source}:${b.target}${bindMode(b) ? `:${bindMode(b)}` : ''}`) : null,
    ContainerIDFile: '',
    LogConfig: { Type: logDriverName(s.logConfig.type), Config: s.logConfig.config },
    NetworkMode: s.networkMode,
    PortBindings: wirePortBindings(s),
    RestartPolicy: { Name: s.restartPolicy.name, MaximumRetryCount: s.restartPolicy.maximumRetryCount },
    AutoRemove: s.autoRemove,
    VolumeDriver: s.volumeDriver ?? '',
    VolumesFrom: s.volumesFrom.length ? s.volumesFrom : null,
    ConsoleSize: s.consoleSize ?? [0, 0],
    CapAdd: s.capAdd.length ? s.capAdd : null,
    CapDrop: s.capDrop.length ? s.capDrop : null,
    CgroupnsMode: s.cgroupnsMode,
    Dns: listOrNull(s, 'Dns', s.dns),
    DnsOptions: listOrNull(s, 'DnsOptions', s.dnsOptions),
    DnsSearch: listOrNull(s, 'DnsSearch', s.dnsSearch),
    ExtraHosts: s.extraHosts.length ? s.extraHosts : null,
    GroupAdd: s.groupAdd.length ? s.groupAdd : null,
    IpcMode: s.ipcMode,
    Cgroup: '',
    Links: s.links.length ? s.links : null,
    OomScoreAdj: s.oomScoreAdj,
    PidMode: s.pidMode,
    Privileged: s.privileged,
    PublishAllPorts: s.publishAllPorts,
    ReadonlyRootfs: s.readonlyRootfs,
    SecurityOpt: s.securityOpt.length ? s.securityOpt : null,
    ...(Object.keys(s.tmpfs).length ? { Tmpfs: s.tmpfs } : {}),
    UTSMode: s.utsMode,
    UsernsMode: s.usernsMode ?? '',
    ShmSize: s.shmSize,
    ...(Object.keys(s.sysctls).length ? { Sysctls: s.sysctls } : {}),
    Runtime: s.runtime,
    Isolation: s.isolation ?? '',
    CpuShares: r.cpuShares,
    Memory: r.memory,
    NanoCpus: r.nanoCpus,
    CgroupParent: s.cgroupParent ?? '',
    BlkioWeight: r.blkioWeight,
    CpuPeriod: r.cpuPeriod,
    CpuQuota: r.cpuQuota,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: r.cpusetCpus,
    CpusetMems: r.cpusetMems,
    Devices: r.devices.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions })),
    DeviceCgroupRules: s.deviceCgroupRules ?? null,
    DeviceRequests: null,
    KernelMemory: 0,
    KernelMemoryTCP: 0,
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MemoryReservation: r.memoryReservation,
    MemorySwap: r.memorySwap,
    MemorySwappiness: r.memorySwappiness ?? null,
    OomKillDisable: r.oomKillDisable,
    PidsLimit: r.pidsLimit || null,
    Ulimits: r.ulimits.length ? r.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) : null,
    Init: s.init || null,
    Mounts: s.mounts.length
      ? s.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}) }))
      : null,
    MaskedPaths: s.maskedPaths ?? null,
    ReadonlyPaths: s.readonlyPaths ?? null,
  };
}

export function wireState(rec: ContainerRecord): WireState {
  const st = rec.state;
  const running = isRunning({ state: st }) || st.status === 'restarting';
  return {
    Status: st.status,
    Running: running,
    Paused: st.status === 'paused',
    Restarting: st.status === 'restarting',
    OOMKilled: st.oomKilled,
    Dead: st.status === 'dead',
    Pid: st.pid,
    ExitCode: st.exitCode,
    Error: st.error,
    StartedAt: st.startedAt,
    FinishedAt: st.finishedAt,
    ...(st.health
      ? {
          Health: {
            Status: st.health.status,
            FailingStreak: st.health.failingStreak,
            Log: st.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
          },
        }
      : {}),
  };
}

/** `sh -c 'x y'` as Docker shows a command line in ps. */
export function commandLine(rec: ContainerRecord): string {
  return [rec.path, ...rec.args].join(" ");
}

export interface InspectExtras {
  mounts: MountPoint[];
  networkSettings: ContainerInspect['NetworkSettings'];
  graphDriver: ContainerInspect['GraphDriver'];
  paths: { resolvConf: string; hostname: string; hosts: string; log: string };
  execIds: string[];
  /** The client's API version: fields dockerd dropped at a version are left out from it on. */
  apiVersion?: string;
  sizeRw?: number;
  sizeRootFs?: number;
}

export function wireInspect(rec: ContainerRecord, x: InspectExtras): ContainerInspect {
  const v = x.apiVersion ?? API_VERSION;
  const hostConfig = wireHostConfig(rec);
  if (versionAtLeast(v, '1.42')) delete hostConfig.KernelMemory;
  if (versionAtLeast(v, '1.44')) delete hostConfig.KernelMemoryTCP;
  const config = wireConfig(rec);
  // 1.44 moved the MAC address to the endpoint settings.
  if (versionAtLeast(v, '1.44')) delete config.MacAddress;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: wireState(rec),
    Image: rec.spec.image,
    ResolvConfPath: x.paths.resolvConf,
    HostnamePath: x.paths.hostname,
    HostsPath: x.paths.hosts,
    LogPath: x.paths.log,
    Name: `/${rec.name}`,
    RestartCount: rec.state.restartCount,
    Driver: x.graphDriver.Name,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: x.execIds.length ? x.execIds : null,
    HostConfig: hostConfig,
    GraphDriver: x.graphDriver,
    ...(x.sizeRw !== undefined ? { SizeRw: x.sizeRw } : {}),
    ...(x.sizeRootFs !== undefined ? { SizeRootFs: x.sizeRootFs } : {}),
    Mounts: x.mounts,
    Config: config,
    NetworkSettings: x.networkSettings,
  };
}

export function wireSummary(rec: ContainerRecord, x: { ports: ContainerSummary['Ports']; mounts: MountPoint[]; networks: ContainerSummary['NetworkSettings']['Networks']; sizeRw?: number; sizeRootFs?: number }, now = Date.now()): ContainerSummary {
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.spec.imageRef || rec.spec.image,
    ImageID: rec.spec.image,
    Command: commandLine(rec),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: x.ports,
    ...(x.sizeRw !== undefined ? { SizeRw: x.sizeRw } : {}),
    ...(x.sizeRootFs !== undefined ? { SizeRootFs: x.sizeRootFs } : {}),
    Labels: rec.spec.labels,
    State: rec.state.status,
    Status: statusText(rec.state, now),
    HostConfig: { NetworkMode: rec.spec.networkMode },
    NetworkSettings: { Networks: x.networks },
    Mounts: x.mounts,
  };
}

/** GwPriority picks the network of the default route in Docker 28; berth's is always the network mode's. */
export const gwPriorityRefused = (network: string): string =>
  `EndpointsConfig.${network}.GwPriority is not supported by berth: the default route is always through the network mode's network (the first)`;

/**
 * Every network of NetworkingConfig, the network mode's first (API >= 1.44
 * clients send them all at create, and connect none later). On a user
 * network the legacy HostConfig.Links are links of its endpoint (names only
 * that container resolves); on the default bridge they stay /etc/hosts links.
 */
function networkEndpoints(mode: string, primary: EndpointSettings | undefined, all: Record<string, EndpointSettings>, legacyLinks: string[]): NetworkEndpointSpec[] {
  const spec = (network: string, e: EndpointSettings | undefined, links: string[]): NetworkEndpointSpec => ({
    network,
    aliases: e?.Aliases ?? [],
    ipv4Address: e?.IPAMConfig?.IPv4Address ?? '',
    ipv6Address: e?.IPAMConfig?.IPv6Address ?? '',
    linkLocalIps: e?.IPAMConfig?.LinkLocalIPs ?? [],
    links: [...new Set([...(e?.Links ?? []), ...links])],
    macAddress: e?.MacAddress ?? '',
    driverOpts: e?.DriverOpts ?? {},
  });
  for (const [k, e] of Object.entries(all)) if (e?.GwPriority) throw invalidParameter(gwPriorityRefused(k));
  const others = Object.entries(all).filter(([k, e]) => e !== primary && k !== mode && !(mode === 'bridge' && k === 'default'));
  return [spec(mode, primary, legacyLinks), ...others.map(([k, e]) => spec(k, e, []))];
}
