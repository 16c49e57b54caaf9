/**
 * The OCI runtime config (config.json) builder: one pure function from a
 * container's settings to a runtime-spec document that gives the container
 * Docker's defaults (moby's oci.DefaultLinuxSpec + daemon/oci_linux.go
 * createSpec). No filesystem access, no processes: the caller has already
 * resolved users, stat'ed devices and set up the rootfs; the daemon writes the
 * result with `specToJson`.
 *
 * Errors: invalid input (unknown capability, ulimit or tmpfs option, conflicting
 * resources, a relative mount destination, duplicate mount points, a malformed
 * seccomp profile) throws EngineError InvalidParameter with Docker's message
 * where Docker has one.
 */
import { posix } from 'node:path';

import { invalidParameter } from '../../errdefs/errdefs.js';
import { ALL_CAPABILITIES, tweakCapabilities } from './caps.js';
import type {
  LinuxDevice,
  LinuxDeviceCgroup,
  LinuxNamespace,
  LinuxResources,
  LinuxSeccomp,
  Mount,
  POSIXRlimit,
  Process,
  Spec,
} from './oci-types.js';
import { convertSeccompProfile, defaultProfile, goArch } from './seccomp.js';
import type { SeccompContext } from './seccomp.js';

export type NamespaceMode = { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecDevice {
  pathOnHost: string;
  pathInContainer: string;
  /** cgroup permissions, a subset of "rwm" */
  permissions: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface SpecResources {
  memory?: number;
  /** -1: unlimited; unset/0 with memory set: 2 × memory (Docker's default) */
  memorySwap?: number;
  memoryReservation?: number;
  /** 0–100; -1 or unset: the kernel's default */
  memorySwappiness?: number;
  kernelMemory?: never;
  oomKillDisable?: boolean;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** unset: no pids cgroup limit; <= 0: explicitly unlimited (-1) */
  pidsLimit?: number;
  blkioWeight?: number;
  /** --cpus × 1e9: quota = nanoCpus / 1e9 × period, period 100000 µs */
  nanoCpus?: number;
}

export interface SpecInput {
  /** absolute path of the mounted root filesystem */
  rootfs: string;
  readonlyRootfs: boolean;
  hostname: string;
  domainname?: string;
  process: {
    args: string[];
    env: string[];
    cwd: string;
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids: number[] };
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
    /** docker ulimit names (nofile, nproc, core…); -1 means unlimited */
    rlimits: { name: string; soft: number; hard: number }[];
    consoleSize?: { height: number; width: number };
    apparmorProfile?: string;
  };
  /** docker style: "NET_ADMIN", "CAP_NET_ADMIN", "ALL", case-insensitive */
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  namespaces: {
    network: NamespaceMode;
    pid: NamespaceMode;
    /** host: the host's /dev/shm is bound in unless `mounts` has /dev/shm; path: pass the other container's shm as a /dev/shm mount */
    ipc: NamespaceMode;
    uts: { mode: 'new' } | { mode: 'host' };
    cgroup: { mode: 'new' } | { mode: 'host' };
  };
  /** extra mounts (binds, volumes, /etc/hosts…), after the defaults; one at a default destination replaces the default */
  mounts: SpecMount[];
  /** --tmpfs: path -> options ("rw,noexec,size=64m" or "") */
  tmpfs: Record<string, string>;
  /** bytes; 0 means the default 64 MiB */
  shmSize: number;
  /** e.g. "/berth/<id>" (cgroupfs driver) */
  cgroupsPath: string;
  resources: SpecResources;
  /** --device, already stat'ed by the caller */
  devices: SpecDevice[];
  /** --device-cgroup-rule: extra device access rules (-1: any major/minor); none apply with --privileged, which allows all */
  deviceRules?: { type: 'a' | 'b' | 'c'; major: number; minor: number; access: string }[];
  seccomp: { mode: 'default' } | { mode: 'unconfined' } | { mode: 'custom'; profile: unknown };
  sysctls: Record<string, string>;
  /** overrides; default Docker's lists (none when privileged) */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** --init: mount this binary at /sbin/docker-init (ro) and run ["/sbin/docker-init", "--", ...args] (only with a new pid namespace, as Docker) */
  init?: { hostPath: string };
  annotations?: Record<string, string>;
  /** Go arch for seccomp conditions; default from process.arch (x64 -> amd64) */
  arch?: string;
  /** host kernel release for seccomp minKernel rules; absent or unparsable counts as new enough */
  kernelVersion?: string;
  /** the daemon's own capabilities, used for --privileged and --cap-add ALL; default every kernel capability */
  hostCapabilities?: string[];
}

/** runc 1.1.x implements runtime-spec 1.0.2. */
export const OCI_VERSION = '1.0.2';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** moby's default masked paths, less the per-CPU thermal_throttle files it adds after stat'ing the host. */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
]);

