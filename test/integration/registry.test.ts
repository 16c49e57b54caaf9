/**
 * Registries end to end against Debian's docker-registry on 127.0.0.1
 * (started per suite, with and without htpasswd auth), through berth's CLI,
 * the real docker CLI and dockerode:
 *
 * - push (busybox, a 3-layer image with a chunked-upload-sized layer,
 *   cross-repository mounts), remove, pull back, run; second pulls download
 *   nothing; shared layers "Already exists"; pull by digest and `-a`;
 *   `run --pull always|missing|never`.
 * - multi-platform OCI indexes and Docker manifest lists pick the right
 *   manifest; zstd, gzip and uncompressed layers.
 * - htpasswd: login (wrong password refused), push, pull, logout.
 * - a proxy that corrupts a blob (detected, nothing stored), cuts transfers
 *   (resumed with Range; when it keeps failing nothing is left and the next
 *   pull completes), and a client that goes away mid-pull (nothing left).
 * - offline: `pull ubuntu` fails fast and says why; a Docker Hub mirror.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { BERTH_BIN, cli, sdk, type CliName } from '../harness/clients.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { loadBusybox } from '../harness/fixtures.js';
import { putManifest, regRequest, startFaultProxy, startRegistry, uploadBlob, type FaultProxy, type TestRegistry } from '../harness/registry.js';
import { busyboxLayer, digestOf, dockerArchive, imageOf, randomLayer, smallFilesLayer, tarOf, type BuiltImage } from '../fixtures/images.js';

/** Everything the image store keeps on disk, to compare before and after a failure. */
function storeState(d: TestDaemon): string {
  const ls = (p: string) => {
    try {
      return readdirSync(join(d.root, p)).sort().join(',');
    } catch {
      return '';
    }
  };
  return [ls('overlay/snapshots'), ls('content/blobs/sha256'), ls('content/ingest'), ls('image/images'), ls('tmp')].join(' | ');
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const blobGets = (p: FaultProxy) => p.seen.filter((s) => s.method === 'GET' && /\/blobs\/sha256:/.test(s.path)).length;

/** The 3-layer test image: busybox, a 34 MB random file (chunked upload), and 300 small files. */
let threeLayer: Promise<BuiltImage> | undefined;
function threeLayerImage(): Promise<BuiltImage> {
  return (threeLayer ??= (async () => {
    const l3 = await smallFilesLayer('data/small', 300, [{ name: 'data/' }, { name: 'data/hello.txt', body: 'hello from layer 3\n' }]);
    return imageOf([await busyboxLayer(), await randomLayer('data/random.bin', 34 << 20), l3], { labels: { test: 'three' } });
  })());
}

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`registry push/pull through the ${client} CLI`, () => {
    let reg: TestRegistry;
    let proxy: FaultProxy;
    let d: TestDaemon;
    let R: string;
    let threeDigest = '';
    const run = (args: string[], input?: string) => cli(client, d, args, { ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 });

    before(async () => {
      reg = await startRegistry();
      proxy = await startFaultProxy(reg.host);
      R = proxy.host;
      d = await startDaemon();
      await loadBusybox(d);
      const img = await threeLayerImage();
      const work = join(d.base, 'work');
      mkdirSync(work);
      writeFileSync(join(work, 'three.tar'), await dockerArchive([{ image: img, tags: ['three:1'] }]));
      const r = await run(['load', '-i', join(work, 'three.tar')]);
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      await d?.cleanup();
      await proxy?.stop();
      await reg?.stop();
    });

    it('pushes busybox: Preparing, Pushed, and the digest line', async () => {
      assert.equal((await run(['tag', 'busybox', `${R}/c/busybox:1`])).code, 0);
      const r = await run(['push', `${R}/c/busybox:1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${R}/c/busybox\\]$`, 'm'));
      assert.match(r.stdout, /^[0-9a-f]{12}: Preparing$/m);
      assert.match(r.stdout, /^[0-9a-f]{12}: Pushed$/m);
      const m = /^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(r.stdout);
      assert.ok(m, r.stdout);
      const got = await regRequest(reg.host, 'GET', '/v2/c/busybox/manifests/1', { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(got.status, 200);
      assert.equal(digestOf(got.body), m[1]);
      assert.equal(got.body.length, Number(m[2]));
      // As dockerd: the pushed digest becomes a RepoDigest of the local image.
      const i = await run(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${R}/c/busybox:1`]);
      assert.deepEqual(JSON.parse(i.stdout), [`${R}/c/busybox@${m[1]}`]);
    });

    it('pushes a 3-layer image (chunked upload, the base layer mounted from the other repository)', async () => {
      assert.equal((await run(['tag', 'three:1', `${R}/c/three:1`])).code, 0);
      const r = await run(['push', `${R}/c/three:1`]);
      assert.equal(r.code, 0, r.stderr);
      const img = await threeLayerImage();
      const ids = img.layers.map((l) => digestOf(l).slice(7, 19));
      assert.match(r.stdout, new RegExp(`^${ids[0]}: Mounted from c/busybox$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${ids[1]}: Pushed$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${ids[2]}: Pushed$`, 'm'));
      threeDigest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout)![1]!;
      // The 34 MB layer went up in more than one PATCH.
      const patches = proxy.seen.filter((s) => s.method === 'PATCH').length;
      assert.ok(patches >= 2, `expected a chunked upload, saw ${patches} PATCH requests`);
      const again = await run(['push', `${R}/c/three:1`]);
      assert.equal(again.code, 0, again.stderr);
      for (const id of ids) assert.match(again.stdout, new RegExp(`^${id}: Layer already exists$`, 'm'));
      assert.match(again.stdout, new RegExp(`^1: digest: ${threeDigest} size: \\d+$`, 'm'));
    });

    it('pulls the image back after removing it, and runs it', async () => {
      const rm = await run(['rmi', `${R}/c/three:1`, 'three:1']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal((await run(['image', 'inspect', `${R}/c/three:1`])).code, 1);
      const r = await run(['pull', `${R}/c/three:1`]);
      assert.equal(r.code, 0, r.stderr);
      // The base layer is busybox's, still here.
      const img = await threeLayerImage();
      const ids = img.layers.map((l) => digestOf(l).slice(7, 19));
      assert.match(r.stdout, new RegExp(`^1: Pulling from c/three$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${ids[0]}: Already exists$`, 'm'));
      for (const id of ids.slice(1)) {
        assert.match(r.stdout, new RegExp(`^${id}: Pulling fs layer$`, 'm'));
        assert.match(r.stdout, new RegExp(`^${id}: Download complete$`, 'm'));
        assert.match(r.stdout, new RegExp(`^${id}: Pull complete$`, 'm'));
      }
      assert.match(r.stdout, new RegExp(`^Digest: ${threeDigest}$`, 'm'));
      assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${R}/c/three:1$`, 'm'));
      assert.ok(r.stdout.trimEnd().endsWith(`\n${R}/c/three:1`), r.stdout);
      const i = await run(['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}} {{len .RootFS.Layers}}', `${R}/c/three:1`]);
      assert.equal(i.stdout.trim(), `${img.id} ${JSON.stringify([`${R}/c/three@${threeDigest}`])} 3`);
      const ls = await run(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
      assert.match(ls.stdout, new RegExp(`^${R}/c/three 1 ${threeDigest}$`, 'm'));
      const c = await run(['run', '--rm', '--network', 'none', `${R}/c/three:1`, 'sh', '-c', 'cat /data/hello.txt; wc -c < /data/random.bin; ls /data/small/d7 | wc -l']);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.trim().split('\n').map((s) => s.trim()).join(' '), `hello from layer 3 ${34 << 20} 6`);
    });

    it('a second pull downloads nothing', async () => {
      const before = blobGets(proxy);
      const r = await run(['pull', `${R}/c/three:1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Status: Image is up to date for ${R}/c/three:1$`, 'm'));
      assert.equal(blobGets(proxy), before, 'no blob was fetched');
    });

    it('a layer that is already here is "Already exists"', async () => {
      assert.equal((await run(['rmi', `${R}/c/busybox:1`, 'busybox'])).code, 0);
      const r = await run(['pull', `${R}/c/busybox:1`]);
      assert.equal(r.code, 0, r.stderr);
      const id = digestOf(await busyboxLayer()).slice(7, 19);
      assert.match(r.stdout, new RegExp(`^${id}: Already exists$`, 'm'));
      assert.doesNotMatch(r.stdout, /Pulling fs layer/);
    });

    it('pulls by digest', async () => {
      assert.equal((await run(['rmi', `${R}/c/three:1`])).code, 0);
      const r = await run(['pull', `${R}/c/three@${threeDigest}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${threeDigest}: Pulling from c/three$`, 'm'));
      assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${R}/c/three@${threeDigest}$`, 'm'));
      const i = await run(['image', 'inspect', '--format', '{{json .RepoTags}} {{json .RepoDigests}}', `${R}/c/three@${threeDigest}`]);
      assert.equal(i.stdout.trim(), `[] ${JSON.stringify([`${R}/c/three@${threeDigest}`])}`);
    });

    it('push -a and pull -a: every tag', async () => {
      for (const t of ['a', 'b']) assert.equal((await run(['tag', `${R}/c/busybox:1`, `${R}/c/multi:${t}`])).code, 0);
      const p = await run(['push', '-a', `${R}/c/multi`]);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /^a: digest: sha256:[0-9a-f]{64} size: \d+$/m);
      assert.match(p.stdout, /^b: digest: sha256:[0-9a-f]{64} size: \d+$/m);
      assert.equal((await run(['rmi', `${R}/c/multi:a`, `${R}/c/multi:b`])).code, 0);
      const r = await run(['pull', '-a', `${R}/c/multi`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${R}/c/multi$`, 'm'));
      assert.ok(r.stdout.trimEnd().endsWith(`\n${R}/c/multi`), r.stdout);
      const ls = await run(['images', `${R}/c/multi`, '--format', '{{.Tag}}']);
      assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['a', 'b']);
    });

    it('run --pull never|missing|always', async () => {
      assert.equal((await run(['rmi', `${R}/c/busybox:1`])).code, 0);
      const never = await run(['run', '--rm', '--network', 'none', '--pull', 'never', `${R}/c/busybox:1`, 'true']);
      assert.equal(never.code, 125);
      assert.match(never.stderr, /No such image/);
      const missing = await run(['run', '--rm', '--network', 'none', `${R}/c/busybox:1`, 'echo', 'ran']);
      assert.equal(missing.code, 0, missing.stderr);
      assert.equal(missing.stdout, 'ran\n');
      assert.match(missing.stderr, new RegExp(`^Unable to find image '${R}/c/busybox:1' locally$`, 'm'));
      assert.match(missing.stderr, new RegExp(`^Status: Downloaded newer image for ${R}/c/busybox:1$`, 'm'));
      const always = await run(['run', '--rm', '--network', 'none', '--pull', 'always', `${R}/c/busybox:1`, 'echo', 'ran']);
      assert.equal(always.code, 0, always.stderr);
      assert.match(always.stderr, new RegExp(`^Status: Image is up to date for ${R}/c/busybox:1$`, 'm'));
    });

    it('reports what is missing: a local tag to push, a remote tag to pull', async () => {
      const p = await run(['push', `${R}/c/nothing:1`]);
      assert.equal(p.code, 1);
      assert.match(p.stderr, new RegExp(`An image does not exist locally with the tag: ${R}/c/nothing`));
      const q = await run(['pull', `${R}/c/busybox:nope`]);
      assert.equal(q.code, 1);
      assert.match(q.stderr, new RegExp(`manifest for ${R}/c/busybox:nope not found: manifest unknown`));
      const bad = await run(['pull', `${R}/c/Busybox`]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid reference format/);
    });
  });
}

