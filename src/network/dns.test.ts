/**
 * The embedded DNS server on 127.0.0.1 (random ports), queried over UDP and
 * TCP with dns-packet. Its upstream is a fake resolver started here, never a
 * real one.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';
import { DnsServer, parseUpstream, resolvConfNameservers } from './dns.js';

/** A fake upstream: example.test → 192.0.2.99, everything else NXDOMAIN; records what it was asked. */
class FakeUpstream {
  readonly seen: { name: string; type: string; transport: 'udp' | 'tcp' }[] = [];
  #udp = dgram.createSocket('udp4');
  #tcp = net.createServer((s) => this.#onTcp(s));
  port = 0;

  async start(): Promise<number> {
    for (;;) {
      await new Promise<void>((r) => this.#udp.bind(0, '127.0.0.1', () => r()));
      this.port = this.#udp.address().port;
      try {
        await new Promise<void>((resolve, reject) => {
          this.#tcp.once('error', reject);
          this.#tcp.listen(this.port, '127.0.0.1', () => resolve());
        });
        break;
      } catch {
        this.#udp.close();
        this.#udp = dgram.createSocket('udp4');
        this.#tcp = net.createServer((s) => this.#onTcp(s));
      }
    }
    this.#udp.on('message', (msg, r) => this.#udp.send(this.#answer(msg, 'udp'), r.port, r.address));
    return this.port;
  }

  #answer(msg: Buffer, transport: 'udp' | 'tcp'): Buffer {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    this.seen.push({ name: question.name, type: question.type, transport });
    const known = question.name === 'example.test' && question.type === 'A';
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (question.name === 'example.test' ? 0 : 3),
      questions: q.questions,
      answers: known ? [{ type: 'A', name: question.name, ttl: 30, data: transport === 'udp' ? '192.0.2.99' : '192.0.2.98' }] : [],
    });
  }

  #onTcp(s: net.Socket): void {
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const resp = this.#answer(Buffer.from(msg), 'tcp');
        const len = Buffer.alloc(2);
        len.writeUInt16BE(resp.length);
        s.write(Buffer.concat([len, resp]));
      }
    });
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.#udp.close();
      this.#tcp.close(() => r());
    });
  }
}

/** A resolver that never answers (bound, so no ICMP unreachable): for timeouts. */
async function silentUdp(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, close: () => s.close() };
}

let nextId = 1;
function query(name: string, type: RecordType = 'A', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: nextId++ & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }], ...extra });
}

function askUdp(port: number, msg: Buffer, timeout = 3000): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, timeout);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(msg, port, '127.0.0.1');
  });
}

/** Sends several queries on one TCP connection; resolves with the answers by id. */
function askTcp(port: number, msgs: Buffer[]): Promise<Map<number, DecodedPacket>> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const out = new Map<number, DecodedPacket>();
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('timeout'));
    }, 3000);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        out.set(m.id!, m);
      }
      if (out.size === msgs.length) {
        clearTimeout(t);
        s.end();
        resolve(out);
      }
    });
    s.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]))));
  });
}

const rcode = (p: DecodedPacket) => (p as DecodedPacket & { rcode: string }).rcode;
const aData = (p: DecodedPacket) =>
  (p.answers ?? [])
    .filter((a) => a.type === 'A')
    .map((a) => (a as { data: string }).data)
    .sort();

const NAMES: Record<string, string[]> = {
  web: ['10.88.0.2'],
  'web.mynet': ['10.88.0.2'],
  db: ['10.88.0.3'],
  '0123456789ab': ['10.88.0.3'],
  lb: ['10.88.0.4', '10.88.0.5', '10.88.0.6'],
  big: Array.from({ length: 100 }, (_, i) => `10.88.1.${i + 1}`),
};

