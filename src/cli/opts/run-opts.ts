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
 * tells them apart and runErrorText renders them as docker does. The
 * checks run in docker's order, so the first error is docker's first.
 */
import { readFileSync } from 'node:fs';
import type { DeviceMapping, PortBinding, Ulimit } from '../../api/types/containers.js';
import type { OptSpec, Opts } from '../command.js';
import { goQuote, isLoopback, isValidMAC, parseDuration, parseGoBool, parseGoInt, parseGoUint, parseNanoCPUs, ramInBytes } from './goparse.js';
import { cut, kvMap, parseKVFile } from './kv.js';
import { absIfDotRelative, parseMount, parseVolumeSpec, type VolumeSpec } from './mounts.js';
import { parseNetworkOpt } from './network-opt.js';
import { normalizePlatform } from './platform.js';
import { convertToStandardNotation, parsePortRange, parsePortSpec, splitProtoPort, type PortMapping } from './ports.js';
import { buildConfig, buildHostConfig, buildNetworkingConfig } from './run-build.js';
import { RunOptionsError, fail, goFileError, messageOf } from './run-errors.js';
import { CREATE_OPTIONS, RUN_ONLY_OPTIONS, longName } from './run-flags.js';
import type { AttachStream, HealthFlags, ParsedRun, RunCreateRequest, RunOptions, RunResources } from './run-types.js';
import {
  dedupeEnv,
  isCDIName,
  normalizeCapabilities,
  parseGpus,
  parseLinuxDevice,
  parseRestartPolicy,
  parseSecurityOpts,
  parseUlimit,
  validateAttach,
  validateDNSSearch,
  validateDeviceCgroupRule,
  validateEnv,
  validateExtraHost,
  validateIPAddress,
  validateLabel,
  validateLink,
  validateLinuxPath,
  validateSysctl,
  validateThrottleBps,
  validateThrottleIOps,
  validateWeightDevice,
} from './run-values.js';

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


type ReadFile = (p: string) => string;

// ---------------------------------------------------------------------------
// Stage 1: flag values (pflag's Set), in docker's order.

