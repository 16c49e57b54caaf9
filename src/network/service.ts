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
import { AddressOutOfRange, Ipam, isIpv4, macFromIp, nextFreeSubnet, parseCidr, type IpamState } from './ipam.js';
import { isIpv6, parseCidr6, parseIpv6 as parseIpv6Text, Pool6, type Pool6State } from './ipv6.js';
import type { Endpoint, EndpointRequest, EndpointSpec, Ipv6Pool, NetworkRecord, PublishedPort } from './types.js';

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
  /**
   * Docker's network events: create and destroy of a network, connect and
   * disconnect of a container's endpoint (at start, stop, network connect
   * and disconnect of a running container). Attributes: name, type, and
   * container for the endpoint events.
   */
  onEvent?: (action: 'create' | 'destroy' | 'connect' | 'disconnect', networkId: string, attributes: Record<string, string>) => void;
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
  /**
   * Every network of NetworkingConfig at create, the network mode's first;
   * without it the network mode alone, with `aliases` and `ipv4Address`.
   */
  endpoints?: EndpointSpec[];
}

/** Endpoint driver options Docker's bridge driver acts on and berth does not. */
const REFUSED_ENDPOINT_OPTS = ['com.docker.network.endpoint.sysctls', 'com.docker.network.endpoint.ifname'];

function endpointSpecs(c: ContainerNetInfo): EndpointSpec[] {
  if (c.endpoints?.length) return c.endpoints;
  return [{ network: c.networkMode, aliases: c.aliases, ipv4Address: c.ipv4Address, ipv6Address: '', linkLocalIps: [], links: c.links, macAddress: '', driverOpts: {} }];
}

interface State {
  networks: NetworkRecord[];
  attachments: Record<string, EndpointRequest[]>;
  endpoints: Endpoint[];
  ipam: IpamState;
  /** The IPv6 pools of dual-stack networks, by network ID. */
  ipam6?: Record<string, Pool6State>;
}

/** One entry of IPAM.Config as the network service takes it. */
export interface IpamConfigRequest {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

export interface NetworkCreateOptions {
  name: string;
  driver?: string;
  ipam?: IpamConfigRequest[];
  enableIPv6?: boolean;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

const BUILTIN_NAMES = ['bridge', 'host', 'none', 'default'];
const NO_POOL = 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network';
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

const newId = () => randomBytes(32).toString('hex');

const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

const OPT_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
const OPT_MTU = 'com.docker.network.driver.mtu';
/** Bridge driver options berth honours, with the values it takes. */
const BRIDGE_OPTIONS: Record<string, (v: string) => boolean> = {
  'com.docker.network.bridge.name': () => true,
  [OPT_MASQUERADE]: (v) => v === 'true' || v === 'false',
  // Containers always reach each other on their network here; only "true" describes that.
  'com.docker.network.bridge.enable_icc': (v) => v === 'true',
  [OPT_MTU]: (v) => /^\d+$/.test(v) && Number(v) >= 68 && Number(v) <= 65535,
};

/** Refuses driver options berth would not act on, naming them (Docker's bridge ignores unknown ones). */
function checkBridgeOptions(options: Record<string, string>): void {
  for (const [k, v] of Object.entries(options)) {
    const ok = BRIDGE_OPTIONS[k];
    if (!ok) throw invalidParameter(`network option ${k} is not supported by berth (supported: ${Object.keys(BRIDGE_OPTIONS).join(', ')})`);
    if (!ok(v)) throw invalidParameter(`invalid value ${JSON.stringify(v)} for network option ${k}`);
  }
}

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
  private readonly ipam6 = new Map<string, Pool6>();
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
    for (const [id, p] of Object.entries(state.ipam6 ?? {})) this.ipam6.set(id, Pool6.restore(p));
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
        this.state.ipam6 = Object.fromEntries([...this.ipam6].map(([id, p]) => [id, p.toJSON()]));
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
        const v6 = n.ipv6 ? [`addr add ${n.ipv6.gateway}/${parseCidr6(n.ipv6.subnet).prefix} dev ${n.bridge} nodad`] : [];
        const mtu = n.options[OPT_MTU] ? [`link set ${n.bridge} mtu ${n.options[OPT_MTU]}`] : [];
        await this.host.net.ipBatch([`link add name ${n.bridge} type bridge`, `link set ${n.bridge} alias ${this.marker}`, ...mtu, `addr add ${n.gateway}/${prefix} dev ${n.bridge}`, ...v6, `link set ${n.bridge} up`]);
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
      lookup: (name, client) => this.lookupName(n.id, name, client),
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

