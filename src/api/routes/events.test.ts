import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../../events/bus.js';
import { silentLogger } from '../../util/log.js';
import { ApiServer } from '../server.js';
import { decodeEventMessage, encodeEventMessage } from '../types/events.js';
import { eventRoutes, toEventMessage } from './events.js';

const S = 1_000_000_000n;
let dir = '';
let sock = '';
let server: ApiServer;
let clock = 1_764_302_916_454_183_661n;
// The real bus behind the route: eventRoutes(bus) also checks that it satisfies EventsBackend.
const bus = new EventBus({ clock: () => clock });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-events-'));
  sock = join(dir, 'api.sock');
  server = new ApiServer({ socketPath: sock, log: silentLogger, serverHeader: 'Docker/test (linux)', routes: eventRoutes(bus) });
  await server.listen();
});
after(async () => {
  bus.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path, method: 'GET', headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function body(res: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of res) s += (c as Buffer).toString('utf8');
  return s;
}

/** Resolves with the next complete line of a streaming response. */
function lineReader(res: IncomingMessage): () => Promise<string> {
  let buf = '';
  const waiting: ((l: string) => void)[] = [];
  const lines: string[] = [];
  res.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  return () => {
    const l = lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => waiting.push(r));
  };
}

const q = (o: Record<string, string>) => '?' + new URLSearchParams(o).toString();
const secs = (ns: bigint) => `${ns / S}.${(ns % S).toString().padStart(9, '0')}`;

describe('wire format', () => {
  it('container events carry the deprecated status/id/from before API 1.52, in Go field order', () => {
    const rec = {
      type: 'container',
      action: 'start',
      actor: { id: '92e4618d57da', attributes: { name: 'peaceful_napier', image: 'busybox', 'a<b': 'x&y' } },
      scope: 'local',
      time: 1764302916,
      timeNano: 1_764_302_916_454_183_661n,
    };
    assert.equal(
      encodeEventMessage(toEventMessage(rec, '1.47')),
      '{"status":"start","id":"92e4618d57da","from":"busybox","Type":"container","Action":"start",' +
        '"Actor":{"ID":"92e4618d57da","Attributes":{"a\\u003cb":"x\\u0026y","image":"busybox","name":"peaceful_napier"}},' +
        '"scope":"local","time":1764302916,"timeNano":1764302916454183661}',
    );
    assert.equal(
      encodeEventMessage(toEventMessage(rec, '1.52')),
      '{"Type":"container","Action":"start","Actor":{"ID":"92e4618d57da","Attributes":{"a\\u003cb":"x\\u0026y","image":"busybox","name":"peaceful_napier"}},' +
        '"scope":"local","time":1764302916,"timeNano":1764302916454183661}',
    );
  });

  it('image events carry status and id; others none', () => {
    const base = { actor: { id: 'sha256:ab', attributes: { name: 'busybox:latest' } }, scope: 'local', time: 1, timeNano: 1_000_000_001n };
    const img = toEventMessage({ ...base, type: 'image', action: 'tag' }, '1.47');
    assert.deepEqual([img.status, img.id, img.from], ['tag', 'sha256:ab', undefined]);
    const vol = toEventMessage({ ...base, type: 'volume', action: 'create' }, '1.47');
    assert.deepEqual([vol.status, vol.id, vol.from], [undefined, undefined, undefined]);
  });

  it('decoding keeps timeNano exact', () => {
    const m = decodeEventMessage('{"Type":"container","Action":"x","Actor":{"ID":"a","Attributes":{"timeNano":"5"}},"time":1764302916,"timeNano":1764302916454183661}');
    assert.equal(m.timeNano, 1_764_302_916_454_183_661n);
    assert.equal(encodeEventMessage(m), '{"Type":"container","Action":"x","Actor":{"ID":"a","Attributes":{"timeNano":"5"}},"time":1764302916,"timeNano":1764302916454183661}');
  });
});

