/**
 * Hostile clients against a real berthd: clients that go away at every point
 * of a request or a stream, malformed requests, filters that would stall the
 * event loop, and archives that expand hugely. After each attack the daemon
 * must still be running and answering `/_ping`, with nothing uncaught in its
 * log; malformed requests get a 4xx with a JSON message.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import { apiRoutes } from '../../src/api/routes/index.js';
import type { Route } from '../../src/api/router.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { busyboxArchive, loadBusybox } from '../harness/fixtures.js';
import { startFaultProxy, startRegistry } from '../harness/registry.js';
import { dockerArchive, imageOf, randomLayer } from '../fixtures/images.js';
import { pidAlive, sleep, until } from '../harness/wait.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(d: TestDaemon, method: string, path: string, body?: string | Buffer, headers: http.OutgoingHttpHeaders = {}, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`${method} ${path.slice(0, 200)}: ${e.message}`)));
    req.end(body);
  });
}

async function callJson<T>(d: TestDaemon, method: string, path: string, body?: unknown): Promise<T> {
  const r = await call(d, method, path, body === undefined ? undefined : JSON.stringify(body), { 'Content-Type': 'application/json' });
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.body}`);
  return (r.body ? JSON.parse(r.body) : undefined) as T;
}

/** A raw connection to the daemon's socket. */
function connect(d: TestDaemon): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(d.socket);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

interface Drop {
  /** Bytes written after the request, e.g. the first part of a body or stdin. */
  then?: (string | Buffer)[];
  /** Drop once the reply so far matches this (latin1); without it, drop at once. */
  until?: RegExp;
  /** Wait this long after `until` matched (or after writing) before dropping. */
  lingerMs?: number;
}

/**
 * Sends a raw request, optionally waits for part of the reply, then drops the
 * connection (destroy: no half-close, no goodbye). Returns what arrived.
 */
async function hitAndRun(d: TestDaemon, request: string | Buffer, drop: Drop = {}): Promise<string> {
  const s = await connect(d);
  s.on('error', () => {});
  let got = '';
  s.on('data', (c: Buffer) => (got += c.toString('latin1')));
  s.write(request);
  for (const part of drop.then ?? []) s.write(part);
  if (drop.until) {
    const deadline = Date.now() + 15_000;
    while (!drop.until.test(got)) {
      if (Date.now() > deadline) throw new Error(`no reply matching ${drop.until} within 15 s; got ${JSON.stringify(got.slice(0, 500))}`);
      await sleep(10);
    }
  }
  if (drop.lingerMs) await sleep(drop.lingerMs);
  s.destroy();
  return got;
}

/** Text that only a crash, an unhandled error or a leaked rejection leaves in the daemon's log. */
const CRASH_TEXT = /uncaught|unhandled|^\s+at \S/i;
/** A client leaving is no error of the daemon's: nothing at warn or error level either. */
const ERROR_LINE = /^\S+ (error|warn) /;

/** The daemon is still running, answers /_ping, and logged nothing uncaught since `from`. */
async function assertServing(d: TestDaemon, from: number, what: string): Promise<void> {
  // Give the daemon time to notice the client left and to run its error paths.
  await sleep(150);
  const ping = await call(d, 'GET', '/_ping', undefined, {}, 5_000).catch((e: unknown) => e as Error);
  const log = d.log().slice(from);
  assert.ok(d.pid !== undefined && pidAlive(d.pid), `berthd died after ${what}:\n${log.slice(-3000)}`);
  assert.ok(!(ping instanceof Error), `berthd does not answer /_ping after ${what}: ${String(ping)}\n${log.slice(-3000)}`);
  assert.equal(ping.status, 200);
  const bad = log.split('\n').filter((l) => CRASH_TEXT.test(l) || ERROR_LINE.test(l));
  assert.deepEqual(bad, [], `berthd logged errors after ${what}`);
}

