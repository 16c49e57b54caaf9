/**
 * NetworkAttacher: what a container's lifecycle needs from networking, and
 * its implementation over the NetworkService. The network subsystem owns a
 * container's /etc/hosts, /etc/resolv.conf and /etc/hostname content: they
 * are written here once the container has its addresses.
 *
 * Lifecycle per container:
 *   register (at create: settings checked, networks recorded)
 *   → attach (at each start, after the runtime created the process and
 *     before it runs: its network namespace exists; veths, addresses,
 *     published ports, /etc files)
 *   → detach (at each exit) … → unregister (at remove);
 *   flush() once a change must survive a crash (their state is written behind).
 * linkEnv() gives the legacy --link variables at each start.
 *
 * Error contract: register and attach throw EngineError — InvalidParameter
 * for bad settings or links, NotFound for an unknown network, Conflict for a
 * host port already taken or a link to a container that is not running. An
 * attach that fails half-way leaves nothing attached. detach and unregister
 * do not throw for a container they do not know.
 */
import { hostsFile, readEtcFile, resolvConf, writeEtcFiles, type HostsEntry } from '../container/etc-files.js';
import type { ContainerPaths } from '../container/paths.js';
import { isRunning, type ContainerRecord } from '../container/types.js';
import { conflict, invalidParameter } from '../errdefs/errdefs.js';
import type { ContainerNetInfo, NetworkService } from './service.js';
import type { Endpoint } from './types.js';
import type { Host } from '../sys/host.js';

export interface NetworkAttacher {
  register(rec: ContainerRecord): Promise<void>;
  attach(rec: ContainerRecord, pid: number): Promise<void>;
  detach(rec: ContainerRecord): Promise<void>;
  unregister(rec: ContainerRecord): Promise<void>;
  /** Resolves once what register/attach/detach/unregister changed is on disk (they write behind). */
  flush(): Promise<void>;
  /** The legacy link variables: ALIAS_NAME, ALIAS_PORT_80_TCP…, ALIAS_ENV_X. */
  linkEnv(rec: ContainerRecord): string[];
}

/** Finds other containers by name or ID (links, container: network modes). */
export type ContainerLookup = (ref: string) => ContainerRecord | undefined;

export class ContainerNetworkAttacher implements NetworkAttacher {
  constructor(
    private readonly net: NetworkService,
    private readonly lookup: ContainerLookup,
    private readonly paths: ContainerPaths,
    private readonly host: Host,
  ) {}

  static info(rec: ContainerRecord): ContainerNetInfo {
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
      ...(s.networkEndpoints ? { endpoints: s.networkEndpoints } : {}),
    };
  }

  /**
   * Legacy links of the default bridge as (container, alias): `name:alias`
   * or just `name`. On user networks links are names the network's DNS
   * server answers for the linking container only (as Docker's), so no
   * /etc/hosts entries or variables come from them.
   */
  private links(rec: ContainerRecord): { target: ContainerRecord; alias: string }[] {
    if (rec.spec.networkMode !== 'bridge') return [];
    return rec.spec.links.map((l) => {
      const [name, alias] = l.replace(/^\//, '').split(':');
      const target = this.lookup(name!);
      if (!target) throw invalidParameter(`could not get container for ${name}`);
      return { target, alias: (alias ?? name!).split('/').pop()! };
    });
  }

  /** Checks a new container's network settings and records its networks. */
  async register(rec: ContainerRecord): Promise<void> {
    this.links(rec); // every container linked on the default bridge must exist
    const mode = rec.spec.networkMode;
    if (rec.spec.links.length) {
      // runconfig's texts for host and container:; none has no network for a link either.
      if (mode === 'host') throw invalidParameter("Conflicting options: host type networking can't be used with links. This would result in undefined behavior");
      if (mode.startsWith('container:')) throw invalidParameter("Conflicting options: container type network can't be used with links. This would result in undefined behavior");
      if (mode === 'none') throw invalidParameter('Conflicting options: links cannot be used with network mode none: the container has no network');
    }
    await this.net.register(ContainerNetworkAttacher.info(rec));
  }

  async unregister(rec: ContainerRecord): Promise<void> {
    await this.net.unregister(rec.id);
  }

  flush(): Promise<void> {
    return this.net.flush();
  }

  /** Connects the created container and writes its /etc files with its addresses. */
  async attach(rec: ContainerRecord, pid: number): Promise<void> {
    for (const { target } of this.links(rec)) {
      if (!isRunning(target)) throw conflict(`Cannot link to a non running container: /${target.name} AS /${rec.name}/${target.name}`);
    }
    const eps = await this.net.attach(ContainerNetworkAttacher.info(rec), pid);
    await this.writeEtc(rec, eps);
  }

  /** Writes the container's /etc files for its endpoints (also after a network connect). */
  async writeEtc(rec: ContainerRecord, eps: Endpoint[]): Promise<void> {
    const s = rec.spec;
    const joined = s.networkMode.startsWith('container:') ? this.lookup(s.networkMode.slice('container:'.length)) : undefined;
    if (joined) {
      // Docker shares the other container's hosts and resolv.conf with a container joining its
      // namespace: its addresses, and its network's DNS server (the host's resolvers cannot see its names).
      const short = joined.id.slice(0, 12);
      const [hosts, resolv] = await Promise.all([readEtcFile(this.host, this.paths.hosts(joined.id), `/etc/hosts of container ${short}`), readEtcFile(this.host, this.paths.resolvConf(joined.id), `/etc/resolv.conf of container ${short}`)]);
      await writeEtcFiles({ hostname: this.paths.hostname(rec.id), hosts: this.paths.hosts(rec.id), resolvConf: this.paths.resolvConf(rec.id) }, { hostname: s.hostname, hosts, resolvConf: resolv });
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
          hostResolvConf: this.host.net.resolvConf(),
          // On user networks the network's DNS server stays in front (it forwards to --dns servers).
          dns: userNet ? [primary!.gateway] : s.dns,
          dnsSearch: s.dnsSearch,
          dnsOptions: s.dnsOptions,
          keepLoopback: s.networkMode === 'host',
        }),
      },
    );
  }

  async detach(rec: ContainerRecord): Promise<void> {
    await this.net.detach(rec.id);
  }

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
}
