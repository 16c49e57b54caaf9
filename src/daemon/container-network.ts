import type { Filters } from '../api/filters.js';
import type { NetworkBackend } from '../api/routes/networks.js';
import type { EndpointIPAMConfig, EndpointSettings, NetworkSettings, Port, PortMap } from '../api/types/containers.js';
import type { IPAMConfig, Network, NetworkCreateRequest, NetworkEndpointConfig } from '../api/types/networks.js';
import type { ContainerStore } from '../container/store.js';
import { isRunning, type ContainerRecord } from '../container/types.js';
import { ContainerNetworkAttacher } from '../network/attacher.js';
import type { NetworkService } from '../network/service.js';
import type { Endpoint, EndpointRequest, NetworkRecord } from '../network/types.js';
import { baseNetworkSettings, emptyEndpoint } from './container-views.js';
import { matchLabels } from '../api/filters.js';
import { parseTimestamp } from './filter-util.js';
import { gwPriorityRefused } from './container-convert.js';
import { invalidParameter } from '../errdefs/errdefs.js';

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
        IPAMConfig: endpointIpamConfig(req),
        // Links of the endpoint: on the default bridge they are the container's legacy links (HostConfig.Links).
        Links: !n.builtin && req.links.length ? req.links : null,
        Aliases: req.aliases.length ? req.aliases : null,
        MacAddress: req.macAddress ?? '',
        DriverOpts: req.driverOpts ?? null,
        NetworkID: n.id,
        ...(ep
          ? {
              EndpointID: ep.id,
              Gateway: ep.gateway,
              IPAddress: ep.ip,
              IPPrefixLen: ep.prefixLen,
              MacAddress: ep.mac,
              ...(ep.ipv6 ? { IPv6Gateway: ep.ipv6.gateway, GlobalIPv6Address: ep.ipv6.ip, GlobalIPv6PrefixLen: ep.ipv6.prefixLen } : {}),
              DNSNames: n.builtin ? null : [rec.name, rec.id.slice(0, 12), ...req.aliases],
            }
          : {}),
      };
    }
    const settings = baseNetworkSettings(rec, networks);
    settings.Ports = this.portMap(rec, eps);
    const primary = eps[0];
    if (primary && this.net.network(primary.networkId)?.builtin) {
      Object.assign(settings, { EndpointID: primary.id, Gateway: primary.gateway, IPAddress: primary.ip, IPPrefixLen: primary.prefixLen, MacAddress: primary.mac });
      if (primary.ipv6) Object.assign(settings, { IPv6Gateway: primary.ipv6.gateway, GlobalIPv6Address: primary.ipv6.ip, GlobalIPv6PrefixLen: primary.ipv6.prefixLen });
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
        if (ep) containers[r.id] = { Name: r.name, EndpointID: ep.id, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: ep.ipv6 ? `${ep.ipv6.ip}/${ep.ipv6.prefixLen}` : '' };
      }
      return {
        Name: n.name,
        Id: n.id,
        Created: n.created,
        Scope: 'local',
        Driver: n.driver,
        EnableIPv6: !!n.ipv6,
        IPAM: { Driver: 'default', Options: null, Config: ipamView(n) },
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
        const n = await this.net.create({
          name: req.Name,
          ...(req.Driver ? { driver: req.Driver } : {}),
          ipam: (req.IPAM?.Config ?? []).map((c) => ({
            ...(c.Subnet ? { subnet: c.Subnet } : {}),
            ...(c.Gateway ? { gateway: c.Gateway } : {}),
            ...(c.IPRange ? { ipRange: c.IPRange } : {}),
            ...(c.AuxiliaryAddresses ? { auxAddresses: c.AuxiliaryAddresses } : {}),
          })),
          enableIPv6: !!req.EnableIPv6,
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
        // A network connected later never gives the default route, so no priority can be honoured.
        if (ep?.GwPriority) throw invalidParameter(gwPriorityRefused(ref));
        const opts = {
          aliases: ep?.Aliases ?? [],
          ipv4Address: ep?.IPAMConfig?.IPv4Address ?? '',
          ipv6Address: ep?.IPAMConfig?.IPv6Address ?? '',
          linkLocalIps: ep?.IPAMConfig?.LinkLocalIPs ?? [],
          links: ep?.Links ?? [],
          macAddress: ep?.MacAddress ?? '',
          driverOpts: ep?.DriverOpts ?? {},
        };
        await this.net.connect(ContainerNetworkAttacher.info(r), ref, opts, isRunning(r) ? r.state.pid : undefined);
        if (isRunning(r)) await this.attacher.writeEtc(r, this.net.endpoints(r.id));
      },
      disconnect: async (ref, c) => {
        const r = container(c);
        await this.net.disconnect(r.id, ref, isRunning(r));
      },
      prune: async (filters: Filters) => {
        const until = filters.get('until')?.map((t) => parseTimestamp(t));
        // moby's prune matchLabels: a network matching every `label!` value is kept.
        const notLabels = new Map([['label', filters.get('label!') ?? []]]);
        const deleted: string[] = [];
        for (const n of this.net.list()) {
          if (n.builtin || users(n.id).length) continue;
          if (!matchLabels(filters, n.labels)) continue;
          if (filters.get('label!')?.length && matchLabels(notLabels, n.labels)) continue;
          if (until && !until.every((u) => Date.parse(n.created) <= u)) continue;
          await this.net.remove(n.id, users);
          deleted.push(n.name);
        }
        return { NetworksDeleted: deleted.length ? deleted : null };
      },
    };
  }
}

/** IPAMConfig of an endpoint as Docker shows it: what was asked for, null when nothing was. */
function endpointIpamConfig(req: EndpointRequest): EndpointIPAMConfig | null {
  const c: EndpointIPAMConfig = {
    ...(req.ipv4Address ? { IPv4Address: req.ipv4Address } : {}),
    ...(req.ipv6Address ? { IPv6Address: req.ipv6Address } : {}),
    ...(req.linkLocalIps?.length ? { LinkLocalIPs: req.linkLocalIps } : {}),
  };
  return Object.keys(c).length ? c : null;
}

/** IPAM.Config of network inspect: the IPv4 pool, then the IPv6 one. */
function ipamView(n: NetworkRecord): IPAMConfig[] {
  if (!n.subnet) return [];
  const aux = (a: Record<string, string> | undefined) => (a && Object.keys(a).length ? { AuxiliaryAddresses: a } : {});
  const out: IPAMConfig[] = [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway, ...aux(n.auxAddresses) }];
  if (n.ipv6) out.push({ Subnet: n.ipv6.subnet, ...(n.ipv6.ipRange ? { IPRange: n.ipv6.ipRange } : {}), Gateway: n.ipv6.gateway, ...aux(n.ipv6.auxAddresses) });
  return out;
}