describe('DnsServer', () => {
  const upstream = new FakeUpstream();
  let server: DnsServer;
  let port = 0;
  const lookedUp: string[] = [];

  before(async () => {
    const up = await upstream.start();
    server = new DnsServer({
      listen: { address: '127.0.0.1', port: 0 },
      lookup: (name) => (lookedUp.push(name), NAMES[name] ?? []),
      reverseLookup: (ip) => (ip === '10.88.0.2' ? ['web.mynet'] : []),
      upstream: [`127.0.0.1:${up}`],
      timeoutMs: 300,
    });
    port = (await server.start()).port;
    assert.ok(port > 0);
    assert.deepEqual(server.address, { address: '127.0.0.1', port });
  });

  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('answers A for names on the network, TTL 600, id and question kept, RA set', async () => {
    const q = query('web');
    const r = await askUdp(port, q);
    assert.equal(r.id, q.readUInt16BE(0));
    assert.equal(r.type, 'response');
    assert.equal(rcode(r), 'NOERROR');
    assert.equal(r.flag_ra, true);
    assert.equal(r.flag_rd, true);
    assert.deepEqual(r.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
    assert.deepEqual(r.answers, [{ name: 'web', type: 'A', class: 'IN', ttl: 600, flush: false, data: '10.88.0.2' }]);
  });

  it('matches names case-insensitively, without the trailing dot; aliases, short IDs, several addresses', async () => {
    lookedUp.length = 0;
    assert.deepEqual(aData(await askUdp(port, query('WEB.MyNet.'))), ['10.88.0.2']);
    assert.equal(lookedUp[0], 'web.mynet');
    assert.deepEqual(aData(await askUdp(port, query('0123456789ab'))), ['10.88.0.3']);
    assert.deepEqual(aData(await askUdp(port, query('lb'))), ['10.88.0.4', '10.88.0.5', '10.88.0.6']);
  });

  it('AAAA for a known name: empty NOERROR, not forwarded', async () => {
    const before = upstream.seen.length;
    const r = await askUdp(port, query('web', 'AAAA'));
    assert.equal(rcode(r), 'NOERROR');
    assert.deepEqual(r.answers, []);
    assert.equal(upstream.seen.length, before);
  });

  it('forwards unknown names upstream, UDP over UDP and TCP over TCP', async () => {
    const r = await askUdp(port, query('example.test'));
    assert.deepEqual(aData(r), ['192.0.2.99']);
    assert.deepEqual(upstream.seen.at(-1), { name: 'example.test', type: 'A', transport: 'udp' });
    const q = query('example.test');
    const t = await askTcp(port, [q]);
    assert.deepEqual(aData(t.get(q.readUInt16BE(0))!), ['192.0.2.98']);
    assert.deepEqual(upstream.seen.at(-1), { name: 'example.test', type: 'A', transport: 'tcp' });
    // other types of known names are forwarded too (as Docker)
    await askUdp(port, query('web', 'MX'));
    assert.deepEqual(upstream.seen.at(-1), { name: 'web', type: 'MX', transport: 'udp' });
  });

  it("passes the upstream's NXDOMAIN back", async () => {
    const r = await askUdp(port, query('nope.test'));
    assert.equal(rcode(r), 'NXDOMAIN');
  });

  it('answers known names over TCP, several queries on one connection', async () => {
    const qs = [query('web'), query('db'), query('example.test'), query('big')];
    const rs = await askTcp(port, qs);
    assert.deepEqual(aData(rs.get(qs[0]!.readUInt16BE(0))!), ['10.88.0.2']);
    assert.deepEqual(aData(rs.get(qs[1]!.readUInt16BE(0))!), ['10.88.0.3']);
    assert.deepEqual(aData(rs.get(qs[2]!.readUInt16BE(0))!), ['192.0.2.98']);
    assert.equal(aData(rs.get(qs[3]!.readUInt16BE(0))!).length, 100, 'TCP carries the full answer');
  });

  it('truncates UDP answers larger than the client can take', async () => {
    const r = await askUdp(port, query('big'));
    assert.equal(r.flag_tc, true);
    assert.deepEqual(r.answers, []);
    const withEdns = await askUdp(port, query('big', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] }));
    assert.equal(withEdns.flag_tc, false);
    assert.equal(aData(withEdns).length, 100);
  });

  it('answers PTR for container addresses', async () => {
    const r = await askUdp(port, query('2.0.88.10.in-addr.arpa', 'PTR'));
    assert.deepEqual(
      r.answers!.map((a) => [a.type, (a as { data: string }).data, (a as { ttl: number }).ttl]),
      [['PTR', 'web.mynet', 600]],
    );
    await askUdp(port, query('9.0.88.10.in-addr.arpa', 'PTR'));
    assert.deepEqual(upstream.seen.at(-1), { name: '9.0.88.10.in-addr.arpa', type: 'PTR', transport: 'udp' });
  });

  it('survives malformed packets', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.send(Buffer.from('garbage'), port, '127.0.0.1', () => r()));
    const formerr = await askUdp(port, Buffer.concat([query('web').subarray(0, 14)]));
    assert.equal(rcode(formerr), 'FORMERR');
    s.close();
    const bad = net.connect(port, '127.0.0.1');
    bad.on('error', () => {});
    bad.write(Buffer.from([0, 3, 1, 2, 3]));
    await new Promise((r) => bad.on('close', r));
    assert.deepEqual(aData(await askUdp(port, query('web'))), ['10.88.0.2']);
  });
});

