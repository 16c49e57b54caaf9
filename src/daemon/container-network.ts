/**
 * Containers on networks: what the network service needs to know about a
 * container, its /etc/hosts and resolv.conf once it has addresses, the
 * legacy --link variables, and the network parts of inspect, ps and the
 * network endpoints.
 */
import type { Filters } from '../api/filters.js';
import type { NetworkBackend } from '../api/routes/networks.js';
import type { EndpointSettings, NetworkSettings, Port, PortMap } from '../api/types/containers.js';
import type { Network, NetworkCreateRequest, NetworkEndpointConfig } from '../api/types/networks.js';
import { hostsFile, readEtcFile, resolvConf, writeEtcFiles, type HostsEntry } from '../container/etc-files.js';
import type { ContainerPaths } from '../container/paths.js';
import type { ContainerStore } from '../container/store.js';
import type { ContainerRecord } from '../container/types.js';
import { conflict, invalidParameter } from '../errdefs/errdefs.js';
import type { NetworkService, ContainerNetInfo } from '../network/service.js';
import type { Endpoint } from '../network/types.js';
import { baseNetworkSettings, emptyEndpoint } from './container-views.js';
import { matchLabels } from '../api/filters.js';
import { parseTimestamp } from './filter-util.js';

const running = (r: ContainerRecord) => r.state.status === 'running' || r.state.status === 'paused';

export class ContainerNetworking {
  constructor(
    private readonly net: NetworkService,
    private readonly store: ContainerStore,
    private readonly paths: ContainerPaths,
  ) {
    net.setNameLookup((id) => {
      const r = store.get(id);
      return r ? { name: r.name, hostname: r.spec.hostname } : undefined;
    });
  }

  info(rec: ContainerRecord): ContainerNetInfo {
    const s = rec.spec;
    return {
      id: rec.id,
      name: rec.name,
      hostname: s.hostname,
      networkMode: s.networkMode,
      aliases: s.networkAliases,
      ipv4Address: s.ipv4Address,
      macAddress: s.macAddress,
      exposedPorts: s.exposedPorts,
      portBindings: s.portBindings,
      publishAllPorts: s.publishAllPorts,
      links: s.links,
      dns: s.dns,
    };
  }