describe('multi-platform indexes and layer compressions', () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let indexDigest = '';
  let listDigest = '';
  const berth = (args: string[]) => cli('berth', d, args, { timeoutMs: 60_000 });

  before(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    const bb = await busyboxLayer();
    const amdMarker = await tarOf([{ name: 'platform.txt', body: 'amd64\n' }]);
    const armMarker = await tarOf([{ name: 'platform.txt', body: 'arm64\n' }]);
    const plain = await tarOf([{ name: 'etc/plain.txt', body: 'uncompressed layer\n' }]);
    const zstd = spawnSync('zstd', ['-q', '-c'], { input: amdMarker }).stdout;
    assert.ok(zstd.length > 0, 'zstd is installed');
    const amd = imageOf([bb, amdMarker, plain], { architecture: 'amd64' });
    const arm = imageOf([bb, armMarker], { architecture: 'arm64', variant: 'v8' });
    const up = (b: Buffer) => uploadBlob(reg.host, 'multi/app', b);
    const bbGz = gzipSync(bb);
    const layer = async (mediaType: string, data: Buffer) => ({ mediaType, digest: await up(data), size: data.length });
    const amdManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await up(amd.configBytes), size: amd.configBytes.length },
        layers: [
          await layer('application/vnd.oci.image.layer.v1.tar+gzip', bbGz),
          await layer('application/vnd.oci.image.layer.v1.tar+zstd', zstd),
          await layer('application/vnd.oci.image.layer.v1.tar', plain),
        ],
      }),
    );
    const armManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await up(arm.configBytes), size: arm.configBytes.length },
        layers: [await layer('application/vnd.oci.image.layer.v1.tar+gzip', bbGz), await layer('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(armMarker))],
      }),
    );
    const amdDigest = await putManifest(reg.host, 'multi/app', digestOf(amdManifest), amdManifest, 'application/vnd.oci.image.manifest.v1+json');
    const armDigest = await putManifest(reg.host, 'multi/app', digestOf(armManifest), armManifest, 'application/vnd.oci.image.manifest.v1+json');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: armDigest, size: armManifest.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amdDigest, size: amdManifest.length, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      }),
    );
    indexDigest = await putManifest(reg.host, 'multi/app', '1', index, 'application/vnd.oci.image.index.v1+json');
    assert.equal(indexDigest, digestOf(index));

    // The same two images as Docker schema 2 manifests in a Docker manifest list.
    const dockerManifest = async (img: BuiltImage, layers: { mediaType: string; digest: string; size: number }[]) => {
      const b = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: img.configBytes.length, digest: digestOf(img.configBytes) },
          layers,
        }),
      );
      return { bytes: b, digest: await putManifest(reg.host, 'multi/list', digestOf(b), b, 'application/vnd.docker.distribution.manifest.v2+json') };
    };
    const up2 = (b: Buffer) => uploadBlob(reg.host, 'multi/list', b);
    const armGz = gzipSync(armMarker);
    const amdGz = gzipSync(amdMarker);
    for (const b of [bbGz, armGz, amdGz, plain, amd.configBytes, arm.configBytes]) await up2(b);
    const gz = (b: Buffer) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: digestOf(b), size: b.length });
    const dAmd = await dockerManifest(amd, [gz(bbGz), gz(amdGz), { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: digestOf(plain), size: plain.length }]);
    const dArm = await dockerManifest(arm, [gz(bbGz), gz(armGz)]);
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [
          { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: dArm.digest, size: dArm.bytes.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
          { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: dAmd.digest, size: dAmd.bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      }),
    );
    listDigest = await putManifest(reg.host, 'multi/list', '1', list, 'application/vnd.docker.distribution.manifest.list.v2+json');
  });
  after(async () => {
    await d?.cleanup();
    await reg?.stop();
  });

  it('dockerode: an OCI index gives the host platform (gzip, zstd and plain layers)', async () => {
    const docker = sdk(d);
    const stream = await docker.pull(`${reg.host}/multi/app:1`);
    const events: { status?: string; error?: string }[] = await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: { status?: string }[]) => (err ? reject(err) : resolve(out))),
    );
    assert.ok(events.some((e) => e.status === `Digest: ${indexDigest}`), JSON.stringify(events));
    const info = await docker.getImage(`${reg.host}/multi/app:1`).inspect();
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(info.RepoDigests, [`${reg.host}/multi/app@${indexDigest}`]);
    assert.equal(info.RootFS.Layers?.length, 3);
    const r = await berth(['run', '--rm', '--network', 'none', `${reg.host}/multi/app:1`, 'cat', '/platform.txt', '/etc/plain.txt']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'amd64\nuncompressed layer\n');
    // save decompresses zstd layers too: the archive loads back.
    const save = await cli('berth', d, ['save', `${reg.host}/multi/app:1`], { binary: true });
    assert.equal(save.code, 0, save.stderr);
    assert.ok(save.stdoutBytes.length > 1 << 20);
  });

  it('--platform linux/arm64 gives the arm64 manifest', async () => {
    const r = await berth(['pull', '--platform', 'linux/arm64', `${reg.host}/multi/app:1`]);
    assert.equal(r.code, 0, r.stderr);
    const i = await berth(['image', 'inspect', '--format', '{{.Architecture}} {{.Variant}} {{len .RootFS.Layers}}', `${reg.host}/multi/app:1`]);
    assert.equal(i.stdout.trim(), 'arm64 v8 2');
    // The base layer is shared with the amd64 image.
    assert.match(r.stdout, /: Already exists$/m);
  });

  it('a platform the index does not have is refused', async () => {
    const r = await berth(['pull', '--platform', 'linux/s390x', `${reg.host}/multi/app:1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
    const bad = await berth(['pull', '--platform', 'nonsense/x/y/z', `${reg.host}/multi/app:1`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown operating system or architecture/);
  });

  it('a Docker manifest list (schema 2, the docker CLI)', async () => {
    const r = await cli('docker', d, ['pull', `${reg.host}/multi/list:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Digest: ${listDigest}$`, 'm'));
    const i = await berth(['image', 'inspect', '--format', '{{.Architecture}}', `${reg.host}/multi/list:1`]);
    assert.equal(i.stdout.trim(), 'amd64');
    const arm = await cli('docker', d, ['pull', '--platform', 'linux/arm64/v8', `${reg.host}/multi/list:1`]);
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal((await berth(['image', 'inspect', '--format', '{{.Architecture}}', `${reg.host}/multi/list:1`])).stdout.trim(), 'arm64');
  });
});

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`htpasswd registry through the ${client} CLI`, () => {
    let reg: TestRegistry;
    let d: TestDaemon;
    let R: string;
    const user = 'tester';
    const pass = 'pa55-w0rd';
    const run = (args: string[], input?: string) => cli(client, d, args, { ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
    const configFile = () => join(d.base, 'docker-config', 'config.json');

    before(async () => {
      reg = await startRegistry({ auth: { user, pass } });
      R = reg.host;
      d = await startDaemon();
      await loadBusybox(d);
      assert.equal((await run(['tag', 'busybox', `${R}/private/bb:1`])).code, 0);
    });
    after(async () => {
      await d?.cleanup();
      await reg?.stop();
    });

    it('refuses a wrong password and stores nothing', async () => {
      const r = await run(['login', '-u', user, '--password-stdin', R], 'wrong\n');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /401 Unauthorized|unauthorized/);
      let auths: Record<string, unknown> = {};
      try {
        auths = (JSON.parse(readFileSync(configFile(), 'utf8')) as { auths?: Record<string, unknown> }).auths ?? {};
      } catch {
        /* no file */
      }
      assert.equal(auths[R], undefined);
    });

    it('push without credentials is refused', async () => {
      const r = await run(['push', `${R}/private/bb:1`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no basic auth credentials/);
    });

    it('logs in, pushes, pulls back and runs', async () => {
      const l = await run(['login', '-u', user, '--password-stdin', R], `${pass}\n`);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /Login Succeeded/);
      const cfg = JSON.parse(readFileSync(configFile(), 'utf8')) as { auths: Record<string, { auth: string }> };
      assert.equal(Buffer.from(cfg.auths[R]!.auth, 'base64').toString(), `${user}:${pass}`);
      const p = await run(['push', `${R}/private/bb:1`]);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
      assert.equal((await run(['rmi', `${R}/private/bb:1`, 'busybox'])).code, 0);
      const q = await run(['pull', `${R}/private/bb:1`]);
      assert.equal(q.code, 0, q.stderr);
      assert.match(q.stdout, /Pull complete/);
      const c = await run(['run', '--rm', '--network', 'none', `${R}/private/bb:1`, 'echo', 'private']);
      assert.equal(c.stdout, 'private\n', c.stderr);
    });

    it('dockerode pulls with an authconfig', async () => {
      if (client !== 'berth') return;
      const docker = sdk(d);
      await docker.getImage(`${R}/private/bb:1`).remove();
      const stream = await docker.pull(`${R}/private/bb:1`, { authconfig: { username: user, password: pass, serveraddress: R } });
      await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(null))));
      assert.equal((await docker.getImage(`${R}/private/bb:1`).inspect()).RepoTags?.[0], `${R}/private/bb:1`);
    });

    it('logs out; pulls are refused again', async () => {
      const o = await run(['logout', R]);
      assert.equal(o.code, 0, o.stderr);
      assert.match(o.stdout, new RegExp(`Removing login credentials for ${R}`));
      assert.equal((await run(['rmi', `${R}/private/bb:1`])).code, 0);
      const q = await run(['pull', `${R}/private/bb:1`]);
      assert.equal(q.code, 1);
      assert.match(q.stderr, /no basic auth credentials/);
    });
  });
}

describe('broken registries and interrupted pulls', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let d: TestDaemon;
  let img: BuiltImage;
  let bigDigest = '';
  let R = '';
  const berth = (args: string[]) => cli('berth', d, args, { timeoutMs: 120_000 });

  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    R = proxy.host;
    d = await startDaemon();
    await loadBusybox(d);
    img = imageOf([await busyboxLayer(), await randomLayer('data/big.bin', 12 << 20)]);
    bigDigest = digestOf(img.layers[1]!);
    const work = join(d.base, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'big.tar'), await dockerArchive([{ image: img, tags: [`${reg.host}/f/big:1`] }]));
    const l = await berth(['load', '-i', join(work, 'big.tar')]);
    assert.equal(l.code, 0, l.stderr);
    const p = await berth(['push', `${reg.host}/f/big:1`]);
    assert.equal(p.code, 0, p.stderr);
    // Nothing of it stays here: every pull below downloads both layers.
    const rm = await berth(['rmi', `${reg.host}/f/big:1`, 'busybox']);
    assert.equal(rm.code, 0, rm.stderr + rm.stdout);
  });
  after(async () => {
    await d?.cleanup();
    await proxy?.stop();
    await reg?.stop();
  });

  it('a corrupted blob fails the digest check and nothing is stored', async () => {
    const state = storeState(d);
    proxy.plan = { corrupt: bigDigest };
    const r = await berth(['pull', `${R}/f/big:1`]);
    proxy.plan = {};
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${bigDigest}`));
    assert.equal(storeState(d), state);
  });

  it('a transfer cut once resumes from where it stopped (Range)', async () => {
    proxy.plan = { cut: { digest: bigDigest, afterBytes: 5 << 20, times: 1 } };
    const seen = proxy.seen.length;
    const r = await berth(['pull', `${R}/f/big:1`]);
    proxy.plan = {};
    assert.equal(r.code, 0, r.stderr);
    const ranges = proxy.seen.slice(seen).filter((s) => s.path.endsWith(bigDigest) && s.range);
    assert.equal(ranges.length, 1, JSON.stringify(proxy.seen.slice(seen)));
    assert.match(ranges[0]!.range!, /^bytes=\d+-$/);
    assert.ok(Number(/(\d+)/.exec(ranges[0]!.range!)![1]) > 0);
    const c = await berth(['run', '--rm', '--network', 'none', `${R}/f/big:1`, 'sh', '-c', 'wc -c < /data/big.bin']);
    assert.equal(c.stdout.trim(), String(12 << 20), c.stderr);
    assert.equal((await berth(['rmi', `${R}/f/big:1`])).code, 0);
    // Both layers gone again (the run's container was removed).
    assert.equal((await berth(['images', '-q'])).stdout.trim(), '');
  });

  it('a transfer that keeps breaking fails the pull, leaves nothing, and the next pull completes it', async () => {
    const state = storeState(d);
    proxy.plan = { cut: { digest: bigDigest, afterBytes: 1 << 20 } };
    const r = await berth(['pull', `${R}/f/big:1`]);
    proxy.plan = {};
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout + r.stderr, /Retrying in \d+ seconds?/);
    assert.equal(storeState(d), state);
    const ok = await berth(['pull', `${R}/f/big:1`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Pull complete/);
    assert.equal((await berth(['rmi', `${R}/f/big:1`])).code, 0);
  });

  it('a client that goes away mid-pull cancels it and nothing is left', async () => {
    const state = storeState(d);
    proxy.plan = { throttleBytesPerSec: 2 << 20 };
    const gets = blobGets(proxy);
    const child = spawn(BERTH_BIN, ['-H', d.host, 'pull', `${R}/f/big:1`], { stdio: 'ignore' });
    await waitFor(() => blobGets(proxy) >= gets + 3, 15_000, 'the layer downloads to start');
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    await waitFor(() => storeState(d) === state, 15_000, `the daemon to clean up (now: ${storeState(d)})`);
    proxy.plan = {};
    const ok = await berth(['pull', `${R}/f/big:1`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await berth(['image', 'inspect', '--format', '{{.Id}}', `${R}/f/big:1`])).stdout.trim(), img.id);
  });
});