/** The list flags whose type checks each value, -a through --mount. */
function readListFlags(f: OptReader, env: NodeJS.ProcessEnv) {
  const attach = f.each('attach', validateAttach);
  const deviceCgroupRules = f.each('device-cgroup-rule', validateDeviceCgroupRule);
  const gpus = f.each('gpus', parseGpus);
  const envValues = f.each('env', validateEnv(env));
  const labels = f.each('label', validateLabel);
  const stopTimeout = f.one('stop-timeout', (v) => parseGoInt(v));
  const sysctls = kvMap(f.each('sysctl', validateSysctl));
  const ulimitMap = new Map<string, Ulimit>();
  for (const u of f.each('ulimit', parseUlimit)) ulimitMap.set(u.Name, u);
  const ulimits = [...ulimitMap.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const extraHosts = f.each('add-host', validateExtraHost);
  const dns = f.each('dns', validateIPAddress);
  const dnsSearch = f.each('dns-search', validateDNSSearch);
  const links = f.each('link', validateLink);
  const networks = [...f.each('network', parseNetworkOpt), ...f.each('net', parseNetworkOpt)];
  const mounts = f.each('mount', parseMount);
  return { attach, deviceCgroupRules, gpus, envValues, labels, stopTimeout, sysctls, ulimits, extraHosts, dns, dnsSearch, links, networks, mounts };
}

function readHealthFlags(f: OptReader, opts: Opts): HealthFlags {
  const interval = f.one('health-interval', parseDuration) ?? 0;
  const retries = f.one('health-retries', (v) => parseGoInt(v)) ?? 0;
  const timeout = f.one('health-timeout', parseDuration) ?? 0;
  const startPeriod = f.one('health-start-period', parseDuration) ?? 0;
  const startInterval = f.one('health-start-interval', parseDuration) ?? 0;
  // commander reads a lone --no-healthcheck as healthcheck=false.
  const disabled = f.bool('no-healthcheck') || opts['healthcheck'] === false;
  return { cmd: f.str('health-cmd') ?? '', interval, timeout, startPeriod, startInterval, retries, disabled };
}

/** The resource flags that have a value type (sizes, counts, device limits). */
function readResourceFlags(f: OptReader): RunResources {
  const int = (v: string): number => parseGoInt(v);
  const r: RunResources = {
    BlkioWeight: f.one('blkio-weight', (v) => parseGoUint(v, 16)) ?? 0,
    BlkioWeightDevice: f.each('blkio-weight-device', validateWeightDevice),
    CpuCount: f.one('cpu-count', int) ?? 0,
    CpuPercent: f.one('cpu-percent', int) ?? 0,
    CpuPeriod: f.one('cpu-period', int) ?? 0,
    CpuQuota: f.one('cpu-quota', int) ?? 0,
    CpuRealtimePeriod: f.one('cpu-rt-period', int) ?? 0,
    CpuRealtimeRuntime: f.one('cpu-rt-runtime', int) ?? 0,
    CpuShares: f.one('cpu-shares', int) ?? 0,
    NanoCpus: f.one('cpus', parseNanoCPUs) ?? 0,
    BlkioDeviceReadBps: f.each('device-read-bps', validateThrottleBps),
    BlkioDeviceReadIOps: f.each('device-read-iops', validateThrottleIOps),
    BlkioDeviceWriteBps: f.each('device-write-bps', validateThrottleBps),
    BlkioDeviceWriteIOps: f.each('device-write-iops', validateThrottleIOps),
    IOMaximumBandwidth: f.one('io-maxbandwidth', ramInBytes) ?? 0,
    IOMaximumIOps: f.one('io-maxiops', (v) => parseGoUint(v, 64)) ?? 0,
  };
  f.one('kernel-memory', ramInBytes); // validated; the client drops it for API ≥ 1.42
  r.Memory = f.one('memory', ramInBytes) ?? 0;
  r.MemoryReservation = f.one('memory-reservation', ramInBytes) ?? 0;
  r.MemorySwap = f.one('memory-swap', (v) => (v === '-1' ? -1 : ramInBytes(v))) ?? 0;
  r.MemorySwappiness = f.one('memory-swappiness', int) ?? -1;
  return r;
}

/** The rest of the sized flags, after the resources as docker reads them. */
function readHostNumbers(f: OptReader): Pick<RunOptions, 'oomScoreAdj' | 'shmSize'> & { pidsLimit: number } {
  const oomScoreAdj = f.one('oom-score-adj', (v) => parseGoInt(v)) ?? 0;
  const pidsLimit = f.one('pids-limit', (v) => parseGoInt(v)) ?? 0;
  const shmSize = f.one('shm-size', ramInBytes) ?? 0;
  return { oomScoreAdj, pidsLimit, shmSize };
}

/** Flags annotated ostype=windows are refused before the command runs (berth's daemon is Linux). */
function refuseWindowsOnly(f: OptReader): void {
  const given = ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops'].filter((n) => f.raw(n) !== undefined && f.raw(n) !== null);
  if (given.length === 0) return;
  throw new RunOptionsError(given.map((n) => `"--${n}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`).join('\n'), 'plain');
}

// ---------------------------------------------------------------------------
// Stage 2: docker's validatePullOpt and parse(), in its order.

function readPull(f: OptReader): ParsedRun['pull'] {
  const pull = f.str('pull') ?? 'missing';
  if (!['always', 'missing', 'never', ''].includes(pull)) throw fail(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  // `--pull ""` is accepted by docker and behaves as "never".
  return pull === '' ? 'never' : (pull as ParsedRun['pull']);
}

function readMacAddress(f: OptReader): string {
  const mac = f.str('mac-address') ?? '';
  if (mac !== '' && !isValidMAC(mac.trim())) throw fail(`${mac} is not a valid mac address`);
  return mac;
}

/** -v: binds for specs with a source, anonymous volumes otherwise. */
function readVolumes(f: OptReader): Pick<RunOptions, 'binds' | 'volumes'> {
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
    const [host, target, ok] = cut(spec, ':');
    binds.push(parsed.type === 'bind' && ok ? absIfDotRelative(host) + ':' + target : spec);
  }
  return { binds, volumes };
}

/** -p then --expose: the ports exposed and their host bindings. */
function readPorts(f: OptReader): Pick<RunOptions, 'exposedPorts' | 'portBindings'> {
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
  return { exposedPorts, portBindings };
}

/** --device: host devices, and CDI names (`vendor.com/class=name`) as one device request. */
function readDevices(f: OptReader): { devices: DeviceMapping[]; cdiDevices: string[] } {
  const devices: DeviceMapping[] = [];
  const cdiDevices: string[] = [];
  for (const d of f.list('device')) {
    if (isCDIName(d)) cdiDevices.push(d);
    else devices.push(parseLinuxDevice(validateLinuxPath(d)));
  }
  return { devices, cdiDevices };
}

/** An env or label file's lines; a file that cannot be read or parsed is a parse error. */
function kvFile(path: string, readFile: ReadFile, lookup?: (k: string) => string | undefined): string[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw fail(messageOf(goFileError(path, e)));
  }
  try {
    return parseKVFile(path, text, lookup);
  } catch (e) {
    throw fail(messageOf(e));
  }
}

