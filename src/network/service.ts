/**
 * Container networking: the default `bridge` network and user-defined bridge
 * networks, each a Linux bridge with a subnet; a veth pair per container and
 * network; published ports as kernel DNAT in berth's own nftables table; an
 * embedded DNS server per user network.
 *
 * Lifecycle: open() loads state, creates missing bridges and installs the
 * firewall (idempotently: a daemon restart reinstalls the same rules, running
 * containers keep their addresses and ports). attach() runs between the
 * runtime's create and start of a container (its network namespace exists,
 * its process has not started); detach() when it exits. close() stops the DNS
 * servers and, when no container uses them any more, removes bridges and the
 * table.
 *
 * State (networks, container attachments, endpoints, IPAM) is written to
 * disk behind the changes, one synced write at a time: register, unregister,
 * attach and detach do not wait for it (each write is ~15 ms of fsync on a
 * busy disk, four per `run --rm`); flush() resolves once everything changed
 * so far is on disk, and the container lifecycle waits for it where a crash
 * must not lose the change (before create and start answer). Network
 * create/remove/connect/disconnect wait for their write.
 *
 * Errors: NotFound "network x not found"; Conflict for names in use, networks
 * with active endpoints, taken host ports (nothing is left half-configured:
 * addresses and rules of a failed attach are released).
 *
 * Bridges: berth only uses, configures (sysctls, rules) and deletes bridges
 * this daemon made, marked with its alias `berth:<engine id>`. A bridge name
 * taken by any other interface (a device of the host, `lo`, another
 * daemon's bridge) is refused at `network create`; when one appears while
 * the daemon is down, that network is left out (no rules, no containers)
 * until the interface goes or the network is removed, and the default
 * bridge's makes the daemon refuse to start.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promises as fs } from 'node:fs';
import { conflict, forbidden, invalidParameter, notFound, messageOf, unavailable } from '../errdefs/errdefs.js';
import type { Host } from '../sys/host.js';
import { IpBatchError } from '../sys/ip.js';
import { sysctlKeys } from '../sys/sysctl.js';
import type { Logger } from '../util/log.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import { DnsServer, resolvConfNameservers } from './dns.js';
import { buildRuleset, forwardCompatRemoval, forwardCompatRestore, parseIptablesRules, type FirewallState } from './firewall.js';
import { Ipam, macFromIp, nextFreeSubnet, parseCidr, type IpamState } from './ipam.js';
import type { Endpoint, EndpointRequest, NetworkRecord, PublishedPort } from './types.js';

export interface NetworkConfig {
  root: string;
  bridgeName: string;
  bridgeSubnet?: string;
  /** Name of berth's nftables table (`ip` family). */
  table: string;
  /** This daemon's chain in the iptables filter table (firewall.ts forwardCompatChain). */
  forwardChain: string;
  /** This daemon's identity on the host (its engine ID): the alias of the bridges it makes. */
  owner: string;
}

/** What the network service needs to know about a container. */
export interface ContainerNetInfo {
  id: string;
  name: string;
  hostname: string;
  networkMode: string;
  aliases: string[];
  ipv4Address: string;
  macAddress: string;
  exposedPorts: string[];
  portBindings: Record<string, { hostIp: string; hostPort: string }[]>;
  publishAllPorts: boolean;
  links: string[];
  dns: string[];
}

interface State {
  networks: NetworkRecord[];
  attachments: Record<string, EndpointRequest[]>;
  endpoints: Endpoint[];
  ipam: IpamState;
}

const BUILTIN_NAMES = ['bridge', 'host', 'none', 'default'];
const NO_POOL = 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network';
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

const newId = () => randomBytes(32).toString('hex');

const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

function checkBridgeName(name: string): void {
  if (!BRIDGE_NAME.test(name) || name === '.' || name === '..') {
    throw invalidParameter(`invalid bridge name "${name}": up to 15 of [A-Za-z0-9_.-]`);
  }
}