describe('offline machine, Docker Hub mirrors, settings', () => {
  let mirror: TestRegistry;
  let d: TestDaemon;
  let seed: TestDaemon;

  before(async () => {
    mirror = await startRegistry();
    // A daemon to fill the mirror with library/busybox, as a Docker Hub mirror holds it.
    seed = await startDaemon();
    await loadBusybox(seed);
    assert.equal((await cli('berth', seed, ['tag', 'busybox', `${mirror.host}/library/busybox:latest`])).code, 0);
    const p = await cli('berth', seed, ['push', `${mirror.host}/library/busybox:latest`]);
    assert.equal(p.code, 0, p.stderr);
    await seed.cleanup();
    d = await startDaemon(['--registry-mirror', `http://${mirror.host}`, '--insecure-registry', 'registry.example.test:5000', '--insecure-registry', '10.99.0.0/16']);
  });
  after(async () => {
    await d?.cleanup();
    await seed?.cleanup();
    await mirror?.stop();
  });

  it('pull of a Docker Hub image goes to the mirror', async () => {
    const r = await cli('berth', d, ['pull', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Using default tag: latest$/m);
    assert.match(r.stdout, /^latest: Pulling from library\/busybox$/m);
    assert.match(r.stdout, /^Status: Downloaded newer image for busybox:latest$/m);
    assert.ok(r.stdout.trimEnd().endsWith('\ndocker.io/library/busybox:latest'));
    const i = await cli('docker', d, ['image', 'inspect', '--format', '{{json .RepoTags}} {{len .RepoDigests}}', 'busybox']);
    assert.equal(i.stdout.trim(), '["busybox:latest"] 1');
  });

  it('pull of an image the mirror lacks fails fast: the machine is offline', async () => {
    for (const c of ['berth', 'docker'] as CliName[]) {
      const t0 = Date.now();
      const r = await cli(c, d, ['pull', 'ubuntu']);
      const ms = Date.now() - t0;
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /cannot be reached/);
      assert.ok(ms < 10_000, `took ${ms} ms`);
    }
  });

  it('info shows mirrors and insecure registries', async () => {
    const r = await cli('docker', d, ['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / Insecure Registries:\n {2}registry\.example\.test:5000\n {2}127\.0\.0\.0\/8\n {2}10\.99\.0\.0\/16\n/);
    assert.match(r.stdout, new RegExp(` Registry Mirrors:\\n {2}http://${mirror.host.replace(/\./g, '\\.')}/\\n`));
  });

  it('bad registry flags stop berthd at once', async () => {
    const r = spawnSync(process.execPath, [join(BERTH_BIN, '../../dist/berthd.mjs'), '--registry-mirror', 'ftp://x', '--root', '/nonexistent'], { encoding: 'utf8' });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /invalid mirror: unsupported scheme "ftp"/);
  });
});