function readNamespaces(f: OptReader): Pick<RunOptions, 'pidMode' | 'utsMode' | 'usernsMode' | 'cgroupnsMode'> {
  const pidMode = f.str('pid') ?? '';
  if (!(pidMode === '' || pidMode === 'host' || (pidMode.startsWith('container:') && pidMode.length > 'container:'.length))) throw fail('--pid: invalid PID mode');
  const utsMode = f.str('uts') ?? '';
  if (utsMode !== '' && utsMode !== 'host') throw fail('--uts: invalid UTS mode');
  const usernsMode = f.str('userns') ?? '';
  if (usernsMode !== '' && usernsMode !== 'host') throw fail('--userns: invalid USER mode');
  const cgroupnsMode = f.str('cgroupns') ?? '';
  if (!['', 'host', 'private'].includes(cgroupnsMode)) throw fail('--cgroupns: invalid CGROUP mode');
  return { pidMode, utsMode, usernsMode, cgroupnsMode };
}

function readLogging(f: OptReader): Pick<RunOptions, 'logDriver' | 'logOpts'> {
  const logDriver = f.str('log-driver') ?? '';
  const opts = f.list('log-opt');
  if (logDriver === 'none' && opts.length > 0) throw fail(`invalid logging opts for driver ${logDriver}`);
  return { logDriver, logOpts: kvMap(opts) };
}

function readSecurity(f: OptReader, readFile: ReadFile): Pick<RunOptions, 'securityOpts' | 'systemPathsUnconfined'> {
  const all = parseSecurityOpts(f.list('security-opt'), readFile);
  const securityOpts = all.filter((o) => o !== 'systempaths=unconfined');
  return { securityOpts, systemPathsUnconfined: securityOpts.length !== all.length };
}

function readStorageOpts(f: OptReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of f.list('storage-opt')) {
    const [k, v, ok] = cut(o, '=');
    if (!ok) throw fail('invalid storage option');
    out[k] = v;
  }
  return out;
}

/** --tmpfs `path[:options]`. */
function readTmpfs(f: OptReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const [k, v] = cut(t, ':');
    out[k] = v;
  }
  return out;
}

/** The flags read as they are, without a check of their own (those not given are left out). */
function readPlainFlags(f: OptReader): Partial<RunOptions> {
  const plain: Partial<RunOptions> = {
    hostname: f.str('hostname'),
    domainname: f.str('domainname'),
    user: f.str('user'),
    workdir: f.str('workdir'),
    entrypoint: f.str('entrypoint'),
    stopSignal: f.str('stop-signal'),
    cidfile: f.str('cidfile'),
    volumeDriver: f.str('volume-driver'),
    ipc: f.str('ipc'),
    runtime: f.str('runtime'),
    isolation: f.str('isolation'),
    name: f.str('name'),
    platform: f.str('platform'),
    detachKeys: f.str('detach-keys'),
  };
  return Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)) as Partial<RunOptions>;
}

type FlagValues = ReturnType<typeof readFlagValues>;
type CheckedValues = ReturnType<typeof readCheckedValues>;

