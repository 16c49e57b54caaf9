/**
 * Wire types of the container endpoints (Docker's JSON field names, API 1.47).
 * Only what berth reads or writes is typed; unknown fields clients send are
 * accepted and ignored, as dockerd does.
 */
import type { HealthConfig } from './common.js';

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | string | null;
  NetworkDisabled?: boolean | null;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export type PortMap = Record<string, PortBinding[] | null>;

export interface MountSpec {
  Target: string;
  Source?: string;
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] } | null;
}

export interface Resources {
  CpuShares?: number;
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
}

export interface HostConfig extends Resources {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  NetworkMode?: string;
  PortBindings?: PortMap | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: MountSpec[] | null;
  ConsoleSize?: [number, number] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  /** Fields berth shows at their zero value (it refuses to set them; see daemon/unsupported-fields). */
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  BlkioWeightDevice?: unknown[] | null;
  BlkioDeviceReadBps?: unknown[] | null;
  BlkioDeviceWriteBps?: unknown[] | null;
  BlkioDeviceReadIOps?: unknown[] | null;
  BlkioDeviceWriteIOps?: unknown[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface EndpointIPAMConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[];
}

export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DriverOpts?: Record<string, string> | null;
  DNSNames?: string[] | null;
  /** API 1.48: which network gives the default route (refused unless 0). */
  GwPriority?: number;
}

export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings> | null;
}

/** The body of POST /containers/create. */
export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: NetworkingConfig;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

export interface MountPoint {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Port[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string; Annotations?: Record<string, string> };
  NetworkSettings: { Networks: Record<string, EndpointSettings> };
  Mounts: MountPoint[];
}

export interface HealthLog {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: HealthLog[] };
}

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  HairpinMode?: boolean;
  LinkLocalIPv6Address?: string;
  LinkLocalIPv6PrefixLen?: number;
  Ports: PortMap;
  SandboxKey: string;
  SecondaryIPAddresses?: null;
  SecondaryIPv6Addresses?: null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: NetworkSettings;
}

export interface ContainerWaitResponse {
  StatusCode: number;
  Error: { Message: string } | null;
}

export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}

export interface FilesystemChange {
  Path: string;
  /** 0 modified, 1 added, 2 deleted */
  Kind: 0 | 1 | 2;
}

export interface ContainerUpdateResponse {
  Warnings: string[];
}

export interface ContainerPruneResponse {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** GET /containers/{id}/stats (one sample), the fields clients read. */
export interface StatsResponse {
  read: string;
  preread: string;
  name: string;
  id: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: { io_service_bytes_recursive: { major: number; minor: number; op: string; value: number }[] | null };
  num_procs: number;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}
