/**
 * From a container record to the OCI runtime config its bundle gets: resolves
 * the user and working directory inside the mounted root filesystem, the
 * environment defaults Docker adds, namespaces shared with other containers,
 * the /etc files, host binds, and what other subsystems contribute (network
 * namespace, volumes) through RuntimeHooks.
 */
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import os from 'node:os';
import { conflict, errnoCode, internal, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { buildSpec, type NamespaceMode, type SpecDevice, type SpecInput, type SpecMount } from '../runtime/spec/build.js';
import type { Spec } from '../runtime/spec/oci-types.js';
import type { ContainerPaths } from './paths.js';
import type { ContainerRecord } from './types.js';
import { parseDeviceCgroupRule } from './device-rules.js';
import { resolveUser } from './user.js';
import type { Host } from '../sys/host.js';
import { capabilitiesFromMask } from '../runtime/spec/caps.js';

/** The container's cgroup, below the engine's own (`/berth`). */
/** The container's cgroup: under its CgroupParent when it has one (as dockerd's cgroupfs driver), else under /berth. */
export const cgroupPathOf = (rec: { id: string; spec: { cgroupParent?: string } }): string => `${rec.spec.cgroupParent ?? '/berth'}/${rec.id}`;

let hostCaps: string[] | undefined;
const hostCapabilities = (host: Host): string[] => (hostCaps ??= capabilitiesFromMask(host.facts.capabilityBoundingMask()));

/** What a container's spec needs from beyond its record, computed at each start. */
export interface SpecContext {
  host: Host;
  /** Volumes, binds and tmpfs (the MountProvider's runtime mounts). */
  mounts: SpecMount[];
  /** Extra environment: the legacy --link variables. */
  env: string[];
  /** The pid of another container's process, for `container:<name>` modes; throws when it is not running. */
  namespacePid(ref: string): number;
}

export const INIT_BINARY = '/usr/bin/tini-static';
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function joinedNamespace(mode: string, kind: 'net' | 'pid' | 'ipc', ctx: SpecContext): NamespaceMode | undefined {
  if (mode === 'host') return { mode: 'host' };
  if (mode.startsWith('container:')) {
    const pid = ctx.namespacePid(mode.slice('container:'.length));
    return { mode: 'path', path: `/proc/${pid}/ns/${kind}` };
  }
  return undefined;
}

export function parseSecurityOpts(opts: readonly string[]): { noNewPrivileges: boolean; seccomp: SpecInput['seccomp']; apparmor?: string } {
  let noNewPrivileges = false;
  let seccomp: SpecInput['seccomp'] = { mode: 'default' };
  let apparmor: string | undefined;
  for (const raw of opts) {
    const sep = raw.search(/[=:]/);
    const key = sep < 0 ? raw : raw.slice(0, sep);
    const value = sep < 0 ? '' : raw.slice(sep + 1);
    switch (key) {
      case 'no-new-privileges':
        if (value !== '' && value !== 'true' && value !== 'false') throw invalidParameter(`invalid --security-opt 2: "${raw}"`);
        noNewPrivileges = value !== 'false';
        break;
      case 'seccomp':
        if (value === 'unconfined') seccomp = { mode: 'unconfined' };
        else if (value === 'builtin' || value === '') seccomp = { mode: 'default' };
        else {
          try {
            seccomp = { mode: 'custom', profile: JSON.parse(value) as unknown };
          } catch {
            throw invalidParameter(`Decoding seccomp profile failed: the value of seccomp= must be "unconfined" or the profile's JSON`);
          }
        }
        break;
      case 'apparmor':
        apparmor = value;
        break;
      case 'label':
      case 'systempaths':
        break;
      default:
        throw invalidParameter(`invalid --security-opt 1: "${raw}"`);
    }
  }
  return { noNewPrivileges, seccomp, ...(apparmor !== undefined ? { apparmor } : {}) };
}

function hostDevice(d: { pathOnHost: string; pathInContainer: string; permissions: string }): SpecDevice {
  let st;
  try {
    st = statSync(d.pathOnHost);
  } catch {
    throw invalidParameter(`error gathering device information while adding custom device "${d.pathOnHost}": no such file or directory`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalidParameter(`error gathering device information while adding custom device "${d.pathOnHost}": not a device node`);
  const rdev = st.rdev;
  return {
    pathOnHost: d.pathOnHost,
    pathInContainer: d.pathInContainer || d.pathOnHost,
    permissions: d.permissions || 'rwm',
    type: st.isCharacterDevice() ? 'c' : 'b',
    major: Math.floor(rdev / 256) & 0xfff,
    minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/** Creates the working directory inside the container's root, as Docker does at start (never through a symlink out). */
function makeWorkingDir(host: Host, rootfs: string, cwd: string): void {
  try {
    host.files.mkdirInRoot(rootfs, cwd, 0o755);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOTDIR' || code === 'EEXIST') throw conflict(`Cannot mkdir: ${cwd} is not a directory`);
    if (code === 'ELOOP') throw invalidParameter(`the working directory '${cwd}' cannot be created: a symbolic link is in the way`);
    throw internal(`the working directory '${cwd}' cannot be created: ${messageOf(e)}`, e);
  }
}

export async function buildContainerSpec(rec: ContainerRecord, paths: ContainerPaths, ctx: SpecContext): Promise<Spec> {
  const s = rec.spec;
  const rootfs = paths.rootfs(rec.id);
  const user = await resolveUser(ctx.host, rootfs, s.user, s.groupAdd);
  // An entry without "=" unsets the variable: it is not passed on, and no default takes its place
  // (dockerd's ReplaceOrAppendEnvValues).
  const unset = new Set(s.env.filter((e) => !e.includes('=')));
  const env = [...s.env, ...ctx.env].filter((e) => e.includes('=') && !unset.has(e.slice(0, e.indexOf('='))));
  const has = (k: string) => unset.has(k) || env.some((e) => e.startsWith(`${k}=`));
  if (!has('PATH')) env.unshift(DEFAULT_PATH);
  if (!has('HOSTNAME')) env.push(`HOSTNAME=${s.hostname}`);
  if (s.tty && !has('TERM')) env.push('TERM=xterm');
  if (!has('HOME')) env.push(`HOME=${user.home}`);
  const cwd = s.workingDir || '/';
  if (!posix.isAbsolute(cwd)) throw invalidParameter(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  makeWorkingDir(ctx.host, rootfs, cwd);
  const sec = parseSecurityOpts(s.securityOpt);
  const etcOpts = ['rbind', 'rprivate', ...(s.readonlyRootfs ? ['ro'] : [])];
  const mounts: SpecMount[] = [
    { destination: '/etc/resolv.conf', type: 'bind', source: paths.resolvConf(rec.id), options: etcOpts },
    { destination: '/etc/hostname', type: 'bind', source: paths.hostname(rec.id), options: etcOpts },
    { destination: '/etc/hosts', type: 'bind', source: paths.hosts(rec.id), options: etcOpts },
    ...ctx.mounts,
  ];
  const net = joinedNamespace(s.networkMode, 'net', ctx) ?? { mode: 'new' };
  const pid = joinedNamespace(s.pidMode, 'pid', ctx) ?? { mode: 'new' };
  const ipc = joinedNamespace(s.ipcMode, 'ipc', ctx) ?? { mode: 'new' };
  const r = s.resources;
  const input: SpecInput = {
    rootfs,
    readonlyRootfs: s.readonlyRootfs,
    hostname: s.networkMode === 'host' || s.utsMode === 'host' ? '' : s.hostname,
    ...(s.domainname ? { domainname: s.domainname } : {}),
    process: {
      args: [rec.path, ...rec.args],
      env,
      cwd,
      terminal: s.tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      noNewPrivileges: sec.noNewPrivileges,
      ...(s.oomScoreAdj ? { oomScoreAdj: s.oomScoreAdj } : {}),
      rlimits: r.ulimits,
      ...(s.consoleSize && s.tty ? { consoleSize: { height: s.consoleSize[0], width: s.consoleSize[1] } } : {}),
    },
    capAdd: s.capAdd,
    capDrop: s.capDrop,
    privileged: s.privileged,
    namespaces: {
      network: net,
      pid,
      ipc,
      uts: s.utsMode === 'host' || s.networkMode === 'host' ? { mode: 'host' } : { mode: 'new' },
      cgroup: s.cgroupnsMode === 'host' ? { mode: 'host' } : { mode: 'new' },
    },
    mounts,
    tmpfs: s.tmpfs,
    shmSize: s.shmSize,
    cgroupsPath: cgroupPathOf(rec),
    resources: {
      ...(r.memory ? { memory: r.memory } : {}),
      ...(r.memorySwap ? { memorySwap: r.memorySwap } : {}),
      ...(r.memoryReservation ? { memoryReservation: r.memoryReservation } : {}),
      ...(r.memorySwappiness !== undefined && r.memorySwappiness >= 0 ? { memorySwappiness: r.memorySwappiness } : {}),
      ...(r.oomKillDisable ? { oomKillDisable: true } : {}),
      ...(r.cpuShares ? { cpuShares: r.cpuShares } : {}),
      ...(r.cpuQuota ? { cpuQuota: r.cpuQuota } : {}),
      ...(r.cpuPeriod ? { cpuPeriod: r.cpuPeriod } : {}),
      ...(r.cpusetCpus ? { cpusetCpus: r.cpusetCpus } : {}),
      ...(r.cpusetMems ? { cpusetMems: r.cpusetMems } : {}),
      ...(r.pidsLimit ? { pidsLimit: r.pidsLimit } : {}),
      ...(r.blkioWeight ? { blkioWeight: r.blkioWeight } : {}),
      ...(r.nanoCpus ? { nanoCpus: r.nanoCpus } : {}),
    },
    devices: r.devices.map(hostDevice),
    ...(s.deviceCgroupRules ? { deviceRules: s.deviceCgroupRules.map(parseDeviceCgroupRule) } : {}),
    ...(s.maskedPaths ? { maskedPaths: s.maskedPaths } : {}),
    ...(s.readonlyPaths ? { readonlyPaths: s.readonlyPaths } : {}),
    seccomp: sec.seccomp,
    sysctls: s.sysctls,
    ...(s.init ? { init: { hostPath: INIT_BINARY } } : {}),
    ...(Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
    kernelVersion: os.release(),
    hostCapabilities: hostCapabilities(ctx.host),
  };
  return buildSpec(input);
}