  /**
   * Addresses answering a name asked on a network's DNS server: container
   * names, hostnames, aliases, short IDs, and link aliases of the asking
   * container (a link `target:alias` names the target for it only). A
   * container on several networks resolves names on each of them (the
   * network asked first), as Docker's embedded DNS does.
   */
  private lookupName(networkId: string, query: string, client?: string): string[] {
    const q = query.replace(/\.$/, '').toLowerCase();
    const asker = client ? this.endpointsOn(networkId).find((e) => e.ip === client || e.ipv6?.ip === client) : undefined;
    const nets = [networkId, ...(asker ? this.endpoints(asker.containerId).map((e) => e.networkId).filter((id) => id !== networkId) : [])];
    for (const id of nets) {
      const found = this.lookupOn(id, q, asker?.containerId);
      if (found.length) return found;
    }
    return [];
  }

  private lookupOn(networkId: string, q: string, asker: string | undefined): string[] {
    const links = asker ? this.requests(asker).find((r) => r.networkId === networkId)?.links ?? [] : [];
    const targets = links.map((l) => l.replace(/^\//, '').split(':')).filter(([t, a]) => (a ?? t)!.split('/').pop()!.toLowerCase() === q).map(([t]) => t!.toLowerCase());
    const out: string[] = [];
    for (const e of this.endpointsOn(networkId)) {
      const c = this.names(e.containerId);
      const names = [c?.name, c?.hostname, e.containerId.slice(0, 12), ...e.aliases].filter((x): x is string => !!x).map((x) => x.toLowerCase());
      const isTarget = targets.some((t) => t === c?.name.toLowerCase() || (t.length >= 12 && e.containerId.startsWith(t)));
      if (names.includes(q) || isTarget) out.push(e.ip, ...(e.ipv6 ? [e.ipv6.ip] : []));
    }
    return out;
  }

  async create(o: NetworkCreateOptions): Promise<NetworkRecord> {
    const driver = o.driver || 'bridge';
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (BUILTIN_NAMES.includes(o.name)) throw forbidden(`${o.name} is a pre-defined network and cannot be created`);
    if (this.state.networks.some((n) => n.name === o.name)) throw conflict(`network with name ${o.name} already exists`);
    checkBridgeOptions(o.options ?? {});
    const { v4, v6 } = splitIpamConfigs(o.ipam ?? []);
    if (v6 && !o.enableIPv6) throw invalidParameter(`IPAM.Config has the IPv6 subnet ${v6.subnet}, but EnableIPv6 is not set: set it (docker network create --ipv6) to use IPv6 on this network`);
    const subnet = v4?.subnet ? this.freeSubnet(v4.subnet) : nextFreeSubnet(this.host.net.hostRoutes(), this.state.networks.map((n) => n.subnet).filter(Boolean));
    if (!subnet) throw unavailable(NO_POOL);
    const id = newId();
    const bridge = o.options?.['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
    checkBridgeName(bridge);
    const sharing = this.state.networks.find((n) => n.bridge === bridge);
    if (sharing) throw conflict(`bridge name ${bridge} is already used by network ${sharing.name}`);
    if (o.enableIPv6) this.checkIpv6Host();
    const ipv6 = o.enableIPv6 ? this.ipv6Pool(v6) : undefined;
    const pool = this.ipam.requestPool(id, subnet, v4?.gateway || undefined, v4?.ipRange || undefined);
    try {
      reserveAux(v4?.auxAddresses ?? {}, subnet, (ip) => this.ipam.requestAddress(id, ip));
      if (ipv6) {
        const p6 = new Pool6(ipv6.subnet, ipv6.gateway || undefined, ipv6.ipRange || undefined);
        reserveAux(ipv6.auxAddresses, p6.subnet.toString(), (ip) => p6.request(ip));
        ipv6.gateway = p6.gatewayText;
        this.ipam6.set(id, p6);
      }
    } catch (e) {
      this.ipam.releasePool(id);
      this.ipam6.delete(id);
      throw e;
    }
    const rec = this.record({
      id,
      name: o.name,
      driver: 'bridge',
      bridge,
      subnet: pool.subnet,
      gateway: pool.gateway,
      ipRange: pool.ipRange ?? '',
      internal: !!o.internal,
      attachable: !!o.attachable,
      labels: o.labels ?? {},
      options: o.options ?? {},
      ...(v4?.auxAddresses && Object.keys(v4.auxAddresses).length ? { auxAddresses: v4.auxAddresses } : {}),
      ...(ipv6 ? { ipv6 } : {}),
    });
    try {
      await this.ensureBridge(rec);
      this.state.networks.push(rec);
      await this.applyFirewall();
      await this.syncForwardCompat();
      await this.save();
      this.emit('create', rec);
    } catch (e) {
      this.state.networks = this.state.networks.filter((n) => n.id !== rec.id);
      this.ipam.releasePool(rec.id);
      this.ipam6.delete(rec.id);
      this.dns.get(rec.id)?.close();
      this.dns.delete(rec.id);
      await this.deleteBridges([rec.bridge]).catch(() => {});
      throw e;
    }
    return rec;
  }

  /**
   * IPv6 networks are on-link only: berth has no IPv6 firewall, so it keeps
   * them apart by the host not routing IPv6 at all.
   */
  private checkIpv6Host(): void {
    const disabled = this.host.net.readSysctl(sysctlKeys.ipv6Disabled);
    if (disabled === undefined || disabled === '1') throw conflict('cannot create an IPv6 network: IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)');
    if (this.host.net.readSysctl(sysctlKeys.ipv6Forwarding) === '1') {
      throw conflict('cannot create an IPv6 network: this host forwards IPv6 (net.ipv6.conf.all.forwarding=1), and berth has no IPv6 firewall to keep its networks apart; berth\'s IPv6 is on-link only');
    }
  }

  /** A requested IPv4 subnet, canonical, refused when it overlaps another network's. */
  private freeSubnet(requested: string): string {
    const p = parseCidr(requested);
    if (this.state.networks.some((n) => n.subnet && parseCidr(n.subnet).overlaps(p))) throw forbidden('Pool overlaps with other one on this address space');
    return `${p.network}/${p.prefix}`;
  }

  /** The IPv6 pool of a new dual-stack network: as configured, or a unique local /64 of its own. */
  private ipv6Pool(cfg: IpamConfigRequest | undefined): Ipv6Pool {
    const taken = [...this.ipam6.values()].map((p) => p.subnet);
    if (cfg?.subnet) {
      const c = parseCidr6(cfg.subnet);
      if (taken.some((t) => t.overlaps(c))) throw forbidden('Pool overlaps with other one on this address space');
      return { subnet: c.toString(), gateway: cfg.gateway ?? '', ipRange: cfg.ipRange ?? '', auxAddresses: cfg.auxAddresses ?? {} };
    }
    for (;;) {
      // RFC 4193: fd00::/8 and 40 random bits make a /48 nobody else routes; its first /64 is the network's.
      const c = parseCidr6(`fd${randomBytes(5).toString('hex').replace(/^(..)(....)(....)$/, '$1:$2:$3')}::/64`);
      if (!taken.some((t) => t.overlaps(c))) return { subnet: c.toString(), gateway: '', ipRange: '', auxAddresses: {} };
    }
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
    this.ipam6.delete(n.id);
    const wasUsable = !this.unusable.delete(n.id);
    await this.save();
    await this.applyFirewall();
    await this.syncForwardCompat();
    this.emit('destroy', n);
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
    const specs = endpointSpecs(c);
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      const other = specs.find((e) => this.tryResolve(e.network)?.id !== this.tryResolve(mode)?.id);
      if (other && !mode.startsWith('container:')) throw invalidParameter(`container sharing network namespace with another container or host cannot be connected to any other network (${other.network})`);
      // No networks: nothing to record (requests() answers [] for it), and no state write (an fsync) on the way.
      return;
    }
    const reqs: EndpointRequest[] = [];
    for (const e of specs) {
      const n = this.resolve(e.network);
      if (n.driver !== 'bridge') throw invalidParameter(`network ${e.network} cannot be used as a container network mode`);
      if (reqs.some((r) => r.networkId === n.id)) throw invalidParameter(`network ${n.name} is given twice in NetworkingConfig`);
      reqs.push(this.endpointRequest(n, e));
    }
    this.state.attachments[c.id] = reqs;
    this.saveBehind();
  }

  /** Checks what a container asks for on one network, as Docker checks it, and records it. */
  private endpointRequest(n: NetworkRecord, e: Omit<EndpointSpec, 'network'>): EndpointRequest {
    if ((e.ipv4Address || e.ipv6Address) && n.builtin) throw invalidParameter('user specified IP address is supported on user defined networks only');
    if (e.ipv4Address && !parseCidr(n.subnet).contains(e.ipv4Address)) throw invalidParameter(`no configured subnet or ip-range contain the IP address ${e.ipv4Address}`);
    if (e.ipv6Address && !n.ipv6) throw invalidParameter(`invalid IPv6 address ${e.ipv6Address}: network ${n.name} has no IPv6 (create it with EnableIPv6)`);
    if (e.ipv6Address && !parseCidr6(n.ipv6!.subnet).contains(parseIpv6Text(e.ipv6Address))) throw invalidParameter(`no configured subnet or ip-range contain the IP address ${e.ipv6Address}`);
    for (const ll of e.linkLocalIps) {
      if (!(isIpv4(ll) && parseCidr('169.254.0.0/16').contains(ll)) && !(isIpv6(ll) && parseCidr6('fe80::/10').contains(parseIpv6Text(ll)))) throw invalidParameter(`invalid link-local address ${ll}: IPv4 ones are in 169.254.0.0/16, IPv6 ones in fe80::/10`);
    }
    if (e.aliases.length && n.builtin) throw invalidParameter('network-scoped alias is supported only for containers in user defined networks');
    if (e.macAddress && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.macAddress)) throw invalidParameter(`invalid MAC address: ${e.macAddress}`);
    const refused = Object.keys(e.driverOpts).filter((k) => REFUSED_ENDPOINT_OPTS.includes(k));
    if (refused.length) throw invalidParameter(`endpoint driver option ${refused.join(', ')} is not supported by berth`);
    return {
      networkId: n.id,
      aliases: e.aliases,
      ipv4Address: e.ipv4Address,
      links: e.links,
      ...(e.ipv6Address ? { ipv6Address: e.ipv6Address } : {}),
      ...(e.linkLocalIps.length ? { linkLocalIps: e.linkLocalIps } : {}),
      ...(e.macAddress ? { macAddress: e.macAddress.toLowerCase() } : {}),
      ...(Object.keys(e.driverOpts).length ? { driverOpts: e.driverOpts } : {}),
    };
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
      this.emitEndpoints('connect', made);
      return made;
    } catch (e) {
      this.state.endpoints = this.state.endpoints.filter((x) => !made.includes(x));
      for (const m of made) this.releaseAddresses(m);
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
    const mac = r.macAddress || (primary && c.macAddress ? c.macAddress : macFromIp(ip));
    const veth = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    const ep: Endpoint = { containerId: c.id, networkId: n.id, id: newId(), ifname, veth, ip, prefixLen, gateway: n.gateway, mac, aliases: r.aliases, publishes: [], ...(c.dns.length ? { dns: c.dns } : {}) };
    const pool6 = this.ipam6.get(n.id);
    try {
      if (pool6 && n.ipv6) ep.ipv6 = { ip: pool6.request(r.ipv6Address || undefined), prefixLen: pool6.subnet.prefix, gateway: n.ipv6.gateway };
    } catch (e) {
      this.ipam.releaseAddress(n.id, ip);
      throw e;
    }
    try {
      await this.host.net.connectVeth({ hostName: veth, bridge: n.bridge, pid, ifname, mac, address: ip, prefixLen, ...(primary && !n.internal ? { gateway: n.gateway } : {}) });
      const mtu = n.options[OPT_MTU];
      if (mtu) await this.host.net.ipBatch([`link set ${veth} mtu ${mtu}`]);
      const extra = [...(mtu ? [`link set ${ifname} mtu ${mtu}`] : []), ...extraInsideLines(ep, r, n, primary)];
      if (extra.length) await this.host.net.ipBatchInNetns(pid, extra);
    } catch (e) {
      this.releaseAddresses(ep);
      if (this.host.net.linkExists(veth)) await this.host.net.deleteLinks([veth]).catch(() => {});
      throw e;
    }
    return ep;
  }

  private emit(action: 'create' | 'destroy' | 'connect' | 'disconnect', n: NetworkRecord, containerId?: string): void {
    this.cfg.onEvent?.(action, n.id, { ...(containerId ? { container: containerId } : {}), name: n.name, type: n.driver });
  }

  /** connect or disconnect events of endpoints that joined or left. */
  private emitEndpoints(action: 'connect' | 'disconnect', eps: Endpoint[]): void {
    for (const e of eps) {
      const n = this.network(e.networkId);
      if (n) this.emit(action, n, e.containerId);
    }
  }

  private releaseAddresses(e: Endpoint): void {
    this.ipam.releaseAddress(e.networkId, e.ip);
    if (e.ipv6) this.ipam6.get(e.networkId)?.release(e.ipv6.ip);
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
    this.emitEndpoints('disconnect', eps);
    for (const e of eps) this.releaseAddresses(e);
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
  async connect(c: ContainerNetInfo, networkRef: string, opts: Partial<Omit<EndpointSpec, 'network'>>, pid?: number): Promise<void> {
    const n = this.resolve(networkRef);
    if (n.driver !== 'bridge') throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    const mode = c.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) throw forbidden(`container sharing network namespace with another container or host cannot be connected to any other network`);
    const reqs = this.state.attachments[c.id] ?? [];
    if (reqs.some((r) => r.networkId === n.id)) throw forbidden(`endpoint with name ${c.name} already exists in network ${n.name}`);
    const req = this.endpointRequest(n, { aliases: [], ipv4Address: '', ipv6Address: '', linkLocalIps: [], links: [], macAddress: '', driverOpts: {}, ...opts });
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
    if (pid) this.emit('connect', n, c.id);
  }

  async disconnect(containerId: string, networkRef: string, running: boolean): Promise<void> {
    const n = this.resolve(networkRef);
    const reqs = this.state.attachments[containerId] ?? [];
    if (!reqs.some((r) => r.networkId === n.id)) throw forbidden(`container ${containerId} is not connected to network ${n.name}`);
    const eps = this.endpoints(containerId).filter((e) => e.networkId === n.id);
    if (running) {
      this.state.endpoints = this.state.endpoints.filter((e) => !eps.includes(e));
      for (const e of eps) this.releaseAddresses(e);
      await this.deleteVeths(eps);
      if (eps.some((e) => e.publishes.length)) await this.applyFirewall();
    }
    this.state.attachments[containerId] = reqs.filter((r) => r.networkId !== n.id);
    await this.save();
    if (running) this.emit('disconnect', n, containerId);
  }

  // --- firewall ---------------------------------------------------------------

  /** The rules of the usable networks: none name an interface this daemon did not make. */
  firewallState(): FirewallState {
    const usable = this.usableBridges();
    const bridges = new Map(usable.map((n) => [n.id, n.bridge]));
    return {
      table: this.cfg.table,
      networks: usable.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal, masquerade: !n.internal && n.options[OPT_MASQUERADE] !== 'false' })),
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

/**
 * IPAM.Config entries by family (the subnet's, else the gateway's or the
 * range's). The bridge driver takes one pool per family, as Docker's.
 */
function splitIpamConfigs(configs: IpamConfigRequest[]): { v4?: IpamConfigRequest; v6?: IpamConfigRequest } {
  const v4: IpamConfigRequest[] = [];
  const v6: IpamConfigRequest[] = [];
  for (const c of configs) {
    const family = familyOf(c);
    if (!c.subnet && (c.gateway || c.ipRange)) throw invalidParameter(`IPAM.Config: a Gateway or IPRange needs the Subnet it belongs to`);
    for (const [what, v] of [['Gateway', c.gateway], ['IPRange', c.ipRange?.replace(/\/\d+$/, '')]] as const) {
      if (v && familyOf({ subnet: v }) !== family) throw invalidParameter(`IPAM.Config: ${what} ${v} is not of the family of subnet ${c.subnet ?? ''}`);
    }
    for (const [k, a] of Object.entries(c.auxAddresses ?? {})) {
      if (k === 'DefaultGatewayIPv4' || k === 'DefaultGatewayIPv6') throw invalidParameter(`IPAM.Config AuxiliaryAddresses "${k}" (a default gateway other than the bridge) is not supported by berth`);
      if (familyOf({ subnet: a }) !== family) throw invalidParameter(`auxiliary address: (${k}:${a}) is not an address of the family of subnet ${c.subnet ?? ''}`);
    }
    (family === 6 ? v6 : v4).push(c);
  }
  if (v4.length > 1 || v6.length > 1) throw forbidden("bridge driver doesn't support multiple subnets");
  return { ...(v4[0] ? { v4: v4[0] } : {}), ...(v6[0] ? { v6: v6[0] } : {}) };
}

function familyOf(c: IpamConfigRequest): 4 | 6 {
  const addr = (c.subnet ?? c.gateway ?? c.ipRange ?? '').replace(/\/\d+$/, '');
  if (addr === '' || isIpv4(addr)) return 4;
  if (isIpv6(addr)) return 6;
  throw invalidParameter(`invalid address in IPAM.Config: ${addr}`);
}

/** Reserves a pool's auxiliary addresses (they must lie in its subnet, as Docker requires). */
function reserveAux(aux: Record<string, string>, subnet: string, reserve: (ip: string) => string): void {
  for (const [k, ip] of Object.entries(aux)) {
    try {
      reserve(ip);
    } catch (e) {
      if (e instanceof AddressOutOfRange) throw forbidden(`auxiliary address: (${k}:${ip}) must belong to the master pool: ${subnet}`, e);
      throw forbidden(`auxiliary address: (${k}:${ip}) cannot be reserved: ${messageOf(e)}`, e);
    }
  }
}

/**
 * The `ip` lines for what connectVeth (IPv4 address, up, IPv4 default route)
 * leaves to do inside: link-local addresses, the IPv6 address (without
 * duplicate address detection, so it is usable at once, as the pool already
 * made it unique) and on the primary network the IPv6 default route.
 */
function extraInsideLines(ep: Endpoint, r: EndpointRequest, n: NetworkRecord, primary: boolean): string[] {
  const dev = ep.ifname;
  const lines: string[] = [];
  for (const ll of r.linkLocalIps ?? []) lines.push(isIpv4(ll) ? `addr add ${ll}/16 dev ${dev}` : `addr add ${ll}/64 dev ${dev} nodad`);
  if (ep.ipv6) lines.push(`addr add ${ep.ipv6.ip}/${ep.ipv6.prefixLen} dev ${dev} nodad`);
  if (primary && !n.internal && ep.ipv6) lines.push(`route add default via ${ep.ipv6.gateway} dev ${dev}`);
  return lines;
}