describe('GET /events', () => {
  it('replays buffered events between since and until, then ends', async () => {
    const t1 = clock;
    bus.publish({ type: 'container', action: 'create', actor: { id: 'c1', attributes: { name: 'one', image: 'busybox' } } });
    clock += S;
    bus.publish({ type: 'image', action: 'tag', actor: { id: 'sha256:aa', attributes: { name: 'busybox:x' } } });
    clock += S;
    bus.publish({ type: 'container', action: 'start', actor: { id: 'c1', attributes: { name: 'one', image: 'busybox' } } });
    const res = await get('/v1.47/events' + q({ since: secs(t1), until: secs(clock) }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const lines = (await body(res)).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).Action),
      ['create', 'tag', 'start'],
    );
    assert.equal(
      lines[0],
      `{"status":"create","id":"c1","from":"busybox","Type":"container","Action":"create","Actor":{"ID":"c1","Attributes":{"image":"busybox","name":"one"}},"scope":"local","time":${t1 / S},"timeNano":${t1}}`,
    );
    const filtered = await body(await get('/events' + q({ since: secs(t1), until: secs(clock), filters: JSON.stringify({ type: ['container'], event: ['start'] }) })));
    assert.deepEqual(
      filtered.trim().split('\n').map((l) => JSON.parse(l).Action),
      ['start'],
    );
    // The legacy {"name":{"value":true}} filter form works too.
    const legacy = await body(await get('/events' + q({ since: secs(t1), until: secs(clock), filters: JSON.stringify({ image: { busybox: true } }) })));
    assert.equal(legacy.trim().split('\n').length, 3);
  });

  it('streams live events as they happen; a client that leaves is unsubscribed', async () => {
    const res = await get('/events' + q({ filters: JSON.stringify({ type: ['volume'] }) }));
    assert.equal(res.statusCode, 200, 'headers arrive before any event');
    await waitFor(() => bus.subscriberCount === 1);
    const next = lineReader(res);
    clock += S;
    bus.publish({ type: 'container', action: 'start', actor: { id: 'c1', attributes: {} } });
    clock += S;
    bus.publish({ type: 'volume', action: 'create', actor: { id: 'v1', attributes: { driver: 'local' } } });
    const line = await next();
    assert.equal(line, `{"Type":"volume","Action":"create","Actor":{"ID":"v1","Attributes":{"driver":"local"}},"scope":"local","time":${clock / S},"timeNano":${clock}}`);
    bus.publish({ type: 'volume', action: 'destroy', actor: { id: 'v1', attributes: { driver: 'local' } } });
    assert.equal(JSON.parse(await next()).Action, 'destroy');
    res.destroy();
    await waitFor(() => bus.subscriberCount === 0);
  });

  it('ends the stream at a future until', async () => {
    // A real-time bus: until is measured against the wall clock.
    const live = new EventBus();
    const srvSock = join(dir, 'live.sock');
    const srv = new ApiServer({ socketPath: srvSock, log: silentLogger, serverHeader: 'x', routes: eventRoutes(live) });
    await srv.listen();
    try {
      const until = BigInt(Date.now()) * 1_000_000n + 300_000_000n;
      const started = Date.now();
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        http.request({ socketPath: srvSock, path: '/events' + q({ until: secs(until) }), agent: false }, resolve).on('error', reject).end();
      });
      await waitFor(() => live.subscriberCount === 1);
      live.publish({ type: 'network', action: 'create', actor: { id: 'n1', attributes: { name: 'net' } } });
      const text = await body(res);
      assert.equal(JSON.parse(text).Action, 'create');
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 3000, `ended after ${took}ms`);
      assert.equal(live.subscriberCount, 0);
    } finally {
      live.close();
      await srv.close();
    }
  });

  it('rejects bad since/until with 400 before streaming', async () => {
    for (const [query, msg] of [
      [{ since: 'yesterday' }, /invalid value for "since"/],
      [{ since: '200', until: '100' }, /^`since` time \(200\) cannot be after `until` time \(100\)$/],
      [{ filters: '{bad' }, /invalid filter/],
    ] as const) {
      const res = await get('/events' + q(query));
      assert.equal(res.statusCode, 400);
      assert.match(JSON.parse(await body(res)).message, msg);
    }
    assert.equal(bus.subscriberCount, 0);
  });

  it('hides image create events from clients older than API 1.46', async () => {
    const t = (clock += S);
    bus.publish({ type: 'image', action: 'create', actor: { id: 'sha256:bb', attributes: { name: 'x:1' } } });
    const old = await body(await get('/v1.45/events' + q({ since: secs(t), until: secs(t) })));
    assert.equal(old, '');
    const recent = await body(await get('/v1.46/events' + q({ since: secs(t), until: secs(t) })));
    assert.equal(JSON.parse(recent).Action, 'create');
  });

  it('frames as JSON text sequences when the client asks (Accept: application/json-seq)', async () => {
    const t = (clock += S);
    bus.publish({ type: 'network', action: 'create', actor: { id: 'n1', attributes: {} } });
    const res = await get('/events' + q({ since: secs(t), until: secs(t) }), { Accept: 'application/json-seq' });
    assert.equal(res.headers['content-type'], 'application/json-seq');
    const text = await body(res);
    assert.ok(text.startsWith('\x1e{"Type":"network"') && text.endsWith('}\n'), JSON.stringify(text));
    const nd = await get('/events' + q({ since: secs(t), until: secs(t) }), { Accept: 'application/x-ndjson' });
    assert.equal(nd.headers['content-type'], 'application/x-ndjson');
    await body(nd);
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
