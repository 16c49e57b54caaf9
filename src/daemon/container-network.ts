import type { Filters } from '../api/filters.js';
import type { NetworkBackend } from '../api/routes/networks.js';
import type { EndpointSettings, NetworkSettings, Port, PortMap } from '../api/types/containers.js';
import type { Network, NetworkCreateRequest, NetworkEndpointConfig } from '../api/types/networks.js';
import type { ContainerStore } from '../container/store.js';
import { isRunning, type ContainerRecord } from '../container/types.js';
import { ContainerNetworkAttacher } from '../network/attacher.js';
import type { NetworkService } from '../network/service.js';
import type { Endpoint } from '../network/types.js';
import { baseNetworkSettings, emptyEndpoint } from './container-views.js';
import { matchLabels } from '../api/filters.js';
import { parseTimestamp } from './filter-util.js';

/**
 * The network parts of containers' API views (inspect, ps) and the network
 * endpoints' backend, over the NetworkService and the container store.
 */
export class ContainerNetworking {
  constructor(
    private readonly net: NetworkService,
    private readonly store: ContainerStore,
    private readonly attacher: ContainerNetworkAttacher,
  ) {
    net.setNameLookup((id) => {
      const r = store.get(id);
      return r ? { name: r.name, hostname: r.spec.hostname } : undefined;
    });
  }

  // --- views --------------------------------------------------------------------

  networkSettings(rec: ContainerRecord): NetworkSettings {
    const eps = isRunning(rec) ? this.net.endpoints(rec.id) : [];
    const mode = rec.spec.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      return baseNetworkSettings(rec, mode.startsWith('container:') ? {} : { [mode]: { ...emptyEndpoint(), NetworkID: this.net.tryResolve(mode)?.id ?? '' } });
    }
    const networks: Record<string, EndpointSettings> = {};
    for (const req of this.net.requests(rec.id)) {
      const n = this.net.network(req.networkId);
      if (!n) continue;
      const ep = eps.find((e) => e.networkId === n.id);
      networks[n.name] = {
        ...emptyEndpoint(),
        IPAMConfig: req.ipv4Address ? { IPv4Address: req.ipv4Address } : null,
        Aliases: req.aliases.length ? req.aliases : null,
        NetworkID: n.id,
        ...(ep ? { EndpointID: ep.id, Gateway: ep.gateway, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen, MacAddress: ep.mac, DNSNames: n.builtin ? null : [rec.name, rec.id.slice(0, 12), ...req.aliases] } : {}),
      };
    }
    const settings = baseNetworkSettings(rec, networks);
    settings.Ports = this.portMap(rec, eps);
    const primary = eps[0];
    if (primary && this.net.network(primary.networkId)?.builtin) {
      Object.assign(settings, { EndpointID: primary.id, Gateway: primary.gateway, IPAddress: primary.ip, IPPrefixLen: primary.prefixLen, MacAddress: primary.mac });
    }
    return settings;
  }

  private portMap(rec: ContainerRecord, eps: Endpoint[]): PortMap {
    if (eps.length === 0) return {};
    const map: PortMap = {};
    for (const p of rec.spec.exposedPorts) map[p.includes('/') ? p : `${p}/tcp`] = null;
    for (const e of eps) {
      for (const p of e.publishes) {
        const key = `${p.containerPort}/${p.proto}`;
        map[key] = [...(map[key] ?? []), { HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) }];
      }
    }
    return map;
  }

  ports(rec: ContainerRecord): Port[] {
    const eps = isRunning(rec) ? this.net.endpoints(rec.id) : [];
    if (eps.length === 0) return [];
    const out: Port[] = [];
    for (const [key, bindings] of Object.entries(this.portMap(rec, eps))) {
      const [port, proto] = key.split('/') as [string, Port['Type']];
      if (!bindings) out.push({ PrivatePort: Number(port), Type: proto });
      else for (const b of bindings) out.push({ IP: b.HostIp ?? '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
    }
    return out;
  }

  // --- network endpoints ----------------------------------------------------------

  backend(): NetworkBackend {
    const toWire = (id: string): Network => {
      const n = this.net.network(id)!;
      const containers: Network['Containers'] = {};
      for (const r of this.store.all()) {
        const ep = isRunning(r) ? this.net.endpoints(r.id).find((e) => e.networkId === n.id) : undefined;
        if (ep) containers[r.id] = { Name: r.name, EndpointID: ep.id, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' };
      }
      return {
        Name: n.name,
        Id: n.id,
        Created: n.created,
        Scope: 'local',
        Driver: n.driver,
        EnableIPv6: false,
        IPAM: { Driver: 'default', Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [] },
        Internal: n.internal,
        Attachable: n.attachable,
        Ingress: false,
        ConfigFrom: { Network: '' },
        ConfigOnly: false,
        Containers: containers,
        Options: n.options,
        Labels: n.labels,
      };
    };
    const users = (networkId: string) => this.store.all().filter((r) => this.net.requests(r.id).some((q) => q.networkId === networkId)).map((r) => r.id);
    const container = (ref: string) => this.store.resolve(ref);
    return {
      list: async () => this.net.list().map((n) => toWire(n.id)),
      inspect: async (ref) => toWire(this.net.resolve(ref).id),
      create: async (req: NetworkCreateRequest) => {
        const cfg = req.IPAM?.Config?.[0];
        const n = await this.net.create({
          name: req.Name,
          ...(req.Driver ? { driver: req.Driver } : {}),
          ...(cfg?.Subnet ? { subnet: cfg.Subnet } : {}),
          ...(cfg?.Gateway ? { gateway: cfg.Gateway } : {}),
          ...(cfg?.IPRange ? { ipRange: cfg.IPRange } : {}),
          internal: !!req.Internal,
          attachable: !!req.Attachable,
          labels: req.Labels ?? {},
          options: req.Options ?? {},
        });
        return { Id: n.id, Warning: '' };
      },
      remove: async (ref) => this.net.remove(ref, users),
      connect: async (ref, c, ep?: NetworkEndpointConfig) => {
        const r = container(c);
        await this.net.connect(ContainerNetworkAttacher.info(r), ref, { aliases: ep?.Aliases ?? [], ipv4Address: ep?.IPAMConfig?.IPv4Address ?? '', links: ep?.Links ?? [] }, isRunning(r) ? r.state.pid : undefined);
        if (isRunning(r)) await this.attacher.writeEtc(r, this.net.endpoints(r.id));
      },
      disconnect: async (ref, c) => {
        const r = container(c);
        await this.net.disconnect(r.id, ref, isRunning(r));
      },
      prune: async (filters: Filters) => {
        const until = filters.get('until')?.map((t) => parseTimestamp(t));
        const deleted: string[] = [];
        for (const n of this.net.list()) {
          if (n.builtin || users(n.id).length) continue;
          if (!matchLabels(filters, n.labels)) continue;
          if (until && !until.every((u) => Date.parse(n.created) <= u)) continue;
          await this.net.remove(n.id, users);
          deleted.push(n.name);
        }
        return { NetworksDeleted: deleted.length ? deleted : null };
      },
    };
  }
}