export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/** Docker's default mounts (moby 24+ options), /dev/shm sized to `shmSize` bytes. */
export function defaultMounts(shmSize: number = DEFAULT_SHM_SIZE): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
}

/**
 * The devices every container gets (runc creates the same set when
 * linux.devices omits them; listing them keeps the spec runtime-independent).
 */
export const DEFAULT_DEVICES: readonly LinuxDevice[] = Object.freeze(
  (
    [
      ['/dev/null', 1, 3],
      ['/dev/zero', 1, 5],
      ['/dev/full', 1, 7],
      ['/dev/random', 1, 8],
      ['/dev/urandom', 1, 9],
      ['/dev/tty', 5, 0],
    ] as const
  ).map(([path, major, minor]) => Object.freeze({ path, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0 })),
);

/**
 * The device cgroup rules of an unprivileged container: deny everything, then
 * moby's allow list (null, zero, urandom, random, tty, console; fuse denied),
 * then the rules runc 1.1 appends on its own (mknod of any device, full, pts,
 * ptmx, tun), listed so that the spec means the same under any runtime.
 */
export function defaultDeviceRules(): LinuxDeviceCgroup[] {
  const c = (major: number, minor: number, allow = true, access = 'rwm'): LinuxDeviceCgroup => ({
    allow,
    type: 'c',
    major,
    minor,
    access,
  });
  return [
    { allow: false, access: 'rwm' },
    c(1, 5),
    c(1, 3),
    c(1, 9),
    c(1, 8),
    c(5, 0),
    c(5, 1),
    c(10, 229, false),
    // runc's implicit AllowedDevices
    c(-1, -1, true, 'm'),
    { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
    c(1, 7),
    c(136, -1),
    c(5, 2),
    c(10, 200),
  ];
}

// ---- tmpfs options (moby/sys/mount MergeTmpfsOptions) ------------------------------------------

/** mount(8) flag options and the flag each sets or clears; the key groups the ones that collide. */
const MOUNT_FLAGS: Record<string, string> = {
  ro: 'rdonly',
  rw: 'rdonly',
  suid: 'nosuid',
  nosuid: 'nosuid',
  dev: 'nodev',
  nodev: 'nodev',
  exec: 'noexec',
  noexec: 'noexec',
  sync: 'sync',
  async: 'sync',
  dirsync: 'dirsync',
  remount: 'remount',
  mand: 'mand',
  nomand: 'mand',
  atime: 'noatime',
  noatime: 'noatime',
  diratime: 'nodiratime',
  nodiratime: 'nodiratime',
  relatime: 'relatime',
  norelatime: 'relatime',
  strictatime: 'strictatime',
  nostrictatime: 'strictatime',
  // there is only one propagation mode
  bind: 'propagation',
  rbind: 'propagation',
  unbindable: 'propagation',
  runbindable: 'propagation',
  private: 'propagation',
  rprivate: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
};

const TMPFS_DATA_OPTIONS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * Removes duplicates from tmpfs options, the last one of each kind winning
 * ("noexec" then "exec" keeps "exec"; two size= keep the last), order kept.
 * Throws InvalidParameter `invalid tmpfs option "x"` for anything else.
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flagSeen = new Set<string>();
  const dataSeen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const opt = options[i] as string;
    if (opt === 'defaults') continue;
    const flag = MOUNT_FLAGS[opt];
    if (flag !== undefined) {
      if (!flagSeen.has(flag)) {
        out.unshift(opt);
        flagSeen.add(flag);
      }
      continue;
    }
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA_OPTIONS.has(key)) throw invalidParameter(`invalid tmpfs option "${key}"`);
    if (!dataSeen.has(key)) {
      out.unshift(opt);
      dataSeen.add(key);
    }
  }
  return out;
}

/** A --tmpfs entry as a mount: Docker's defaults noexec,nosuid,nodev,rprivate, then the user's options. */
export function tmpfsMount(destination: string, data: string): Mount {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate'];
  if (data !== '') options.push(...data.split(','));
  return { destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(options) };
}

