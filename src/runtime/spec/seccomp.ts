/**
 * Docker-format seccomp profiles → the OCI `linux.seccomp` object.
 *
 * A Docker profile is the OCI object plus conditions: `archMap` (the native
 * architecture and its sub-architectures) and per-rule `includes` / `excludes`
 * on architecture, the container's capabilities (bounding set) and the host
 * kernel version. Conversion keeps a rule when every `includes` condition holds
 * and no `excludes` condition does, exactly as moby's profiles/seccomp
 * (setupSeccomp). Pure: the kernel version and the architecture are inputs.
 *
 * `defaultProfile()` is berth's default profile (seccomp-default.json, the data
 * of Docker's current default profile).
 */
import { invalidParameter } from '../../errdefs/errdefs.js';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from './oci-types.js';
import defaultProfileData from './seccomp-default.json' with { type: 'json' };

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  /** "<kernel>.<major>", e.g. "4.8" */
  minKernel?: string;
}

export interface DockerSeccompSyscall {
  /** deprecated single-name form; converted to names */
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface DockerSeccompArchitecture {
  architecture: string;
  subArchitectures: string[] | null;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  /** old format: the architectures list itself (mutually exclusive with archMap) */
  architectures?: string[];
  archMap?: DockerSeccompArchitecture[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSeccompSyscall[];
}

export interface SeccompContext {
  /** Go architecture name (amd64, arm64, 386, …) */
  arch: string;
  /** the container's bounding capability set ("CAP_SYS_ADMIN" …) */
  capabilities: readonly string[];
  /** host kernel release ("6.1.0-18-amd64"); absent or unparsable counts as new enough for every minKernel */
  kernelVersion?: string;
}

/** Go arch → the libseccomp native name used in `arches` conditions (moby's goToNative). */
const GO_TO_NATIVE: Record<string, string> = {
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips: 'mips',
  mips64: 'mips64',
  mips64p32: 'mips64n32',
  mips64le: 'mipsel64',
  mips64p32le: 'mips3l64n32',
  mipsle: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** libseccomp native name → the OCI SCMP_ARCH_* constant. */
const NATIVE_TO_SCMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel: 'SCMP_ARCH_MIPSEL',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** Node's process.arch → Go's GOARCH (x64 → amd64, ia32 → 386, …). */
export function goArch(nodeArch: string): string {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      // Node's Linux ppc64 builds are little-endian
      return 'ppc64le';
    case 'mipsel':
      return 'mipsle';
    default:
      return nodeArch;
  }
}

/** A fresh copy of berth's default profile (Docker format). */
export function defaultProfile(): DockerSeccompProfile {
  return structuredClone(defaultProfileData as DockerSeccompProfile);
}

interface KernelVersion {
  kernel: number;
  major: number;
}

/** A profile's minKernel: exactly "<kernel>.<major>", not 0.0 (moby's KernelVersion.UnmarshalJSON). */
function parseMinKernel(v: string): KernelVersion {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  const kv = m ? { kernel: Number(m[1]), major: Number(m[2]) } : undefined;
  if (!kv || kv.kernel > 255 || kv.major > 255 || (kv.kernel === 0 && kv.major === 0)) {
    throw invalidParameter(`Decoding seccomp profile failed: invalid kernel version: "${v}", expected "<kernel>.<major>"`);
  }
  return kv;
}

/** The host's release ("6.1.0-18-amd64", "3.12-1-amd64"); undefined when unparsable. */
function parseRelease(release: string | undefined): KernelVersion | undefined {
  const m = release === undefined ? null : /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? { kernel: Number(m[1]), major: Number(m[2]) } : undefined;
}

function kernelAtLeast(host: KernelVersion | undefined, min: KernelVersion): boolean {
  if (!host) return true;
  return host.kernel > min.kernel || (host.kernel === min.kernel && host.major >= min.major);
}

// ---- shape checks for profiles that come from users ------------------------------------------

function fail(what: string): never {
  throw invalidParameter(`Decoding seccomp profile failed: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${where}.${key} must be a string`);
  return v;
}

function optNumber(o: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${where}.${key} must be a non-negative integer`);
  return v;
}

function optStrings(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(`${where}.${key} must be an array of strings`);
  return v as string[];
}

function checkFilter(v: unknown, where: string): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(`${where} must be an object`);
  const f: SeccompFilter = {};
  const caps = optStrings(v, 'caps', where);
  const arches = optStrings(v, 'arches', where);
  const minKernel = optString(v, 'minKernel', where);
  if (caps) f.caps = caps;
  if (arches) f.arches = arches;
  if (minKernel) {
    parseMinKernel(minKernel);
    f.minKernel = minKernel;
  }
  return f;
}

function checkArg(v: unknown, where: string): LinuxSeccompArg {
  if (!isObject(v)) fail(`${where} must be an object`);
  const index = optNumber(v, 'index', where);
  const value = optNumber(v, 'value', where);
  const valueTwo = optNumber(v, 'valueTwo', where);
  const op = optString(v, 'op', where);
  if (op === undefined) fail(`${where}.op is required`);
  const arg: LinuxSeccompArg = { index: index ?? 0, value: value ?? 0, op };
  if (valueTwo !== undefined && valueTwo !== 0) arg.valueTwo = valueTwo;
  return arg;
}

/**
 * Validates the shape of a parsed Docker-format profile (or its JSON text) and
 * returns it typed. Throws InvalidParameter "Decoding seccomp profile failed: …".
 */
export function parseSeccompProfile(raw: unknown): DockerSeccompProfile {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch (err) {
      fail((err as Error).message);
    }
  }
  if (!isObject(v)) fail('the profile must be a JSON object');
  const p: DockerSeccompProfile = { defaultAction: optString(v, 'defaultAction', 'profile') ?? '' };
  const defaultErrnoRet = optNumber(v, 'defaultErrnoRet', 'profile');
  if (defaultErrnoRet !== undefined) p.defaultErrnoRet = defaultErrnoRet;
  const architectures = optStrings(v, 'architectures', 'profile');
  if (architectures) p.architectures = architectures;
  const flags = optStrings(v, 'flags', 'profile');
  if (flags) p.flags = flags;
  const listenerPath = optString(v, 'listenerPath', 'profile');
  if (listenerPath) p.listenerPath = listenerPath;
  const listenerMetadata = optString(v, 'listenerMetadata', 'profile');
  if (listenerMetadata) p.listenerMetadata = listenerMetadata;
  if (v.archMap !== undefined && v.archMap !== null) {
    if (!Array.isArray(v.archMap)) fail('profile.archMap must be an array');
    p.archMap = v.archMap.map((a: unknown, i) => {
      const where = `archMap[${i}]`;
      if (!isObject(a)) fail(`${where} must be an object`);
      const architecture = optString(a, 'architecture', where);
      if (!architecture) fail(`${where}.architecture is required`);
      return { architecture, subArchitectures: optStrings(a, 'subArchitectures', where) ?? [] };
    });
  }
  if (v.syscalls !== undefined && v.syscalls !== null) {
    if (!Array.isArray(v.syscalls)) fail('profile.syscalls must be an array');
    p.syscalls = v.syscalls.map((s: unknown, i) => {
      const where = `syscalls[${i}]`;
      if (!isObject(s)) fail(`${where} must be an object`);
      const call: DockerSeccompSyscall = { action: optString(s, 'action', where) ?? '' };
      const name = optString(s, 'name', where);
      const names = optStrings(s, 'names', where);
      if (name) call.name = name;
      if (names) call.names = names;
      const errnoRet = optNumber(s, 'errnoRet', where);
      if (errnoRet !== undefined) call.errnoRet = errnoRet;
      if (s.args !== undefined && s.args !== null) {
        if (!Array.isArray(s.args)) fail(`${where}.args must be an array`);
        call.args = s.args.map((a: unknown, j) => checkArg(a, `${where}.args[${j}]`));
      }
      const includes = checkFilter(s.includes, `${where}.includes`);
      const excludes = checkFilter(s.excludes, `${where}.excludes`);
      if (includes) call.includes = includes;
      if (excludes) call.excludes = excludes;
      return call;
    });
  }
  return p;
}

// ---- conversion --------------------------------------------------------------------------------

/**
 * Converts a Docker-format profile (parsed JSON, its text, or a DockerSeccompProfile)
 * into `linux.seccomp` for the given architecture, capabilities and kernel.
 * Returns undefined for a profile with neither a default action nor rules
 * (Docker treats that as "seccomp disabled"). Throws InvalidParameter for
 * malformed profiles, for "name" and "names" in one rule, and for
 * "architectures" together with "archMap".
 */
export function convertSeccompProfile(profile: unknown, ctx: SeccompContext): LinuxSeccomp | undefined {
  const p = parseSeccompProfile(profile);
  const syscalls = p.syscalls ?? [];
  if (p.defaultAction === '' && syscalls.length === 0) return undefined;
  if ((p.architectures?.length ?? 0) > 0 && (p.archMap?.length ?? 0) > 0) {
    throw invalidParameter(
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  }

  const native = GO_TO_NATIVE[ctx.arch] ?? ctx.arch;
  const host = parseRelease(ctx.kernelVersion);
  const caps = new Set(ctx.capabilities);

  const out: LinuxSeccomp = { defaultAction: p.defaultAction };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  const architectures = [...(p.architectures ?? [])];
  const scmp = NATIVE_TO_SCMP[native];
  const entry = scmp === undefined ? undefined : p.archMap?.find((a) => a.architecture === scmp);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;
  if (p.flags && p.flags.length > 0) out.flags = [...p.flags];
  if (p.listenerPath) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata) out.listenerMetadata = p.listenerMetadata;

  const rules: LinuxSyscall[] = [];
  for (const call of syscalls) {
    let names = call.names ?? [];
    if (call.name) {
      if (names.length > 0) {
        throw invalidParameter(
          "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
        );
      }
      names = [call.name];
    }
    const ex = call.excludes;
    if (ex) {
      if (ex.arches && ex.arches.includes(native)) continue;
      if (ex.caps && ex.caps.some((c) => caps.has(c))) continue;
      if (ex.minKernel && kernelAtLeast(host, parseMinKernel(ex.minKernel))) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(native)) continue;
      if (inc.caps && !inc.caps.every((c) => caps.has(c))) continue;
      if (inc.minKernel && !kernelAtLeast(host, parseMinKernel(inc.minKernel))) continue;
    }
    const rule: LinuxSyscall = { names: [...names], action: call.action };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) rule.args = call.args.map((a) => ({ ...a }));
    rules.push(rule);
  }
  out.syscalls = rules;
  return out;
}