/** Stage 1: every flag that has a value type, in docker's order; then the Windows-only refusal. */
function readFlagValues(f: OptReader, env: NodeJS.ProcessEnv, opts: Opts) {
  const lists = readListFlags(f, env);
  const health = readHealthFlags(f, opts);
  const resources = readResourceFlags(f);
  const numbers = readHostNumbers(f);
  refuseWindowsOnly(f);
  return { ...lists, health, resources, ...numbers };
}

/** Stage 2: docker's parse() checks, in its order, up to what the builders check. */
function readCheckedValues(f: OptReader, v: FlagValues, env: NodeJS.ProcessEnv, readFile: ReadFile) {
  const pull = readPull(f);
  const mac = readMacAddress(f);
  const swappiness = v.resources.MemorySwappiness ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw fail(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  const volumes = readVolumes(f);
  const tmpfs = readTmpfs(f);
  const ports = readPorts(f);
  const devices = readDevices(f);
  const envFiles = f.list('env-file').flatMap((p) => kvFile(p, readFile, (k) => env[k]));
  const labels = kvMap([...f.list('label-file').flatMap((p) => kvFile(p, readFile)), ...v.labels]);
  const namespaces = readNamespaces(f);
  const restart = parseRestartPolicy(f.str('restart') ?? 'no');
  const logging = readLogging(f);
  const security = readSecurity(f, readFile);
  const storageOpts = readStorageOpts(f);
  return { pull, mac, ...volumes, tmpfs, ...ports, ...devices, env: [...envFiles, ...dedupeEnv(v.envValues)], labels, ...namespaces, restart, ...logging, ...security, storageOpts };
}

/** What container.Config is built from. */
function configOptions(f: OptReader, v: FlagValues, c: CheckedValues, args: string[]) {
  return {
    image: args[0] ?? '',
    ...(args.length > 1 ? { cmd: args.slice(1) } : {}),
    attach: v.attach,
    interactive: f.bool('interactive'),
    tty: f.bool('tty'),
    detach: f.bool('detach'),
    exposedPorts: c.exposedPorts,
    env: c.env,
    labels: c.labels,
    health: v.health,
    volumes: c.volumes,
    ...(v.stopTimeout !== undefined ? { stopTimeout: v.stopTimeout } : {}),
  };
}

/** What HostConfig is built from, its resources aside. */
function hostOptions(f: OptReader, v: FlagValues, c: CheckedValues) {
  return {
    binds: c.binds,
    logDriver: c.logDriver,
    logOpts: c.logOpts,
    portBindings: c.portBindings,
    restart: c.restart,
    autoRemove: f.bool('rm'),
    volumesFrom: f.list('volumes-from'),
    annotations: kvMap(f.list('annotation')),
    capAdd: normalizeCapabilities(f.list('cap-add')),
    capDrop: normalizeCapabilities(f.list('cap-drop')),
    dns: v.dns,
    dnsOptions: [...f.list('dns-option'), ...f.list('dns-opt')],
    dnsSearch: v.dnsSearch,
    extraHosts: v.extraHosts,
    groupAdd: f.list('group-add'),
    links: v.links,
    oomScoreAdj: v.oomScoreAdj,
    ...pick(c, 'pidMode', 'utsMode', 'usernsMode', 'cgroupnsMode', 'securityOpts', 'systemPathsUnconfined', 'storageOpts', 'tmpfs'),
    privileged: f.bool('privileged'),
    publishAll: f.bool('publish-all'),
    readOnly: f.bool('read-only'),
    shmSize: v.shmSize,
    sysctls: v.sysctls,
    mounts: v.mounts,
    ...(f.raw('init') !== undefined && f.raw('init') !== null ? { init: f.bool('init') } : {}),
  };
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** HostConfig's resources: the typed ones of stage 1, the devices of stage 2, and the plain ones. */
function resourceOptions(f: OptReader, v: FlagValues, c: CheckedValues): RunResources {
  const deviceRequests = [...v.gpus];
  if (c.cdiDevices.length > 0) deviceRequests.push({ Driver: 'cdi', Count: 0, DeviceIDs: c.cdiDevices, Capabilities: null, Options: null });
  const plain = { CgroupParent: f.str('cgroup-parent'), CpusetCpus: f.str('cpuset-cpus'), CpusetMems: f.str('cpuset-mems') };
  return {
    ...v.resources,
    ...Object.fromEntries(Object.entries(plain).filter(([, s]) => s !== undefined)),
    Devices: c.devices,
    DeviceCgroupRules: v.deviceCgroupRules,
    DeviceRequests: deviceRequests,
    OomKillDisable: f.bool('oom-kill-disable'),
    PidsLimit: v.pidsLimit,
    Ulimits: v.ulimits,
  };
}

/** --network and the legacy flags that apply to the first network. */
function networkOptions(f: OptReader, v: FlagValues, c: CheckedValues): Pick<RunOptions, 'networks' | 'legacyNet'> {
  const aliases = [...f.list('network-alias'), ...f.list('net-alias')];
  return {
    networks: v.networks,
    legacyNet: { aliases, links: v.links, ipv4: f.str('ip') ?? '', ipv6: f.str('ip6') ?? '', mac: c.mac, linkLocalIPs: f.list('link-local-ip') },
  };
}

/**
 * docker run / docker create's options and arguments ([IMAGE, ...COMMAND]),
 * read and checked in docker's order, up to what the builders check
 * themselves (health checks, --rm with a restart policy, networks). env is
 * where `-e FOO` and env-file `FOO` lines look values up; readFile reads
 * --env-file, --label-file and seccomp profiles. Throws RunOptionsError.
 */
export function readRunOptions(opts: Opts, args: string[], env: NodeJS.ProcessEnv, readFile: ReadFile): RunOptions {
  const f = new OptReader(opts);
  const v = readFlagValues(f, env, opts);
  const c = readCheckedValues(f, v, env, readFile);
  return {
    ...readPlainFlags(f),
    ...configOptions(f, v, c, args),
    ...hostOptions(f, v, c),
    resources: resourceOptions(f, v, c),
    ...networkOptions(f, v, c),
    pull: c.pull,
    sigProxy: f.bool('sig-proxy', true),
    quiet: f.bool('quiet'),
    useApiSocket: f.bool('use-api-socket'),
  };
}

/**
 * docker run / docker create's options and arguments ([IMAGE, ...COMMAND])
 * → the create request and the client-side settings. command only changes
 * how a bad --platform is reported (guessed from run-only options when
 * omitted). Throws RunOptionsError.
 */
export function parseRunOptions(
  opts: Opts,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  readFile: ReadFile = (p) => readFileSync(p, 'utf8'),
  command: 'run' | 'create' = 'sigProxy' in opts || 'detach' in opts ? 'run' : 'create',
): ParsedRun {
  const o = readRunOptions(opts, args, env, readFile);
  const request: RunCreateRequest = { ...buildConfig(o), HostConfig: buildHostConfig(o), NetworkingConfig: buildNetworkingConfig(o) };
  if (o.detach && o.attach.length !== 0) throw new RunOptionsError('conflicting options: cannot specify both --attach and --detach', 'plain');
  return clientSettings(o, request, command);
}

/** What the command does besides sending the request: pull, attach, name, platform… */
function clientSettings(o: RunOptions, request: RunCreateRequest, command: 'run' | 'create'): ParsedRun {
  const loop = o.dns.find((d) => isLoopback(d));
  const attach: AttachStream[] = [];
  if (request.AttachStdin) attach.push('stdin');
  if (request.AttachStdout) attach.push('stdout');
  if (request.AttachStderr) attach.push('stderr');
  const parsed: ParsedRun = {
    request,
    pull: o.pull,
    detach: o.detach,
    attach,
    sigProxy: o.sigProxy,
    quiet: o.quiet,
    useApiSocket: o.useApiSocket,
    warnings: loop !== undefined ? [`Localhost DNS (${loop}) may fail in containers.`] : [],
  };
  if (o.name) parsed.name = o.name;
  if (o.platform) {
    // Checked when creating: `docker create` prints the error bare (status 1), `docker run` as `docker: …` (125).
    try {
      parsed.platform = normalizePlatform(o.platform);
    } catch (e) {
      throw new RunOptionsError(messageOf(e), command === 'create' ? 'plain' : 'parse');
    }
  }
  if (o.detachKeys) parsed.detachKeys = o.detachKeys;
  if (o.cidfile) parsed.cidfile = o.cidfile;
  return parsed;
}
