/**
 * IP address management (pure, no I/O): IPv4 address pools on subnets, with
 * Docker's contract (`requestPool / requestAddress / releaseAddress /
 * releasePool`) and Docker's error texts.
 *
 * Lifecycle: the service creates one Ipam at start-up, empty or from the
 * state it persisted (`new Ipam(saved)`), requests a pool per network keyed
 * by the network ID (`requestPool`, idempotent, so re-requesting restored
 * pools at start-up is fine), an address per endpoint (`requestAddress`),
 * releases them on disconnect / network removal, and persists `toJSON()`
 * after every change (allocations only live in memory otherwise).
 *
 * Allocation: lowest free address first (172.17.0.2, .3, …), inside the
 * pool's ip-range when it has one; the subnet's network address, its broadcast
 * address (prefixes up to /30) and the gateway are never handed out. A
 * preferred address (`--ip`) may be anywhere in the subnet, as in Docker.
 *
 * Errors (all EngineError; the classes below allow `instanceof`):
 * - NoAvailableIPs (Unavailable): "no available IPv4 addresses on this network's address pools"
 * - AddressInUse (Forbidden): "Address already in use"
 * - AddressOutOfRange (InvalidParameter): "requested address is out of range"
 * - PoolOverlap (Forbidden): "Pool overlaps with other one on this address space"
 * - PoolNotFound (NotFound); Conflict for a pool ID reused with another
 *   configuration; InvalidParameter for malformed input.
 */
import { EngineError } from '../errdefs/errdefs.js';
import { formatIp, parseCidr, parseIp, tryParseIp, type Cidr } from './cidr.js';

export { Cidr, canonicalCidr, cidrContains, cidrOverlaps, cidrWithin, formatIp, isIpv4, macFromIp, parseCidr, parseIp } from './cidr.js';

// ---------------------------------------------------------------- errors

/**
 * No free address left in the pool. Docker's daemon names the network after
 * the text; pass it for "…address pools: bridge (0123abcd…)".
 */
export class NoAvailableIPs extends EngineError {
  constructor(network?: { name: string; id: string }) {
    super(
      'Unavailable',
      "no available IPv4 addresses on this network's address pools" + (network ? `: ${network.name} (${network.id})` : ''),
    );
  }
}

/** The preferred address is already allocated (or is the gateway, network or broadcast address). */
export class AddressInUse extends EngineError {
  constructor() {
    super('Forbidden', 'Address already in use');
  }
}

/** The address is not inside the pool's subnet. */
export class AddressOutOfRange extends EngineError {
  constructor() {
    super('InvalidParameter', 'requested address is out of range');
  }
}

/** The requested subnet overlaps a pool that already exists. */
export class PoolOverlap extends EngineError {
  constructor() {
    super('Forbidden', 'Pool overlaps with other one on this address space');
  }
}

export class PoolNotFound extends EngineError {
  constructor(poolId: string) {
    super('NotFound', `cannot find address pool for poolID:${poolId}`);
  }
}

// ---------------------------------------------------------------- state

/** One pool as persisted. */
export interface PoolState {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** Addresses handed out (not the gateway), ascending. */
  allocated: string[];
}

/** The serialisable state of an Ipam (plain JSON): pools by pool ID. */
export interface IpamState {
  version?: 1;
  pools: Record<string, PoolState>;
}

/** What requestPool returns and pool() reports. */
export interface PoolInfo {
  id: string;
  /** Canonical ("172.17.0.0/16"). */
  subnet: string;
  gateway: string;
  ipRange?: string;
}

interface Pool {
  id: string;
  subnet: Cidr;
  range: Cidr | undefined;
  gateway: number;
  allocated: Set<number>;
}

/** The addresses of a prefix that may be handed out: all but network and broadcast (none skipped for /31, /32). */
function usable(c: Cidr): { lo: number; hi: number } {
  return c.prefix <= 30 ? { lo: c.first + 1, hi: c.last - 1 } : { lo: c.first, hi: c.last };
}

export class Ipam {
  readonly #pools = new Map<string, Pool>();

  /**
   * An empty Ipam, or one restored from `toJSON()` output (throws
   * InvalidParameter on malformed state; allocations outside their subnet
   * are dropped).
   */
  constructor(state?: IpamState) {
    if (state === undefined) return;
    if (!state || typeof state.pools !== 'object' || state.pools === null) throw new EngineError('InvalidParameter', 'invalid IPAM state');
    for (const [id, p] of Object.entries(state.pools)) {
      this.requestPool(id, p.subnet, p.gateway, p.ipRange);
      const pool = this.#pools.get(id)!;
      for (const a of p.allocated ?? []) {
        const n = tryParseIp(a);
        if (n !== undefined && pool.subnet.contains(n) && n !== pool.gateway) pool.allocated.add(n);
      }
    }
  }

