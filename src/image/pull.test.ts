/**
 * Pull and push against the in-process fake registry (Bearer token auth),
 * with a real content store and overlay snapshotter in a temp dir: digest
 * checks of manifests, configs and blobs; gzip, zstd and plain layers;
 * nothing left after a failure or a cancellation; the second pull
 * downloads nothing; push reuses manifests, mounts, and uploads in chunks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import tar from 'tar-stream';
import { OverlaySnapshotter } from '../snapshot/overlay.js';
import { silentLogger } from '../util/log.js';
import { ContentStore } from './content-store.js';
import { ImageService } from './image-service.js';
import { importTarball } from './import.js';
import { ImagePuller } from './pull.js';
import { ImagePusher } from './push.js';
import { parseDockerRef } from './reference.js';
import type { ProgressEvent } from './registry/progress.js';
import { RegistryService } from './registry/service.js';
import { FakeRegistry } from './registry/testdata/fake-registry.js';

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface Fixture {
  manifestDigest: string;
  configDigest: string;
  blobs: { gz: string; zst: string; plain: string };
}

async function publish(reg: FakeRegistry, repo: string, tag: string): Promise<Fixture> {
  const l1 = await tarOf({ 'a.txt': 'layer one (gzip)\n' });
  const l2 = await tarOf({ 'b.txt': 'layer two (zstd)\n' });
  const l3 = await tarOf({ 'c.txt': 'layer three (plain)\n', 'a.txt': 'overwritten\n' });
  const zst = spawnSync('zstd', ['-q', '-c'], { input: l2 }).stdout;
  const gz = gzipSync(l1);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(l1), sha(l2), sha(l3)] } }),
  );
  const blobs = { gz: reg.addBlob(repo, gz), zst: reg.addBlob(repo, zst), plain: reg.addBlob(repo, l3) };
  const configDigest = reg.addBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blobs.gz, size: gz.length },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: blobs.zst, size: zst.length },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blobs.plain, size: l3.length },
      ],
    }),
  );
  const manifestDigest = reg.addManifest(repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { manifestDigest, configDigest, blobs };
}

describe('pull and push against a token-authenticated registry', () => {
  let root: string;
  let reg: FakeRegistry;
  let svc: ImageService;
  let registries: RegistryService;
  let puller: ImagePuller;
  let fx: Fixture;
  const auth = { username: 'u', password: 'p' };
  let events: ProgressEvent[] = [];
  const progress = (e: ProgressEvent) => events.push(e);
  const state = () =>
    [
      readdirSync(join(root, 'content/blobs/sha256')).sort().join(','),
      readdirSync(join(root, 'content/ingest')).join(','),
      svc.snapshots.walk().map((s) => `${s.name}:${s.kind}`).sort().join(','),
      svc.store.all().length,
    ].join(' | ');

  before(async () => {
    root = mkdtempSync('/tmp/berth-pull-test-');
    reg = await new FakeRegistry({ auth: 'bearer', user: 'u', pass: 'p' }).start();
    fx = await publish(reg, 'team/app', 'v1');
    const content = new ContentStore(join(root, 'content'));
    svc = await ImageService.open(root, content, await OverlaySnapshotter.open(join(root, 'overlay')), silentLogger);
    registries = new RegistryService({ mirrors: [], insecure: [], certsDir: '/nonexistent' });
    puller = new ImagePuller(svc, registries, { retryDelayMs: () => 10 });
  });
  after(async () => {
    registries.close();
    await reg.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    events = [];
    reg.corrupt.clear();
    reg.tamperManifest.clear();
    reg.cut = undefined;
  });

  it('refuses a corrupted blob and stores nothing', async () => {
    const before = state();
    const good = reg.blobs.get(fx.blobs.plain)!;
    const bad = Buffer.from(good);
    bad[600] = bad[600]! ^ 0xff;
    reg.corrupt.set(fx.blobs.plain, bad);
    await assert.rejects(puller.pull({ ref: parseDockerRef(`${reg.host}/team/app:v1`), auth, progress }), new RegExp(`filesystem layer verification failed for digest ${fx.blobs.plain}`));
    assert.equal(state(), before);
  });

  it('refuses a manifest that is not what its digest says', async () => {
    const before = state();
    reg.tamperManifest.set('v1', Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: fx.configDigest, size: 1 }, layers: [] })));
    await assert.rejects(puller.pull({ ref: parseDockerRef(`${reg.host}/team/app:v1`), auth, progress }), /manifest verification failed/);
    reg.tamperManifest.set(fx.manifestDigest, Buffer.from('{}'));
    await assert.rejects(puller.pull({ ref: parseDockerRef(`${reg.host}/team/app@${fx.manifestDigest}`), auth, progress }), new RegExp(`manifest verification failed for digest ${fx.manifestDigest}`));
    assert.equal(state(), before);
  });

  it('refuses a config that is not what its digest says', async () => {
    const before = state();
    reg.corrupt.set(fx.configDigest, Buffer.from('{"rootfs":{"diff_ids":[]}}'));
    await assert.rejects(puller.pull({ ref: parseDockerRef(`${reg.host}/team/app:v1`), auth, progress }), /image config verification failed/);
    assert.equal(state(), before);
  });

  it('a cancelled pull leaves nothing', async () => {
    const before = state();
    const ac = new AbortController();
    await assert.rejects(
      puller.pull({
        ref: parseDockerRef(`${reg.host}/team/app:v1`),
        auth,
        signal: ac.signal,
        progress: (e) => {
          if (e.status === 'Pull complete') ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortedError',
    );
    assert.equal(state(), before);
  });

  it('pulls gzip, zstd and plain layers, verified, with docker progress, and records the digest', async () => {
    reg.cut = { digest: fx.blobs.gz, after: 50, times: 1 };
    const ref = parseDockerRef(`${reg.host}/team/app:v1`);
    const [r] = await puller.pull({ ref, auth, progress });
    assert.equal(r!.id, fx.configDigest);
    assert.equal(r!.digest, fx.manifestDigest);
    assert.equal(r!.updated, true);
    const rec = svc.store.get(fx.configDigest)!;
    assert.equal(rec.layers.length, 3);
    assert.deepEqual(rec.layers.map((l) => l.blob.digest), [fx.blobs.gz, fx.blobs.zst, fx.blobs.plain]);
    assert.equal(rec.manifest?.digest, fx.manifestDigest);
    assert.deepEqual(svc.store.refsOf(rec.id).map((x) => x.string()).sort(), [`${reg.host}/team/app:v1`, `${reg.host}/team/app@${fx.manifestDigest}`].sort());
    const top = svc.snapshots.layerChain(rec.layers[2]!.chainID);
    assert.equal(readFileSync(join(top[0]!, 'c.txt'), 'utf8'), 'layer three (plain)\n');
    assert.equal(readFileSync(join(top[1]!, 'b.txt'), 'utf8'), 'layer two (zstd)\n');
    assert.equal(readFileSync(join(top[2]!, 'a.txt'), 'utf8'), 'layer one (gzip)\n');
    const statuses = events.map((e) => `${e.id ?? ''} ${e.status ?? ''}`.trim());
    assert.equal(statuses[0], 'v1 Pulling from team/app');
    for (const d of Object.values(fx.blobs)) {
      const id = d.slice(7, 19);
      for (const s of ['Pulling fs layer', 'Download complete', 'Pull complete']) assert.ok(statuses.includes(`${id} ${s}`), `${id} ${s} in ${statuses.join('\n')}`);
    }
    assert.ok(statuses.includes(`${fx.blobs.gz.slice(7, 19)} Retrying in 1 second`), 'the cut transfer was retried');
    assert.deepEqual(statuses.slice(-2), [`Digest: ${fx.manifestDigest}`, `Status: Downloaded newer image for ${reg.host}/team/app:v1`]);
    assert.ok(events.some((e) => e.status === 'Downloading' && e.total !== undefined && e.current === e.total));
    assert.deepEqual(readdirSync(join(root, 'content/ingest')), []);
  });

  it('a second pull downloads nothing', async () => {
    const n = reg.log.length;
    await puller.pull({ ref: parseDockerRef(`${reg.host}/team/app:v1`), auth, progress });
    const blobGets = reg.log.slice(n).filter((l) => l.method === 'GET' && l.path.includes('/blobs/'));
    assert.deepEqual(blobGets, []);
    assert.equal(events.at(-1)?.status, `Status: Image is up to date for ${reg.host}/team/app:v1`);
  });

  it('pushes an unchanged image with the same manifest, mounting its blobs', async () => {
    const pusher = new ImagePusher(svc, registries);
    await svc.tag(`${reg.host}/team/app:v1`, parseDockerRef(`${reg.host}/team/copy:v1`));
    const [t] = await pusher.push({ ref: parseDockerRef(`${reg.host}/team/copy:v1`), auth, progress });
    assert.equal(t!.digest, fx.manifestDigest);
    for (const d of Object.values(fx.blobs)) assert.ok(events.some((e) => e.status === 'Mounted from team/app'), d);
    assert.ok(reg.manifests.get('team/copy')?.get('v1'));
    assert.deepEqual(events.at(-1)?.aux, { Tag: 'v1', Digest: fx.manifestDigest, Size: t!.size });
  });

  it('pushes a local image in chunks with a Docker schema 2 manifest', async () => {
    const layer = await tarOf({ 'big.txt': 'x'.repeat(5000) });
    const id = await importTarball(svc, Readable.from([layer]), { ref: parseDockerRef(`${reg.host}/team/local:1`) });
    const pusher = new ImagePusher(svc, registries, { chunkSize: 1024 });
    events = [];
    const [t] = await pusher.push({ ref: parseDockerRef(`${reg.host}/team/local:1`), auth, progress });
    const m = JSON.parse(reg.manifests.get('team/local')!.get('1')!.bytes.toString()) as { mediaType: string; config: { digest: string }; layers: { mediaType: string; digest: string }[] };
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(m.config.digest, id);
    assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/vnd.docker.image.rootfs.diff.tar']);
    assert.ok(reg.blobs.get(m.layers[0]!.digest)?.equals(layer));
    assert.ok(reg.log.filter((l) => l.method === 'PATCH').length >= 5, 'uploaded in 1 KiB chunks');
    assert.ok(events.some((e) => e.status === 'Pushed'));
    assert.deepEqual(svc.store.refsOf(id).map((r) => r.string()).sort(), [`${reg.host}/team/local:1`, `${reg.host}/team/local@${t!.digest}`].sort());
    // Pushing again finds everything there.
    events = [];
    await pusher.push({ ref: parseDockerRef(`${reg.host}/team/local:1`), auth, progress });
    assert.ok(events.some((e) => e.status === 'Layer already exists'));
    assert.ok(existsSync(svc.content.path(t!.digest)), 'the pushed manifest is kept');
  });

  it('push of what is not here', async () => {
    const pusher = new ImagePusher(svc, registries);
    await assert.rejects(pusher.push({ ref: parseDockerRef(`${reg.host}/nothing/here:1`), progress }), /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/nothing\/here/);
    await assert.rejects(pusher.push({ ref: parseDockerRef(`${reg.host}/team/local:2`), progress }), /tag does not exist: 127\.0\.0\.1:\d+\/team\/local:2/);
  });
});