// ---- rlimits ----------------------------------------------------------------------------------

/** The ulimit names Docker accepts (go-units) plus "as", which runc also knows. */
const RLIMIT_NAMES = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

/** RLIM_INFINITY as the uint64 runc reads: Docker converts -1 with uint64(-1). */
const RLIM_INFINITY = 18446744073709551615n;

function rlimitValue(v: number): number | bigint {
  if (!Number.isInteger(v)) throw invalidParameter(`invalid ulimit value: ${v}`);
  return v < 0 ? RLIM_INFINITY : v;
}

/** "nofile" → { type: "RLIMIT_NOFILE", … }; throws InvalidParameter for unknown names or soft > hard. */
export function toRlimit(r: { name: string; soft: number; hard: number }): POSIXRlimit {
  const name = r.name.toLowerCase();
  if (!RLIMIT_NAMES.has(name)) throw invalidParameter(`invalid ulimit type: ${r.name}`);
  const soft = rlimitValue(r.soft);
  const hard = rlimitValue(r.hard);
  if (BigInt(soft) > BigInt(hard)) {
    throw invalidParameter(`ulimit soft limit must be less than or equal to hard limit: ${r.soft} > ${r.hard}`);
  }
  return { type: `RLIMIT_${name.toUpperCase()}`, hard, soft };
}

// ---- resources -------------------------------------------------------------------------------