function httpRequest(method: string, path: string, headers: Record<string, string | number> = {}, body = ''): string {
  const h = Object.entries({ Host: 'berth', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${path} HTTP/1.1\r\n${h}\r\n${body}`;
}

const upgrade = { Connection: 'Upgrade', Upgrade: 'tcp' };

/** The daemon's route table (method, pattern, body kind); handlers are never called. */
function routeTable(): Route[] {
  const stub = new Proxy({}, { get: () => () => assert.fail('a route table stub was called') });
  return apiRoutes({ system: stub, images: stub, registry: stub, containers: stub, exec: stub, events: stub, networks: stub, volumes: stub } as never);
}

describe('a daemon facing hostile clients', () => {
  let d: TestDaemon;
  let mark = 0;
  let ticker = '';
  let catter = '';

  /** Starts a container and returns its ID. */
  async function run(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const { Id } = await callJson<{ Id: string }>(d, 'POST', '/containers/create', { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' }, ...extra });
    await callJson(d, 'POST', `/containers/${Id}/start`);
    return Id;
  }

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    ticker = await run(['sh', '-c', 'while true; do echo tick; sleep 0.1; done']);
    catter = await run(['cat'], { OpenStdin: true, AttachStdin: true });
  });
  after(async () => {
    await d?.cleanup();
  });
  beforeEach(async () => {
    // A test that killed the daemon must not take the following ones with it.
    if (d.pid === undefined || !pidAlive(d.pid)) await d.start();
    mark = d.log().length;
  });

  describe('clients that go away', () => {
    it('in the middle of a JSON body (Content-Length)', async () => {
      await hitAndRun(d, httpRequest('POST', '/containers/create', { 'Content-Type': 'application/json', 'Content-Length': 5000 }, '{"Image":"busybox","Cmd":["tr'));
      await assertServing(d, mark, 'a create body cut short');
    });

    it('in the middle of a chunked JSON body', async () => {
      await hitAndRun(d, httpRequest('POST', '/containers/create', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '10\r\n{"Image":"busybox'), { lingerMs: 50 });
      await assertServing(d, mark, 'a chunked create body cut short');
    });

    it('in the middle of a chunked load, import and archive upload', async () => {
      const { archive } = await busyboxArchive();
      const part = archive.subarray(0, 64 * 1024);
      const chunk = Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
      for (const path of ['/images/load', '/images/create?fromSrc=-&repo=cut', `/containers/${ticker}/archive?path=/tmp`]) {
        const method = path.includes('/archive') ? 'PUT' : 'POST';
        await hitAndRun(d, httpRequest(method, path, { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' }), { then: [chunk], lingerMs: 200 });
        await assertServing(d, mark, `a chunked ${method} ${path} cut short`);
      }
      // Nothing of the cut import stays behind.
      const images = JSON.parse((await call(d, 'GET', '/images/json')).body) as { RepoTags: string[] | null }[];
      assert.ok(!images.some((i) => (i.RepoTags ?? []).some((t) => t.startsWith('cut:'))));
    });

    it('right after asking to upgrade (attach and exec start, before any reply)', async () => {
      const { Id: exec } = await callJson<{ Id: string }>(d, 'POST', `/containers/${ticker}/exec`, { Cmd: ['sleep', '1'], AttachStdout: true });
      const requests = [
        httpRequest('POST', `/containers/${ticker}/attach?stream=1&stdout=1&stderr=1`, upgrade),
        httpRequest('POST', '/containers/nosuch/attach?stream=1&stdout=1', upgrade),
        httpRequest('POST', `/exec/${exec}/start`, { ...upgrade, 'Content-Type': 'application/json', 'Content-Length': 2 }, '{}'),
        httpRequest('POST', '/exec/nosuch/start', { ...upgrade, 'Content-Type': 'application/json', 'Content-Length': 2 }, '{}'),
        // Upgrade headers on routes that do not take over the connection.
        httpRequest('GET', '/_ping', upgrade),
        httpRequest('GET', '/nosuch', upgrade),
        httpRequest('GET', '/events', upgrade),
        httpRequest('GET', `/containers/${ticker}/logs?follow=1&stdout=1`, upgrade),
      ];
      for (const r of requests) {
        await hitAndRun(d, r);
        await assertServing(d, mark, `a client gone right after ${r.split('\r\n')[0]} with Upgrade`);
      }
    });

    it('in the middle of an exec start body sent with Upgrade', async () => {
      const { Id: exec } = await callJson<{ Id: string }>(d, 'POST', `/containers/${ticker}/exec`, { Cmd: ['sleep', '1'], AttachStdout: true });
      await hitAndRun(d, httpRequest('POST', `/exec/${exec}/start`, { ...upgrade, 'Content-Type': 'application/json', 'Content-Length': 100 }, '{"Detach":'), { lingerMs: 100 });
      await assertServing(d, mark, 'an exec start body cut short');
    });

    it('after 101 UPGRADED and in the middle of attach and exec streams', async () => {
      await hitAndRun(d, httpRequest('POST', `/containers/${ticker}/attach?stream=1&stdout=1&stderr=1`, upgrade), { until: /101 UPGRADED/ });
      await assertServing(d, mark, 'an attach client gone after 101');
      await hitAndRun(d, httpRequest('POST', `/containers/${ticker}/attach?stream=1&stdout=1&stderr=1&logs=1`, upgrade), { until: /tick[\s\S]*tick/ });
      await assertServing(d, mark, 'an attach client gone mid-stream');
      await hitAndRun(d, httpRequest('POST', `/containers/${catter}/attach?stream=1&stdin=1&stdout=1`, upgrade), { until: /101 UPGRADED/, then: [], lingerMs: 20 });
      await hitAndRun(d, httpRequest('POST', `/containers/${catter}/attach?stream=1&stdin=1&stdout=1`, upgrade), { then: ['hello\n'], until: /hello/ });
      await assertServing(d, mark, 'a stdin attach client gone mid-stream');
      const { Id: exec } = await callJson<{ Id: string }>(d, 'POST', `/containers/${ticker}/exec`, { Cmd: ['sh', '-c', 'while true; do echo exec-out; sleep 0.05; done'], AttachStdout: true });
      await hitAndRun(d, httpRequest('POST', `/exec/${exec}/start`, { ...upgrade, 'Content-Type': 'application/json', 'Content-Length': 2 }, '{}'), { until: /exec-out/ });
      await assertServing(d, mark, 'an exec client gone mid-stream');
    });

    it('in the middle of a websocket attach, and in the middle of a frame', async () => {
      const ws = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': 13, 'Sec-WebSocket-Key': randomBytes(16).toString('base64') };
      await hitAndRun(d, httpRequest('GET', `/containers/${catter}/attach/ws?stream=1&stdin=1&stdout=1`, ws));
      await hitAndRun(d, httpRequest('GET', `/containers/${catter}/attach/ws?stream=1&stdin=1&stdout=1`, ws), { until: /101 Switching/, then: [Buffer.from([0x82, 0xfe, 0x10])] });
      await assertServing(d, mark, 'websocket clients gone');
    });

    it('while following logs, events and stats', async () => {
      for (const path of [`/containers/${ticker}/logs?follow=1&stdout=1`, '/events', `/containers/${ticker}/stats`, `/containers/${ticker}/stats?stream=0`, `/containers/${ticker}/wait`]) {
        await hitAndRun(d, httpRequest('GET', path).replace(/^GET (\/containers\/\w+\/wait)/, 'POST $1'), { until: /\r\n\r\n/ });
        await assertServing(d, mark, `a client gone after the headers of ${path}`);
      }
      await hitAndRun(d, httpRequest('GET', `/containers/${ticker}/logs?follow=1&stdout=1&tail=all`), { until: /tick[\s\S]*tick/ });
      await hitAndRun(d, httpRequest('GET', `/containers/${ticker}/stats`), { until: /"read"[\s\S]*"read"/ });
      // A client that stops reading and then goes: the daemon must not wait for it forever.
      const s = await connect(d);
      s.on('error', () => {});
      s.write(httpRequest('GET', `/containers/${ticker}/logs?follow=1&stdout=1&tail=all`));
      s.pause();
      await sleep(300);
      s.destroy();
      await assertServing(d, mark, 'log, stats and event followers gone');
    });

    it('while receiving export, archive and save streams', async () => {
      for (const path of [`/containers/${ticker}/export`, `/containers/${ticker}/archive?path=/bin`, '/images/get?names=busybox', '/images/busybox/get']) {
        await hitAndRun(d, httpRequest('GET', path), { until: /\r\n\r\n[\s\S]{1024}/ });
        await assertServing(d, mark, `a client gone in the middle of ${path}`);
      }
    });

    it('while a load reports progress', async () => {
      const { archive } = await busyboxArchive();
      // Tagged differently so that the layer is new to nobody but the tag is: load still runs through.
      await hitAndRun(d, httpRequest('POST', '/images/load', { 'Content-Type': 'application/x-tar', 'Content-Length': archive.length }), { then: [archive] });
      await hitAndRun(d, httpRequest('POST', '/images/load', { 'Content-Type': 'application/x-tar', 'Content-Length': archive.length }), { then: [archive], until: /\r\n\r\n/ });
      await assertServing(d, mark, 'load clients gone');
    });

    it('while a push and a pull report progress', async () => {
      const reg = await startRegistry();
      const proxy = await startFaultProxy(reg.host);
      try {
        // An image of its own: a pull of it has a layer to download.
        const image = imageOf([await randomLayer('data/blob', 2 << 20)]);
        const name = `${proxy.host}/hostile/blob`;
        const loaded = await call(d, 'POST', '/images/load?quiet=1', await dockerArchive([{ image, tags: [`${name}:1`] }]));
        assert.equal(loaded.status, 200, loaded.body);
        const auth = { 'X-Registry-Auth': Buffer.from('{}').toString('base64') };
        // Slow blobs keep both transfers going while their clients leave.
        proxy.plan = { throttleBytesPerSec: 200_000 };
        await hitAndRun(d, httpRequest('POST', `/images/${name}:1/push`, auth), { until: /\r\n\r\n[\s\S]*Pushing/ });
        await assertServing(d, mark, 'a push client gone');
        proxy.plan = {};
        const pushed = await call(d, 'POST', `/images/${name}:1/push`, undefined, auth, 60_000);
        assert.equal(pushed.status, 200);
        assert.doesNotMatch(pushed.body, /"error"/);
        assert.equal((await call(d, 'DELETE', `/images/${name}:1`)).status, 200);
        proxy.plan = { throttleBytesPerSec: 200_000 };
        await hitAndRun(d, httpRequest('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`, auth), { until: /Downloading/ });
        await assertServing(d, mark, 'a pull client gone');
        // The abandoned pull leaves no image behind.
        await until('the abandoned pull to end', async () => (await call(d, 'GET', `/images/${encodeURIComponent(name)}:1/json`)).status === 404);
      } finally {
        await proxy.stop();
        await reg.stop();
      }
    });
  });

  describe('malformed requests', () => {
    /** A 200 progress stream whose last message is an error with a message. */
    function assertStreamError(r: Reply, what: string): void {
      assert.equal(r.status, 200, `${what}: ${r.body}`);
      const last = JSON.parse(r.body.trim().split('\n').pop() ?? '{}') as { errorDetail?: { message?: unknown } };
      assert.equal(typeof last.errorDetail?.message, 'string', `${what}: ${r.body}`);
    }
    /** The reply is a 4xx with a JSON {"message"}. */
    function assertRefused(r: Reply, what: string, status?: number): void {
      assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${r.body}`);
      if (status !== undefined) assert.equal(r.status, status, `${what}: ${r.body}`);
      assert.match(r.headers['content-type'] ?? '', /application\/json/, what);
      const body = JSON.parse(r.body) as { message?: unknown };
      assert.equal(typeof body.message, 'string', `${what}: ${r.body}`);
      assert.ok((body.message as string).length > 0, what);
    }

    /** A request as raw bytes, for targets http.request would not send as they are. */
    async function rawCall(d: TestDaemon, request: string | Buffer): Promise<Reply> {
      const s = await connect(d);
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.write(request);
      s.end();
      await new Promise<void>((resolve, reject) => {
        s.on('close', () => resolve());
        s.on('error', reject);
        setTimeout(() => reject(new Error(`no reply to ${String(request).split('\r\n')[0]} within 10 s`)), 10_000).unref();
      });
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      assert.ok(m, `not an HTTP reply: ${JSON.stringify(text.slice(0, 300))}`);
      const headers: http.IncomingHttpHeaders = {};
      for (const line of m[2]!.split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = m[3]!;
      if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) body = body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '');
      return { status: Number(m[1]), headers, body };
    }

    const get = (path: string) => httpRequest('GET', path, { Connection: 'close' });

    it('refuses bad targets and query values with a 4xx and a message', async () => {
      const cases: [string, number?][] = [
        ['/containers/%E0%A4%A/json', 400],
        ['/images/%ff/json', 400],
        ['/containers/json?filters=%zz', 400],
        ['/containers/json?filters=%7B%22name%22%3A%5B1%5D%7D', 400],
        ['/containers/json?filters=%5B%5D', 400],
        ['//', 404],
        ['//containers/json', 404],
        ['/v1.x/_ping', 404],
        ['/v1.99999999999999999999/_ping', 400],
        ['/containers/json?all=maybe', 400],
        ['/containers/json?size=2', 400],
        ['/containers/json?limit=abc', 400],
        ['/containers/json?limit=1e400', 400],
        ['/containers/json?limit=0x10', 400],
        ['/containers/json?limit=99999999999999999999', 400],
        [`/containers/${ticker}/logs?stdout=1&follow=yes-please`, 400],
        ['/events?since=yesterday-ish', 400],
        ['/images/json?filters=%7Bnot-json', 400],
      ];
      for (const [path, status] of cases) assertRefused(await rawCall(d, get(path)), `GET ${path}`, status);
      assertRefused(await rawCall(d, httpRequest('POST', `/containers/${ticker}/resize?h=99999999&w=1`, { Connection: 'close' })), 'a resize beyond 16 bits', 400);
      assertRefused(await rawCall(d, httpRequest('DELETE', '/containers/nosuch?force=2', { Connection: 'close' })), 'a bad boolean', 400);
      // Bytes that are not HTTP at all, and headers too large to read.
      assertRefused(await rawCall(d, 'GARBAGE\r\n\r\n'), 'a request line that is not HTTP', 400);
      assertRefused(await rawCall(d, httpRequest('GET', '/_ping', { 'X-Big': 'x'.repeat(100_000) })), 'huge headers', 431);
      await assertServing(d, mark, 'malformed targets');
    });

    it('refuses create bodies with out-of-range numbers, bad ports and fields of the wrong type, and creates nothing', async () => {
      const before = (JSON.parse((await call(d, 'GET', '/containers/json?all=1')).body) as unknown[]).length;
      const bodies: [string, unknown][] = [
        ['Memory 1e30', { Image: 'busybox', HostConfig: { Memory: 1e30 } }],
        ['NanoCpus -1', { Image: 'busybox', HostConfig: { NanoCpus: -1 } }],
        ['PidsLimit 1e30', { Image: 'busybox', HostConfig: { PidsLimit: 1e30 } }],
        ['Ulimits 1e30', { Image: 'busybox', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1e30, Hard: 1 }] } }],
        ['ConsoleSize 1e30', { Image: 'busybox', HostConfig: { ConsoleSize: [1e30, 5] } }],
        ['StopTimeout 1.5', { Image: 'busybox', StopTimeout: 1.5 }],
        ['a host port 99999999', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999999' }] } } }],
        ['a host port range 1-99999999', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '1-99999999' }] } } }],
        ['a container port 99999999', { Image: 'busybox', HostConfig: { PortBindings: { '99999999/tcp': [{ HostPort: '80' }] } } }],
        ['an exposed port 99999999', { Image: 'busybox', ExposedPorts: { '99999999/tcp': {} } }],
        ['PortBindings of a string', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': 'x' } } }],
        ['Devices of a number', { Image: 'busybox', HostConfig: { Devices: 5 } }],
        ['Healthcheck of a number', { Image: 'busybox', Healthcheck: 5 }],
        ['a Healthcheck interval under 1ms', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Interval: 5 } }],
        ['NetworkingConfig of a number', { Image: 'busybox', NetworkingConfig: 5 }],
        ['an endpoint of a number', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { bridge: 5 } } }],
        ['LogConfig of a number', { Image: 'busybox', HostConfig: { LogConfig: 5 } }],
        ['Volumes of numbers', { Image: 'busybox', Volumes: { '/x': 5 } }],
        ['Image of a number', { Image: 5 }],
        ['HostConfig of an array', { Image: 'busybox', HostConfig: [] }],
      ];
      for (const [what, body] of bodies) {
        assertRefused(await call(d, 'POST', '/containers/create', JSON.stringify(body), { 'Content-Type': 'application/json' }), what, 400);
      }
      const after = (JSON.parse((await call(d, 'GET', '/containers/json?all=1')).body) as unknown[]).length;
      assert.equal(after, before, 'a refused create left a container behind');
      await assertServing(d, mark, 'bad create bodies');
    });

    it('refuses garbage bodies on every JSON endpoint of the route table', async () => {
      const { Id: exec } = await callJson<{ Id: string }>(d, 'POST', `/containers/${ticker}/exec`, { Cmd: ['true'] });
      const routes = routeTable().filter((r) => r.body === 'json');
      assert.ok(routes.length >= 10, `only ${routes.length} JSON routes found`);
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const garbage: [string, string | Buffer][] = [
        ['an array', '[]'],
        ['a string', '"str"'],
        ['a number', '42'],
        ['null', 'null'],
        ['true', 'true'],
        ['broken JSON', '{"a":'],
        ['not JSON', 'not json at all'],
        ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
        ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"Name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
        ['deeply nested arrays', deep],
        ['fields of the wrong type', JSON.stringify({ Name: 5, Container: 5, Cmd: 5, Image: 5, Memory: 'x', Detach: 'x', username: 5, Hostname: 5 })],
      ];
      for (const r of routes) {
        const path =
          r.pattern
            .replace(/^\/containers\/\{id\}/, `/containers/${ticker}`)
            .replace(/^\/exec\/\{id\}/, `/exec/${exec}`)
            .replace(/^\/networks\/\{id\}/, '/networks/bridge') + (r.pattern === '/commit' ? `?container=${ticker}` : '');
        assert.doesNotMatch(path, /\{/, `no parameter value for ${r.pattern}`);
        for (const [what, body] of garbage) {
          assertRefused(await call(d, r.method, path, body, { 'Content-Type': 'application/json' }), `${r.method} ${r.pattern} with ${what}`);
        }
      }
      for (const r of routeTable().filter((x) => x.body === 'stream')) {
        const path = r.pattern.replace(/^\/containers\/\{id\}/, `/containers/${ticker}`) + (r.pattern.endsWith('/archive') ? '?path=/tmp' : r.pattern === '/images/create' ? '?fromSrc=-' : '');
        for (const body of ['not a tar archive', randomBytes(20_000)]) {
          const reply = await call(d, r.method, path, body, { 'Content-Type': 'application/x-tar' });
          const what = `${r.method} ${r.pattern} with garbage`;
          // dockerd 20.10 answers a load 200 and reports the failure in its stream (docker-py reads it there).
          if (r.pattern === '/images/load') assertStreamError(reply, what);
          else assertRefused(reply, what);
        }
      }
      await assertServing(d, mark, 'garbage bodies');
    });

    it('limits JSON bodies: 413 with a message, and the rest is not read', async () => {
      // Announced too large: refused before reading.
      const announced = await rawCall(d, httpRequest('POST', '/containers/create', { 'Content-Type': 'application/json', 'Content-Length': 64 << 20 }, '{"Image":'));
      assertRefused(announced, 'a 64 MiB Content-Length', 413);
      // Chunked, without end: the daemon answers 413 and hangs up instead of reading on.
      const s = await connect(d);
      s.on('error', () => {});
      let got = '';
      let closed = false;
      s.on('data', (c: Buffer) => (got += c.toString('latin1')));
      s.on('close', () => (closed = true));
      s.write(httpRequest('POST', '/containers/create', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }));
      const chunk = Buffer.concat([Buffer.from(`${(64 << 10).toString(16)}\r\n`), Buffer.alloc(64 << 10, 0x20), Buffer.from('\r\n')]);
      let sent = 0;
      // Like a careful client, stop sending once the daemon answers early.
      while (!closed && got === '' && sent < 256 << 20) {
        if (!s.write(chunk)) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              s.off('drain', go);
              resolve();
            }, 1000);
            const go = () => {
              clearTimeout(t);
              resolve();
            };
            s.once('drain', go);
          });
        }
        sent += chunk.length;
      }
      await until('the daemon to hang up', () => closed, 10_000, 20);
      assert.match(got, /^HTTP\/1\.1 413 /);
      assert.match(got, /"message":"request body is too large/);
      assert.ok(sent < 256 << 20, `the daemon read ${sent} bytes of an endless body`);
      // Hijacked exec start bodies have the same limit.
      const { Id: exec } = await callJson<{ Id: string }>(d, 'POST', `/containers/${ticker}/exec`, { Cmd: ['true'] });
      assertRefused(await rawCall(d, httpRequest('POST', `/exec/${exec}/start`, { ...upgrade, 'Content-Type': 'application/json', 'Content-Length': 64 << 20 }, '{')), 'a 64 MiB exec start body', 413);
      // Streamed bodies are not JSON bodies: a load larger than the limit goes through.
      const image = imageOf([await randomLayer('data/big', 6 << 20)]);
      const load = await call(d, 'POST', '/images/load?quiet=1', await dockerArchive([{ image, tags: ['big:1'] }]));
      assert.equal(load.status, 200, load.body);
      assert.doesNotMatch(load.body, /"error"/);
      await assertServing(d, mark, 'oversized bodies');
    });
  });

  describe('filters that are regular expressions', () => {
    /** Pings every 10 ms while `work` runs; returns the slowest ping and what work returned. */
    async function whilePinging<T>(work: () => Promise<T>): Promise<{ slowestMs: number; result: T }> {
      let done = false;
      let slowest = 0;
      const pinger = (async () => {
        while (!done) {
          const t0 = performance.now();
          const r = await call(d, 'GET', '/_ping', undefined, {}, 5_000).catch(() => undefined);
          slowest = Math.max(slowest, r?.status === 200 ? performance.now() - t0 : 5_000);
          await sleep(10);
        }
      })();
      let result: T;
      try {
        result = await work();
      } finally {
        done = true;
        await pinger;
      }
      return { result, slowestMs: slowest };
    }

    const longName = 'a'.repeat(60) + '-';
    const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

    before(async () => {
      await callJson(d, 'POST', `/containers/create?name=${longName}`, { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      await callJson(d, 'POST', '/volumes/create', { Name: longName });
      await callJson(d, 'POST', '/networks/create', { Name: longName });
      assert.equal((await call(d, 'POST', `/images/busybox/tag?repo=${'a'.repeat(60)}b&tag=1`)).status, 201);
    });

    // Each: a pattern that backtracking matchers need 2^60 steps (or 60^20) for, against a long value.
    const attacks: [string, string][] = [
      ['containers by name', `/containers/json?all=1&filters=${filter({ name: ['(a+)+$'] })}`],
      ['containers by name, nested', `/containers/json?all=1&filters=${filter({ name: ['^(a|aa|a?)+$'] })}`],
      ['volumes by name', `/volumes?filters=${filter({ name: ['(a+)+$'] })}`],
      ['networks by name', `/networks?filters=${filter({ name: ['(a*)*b$'] })}`],
      ['networks by id', `/networks?filters=${filter({ id: ['(.*.*)*z'] })}`],
      ['images by reference glob', `/images/json?filters=${filter({ reference: ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c'] })}`],
    ];
    for (const [what, path] of attacks) {
      it(`cannot stall the daemon: ${what}`, async () => {
        const t0 = performance.now();
        const { result, slowestMs } = await whilePinging(() => call(d, 'GET', path, undefined, {}, 10_000).catch((e: unknown) => e as Error));
        const ms = performance.now() - t0;
        assert.ok(!(result instanceof Error), `${what}: ${String(result)}`);
        assert.ok(result.status === 200 || result.status === 400, `${what}: ${result.status} ${result.body}`);
        if (result.status === 200) assert.doesNotMatch(result.body, new RegExp(longName), `${what} matched what it should not`);
        assert.ok(ms < 2_000, `${what} took ${ms.toFixed(0)} ms`);
        assert.ok(slowestMs < 100, `a ping took ${slowestMs.toFixed(0)} ms while filtering ${what}`);
      });
    }

    it('still matches what Docker matches', async () => {
      const names = (path: string) => call(d, 'GET', path).then((r) => r.body);
      assert.match(await names(`/containers/json?all=1&filters=${filter({ name: ['^a{60}-$'] })}`), new RegExp(longName));
      assert.match(await names(`/volumes?filters=${filter({ name: ['a+-'] })}`), new RegExp(longName));
      assert.match(await names(`/networks?filters=${filter({ name: [longName] })}`), new RegExp(longName));
      // An expression Go cannot compile matches nothing (nor fails the request).
      const bad = await call(d, 'GET', `/containers/json?all=1&filters=${filter({ name: ['(', '(?=a)'] })}`);
      assert.equal(bad.status, 200, bad.body);
      assert.deepEqual(JSON.parse(bad.body), []);
      await assertServing(d, mark, 'regular expression filters');
    });
  });
});


/** A ustar header (sizes below 8 GiB). */
function tarHeader(name: string, opts: { size?: number; type?: 'file' | 'link' | 'dir'; linkname?: string } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(opts.type === 'dir' ? '0000755\0' : '0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write((opts.size ?? 0).toString(8).padStart(11, '0') + '\0', 124);
  h.write('14000000000\0', 136);
  h.write('        ', 148);
  h.write(opts.type === 'link' ? '1' : opts.type === 'dir' ? '5' : '0', 156);
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A gzip stream of a tar with `count` members made by `member(i)`, generated as it is sent. */
function gzipTar(count: number, member: (i: number) => Buffer[], prefix: Buffer[] = [], level = 1): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    yield* prefix;
    // Small batches: the client's event loop must stay free to read a reply that comes mid-body
    // (a server closes such a connection a while after replying, as Go's does).
    const batch: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      for (const b of member(i)) {
        batch.push(b);
        bytes += b.length;
      }
      if (batch.length >= 2048 || bytes >= 1 << 20) {
        yield Buffer.concat(batch.splice(0));
        bytes = 0;
      }
    }
    batch.push(Buffer.alloc(1024));
    yield Buffer.concat(batch);
  }
  return Readable.from(gen()).pipe(zlib.createGzip({ level }));
}

