/**
 * A container as the engine keeps it: what the user asked for (ContainerSpec,
 * already merged with the image's defaults and validated), what the engine
 * decided (paths, snapshot key), and its state. Written to
 * `<root>/containers/<id>/container.json`; the API layer converts to and from
 * Docker's wire shapes.
 */

/** One network of a container at create: the network as named and what was asked for on it. */
export interface NetworkEndpointSpec {
  network: string;
  aliases: string[];
  ipv4Address: string;
  ipv6Address: string;
  linkLocalIps: string[];
  links: string[];
  macAddress: string;
  driverOpts: Record<string, string>;
}

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface HealthSpec {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  retries: number;
}

export interface BindSpec {
  /** Host path or volume name as given. */
  source: string;
  target: string;
  readOnly: boolean;
  /** Remaining mode options (z, Z, nocopy, propagation) as given. */
  options: string[];
  /** The whole mode as given (`ro,z`; "" for none), Docker's MountPoint.Mode; absent in records made before it was kept. */
  mode?: string;
}

export interface MountRequest {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
  propagation?: string;
  noCopy?: boolean;
  volumeLabels?: Record<string, string>;
  volumeDriverOptions?: Record<string, string>;
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export interface PortBindingSpec {
  hostIp: string;
  hostPort: string;
}

export interface ResourceSpec {
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  memorySwappiness?: number;
  oomKillDisable: boolean;
  nanoCpus: number;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpusetCpus: string;
  cpusetMems: string;
  pidsLimit: number;
  blkioWeight: number;
  ulimits: { name: string; soft: number; hard: number }[];
  devices: { pathOnHost: string; pathInContainer: string; permissions: string }[];
}

export interface ContainerSpec {
  /** Image ID (config digest) and the reference the user gave. */
  image: string;
  imageRef: string;
  hostname: string;
  domainname: string;
  user: string;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  workingDir: string;
  labels: Record<string, string>;
  stopSignal: string;
  stopTimeout?: number;
  exposedPorts: string[];
  volumes: string[];
  healthcheck?: HealthSpec;
  macAddress: string;

  binds: BindSpec[];
  mounts: MountRequest[];
  tmpfs: Record<string, string>;
  volumesFrom: string[];
  networkMode: string;
  portBindings: Record<string, PortBindingSpec[]>;
  publishAllPorts: boolean;
  networkAliases: string[];
  ipv4Address: string;
  /** Every network of NetworkingConfig at create, the network mode's first (absent in older records). */
  networkEndpoints?: NetworkEndpointSpec[];
  dns: string[];
  dnsOptions: string[];
  dnsSearch: string[];
  extraHosts: string[];
  links: string[];
  restartPolicy: { name: RestartPolicyName; maximumRetryCount: number };
  autoRemove: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  readonlyRootfs: boolean;
  securityOpt: string[];
  /** A custom seccomp profile sent inline (`seccomp=<json>`), parsed. */
  init: boolean;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  cgroupnsMode: string;
  shmSize: number;
  sysctls: Record<string, string>;
  oomScoreAdj: number;
  groupAdd: string[];
  logConfig: { type: string; config: Record<string, string> };
  resources: ResourceSpec;
  runtime: string;
  /** HostConfig.Isolation as given ('' or 'default': the only kind Linux has). */
  isolation?: string;
  /** The driver for volumes this container creates (only 'local' exists). */
  volumeDriver?: string;
  /** `--device-cgroup-rule`s, as given ("c 7:128 rwm"). */
  deviceCgroupRules?: string[];
  /** Overrides of the masked and read-only /proc and /sys paths (an empty list: none). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** The cgroup the container's own cgroup is made under (default /berth). */
  cgroupParent?: string;
  /** Of Dns, DnsOptions, DnsSearch: those the request left unset (inspect shows them null, as Docker; [] when sent empty). */
  unsetLists?: string[];
  /** '' or 'host': berth has no user-namespace remapping, so containers share the host's. */
  usernsMode?: string;
  consoleSize?: [number, number];
  annotations: Record<string, string>;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  /** The conmon process that holds the container (0 when none). */
  monitorPid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  /** Stopped by the user: restart policies leave it alone (unless-stopped after a daemon restart too). */
  manuallyStopped: boolean;
  /** Health check results, for containers with a health check. */
  health?: HealthState;
  /**
   * Paused only for the length of an operation (commit): written before the
   * freeze, so that a daemon killed meanwhile thaws the container at its next
   * start instead of leaving it frozen.
   */
  transientPause?: boolean;
  /** With status `removing`: whether the removal takes the anonymous volumes too (rm -v). */
  removeVolumes?: boolean;
}

export interface HealthResult {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: HealthResult[];
}

/** A mount resolved at create time: what the container gets at every start. */
export interface MountPointRecord {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name (volume). */
  source: string;
  destination: string;
  rw: boolean;
  /** Mode options as given (z, Z, nocopy…), for inspect. */
  mode: string;
  propagation: string;
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  spec: ContainerSpec;
  /** The command actually run: entrypoint + cmd resolved. */
  path: string;
  args: string[];
  state: ContainerState;
  /** Snapshot key of the container's writable layer. */
  snapshotKey: string;
  /** Anonymous volumes created for this container (removed by rm -v). */
  anonymousVolumes: string[];
  mountPoints: MountPointRecord[];
  /**
   * Set while create is still making the container (network, volumes, copy-up):
   * a record found with it at daemon start was interrupted by a crash and is discarded.
   */
  incomplete?: boolean;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A bind's mode string as Docker reports it ("ro,z", or what -v gave). */
export function bindMode(b: BindSpec): string {
  return b.mode ?? [...(b.readOnly ? ['ro'] : []), ...b.options].join(',');
}

/** Whether the container has a live process: running, or paused (frozen, still there). */
export function isRunning(rec: { state: { status: ContainerStatus } }): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}
