/** What parsing run/create options produces: the create request's types and the client-side settings. */
import type { ContainerCreateRequest, EndpointSettings, HostConfig, MountSpec, PortBinding, RestartPolicy } from '../../api/types/containers.js';

/** Fields of the API (1.47) that containers.ts does not type. */
export interface DeviceRequest {
  Driver: string;
  Count: number;
  DeviceIDs: string[] | null;
  Capabilities: string[][] | null;
  Options: Record<string, string> | null;
}
export interface WeightDevice {
  Path: string;
  Weight: number;
}
export interface ThrottleDevice {
  Path: string;
  Rate: number;
}
export interface RunHostConfig extends HostConfig {
  BlkioWeightDevice?: WeightDevice[];
  BlkioDeviceReadBps?: ThrottleDevice[];
  BlkioDeviceWriteBps?: ThrottleDevice[];
  BlkioDeviceReadIOps?: ThrottleDevice[];
  BlkioDeviceWriteIOps?: ThrottleDevice[];
  DeviceRequests?: DeviceRequest[];
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}
/** A --mount; Type may also be "image" (API 1.48), which MountSpec does not list. */
export type RunMount = MountSpec & { ImageOptions?: { Subpath?: string } };
export type RunEndpointSettings = EndpointSettings & { GwPriority?: number };
export type RunCreateRequest = Omit<ContainerCreateRequest, 'HostConfig' | 'NetworkingConfig'> & {
  HostConfig: Omit<RunHostConfig, 'Mounts'> & { Mounts?: RunMount[] };
  NetworkingConfig?: { EndpointsConfig: Record<string, RunEndpointSettings> };
};

export type AttachStream = 'stdin' | 'stdout' | 'stderr';

/** The body of POST /containers/create without HostConfig and NetworkingConfig: docker's container.Config. */
export type RunConfig = Omit<RunCreateRequest, 'HostConfig' | 'NetworkingConfig'>;
export type RunHostConfigBody = RunCreateRequest['HostConfig'];
export type RunNetworkingConfig = NonNullable<RunCreateRequest['NetworkingConfig']>;

/** HostConfig's Resources, named as the API names them (docker's flags map onto them one to one). */
export type RunResources = Pick<
  RunHostConfig,
  | 'CpuShares' | 'Memory' | 'NanoCpus' | 'CgroupParent' | 'BlkioWeight' | 'BlkioWeightDevice' | 'BlkioDeviceReadBps' | 'BlkioDeviceWriteBps'
  | 'BlkioDeviceReadIOps' | 'BlkioDeviceWriteIOps' | 'CpuPeriod' | 'CpuQuota' | 'CpuRealtimePeriod' | 'CpuRealtimeRuntime' | 'CpusetCpus'
  | 'CpusetMems' | 'Devices' | 'DeviceCgroupRules' | 'DeviceRequests' | 'MemoryReservation' | 'MemorySwap' | 'MemorySwappiness'
  | 'OomKillDisable' | 'PidsLimit' | 'Ulimits' | 'CpuCount' | 'CpuPercent' | 'IOMaximumIOps' | 'IOMaximumBandwidth'
>;

/** The --health-* flags and --no-healthcheck (durations in nanoseconds). */
export interface HealthFlags {
  cmd: string;
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
  disabled: boolean;
}

/**
 * run/create's flags and arguments, each value read and checked as docker's
 * flag types and parse() check it: what buildConfig, buildHostConfig and
 * buildNetworkingConfig turn into the create request.
 */
export interface RunOptions {
  image: string;
  cmd?: string[];
  // container.Config
  hostname?: string;
  domainname?: string;
  user?: string;
  /** -a streams as given (none means stdout and stderr). */
  attach: AttachStream[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  exposedPorts: Record<string, object>;
  /** --env-file lines, then -e values (one per name). */
  env: string[];
  labels: Record<string, string>;
  health: HealthFlags;
  /** -v without a source: anonymous volumes. */
  volumes: Record<string, object>;
  workdir?: string;
  entrypoint?: string;
  stopSignal?: string;
  stopTimeout?: number;
  // HostConfig
  binds: string[];
  cidfile?: string;
  logDriver: string;
  logOpts: Record<string, string>;
  portBindings: Record<string, PortBinding[]>;
  restart: RestartPolicy;
  autoRemove: boolean;
  volumeDriver?: string;
  volumesFrom: string[];
  annotations: Record<string, string>;
  capAdd: string[];
  capDrop: string[];
  cgroupnsMode: string;
  dns: string[];
  dnsOptions: string[];
  dnsSearch: string[];
  extraHosts: string[];
  groupAdd: string[];
  ipc?: string;
  links: string[];
  oomScoreAdj: number;
  pidMode: string;
  privileged: boolean;
  publishAll: boolean;
  readOnly: boolean;
  /** --security-opt values, systempaths=unconfined taken out (see systemPathsUnconfined). */
  securityOpts: string[];
  systemPathsUnconfined: boolean;
  storageOpts: Record<string, string>;
  tmpfs: Record<string, string>;
  utsMode: string;
  usernsMode: string;
  shmSize: number;
  sysctls: Record<string, string>;
  runtime?: string;
  isolation?: string;
  resources: RunResources;
  mounts: RunMount[];
  /** --init as given; absent leaves the daemon's default. */
  init?: boolean;
  // NetworkingConfig
  networks: NetworkAttachment[];
  /** --network-alias, --link, --ip, --ip6, --mac-address, --link-local-ip: they apply to the first network. */
  legacyNet: LegacyNetOpts;
  // The client's own settings
  pull: ParsedRun['pull'];
  name?: string;
  platform?: string;
  sigProxy: boolean;
  quiet: boolean;
  useApiSocket: boolean;
  detachKeys?: string;
}

export interface ParsedRun {
  name?: string;
  /** Body for POST /containers/create (assignable to ContainerCreateRequest). */
  request: RunCreateRequest;
  platform?: string;
  /** `--pull ""` is accepted by docker and behaves as "never". */
  pull: 'missing' | 'always' | 'never';
  detach: boolean;
  /** Streams to attach to (empty with -d). */
  attach: AttachStream[];
  sigProxy: boolean;
  detachKeys?: string;
  cidfile?: string;
  quiet: boolean;
  /** --use-api-socket (mounting the socket is left to the command). */
  useApiSocket: boolean;
  /** Printed by docker as "WARNING: <w>" after the create response's own warnings. */
  warnings: string[];
}

/** One --network value (opts.NetworkOpt). */
export interface NetworkAttachment {
  Target: string;
  Aliases: string[];
  DriverOpts?: Record<string, string>;
  Links: string[];
  IPv4Address: string;
  IPv6Address: string;
  LinkLocalIPs: string[];
  MacAddress: string;
  GwPriority: number;
}

/** The legacy per-container network flags (--ip, --network-alias, --link…), merged into one attachment. */
export interface LegacyNetOpts {
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  mac: string;
  linkLocalIPs: string[];
}