/** Why berth leaves a network's bridge name alone. */
function foreignBridge(name: string): string {
  return `interface ${name} already exists on this host and is not a bridge this berth daemon created`;
}

export class NetworkService {
  private state: State;
  private readonly ipam: Ipam;
  private readonly dns = new Map<string, DnsServer>();
  /** The state write in progress (or the last one), and the one queued behind it. */
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private readonly path: string;
  /** The alias that marks the bridges this daemon made. */
  private readonly marker: string;
  /** Networks whose bridge name another interface took while the daemon was down. */
  private readonly unusable = new Set<string>();
  /** Lets the DNS servers find container names (set by the daemon). */
  private names: (containerId: string) => { name: string; hostname: string } | undefined = () => undefined;

  private constructor(
    private readonly cfg: NetworkConfig,
    private readonly log: Logger,
    private readonly host: Host,
    state: State,
  ) {
    this.state = state;
    this.ipam = new Ipam(state.ipam);
    this.path = join(cfg.root, 'network', 'state.json');
    this.marker = `berth:${cfg.owner}`;
  }

  static async open(cfg: NetworkConfig, log: Logger, host: Host): Promise<NetworkService> {
    checkBridgeName(cfg.bridgeName);
    if (/\s/.test(cfg.owner)) throw invalidParameter(`invalid owner: ${JSON.stringify(cfg.owner)}`);
    await fs.mkdir(join(cfg.root, 'network'), { recursive: true });
    const loaded = await readJsonIfExists<State>(join(cfg.root, 'network', 'state.json'));
    const svc = new NetworkService(cfg, log, host, loaded ?? { networks: [], attachments: {}, endpoints: [], ipam: { pools: {} } });
    await svc.ensureBuiltins();
    return svc;
  }

  setNameLookup(fn: (containerId: string) => { name: string; hostname: string } | undefined): void {
    this.names = fn;
  }

