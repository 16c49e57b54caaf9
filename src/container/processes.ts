/**
 * What runs in a container and what it uses: `top` (the host's ps, filtered
 * to the container's pids) and the usage `stats` reports (its cgroup, the
 * host's CPU time, its network devices), read through the Host seam.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { CgroupUsage, NetDev } from '../sys/cgroups.js';
import type { Host } from '../sys/host.js';
import { cgroupPathOf } from './runtime-spec.js';
import { isRunning, type ContainerRecord } from './types.js';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/** ps with psArgs (default -ef), only the rows of the given pids; the command column keeps its spaces. */
export async function topOf(host: Host, pids: readonly number[], psArgs: string | undefined): Promise<TopResult> {
  const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
  const out = await host.processes.run(['ps', ...args]);
  const lines = out.stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw invalidParameter(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.includes(Number(fields[pidCol]))) continue;
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { titles, processes };
}

export interface ContainerUsage {
  /** undefined when the container does not run (no cgroup). */
  cgroup: CgroupUsage | undefined;
  systemCpuNs: number;
  networks: NetDev[];
}

export function usageOf(host: Host, rec: ContainerRecord): ContainerUsage {
  const running = isRunning(rec);
  return {
    cgroup: running ? host.cgroups.usage(cgroupPathOf(rec)) : undefined,
    systemCpuNs: host.cgroups.systemCpuNs(),
    networks: running && rec.state.pid ? host.cgroups.netDevOf(rec.state.pid) : [],
  };
}
