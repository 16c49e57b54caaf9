/**
 * The `docker ps` filters that look past the container record, as dockerd's
 * foldFilter applies them: health, network, volume, publish, expose.
 * A filter given several values keeps a container that matches any of them.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { Filters } from '../api/filters.js';
import type { ContainerRecord } from '../container/types.js';

const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** What a container offers to these filters (its mounts and networks as inspect shows them). */
export interface PsView {
  mounts: { Name?: string; Destination: string }[];
  networks: Record<string, { NetworkID?: string } | null>;
}

/** Container ports a publish/expose value names: `80`, `80/udp`, `8000-8010/tcp` (tcp by default). */
function portSet(values: readonly string[], filter: string): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    if (!m) throw invalidParameter(`invalid filter '${filter}=${v}': use a port, a range or either with a protocol, such as 80, 8000-8010 or 53/udp`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi > 65535 || lo > hi) throw invalidParameter(`invalid filter '${filter}=${v}': invalid port range`);
    for (let p = lo; p <= hi; p++) out.add(`${p}/${m[3] ?? 'tcp'}`);
  }
  return out;
}

/** Builds the predicate once per request (values are checked here, so a bad one is a 400). */
export function psFilter(f: Filters): (r: ContainerRecord, view: () => PsView) => boolean {
  const health = f.get('health');
  for (const h of health ?? []) if (!HEALTH.includes(h)) throw invalidParameter(`Unrecognised filter value for health: ${h}`);
  const networks = f.get('network');
  const volumes = f.get('volume');
  const publish = f.has('publish') ? portSet(f.get('publish')!, 'publish') : undefined;
  const expose = f.has('expose') ? portSet(f.get('expose')!, 'expose') : undefined;
  // berth runs no swarm tasks: is-task=true matches nothing.
  const tasksOnly = f.get('is-task')?.includes('true') ?? false;
  return (r, view) => {
    if (tasksOnly) return false;
    if (health && !health.includes(r.state.health?.status ?? 'none')) return false;
    if (publish && !Object.keys(r.spec.portBindings).some((p) => publish.has(p.includes('/') ? p : `${p}/tcp`))) return false;
    if (expose && !r.spec.exposedPorts.some((p) => expose.has(p.includes('/') ? p : `${p}/tcp`))) return false;
    if (!networks && !volumes) return true;
    const v = view();
    if (networks) {
      const nets = Object.entries(v.networks);
      if (!networks.some((n) => nets.some(([name, ep]) => name === n || (!!ep?.NetworkID && ep.NetworkID.startsWith(n))))) return false;
    }
    if (volumes && !volumes.some((vol) => v.mounts.some((m) => m.Name === vol || m.Destination === vol))) return false;
    return true;
  };
}
