import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBlob } from './blob-reader.js';
import { RegistryError, RegistrySession, RemoteRepository, type Endpoint } from './client.js';
import { HttpTransport, NetworkError, networkError } from './http.js';
import { RegistryService, normalizeRegistryAddress, parseRegistrySettings } from './service.js';
import { Slots } from './slots.js';
import { FakeRegistry } from './testdata/fake-registry.js';

const http = new HttpTransport(5000, 5000);
after(() => http.close());

function endpoint(r: FakeRegistry): Endpoint {
  return { url: new URL(`http://${r.host}`), tls: {}, mirror: false, domain: r.host };
}

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('Bearer token flow (Docker Hub style)', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await new FakeRegistry({ auth: 'bearer', user: 'u', pass: 'p' }).start();
    reg.addBlob('team/app', Buffer.from('blob-bytes'));
    reg.addManifest('team/app', 'v1', Buffer.from('{"schemaVersion":2}'), 'application/vnd.oci.image.manifest.v1+json');
  });
  after(() => reg.stop());

  it('probes /v2/, gets a token for the repository scope with the credentials, and reuses it', async () => {
    const s = new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' });
    const repo = new RemoteRepository(s, 'team/app');
    const m = await repo.getManifest('v1');
    assert.equal(m.bytes.toString(), '{"schemaVersion":2}');
    await repo.getManifest('v1');
    const tokens = reg.log.filter((l) => l.path.startsWith('/token'));
    assert.equal(tokens.length, 1, 'one token for both requests');
    const q = new URL(tokens[0]!.path, 'http://x').searchParams;
    assert.equal(q.get('service'), 'fake-registry');
    assert.deepEqual(q.getAll('scope'), ['repository:team/app:pull']);
    assert.match(tokens[0]!.auth ?? '', /^Basic /);
  });

  it('asks for more scope when the registry says insufficient_scope', async () => {
    const s = new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' });
    // A request declared with too little scope: the 401 names the scope it needs.
    const res = await s.fetch('/v2/team/app/manifests/v1', { scopes: ['repository:other:pull'] });
    assert.equal(res.status, 200);
    res.body.resume();
    const last = reg.log.filter((l) => l.path.startsWith('/token')).at(-1)!;
    assert.deepEqual(new URL(last.path, 'http://x').searchParams.getAll('scope'), ['repository:other:pull', 'repository:team/app:pull']);
  });

  it('wrong credentials: the token server refuses, in docker words', async () => {
    const s = new RegistrySession(http, endpoint(reg), { username: 'u', password: 'bad' });
    await assert.rejects(new RemoteRepository(s, 'team/app').getManifest('v1'), /unauthorized: incorrect username or password/);
    await assert.rejects(s.login(), /incorrect username or password/);
    await new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' }).login();
  });

  it('registry errors carry the code: manifest unknown is a 404', async () => {
    const s = new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' });
    await assert.rejects(new RemoteRepository(s, 'team/app').getManifest('nope'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'MANIFEST_UNKNOWN');
      assert.equal(e.kind, 'NotFound');
      assert.equal(e.message, 'manifest unknown: manifest unknown');
      return true;
    });
  });
});

describe('Basic auth', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await new FakeRegistry({ auth: 'basic', user: 'u', pass: 'p' }).start();
    reg.addManifest('a', 'v1', Buffer.from('{}'), 'application/vnd.oci.image.manifest.v1+json');
  });
  after(() => reg.stop());

  it('sends the credentials with every request', async () => {
    const s = new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' });
    assert.equal((await new RemoteRepository(s, 'a').getManifest('v1')).bytes.toString(), '{}');
  });
  it('without credentials: "no basic auth credentials"', async () => {
    const s = new RegistrySession(http, endpoint(reg), undefined);
    await assert.rejects(new RemoteRepository(s, 'a').getManifest('v1'), /^Error: Get "http:\/\/127\.0\.0\.1:\d+\/v2\/a\/manifests\/v1": no basic auth credentials$|no basic auth credentials/);
  });
  it('login checks /v2/ with the credentials', async () => {
    await new RegistrySession(http, endpoint(reg), { username: 'u', password: 'p' }).login();
    await assert.rejects(new RegistrySession(http, endpoint(reg), { username: 'u', password: 'x' }).login(), /login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 401 Unauthorized/);
  });
});