  /**
   * Writes the state (atomically, synced) behind the changes: one write at a
   * time, each of the state as it is when the write begins, so changes made
   * during a write share the next one. Resolves once a write begun after
   * this call is on disk.
   */
  private save(): Promise<void> {
    this.queued ??= this.writing
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        this.state.ipam = this.ipam.toJSON();
        this.writing = writeJsonAtomic(this.path, JSON.parse(JSON.stringify(this.state)) as State);
        return this.writing;
      });
    return this.queued;
  }

  /** A save nobody waits for (its failure is logged); flush() still waits for it. */
  private saveBehind(): void {
    this.save().catch((e: unknown) => this.log.error('cannot write the network state', { path: this.path, err: messageOf(e) }));
  }

  /** Resolves when every change made so far is on disk (rejects when that write failed). */
  flush(): Promise<void> {
    return this.queued ?? this.writing;
  }

  // --- networks ---------------------------------------------------------------

  private async ensureBuiltins(): Promise<void> {
    const byName = (n: string) => this.state.networks.find((x) => x.name === n && x.builtin);
    if (!byName('bridge')) {
      const subnet = this.cfg.bridgeSubnet ?? nextFreeSubnet(this.host.net.hostRoutes(), this.state.networks.map((n) => n.subnet).filter(Boolean));
      if (!subnet) throw unavailable(NO_POOL);
      if (!this.cfg.bridgeSubnet && subnet !== '172.17.0.0/16') this.log.info('172.17.0.0/16 is in use on this host; the default bridge takes another subnet', { subnet });
      const p = parseCidr(subnet);
      this.state.networks.push(this.record({ name: 'bridge', driver: 'bridge', bridge: this.cfg.bridgeName, subnet, gateway: p.nth(1), builtin: true, options: { 'com.docker.network.bridge.name': this.cfg.bridgeName, 'com.docker.network.bridge.default_bridge': 'true' } }));
    } else if (this.cfg.bridgeSubnet && byName('bridge')!.subnet !== this.cfg.bridgeSubnet) {
      const b = byName('bridge')!;
      if (this.endpointsOn(b.id).length > 0) throw conflict(`cannot change the default bridge subnet to ${this.cfg.bridgeSubnet}: containers are running on ${b.subnet}`);
      this.ipam.releasePool(b.id);
      b.subnet = this.cfg.bridgeSubnet;
      b.gateway = parseCidr(b.subnet).nth(1);
    }
    if (!byName('host')) this.state.networks.push(this.record({ name: 'host', driver: 'host', builtin: true }));
    if (!byName('none')) this.state.networks.push(this.record({ name: 'none', driver: 'null', builtin: true }));
    for (const n of this.state.networks) if (n.driver === 'bridge') this.ipam.requestPool(n.id, n.subnet, n.gateway, n.ipRange || undefined);
    await this.save();
  }

  private record(o: Partial<NetworkRecord> & { name: string; driver: NetworkRecord['driver'] }): NetworkRecord {
    return {
      id: newId(),
      bridge: '',
      subnet: '',
      gateway: '',
      ipRange: '',
      internal: false,
      attachable: false,
      labels: {},
      options: {},
      created: new Date().toISOString(),
      builtin: false,
      ...o,
    };
  }

  list(): NetworkRecord[] {
    return [...this.state.networks];
  }

  /** By full ID, name, or unique ID prefix (Docker's order). */
  resolve(ref: string): NetworkRecord {
    const n = this.tryResolve(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  tryResolve(ref: string): NetworkRecord | undefined {
    const nets = this.state.networks;
    const exact = nets.find((n) => n.id === ref) ?? nets.find((n) => n.name === ref);
    if (exact) return exact;
    const byPrefix = nets.filter((n) => n.id.startsWith(ref));
    if (byPrefix.length > 1) throw invalidParameter(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    return byPrefix[0];
  }

  /** Brings up bridges, DNS servers and the firewall for everything recorded (idempotent). */
  async start(): Promise<void> {
    this.host.net.ensureSysctl(sysctlKeys.ipForward, '1');
    for (const n of this.state.networks) {
      if (n.driver !== 'bridge') continue;
      await this.claimOlderBridge(n);
      if (this.bridgeOwner(n.bridge) === 'foreign') {
        if (n.builtin) throw conflict(`cannot set up the default bridge: ${foreignBridge(n.bridge)}; remove it or start berthd with another --bridge-name`);
        this.unusable.add(n.id);
        this.log.error('network left out: its bridge name is taken; berth does not touch that interface', { network: n.name, bridge: n.bridge });
        continue;
      }
      await this.ensureBridge(n);
    }
    // Recreate once: a flush cannot change chains whose layout an older berth defined differently.
    await this.host.net.nftApply(buildRuleset(this.firewallState(), { recreate: true }));
    await this.syncForwardCompat();
  }

  /**
   * A Docker daemon on the same host sets iptables FORWARD to DROP; a drop in
   * any base chain is final, so berth's bridges get accept rules there too.
   */
  private async syncForwardCompat(): Promise<void> {
    const bridges = this.usableBridges().map((n) => n.bridge);
    for (const backend of ['nft', 'legacy'] as const) {
      try {
        const rules = await this.host.net.iptablesFilterRules(backend);
        if (rules === undefined) continue;
        const input = forwardCompatRestore(bridges, parseIptablesRules(rules), this.cfg.forwardChain);
        if (input) await this.host.net.iptablesRestore(backend, input);
      } catch (e) {
        this.log.warn('cannot add berth bridges to the iptables FORWARD chain', { backend, err: messageOf(e) });
      }
    }
  }

  private usableBridges(): NetworkRecord[] {
    return this.state.networks.filter((n) => n.driver === 'bridge' && !this.unusable.has(n.id));
  }

  /** Whether interface `name` is absent, a bridge this daemon made, or anything else (left alone). */
  private bridgeOwner(name: string): 'absent' | 'ours' | 'foreign' {
    const link = this.host.net.linkInfo(name);
    if (!link) return 'absent';
    return link.bridge && link.alias === this.marker ? 'ours' : 'foreign';
  }

  /**
   * Bridges made by a berth that did not mark them yet (kept by live
   * restore across an upgrade): a recorded network's bridge without any
   * alias that carries the network's gateway address gets the mark.
   */
  private async claimOlderBridge(n: NetworkRecord): Promise<void> {
    const link = this.host.net.linkInfo(n.bridge);
    if (!link?.bridge || link.alias !== '' || !link.ipv4.includes(n.gateway)) return;
    await this.host.net.ipBatch([`link set ${n.bridge} alias ${this.marker}`]);
    this.log.info('bridge of an earlier berth marked as this daemon\'s', { network: n.name, bridge: n.bridge });
  }

  /** Creates the network's bridge (marked as this daemon's) unless it has it already; refuses any other interface of that name. */
  private async ensureBridge(n: NetworkRecord): Promise<void> {
    const owner = this.bridgeOwner(n.bridge);
    if (owner === 'foreign') throw conflict(`cannot use ${n.bridge} as the bridge of network ${n.name}: ${foreignBridge(n.bridge)}; choose another com.docker.network.bridge.name`);
    if (owner === 'absent') {
      const prefix = parseCidr(n.subnet).prefix;
      try {
        await this.host.net.ipBatch([`link add name ${n.bridge} type bridge`, `link set ${n.bridge} alias ${this.marker}`, `addr add ${n.gateway}/${prefix} dev ${n.bridge}`, `link set ${n.bridge} up`]);
      } catch (e) {
        // A failing first line means someone took the name meanwhile: not ours to delete.
        if (e instanceof IpBatchError && (e.lineNumber ?? 1) > 1) await this.host.net.ipBatch([`link del ${n.bridge}`]).catch(() => {});
        throw e;
      }
    }
    // Published ports must answer on 127.0.0.1 too: DNAT of local traffic out of the bridge needs route_localnet.
    await this.host.net.writeSysctl(sysctlKeys.routeLocalnet(n.bridge), '1');
    if (!n.builtin && !this.dns.has(n.id)) await this.startDns(n);
  }

  /** Deletes those of `bridges` that this daemon made (anything else of that name is left alone). */
  private async deleteBridges(bridges: string[]): Promise<void> {
    const ours = bridges.filter((b) => this.bridgeOwner(b) === 'ours');
    if (ours.length) await this.host.net.ipBatch(ours.map((b) => `link del ${b}`));
  }

  private async startDns(n: NetworkRecord): Promise<void> {
    const subnet = parseCidr(n.subnet);
    const server = new DnsServer({
      listen: { address: n.gateway, port: 53 },
      lookup: (name) => this.lookupName(n.id, name),
      // Internal networks have no way out, DNS forwarding included (Docker fixed that leak as CVE-2024-29018).
      upstream: n.internal ? [] : resolvConfNameservers(this.host.net.resolvConf()),
      // Only this network's containers: the gateway address is reachable from other networks and hosts.
      allow: (ip) => subnet.contains(ip),
      upstreamFor: (ip) => {
        if (n.internal) return [];
        const ep = this.endpointsOn(n.id).find((e) => e.ip === ip);
        return ep?.dns?.length ? ep.dns : undefined;
      },
    });
    try {
      await server.start();
      this.dns.set(n.id, server);
    } catch (e) {
      this.log.warn('cannot start the DNS server of a network: names will not resolve on it', { network: n.name, err: messageOf(e) });
    }
  }

  /** IPv4 addresses answering a name on a network: container names, hostnames, aliases, short IDs. */
  private lookupName(networkId: string, query: string): string[] {
    const q = query.replace(/\.$/, '').toLowerCase();
    const out: string[] = [];
    for (const e of this.endpointsOn(networkId)) {
      const c = this.names(e.containerId);
      const names = [c?.name, c?.hostname, e.containerId.slice(0, 12), ...e.aliases].filter((x): x is string => !!x).map((x) => x.toLowerCase());
      if (names.includes(q)) out.push(e.ip);
    }
    return out;
  }

  async create(o: { name: string; driver?: string; subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; attachable?: boolean; labels?: Record<string, string>; options?: Record<string, string> }): Promise<NetworkRecord> {
    const driver = o.driver || 'bridge';
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) throw invalidParameter(`invalid network name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (BUILTIN_NAMES.includes(o.name)) throw forbidden(`${o.name} is a pre-defined network and cannot be created`);
    if (this.state.networks.some((n) => n.name === o.name)) throw conflict(`network with name ${o.name} already exists`);
    const used = this.state.networks.map((n) => n.subnet).filter(Boolean);
    let subnet = o.subnet;
    if (subnet) {
      const p = parseCidr(subnet);
      subnet = `${p.network}/${p.prefix}`;
      const clash = this.state.networks.find((n) => n.subnet && parseCidr(n.subnet).overlaps(p));
      if (clash) throw forbidden(`Pool overlaps with other one on this address space`);
    } else {
      subnet = nextFreeSubnet(this.host.net.hostRoutes(), used);
      if (!subnet) throw unavailable(NO_POOL);
    }
    const p = parseCidr(subnet);
    const gateway = o.gateway || p.nth(1);
    if (!p.contains(gateway)) throw invalidParameter(`gateway ${gateway} is not in subnet ${subnet}`);
    if (o.ipRange && !p.containsCidr(parseCidr(o.ipRange))) throw invalidParameter(`ip-range ${o.ipRange} is not in subnet ${subnet}`);
    const id = newId();
    const bridge = o.options?.['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
    checkBridgeName(bridge);
    const sharing = this.state.networks.find((n) => n.bridge === bridge);
    if (sharing) throw conflict(`bridge name ${bridge} is already used by network ${sharing.name}`);
    const rec = this.record({
      id,
      name: o.name,
      driver: 'bridge',
      bridge,
      subnet,
      gateway,
      ipRange: o.ipRange ?? '',
      internal: !!o.internal,
      attachable: !!o.attachable,
      labels: o.labels ?? {},
      options: o.options ?? {},
    });
    this.ipam.requestPool(rec.id, rec.subnet, rec.gateway, rec.ipRange || undefined);
    try {
      await this.ensureBridge(rec);
      this.state.networks.push(rec);
      await this.applyFirewall();
      await this.syncForwardCompat();
      await this.save();
    } catch (e) {
      this.state.networks = this.state.networks.filter((n) => n.id !== rec.id);
      this.ipam.releasePool(rec.id);
      this.dns.get(rec.id)?.close();
      this.dns.delete(rec.id);
      await this.deleteBridges([rec.bridge]).catch(() => {});
      throw e;
    }
    return rec;
  }

  async remove(ref: string, usersOf: (networkId: string) => string[]): Promise<void> {
    const n = this.resolve(ref);
    if (n.builtin) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    const users = [...new Set([...usersOf(n.id), ...this.endpointsOn(n.id).map((e) => e.containerId)])];
    if (users.length) throw forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    this.dns.get(n.id)?.close();
    this.dns.delete(n.id);
    this.state.networks = this.state.networks.filter((x) => x.id !== n.id);
    for (const [cid, reqs] of Object.entries(this.state.attachments)) this.state.attachments[cid] = reqs.filter((r) => r.networkId !== n.id);
    this.ipam.releasePool(n.id);
    const wasUsable = !this.unusable.delete(n.id);
    await this.save();
    await this.applyFirewall();
    await this.syncForwardCompat();
    if (wasUsable) await this.deleteBridges([n.bridge]);
  }

  // --- containers -------------------------------------------------------------

  /** The networks a container is on, in order (the first gives the default route). */
  requests(containerId: string): EndpointRequest[] {
    return this.state.attachments[containerId] ?? [];
  }

  /** Records the networks of a new container (its network mode, and the endpoint settings of create). */
  async register(c: ContainerNetInfo): Promise<void> {
    const mode = c.networkMode;
    // No networks: nothing to record (requests() answers [] for it), and no state write (an fsync) on the way.
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return;
    const n = this.resolve(mode);
    if (n.driver !== 'bridge') throw invalidParameter(`network ${mode} cannot be used as a container network mode`);
    if (c.ipv4Address && n.builtin) throw invalidParameter('user specified IP address is supported on user defined networks only');
    if (c.ipv4Address && !parseCidr(n.subnet).contains(c.ipv4Address)) throw invalidParameter(`no configured subnet or ip-range contain the IP address ${c.ipv4Address}`);
    if (c.aliases.length && n.builtin) throw invalidParameter('network-scoped alias is supported only for containers in user defined networks');
    this.state.attachments[c.id] = [{ networkId: n.id, aliases: c.aliases, ipv4Address: c.ipv4Address, links: c.links }];
    this.saveBehind();
  }

  async unregister(containerId: string): Promise<void> {
    if (!(containerId in this.state.attachments)) return;
    delete this.state.attachments[containerId];
    this.saveBehind();
  }

  endpoints(containerId: string): Endpoint[] {
    return this.state.endpoints.filter((e) => e.containerId === containerId);
  }

  private endpointsOn(networkId: string): Endpoint[] {
    return this.state.endpoints.filter((e) => e.networkId === networkId);
  }

  network(id: string): NetworkRecord | undefined {
    return this.state.networks.find((n) => n.id === id);
  }

  /**
   * Connects a just-created container (its process `pid` exists, has not
   * started) to its networks: addresses, veths, routes, published ports.
   * On failure everything done so far is undone.
   */
  async attach(c: ContainerNetInfo, pid: number): Promise<Endpoint[]> {
    const reqs = this.requests(c.id);
    if (reqs.length === 0) return [];
    const made: Endpoint[] = [];
    try {
      for (const [i, r] of reqs.entries()) made.push(await this.connectEndpoint(c, pid, r, `eth${i}`, i === 0));
      const publishes = await this.allocatePublishes(c);
      if (publishes.length) {
        const primary = made[0]!;
        primary.publishes = publishes;
      }
      this.state.endpoints.push(...made);
      if (publishes.length) await this.applyFirewall();
      this.saveBehind();
      return made;
    } catch (e) {
      this.state.endpoints = this.state.endpoints.filter((x) => !made.includes(x));
      for (const m of made) this.ipam.releaseAddress(m.networkId, m.ip);
      if (made.some((m) => m.publishes.length)) await this.applyFirewall().catch(() => {});
      await this.deleteVeths(made);
      throw e;
    }
  }

  private async connectEndpoint(c: ContainerNetInfo, pid: number, r: EndpointRequest, ifname: string, primary: boolean): Promise<Endpoint> {
    const n = this.network(r.networkId);
    if (!n) throw notFound(`network ${r.networkId} not found`);
    if (this.unusable.has(n.id)) throw conflict(`network ${n.name} cannot be used: ${foreignBridge(n.bridge)}; remove that interface and restart berthd, or remove the network`);
    const ip = this.ipam.requestAddress(n.id, r.ipv4Address || undefined);
    const prefixLen = parseCidr(n.subnet).prefix;
    const mac = primary && c.macAddress ? c.macAddress : macFromIp(ip);
    const veth = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    const ep: Endpoint = { containerId: c.id, networkId: n.id, id: newId(), ifname, veth, ip, prefixLen, gateway: n.gateway, mac, aliases: r.aliases, publishes: [], ...(c.dns.length ? { dns: c.dns } : {}) };
    try {
      await this.host.net.connectVeth({ hostName: veth, bridge: n.bridge, pid, ifname, mac, address: ip, prefixLen, ...(primary && !n.internal ? { gateway: n.gateway } : {}) });
    } catch (e) {
      this.ipam.releaseAddress(n.id, ip);
      if (this.host.net.linkExists(veth)) await this.host.net.deleteLinks([veth]).catch(() => {});
      throw e;
    }
    return ep;
  }

  /** Host ports for -p and -P, checked free (on the host and among berth's own). */
  private async allocatePublishes(c: ContainerNetInfo): Promise<PublishedPort[]> {
    const out: PublishedPort[] = [];
    const taken = new Set(this.state.endpoints.flatMap((e) => e.publishes.map((p) => `${p.proto}/${p.hostPort}`)));
    const bindings: [string, { hostIp: string; hostPort: string }[]][] = Object.entries(c.portBindings);
    if (c.publishAllPorts) for (const p of c.exposedPorts) if (!c.portBindings[p]) bindings.push([p, [{ hostIp: '', hostPort: '' }]]);
    for (const [port, list] of bindings) {
      const m = /^(\d+)(?:-(\d+))?\/(tcp|udp|sctp)$/.exec(port.includes('/') ? port : `${port}/tcp`);
      if (!m) throw invalidParameter(`invalid port specification: "${port}"`);
      const proto = m[3] as 'tcp' | 'udp';
      if (m[3] === 'sctp') throw invalidParameter('sctp ports cannot be published by berth');
      const containerPort = Number(m[1]);
      for (const b of list.length ? list : [{ hostIp: '', hostPort: '' }]) {
        const hostIp = b.hostIp === '0.0.0.0' ? '' : b.hostIp;
        if (hostIp.includes(':')) continue; // IPv6 bindings: not supported, Docker also skips them without IPv6
        // `-p 8000-8005:80` gives one container port a host range: Docker takes the first free port in it.
        const [low = 0, high = low] = b.hostPort ? b.hostPort.split('-').map(Number) : [];
        let hostPort = 0;
        if (low === 0) hostPort = await freePort(this.host, proto, hostIp, taken);
        else {
          for (let p = low; p <= high && !hostPort; p++) if (!taken.has(`${proto}/${p}`) && (await this.host.net.portFree(proto, hostIp, p))) hostPort = p;
          if (!hostPort) throw conflict(`driver failed programming external connectivity on endpoint ${c.name}: Bind for ${hostIp || '0.0.0.0'}:${b.hostPort} failed: port is already allocated`);
        }
        taken.add(`${proto}/${hostPort}`);
        out.push({ proto, containerPort, hostIp, hostPort });
      }
    }
    return out;
  }

  /** The container exited: its addresses and published ports go (its veths went with its namespace). */
  async detach(containerId: string): Promise<void> {
    const eps = this.endpoints(containerId);
    if (eps.length === 0) return;
    this.state.endpoints = this.state.endpoints.filter((e) => e.containerId !== containerId);
    for (const e of eps) this.ipam.releaseAddress(e.networkId, e.ip);
    if (eps.some((e) => e.publishes.length)) await this.applyFirewall();
    await this.deleteVeths(eps);
    // Not waited for: after a crash, reconcile() drops the endpoints of containers that do not run.
    this.saveBehind();
  }

  private async deleteVeths(eps: Endpoint[]): Promise<void> {
    const left = eps.filter((e) => this.host.net.linkExists(e.veth));
    if (left.length) await this.host.net.deleteLinks(left.map((e) => e.veth)).catch(() => {});
  }

  /** `network connect` of a running or stopped container. */
  async connect(c: ContainerNetInfo, networkRef: string, opts: { aliases: string[]; ipv4Address: string; links: string[] }, pid?: number): Promise<void> {
    const n = this.resolve(networkRef);
    if (n.driver !== 'bridge') throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    const mode = c.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) throw forbidden(`container sharing network namespace with another container or host cannot be connected to any other network`);
    const reqs = this.state.attachments[c.id] ?? [];
    if (reqs.some((r) => r.networkId === n.id)) throw forbidden(`endpoint with name ${c.name} already exists in network ${n.name}`);
    const req: EndpointRequest = { networkId: n.id, aliases: opts.aliases, ipv4Address: opts.ipv4Address, links: opts.links };
    if (pid) {
      // The lowest free ethN: after a disconnect, eth<count> may still be in use.
      const used = new Set(this.endpoints(c.id).map((e) => e.ifname));
      let i = 0;
      while (used.has(`eth${i}`)) i++;
      const ep = await this.connectEndpoint(c, pid, req, `eth${i}`, false);
      this.state.endpoints.push(ep);
    }
    this.state.attachments[c.id] = [...reqs, req];
    await this.save();
  }

  async disconnect(containerId: string, networkRef: string, running: boolean): Promise<void> {
    const n = this.resolve(networkRef);
    const reqs = this.state.attachments[containerId] ?? [];
    if (!reqs.some((r) => r.networkId === n.id)) throw forbidden(`container ${containerId} is not connected to network ${n.name}`);
    const eps = this.endpoints(containerId).filter((e) => e.networkId === n.id);
    if (running) {
      this.state.endpoints = this.state.endpoints.filter((e) => !eps.includes(e));
      for (const e of eps) this.ipam.releaseAddress(e.networkId, e.ip);
      await this.deleteVeths(eps);
      if (eps.some((e) => e.publishes.length)) await this.applyFirewall();
    }
    this.state.attachments[containerId] = reqs.filter((r) => r.networkId !== n.id);
    await this.save();
  }

  // --- firewall ---------------------------------------------------------------

  /** The rules of the usable networks: none name an interface this daemon did not make. */
  firewallState(): FirewallState {
    const usable = this.usableBridges();
    const bridges = new Map(usable.map((n) => [n.id, n.bridge]));
    return {
      table: this.cfg.table,
      networks: usable.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal, masquerade: !n.internal })),
      publishes: this.state.endpoints
        .filter((e) => bridges.has(e.networkId))
        .flatMap((e) => e.publishes.map((p) => ({ containerIp: e.ip, bridge: bridges.get(e.networkId)!, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort }))),
    };
  }

  private async applyFirewall(): Promise<void> {
    await this.host.net.nftApply(buildRuleset(this.firewallState()));
  }

  /**
   * Daemon stop: DNS servers stop; bridges and the firewall table go when no
   * running container needs them (live restore keeps them otherwise).
   */
  async close(): Promise<void> {
    for (const d of this.dns.values()) d.close();
    this.dns.clear();
    await this.flush().catch(() => {}); // a failed write was logged when it failed
    if (this.state.endpoints.length > 0) return;
    await this.host.net.nftDeleteTable('ip', this.cfg.table);
    for (const backend of ['nft', 'legacy'] as const) {
      const rules = await this.host.net.iptablesFilterRules(backend).catch(() => undefined);
      const input = rules === undefined ? undefined : forwardCompatRemoval(parseIptablesRules(rules), this.cfg.forwardChain);
      if (input) await this.host.net.iptablesRestore(backend, input).catch(() => {});
    }
    await this.deleteBridges(this.usableBridges().map((n) => n.bridge)).catch(() => {});
  }

  /** Drops endpoints of containers that are no longer running (after a daemon restart). */
  async reconcile(running: (containerId: string) => boolean): Promise<void> {
    const stale = [...new Set(this.state.endpoints.filter((e) => !running(e.containerId)).map((e) => e.containerId))];
    for (const id of stale) await this.detach(id);
  }
}

async function freePort(host: Host, proto: 'tcp' | 'udp', hostIp: string, taken: Set<string>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = EPHEMERAL_LOW + Math.floor(Math.random() * (EPHEMERAL_HIGH - EPHEMERAL_LOW));
    if (!taken.has(`${proto}/${p}`) && (await host.net.portFree(proto, hostIp, p))) return p;
  }
  throw conflict('no free host port to publish on');
}
