/**
 * The value types of run/create flags (the Set() of docker's opts: a bad
 * value is refused when the flag is read) and the small parsers docker's
 * parse() applies to single flags afterwards.
 */
import { posix } from 'node:path';
import type { DeviceMapping, RestartPolicy, Ulimit } from '../../api/types/containers.js';
import { goJSONCompact, goQuote, parseGoAtoi, parseGoInt, parseGoUint10, parseIP, ramInBytes, readCSVRecord } from './goparse.js';
import { cut, kvMap, labelProblem } from './kv.js';
import { fail, goFileError, messageOf } from './run-errors.js';
import type { AttachStream, DeviceRequest, ThrottleDevice, WeightDevice } from './run-types.js';

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  let out = posix.normalize(p);
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

export function validateAttach(v: string): AttachStream {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

export function validateEnv(env: NodeJS.ProcessEnv): (v: string) => string {
  return (val) => {
    const [k, , hasValue] = cut(val, '=');
    if (k === '') throw new Error('invalid environment variable: ' + val);
    if (hasValue) return val;
    const e = env[k];
    return e !== undefined ? `${k}=${e}` : val;
  };
}

export function validateLabel(value: string): string {
  const problem = labelProblem(value);
  if (problem) throw new Error(problem);
  return value;
}

const SYSCTL_NAMES = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export function validateSysctl(val: string): string {
  const [k, , ok] = cut(val, '=');
  if (ok && k !== '' && (SYSCTL_NAMES.has(k) || k.startsWith('net.') || k.startsWith('fs.mqueue.'))) return val;
  throw new Error(`sysctl '${val}' is not allowed`);
}

export function validateIPAddress(val: string): string {
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

export function validateDNSSearch(v: string): string {
  const val = v.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  if (!/[a-zA-Z]/.test(val)) throw new Error(`${val} is not a valid domain`);
  const m = DOMAIN_RE.exec(val);
  if (m && m[1]!.length < 255) return m[1]!;
  throw new Error(`${val} is not a valid domain`);
}

export function validateLink(val: string): string {
  if (val === '') throw new Error('empty string specified for links');
  if (val.split(':').length > 2) throw new Error('bad format for links: ' + val);
  return val;
}

const DEVICE_CGROUP_RULE = /^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/;

export function validateDeviceCgroupRule(val: string): string {
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

export function validateWeightDevice(val: string): WeightDevice {
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

export function validateThrottleBps(val: string): ThrottleDevice {
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

export function validateThrottleIOps(val: string): ThrottleDevice {
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
export function parseGpus(value: string): DeviceRequest {
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

function validDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const legal: Record<string, boolean> = { r: true, w: true, m: true };
  for (const c of mode) {
    if (!legal[c]) return false;
    legal[c] = false;
  }
  return true;
}

export function validateLinuxPath(val: string): string {
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

export function parseLinuxDevice(device: string): DeviceMapping {
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
export function isCDIName(device: string): boolean {
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

export function parseSecurityOpts(securityOpts: string[], readFile: (p: string) => string): string[] {
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
export function normalizeCapabilities(caps: string[]): string[] {
  const out = new Set<string>();
  for (let c of caps) {
    c = c.toUpperCase();
    if (c !== CAP_ALL && !c.startsWith('CAP_')) c = 'CAP_' + c;
    out.add(c);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Keeps the last value per key at the position of its first mention (Go ranges over a map here). */
export function dedupeEnv(values: string[]): string[] {
  const m = new Map<string, string | null>();
  for (const v of values) {
    const [k, val, ok] = cut(v, '=');
    m.set(k, ok ? val : null);
  }
  return [...m].map(([k, v]) => (v === null ? k : `${k}=${v}`));
}