  /** Links as (container, alias): `name:alias` or just `name`. */
  private links(rec: ContainerRecord): { target: ContainerRecord; alias: string }[] {
    return rec.spec.links.map((l) => {
      const [name, alias] = l.replace(/^\//, '').split(':');
      const target = this.store.tryResolve(name!);
      if (!target) throw invalidParameter(`could not get container for ${name}`);
      return { target, alias: (alias ?? name!).split('/').pop()! };
    });
  }

  /** Checks a new container's network settings and records its networks. */
  async created(rec: ContainerRecord): Promise<void> {
    this.links(rec); // every linked container must exist
    if (rec.spec.links.length && rec.spec.networkMode !== 'bridge') throw invalidParameter('links are only supported on the default bridge network');
    await this.net.register(this.info(rec));
  }

  async removed(rec: ContainerRecord): Promise<void> {
    await this.net.unregister(rec.id);
  }

  /** Connects the created container and writes its /etc files with its addresses. */
  async beforeStart(rec: ContainerRecord, pid: number): Promise<void> {
    for (const { target } of this.links(rec)) {
      if (!running(target)) throw conflict(`Cannot link to a non running container: /${target.name} AS /${rec.name}/${target.name}`);
    }
    const eps = await this.net.attach(this.info(rec), pid);
    await this.writeEtc(rec, eps);
  }

  private async writeEtc(rec: ContainerRecord, eps: Endpoint[]): Promise<void> {
    const s = rec.spec;
    const joined = s.networkMode.startsWith('container:') ? this.store.tryResolve(s.networkMode.slice('container:'.length)) : undefined;
    if (joined) {
      // Docker shares the other container's hosts and resolv.conf with a container joining its
      // namespace: its addresses, and its network's DNS server (the host's resolvers cannot see its names).
      const short = joined.id.slice(0, 12);
      const [hosts, resolv] = await Promise.all([readEtcFile(this.paths.hosts(joined.id), `/etc/hosts of container ${short}`), readEtcFile(this.paths.resolvConf(joined.id), `/etc/resolv.conf of container ${short}`)]);
      await writeEtcFiles({ hostname: this.paths.hostname(rec.id), hosts: this.paths.hosts(rec.id), resolvConf: this.paths.resolvConf(rec.id) }, { hostname: s.hostname, hosts, resolvConf: resolv }, { inPlace: true });
      return;
    }
    const entries: HostsEntry[] = [];
    for (const l of this.links(rec)) {
      const ip = this.net.endpoints(l.target.id)[0]?.ip;
      if (ip) entries.push({ ip, names: [l.alias, l.target.id.slice(0, 12), l.target.name].filter((v, i, a) => a.indexOf(v) === i) });
    }
    for (const h of s.extraHosts) {
      const [name, ip] = h.split(/:(.*)/s);
      if (name && ip) entries.push({ ip, names: [name] });
    }
    const primary = eps[0];
    if (primary) entries.push({ ip: primary.ip, names: [s.domainname ? `${s.hostname}.${s.domainname} ${s.hostname}` : s.hostname] });
    const userNet = primary && !this.net.network(primary.networkId)?.builtin;
    await writeEtcFiles(
      { hostname: this.paths.hostname(rec.id), hosts: this.paths.hosts(rec.id), resolvConf: this.paths.resolvConf(rec.id) },
      {
        hostname: s.hostname,
        hosts: hostsFile(entries),
        // User networks resolve container names through the network's DNS server on the gateway.
        resolvConf: resolvConf({
          // On user networks the network's DNS server stays in front (it forwards to --dns servers).
          dns: userNet ? [primary!.gateway] : s.dns,
          dnsSearch: s.dnsSearch,
          dnsOptions: s.dnsOptions,
          keepLoopback: s.networkMode === 'host',
        }),
      },
      { inPlace: true },
    );
  }

  /** The legacy link variables: ALIAS_NAME, ALIAS_PORT_80_TCP…, ALIAS_ENV_X. */
  linkEnv(rec: ContainerRecord): string[] {
    const out: string[] = [];
    for (const { target, alias } of this.links(rec)) {
      const ip = this.net.endpoints(target.id)[0]?.ip;
      const A = alias.toUpperCase().replace(/[^A-Z0-9]/g, '_');
      out.push(`${A}_NAME=/${rec.name}/${alias}`);
      if (ip) {
        const ports = [...target.spec.exposedPorts].sort((a, b) => parseInt(a) - parseInt(b));
        ports.forEach((p, i) => {
          const [num, proto = 'tcp'] = p.split('/');
          const P = `${A}_PORT_${num}_${proto.toUpperCase()}`;
          if (i === 0) out.push(`${A}_PORT=${proto}://${ip}:${num}`);
          out.push(`${P}=${proto}://${ip}:${num}`, `${P}_ADDR=${ip}`, `${P}_PORT=${num}`, `${P}_PROTO=${proto}`);
        });
      }
      for (const e of target.spec.env) {
        const eq = e.indexOf('=');
        const k = e.slice(0, eq);
        if (eq > 0 && k !== 'HOME' && k !== 'PATH') out.push(`${A}_ENV_${k}=${e.slice(eq + 1)}`);
      }
    }
    return out;
  }

  // --- views --------------------------------------------------------------------

  networkSettings(rec: ContainerRecord): NetworkSettings {
    const eps = running(rec) ? this.net.endpoints(rec.id) : [];
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
    const eps = running(rec) ? this.net.endpoints(rec.id) : [];
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
        const ep = running(r) ? this.net.endpoints(r.id).find((e) => e.networkId === n.id) : undefined;
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
        await this.net.connect(this.info(r), ref, { aliases: ep?.Aliases ?? [], ipv4Address: ep?.IPAMConfig?.IPv4Address ?? '', links: ep?.Links ?? [] }, running(r) ? r.state.pid : undefined);
        if (running(r)) await this.writeEtc(r, this.net.endpoints(r.id));
      },
      disconnect: async (ref, c) => {
        const r = container(c);
        await this.net.disconnect(r.id, ref, running(r));
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