/** The cgroup resources (moby's getMemoryResources / getCPUResources / getPidsLimit). */
export function buildResources(r: SpecResources): Omit<LinuxResources, 'devices'> {
  const out: Omit<LinuxResources, 'devices'> = {};

  const memory = r.memory ?? 0;
  let swap = r.memorySwap ?? 0;
  if (memory > 0 && swap === 0) swap = memory * 2; // Docker's default: swap = 2 × memory
  if (memory === 0 && swap > 0) {
    throw invalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  const swappiness = r.memorySwappiness === -1 ? undefined : r.memorySwappiness;
  if (swappiness !== undefined && (swappiness < 0 || swappiness > 100)) {
    throw invalidParameter(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  if ((r.memoryReservation ?? 0) > 0) mem.reservation = r.memoryReservation as number;
  if (swap > 0) mem.swap = swap;
  if (swappiness !== undefined) mem.swappiness = swappiness;
  if (r.oomKillDisable !== undefined) mem.disableOOMKiller = r.oomKillDisable;
  if (Object.keys(mem).length > 0) out.memory = mem;

  const nano = r.nanoCpus ?? 0;
  if (nano > 0 && (r.cpuPeriod ?? 0) > 0) {
    throw invalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (nano > 0 && (r.cpuQuota ?? 0) > 0) {
    throw invalidParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  }
  const shares = r.cpuShares ?? 0;
  if (shares < 0) throw invalidParameter(`invalid CPU shares (${shares}): value must be a positive integer`);
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (shares !== 0) cpu.shares = shares;
  if (nano > 0) {
    const period = 100_000; // 100ms in µs (sched-bwc)
    cpu.period = period;
    cpu.quota = Math.trunc(nano / (1e9 / period)); // nano × period / 1e9 without leaving 2^53
  }
  if ((r.cpuPeriod ?? 0) !== 0) cpu.period = r.cpuPeriod as number;
  if ((r.cpuQuota ?? 0) !== 0) cpu.quota = r.cpuQuota as number;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit <= 0 ? -1 : r.pidsLimit };
  if ((r.blkioWeight ?? 0) !== 0) out.blockIO = { weight: r.blkioWeight as number };
  return out;
}

// ---- mounts ----------------------------------------------------------------------------------

function cleanDestination(dest: string): string {
  if (!dest.startsWith('/')) throw invalidParameter(`invalid mount destination: "${dest}": it must be an absolute path`);
  return posix.normalize(dest).replace(/(.)\/+$/, '$1');
}

function depth(dest: string): number {
  return dest === '/' ? 0 : dest.split('/').length - 1;
}

function withoutRo(m: Mount): Mount {
  return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') };
}

function buildMounts(input: SpecInput, initMount: Mount | undefined): Mount[] {
  // The user's mounts: binds/volumes, --tmpfs, and the host's /dev/shm for --ipc=host.
  const user: Mount[] = [];
  const seen = new Set<string>();
  const addUser = (m: Mount): void => {
    const destination = cleanDestination(m.destination);
    if (seen.has(destination)) throw invalidParameter(`Duplicate mount point: ${destination}`);
    seen.add(destination);
    user.push({ ...m, destination, options: [...(m.options ?? [])] });
  };
  for (const m of input.mounts) addUser(m);
  for (const [dest, data] of Object.entries(input.tmpfs)) addUser(tmpfsMount(dest, data));
  if (input.namespaces.ipc.mode === 'host' && !seen.has('/dev/shm')) {
    addUser({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  }
  // parents before children (stable: equal depths keep the caller's order)
  user.sort((a, b) => depth(a.destination) - depth(b.destination));

  const userDev = seen.has('/dev');
  const defaults = defaultMounts(input.shmSize > 0 ? input.shmSize : DEFAULT_SHM_SIZE).filter(
    (m) => !seen.has(m.destination) && !(userDev && m.destination.startsWith('/dev/')),
  );
  if (initMount && !seen.has(initMount.destination)) defaults.push(initMount);

  let mounts = defaults;
  if (input.readonlyRootfs) {
    const keepRw = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);
    mounts = mounts.map((m) =>
      keepRw.has(m.destination) || (m.options ?? []).includes('ro') ? m : { ...m, options: [...(m.options ?? []), 'ro'] },
    );
  }
  if (input.privileged) {
    // /sys and the cgroup hierarchy writable, as Docker does for --privileged
    mounts = mounts.map((m) => (m.destination === '/sys' || m.type === 'cgroup' ? withoutRo(m) : m));
  }
  return [...mounts, ...user];
}

// ---- namespaces ------------------------------------------------------------------------------

function buildNamespaces(ns: SpecInput['namespaces']): LinuxNamespace[] {
  const out: LinuxNamespace[] = [{ type: 'mount' }];
  const add = (type: LinuxNamespace['type'], m: NamespaceMode): void => {
    if (m.mode === 'new') out.push({ type });
    else if (m.mode === 'path') {
      if (!m.path.startsWith('/')) throw invalidParameter(`invalid ${type} namespace path: "${m.path}"`);
      out.push({ type, path: m.path });
    }
  };
  add('network', ns.network);
  add('uts', ns.uts);
  add('pid', ns.pid);
  add('ipc', ns.ipc);
  add('cgroup', ns.cgroup);
  return out;
}

// ---- the builder -----------------------------------------------------------------------------

/**
 * Builds the OCI runtime config for one container. Pure and deterministic for
 * a given input (process.arch is read only when input.arch is unset).
 */
export function buildSpec(input: SpecInput): Spec {
  if (!input.rootfs.startsWith('/')) throw invalidParameter(`rootfs must be an absolute path: "${input.rootfs}"`);
  const available = input.hostCapabilities ?? ALL_CAPABILITIES;
  const caps = tweakCapabilities(input.capAdd, input.capDrop, input.privileged, available);

  // --init only makes sense as pid 1 of a new pid namespace (Docker skips it otherwise)
  const useInit = input.init !== undefined && input.namespaces.pid.mode === 'new';
  const args = useInit ? [INIT_PATH_IN_CONTAINER, '--', ...input.process.args] : [...input.process.args];
  const initMount: Mount | undefined =
    useInit && input.init
      ? { destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.init.hostPath, options: ['bind', 'ro'] }
      : undefined;

  const p = input.process;
  const { uid, gid } = p.user;
  const process: Process = {
    user: { uid, gid, additionalGids: [...new Set([gid, ...p.user.additionalGids])] },
    args,
    env: [...p.env],
    cwd: p.cwd === '' ? '/' : p.cwd,
    capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
  };
  if (p.terminal) {
    process.terminal = true;
    if (p.consoleSize && (p.consoleSize.height > 0 || p.consoleSize.width > 0)) {
      process.consoleSize = { height: p.consoleSize.height, width: p.consoleSize.width };
    }
  }
  if (p.rlimits.length > 0) process.rlimits = p.rlimits.map(toRlimit);
  if (p.noNewPrivileges) process.noNewPrivileges = true;
  if (p.apparmorProfile) process.apparmorProfile = p.apparmorProfile;
  if (p.oomScoreAdj !== undefined) process.oomScoreAdj = p.oomScoreAdj;

  // sysctls: Docker's safe defaults for a private network namespace, the NIS
  // domain name (needs a private UTS namespace), then the user's (which win).
  const sysctl: Record<string, string> = {};
  if (input.namespaces.network.mode === 'new') {
    sysctl['net.ipv4.ping_group_range'] = '0 2147483647'; // ICMP echo sockets without CAP_NET_RAW
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0'; // ports < 1024 without CAP_NET_BIND_SERVICE
  }
  if (input.domainname && input.namespaces.uts.mode === 'new') sysctl['kernel.domainname'] = input.domainname;
  Object.assign(sysctl, input.sysctls);

  // devices: the defaults plus --device (a --device at a default path replaces it)
  const devices = new Map<string, LinuxDevice>(DEFAULT_DEVICES.map((d) => [d.path, { ...d }]));
  const deviceRules = input.privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules();
  for (const d of input.devices) {
    const path = cleanDestination(d.pathInContainer);
    const dev: LinuxDevice = { path, type: d.type, major: d.major, minor: d.minor };
    if (d.fileMode !== undefined) dev.fileMode = d.fileMode & 0o7777;
    if (d.uid !== undefined) dev.uid = d.uid;
    if (d.gid !== undefined) dev.gid = d.gid;
    devices.delete(path);
    devices.set(path, dev);
    if (!input.privileged) {
      if (!/^[rwm]{1,3}$/.test(d.permissions)) {
        throw invalidParameter(`invalid device mode: ${d.permissions}`);
      }
      deviceRules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.permissions });
    }
  }

  if (!input.privileged) for (const r of input.deviceRules ?? []) deviceRules.push({ allow: true, type: r.type, major: r.major, minor: r.minor, access: r.access });

  // seccomp: none when unconfined, none for --privileged unless a custom profile was given (as Docker)
  let seccomp: LinuxSeccomp | undefined;
  if (input.seccomp.mode !== 'unconfined' && !(input.privileged && input.seccomp.mode === 'default')) {
    const profile = input.seccomp.mode === 'custom' ? input.seccomp.profile : defaultProfile();
    const ctx: SeccompContext = {
      arch: input.arch ?? goArch(globalThis.process.arch),
      capabilities: caps,
      kernelVersion: input.kernelVersion,
    };
    seccomp = convertSeccompProfile(profile, ctx);
  }

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process,
    root: input.readonlyRootfs ? { path: input.rootfs, readonly: true } : { path: input.rootfs },
    mounts: buildMounts(input, initMount),
    linux: {
      resources: { devices: deviceRules, ...buildResources(input.resources) },
      cgroupsPath: input.cgroupsPath,
      namespaces: buildNamespaces(input.namespaces),
      devices: [...devices.values()],
    },
  };
  // no hostname without a private UTS namespace (runc refuses it; Docker clears it)
  if (input.namespaces.uts.mode === 'new' && input.hostname !== '') spec.hostname = input.hostname;
  if (input.annotations && Object.keys(input.annotations).length > 0) spec.annotations = { ...input.annotations };
  if (Object.keys(sysctl).length > 0) spec.linux.sysctl = sysctl;
  if (seccomp) spec.linux.seccomp = seccomp;

  // masked / read-only paths: Docker's lists, none for --privileged, the caller's when given
  const masked = input.maskedPaths ?? (input.privileged ? [] : DEFAULT_MASKED_PATHS);
  const readonly = input.readonlyPaths ?? (input.privileged ? [] : DEFAULT_READONLY_PATHS);
  if (masked.length > 0) spec.linux.maskedPaths = [...masked];
  if (readonly.length > 0) spec.linux.readonlyPaths = [...readonly];
  return spec;
}

// ---- serialisation ---------------------------------------------------------------------------

function write(v: unknown, indent: string, step: string): string | undefined {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + step;
  const nl = step === '' ? '' : '\n';
  const sep = step === '' ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x) => write(x, inner, step) ?? 'null');
    return `[${nl}${items.map((s) => inner + s).join(`,${nl}`)}${nl}${indent}]`;
  }
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const s = write(x, inner, step);
    if (s !== undefined) parts.push(`${inner}${JSON.stringify(k)}${sep}${s}`);
  }
  if (parts.length === 0) return '{}';
  return `{${nl}${parts.join(`,${nl}`)}${nl}${indent}}`;
}

/**
 * config.json text for a Spec: JSON.stringify semantics (undefined fields
 * omitted), except that bigints (RLIM_INFINITY) are written as plain integers.
 */
export function specToJson(spec: Spec, space: number = 0): string {
  return write(spec, '', ' '.repeat(space)) as string;
}
