/**
 * Kernel parameters under /proc/sys. Keys are given the sysctl(8) way
 * ("net.ipv4.ip_forward") or as paths ("net/ipv4/conf/eth0.100/route_localnet",
 * needed when an interface name contains a dot). Net sysctls are per network
 * namespace: the plain functions act on this process's namespace (the
 * host's, for the daemon); `writeSysctlsInNetns` enters another one.
 *
 * Bridge port hairpin mode is not a sysctl: it is an ip command
 * (`link set dev VETH type bridge_slave hairpin on`, sys/ip ipBatch).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { EngineError } from '../errdefs/errdefs.js';
import { run } from './exec.js';

/** The /proc/sys-relative path of a key. */
export function sysctlPath(key: string): string {
  const rel = key.includes('/') ? key.replace(/^\/+/, '') : key.replace(/\./g, '/');
  if (rel.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new EngineError('InvalidParameter', `invalid sysctl key: ${key}`);
  }
  return `/proc/sys/${rel}`;
}

export const sysctlKeys = {
  ipForward: 'net/ipv4/ip_forward',
  /** Lets 127.0.0.0/8 traffic be routed out of ifname (published ports on 127.0.0.1). */
  routeLocalnet: (ifname: string): string => `net/ipv4/conf/${ifname}/route_localnet`,
  /** Whether bridged IPv4 traffic goes through the ip family hooks (br_netfilter loaded). */
  bridgeNfCallIptables: 'net/bridge/bridge-nf-call-iptables',
  /** IPv6 routing between interfaces (berth's IPv6 stays on-link: it needs this off). */
  ipv6Forwarding: 'net/ipv6/conf/all/forwarding',
  ipv6Disabled: 'net/ipv6/conf/all/disable_ipv6',
} as const;

/** The value of a key (trimmed), or undefined when it does not exist. */
export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(key), 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EngineError('Internal', `cannot read sysctl ${key}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes a key; throws Internal (NotFound when the key does not exist). */
export function writeSysctl(key: string, value: string | number): void {
  try {
    writeFileSync(sysctlPath(key), `${value}\n`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(code === 'ENOENT' ? 'NotFound' : 'Internal', `cannot set sysctl ${key}=${value}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes a key only when its value differs; returns whether it changed. */
export function ensureSysctl(key: string, value: string | number): boolean {
  if (readSysctl(key) === String(value)) return false;
  writeSysctl(key, value);
  return true;
}

/**
 * Writes keys inside another network namespace, in one process
 * (`nsenter --net=… sysctl -q -w k=v …`): a named netns (/run/netns/NAME) or
 * the netns of a process.
 */
export async function writeSysctlsInNetns(where: { netns: string } | { pid: number }, entries: Record<string, string | number>): Promise<void> {
  const args = Object.entries(entries).map(([k, v]) => {
    const path = sysctlPath(k).slice('/proc/sys/'.length);
    if (/[\s=]/.test(path) || /\s/.test(String(v))) throw new EngineError('InvalidParameter', `invalid sysctl ${k}=${v}`);
    return `${path}=${v}`;
  });
  if (args.length === 0) return;
  let target: string;
  if ('netns' in where) {
    if (!/^[A-Za-z0-9_.-]+$/.test(where.netns)) throw new EngineError('InvalidParameter', `invalid network namespace name: ${where.netns}`);
    target = `--net=/run/netns/${where.netns}`;
  } else {
    if (!Number.isInteger(where.pid) || where.pid <= 0) throw new EngineError('InvalidParameter', `invalid pid: ${where.pid}`);
    target = `--net=/proc/${where.pid}/ns/net`;
  }
  const r = await run(['nsenter', target, 'sysctl', '-q', '-w', ...args], { allowFailure: true });
  if (r.code !== 0) throw new EngineError('Internal', `sysctl in netns: ${(r.stderr || r.stdout).trim()}`);
}
