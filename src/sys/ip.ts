/**
 * iproute2 in batches: one `ip -batch -` per change set (links, addresses,
 * routes, bridge ports…), in the host network namespace, in a named one, or
 * in the network namespace of a process (a container's).
 *
 * Errors: IpBatchError (EngineError kind Internal, or Conflict for "File
 * exists") naming the failing line and ip's message. ip stops at the first
 * failing line, so the lines before it have been applied: write batches so
 * that re-running them after a cleanup is safe.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { EngineError } from '../errdefs/errdefs.js';
import { CommandError, run } from './exec.js';

export class IpBatchError extends EngineError {
  /** The failing batch line (as given), when ip named one. */
  readonly line: string | undefined;
  /** 1-based index of the failing line. */
  readonly lineNumber: number | undefined;
  /** What ip printed for it ("RTNETLINK answers: File exists"). */
  readonly ipMessage: string;

  constructor(lines: readonly string[], stderr: string, where: string) {
    const m = /Command failed -:(\d+)\s*$/m.exec(stderr);
    const lineNumber = m ? Number(m[1]) : undefined;
    const line = lineNumber !== undefined ? lines[lineNumber - 1] : undefined;
    const ipMessage = (m ? stderr.slice(0, m.index) : stderr).trim() || 'failed';
    const kind = /File exists/.test(ipMessage) ? 'Conflict' : 'Internal';
    super(kind, `ip${where}: ${line !== undefined ? `"${line}": ` : ''}${ipMessage}`);
    this.line = line;
    this.lineNumber = lineNumber;
    this.ipMessage = ipMessage;
  }
}

/** Where to run: the host (default), a named netns (/run/netns/NAME, `ip -n`). */
export interface NetnsOption {
  netns?: string;
}

function checkLines(lines: readonly string[]): string {
  for (const l of lines) {
    if (/[\n\r]/.test(l)) throw new EngineError('InvalidParameter', `ip batch line contains a newline: ${JSON.stringify(l)}`);
  }
  return lines.join('\n') + '\n';
}

function checkNetnsName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
    throw new EngineError('InvalidParameter', `invalid network namespace name: ${JSON.stringify(name)}`);
  }
}

async function batch(argv: string[], lines: readonly string[], where: string): Promise<void> {
  if (lines.length === 0) return;
  const input = checkLines(lines);
  const r = await run(argv, { input, allowFailure: true }).catch((e: unknown) => {
    throw new EngineError('Internal', e instanceof CommandError ? e.message : String((e as Error).message ?? e), { cause: e });
  });
  if (r.code !== 0) throw new IpBatchError(lines, r.stderr || r.stdout, where);
}

/** Runs the lines (ip commands without the leading "ip") in one `ip -batch -`. */
export async function ipBatch(lines: readonly string[], opts: NetnsOption = {}): Promise<void> {
  if (opts.netns !== undefined) {
    checkNetnsName(opts.netns);
    return batch(['ip', '-n', opts.netns, '-batch', '-'], lines, ` (netns ${opts.netns})`);
  }
  return batch(['ip', '-batch', '-'], lines, '');
}

/** Runs the lines in the network namespace of process pid (`nsenter -t PID -n ip -batch -`). */
export async function ipBatchInNetns(pid: number, lines: readonly string[]): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 0) throw new EngineError('InvalidParameter', `invalid pid: ${pid}`);
  return batch(['nsenter', '-t', String(pid), '-n', 'ip', '-batch', '-'], lines, ` (netns of pid ${pid})`);
}

function hexToIp(hex: string): number {
  // /proc/net/route prints addresses as host-endian (little-endian) hex
  const n = parseInt(hex, 16) >>> 0;
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

function ipText(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function maskLength(mask: number): number {
  let len = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) len++;
  return len;
}

/**
 * IPv4 prefixes in use on the host (this process's network namespace): the
 * destinations of the main routing table (default routes excluded) and the
 * prefixes of the interfaces' addresses. For IPAM's nextFreeSubnet. Reads
 * /proc/net/route and the interface list; spawns nothing.
 */
export function hostRoutes(): string[] {
  const out = new Set<string>();
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const dst = hexToIp(f[1]!);
      const len = maskLength(hexToIp(f[7]!));
      if (len === 0) continue;
      out.add(`${ipText(dst)}/${len}`);
    }
  } catch {
    /* no /proc/net/route: fall back to the addresses alone */
  }
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || !a.cidr) continue;
      const [ip, lenText] = a.cidr.split('/');
      const len = Number(lenText);
      const parts = ip!.split('.').map(Number);
      const n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      if (len > 0) out.add(`${ipText((n & mask) >>> 0)}/${len}`);
    }
  }
  return [...out];
}

/** Whether a network interface exists in the host's (this process's) namespace: /sys/class/net, no spawn. */
export function linkExists(name: string): boolean {
  if (!/^[^/\s]{1,15}$/.test(name) || name === '.' || name === '..') return false;
  return existsSync(`/sys/class/net/${name}`);
}

/** An existing interface, as far as berth needs to know whether it made it. */
export interface LinkInfo {
  /** A Linux bridge. */
  bridge: boolean;
  /** Its alias (`ip link set … alias`, /sys/class/net/NAME/ifalias); '' when unset. */
  alias: string;
  /** Its IPv4 addresses. */
  ipv4: string[];
}

/** An interface of the host's (this process's) namespace, or undefined when absent: /sys/class/net, no spawn. */
export function linkInfo(name: string): LinkInfo | undefined {
  if (!linkExists(name)) return undefined;
  let alias: string;
  try {
    alias = readFileSync(`/sys/class/net/${name}/ifalias`, 'utf8').trim();
  } catch {
    return undefined; // removed meanwhile
  }
  const ipv4 = (os.networkInterfaces()[name] ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
  return { bridge: existsSync(`/sys/class/net/${name}/bridge`), alias, ipv4 };
}

/** Whether a network interface exists in a named netns (`ip -n NS link show dev NAME`). */
export async function linkExistsInNetns(netns: string, name: string): Promise<boolean> {
  checkNetnsName(netns);
  if (!/^[^/\s]{1,15}$/.test(name)) return false;
  const r = await run(['ip', '-n', netns, 'link', 'show', 'dev', name], { allowFailure: true });
  return r.code === 0;
}
