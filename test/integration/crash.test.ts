/**
 * kill -9 of berthd at many points of the operations that leave state behind
 * them (export, cp both ways, commit, copy-up, pull, load, import, volume and
 * network create, run --rm), each time followed by a restart. After every
 * restart:
 *  - berthd starts and answers;
 *  - nothing made before is lost: a running container (still running, its
 *    files intact), an exited one (its files intact), images, a volume with
 *    data, a user network;
 *  - nothing is half-made: every container, image, volume and network listed
 *    can be inspected, and what the interrupted operation made can be removed;
 *  - the host holds no leftover: no mount under the daemon's dirs but the
 *    rootfs of running containers, no scratch file, no unfinished ingest, no
 *    snapshot that belongs to nothing, no monitor or runc container that
 *    belongs to no running container.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliSession } from '../harness/clients.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { loadBusybox } from '../harness/fixtures.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { sleep } from '../harness/wait.js';
import { busyboxLayer, dockerArchive, imageOf, randomLayer, smallFilesLayer } from '../fixtures/images.js';

interface Reply {
  status: number;
  body: Buffer;
}

function request(d: TestDaemon, method: string, path: string, body?: Buffer, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, agent: false, headers: body ? { 'Content-Type': contentType, 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = async <T>(d: TestDaemon, path: string): Promise<T> => {
  const r = await request(d, 'GET', path);
  assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.body.toString()}`);
  return JSON.parse(r.body.toString()) as T;
};

/** Mount points under the daemon's dirs. */
function mountsUnder(base: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(`${base}/`));
}

/** The container IDs (conmon's --cid) of the monitors running for the daemon's dirs. */
function monitoredIds(base: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      // Exec sessions have monitors of their own (`--exec`), which end shortly after their process.
      if (!cmd[0]?.endsWith('conmon') || !cmd.some((a) => a.includes(base)) || cmd.includes('--exec')) continue;
      const i = cmd.findIndex((a) => a === '-c' || a === '--cid');
      out.push(i >= 0 ? cmd[i + 1]! : `pid ${name}: ${cmd.join(' ')}`);
    } catch {
      /* gone */
    }
  }
  return out.sort();
}

interface Container {
  Id: string;
  Names: string[];
  State: string;
}