  toJSON(): IpamState {
    const pools: Record<string, PoolState> = {};
    for (const p of this.#pools.values()) {
      const s: PoolState = { subnet: p.subnet.toString(), gateway: formatIp(p.gateway), allocated: this.allocated(p.id) };
      if (p.range) s.ipRange = p.range.toString();
      pools[p.id] = s;
    }
    return { version: 1, pools };
  }

  /**
   * Creates the pool `poolId` (the caller's key, e.g. the network ID) on a
   * subnet. The gateway defaults to the first usable address (of the
   * ip-range when there is one, as Docker takes it from the range).
   *
   * Idempotent: asking again for an existing pool with the same subnet,
   * gateway and range returns it unchanged, allocations kept. Throws
   * Conflict when poolId exists with another configuration, PoolOverlap
   * when the subnet overlaps another pool, InvalidParameter when the gateway
   * or range lies outside the subnet, NoAvailableIPs when there is no
   * address for a default gateway.
   */
  requestPool(poolId: string, subnet: string, gateway?: string, ipRange?: string): PoolInfo {
    if (!poolId) throw new EngineError('InvalidParameter', 'pool ID is empty');
    const sub = parseCidr(subnet);
    let range: Cidr | undefined;
    if (ipRange) {
      range = parseCidr(ipRange);
      if (!sub.containsCidr(range)) throw new EngineError('InvalidParameter', `no matching subnet for range ${ipRange}`);
    }
    let gw: number;
    if (gateway) {
      const g = tryParseIp(gateway.replace(/\/\d+$/, ''));
      if (g === undefined) throw new EngineError('InvalidParameter', `invalid gateway address: ${gateway}`);
      if (!sub.contains(g)) throw new EngineError('InvalidParameter', `no matching subnet for gateway ${gateway}`);
      gw = g;
    } else {
      const u = usable(sub);
      gw = Math.max(range ? range.first : u.lo, u.lo);
      if (gw > Math.min(range ? range.last : u.hi, u.hi)) throw new NoAvailableIPs();
    }
    const existing = this.#pools.get(poolId);
    if (existing) {
      const same =
        existing.subnet.toString() === sub.toString() &&
        existing.gateway === gw &&
        (existing.range?.toString() ?? '') === (range?.toString() ?? '');
      if (!same) throw new EngineError('Conflict', `address pool ${poolId} already exists with another configuration`);
      return this.#info(existing);
    }
    for (const p of this.#pools.values()) if (p.subnet.overlaps(sub)) throw new PoolOverlap();
    const pool: Pool = { id: poolId, subnet: sub, range, gateway: gw, allocated: new Set() };
    this.#pools.set(poolId, pool);
    return this.#info(pool);
  }

  /** Removes a pool and every allocation in it. Throws PoolNotFound. */
  releasePool(poolId: string): void {
    if (!this.#pools.delete(poolId)) throw new PoolNotFound(poolId);
  }

  /**
   * Allocates an address: `preferred` exactly (AddressInUse when taken or
   * reserved, AddressOutOfRange outside the subnet), else the lowest free one
   * (NoAvailableIPs when none is left). PoolNotFound for an unknown pool.
   */
  requestAddress(poolId: string, preferred?: string): string {
    const pool = this.#get(poolId);
    const u = usable(pool.subnet);
    if (preferred) {
      const n = tryParseIp(preferred);
      if (n === undefined) throw new EngineError('InvalidParameter', `invalid IPv4 address: ${preferred}`);
      if (!pool.subnet.contains(n)) throw new AddressOutOfRange();
      if (n < u.lo || n > u.hi || n === pool.gateway || pool.allocated.has(n)) throw new AddressInUse();
      pool.allocated.add(n);
      return formatIp(n);
    }
    const lo = pool.range ? Math.max(u.lo, pool.range.first) : u.lo;
    const hi = pool.range ? Math.min(u.hi, pool.range.last) : u.hi;
    // a free address, when there is one, is at most |allocated| + 1 steps away
    for (let n = lo; n <= hi; n++) {
      if (n === pool.gateway || pool.allocated.has(n)) continue;
      pool.allocated.add(n);
      return formatIp(n);
    }
    throw new NoAvailableIPs();
  }

  /**
   * Returns an address to the pool. Releasing an address that is not
   * allocated (or the gateway) does nothing; AddressOutOfRange outside the
   * subnet; PoolNotFound for an unknown pool.
   */
  releaseAddress(poolId: string, ip: string): void {
    const pool = this.#get(poolId);
    const n = parseIp(ip);
    if (!pool.subnet.contains(n)) throw new AddressOutOfRange();
    pool.allocated.delete(n);
  }

  /** Whether ip is taken in the pool (the gateway counts as taken). */
  isAllocated(poolId: string, ip: string): boolean {
    const pool = this.#get(poolId);
    const n = tryParseIp(ip);
    return n !== undefined && (n === pool.gateway || pool.allocated.has(n));
  }

  /** The addresses handed out in a pool, ascending (gateway excluded). */
  allocated(poolId: string): string[] {
    return [...this.#get(poolId).allocated].sort((a, b) => a - b).map(formatIp);
  }

  pool(poolId: string): PoolInfo | undefined {
    const p = this.#pools.get(poolId);
    return p ? this.#info(p) : undefined;
  }

  pools(): PoolInfo[] {
    return [...this.#pools.values()].map((p) => this.#info(p));
  }

  /** The pool whose subnet contains ip, if any. */
  poolFor(ip: string): PoolInfo | undefined {
    const n = tryParseIp(ip);
    if (n === undefined) return undefined;
    for (const p of this.#pools.values()) if (p.subnet.contains(n)) return this.#info(p);
    return undefined;
  }

  #get(poolId: string): Pool {
    const p = this.#pools.get(poolId);
    if (!p) throw new PoolNotFound(poolId);
    return p;
  }

  #info(p: Pool): PoolInfo {
    const info: PoolInfo = { id: p.id, subnet: p.subnet.toString(), gateway: formatIp(p.gateway) };
    if (p.range) info.ipRange = p.range.toString();
    return info;
  }
}

// ---------------------------------------------------------------- subnet choice

/** A base prefix cut into subnets of `size` bits (Docker's default-address-pools entry). */
export interface AddressPoolSpec {
  base: string;
  size: number;
}

/**
 * Docker's default address pools: 172.17.0.0/16 … 172.31.0.0/16, then
 * 192.168.0.0/16 cut into /20s.
 */
export const DEFAULT_ADDRESS_POOLS: readonly AddressPoolSpec[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** Every candidate subnet of the pools, in order ("172.17.0.0/16", "172.18.0.0/16", …). */
export function* expandAddressPools(pools: readonly AddressPoolSpec[] = DEFAULT_ADDRESS_POOLS): Generator<string> {
  for (const spec of pools) {
    const base = parseCidr(spec.base);
    if (!(Number.isInteger(spec.size) && spec.size >= base.prefix && spec.size <= 32)) {
      throw new EngineError('InvalidParameter', `invalid address pool size ${spec.size} for ${spec.base}`);
    }
    const step = 2 ** (32 - spec.size);
    for (let n = base.first; n <= base.last; n += step) yield `${formatIp(n)}/${spec.size}`;
  }
}

/**
 * The first subnet of Docker's default pools (172.17.0.0/16, 172.18.0.0/16,
 * … 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20, …) that overlaps
 * nothing in use, or undefined when all are taken. Pass every list of
 * prefixes in use: the host's routes (sys/ip hostRoutes()) and the subnets of
 * berth's own networks. Default routes (/0) and entries that are not IPv4
 * prefixes are ignored.
 */
export function nextFreeSubnet(inUse: readonly string[], ...moreInUse: (readonly string[])[]): string | undefined {
  return nextFreeSubnetFrom(expandAddressPools(), [...inUse, ...moreInUse.flat()]);
}

/** nextFreeSubnet over your own candidates (e.g. expandAddressPools(configured pools)). */
export function nextFreeSubnetFrom(candidates: Iterable<string>, inUse: readonly string[]): string | undefined {
  const used: Cidr[] = [];
  for (const u of inUse) {
    try {
      const c = parseCidr(u);
      if (c.prefix > 0) used.push(c);
    } catch {
      /* not an IPv4 prefix: irrelevant here */
    }
  }
  for (const cand of candidates) {
    const c = parseCidr(cand);
    if (!used.some((u) => u.overlaps(c))) return c.toString();
  }
  return undefined;
}