/** Posts a streamed body; resolves with the reply (which may come before the body is sent), then stops sending. */
function postStream(d: TestDaemon, path: string, body: Readable, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (r: Reply | Error) => {
      if (settled) return;
      settled = true;
      body.destroy();
      clearTimeout(timer);
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const timer = setTimeout(() => finish(new Error(`POST ${path}: no reply within ${timeoutMs} ms`)), timeoutMs);
    const req = http.request({ socketPath: d.socket, method: 'POST', path, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => finish({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (e) => setTimeout(() => finish(new Error(`POST ${path}: ${e.message}`)), 500));
    body.on('error', () => {});
    body.pipe(req);
  });
}

function procStatus(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** How far the daemon's resident memory rose above where it was while fn ran (the kernel's peak, reset first). */
async function peakRssGrowth<T>(d: TestDaemon, fn: () => Promise<T>): Promise<{ grew: number; result: T }> {
  writeFileSync(`/proc/${d.pid}/clear_refs`, '5');
  const before = procStatus(d.pid!, 'VmRSS');
  const result = await fn();
  return { grew: procStatus(d.pid!, 'VmHWM') - before, result };
}

function countEntries(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

describe('archives that expand hugely', () => {
  let d: TestDaemon;
  let mark = 0;
  const MiB = 1024 * 1024;
  const state = () => ({
    tmp: countEntries(join(d.root, 'tmp')),
    blobs: countEntries(join(d.root, 'content/blobs/sha256')),
    ingest: countEntries(join(d.root, 'content/ingest')),
    snapshots: countEntries(join(d.root, 'overlay/snapshots')),
  });
  let clean: ReturnType<typeof state>;
  let images = '';
  /** Waits until the root holds what it held before the test (the failed operation's cleanup may trail its reply). */
  async function assertNothingLeft(what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (JSON.stringify(state()) !== JSON.stringify(clean)) {
      if (Date.now() > deadline) assert.deepEqual(state(), clean, `${what} left something behind in ${d.root}`);
      await sleep(100);
    }
    assert.equal((await call(d, 'GET', '/images/json?all=1')).body, images, `${what} left an image`);
  }

  before(async () => {
    // Low layer limits keep these tests short; the code paths are those of the defaults.
    d = await startDaemon(['--max-layer-entries', '20000', '--max-layer-size', '64m']);
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });
  beforeEach(async () => {
    if (d.pid === undefined || !pidAlive(d.pid)) await d.start();
    mark = d.log().length;
    clean = state();
    images = (await call(d, 'GET', '/images/json?all=1')).body;
  });

  /** The attack was refused with a message naming the limit, and left nothing behind. */
  async function assertRefusedCleanly(r: Reply, what: string, message: RegExp): Promise<void> {
    // load answers 200 and reports its failure in the stream, as dockerd does; the others a 4xx.
    const streamed = r.status === 200 ? (JSON.parse(r.body) as { error?: string }).error : undefined;
    assert.ok(streamed !== undefined || (r.status >= 400 && r.status < 500), `${what}: ${r.status} ${r.body}`);
    assert.match(streamed ?? (JSON.parse(r.body) as { message: string }).message, message, what);
    await assertNothingLeft(what);
    await assertServing(d, mark, what);
  }

  it('load: an archive of 1,000,000 empty files is refused at 100,000 entries, in flat memory', async () => {
    const { grew, result } = await peakRssGrowth(d, () => postStream(d, '/images/load', gzipTar(1_000_000, (i) => [tarHeader(`f/${i}`)]), 120_000));
    await assertRefusedCleanly(result, 'a load of a million files', /more than 100000 entries/);
    assert.ok(grew < 100 * MiB, `berthd grew by ${(grew / MiB).toFixed(0)} MiB reading a million archive entries`);
  });

  it('load: an archive of 1,000,000 hardlinks is refused the same way', async () => {
    const { grew, result } = await peakRssGrowth(d, () =>
      postStream(d, '/images/load', gzipTar(1_000_000, (i) => [tarHeader(`l/${i}`, { type: 'link', linkname: 'manifest.json' })]), 120_000),
    );
    await assertRefusedCleanly(result, 'a load of a million hardlinks', /more than 100000 entries/);
    assert.ok(grew < 100 * MiB, `berthd grew by ${(grew / MiB).toFixed(0)} MiB reading a million hardlinks`);
  });

  it('import: a layer of 1,000,000 empty files or hardlinks stops at the entry limit, in flat memory', async () => {
    const files = await peakRssGrowth(d, () => postStream(d, '/images/create?fromSrc=-&repo=bomb', gzipTar(1_000_000, (i) => [tarHeader(`f${i}`)]), 120_000));
    await assertRefusedCleanly(files.result, 'an import of a million files', /more than 20000 entries.*--max-layer-entries/);
    assert.ok(files.grew < 100 * MiB, `berthd grew by ${(files.grew / MiB).toFixed(0)} MiB importing a million files`);
    const links = await peakRssGrowth(d, () =>
      postStream(d, '/images/create?fromSrc=-&repo=bomb', gzipTar(1_000_000, (i) => [tarHeader(`l${i}`, { type: 'link', linkname: 'target' })], [tarHeader('target')]), 120_000),
    );
    await assertRefusedCleanly(links.result, 'an import of a million hardlinks', /more than 20000 entries|too many hardlinks/);
    assert.ok(links.grew < 100 * MiB, `berthd grew by ${(links.grew / MiB).toFixed(0)} MiB importing a million hardlinks`);
  });

  it('import and load: a gzip bomb (1 MiB that inflates to 1 GiB) stops at the size limit, in flat memory and bounded disk', async () => {
    // 64 files of 16 MiB of zeros: each under the limit, together 16 times over it.
    const zeros = Buffer.alloc(16 * MiB);
    const bomb = () => gzipTar(64, (i) => [tarHeader(`z${i}`, { size: zeros.length }), zeros], [], 9);
    const imp = await peakRssGrowth(d, () => postStream(d, '/images/create?fromSrc=-&repo=bomb', bomb(), 120_000));
    await assertRefusedCleanly(imp.result, 'an imported gzip bomb', /exceeds the maximum size of 67108864 bytes.*--max-layer-size/);
    assert.ok(imp.grew < 150 * MiB, `berthd grew by ${(imp.grew / MiB).toFixed(0)} MiB importing a gzip bomb`);
    // The same bomb as the (gzip) layer of a docker save archive.
    const layer = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      bomb()
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });
    assert.ok(layer.length < 2 * MiB, `the bomb is ${layer.length} bytes`);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } }));
    const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['bomb:1'], Layers: ['layer.tar.gz'] }]));
    const archive = Buffer.concat([
      tarHeader('config.json', { size: config.length }), config, Buffer.alloc((512 - (config.length % 512)) % 512),
      tarHeader('manifest.json', { size: manifest.length }), manifest, Buffer.alloc((512 - (manifest.length % 512)) % 512),
      tarHeader('layer.tar.gz', { size: layer.length }), layer, Buffer.alloc((512 - (layer.length % 512)) % 512),
      Buffer.alloc(1024),
    ]);
    const load = await peakRssGrowth(d, () => call(d, 'POST', '/images/load', archive, { 'Content-Type': 'application/x-tar' }, 120_000));
    assert.match(load.result.body, /exceeds the maximum size of 67108864 bytes/);
    await assertNothingLeft('the loaded bomb');
    assert.ok(load.grew < 150 * MiB, `berthd grew by ${(load.grew / MiB).toFixed(0)} MiB loading a gzip bomb`);
    await assertServing(d, mark, 'gzip bombs');
  });
});
