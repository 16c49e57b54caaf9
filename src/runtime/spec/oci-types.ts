/**
 * The parts of the OCI runtime spec (config.json, runtime-spec 1.0.x as runc 1.1
 * reads it) that berth produces. Field names are exactly the JSON names of
 * runtime-spec's specs-go; optional fields are omitted from the JSON when unset.
 *
 * uint64 fields that can hold values above 2^53 (rlimits: RLIM_INFINITY is
 * 2^64-1) are `number | bigint`; serialise a Spec with `specToJson` (build.ts),
 * which writes bigints as plain JSON integers.
 */

export interface Spec {
  ociVersion: string;
  process: Process;
  root: Root;
  hostname?: string;
  mounts: Mount[];
  annotations?: Record<string, string>;
  linux: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user: User;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: POSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface Box {
  height: number;
  width: number;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface POSIXRlimit {
  /** "RLIMIT_NOFILE" … */
  type: string;
  hard: number | bigint;
  soft: number | bigint;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Linux {
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  sysctl?: Record<string, string>;
  resources?: LinuxResources;
  cgroupsPath?: string;
  namespaces: LinuxNamespace[];
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
}

export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** runc 1.1 knows these; "time" only arrives with runc 1.2, so berth never emits it. */
export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  path?: string;
}

export interface LinuxDevice {
  path: string;
  /** "c", "b", "u" or "p" */
  type: string;
  major: number;
  minor: number;
  /** permission bits as a number (0o666 → 438 in the JSON) */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" (all, also when omitted), "c" or "b" */
  type?: string;
  /** omitted or -1: every major */
  major?: number;
  /** omitted or -1: every minor */
  minor?: number;
  /** a subset of "rwm" */
  access?: string;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
}

export interface LinuxPids {
  limit: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
}

export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type LinuxSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface LinuxSeccomp {
  /** A LinuxSeccompAction; kept a string so custom profiles pass through unchanged. */
  defaultAction: string;
  defaultErrnoRet?: number;
  /** "SCMP_ARCH_X86_64" … */
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface LinuxSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}