describe('blob reads that resume', () => {
  let reg: FakeRegistry;
  const data = Buffer.alloc(300_000, 7);
  let digest = '';
  before(async () => {
    reg = await new FakeRegistry().start();
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    digest = reg.addBlob('r', data);
  });
  after(() => reg.stop());

  it('continues from the byte it got to with Range after a cut', async () => {
    reg.cut = { digest, after: 100_000, times: 2 };
    const resumed: number[] = [];
    const s = new RegistrySession(http, endpoint(reg), undefined);
    const got = await collect(openBlob(new RemoteRepository(s, 'r'), { digest, size: data.length }, { retryDelayMs: () => 10, onResume: (o) => resumed.push(o) }));
    assert.ok(got.equals(data));
    assert.equal(resumed.length, 2);
    assert.ok(resumed[0]! > 0 && resumed[1]! > resumed[0]!, JSON.stringify(resumed));
    assert.deepEqual(
      reg.log.filter((l) => l.path.endsWith(digest) && l.range).map((l) => l.range),
      resumed.map((o) => `bytes=${o}-`),
    );
  });

  it('gives up after the attempts, with a clear network error', async () => {
    reg.cut = { digest, after: 1000, times: 100 };
    const s = new RegistrySession(http, endpoint(reg), undefined);
    await assert.rejects(collect(openBlob(new RemoteRepository(s, 'r'), { digest, size: data.length }, { retryDelayMs: () => 5, attempts: 3 })), (e: unknown) => {
      assert.ok(e instanceof NetworkError, String(e));
      assert.match((e as Error).message, /unexpected EOF.*gave up after 3 attempts/);
      return true;
    });
    reg.cut = undefined;
  });

  it('refuses more bytes than the descriptor announces', async () => {
    const s = new RegistrySession(http, endpoint(reg), undefined);
    await assert.rejects(collect(openBlob(new RemoteRepository(s, 'r'), { digest, size: 1000 }, {})), /more than the 1000 bytes announced/);
  });
});

describe('uploads', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await new FakeRegistry().start();
  });
  after(() => reg.stop());

  it('monolithic, chunked, and mounts', async () => {
    const s = new RegistrySession(http, endpoint(reg), undefined);
    const repo = new RemoteRepository(s, 'up', true);
    const a = Buffer.from('monolithic');
    const da = 'sha256:' + (await import('node:crypto')).createHash('sha256').update(a).digest('hex');
    assert.equal(await repo.blobSize(da), undefined);
    const { Readable } = await import('node:stream');
    await repo.putBlob(await repo.startUpload(), da, a.length, () => Readable.from([a]));
    assert.equal(await repo.blobSize(da), a.length);
    const b = Buffer.from('chunk-one|chunk-two');
    const db = 'sha256:' + (await import('node:crypto')).createHash('sha256').update(b).digest('hex');
    let url = await repo.startUpload();
    url = await repo.patchChunk(url, 0, 10, () => Readable.from([b.subarray(0, 10)]));
    const st = await repo.uploadStatus(url);
    assert.equal(st.offset, 10);
    url = await repo.patchChunk(st.url, 10, b.length - 10, () => Readable.from([b.subarray(10)]));
    await repo.completeUpload(url, db);
    assert.ok(reg.blobs.get(db)?.equals(b));
    const other = new RemoteRepository(s, 'other', true);
    assert.equal(await other.mountBlob(db, 'up'), 'mounted');
    const notThere = await other.mountBlob(db.replace(/.$/, '0'), 'up');
    assert.ok(notThere instanceof URL, 'a failed mount opens an upload');
  });
});

