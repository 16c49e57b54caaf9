/**
 * IPv6 prefixes and the address pools of dual-stack networks (pure). Text is
 * validated (InvalidParameter on bad input); addresses are 128-bit bigints
 * inside and RFC 5952 text outside ("2001:389::f00d").
 *
 * Pools follow the IPv4 Ipam's contract: one per network, a gateway (the
 * first address after the subnet's, or of its ip-range, unless given),
 * reserved auxiliary addresses, lowest free address first inside the
 * ip-range, a preferred address anywhere in the subnet. The subnet's own
 * address (the subnet-router anycast address) is never handed out.
 */
import { isIPv6 } from 'node:net';
import { invalidParameter } from '../errdefs/errdefs.js';
import { AddressInUse, AddressOutOfRange, NoAvailableIPs } from './ipam.js';

const BITS = 128n;
const ALL = (1n << BITS) - 1n;

export function isIpv6(text: string): boolean {
  return isIPv6(text) && !text.includes('%');
}

export function parseIpv6(text: string): bigint {
  if (!isIpv6(text)) throw invalidParameter(`invalid IPv6 address: ${text}`);
  let t = text.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    t = t.slice(0, v4.index) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? t.split('::') : [t, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (2+) of zero groups as "::". */
export function formatIpv6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best.at < 0) return hex(g);
  return `${hex(g.slice(0, best.at))}::${hex(g.slice(best.at + best.len))}`;
}

export class Cidr6 {
  readonly first: bigint;
  readonly last: bigint;
  constructor(
    address: bigint,
    readonly prefix: number,
  ) {
    const mask = prefix === 0 ? 0n : (ALL << (BITS - BigInt(prefix))) & ALL;
    this.first = address & mask;
    this.last = this.first | (~mask & ALL);
  }
  contains(n: bigint): boolean {
    return n >= this.first && n <= this.last;
  }
  containsCidr(c: Cidr6): boolean {
    return this.contains(c.first) && this.contains(c.last);
  }
  overlaps(c: Cidr6): boolean {
    return this.first <= c.last && c.first <= this.last;
  }
  toString(): string {
    return `${formatIpv6(this.first)}/${this.prefix}`;
  }
}

export function parseCidr6(text: string): Cidr6 {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !isIpv6(m[1]!) || prefix > 128) throw invalidParameter(`invalid IPv6 CIDR address: ${text}`);
  return new Cidr6(parseIpv6(m[1]!), prefix);
}

/** The persisted form of an IPv6 pool. */
export interface Pool6State {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** Auxiliary addresses and endpoint addresses handed out. */
  allocated: string[];
}

/** One network's IPv6 pool. */
export class Pool6 {
  readonly subnet: Cidr6;
  readonly range: Cidr6 | undefined;
  readonly gateway: bigint;
  readonly #allocated = new Set<bigint>();

  constructor(subnet: string, gateway?: string, ipRange?: string) {
    this.subnet = parseCidr6(subnet);
    this.range = ipRange ? parseCidr6(ipRange) : undefined;
    if (this.range && !this.subnet.containsCidr(this.range)) throw invalidParameter(`ip-range ${ipRange} is not in subnet ${subnet}`);
    const lo = this.range ? this.range.first : this.subnet.first;
    this.gateway = gateway ? parseIpv6(gateway) : lo === this.subnet.first ? lo + 1n : lo;
    if (!this.subnet.contains(this.gateway)) throw invalidParameter(`gateway ${gateway} is not in subnet ${subnet}`);
  }

  static restore(s: Pool6State): Pool6 {
    const p = new Pool6(s.subnet, s.gateway, s.ipRange);
    for (const a of s.allocated) if (isIpv6(a) && p.subnet.contains(parseIpv6(a))) p.#allocated.add(parseIpv6(a));
    return p;
  }

  toJSON(): Pool6State {
    const allocated = [...this.#allocated].sort((a, b) => (a < b ? -1 : 1)).map(formatIpv6);
    return { subnet: this.subnet.toString(), gateway: formatIpv6(this.gateway), ...(this.range ? { ipRange: this.range.toString() } : {}), allocated };
  }

  get gatewayText(): string {
    return formatIpv6(this.gateway);
  }

  /** `preferred` exactly (anywhere in the subnet), else the lowest free address of the range. */
  request(preferred?: string): string {
    if (preferred) {
      const n = parseIpv6(preferred);
      if (!this.subnet.contains(n)) throw new AddressOutOfRange();
      if (n === this.subnet.first || n === this.gateway || this.#allocated.has(n)) throw new AddressInUse();
      this.#allocated.add(n);
      return formatIpv6(n);
    }
    const lo = this.range ? this.range.first : this.subnet.first;
    const hi = this.range ? this.range.last : this.subnet.last;
    // A free address is at most |allocated| + 2 steps away from lo.
    for (let n = lo; n <= hi; n++) {
      if (n === this.subnet.first || n === this.gateway || this.#allocated.has(n)) continue;
      this.#allocated.add(n);
      return formatIpv6(n);
    }
    throw new NoAvailableIPs();
  }

  release(ip: string): void {
    if (isIpv6(ip)) this.#allocated.delete(parseIpv6(ip));
  }
}
