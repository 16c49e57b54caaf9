/**
 * `docker stats` rows (docker/cli cli/command/container/stats_helpers.go
 * and formatter_stats.go) for a Linux daemon: CPU % from the sample's
 * cpu_stats against its precpu_stats, memory without the page cache, and
 * docker's units and percentages.
 */
import type { StatsResponse } from '../../api/types/containers.js';
import { renderList } from '../format/formatter.js';
import { formatFloat } from '../format/gofmt.js';
import { bytesSize, humanSize } from '../format/units.js';
import { truncateID } from './containers.js';

export const STATS_DEFAULT_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export const STATS_HEADERS: Readonly<Record<string, string>> = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

const NO_VALUE = '--';

/** docker's StatsEntry: one container's numbers. */
export interface StatsEntry {
  /** What the user named (an argument of `docker stats`), or the 12-char ID when listing all. */
  Container: string;
  /** As the API reports it, with its leading "/". */
  Name: string;
  ID: string;
  CPUPercentage: number;
  Memory: number;
  MemoryLimit: number;
  MemoryPercentage: number;
  NetworkRx: number;
  NetworkTx: number;
  BlockRead: number;
  BlockWrite: number;
  PidsCurrent: number;
  /** Set when collecting failed (docker shows "--"). */
  IsInvalid: boolean;
}

/** (cpuDelta / systemDelta) × online CPUs × 100, 0 unless both deltas are positive. */
export function cpuPercentUnix(v: StatsResponse): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - (v.precpu_stats?.system_cpu_usage ?? 0);
  let online = v.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/**
 * Usage minus the inactive page cache: cgroup v1's total_inactive_file, or
 * v2's inactive_file (docker ≥ 20.10; 19.03 subtracted "cache").
 */
export function memUsageNoCache(mem: StatsResponse['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  const v1 = stats['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats['inactive_file'] ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

/** Bytes read and written: io_service_bytes_recursive entries whose op starts with r/R or w/W. */
export function blockIO(blkio: StatsResponse['blkio_stats']): [number, number] {
  let read = 0;
  let write = 0;
  for (const e of blkio?.io_service_bytes_recursive ?? []) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  return [read, write];
}

export function networkIO(networks: StatsResponse['networks']): [number, number] {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return [rx, tx];
}

/** The entry docker computes from one stats sample (GET /containers/{id}/stats?stream=0). */
export function statsEntry(container: string, v: StatsResponse): StatsEntry {
  const mem = memUsageNoCache(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  const [blkRead, blkWrite] = blockIO(v.blkio_stats);
  const [rx, tx] = networkIO(v.networks);
  return {
    Container: container,
    Name: v.name ?? '',
    ID: v.id ?? '',
    CPUPercentage: cpuPercentUnix(v),
    Memory: mem,
    MemoryLimit: limit,
    MemoryPercentage: limit !== 0 ? (mem / limit) * 100 : 0,
    NetworkRx: rx,
    NetworkTx: tx,
    BlockRead: blkRead,
    BlockWrite: blkWrite,
    PidsCurrent: v.pids_stats?.current ?? 0,
    IsInvalid: false,
  };
}

/** A container whose stats could not be read (docker's SetErrorAndReset): all "--". */
export function invalidStatsEntry(container: string, name = '', id = ''): StatsEntry {
  return {
    Container: container,
    Name: name,
    ID: id,
    CPUPercentage: 0,
    Memory: 0,
    MemoryLimit: 0,
    MemoryPercentage: 0,
    NetworkRx: 0,
    NetworkTx: 0,
    BlockRead: 0,
    BlockWrite: 0,
    PidsCurrent: 0,
    IsInvalid: true,
  };
}

export type StatsRow = {
  Container: string;
  Name: string;
  ID: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
};

/** strconv.FormatFloat(v, 'f', 2, 64) + "%". */
function percent(v: number): string {
  return formatFloat(v, 'f', 2) + '%';
}

export function statsRows(entries: readonly StatsEntry[], opts: { noTrunc?: boolean } = {}): StatsRow[] {
  return entries.map((s) => ({
    Container: s.Container,
    Name: s.Name.length > 1 ? s.Name.slice(1) : NO_VALUE,
    ID: opts.noTrunc ? s.ID : truncateID(s.ID),
    CPUPerc: s.IsInvalid ? NO_VALUE : percent(s.CPUPercentage),
    MemUsage: s.IsInvalid ? '-- / --' : `${bytesSize(s.Memory)} / ${bytesSize(s.MemoryLimit)}`,
    MemPerc: s.IsInvalid ? NO_VALUE : percent(s.MemoryPercentage),
    NetIO: s.IsInvalid ? NO_VALUE : `${humanSize(s.NetworkRx, 3)} / ${humanSize(s.NetworkTx, 3)}`,
    BlockIO: s.IsInvalid ? NO_VALUE : `${humanSize(s.BlockRead, 3)} / ${humanSize(s.BlockWrite, 3)}`,
    PIDs: s.IsInvalid ? NO_VALUE : String(s.PidsCurrent),
  }));
}

/** NewStatsFormat: "" and "table" mean the default table. */
export function statsFormat(format: string | undefined): string {
  return !format || format === 'table' ? STATS_DEFAULT_TABLE_FORMAT : format;
}

/** `docker stats --no-stream` output. */
export function renderStats(entries: readonly StatsEntry[], opts: { format?: string; noTrunc?: boolean } = {}): string {
  return renderList(statsFormat(opts.format), STATS_DEFAULT_TABLE_FORMAT, statsRows(entries, opts), STATS_HEADERS);
}
