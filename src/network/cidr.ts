/**
 * IPv4 address and CIDR helpers (pure). Everything that takes text validates
 * it and throws EngineError(InvalidParameter) on bad input.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad IPv4 text to an unsigned 32-bit number; undefined when it is not one. */
export function tryParseIp(text: string): number | undefined {
  const m = IPV4.exec(text.trim());
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return undefined; // no octal-looking octets
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Parses dotted-quad IPv4 text to a number; throws InvalidParameter. */
export function parseIp(text: string): number {
  const n = tryParseIp(text);
  if (n === undefined) throw invalidParameter(`invalid IPv4 address: ${text}`);
  return n;
}

export function isIpv4(text: string): boolean {
  return tryParseIp(text) !== undefined;
}

export function formatIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The netmask of a prefix length as a number (prefixMask(16) = 255.255.0.0). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** An IPv4 prefix. Immutable; `toString()` is the canonical form ("172.17.0.0/16"). */
export class Cidr {
  /** The address as written, host bits possibly set ("172.17.0.1" of "172.17.0.1/16"). */
  readonly address: string;
  readonly prefix: number;
  /** Network address ("172.17.0.0"). */
  readonly network: string;
  /** Last address of the prefix (the broadcast address up to /30). */
  readonly broadcast: string;
  /** Dotted netmask ("255.255.0.0"). */
  readonly netmask: string;
  /** network and broadcast as numbers. */
  readonly first: number;
  readonly last: number;
  /** Number of addresses in the prefix. */
  readonly size: number;

  constructor(address: number, prefix: number) {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw invalidParameter(`invalid prefix length: ${prefix}`);
    const mask = prefixMask(prefix);
    this.address = formatIp(address >>> 0);
    this.prefix = prefix;
    this.first = (address & mask) >>> 0;
    this.last = (this.first | (~mask >>> 0)) >>> 0;
    this.size = 2 ** (32 - prefix);
    this.network = formatIp(this.first);
    this.broadcast = formatIp(this.last);
    this.netmask = formatIp(mask);
  }

  /** The i-th address from the network address (nth(1) = the usual gateway); throws when outside. */
  nth(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw invalidParameter(`address ${i} is outside ${this.toString()}`);
    return formatIp(this.first + i);
  }

  /** Whether the prefix contains an address (text or number) or, given a CIDR, all of it. */
  contains(what: string | number | Cidr): boolean {
    if (what instanceof Cidr) return this.containsCidr(what);
    if (typeof what === 'string' && what.includes('/')) return this.containsCidr(parseCidr(what));
    const n = typeof what === 'number' ? what : tryParseIp(what);
    return n !== undefined && n >= this.first && n <= this.last;
  }

  /** Whether `inner` lies entirely inside this prefix. */
  containsCidr(inner: string | Cidr): boolean {
    const i = typeof inner === 'string' ? parseCidr(inner) : inner;
    return i.first >= this.first && i.last <= this.last;
  }

  /** Whether the two prefixes share at least one address. */
  overlaps(other: string | Cidr): boolean {
    const o = typeof other === 'string' ? parseCidr(other) : other;
    return this.first <= o.last && o.first <= this.last;
  }

  toString(): string {
    return `${this.network}/${this.prefix}`;
  }
}

/** Parses "a.b.c.d/len" (a bare address counts as /32); throws InvalidParameter. */
export function parseCidr(text: string): Cidr {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? '32' : s.slice(slash + 1);
  const address = tryParseIp(addrText);
  const prefix = /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) throw invalidParameter(`invalid CIDR address: ${text}`);
  return new Cidr(address, prefix);
}

/** "172.17.0.1/16" → "172.17.0.0/16". */
export function canonicalCidr(c: string | Cidr): string {
  return (typeof c === 'string' ? parseCidr(c) : c).toString();
}

/** Whether cidr contains the address ip. */
export function cidrContains(cidr: string | Cidr, ip: string | number): boolean {
  return (typeof cidr === 'string' ? parseCidr(cidr) : cidr).contains(ip);
}

/** Whether two prefixes share at least one address. */
export function cidrOverlaps(a: string | Cidr, b: string | Cidr): boolean {
  return (typeof a === 'string' ? parseCidr(a) : a).overlaps(b);
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: string | Cidr, outer: string | Cidr): boolean {
  return (typeof outer === 'string' ? parseCidr(outer) : outer).containsCidr(inner);
}

/**
 * Docker's MAC address for a container interface: 02:42 followed by the four
 * bytes of its IPv4 address (172.17.0.2 → 02:42:ac:11:00:02).
 */
export function macFromIp(ip: string): string {
  const n = parseIp(ip);
  const bytes = [0x02, 0x42, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