describe('kill -9 of berthd at any moment loses nothing and leaves nothing', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  const { ok, run } = cliSession('docker', () => d);
  let bigArchive: Buffer;
  let importTar: Buffer;
  let keepRunning = '';
  let keepExited = '';
  const R = () => reg.host;

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    reg = await startRegistry();
    // A 3-layer image: busybox, 8 MB of random data, 2,000 small files.
    const image = imageOf([await busyboxLayer(), await randomLayer('data/blob', 8 * 1024 * 1024), await smallFilesLayer('many', 2000)]);
    bigArchive = await dockerArchive([{ image, tags: ['crash/big:1'] }]);
    importTar = await smallFilesLayer('imported', 3000);
    const load = await request(d, 'POST', '/images/load?quiet=1', bigArchive, 'application/x-tar');
    assert.equal(load.status, 200);
    await ok(['tag', 'crash/big:1', `${R()}/crash/big:1`]);
    await ok(['push', `${R()}/crash/big:1`], { timeoutMs: 120_000 });
    await ok(['rmi', `${R()}/crash/big:1`]);
    // What must survive every crash.
    keepRunning = await ok(['run', '-d', '--name', 'keep-running', '--network', 'none', 'busybox', 'sh', '-c', 'echo alive > /marker; sleep 100000']);
    keepExited = await ok(['run', '--name', 'keep-exited', '--network', 'none', 'busybox', 'sh', '-c', 'echo exited-data > /marker; mkdir -p /tree; for i in $(seq 1 200); do echo $i > /tree/f$i; done']);
    keepExited = await ok(['inspect', '-f', '{{.Id}}', 'keep-exited']);
    await ok(['volume', 'create', 'keep-vol']);
    await ok(['run', '--rm', '--network', 'none', '-v', 'keep-vol:/v', 'busybox', 'sh', '-c', 'echo vol-data > /v/marker']);
    await ok(['network', 'create', 'keep-net']);
    await ok(['tag', 'busybox', 'keep/image:1']);
  });
  after(async () => {
    await d?.cleanup();
    await reg?.stop();
  });

  /** Everything an interrupted operation may have made, removed so that the next round starts from the same state. */
  async function sweep(): Promise<void> {
    for (const c of await json<Container[]>(d, '/containers/json?all=1')) {
      if (c.Id === keepRunning || c.Id === keepExited) continue;
      const r = await request(d, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
      assert.equal(r.status, 204, `a container left by the crash cannot be removed: ${c.Names[0]} (${c.State}): ${r.body.toString()}`);
    }
    const keepImages = new Set(['busybox:latest', 'keep/image:1', 'crash/big:1']);
    for (const img of await json<{ Id: string; RepoTags: string[] | null }[]>(d, '/images/json')) {
      const tags = img.RepoTags ?? [];
      if (tags.some((t) => keepImages.has(t))) continue;
      const r = await request(d, 'DELETE', `/images/${img.Id}?force=1`);
      assert.equal(r.status, 200, `an image left by the crash cannot be removed: ${tags.join(',')}: ${r.body.toString()}`);
    }
    for (const v of (await json<{ Volumes: { Name: string }[] | null }>(d, '/volumes')).Volumes ?? []) {
      if (v.Name === 'keep-vol') continue;
      const r = await request(d, 'DELETE', `/volumes/${v.Name}?force=1`);
      assert.equal(r.status, 204, `a volume left by the crash cannot be removed: ${v.Name}: ${r.body.toString()}`);
    }
    for (const n of await json<{ Name: string; Id: string }[]>(d, '/networks')) {
      if (['bridge', 'host', 'none', 'keep-net'].includes(n.Name)) continue;
      const r = await request(d, 'DELETE', `/networks/${n.Id}`);
      assert.equal(r.status, 204, `a network left by the crash cannot be removed: ${n.Name}: ${r.body.toString()}`);
    }
  }

  /** What must hold right after a restart. */
  async function verify(when: string): Promise<void> {
    const containers = await json<Container[]>(d, '/containers/json?all=1');
    const running = containers.filter((c) => c.State === 'running' || c.State === 'paused');
    const byId = new Map(containers.map((c) => [c.Id, c]));
    assert.equal(byId.get(keepRunning)?.State, 'running', `${when}: the running container is not running`);
    assert.equal(byId.get(keepExited)?.State, 'exited', `${when}: the exited container is gone or changed`);
    const exec = await run(['exec', keepRunning, 'cat', '/marker']);
    assert.equal(exec.stdout, 'alive\n', `${when}: exec into the running container failed (${exec.code}): ${exec.stdout}${exec.stderr}`);
    for (const c of containers) await json(d, `/containers/${c.Id}/json`);
    for (const img of await json<{ Id: string }[]>(d, '/images/json?all=1')) await json(d, `/images/${img.Id}/json`);
    for (const t of ['busybox:latest', 'keep/image:1', 'crash/big:1']) await json(d, `/images/${t}/json`);
    const vol = await json<{ Mountpoint: string }>(d, '/volumes/keep-vol');
    assert.equal(readFileSync(join(vol.Mountpoint, 'marker'), 'utf8'), 'vol-data\n', `${when}: the volume's data changed`);
    await json(d, '/networks/keep-net');

    // Leftovers on the host.
    const allowed = new Set(running.map((c) => join(d.execRoot, 'containers', c.Id, 'rootfs')));
    const stray = mountsUnder(d.base).filter((m) => !allowed.has(m));
    assert.deepEqual(stray, [], `${when}: mounts left behind`);
    assert.deepEqual(readdirSync(join(d.root, 'tmp')), [], `${when}: scratch files left behind`);
    const ingest = join(d.root, 'content', 'ingest');
    if (existsSync(ingest)) assert.deepEqual(readdirSync(ingest), [], `${when}: unfinished ingest left behind`);
    const meta = JSON.parse(readFileSync(join(d.root, 'overlay', 'metadata.json'), 'utf8')) as { snapshots: Record<string, { id: number; kind: string }> };
    const known = new Set(Object.values(meta.snapshots).map((s) => String(s.id)));
    assert.deepEqual(readdirSync(join(d.root, 'overlay', 'snapshots')).filter((n) => !known.has(n)), [], `${when}: snapshot dirs that metadata does not know`);
    const ids = new Set(containers.map((c) => c.Id));
    const orphans = Object.entries(meta.snapshots).filter(([key, s]) => s.kind !== 'committed' && !ids.has(key));
    assert.deepEqual(orphans.map(([k]) => k), [], `${when}: container snapshots of no container`);
    assert.deepEqual(monitoredIds(d.base), running.map((c) => c.Id).sort(), `${when}: monitors and running containers differ`);
    const runc = spawnSync('runc', ['--root', join(d.execRoot, 'runc'), 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    assert.deepEqual(runc.filter((id) => !running.some((c) => c.Id === id)), [], `${when}: runc containers that belong to no running container`);
  }

  /**
   * The operations to interrupt: `setup` (awaited, not interrupted) makes what
   * the operation needs; `act` starts the operation and returns a promise that
   * may fail when berthd dies.
   */
  interface Op {
    setup?: (i: number) => Promise<string>;
    act: (i: number, made: string) => Promise<unknown>;
  }
  const createdContainer = (i: number, name: string) => ok(['create', '--name', `${name}${i}`, '--network', 'none', 'busybox', 'true']);
  const runningContainer = (i: number, name: string) => ok(['run', '-d', '--name', `${name}${i}`, '--network', 'none', '-v', '/data', 'busybox', 'sleep', '1000']);
  const ops: Record<string, Op> = {
    'export of a stopped container (temporary mount)': { act: () => request(d, 'GET', `/containers/${keepExited}/export`) },
    'cp out of a stopped container': { act: () => request(d, 'GET', `/containers/${keepExited}/archive?path=/tree`) },
    'cp into a stopped container': { setup: (i) => createdContainer(i, 'cpin'), act: (_i, c) => request(d, 'PUT', `/containers/${c}/archive?path=/`, importTar, 'application/x-tar') },
    'commit of a running container (paused meanwhile)': { act: (i) => request(d, 'POST', `/commit?container=${keepRunning}&repo=crash/commit&tag=${i}`) },
    'copy-up into a new volume': { act: (i) => run(['create', '--name', `copyup${i}`, '--network', 'none', '-v', `cu${i}:/many`, 'crash/big:1', 'true']) },
    'pull of a 3-layer image': { act: () => run(['pull', `${R()}/crash/big:1`], { timeoutMs: 60_000 }) },
    load: { act: () => request(d, 'POST', '/images/load?quiet=1', bigArchive, 'application/x-tar') },
    import: { act: (i) => request(d, 'POST', `/images/create?fromSrc=-&repo=crash/imported&tag=${i}`, importTar, 'application/x-tar') },
    'volume create': { act: (i) => run(['volume', 'create', `v${i}`]) },
    'network create': { act: (i) => run(['network', 'create', `n${i}`]) },
    'run --rm (create, start, exit, remove)': { act: (i) => run(['run', '--rm', '--name', `rr${i}`, '--network', 'none', 'busybox', 'true']) },
    'run -d on the default bridge': { act: (i) => run(['run', '-d', '--name', `rd${i}`, 'busybox', 'sleep', '1000']) },
    'start of a created container': { setup: (i) => createdContainer(i, 'st'), act: (_i, c) => request(d, 'POST', `/containers/${c}/start`) },
    'stop of a running container': { setup: (i) => runningContainer(i, 'sp'), act: (_i, c) => request(d, 'POST', `/containers/${c}/stop?t=0`) },
    'rm -f -v of a running container with a volume': { setup: (i) => runningContainer(i, 'rm'), act: (_i, c) => request(d, 'DELETE', `/containers/${c}?force=1&v=1`) },
  };
  /** How long after the operation starts berthd is killed (ms). */
  const delays = [0, 8, 30, 90, 250];

  it('survives a kill -9 at many points of each operation', async (t) => {
    await verify('before any crash');
    let round = 0;
    for (const [name, op] of Object.entries(ops)) {
      for (const delay of delays) {
        const i = round++;
        const made = op.setup ? await op.setup(i) : '';
        const pending = op.act(i, made).catch(() => undefined);
        await sleep(delay);
        await d.kill();
        await pending;
        await d.start();
        await verify(`after a kill -9 ${delay} ms into ${name}`);
        await sweep();
      }
    }
    t.diagnostic(`${round} crashes and restarts`);
    // Files of the containers that lived through it all.
    assert.equal((await ok(['exec', keepRunning, 'cat', '/marker'])).trim(), 'alive');
    assert.equal(await ok(['inspect', '-f', '{{.RestartCount}}', keepRunning]), '0');
    const cp = await request(d, 'GET', `/containers/${keepExited}/archive?path=/tree`);
    assert.equal(cp.status, 200);
    for (const n of [1, 100, 200]) assert.ok(cp.body.includes(`tree/f${n}`), `the exited container lost /tree/f${n}`);
    assert.equal((await ok(['run', '--rm', '--network', 'none', '-v', 'keep-vol:/v', 'busybox', 'cat', '/v/marker'])).trim(), 'vol-data');
    assert.equal((await ok(['run', '--rm', '--network', 'none', 'crash/big:1', 'sh', '-c', 'ls /many/d7 | wc -l'])).trim(), '40');
  });
});

