/**
 * The options of `docker run` / `docker create` (docker/cli 28:
 * cli/command/container/opts.go, create.go, run.go and opts/) and their
 * translation into the body of POST /containers/create.
 *
 * Docker checks flag values in two stages, and so does parseRunOptions:
 * values a flag type rejects (pflag's Set: sizes, numbers, --mount, -e…)
 * fail with `invalid argument "…" for "-m, --memory" flag: …`; the rest
 * (ports, volumes, restart policy, conflicts…) fail later in parse() and
 * docker prints them as `docker: …`. Both exit 125; RunOptionsError.kind
 * tells them apart and runErrorText renders them as docker does.
 *
 * The request carries what docker's request carries, minus fields that are
 * Go zero values (docker serialises every field; `""`, `0`, `false`, `null`,
 * `{}` and `[]` mean the same to the daemon as an absent field) — except
 * HostConfig.MemorySwappiness (-1), RestartPolicy, NetworkMode and the
 * AttachStdin/Stdout/Stderr, Tty, OpenStdin and StdinOnce, which are always sent.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { isAbsolute, posix, resolve } from 'node:path';
import type { HealthConfig } from '../../api/types/common.js';
import type {
  ContainerCreateRequest,
  DeviceMapping,
  EndpointSettings,
  HostConfig,
  MountSpec,
  PortBinding,
  RestartPolicy,
  Ulimit,
} from '../../api/types/containers.js';
import { CliError, type OptSpec, type Opts } from '../command.js';
import {
  goJSONCompact,
  goQuote,
  isLoopback,
  isValidMAC,
  parseDuration,
  parseGoAtoi,
  parseGoBool,
  parseGoInt,
  parseGoUint,
  parseGoUint10,
  parseIP,
  parseNanoCPUs,
  ramInBytes,
  readCSVRecord,
} from './goparse.js';

export { parseDuration } from './goparse.js';

// ---------------------------------------------------------------------------
// Option declarations (sorted by long name, as cobra lists them).

const FORMAT_NOTE_MAP = ' (default map[])';
const FORMAT_NOTE_LIST = ' (default [])';

const CGROUPNS_HELP = `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`;

/** Every option `docker create` accepts (docker 28), with docker's help texts. */
export const CREATE_OPTIONS: OptSpec[] = [
  { flags: '--add-host', arg: 'list', desc: 'Add a custom host-to-IP mapping (host:ip)', repeat: true },
  { flags: '--annotation', arg: 'map', desc: 'Add an annotation to the container (passed through to the OCI runtime)' + FORMAT_NOTE_MAP, repeat: true },
  { flags: '-a, --attach', arg: 'list', desc: 'Attach to STDIN, STDOUT or STDERR', repeat: true },
  { flags: '--blkio-weight', arg: 'uint16', desc: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { flags: '--blkio-weight-device', arg: 'list', desc: 'Block IO weight (relative device weight)' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--cap-add', arg: 'list', desc: 'Add Linux capabilities', repeat: true },
  { flags: '--cap-drop', arg: 'list', desc: 'Drop Linux capabilities', repeat: true },
  { flags: '--cgroup-parent', arg: 'string', desc: 'Optional parent cgroup for the container' },
  { flags: '--cgroupns', arg: 'string', desc: CGROUPNS_HELP },
  { flags: '--cidfile', arg: 'string', desc: 'Write the container ID to the file' },
  { flags: '--cpu-count', arg: 'int', desc: 'CPU count (Windows only)' },
  { flags: '--cpu-percent', arg: 'int', desc: 'CPU percent (Windows only)' },
  { flags: '--cpu-period', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { flags: '--cpu-quota', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { flags: '--cpu-rt-period', arg: 'int', desc: 'Limit CPU real-time period in microseconds' },
  { flags: '--cpu-rt-runtime', arg: 'int', desc: 'Limit CPU real-time runtime in microseconds' },
  { flags: '-c, --cpu-shares', arg: 'int', desc: 'CPU shares (relative weight)' },
  { flags: '--cpus', arg: 'decimal', desc: 'Number of CPUs' },
  { flags: '--cpuset-cpus', arg: 'string', desc: 'CPUs in which to allow execution (0-3, 0,1)' },
  { flags: '--cpuset-mems', arg: 'string', desc: 'MEMs in which to allow execution (0-3, 0,1)' },
  { flags: '--device', arg: 'list', desc: 'Add a host device to the container', repeat: true },
  { flags: '--device-cgroup-rule', arg: 'list', desc: 'Add a rule to the cgroup allowed devices list', repeat: true },
  { flags: '--device-read-bps', arg: 'list', desc: 'Limit read rate (bytes per second) from a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-read-iops', arg: 'list', desc: 'Limit read rate (IO per second) from a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-write-bps', arg: 'list', desc: 'Limit write rate (bytes per second) to a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-write-iops', arg: 'list', desc: 'Limit write rate (IO per second) to a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--disable-content-trust', desc: 'Skip image verification', default: true },
  { flags: '--dns', arg: 'list', desc: 'Set custom DNS servers', repeat: true },
  { flags: '--dns-opt', arg: 'list', desc: 'Set DNS options', repeat: true, hidden: true },
  { flags: '--dns-option', arg: 'list', desc: 'Set DNS options', repeat: true },
  { flags: '--dns-search', arg: 'list', desc: 'Set custom DNS search domains', repeat: true },
  { flags: '--domainname', arg: 'string', desc: 'Container NIS domain name' },
  { flags: '--entrypoint', arg: 'string', desc: 'Overwrite the default ENTRYPOINT of the image' },
  { flags: '-e, --env', arg: 'list', desc: 'Set environment variables', repeat: true },
  { flags: '--env-file', arg: 'list', desc: 'Read in a file of environment variables', repeat: true },
  { flags: '--expose', arg: 'list', desc: 'Expose a port or a range of ports', repeat: true },
  { flags: '--gpus', arg: 'gpu-request', desc: "GPU devices to add to the container ('all' to pass all GPUs)", repeat: true },
  { flags: '--group-add', arg: 'list', desc: 'Add additional groups to join', repeat: true },
  { flags: '--health-cmd', arg: 'string', desc: 'Command to run to check health' },
  { flags: '--health-interval', arg: 'duration', desc: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { flags: '--health-retries', arg: 'int', desc: 'Consecutive failures needed to report unhealthy' },
  { flags: '--health-start-interval', arg: 'duration', desc: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { flags: '--health-start-period', arg: 'duration', desc: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { flags: '--health-timeout', arg: 'duration', desc: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { flags: '-h, --hostname', arg: 'string', desc: 'Container host name' },
  { flags: '--init', desc: 'Run an init inside the container that forwards signals and reaps processes' },
  { flags: '-i, --interactive', desc: 'Keep STDIN open even if not attached' },
  { flags: '--io-maxbandwidth', arg: 'bytes', desc: 'Maximum IO bandwidth limit for the system drive (Windows only)' },
  { flags: '--io-maxiops', arg: 'uint', desc: 'Maximum IOps limit for the system drive (Windows only)' },
  { flags: '--ip', arg: 'string', desc: 'IPv4 address (e.g., 172.30.100.104)' },
  { flags: '--ip6', arg: 'string', desc: 'IPv6 address (e.g., 2001:db8::33)' },
  { flags: '--ipc', arg: 'string', desc: 'IPC mode to use' },
  { flags: '--isolation', arg: 'string', desc: 'Container isolation technology' },
  { flags: '--kernel-memory', arg: 'bytes', desc: 'Kernel memory limit' },
  { flags: '-l, --label', arg: 'list', desc: 'Set meta data on a container', repeat: true },
  { flags: '--label-file', arg: 'list', desc: 'Read in a line delimited file of labels', repeat: true },
  { flags: '--link', arg: 'list', desc: 'Add link to another container', repeat: true },
  { flags: '--link-local-ip', arg: 'list', desc: 'Container IPv4/IPv6 link-local addresses', repeat: true },
  { flags: '--log-driver', arg: 'string', desc: 'Logging driver for the container' },
  { flags: '--log-opt', arg: 'list', desc: 'Log driver options', repeat: true },
  { flags: '--mac-address', arg: 'string', desc: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { flags: '-m, --memory', arg: 'bytes', desc: 'Memory limit' },
  { flags: '--memory-reservation', arg: 'bytes', desc: 'Memory soft limit' },
  { flags: '--memory-swap', arg: 'bytes', desc: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { flags: '--memory-swappiness', arg: 'int', desc: 'Tune container memory swappiness (0 to 100)', default: -1 },
  { flags: '--mount', arg: 'mount', desc: 'Attach a filesystem mount to the container', repeat: true },
  { flags: '--name', arg: 'string', desc: 'Assign a name to the container' },
  { flags: '--net', arg: 'network', desc: 'Connect a container to a network', repeat: true, hidden: true },
  { flags: '--net-alias', arg: 'list', desc: 'Add network-scoped alias for the container', repeat: true, hidden: true },
  { flags: '--network', arg: 'network', desc: 'Connect a container to a network', repeat: true },
  { flags: '--network-alias', arg: 'list', desc: 'Add network-scoped alias for the container', repeat: true },
  { flags: '--no-healthcheck', desc: 'Disable any container-specified HEALTHCHECK' },
  { flags: '--oom-kill-disable', desc: 'Disable OOM Killer' },
  { flags: '--oom-score-adj', arg: 'int', desc: "Tune host's OOM preferences (-1000 to 1000)" },
  { flags: '--pid', arg: 'string', desc: 'PID namespace to use' },
  { flags: '--pids-limit', arg: 'int', desc: 'Tune container pids limit (set -1 for unlimited)' },
  { flags: '--platform', arg: 'string', desc: 'Set platform if server is multi-platform capable' },
  { flags: '--privileged', desc: 'Give extended privileges to this container' },
  { flags: '-p, --publish', arg: 'list', desc: "Publish a container's port(s) to the host", repeat: true },
  { flags: '-P, --publish-all', desc: 'Publish all exposed ports to random ports' },
  // docker's own typo: "|missing".
  { flags: '--pull', arg: 'string', desc: 'Pull image before creating ("always", "|missing", "never")', default: 'missing' },
  { flags: '-q, --quiet', desc: 'Suppress the pull output' },
  { flags: '--read-only', desc: "Mount the container's root filesystem as read only" },
  { flags: '--restart', arg: 'string', desc: 'Restart policy to apply when a container exits', default: 'no' },
  { flags: '--rm', desc: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { flags: '--runtime', arg: 'string', desc: 'Runtime to use for this container' },
  { flags: '--security-opt', arg: 'list', desc: 'Security Options', repeat: true },
  { flags: '--shm-size', arg: 'bytes', desc: 'Size of /dev/shm' },
  { flags: '--stop-signal', arg: 'string', desc: 'Signal to stop the container' },
  { flags: '--stop-timeout', arg: 'int', desc: 'Timeout (in seconds) to stop a container' },
  { flags: '--storage-opt', arg: 'list', desc: 'Storage driver options for the container', repeat: true },
  { flags: '--sysctl', arg: 'map', desc: 'Sysctl options' + FORMAT_NOTE_MAP, repeat: true },
  { flags: '--tmpfs', arg: 'list', desc: 'Mount a tmpfs directory', repeat: true },
  { flags: '-t, --tty', desc: 'Allocate a pseudo-TTY' },
  { flags: '--ulimit', arg: 'ulimit', desc: 'Ulimit options' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--use-api-socket', desc: 'Bind mount Docker API socket and required auth' },
  { flags: '-u, --user', arg: 'string', desc: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { flags: '--userns', arg: 'string', desc: 'User namespace to use' },
  { flags: '--uts', arg: 'string', desc: 'UTS namespace to use' },
  { flags: '-v, --volume', arg: 'list', desc: 'Bind mount a volume', repeat: true },
  { flags: '--volume-driver', arg: 'string', desc: 'Optional volume driver for the container' },
  { flags: '--volumes-from', arg: 'list', desc: 'Mount volumes from the specified container(s)', repeat: true },
  { flags: '-w, --workdir', arg: 'string', desc: 'Working directory inside the container' },
];

/** The options only `docker run` has. */
export const RUN_ONLY_OPTIONS: OptSpec[] = [
  { flags: '-d, --detach', desc: 'Run container in background and print container ID' },
  { flags: '--detach-keys', arg: 'string', desc: 'Override the key sequence for detaching a container' },
  { flags: '--sig-proxy', desc: 'Proxy received signals to the process', default: true },
];

const longName = (o: OptSpec): string => /--([\w-]+)/.exec(o.flags)?.[1] ?? '';

/**
 * All options of `docker run`, sorted as its help lists them (run's --pull
 * help text differs from create's: "Pull image before running").
 */
export const RUN_OPTIONS: OptSpec[] = [
  ...CREATE_OPTIONS.map((o) => (longName(o) === 'pull' ? { ...o, desc: 'Pull image before running ("always", "missing", "never")' } : o)),
  ...RUN_ONLY_OPTIONS,
].sort((a, b) => (longName(a) < longName(b) ? -1 : longName(a) > longName(b) ? 1 : 0));

// ---------------------------------------------------------------------------
// Errors

/**
 * A rejected option: `flag` for values the flag's type refuses (docker
 * prints these with the usage line), `parse` for errors found while
 * building the request (docker prints `docker: …`) — both status 125 —
 * and `plain` for the few docker reports bare with status 1 (Windows-only
 * flags on a Linux daemon, -d with -a).
 */
export class RunOptionsError extends CliError {
  constructor(
    message: string,
    readonly kind: 'flag' | 'parse' | 'plain',
  ) {
    super(message, kind === 'plain' ? 1 : 125);
  }
}

/** stderr text docker prints for the error, for `<prog> run|create`. */
export function runErrorText(err: RunOptionsError, prog: string, command: 'run' | 'create'): string {
  if (err.kind === 'plain') return `${err.message}\n`;
  const help = `Run '${prog} ${command} --help' for more information\n`;
  if (err.kind === 'flag') return `${err.message}\n\nUsage:  ${prog} ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n${help}`;
  return `${prog}: ${err.message}\n\n${help}`;
}

const fail = (msg: string): RunOptionsError => new RunOptionsError(msg, 'parse');

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------
// The result

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

// ---------------------------------------------------------------------------
// Reading Opts

function camel(long: string): string {
  return long.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
}

class OptReader {
  private readonly specs = new Map<string, OptSpec>();

  constructor(private readonly opts: Opts) {
    for (const o of [...CREATE_OPTIONS, ...RUN_ONLY_OPTIONS]) this.specs.set(longName(o), o);
  }

  raw(long: string): unknown {
    return this.opts[camel(long)];
  }

  has(long: string): boolean {
    const v = this.raw(long);
    return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  }

  str(long: string): string | undefined {
    const v = this.raw(long);
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }

  list(long: string): string[] {
    const v = this.raw(long);
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v.map(String) : [String(v)];
  }

  bool(long: string, dflt = false): boolean {
    const v = this.raw(long);
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'string') return this.set(long, v, parseGoBool);
    return v === true;
  }

  /** Runs a flag's Set(): errors become pflag's "invalid argument" text. */
  set<T>(long: string, value: string, fn: (v: string) => T): T {
    try {
      return fn(value);
    } catch (e) {
      const flags = this.specs.get(long)?.flags ?? `--${long}`;
      throw new RunOptionsError(`invalid argument ${goQuote(value)} for ${goQuote(flags)} flag: ${messageOf(e)}`, 'flag');
    }
  }

  /** A single-valued flag through its parser; undefined when not given. */
  one<T>(long: string, fn: (v: string) => T): T | undefined {
    const v = this.raw(long);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v as T;
    return this.set(long, this.str(long)!, fn);
  }

  each<T>(long: string, fn: (v: string) => T): T[] {
    return this.list(long).map((v) => this.set(long, v, fn));
  }
}

// ---------------------------------------------------------------------------
// Small Go helpers

function cut(s: string, sep: string): [string, string, boolean] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, '', false] : [s.slice(0, i), s.slice(i + sep.length), true];
}

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  let out = posix.normalize(p);
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

/** filepath.Abs for paths starting with "." (docker resolves only those). */
function absIfDotRelative(p: string): string {
  return !isAbsolute(p) && p.startsWith('.') ? resolve(p) : p;
}

function goFileError(path: string, e: unknown, op = 'open'): Error {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new Error(`${op} ${path}: no such file or directory`);
  if (code === 'EACCES') return new Error(`${op} ${path}: permission denied`);
  if (code === 'EISDIR') return new Error(`read ${path}: is a directory`);
  if (code === 'ENOTDIR') return new Error(`${op} ${path}: not a directory`);
  return e instanceof Error ? e : new Error(String(e));
}

const IS_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** pkg/kvfile.Parse: env files and label files. */
function parseKVFile(path: string, readFile: (p: string) => string, lookup?: (k: string) => string | undefined): string[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw fail(messageOf(goFileError(path, e)));
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  lines.forEach((raw, idx) => {
    let l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (idx === 0 && l.startsWith('\ufeff')) l = l.slice(1);
    const line = l.replace(IS_SPACE, '');
    if (line.length === 0 || line[0] === '#') return;
    const [key, , hasValue] = cut(line, '=');
    if (key.length === 0) throw fail(`invalid env file (${path}): no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw fail(`invalid env file (${path}): variable '${key}' contains whitespaces`);
    if (hasValue) out.push(line);
    else if (lookup) {
      const v = lookup(line);
      if (v !== undefined) out.push(`${key}=${v}`);
    }
  });
  return out;
}

function kvMap(values: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const v of values) {
    const [k, val] = cut(v, '=');
    m[k] = val;
  }
  return m;
}

// ---------------------------------------------------------------------------
// Flag value types (the Set() of docker's opts)

function validateAttach(v: string): AttachStream {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

function validateEnv(env: NodeJS.ProcessEnv): (v: string) => string {
  return (val) => {
    const [k, , hasValue] = cut(val, '=');
    if (k === '') throw new Error('invalid environment variable: ' + val);
    if (hasValue) return val;
    const e = env[k];
    return e !== undefined ? `${k}=${e}` : val;
  };
}

function validateLabel(value: string): string {
  const key = cut(value, '=')[0].replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if (/[ \t]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return value;
}

const SYSCTL_NAMES = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

function validateSysctl(val: string): string {
  const [k, , ok] = cut(val, '=');
  if (ok && k !== '' && (SYSCTL_NAMES.has(k) || k.startsWith('net.') || k.startsWith('fs.mqueue.'))) return val;
  throw new Error(`sysctl '${val}' is not allowed`);
}

function validateIPAddress(val: string): string {
  const ip = parseIP(val.trim());
  if (ip === null) throw new Error(`IP address is not correctly formatted: ${val}`);
  return ip;
}

export function validateExtraHost(val: string): string {
  let [k, v, ok] = cut(val, '=');
  if (!ok) [k, v, ok] = cut(val, ':');
  if (!ok || k === '' || k.includes(':')) throw new Error(`bad format for add-host: ${goQuote(val)}`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v[0] === '[' && v[v.length - 1] === ']') v = v.slice(1, -1);
    if (parseIP(v.trim()) === null) throw new Error(`invalid IP address in add-host: ${goQuote(v)}`);
  }
  return `${k}:${v}`;
}

const DOMAIN_RE = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

function validateDNSSearch(v: string): string {
  const val = v.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  if (!/[a-zA-Z]/.test(val)) throw new Error(`${val} is not a valid domain`);
  const m = DOMAIN_RE.exec(val);
  if (m && m[1]!.length < 255) return m[1]!;
  throw new Error(`${val} is not a valid domain`);
}

function validateLink(val: string): string {
  if (val === '') throw new Error('empty string specified for links');
  if (val.split(':').length > 2) throw new Error('bad format for links: ' + val);
  return val;
}

const DEVICE_CGROUP_RULE = /^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/;

function validateDeviceCgroupRule(val: string): string {
  if (DEVICE_CGROUP_RULE.test(val)) return val;
  throw new Error(`invalid device cgroup format '${val}'`);
}

const ULIMIT_NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** go-units ParseUlimit: `nofile=1024[:2048]`. */
export function parseUlimit(val: string): Ulimit {
  const [name, rest, ok] = cut(val, '=');
  if (!ok) throw new Error(`invalid ulimit argument: ${val}`);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = rest.split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${rest}, can only have up to two, \`soft[:hard]\``);
  const strict = (s: string): number => {
    if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
    return parseGoInt(s);
  };
  let hard: number | undefined;
  if (parts.length === 2) hard = strict(parts[1]!);
  const soft = strict(parts[0]!);
  if (hard === undefined) hard = soft;
  if (hard !== -1) {
    if (soft === -1) throw new Error(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

function validateWeightDevice(val: string): WeightDevice {
  const [k, v, ok] = cut(val, ':');
  if (!ok || k === '') throw new Error(`bad format: ${val}`);
  if (!k.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  let weight: number;
  try {
    weight = parseGoUint10(v, 16);
  } catch {
    throw new Error(`invalid weight for device: ${val}`);
  }
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new Error(`invalid weight for device: ${val}`);
  return { Path: k, Weight: weight };
}

function validateThrottleBps(val: string): ThrottleDevice {
  const [k, v, ok] = cut(val, ':');
  if (!ok || k === '') throw new Error(`bad format: ${val}`);
  if (!k.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  const bad = `invalid rate for device: ${val}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`;
  let rate: number;
  try {
    rate = ramInBytes(v);
  } catch {
    throw new Error(bad);
  }
  return { Path: k, Rate: rate };
}

function validateThrottleIOps(val: string): ThrottleDevice {
  const [k, v, ok] = cut(val, ':');
  if (!ok || k === '') throw new Error(`bad format: ${val}`);
  if (!k.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  try {
    return { Path: k, Rate: parseGoUint10(v, 64) };
  } catch {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
}

function parseGpuCount(s: string): number {
  if (s === 'all') return -1;
  try {
    return parseGoAtoi(s);
  } catch (e) {
    const why = messageOf(e).replace(/^.*: /, '');
    throw new Error(`invalid count (${s}): value must be either "all" or an integer: ${why}`);
  }
}

/** opts.GpuOpts: `all`, `2`, `count=2,capabilities=utility`, `"device=0,1"`. */
function parseGpus(value: string): DeviceRequest {
  const fields = readCSVRecord(value);
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: null };
  const seen = new Set<string>();
  for (const field of fields) {
    const [key, val, withValue] = cut(field, '=');
    if (seen.has(key)) throw new Error(`gpu request key '${key}' can be specified only once`);
    seen.add(key);
    if (!withValue) {
      seen.add('count');
      req.Count = parseGpuCount(key);
      continue;
    }
    switch (key) {
      case 'driver':
        req.Driver = val;
        break;
      case 'count':
        req.Count = parseGpuCount(val);
        break;
      case 'device':
        req.DeviceIDs = val.split(',');
        break;
      case 'capabilities':
        req.Capabilities = [[...val.split(','), 'gpu']];
        break;
      case 'options': {
        let optFields: string[];
        try {
          optFields = readCSVRecord(val);
        } catch (e) {
          throw new Error(`failed to read gpu options: ${messageOf(e)}`);
        }
        req.Options = kvMap(optFields);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!seen.has('count') && req.DeviceIDs === null) req.Count = 1;
  req.Options ??= {};
  req.Capabilities ??= [['gpu']];
  return req;
}

/** opts.MountOpt.Set: the csv syntax of --mount. */
export function parseMount(value: string): RunMount {
  const fields = readCSVRecord(value);
  const mount: RunMount = { Type: 'volume', Target: '' };
  const volumeOptions = (): NonNullable<MountSpec['VolumeOptions']> => (mount.VolumeOptions ??= {});
  const bindOptions = (): NonNullable<MountSpec['BindOptions']> => (mount.BindOptions ??= {});
  const tmpfsOptions = (): NonNullable<MountSpec['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, v: string): void => {
    const [k, val] = cut(v, '=');
    if (k !== '') target[k] = val;
  };
  const bool = (key: string, val: string): boolean => {
    try {
      return parseGoBool(val);
    } catch {
      throw new Error(`invalid value for ${key}: ${val}`);
    }
  };
  for (const field of fields) {
    const [rawKey, val, ok] = cut(field, '=');
    const key = rawKey.toLowerCase();
    if (!ok) {
      switch (key) {
        case 'readonly':
        case 'ro':
          mount.ReadOnly = true;
          continue;
        case 'volume-nocopy':
          volumeOptions().NoCopy = true;
          continue;
        case 'bind-nonrecursive':
          bindOptions().NonRecursive = true;
          continue;
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase() as MountSpec['Type'];
        break;
      case 'source':
      case 'src':
        mount.Source = absIfDotRelative(val);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, val);
        break;
      case 'bind-recursive':
        switch (val) {
          case 'enabled':
            break;
          case 'disabled':
            bindOptions().NonRecursive = true;
            break;
          case 'writable':
            bindOptions().ReadOnlyNonRecursive = true;
            break;
          case 'readonly':
            bindOptions().ReadOnlyForceRecursive = true;
            break;
          default:
            throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-nocopy':
        try {
          volumeOptions().NoCopy = parseGoBool(val);
        } catch {
          throw new Error(`invalid value for volume-nocopy: ${val}`);
        }
        break;
      case 'volume-label':
        setOnMap((volumeOptions().Labels ??= {}), val);
        break;
      case 'volume-driver':
        (volumeOptions().DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt':
        setOnMap(((volumeOptions().DriverConfig ??= {}).Options ??= {}), val);
        break;
      case 'image-subpath':
        (mount.ImageOptions ??= {}).Subpath = val;
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if ((mount.Type as string) === '') throw new Error('type is required');
  if (mount.Target === '') throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.ImageOptions && (mount.Type as string) !== 'image') throw new Error(`cannot mix 'image-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  const b = mount.BindOptions;
  if (b?.ReadOnlyNonRecursive && !mount.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (b?.ReadOnlyForceRecursive) {
    if (!mount.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (b.Propagation !== 'rprivate') throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  }
  return mount;
}

interface NetworkAttachment {
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

/** opts.NetworkOpt.Set: a name, or the csv `name=…,alias=…,ip=…` syntax (lower-cased). */
function parseNetworkOpt(value: string): NetworkAttachment {
  const n: NetworkAttachment = { Target: '', Aliases: [], Links: [], IPv4Address: '', IPv6Address: '', LinkLocalIPs: [], MacAddress: '', GwPriority: 0 };
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) {
    n.Target = value;
    return n;
  }
  for (const field of readCSVRecord(value)) {
    let [key, val, ok] = cut(field.toLowerCase(), '=');
    if (!ok || key === '') throw new Error(`invalid field ${field}`);
    key = key.trim();
    val = val.trim();
    switch (key) {
      case 'name':
        n.Target = val;
        break;
      case 'alias':
        n.Aliases.push(val);
        break;
      case 'ip':
        n.IPv4Address = val;
        break;
      case 'ip6':
        n.IPv6Address = val;
        break;
      case 'mac-address':
        n.MacAddress = val;
        break;
      case 'link-local-ip':
        n.LinkLocalIPs.push(val);
        break;
      case 'driver-opt': {
        const [k, v, kvOk] = cut(val, '=');
        if (!kvOk || k === '') throw new Error('invalid key value pair format in driver options');
        (n.DriverOpts ??= {})[k.trim()] = v.trim();
        break;
      }
      case 'gw-priority':
        try {
          n.GwPriority = parseGoAtoi(val);
        } catch (e) {
          throw new Error(`invalid gw-priority (${val}): ${messageOf(e).replace(/^.*: /, '')}`);
        }
        break;
      default:
        throw new Error('invalid field key ' + key);
    }
  }
  if (n.Target.length === 0) throw new Error('network name/id is not specified');
  return n;
}

// ---------------------------------------------------------------------------
// Ports (docker/go-connections nat)

function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const v = parseGoUint10(ports, 16);
    return [v, v];
  }
  const parts = ports.split('-');
  const start = parseGoUint10(parts[0]!, 16);
  const end = parseGoUint10(parts[1]!, 16);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0]!, containerPort];
  if (n === 3) return [parts[0]!, parts[1]!, containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, containerPort];
}

/** net.SplitHostPort(ip + ":") for a bracketed address: the host, or Go's AddrError text. */
function stripBrackets(ip: string): string {
  const hostport = ip + ':';
  const err = (why: string): Error => new Error(`invalid IP address ${ip}: address ${hostport}: ${why}`);
  const end = hostport.indexOf(']');
  if (end < 0) throw err("missing ']' in address");
  const last = hostport.length - 1;
  if (end + 1 !== last) throw err(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
  const host = hostport.slice(1, end);
  if (hostport.indexOf('[', 1) >= 0) throw err("unexpected '[' in address");
  if (hostport.indexOf(']', end + 1) >= 0) throw err("unexpected ']' in address");
  return host;
}

interface PortMapping {
  port: string;
  binding: PortBinding;
}

/** nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, ranges allowed. */
export function parsePortSpec(rawPort: string): PortMapping[] {
  let [ip, hostPort, containerPort] = splitParts(rawPort);
  let proto: string;
  [proto, containerPort] = splitProtoPort(containerPort);
  if (ip !== '' && ip[0] === '[') ip = stripBrackets(ip);
  if (ip !== '' && parseIP(ip) === null) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${rawPort}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const lower = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lower)) throw new Error(`invalid proto: ${proto}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort;
    if (hostPort.length > 0) hp = String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hp = `${hp}-${hostEnd}`;
    out.push({ port: `${start + i}/${lower}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** The long `--publish published=8080,target=80,protocol=udp` form, as docker rewrites it. */
function convertToStandardNotation(ports: string[]): string[] {
  return ports.map((publish) => {
    if (!publish.includes('=')) return publish;
    const params: Record<string, string> = { protocol: 'tcp' };
    for (const param of publish.split(',')) {
      const [k, v, ok] = cut(param, '=');
      if (!ok || k === '') throw fail(`invalid publish opts format (should be name=value but got '${param}')`);
      params[k] = v;
    }
    return `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol'] ?? ''}`;
  });
}

// ---------------------------------------------------------------------------
// Volumes (compose loader ParseVolume)

interface VolumeSpec {
  source: string;
  target: string;
  type: 'bind' | 'volume';
}

const isWindowsDrive = (buffer: string[], char: string): boolean => char === ':' && buffer.length === 1 && /\p{L}/u.test(buffer[0]!);

function isFilePath(source: string): boolean {
  if ('./~'.includes(source[0]!)) return true;
  const runes = [...source];
  if (runes.length === 1) return false;
  if (source.startsWith('\\\\')) return true;
  return isWindowsDrive([runes[0]!], source[runes[0]!.length] ?? '');
}

export function parseVolumeSpec(spec: string): VolumeSpec {
  const v: VolumeSpec = { source: '', target: '', type: 'volume' };
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { source: '', target: spec, type: 'volume' };
  let buffer: string[] = [];
  const END = '\u0000';
  for (const char of [...spec, END]) {
    if (isWindowsDrive(buffer, char)) buffer.push(char);
    else if (char === ':' || char === END) {
      const str = buffer.join('');
      if (buffer.length === 0) throw new Error(`invalid spec: ${spec}: empty section between colons`);
      if (v.source === '' && char === END) v.target = str;
      else if (v.source === '') v.source = str;
      else if (v.target === '') v.target = str;
      else if (char === ':') throw new Error(`invalid spec: ${spec}: too many colons`);
      buffer = [];
    } else buffer.push(char);
  }
  v.type = v.source !== '' && isFilePath(v.source) ? 'bind' : 'volume';
  return v;
}

// ---------------------------------------------------------------------------
// Devices

function validDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const legal: Record<string, boolean> = { r: true, w: true, m: true };
  for (const c of mode) {
    if (!legal[c]) return false;
    legal[c] = false;
  }
  return true;
}

function validateLinuxPath(val: string): string {
  if ((val.match(/:/g) ?? []).length > 2) throw fail(`bad format for path: ${val}`);
  const split = val.split(':');
  if (split[0] === '') throw fail(`bad format for path: ${val}`);
  let containerPath: string;
  let out: string;
  if (split.length === 1) {
    containerPath = split[0]!;
    out = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (validDeviceMode(split[1]!)) {
      containerPath = split[0]!;
      out = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1]!;
      out = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1]!;
    if (!validDeviceMode(split[2]!)) throw fail(`bad mode specified: ${split[2]}`);
    out = val;
  }
  if (!containerPath.startsWith('/')) throw fail(`${containerPath} is not an absolute path`);
  return out;
}

function parseLinuxDevice(device: string): DeviceMapping {
  let src = '';
  let dst = '';
  let permissions = 'rwm';
  const arr = device.split(':');
  if (arr.length > 3) throw fail(`invalid device specification: ${device}`);
  if (arr.length === 3) permissions = arr[2]!;
  if (arr.length >= 2) {
    if (validDeviceMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  src = arr[0]!;
  if (dst === '') dst = src;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: permissions };
}

/** CDI's parser.IsQualifiedName: `vendor.com/class=name`. */
function isCDIName(device: string): boolean {
  const i = device.indexOf('/');
  if (i <= 0) return false;
  const [cls, name, ok] = cut(device.slice(i + 1), '=');
  if (!ok || cls === '') return false;
  return (
    /^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(device.slice(0, i)) &&
    /^[A-Za-z]([A-Za-z0-9_-]*[A-Za-z0-9])?$/.test(cls) &&
    /^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$/.test(name)
  );
}

// ---------------------------------------------------------------------------
// Misc parse() helpers

/** opts.ParseRestartPolicy: `no`, `always`, `on-failure[:N]`, `unless-stopped` (names are checked by the daemon). */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const [k, v, ok] = cut(policy, ':');
  if (ok && k === '') throw fail('invalid restart policy format: no policy provided before colon');
  let count = 0;
  if (v !== '') {
    try {
      count = parseGoAtoi(v);
    } catch {
      throw fail('invalid restart policy format: maximum retry count must be an integer');
    }
  }
  return { Name: k as RestartPolicy['Name'], MaximumRetryCount: count };
}

function parseSecurityOpts(securityOpts: string[], readFile: (p: string) => string): string[] {
  return securityOpts.map((opt) => {
    let [k, v, ok] = cut(opt, '=');
    if (!ok && k !== 'no-new-privileges') [k, v, ok] = cut(opt, ':');
    if ((!ok || v === '') && k !== 'no-new-privileges') throw fail(`Invalid --security-opt: ${goQuote(opt)}`);
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let text: string;
      try {
        text = readFile(v);
      } catch (e) {
        throw fail(`opening seccomp profile (${v}) failed: ${messageOf(goFileError(v, e))}`);
      }
      try {
        return `seccomp=${goJSONCompact(text)}`;
      } catch (e) {
        throw fail(`compacting json for seccomp profile (${v}) failed: ${messageOf(e)}`);
      }
    }
    return opt;
  });
}

const CAP_ALL = 'ALL';

/** The API client's normalizeCapabilities: upper-case, CAP_ prefix, unique, sorted. */
function normalizeCapabilities(caps: string[]): string[] {
  const out = new Set<string>();
  for (let c of caps) {
    c = c.toUpperCase();
    if (c !== CAP_ALL && !c.startsWith('CAP_')) c = 'CAP_' + c;
    out.add(c);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const NON_USER_DEFINED = new Set(['default', 'bridge', 'host', 'none']);
const isUserDefined = (n: string): boolean => !NON_USER_DEFINED.has(n) && !n.startsWith('container:');

function endpointFor(n: NetworkAttachment): RunEndpointSettings {
  if (n.Target.trim() === '') throw fail('no name set for network');
  if (!isUserDefined(n.Target)) {
    if (n.Aliases.length > 0) throw fail('network-scoped aliases are only supported for user-defined networks');
    if (n.Links.length > 0) throw fail('links are only supported for user-defined networks');
  }
  const ep: RunEndpointSettings = {};
  if (n.Aliases.length > 0) ep.Aliases = [...n.Aliases];
  if (n.DriverOpts && Object.keys(n.DriverOpts).length > 0) ep.DriverOpts = n.DriverOpts;
  if (n.Links.length > 0) ep.Links = n.Links;
  if (n.IPv4Address !== '' || n.IPv6Address !== '' || n.LinkLocalIPs.length > 0) {
    ep.IPAMConfig = {};
    if (n.IPv4Address !== '') ep.IPAMConfig.IPv4Address = n.IPv4Address;
    if (n.IPv6Address !== '') ep.IPAMConfig.IPv6Address = n.IPv6Address;
    if (n.LinkLocalIPs.length > 0) ep.IPAMConfig.LinkLocalIPs = n.LinkLocalIPs;
  }
  if (n.MacAddress !== '') {
    if (!isValidMAC(n.MacAddress.trim())) throw fail(`${n.MacAddress} is not a valid mac address`);
    ep.MacAddress = n.MacAddress;
  }
  if (n.GwPriority !== 0) ep.GwPriority = n.GwPriority;
  return ep;
}

interface LegacyNetOpts {
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  mac: string;
  linkLocalIPs: string[];
}

function applyContainerOptions(n: NetworkAttachment, c: LegacyNetOpts): void {
  if (n.Aliases.length > 0 && c.aliases.length > 0) throw fail('conflicting options: cannot specify both --network-alias and per-network alias');
  if (n.Links.length > 0 && c.links.length > 0) throw fail('conflicting options: cannot specify both --link and per-network links');
  if (n.IPv4Address !== '' && c.ipv4 !== '') throw fail('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (n.IPv6Address !== '' && c.ipv6 !== '') throw fail('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (n.MacAddress !== '' && c.mac !== '') throw fail('conflicting options: cannot specify both --mac-address and per-network MAC address');
  if (n.LinkLocalIPs.length > 0 && c.linkLocalIPs.length > 0) throw fail('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  if (c.aliases.length > 0) n.Aliases = [...c.aliases];
  if (isUserDefined(n.Target) && c.links.length > 0) n.Links = [...c.links];
  if (c.ipv4 !== '') n.IPv4Address = c.ipv4;
  if (c.ipv6 !== '') n.IPv6Address = c.ipv6;
  if (c.mac !== '') n.MacAddress = c.mac;
  if (c.linkLocalIPs.length > 0) n.LinkLocalIPs = [...c.linkLocalIPs];
}

function parseNetworkOpts(nets: NetworkAttachment[], c: LegacyNetOpts): Record<string, RunEndpointSettings> {
  const endpoints: Record<string, RunEndpointSettings> = {};
  if (nets.length === 0) {
    const n: NetworkAttachment = { Target: 'default', Aliases: [], Links: [], IPv4Address: '', IPv6Address: '', LinkLocalIPs: [], MacAddress: '', GwPriority: 0 };
    applyContainerOptions(n, c);
    endpoints['default'] = endpointFor(n);
  }
  let user = false;
  let nonUser = false;
  nets.forEach((n, i) => {
    if (isUserDefined(n.Target)) user = true;
    else nonUser = true;
    if (i === 0) applyContainerOptions(n, c);
    const ep = endpointFor(n);
    if (Object.prototype.hasOwnProperty.call(endpoints, n.Target)) throw fail(`network ${goQuote(n.Target)} is specified multiple times`);
    if (i === 0 && nets.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n.Target] = ep;
  });
  if (user && nonUser) throw fail('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}

// ---------------------------------------------------------------------------
// Platforms (containerd/platforms Parse, as the client formats it for ?platform=)

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
const OS_AND_VERSION_RE = '^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$';
const SPECIFIER_RE = '^[A-Za-z0-9_.-]+$';

function normalizeArch(archIn: string, variantIn: string): [string, string] {
  let arch = archIn.toLowerCase();
  let variant = variantIn.toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
      else if (['9', '9.0', 'v9.0'].includes(variant)) variant = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (['5', '6', '8'].includes(variant)) variant = 'v' + variant;
      break;
  }
  return [arch, variant];
}

/** Go's runtime.GOARCH of this machine. */
function hostArch(): string {
  const a: string = process.arch;
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: endianness() === 'LE' ? 'ppc64le' : 'ppc64', mipsel: 'mipsle' };
  return map[a] ?? a;
}

/**
 * containerd's platforms.Parse then the API client's formatting:
 * "amd64" → "linux/amd64", "Linux/AMD64" → "linux/amd64", "linux/arm64/v8"
 * → "linux/arm64/v8", "arm" → "linux/arm". Throws docker's
 * "error parsing specified platform: …" text.
 */
export function normalizePlatform(specifier: string): string {
  const bad = (why: string): Error => new Error(`error parsing specified platform: ${why}: invalid argument`);
  if (specifier.includes('*')) throw bad(`${goQuote(specifier)}: wildcards not yet supported`);
  const all = specifier.split('/');
  const parts = all.length > 4 ? [...all.slice(0, 3), all.slice(3).join('/')] : all;
  let os = '';
  parts.forEach((part, i) => {
    if (i === 0) {
      const m = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$/.exec(part);
      if (!m) {
        throw bad(`${goQuote(part)} is an invalid OS component of ${goQuote(specifier)}: OSAndVersion specifier component must match ${goQuote(OS_AND_VERSION_RE)}`);
      }
      os = m[1]!.toLowerCase() === 'macos' ? 'darwin' : m[1]!.toLowerCase();
    } else if (!/^[A-Za-z0-9_.-]+$/.test(part)) {
      throw bad(`${goQuote(part)} is an invalid component of ${goQuote(specifier)}: platform specifier component must match ${goQuote(SPECIFIER_RE)}`);
    }
  });
  let arch = '';
  let variant = '';
  switch (parts.length) {
    case 1:
      if (KNOWN_OS.has(os)) {
        arch = hostArch();
        break;
      }
      [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (!KNOWN_ARCH.has(arch)) throw bad(`${goQuote(specifier)}: unknown operating system or architecture`);
      os = 'linux';
      break;
    case 2:
      [arch, variant] = normalizeArch(parts[1]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      break;
    case 3:
      [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
      if (arch === 'arm64' && variant === '') variant = 'v8';
      break;
    default:
      throw bad(`${goQuote(specifier)}: cannot parse platform specifier`);
  }
  return [os, arch, variant].filter((x) => x !== '').join('/');
}

/** Keeps the last value per key at the position of its first mention (Go ranges over a map here). */
function dedupeEnv(values: string[]): string[] {
  const m = new Map<string, string | null>();
  for (const v of values) {
    const [k, val, ok] = cut(v, '=');
    m.set(k, ok ? val : null);
  }
  return [...m].map(([k, v]) => (v === null ? k : `${k}=${v}`));
}

// ---------------------------------------------------------------------------

/**
 * docker run / docker create's options and arguments ([IMAGE, ...COMMAND])
 * → the create request and the client-side settings. env is where `-e FOO`
 * and env-file `FOO` lines look values up; readFile reads --env-file,
 * --label-file and seccomp profiles; command only changes how a bad
 * --platform is reported (guessed from run-only options when omitted).
 * Throws RunOptionsError.
 */
export function parseRunOptions(
  opts: Opts,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'),
  command: 'run' | 'create' = 'sigProxy' in opts || 'detach' in opts ? 'run' : 'create',
): ParsedRun {
  const f = new OptReader(opts);

  // ---- Stage 1: flag values (pflag Set), in option order.
  const attachList = f.each('attach', validateAttach);
  const deviceCgroupRules = f.each('device-cgroup-rule', validateDeviceCgroupRule);
  const gpus = f.each('gpus', parseGpus);
  const envList = f.each('env', validateEnv(env));
  const labels = f.each('label', validateLabel);
  const stopTimeout = f.one('stop-timeout', (v) => parseGoInt(v));
  const sysctls = kvMap(f.each('sysctl', validateSysctl));
  const ulimitMap = new Map<string, Ulimit>();
  for (const u of f.each('ulimit', parseUlimit)) ulimitMap.set(u.Name, u);
  const extraHosts = f.each('add-host', validateExtraHost);
  const dns = f.each('dns', validateIPAddress);
  const dnsSearch = f.each('dns-search', validateDNSSearch);
  const links = f.each('link', validateLink);
  const networks = [...f.each('network', parseNetworkOpt), ...f.each('net', parseNetworkOpt)];
  const mounts = f.each('mount', parseMount);
  const healthInterval = f.one('health-interval', parseDuration) ?? 0;
  const healthRetries = f.one('health-retries', (v) => parseGoInt(v)) ?? 0;
  const healthTimeout = f.one('health-timeout', parseDuration) ?? 0;
  const healthStartPeriod = f.one('health-start-period', parseDuration) ?? 0;
  const healthStartInterval = f.one('health-start-interval', parseDuration) ?? 0;
  const blkioWeight = f.one('blkio-weight', (v) => parseGoUint(v, 16)) ?? 0;
  const blkioWeightDevice = f.each('blkio-weight-device', validateWeightDevice);
  const cpuCount = f.one('cpu-count', (v) => parseGoInt(v)) ?? 0;
  const cpuPercent = f.one('cpu-percent', (v) => parseGoInt(v)) ?? 0;
  const cpuPeriod = f.one('cpu-period', (v) => parseGoInt(v)) ?? 0;
  const cpuQuota = f.one('cpu-quota', (v) => parseGoInt(v)) ?? 0;
  const cpuRtPeriod = f.one('cpu-rt-period', (v) => parseGoInt(v)) ?? 0;
  const cpuRtRuntime = f.one('cpu-rt-runtime', (v) => parseGoInt(v)) ?? 0;
  const cpuShares = f.one('cpu-shares', (v) => parseGoInt(v)) ?? 0;
  const nanoCpus = f.one('cpus', parseNanoCPUs) ?? 0;
  const deviceReadBps = f.each('device-read-bps', validateThrottleBps);
  const deviceReadIOps = f.each('device-read-iops', validateThrottleIOps);
  const deviceWriteBps = f.each('device-write-bps', validateThrottleBps);
  const deviceWriteIOps = f.each('device-write-iops', validateThrottleIOps);
  const ioMaxBandwidth = f.one('io-maxbandwidth', ramInBytes) ?? 0;
  const ioMaxIOps = f.one('io-maxiops', (v) => parseGoUint(v, 64)) ?? 0;
  f.one('kernel-memory', ramInBytes); // validated; the client drops it for API ≥ 1.42
  const memory = f.one('memory', ramInBytes) ?? 0;
  const memoryReservation = f.one('memory-reservation', ramInBytes) ?? 0;
  const memorySwap = f.one('memory-swap', (v) => (v === '-1' ? -1 : ramInBytes(v))) ?? 0;
  const swappiness = f.one('memory-swappiness', (v) => parseGoInt(v)) ?? -1;
  const oomScoreAdj = f.one('oom-score-adj', (v) => parseGoInt(v)) ?? 0;
  const pidsLimit = f.one('pids-limit', (v) => parseGoInt(v)) ?? 0;
  const shmSize = f.one('shm-size', ramInBytes) ?? 0;
  const annotations = kvMap(f.list('annotation'));
  const aliases = [...f.list('network-alias'), ...f.list('net-alias')];
  const dnsOptions = [...f.list('dns-option'), ...f.list('dns-opt')];

  // Flags annotated ostype=windows are refused before the command runs (berth's daemon is Linux).
  const windowsOnly = ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops'].filter((n) => f.raw(n) !== undefined && f.raw(n) !== null);
  if (windowsOnly.length > 0) {
    throw new RunOptionsError(
      windowsOnly.map((n) => `"--${n}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`).join('\n'),
      'plain',
    );
  }

  // ---- Stage 2: docker's validatePullOpt, parse() and run's checks.
  const pullOpt = f.str('pull') ?? 'missing';
  if (!['always', 'missing', 'never', ''].includes(pullOpt)) {
    throw fail(`invalid pull option: '${pullOpt}': must be one of "always", "missing" or "never"`);
  }

  const macAddress = f.str('mac-address') ?? '';
  if (macAddress !== '' && !isValidMAC(macAddress.trim())) throw fail(`${macAddress} is not a valid mac address`);

  const stdin = f.bool('interactive');
  let attachStdin = attachList.includes('stdin') || stdin;
  let attachStdout = attachList.includes('stdout');
  let attachStderr = attachList.includes('stderr');
  if (attachList.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw fail(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }

  // -v: binds for specs with a source, anonymous volumes otherwise.
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of new Set(f.list('volume'))) {
    let parsed: VolumeSpec;
    try {
      parsed = parseVolumeSpec(spec);
    } catch (e) {
      throw fail(messageOf(e));
    }
    if (parsed.source === '') {
      volumes[spec] = {};
      continue;
    }
    let toBind = spec;
    if (parsed.type === 'bind') {
      const [host, target, ok] = cut(spec, ':');
      if (ok) toBind = absIfDotRelative(host) + ':' + target;
    }
    binds.push(toBind);
  }

  const tmpfs: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const [k, v] = cut(t, ':');
    tmpfs[k] = v;
  }

  const image = args[0] ?? '';
  const cmd = args.length > 1 ? args.slice(1) : undefined;
  const entrypointOpt = f.str('entrypoint');
  const entrypoint = entrypointOpt === undefined ? undefined : [entrypointOpt];

  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, PortBinding[]> = {};
  for (const raw of convertToStandardNotation(f.list('publish'))) {
    let mappings: PortMapping[];
    try {
      mappings = parsePortSpec(raw);
    } catch (e) {
      throw fail(messageOf(e));
    }
    for (const { port, binding } of mappings) {
      exposedPorts[port] = {};
      (portBindings[port] ??= []).push(binding);
    }
  }
  for (const e of f.list('expose')) {
    if (e.includes(':')) throw fail(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let range: [number, number];
    try {
      range = parsePortRange(port);
    } catch (err) {
      throw fail(`invalid range format for --expose: ${e}, error: ${messageOf(err)}`);
    }
    for (let i = range[0]; i <= range[1]; i++) exposedPorts[`${i}/${proto}`] ??= {};
  }

  const devices: DeviceMapping[] = [];
  const cdiDevices: string[] = [];
  for (const d of f.list('device')) {
    if (isCDIName(d)) cdiDevices.push(d);
    else devices.push(parseLinuxDevice(validateLinuxPath(d)));
  }

  const envVars = [...f.list('env-file').flatMap((p) => parseKVFile(p, readFile, (k) => env[k])), ...dedupeEnv(envList)];
  const labelMap = kvMap([...f.list('label-file').flatMap((p) => parseKVFile(p, readFile)), ...labels]);

  const pidMode = f.str('pid') ?? '';
  if (!(pidMode === '' || pidMode === 'host' || (pidMode.startsWith('container:') && pidMode.length > 'container:'.length))) throw fail('--pid: invalid PID mode');
  const utsMode = f.str('uts') ?? '';
  if (utsMode !== '' && utsMode !== 'host') throw fail('--uts: invalid UTS mode');
  const usernsMode = f.str('userns') ?? '';
  if (usernsMode !== '' && usernsMode !== 'host') throw fail('--userns: invalid USER mode');
  const cgroupnsMode = f.str('cgroupns') ?? '';
  if (!['', 'host', 'private'].includes(cgroupnsMode)) throw fail('--cgroupns: invalid CGROUP mode');

  const restartPolicy = parseRestartPolicy(f.str('restart') ?? 'no');

  const logDriver = f.str('log-driver') ?? '';
  const logOpts = f.list('log-opt');
  if (logDriver === 'none' && logOpts.length > 0) throw fail(`invalid logging opts for driver ${logDriver}`);
  const logConfig = kvMap(logOpts);

  let securityOpts = parseSecurityOpts(f.list('security-opt'), readFile);
  let systemPathsUnconfined = false;
  securityOpts = securityOpts.filter((o) => {
    if (o !== 'systempaths=unconfined') return true;
    systemPathsUnconfined = true;
    return false;
  });

  const storageOpts: Record<string, string> = {};
  for (const o of f.list('storage-opt')) {
    const [k, v, ok] = cut(o, '=');
    if (!ok) throw fail('invalid storage option');
    storageOpts[k] = v;
  }

  const healthCmd = f.str('health-cmd') ?? '';
  const noHealthcheck = f.bool('no-healthcheck') || opts['healthcheck'] === false;
  const haveHealth = healthCmd !== '' || healthInterval !== 0 || healthTimeout !== 0 || healthStartPeriod !== 0 || healthRetries !== 0 || healthStartInterval !== 0;
  let healthcheck: HealthConfig | undefined;
  if (noHealthcheck) {
    if (haveHealth) throw fail('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    if (healthInterval < 0) throw fail('--health-interval cannot be negative');
    if (healthTimeout < 0) throw fail('--health-timeout cannot be negative');
    if (healthRetries < 0) throw fail('--health-retries cannot be negative');
    if (healthStartPeriod < 0) throw fail('--health-start-period cannot be negative');
    if (healthStartInterval < 0) throw fail('--health-start-interval cannot be negative');
    healthcheck = {};
    if (healthCmd !== '') healthcheck.Test = ['CMD-SHELL', healthCmd];
    if (healthInterval) healthcheck.Interval = healthInterval;
    if (healthTimeout) healthcheck.Timeout = healthTimeout;
    if (healthStartPeriod) healthcheck.StartPeriod = healthStartPeriod;
    if (healthStartInterval) healthcheck.StartInterval = healthStartInterval;
    if (healthRetries) healthcheck.Retries = healthRetries;
  }

  const deviceRequests = [...gpus];
  if (cdiDevices.length > 0) deviceRequests.push({ Driver: 'cdi', Count: 0, DeviceIDs: cdiDevices, Capabilities: null, Options: null });

  const autoRemove = f.bool('rm');
  if (autoRemove && restartPolicy.Name !== 'no' && restartPolicy.Name !== '') {
    throw fail('conflicting options: cannot specify both --restart and --rm');
  }

  const tty = f.bool('tty');
  let stdinOnce = stdin && attachStdin;

  const networkMode = networks[0]?.Target ?? 'default';
  const endpoints = parseNetworkOpts(networks, {
    aliases,
    links,
    ipv4: f.str('ip') ?? '',
    ipv6: f.str('ip6') ?? '',
    mac: macAddress,
    linkLocalIPs: f.list('link-local-ip'),
  });

  // docker run: -d detaches every stream.
  const detach = f.bool('detach');
  if (detach) {
    if (attachList.length !== 0) throw new RunOptionsError('conflicting options: cannot specify both --attach and --detach', 'plain');
    attachStdin = attachStdout = attachStderr = false;
    stdinOnce = false;
  }

  // ---- The request, in the API's field order; zero values left out.
  const set = <T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined, keep: boolean): void => {
    if (keep && v !== undefined) o[k] = v;
  };
  const nonEmpty = (v: unknown): boolean =>
    v !== undefined && v !== null && v !== '' && v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

  const hc: RunCreateRequest['HostConfig'] = {};
  const put = <K extends keyof RunCreateRequest['HostConfig']>(k: K, v: RunCreateRequest['HostConfig'][K]): void => set(hc, k, v, nonEmpty(v));
  put('Binds', binds);
  put('ContainerIDFile', f.str('cidfile'));
  if (logDriver !== '' || Object.keys(logConfig).length > 0) hc.LogConfig = { Type: logDriver, Config: logConfig };
  hc.NetworkMode = networkMode;
  put('PortBindings', portBindings);
  hc.RestartPolicy = restartPolicy;
  put('AutoRemove', autoRemove);
  put('VolumeDriver', f.str('volume-driver'));
  put('VolumesFrom', f.list('volumes-from'));
  put('Annotations', annotations);
  put('CapAdd', normalizeCapabilities(f.list('cap-add')));
  put('CapDrop', normalizeCapabilities(f.list('cap-drop')));
  put('CgroupnsMode', cgroupnsMode);
  put('Dns', dns);
  put('DnsOptions', dnsOptions);
  put('DnsSearch', dnsSearch);
  put('ExtraHosts', extraHosts);
  put('GroupAdd', f.list('group-add'));
  put('IpcMode', f.str('ipc'));
  put('Links', links);
  put('OomScoreAdj', oomScoreAdj);
  put('PidMode', pidMode);
  put('Privileged', f.bool('privileged'));
  put('PublishAllPorts', f.bool('publish-all'));
  put('ReadonlyRootfs', f.bool('read-only'));
  put('SecurityOpt', securityOpts);
  put('StorageOpt', storageOpts);
  put('Tmpfs', tmpfs);
  put('UTSMode', utsMode);
  put('UsernsMode', usernsMode);
  put('ShmSize', shmSize);
  put('Sysctls', sysctls);
  put('Runtime', f.str('runtime'));
  put('Isolation', f.str('isolation'));
  put('CpuShares', cpuShares);
  put('Memory', memory);
  put('NanoCpus', nanoCpus);
  put('CgroupParent', f.str('cgroup-parent'));
  put('BlkioWeight', blkioWeight);
  put('BlkioWeightDevice', blkioWeightDevice);
  put('BlkioDeviceReadBps', deviceReadBps);
  put('BlkioDeviceWriteBps', deviceWriteBps);
  put('BlkioDeviceReadIOps', deviceReadIOps);
  put('BlkioDeviceWriteIOps', deviceWriteIOps);
  put('CpuPeriod', cpuPeriod);
  put('CpuQuota', cpuQuota);
  put('CpuRealtimePeriod', cpuRtPeriod);
  put('CpuRealtimeRuntime', cpuRtRuntime);
  put('CpusetCpus', f.str('cpuset-cpus'));
  put('CpusetMems', f.str('cpuset-mems'));
  put('Devices', devices);
  put('DeviceCgroupRules', deviceCgroupRules);
  put('DeviceRequests', deviceRequests);
  put('MemoryReservation', memoryReservation);
  put('MemorySwap', memorySwap);
  hc.MemorySwappiness = swappiness;
  put('OomKillDisable', f.bool('oom-kill-disable'));
  put('PidsLimit', pidsLimit);
  put('Ulimits', [...ulimitMap.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)));
  put('CpuCount', cpuCount);
  put('CpuPercent', cpuPercent);
  put('IOMaximumIOps', ioMaxIOps);
  put('IOMaximumBandwidth', ioMaxBandwidth);
  put('Mounts', mounts);
  if (systemPathsUnconfined) {
    hc.MaskedPaths = [];
    hc.ReadonlyPaths = [];
  }
  if (f.raw('init') !== undefined && f.raw('init') !== null) hc.Init = f.bool('init');

  const req = {} as RunCreateRequest;
  const cput = <K extends keyof RunCreateRequest>(k: K, v: RunCreateRequest[K]): void => set(req, k, v, nonEmpty(v));
  cput('Hostname', f.str('hostname'));
  cput('Domainname', f.str('domainname'));
  cput('User', f.str('user'));
  req.AttachStdin = attachStdin;
  req.AttachStdout = attachStdout;
  req.AttachStderr = attachStderr;
  cput('ExposedPorts', exposedPorts);
  req.Tty = tty;
  req.OpenStdin = stdin;
  req.StdinOnce = stdinOnce;
  cput('Env', envVars);
  if (cmd) req.Cmd = cmd;
  cput('Healthcheck', healthcheck);
  req.Image = image;
  cput('Volumes', volumes);
  cput('WorkingDir', f.str('workdir'));
  if (entrypoint) req.Entrypoint = entrypoint;
  cput('Labels', labelMap);
  cput('StopSignal', f.str('stop-signal'));
  if (stopTimeout !== undefined) req.StopTimeout = stopTimeout;
  req.HostConfig = hc;
  req.NetworkingConfig = { EndpointsConfig: endpoints };

  const warnings: string[] = [];
  const loop = dns.find((d) => isLoopback(d));
  if (loop !== undefined) warnings.push(`Localhost DNS (${loop}) may fail in containers.`);

  const attach: AttachStream[] = [];
  if (attachStdin) attach.push('stdin');
  if (attachStdout) attach.push('stdout');
  if (attachStderr) attach.push('stderr');

  const parsed: ParsedRun = {
    request: req,
    pull: pullOpt === '' ? 'never' : (pullOpt as ParsedRun['pull']),
    detach,
    attach,
    sigProxy: f.bool('sig-proxy', true),
    quiet: f.bool('quiet'),
    useApiSocket: f.bool('use-api-socket'),
    warnings,
  };
  const name = f.str('name');
  if (name) parsed.name = name;
  const platform = f.str('platform');
  if (platform) {
    // Checked when creating: `docker create` prints the error bare (status 1), `docker run` as `docker: …` (125).
    try {
      parsed.platform = normalizePlatform(platform);
    } catch (e) {
      throw new RunOptionsError(messageOf(e), command === 'create' ? 'plain' : 'parse');
    }
  }
  const detachKeys = f.str('detach-keys');
  if (detachKeys) parsed.detachKeys = detachKeys;
  const cidfile = f.str('cidfile');
  if (cidfile) parsed.cidfile = cidfile;
  return parsed;
}