describe('DnsServer upstream failures', () => {
  it('SERVFAIL when the upstream does not answer; the next upstream is tried', async () => {
    const silent = await silentUdp();
    const good = new FakeUpstream();
    const goodPort = await good.start();
    const server = new DnsServer({
      listen: { address: '127.0.0.1', port: 0 },
      lookup: () => [],
      upstream: [`127.0.0.1:${silent.port}`],
      timeoutMs: 200,
    });
    const { port } = await server.start();
    try {
      const t0 = Date.now();
      const r = await askUdp(port, query('example.test'));
      assert.equal(rcode(r), 'SERVFAIL');
      assert.ok(Date.now() - t0 >= 150, 'waited for the timeout');
      const q = query('example.test');
      const tcp = await askTcp(port, [q]);
      assert.equal(rcode(tcp.get(q.readUInt16BE(0))!), 'SERVFAIL', 'TCP to a closed upstream port');

      server.setUpstream([`127.0.0.1:${silent.port}`, `127.0.0.1:${goodPort}`]);
      assert.deepEqual(aData(await askUdp(port, query('example.test'))), ['192.0.2.99']);

      server.setUpstream([]);
      assert.equal(rcode(await askUdp(port, query('example.test'))), 'SERVFAIL');
      // itself as upstream is skipped (no loop)
      server.setUpstream([`127.0.0.1:${port}`]);
      assert.equal(rcode(await askUdp(port, query('example.test'))), 'SERVFAIL');
    } finally {
      await server.close();
      silent.close();
      await good.close();
    }
  });

  it('close() frees the port and pending forwards end', async () => {
    const silent = await silentUdp();
    const server = new DnsServer({ listen: { address: '127.0.0.1', port: 0 }, lookup: () => [], upstream: [`127.0.0.1:${silent.port}`], timeoutMs: 5000 });
    const { port } = await server.start();
    const pending = askUdp(port, query('example.test'), 500).catch((e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await pending, 'timeout', 'no answer after close');
    const again = new DnsServer({ listen: { address: '127.0.0.1', port }, lookup: () => [], upstream: [] });
    await again.start();
    await again.close();
    silent.close();
    const busy = new DnsServer({ listen: { address: '127.0.0.1', port: 0 }, lookup: () => [], upstream: [] });
    const b = await busy.start();
    await assert.rejects(new DnsServer({ listen: { address: '127.0.0.1', port: b.port }, lookup: () => [], upstream: [] }).start(), /EADDRINUSE/);
    await busy.close();
  });
});

describe('DnsServer robustness', () => {
  it('a failing lookup gives SERVFAIL; a second start() is refused', async () => {
    const server = new DnsServer({
      listen: { address: '127.0.0.1', port: 0 },
      lookup: () => {
        throw new Error('boom');
      },
      upstream: [],
    });
    const { port } = await server.start();
    try {
      assert.equal(rcode(await askUdp(port, query('web'))), 'SERVFAIL');
      await assert.rejects(server.start(), /already started/);
    } finally {
      await server.close();
    }
  });

  it('clients outside `allow` get REFUSED (UDP) or a closed connection (TCP), and nothing is looked up or forwarded', async () => {
    const upstream = new FakeUpstream();
    const up = await upstream.start();
    const lookedUp: string[] = [];
    let open = false;
    const server = new DnsServer({
      listen: { address: '127.0.0.1', port: 0 },
      lookup: (name) => (lookedUp.push(name), NAMES[name] ?? []),
      upstream: [`127.0.0.1:${up}`],
      allow: (ip) => open && ip === '127.0.0.1',
    });
    const { port } = await server.start();
    try {
      const refused = await askUdp(port, query('web'));
      assert.equal(rcode(refused), 'REFUSED');
      assert.deepEqual(refused.answers, []);
      assert.equal(rcode(await askUdp(port, query('example.test'))), 'REFUSED');
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('data', () => resolve(false));
        s.on('close', () => resolve(true));
        s.write(Buffer.concat([Buffer.from([0, query('web').length]), query('web')]));
      });
      assert.ok(closed, 'a refused TCP client got an answer');
      assert.deepEqual(lookedUp, []);
      assert.deepEqual(upstream.seen, []);
      open = true;
      assert.deepEqual(aData(await askUdp(port, query('web'))), ['10.88.0.2']);
      assert.deepEqual([...(await askTcp(port, [query('db')])).values()].map(aData), [['10.88.0.3']]);
    } finally {
      await server.close();
      await upstream.close();
    }
  });
});

describe('upstream parsing', () => {
  it('parses resolver specs', () => {
    assert.deepEqual(parseUpstream('10.0.0.1'), { address: '10.0.0.1', port: 53, family: 4 });
    assert.deepEqual(parseUpstream('127.0.0.53:5353'), { address: '127.0.0.53', port: 5353, family: 4 });
    assert.deepEqual(parseUpstream('::1'), { address: '::1', port: 53, family: 6 });
    assert.deepEqual(parseUpstream('[fd00::1]:5300'), { address: 'fd00::1', port: 5300, family: 6 });
    assert.equal(parseUpstream('resolver.example'), undefined);
    assert.equal(parseUpstream('1.2.3.4:0'), undefined);
  });

  it('reads nameservers from resolv.conf text', () => {
    const text = '# comment\nnameserver 10.255.255.53\nsearch example.com\nnameserver fe80::1%eth0\n nameserver 127.0.0.53\nnameserver bogus\noptions ndots:0\n';
    assert.deepEqual(resolvConfNameservers(text), ['10.255.255.53', 'fe80::1', '127.0.0.53']);
  });
});
