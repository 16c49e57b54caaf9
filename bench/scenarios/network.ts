/**
 * Scenario 5: TCP throughput host → container with iperf3. The host's
 * /usr/bin/iperf3 and the shared libraries it needs (from `ldd`) are bind
 * mounted read-only into a busybox container on the default bridge, which
 * runs `iperf3 -s` and publishes 5201 on 127.0.0.1 and on the host's own
 * address; the host's iperf3 client measures each path, and the container's
 * IP directly.
 */
import { realpathSync } from 'node:fs';
import { type Ctx, type Engine } from '../lib/context.js';
import { freePort, hostAddress, runCmd, sh, sleep } from '../lib/host.js';
import { stat } from '../lib/stats.js';

export const S5 = '5. TCP throughput host → container (iperf3)';

/** `-v` specs for iperf3 and its libraries (source resolved through symlinks, mounted at the path the loader asks for). */
export function iperfBinds(): string[] {
  const binds = ['/usr/bin/iperf3:/usr/bin/iperf3:ro'];
  for (const line of sh('ldd', ['/usr/bin/iperf3']).split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (!m) continue;
    binds.push(`${realpathSync(m[1]!)}:${m[1]}:ro`);
  }
  return binds;
}

interface Server {
  id: string;
  ip: string;
  localPort: number;
  hostPort: number;
}

async function startServer(e: Engine, hostIp: string): Promise<Server> {
  await e.api.remove('bench-iperf').catch(() => {});
  const localPort = await freePort();
  let hostPort = await freePort();
  while (hostPort === localPort) hostPort = await freePort();
  const id = await e.api.createContainer('bench-iperf', ['iperf3', '-s'], {
    image: e.busybox,
    network: 'bridge',
    binds: iperfBinds(),
    env: ['LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64'],
    ports: { '5201/tcp': [{ HostIp: '127.0.0.1', HostPort: String(localPort) }, { HostIp: hostIp, HostPort: String(hostPort) }] },
  });
  await e.api.start(id);
  const info = await e.api.json<{ NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress: string }> } }>('GET', `/containers/${id}/json`);
  const ns = info.NetworkSettings;
  const ip = ns.IPAddress || Object.values(ns.Networks ?? {})[0]?.IPAddress || '';
  if (!ip) throw new Error(`${e.label}: the iperf3 container has no IP address`);
  return { id, ip, localPort, hostPort };
}

/** One iperf3 run; Gbit/s received. Retries while the server is still starting. */
async function iperf(addr: string, port: number, seconds: number): Promise<number> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await runCmd(['iperf3', '-c', addr, '-p', String(port), '-t', String(seconds), '-J'], process.env, (seconds + 30) * 1000);
    try {
      const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
      if (j.end?.sum_received?.bits_per_second) return j.end.sum_received.bits_per_second / 1e9;
      last = j.error ?? r.stderr;
    } catch {
      last = r.stderr || r.stdout;
    }
    await sleep(300);
  }
  throw new Error(`iperf3 -c ${addr} -p ${port}: ${last.trim().slice(0, 300)}`);
}

export async function throughput(ctx: Ctx): Promise<void> {
  const hostIp = hostAddress();
  if (!hostIp) throw new Error('no host address on the default route');
  const engines = [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])];
  const servers = new Map<string, Server>();
  try {
    for (const e of engines) servers.set(e.kind, await startServer(e, hostIp));
    const paths = [
      ['direct to the container IP', (s: Server) => [s.ip, 5201] as const],
      ['published port on 127.0.0.1', (s: Server) => ['127.0.0.1', s.localPort] as const],
      [`published port on the host address (${hostIp})`, (s: Server) => [hostIp, s.hostPort] as const],
    ] as const;
    const results = new Map<string, number[]>();
    for (let rep = 0; rep < ctx.settings.iperfReps; rep++) {
      for (const [name, target] of paths) {
        const order = rep % 2 === 0 ? engines : [...engines].reverse();
        for (const e of order) {
          const [addr, port] = target(servers.get(e.kind)!);
          ctx.progress(`  ${e.label}: ${name}`);
          const g = await iperf(addr, port, ctx.settings.iperfSeconds);
          const key = `${e.kind}|${name}`;
          results.set(key, [...(results.get(key) ?? []), g]);
        }
      }
    }
    const get = (k: string, name: string) => {
      const s = results.get(`${k}|${name}`);
      return s ? stat(s) : undefined;
    };
    for (const [name] of paths) {
      const b = get('berth', name);
      const d = get('docker', name);
      ctx.rows.push({ scenario: S5, name, client: `iperf3, ${ctx.settings.iperfSeconds} s`, unit: 'Gbit/s', better: 'higher', ...(b ? { berth: b } : {}), ...(d ? { docker: d } : {}) });
    }
    const direct = paths[0][0];
    for (const [name] of paths.slice(1)) {
      const pct = (k: string) => {
        const p = get(k, name);
        const q = get(k, direct);
        return p && q ? stat([(100 * p.median) / q.median]) : undefined;
      };
      const b = pct('berth');
      const d = pct('docker');
      const short = name.startsWith('published port on 127') ? '127.0.0.1' : 'host address';
      ctx.rows.push({ scenario: S5, name: `${short} published / direct`, client: 'ratio of medians', unit: '%', better: 'higher', ...(b ? { berth: b } : {}), ...(d ? { docker: d } : {}) });
      if (b) ctx.facts[`net.pct.${short}`] = b.median;
    }
  } finally {
    for (const e of engines) {
      const s = servers.get(e.kind);
      if (s) await e.api.remove(s.id).catch(() => {});
    }
  }
}
