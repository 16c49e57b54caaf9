/**
 * The embedded DNS server of user-defined networks (Docker's "embedded DNS",
 * served by the daemon in the host network namespace, one per network, on the
 * network's gateway address, port 53, UDP and TCP).
 *
 * What it answers:
 * - A for a name `lookup` knows (container names, aliases, short IDs on this
 *   network, link aliases of the asking container): every IPv4 address,
 *   shuffled (round-robin as Docker), TTL 600.
 * - AAAA for a name `lookup` knows: its IPv6 addresses (dual-stack
 *   networks), else an empty NOERROR answer (the name exists, so no NXDOMAIN
 *   and no forwarding).
 * - PTR for an address `reverseLookup` knows (optional).
 * - Everything else is forwarded unchanged to the upstream resolvers (the
 *   host's /etc/resolv.conf; loopback ones work since the daemon runs in the
 *   host netns), UDP over UDP and TCP over TCP, each upstream in turn with a
 *   timeout. When none answers: SERVFAIL. Upstream answers (NXDOMAIN too) are
 *   passed back as they come.
 * - Clients outside `allow` (other networks, other hosts: the gateway address
 *   is reachable from them) get REFUSED, and nothing is looked up or forwarded.
 *
 * Lifecycle: `new DnsServer(opts)`, `await start()` (binds UDP and TCP on the
 * same port; port 0 picks a free one), `setUpstream()` when resolv.conf
 * changes, `await close()` (stops listening, drops TCP clients and pending
 *  forwards). `start` rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL…).
 * Malformed queries are dropped (UDP) or end the connection (TCP).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';

export interface DnsServerOptions {
  listen: { address: string; port: number };
  /**
   * Addresses (IPv4 and IPv6) for a name (lowercase, no trailing dot) asked
   * by `client` (its address, when known); [] when unknown.
   */
  lookup: (name: string, client?: string) => string[];
  /** Names for an IPv4 address (for PTR queries); [] when unknown. Optional. */
  reverseLookup?: (ip: string) => string[];
  /** Resolvers: "10.0.0.1", "127.0.0.53:53", "[::1]:5353", "::1". */
  upstream: string[];
  /**
   * Resolvers for one client instead of `upstream` (a container created with
   * --dns keeps container names but forwards the rest to its own servers).
   */
  upstreamFor?: (clientAddress: string) => string[] | undefined;
  /**
   * Which clients are served (default: all). Others get REFUSED over UDP and
   * a closed connection over TCP: the server listens on a host address that
   * other networks and other hosts can reach, and must not answer them.
   */
  allow?: (clientAddress: string) => boolean;
  /** Per upstream attempt, in ms (default 4000, Docker's). */
  timeoutMs?: number;
  /** TTL of the answers we make (default 600, Docker's). */
  ttl?: number;
  /** Forwards in flight at most; beyond that queries get SERVFAIL (default 1024). */
  maxConcurrent?: number;
}

export interface Upstream {
  address: string;
  port: number;
  family: 4 | 6;
}

const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;
const OPCODE_QUERY = 0;
const TCP_IDLE_MS = 10_000;

/** Parses an upstream resolver spec: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53". */
export function parseUpstream(spec: string): Upstream | undefined {
  const s = spec.trim();
  let host = s;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (/^[^:]+:\d+$/.test(s)) {
    const i = s.lastIndexOf(':');
    host = s.slice(0, i);
    port = Number(s.slice(i + 1));
  }
  const family = net.isIP(host);
  if (family === 0 || !(port > 0 && port < 65536)) return undefined;
  return { address: host, port, family: family as 4 | 6 };
}

/** Nameservers of a resolv.conf text, in order (for `upstream`). */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && net.isIP(m[1]!.replace(/%.*$/, ''))) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