describe('RegistryService settings', () => {
  it('validates mirrors and insecure registries with docker words', () => {
    assert.throws(() => parseRegistrySettings({ mirrors: ['ftp://m'], insecure: [], certsDir: '/x' }), /invalid mirror: unsupported scheme "ftp"/);
    assert.throws(() => parseRegistrySettings({ mirrors: ['https://m/path'], insecure: [], certsDir: '/x' }), /path, query, or fragment/);
    assert.throws(() => parseRegistrySettings({ mirrors: [], insecure: ['http://r:5000'], certsDir: '/x' }), /should not contain '::\/\/'|should not contain ':\/\/'/);
    assert.throws(() => parseRegistrySettings({ mirrors: [], insecure: ['10.0.0.0/99'], certsDir: '/x' }), /not a valid CIDR/);
  });

  it('decides HTTP vs HTTPS as dockerd: 127.0.0.0/8, named and CIDR insecure registries', async () => {
    const svc = new RegistryService({ mirrors: ['https://mirror.example.com'], insecure: ['reg.example.test:5000', '10.1.0.0/16'], certsDir: '/nonexistent' });
    assert.equal(await svc.isInsecure('127.0.0.1:5000'), true);
    assert.equal(await svc.isInsecure('localhost:5000'), true);
    assert.equal(await svc.isInsecure('reg.example.test:5000'), true);
    assert.equal(await svc.isInsecure('10.1.2.3:443'), true);
    assert.equal(await svc.isInsecure('10.2.0.1'), false);
    assert.equal(await svc.isInsecure('docker.io'), false);
    const local = await svc.endpoints('127.0.0.1:5000', { push: false });
    assert.deepEqual(
      local.map((e) => [e.url.toString(), !!e.tls.insecureSkipVerify]),
      [
        ['https://127.0.0.1:5000/', true],
        ['http://127.0.0.1:5000/', false],
      ],
    );
    assert.deepEqual((await svc.endpoints('10.2.0.1', { push: false })).map((e) => e.url.toString()), ['https://10.2.0.1/']);
    const hub = await svc.endpoints('docker.io', { push: false });
    assert.deepEqual(
      hub.map((e) => [e.url.toString(), e.mirror]),
      [
        ['https://mirror.example.com/', true],
        ['https://registry-1.docker.io/', false],
      ],
    );
    assert.deepEqual((await svc.endpoints('docker.io', { push: true })).map((e) => e.url.host), ['registry-1.docker.io'], 'no pushes to mirrors');
    const info = svc.info();
    assert.deepEqual(info.insecureCidrs, ['127.0.0.0/8', '10.1.0.0/16']);
    assert.deepEqual(info.mirrors, ['https://mirror.example.com/']);
    assert.deepEqual(info.indexConfigs.map((c) => [c.name, c.secure, c.official]), [
      ['docker.io', true, true],
      ['reg.example.test:5000', false, false],
    ]);
    svc.close();
  });

  it('reads CA and client certificates from the certs dir', () => {
    const dir = mkdtempSync('/tmp/berth-certs-');
    try {
      mkdirSync(join(dir, 'reg.example:5000'));
      writeFileSync(join(dir, 'reg.example:5000', 'ca.crt'), 'CA');
      writeFileSync(join(dir, 'reg.example:5000', 'client.cert'), 'CERT');
      writeFileSync(join(dir, 'reg.example:5000', 'client.key'), 'KEY');
      const svc = new RegistryService({ mirrors: [], insecure: [], certsDir: dir });
      const t = svc.tlsFor('reg.example:5000');
      assert.deepEqual(t.ca?.map(String), ['CA']);
      assert.equal(String(t.cert), 'CERT');
      assert.equal(String(t.key), 'KEY');
      assert.deepEqual(svc.tlsFor('other:1'), {});
      mkdirSync(join(dir, 'half'));
      writeFileSync(join(dir, 'half', 'client.cert'), 'CERT');
      assert.throws(() => svc.tlsFor('half'), /missing key client.key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names Docker Hub one way', () => {
    for (const a of [undefined, '', 'docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io']) assert.equal(normalizeRegistryAddress(a), 'docker.io');
    assert.equal(normalizeRegistryAddress('http://localhost:5000/v2/'), 'localhost:5000');
  });

  it('an unreachable registry fails fast and says so', async () => {
    const svc = new RegistryService({ mirrors: [], insecure: [], certsDir: '/nonexistent' });
    const t0 = Date.now();
    // A name that does not resolve, without asking any resolver (tests send no traffic off the machine).
    const dns = networkError('GET', new URL('https://no-such-host.invalid/v2/'), Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), true);
    assert.ok(dns instanceof NetworkError && /lookup no-such-host\.invalid: no such host.*cannot be reached/.test(dns.message), dns.message);
    await assert.rejects(
      svc.withEndpoints('127.0.0.1:1', undefined, { push: false }, async () => 1),
      /dial tcp 127\.0\.0\.1:1: connect: connection refused/,
    );
    assert.ok(Date.now() - t0 < 5000);
    svc.close();
  });
});

describe('Slots', () => {
  it('serves waiters lowest priority first', async () => {
    const slots = new Slots(1);
    const first = slots.tryAcquire()!;
    const order: number[] = [];
    const waits = [3, 1, 2].map((p) =>
      slots.acquire(p).then((release) => {
        order.push(p);
        release();
      }),
    );
    first();
    await Promise.all(waits);
    assert.deepEqual(order, [1, 2, 3]);
  });
});
