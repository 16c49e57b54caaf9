/** What the results were measured on. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Api } from './api.js';
import { sh } from './host.js';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  runc: string;
  conmon: string;
  iperf3: string;
  dockerRegistry: string;
  dockerCli: string;
  berth: string;
  docker?: { version: string; apiVersion: string; components: string; source: string };
  loadavgStart: number[];
  loadavgEnd?: number[];
}

const firstLine = (s: string): string => s.split('\n')[0]?.trim() ?? '';

export async function machineInfo(repo: string, berth: Api, docker: Api | undefined, dockerSource: string | undefined): Promise<Machine> {
  let osName = '';
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* unknown */
  }
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  const bv = await berth.json<{ Version?: string; ApiVersion?: string }>('GET', '/version').catch(() => ({}) as { Version?: string; ApiVersion?: string });
  const m: Machine = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName,
    node: process.version,
    runc: firstLine(sh('runc', ['--version'])),
    conmon: firstLine(sh('conmon', ['--version'])),
    iperf3: firstLine(sh('iperf3', ['--version'])),
    dockerRegistry: firstLine(sh('docker-registry', ['--version'])),
    dockerCli: firstLine(sh('docker', ['--version'])),
    berth: `berth ${bv.Version ?? pkg.version} (API ${bv.ApiVersion ?? '?'})`,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  if (docker) {
    const v = await docker.json<{ Version: string; ApiVersion: string; Components?: { Name: string; Version: string }[] }>('GET', '/version');
    m.docker = {
      version: v.Version,
      apiVersion: v.ApiVersion,
      components: (v.Components ?? []).filter((c) => c.Name !== 'Engine').map((c) => `${c.Name} ${c.Version}`).join(', '),
      source: dockerSource ?? '',
    };
  }
  return m;
}

export function machineMarkdown(m: Machine): string {
  return [
    `- machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM; ${m.os}; kernel ${m.kernel}`,
    `- load average at start ${m.loadavgStart.join(' / ')}${m.loadavgEnd ? `, at end ${m.loadavgEnd.join(' / ')}` : ''} (other work on the host shows here)`,
    `- ${m.berth}; node ${m.node}; ${m.runc}; ${m.conmon}`,
    m.docker ? `- Docker ${m.docker.version} (API ${m.docker.apiVersion}; ${m.docker.components}) — ${m.docker.source}` : '- Docker: not present',
    `- clients: ${m.dockerCli}; tools: ${m.iperf3}; ${m.dockerRegistry}`,
  ].join('\n') + '\n';
}