function reverseName(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** A header-only error reply built from the raw query (works even when decoding failed past the header). */
function errorReply(query: Buffer, rcode: number): Buffer | undefined {
  // never answer a response (no ping-pong between two servers)
  if (query.length < 12 || query.readUInt16BE(2) & 0x8000) return undefined;
  let qd: DecodedPacket['questions'] = [];
  try {
    qd = dnsPacket.decode(query).questions ?? [];
  } catch {
    qd = [];
  }
  const flags = query.readUInt16BE(2);
  return dnsPacket.encode({
    type: 'response',
    id: query.readUInt16BE(0),
    flags: (flags & (0xf << 11)) | (flags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: qd,
  });
}

export class DnsServer {
  readonly #opts: Required<Omit<DnsServerOptions, 'reverseLookup' | 'upstream' | 'allow' | 'upstreamFor'>> & Pick<DnsServerOptions, 'reverseLookup' | 'allow' | 'upstreamFor'>;
  #upstreamSpecs: readonly string[] = [];
  #upstream: Upstream[] = [];
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  #bound: { address: string; port: number } | undefined;
  readonly #clients = new Set<net.Socket>();
  readonly #pending = new Set<{ cancel(): void }>();
  #inflight = 0;
  #closed = false;

  constructor(opts: DnsServerOptions) {
    this.#opts = {
      listen: opts.listen,
      lookup: opts.lookup,
      reverseLookup: opts.reverseLookup,
      allow: opts.allow,
      timeoutMs: opts.timeoutMs ?? 4000,
      ttl: opts.ttl ?? 600,
      maxConcurrent: opts.maxConcurrent ?? 1024,
    };
    this.setUpstream(opts.upstream);
  }

  /** The bound address and port (after start). */
  get address(): { address: string; port: number } {
    if (!this.#bound) throw new Error('DNS server is not listening');
    return this.#bound;
  }

  /** Replaces the upstream resolvers; unparsable entries and this server itself are skipped. */
  setUpstream(list: readonly string[]): void {
    this.#upstreamSpecs = [...list];
    this.#upstream = this.#parseUpstreams(list);
  }

  #parseUpstreams(list: readonly string[]): Upstream[] {
    const self = this.#bound ?? this.#opts.listen;
    return list.map(parseUpstream).filter((u): u is Upstream => !!u && !(u.address === self.address && u.port === self.port));
  }

  /** Binds UDP and TCP on the same address and port. */
  async start(): Promise<{ address: string; port: number }> {
    if (this.#udp || this.#closed) throw new Error('DNS server already started');
    const { address, port } = this.#opts.listen;
    const family = net.isIP(address) === 6 ? 'udp6' : 'udp4';
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({ type: family });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', (e) => {
          udp.close();
          reject(e);
        });
        udp.bind({ address, port, exclusive: true }, () => {
          udp.removeAllListeners('error');
          resolve();
        });
      });
      const udpPort = udp.address().port;
      const tcp = net.createServer((sock) => this.#onTcp(sock));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host: address, port: udpPort, exclusive: true }, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        udp.close();
        // a random UDP port may be taken on TCP: try another one
        if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
        throw e;
      }
      udp.on('message', (msg, rinfo) => this.#onUdp(msg, rinfo));
      udp.on('error', () => {
        /* ICMP errors etc. on the listening socket: keep serving */
      });
      tcp.on('error', () => {});
      this.#udp = udp;
      this.#tcp = tcp;
      this.#bound = { address, port: udpPort };
      this.setUpstream(this.#upstreamSpecs); // now that the port is known, skip ourselves
      return this.#bound;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of [...this.#pending]) p.cancel();
    for (const c of this.#clients) c.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  /**
   * Answers one query given as wire bytes; undefined means "send nothing".
   * Both transports go through here (exposed for tests).
   */
  async handle(query: Buffer, transport: 'udp' | 'tcp', client?: string): Promise<Buffer | undefined> {
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return errorReply(query, RCODE_FORMERR);
    }
    if (q.type !== 'query') return undefined;
    const opcode = ((q.flags ?? 0) >> 11) & 0xf;
    if (opcode !== OPCODE_QUERY) return errorReply(query, RCODE_NOTIMP);
    const question = q.questions?.[0];
    if (!question || (q.questions?.length ?? 0) !== 1) return errorReply(query, RCODE_FORMERR);

    const name = question.name.toLowerCase().replace(/\.$/, '');
    let local: Answer[] | undefined;
    try {
      local = this.#answerLocally(q, name, question.type, client?.replace(/^::ffff:/, ''));
    } catch {
      return errorReply(query, RCODE_SERVFAIL); // the lookup callback failed
    }
    if (local) return this.#encode(q, local, transport);
    const own = client !== undefined ? this.#opts.upstreamFor?.(client.replace(/^::ffff:/, '')) : undefined;
    return this.#forward(query, transport, own ? this.#parseUpstreams(own) : this.#upstream);
  }

  /** Our own answers for known names, or undefined to forward. */
  #answerLocally(q: DecodedPacket, name: string, type: string, client: string | undefined): Answer[] | undefined {
    if (!isClassIn(q)) return undefined;
    const ttl = this.#opts.ttl;
    if (type === 'A' || type === 'AAAA') {
      const ips = this.#opts.lookup(name, client);
      if (ips.length === 0) return undefined;
      const family = ips.filter((ip) => net.isIPv6(ip) === (type === 'AAAA'));
      return shuffle(family).map((ip) => ({ type, name: q.questions![0]!.name, ttl, class: 'IN', data: ip }));
    }
    if (type === 'PTR' && this.#opts.reverseLookup) {
      const ip = reverseName(name);
      if (!ip) return undefined;
      const names = this.#opts.reverseLookup(ip);
      if (names.length === 0) return undefined;
      return names.map((n) => ({ type: 'PTR', name: q.questions![0]!.name, ttl, class: 'IN', data: n }));
    }
    return undefined;
  }

  #encode(q: DecodedPacket, answers: Answer[], transport: 'udp' | 'tcp'): Buffer {
    const base: Packet = {
      type: 'response',
      id: q.id ?? 0,
      flags: ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE,
      questions: q.questions ?? [],
      answers,
    };
    const buf = dnsPacket.encode(base);
    if (transport === 'udp') {
      const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
      const max = Math.min(Math.max(opt?.udpPayloadSize ?? 512, 512), 4096);
      if (buf.length > max) {
        return dnsPacket.encode({ ...base, flags: (base.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
      }
    }
    return buf;
  }

  async #forward(query: Buffer, transport: 'udp' | 'tcp', upstream: Upstream[]): Promise<Buffer | undefined> {
    if (this.#inflight >= this.#opts.maxConcurrent) return errorReply(query, RCODE_SERVFAIL);
    this.#inflight++;
    try {
      const id = query.readUInt16BE(0);
      for (const up of upstream) {
        if (this.#closed) return undefined;
        const resp = await (transport === 'udp' ? this.#askUdp(up, query, id) : this.#askTcp(up, query, id));
        if (resp) return resp;
      }
      return this.#closed ? undefined : errorReply(query, RCODE_SERVFAIL);
    } finally {
      this.#inflight--;
    }
  }

  /** One attempt over UDP: the response, or undefined on timeout/error. */
  #askUdp(up: Upstream, query: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = dgram.createSocket(up.family === 6 ? 'udp6' : 'udp4');
      const finish = (v: Buffer | undefined) => {
        clearTimeout(timer);
        this.#pending.delete(handle);
        try {
          sock.close();
        } catch {
          /* already closed */
        }
        resolve(v);
      };
      const handle = { cancel: () => finish(undefined) };
      this.#pending.add(handle);
      const timer = setTimeout(() => finish(undefined), this.#opts.timeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('message', (msg, rinfo) => {
        if (rinfo.port !== up.port || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        if (net.isIP(rinfo.address) && rinfo.address.replace(/^::ffff:/, '') !== up.address) return;
        finish(msg);
      });
      sock.send(query, up.port, up.address, (err) => {
        if (err) finish(undefined);
      });
    });
  }

  /** One attempt over TCP (length-prefixed): the response, or undefined. */
  #askTcp(up: Upstream, query: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: up.address, port: up.port });
      let buf = Buffer.alloc(0);
      const finish = (v: Buffer | undefined) => {
        clearTimeout(timer);
        this.#pending.delete(handle);
        sock.destroy();
        resolve(v);
      };
      const handle = { cancel: () => finish(undefined) };
      this.#pending.add(handle);
      const timer = setTimeout(() => finish(undefined), this.#opts.timeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('close', () => finish(undefined));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2) return;
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = buf.subarray(2, 2 + len);
        finish(msg.length >= 12 && msg.readUInt16BE(0) === id ? Buffer.from(msg) : undefined);
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
  }

  #allowed(address: string | undefined): boolean {
    return !this.#opts.allow || (!!address && this.#opts.allow(address.replace(/^::ffff:/, '')));
  }

  #onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.#allowed(rinfo.address)) {
      const refused = errorReply(msg, RCODE_REFUSED);
      if (refused && this.#udp) this.#udp.send(refused, rinfo.port, rinfo.address, () => {});
      return;
    }
    this.handle(msg, 'udp', rinfo.address).then(
      (resp) => {
        if (resp && this.#udp) this.#udp.send(resp, rinfo.port, rinfo.address, () => {});
      },
      () => {},
    );
  }

  #onTcp(sock: net.Socket): void {
    if (this.#closed || !this.#allowed(sock.remoteAddress)) {
      sock.destroy();
      return;
    }
    this.#clients.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => this.#clients.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (len < 12) {
          sock.destroy();
          return;
        }
        this.handle(msg, 'tcp', sock.remoteAddress).then(
          (resp) => {
            if (!resp) return;
            if (sock.destroyed) return;
            const prefix = Buffer.alloc(2);
            prefix.writeUInt16BE(resp.length);
            sock.write(Buffer.concat([prefix, resp]));
          },
          () => sock.destroy(),
        );
      }
    });
  }
}

/** Whether the question's class is IN (or unspecified); other classes are forwarded. */
function isClassIn(q: DecodedPacket): boolean {
  const c = q.questions?.[0]?.class;
  return c === undefined || c === 'IN';
}
