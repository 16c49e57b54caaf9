/** Facts about the host for `info` and `version`, read once. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { run } from './exec.js';

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  cgroupVersion: '1' | '2';
}

export function hostFacts(): HostFacts {
  let osName = 'Linux';
  let osVersion = '';
  try {
    const rel = readFileSync('/etc/os-release', 'utf8');
    osName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel)?.[1] ?? osName;
    osVersion = /^VERSION_ID="?([^"\n]*)"?/m.exec(rel)?.[1] ?? '';
  } catch {
    /* a host without os-release reports plain Linux */
  }
  let cgroupVersion: '1' | '2' = '1';
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    cgroupVersion = '2';
  } catch {
    cgroupVersion = '1';
  }
  return {
    kernelVersion: os.release(),
    operatingSystem: osName,
    osVersion,
    architecture: os.machine(),
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    cgroupVersion,
  };
}

/** The first line of `tool --version`, or "" when the tool is missing. */
export async function toolVersion(tool: string): Promise<string> {
  try {
    const r = await run([tool, '--version'], { allowFailure: true });
    return (r.stdout || r.stderr).split('\n')[0]!.trim();
  } catch {
    return '';
  }
}

/** This process's capability bounding set, as the hex mask /proc shows (what --privileged can give). */
export function capabilityBoundingMask(): string {
  const status = readFileSync('/proc/self/status', 'utf8');
  return /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
}

/**
 * Whether read-only binds can be made read-only recursively (runc's "rro",
 * mount_setattr(2)), as Docker decides it: Linux 5.12 or later and a runtime
 * whose `features` list the option. false when either cannot tell.
 */
export async function supportsRecursiveReadOnly(runtime = 'runc'): Promise<boolean> {
  const [major = 0, minor = 0] = os.release().split(/[.-]/).map(Number);
  if (major < 5 || (major === 5 && minor < 12)) return false;
  try {
    const r = await run([runtime, 'features'], { allowFailure: true });
    if (r.code !== 0) return false;
    return ((JSON.parse(r.stdout) as { mountOptions?: unknown }).mountOptions as string[] | undefined)?.includes('rro') ?? false;
  } catch {
    return false;
  }
}
