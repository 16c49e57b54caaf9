/**
 * Reading a container's resource usage from its cgroup (v1 hierarchies or the
 * v2 unified tree) and /proc, for `stats`.
 */
import { readFileSync, existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import os from 'node:os';

export interface CgroupUsage {
  cpuTotalNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  perCpuNs: number[];
  throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
  memoryUsage: number;
  memoryMaxUsage: number;
  memoryLimit: number;
  memoryStats: Record<string, number>;
  pidsCurrent: number;
  pidsLimit: number;
  blkio: { major: number; minor: number; op: string; value: number }[];
}

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const TICK_NS = 1e9 / 100; // USER_HZ

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function num(path: string): number {
  const t = read(path).trim();
  if (t === '' || t === 'max') return 0;
  const n = Number(t);
  return Number.isFinite(n) ? n : 0;
}

function kv(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Usage of the cgroup at `path` (e.g. "/berth/<id>"), or undefined when it does not exist. */
export function cgroupUsage(path: string): CgroupUsage | undefined {
  return V2 ? v2(path) : v1(path);
}

function v1(path: string): CgroupUsage | undefined {
  const c = (ctrl: string, file: string) => `/sys/fs/cgroup/${ctrl}${path}/${file}`;
  if (!existsSync(`/sys/fs/cgroup/memory${path}`)) return undefined;
  const cpuacct = kv(read(c('cpuacct', 'cpuacct.stat')));
  const thr = kv(read(c('cpu', 'cpu.stat')));
  const limit = num(c('memory', 'memory.limit_in_bytes'));
  const pidsMax = read(c('pids', 'pids.max')).trim();
  return {
    cpuTotalNs: num(c('cpuacct', 'cpuacct.usage')),
    cpuUserNs: (cpuacct['user'] ?? 0) * TICK_NS,
    cpuSystemNs: (cpuacct['system'] ?? 0) * TICK_NS,
    perCpuNs: read(c('cpuacct', 'cpuacct.usage_percpu')).trim().split(/\s+/).filter(Boolean).map(Number),
    throttling: { periods: thr['nr_periods'] ?? 0, throttledPeriods: thr['nr_throttled'] ?? 0, throttledTimeNs: thr['throttled_time'] ?? 0 },
    memoryUsage: num(c('memory', 'memory.usage_in_bytes')),
    memoryMaxUsage: num(c('memory', 'memory.max_usage_in_bytes')),
    // An unlimited cgroup v1 reports a huge number; Docker shows the host's memory then.
    memoryLimit: limit > os.totalmem() ? os.totalmem() : limit,
    memoryStats: kv(read(c('memory', 'memory.stat'))),
    pidsCurrent: num(c('pids', 'pids.current')),
    pidsLimit: pidsMax === 'max' || pidsMax === '' ? 0 : Number(pidsMax),
    blkio: read(c('blkio', 'blkio.throttle.io_service_bytes'))
      .split('\n')
      .map((l) => /^(\d+):(\d+) (\w+) (\d+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!.toLowerCase(), value: Number(m[4]) })),
  };
}

function v2(path: string): CgroupUsage | undefined {
  const dir = `/sys/fs/cgroup${path}`;
  if (!existsSync(dir)) return undefined;
  const cpu = kv(read(`${dir}/cpu.stat`));
  const max = read(`${dir}/memory.max`).trim();
  const pidsMax = read(`${dir}/pids.max`).trim();
  const blkio: CgroupUsage['blkio'] = [];
  for (const line of read(`${dir}/io.stat`).split('\n')) {
    const m = /^(\d+):(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const f = kv(m[3]!.replace(/=/g, ' ').replace(/(\w+) (\d+)/g, '$1 $2\n'));
    blkio.push({ major: Number(m[1]), minor: Number(m[2]), op: 'read', value: f['rbytes'] ?? 0 }, { major: Number(m[1]), minor: Number(m[2]), op: 'write', value: f['wbytes'] ?? 0 });
  }
  return {
    cpuTotalNs: (cpu['usage_usec'] ?? 0) * 1000,
    cpuUserNs: (cpu['user_usec'] ?? 0) * 1000,
    cpuSystemNs: (cpu['system_usec'] ?? 0) * 1000,
    perCpuNs: [],
    throttling: { periods: cpu['nr_periods'] ?? 0, throttledPeriods: cpu['nr_throttled'] ?? 0, throttledTimeNs: (cpu['throttled_usec'] ?? 0) * 1000 },
    memoryUsage: num(`${dir}/memory.current`),
    memoryMaxUsage: num(`${dir}/memory.peak`),
    memoryLimit: max === 'max' || max === '' ? os.totalmem() : Number(max),
    memoryStats: kv(read(`${dir}/memory.stat`)),
    pidsCurrent: num(`${dir}/pids.current`),
    pidsLimit: pidsMax === 'max' || pidsMax === '' ? 0 : Number(pidsMax),
    blkio,
  };
}

/** The host's total CPU time in ns (Docker's system_cpu_usage), from /proc/stat. */
export function systemCpuNs(): number {
  const first = read('/proc/stat').split('\n')[0] ?? '';
  return first
    .split(/\s+/)
    .slice(1, 8)
    .reduce((n, v) => n + Number(v || 0), 0) * TICK_NS;
}

export interface NetDev {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** Interface counters as the process `pid` sees them (its network namespace). */
export function netDevOf(pid: number): NetDev[] {
  return read(`/proc/${pid}/net/dev`)
    .split('\n')
    .slice(2)
    .map((l) => l.trim())
    .filter((l) => l.includes(':'))
    .map((l) => {
      const [name, rest] = l.split(':');
      const f = rest!.trim().split(/\s+/).map(Number);
      return { name: name!.trim(), rxBytes: f[0]!, rxPackets: f[1]!, rxErrors: f[2]!, rxDropped: f[3]!, txBytes: f[8]!, txPackets: f[9]!, txErrors: f[10]!, txDropped: f[11]! };
    })
    .filter((d) => d.name !== 'lo');
}

/**
 * Removes a container's (empty) cgroup directories. False when one is still
 * busy (processes left) or cannot be removed: the caller falls back to the
 * runtime's own delete.
 */
export async function removeCgroupDirs(paths: readonly string[]): Promise<boolean> {
  for (const p of paths) {
    try {
      await rmdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

/** Whether the cgroup at `path` ("/berth/<id>") is frozen (a paused container); false when it does not exist. */
export function cgroupFrozen(path: string): boolean {
  if (V2) return read(`/sys/fs/cgroup${path}/cgroup.freeze`).trim() === '1';
  return read(`/sys/fs/cgroup/freezer${path}/freezer.state`).trim() === 'FROZEN';
}
