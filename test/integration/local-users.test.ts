/**
 * Local users against the engine's state (the CVE-2021-41091 class): an
 * unprivileged host user (nobody, through runuser) tries to list the state
 * dirs, read a container's files (its rootfs mount, its own layer, the image
 * layers, container.json, the log, a volume's _data) and to run a set-uid
 * root binary that an image layer and a container's layer carry, through
 * their host paths under --root and under the --exec-root rootfs mount.
 * Everything must fail with EACCES — also after a restart of the daemon on
 * state dirs that an older berth left world-traversable.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker, runCmd } from '../harness/clients.js';
import { busyboxLayer, dockerArchive, imageOf, tarOf } from '../fixtures/images.js';

// runuser, not `setpriv --reuid`: setpriv keeps its capabilities (KEEPCAPS) up to the execve,
// whose own path lookup then runs with CAP_DAC_READ_SEARCH and passes any 0700 directory.
const NOBODY = ['runuser', '-u', 'nobody', '--'];
/** coreutils id prints `euid=0(root)` when it runs set-uid root. */
const SUID_SOURCE = '/usr/bin/id';
const IMAGE = 'localusers/suid:1';

function asNobody(argv: string[]) {
  return runCmd([...NOBODY, ...argv], { timeoutMs: 10_000 });
}

function findUnder(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(dir, 'overlay/snapshots'))) {
    const p = join(dir, 'overlay/snapshots', n, 'fs', name);
    try {
      statSync(p);
      out.push(p);
    } catch {
      /* not in this layer */
    }
  }
  return out;
}

describe('local users cannot reach container state', () => {
  let d: TestDaemon;
  let id = '';
  before(async () => {
    d = await startDaemon();
    // An image whose top layer ships a set-uid root binary.
    const suidLayer = await tarOf([{ name: 'suid-id', body: readFileSync(SUID_SOURCE), mode: 0o4755 }]);
    const img = imageOf([await busyboxLayer(), suidLayer], { cmd: ['sleep', '1000'] });
    const archive = join(d.base, 'suid.tar');
    writeFileSync(archive, await dockerArchive([{ image: img, tags: [IMAGE] }]));
    const load = await docker(d, ['load', '-i', archive]);
    assert.equal(load.code, 0, load.stderr);
    // A running container that writes a volume file, a file of its own layer, a set-uid copy
    // in its own layer, and a log line.
    const run = await docker(d, [
      'run', '-d', '--name', 'victim', '-v', 'secretvol:/data', IMAGE, 'sh', '-c',
      'echo vol-secret > /data/secret; echo upper-secret > /upper-secret; cp /suid-id /upper-suid; chmod 4755 /upper-suid; echo log-secret; exec sleep 1000',
    ]);
    assert.equal(run.code, 0, run.stderr);
    id = run.stdout.trim();
    for (let i = 0; i < 100 && findUnder(d.root, 'upper-suid').length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(async () => {
    await d?.cleanup();
  });

  function targets() {
    const layerSuid = findUnder(d.root, 'suid-id');
    const upperSuid = findUnder(d.root, 'upper-suid');
    assert.equal(layerSuid.length, 1, 'the image layer with suid-id is on disk');
    assert.equal(upperSuid.length, 1, "the container's layer holds upper-suid");
    const rootfs = join(d.execRoot, 'containers', id, 'rootfs');
    const executables = [layerSuid[0]!, upperSuid[0]!, join(rootfs, 'suid-id'), join(rootfs, 'upper-suid')];
    const files = [
      join(d.root, 'containers', id, 'container.json'),
      join(d.root, 'containers', id, 'container.log'),
      join(d.root, 'volumes', 'secretvol', '_data', 'secret'),
      join(upperSuid[0]!, '..', 'upper-secret'),
      join(rootfs, 'upper-secret'),
      join(rootfs, 'etc', 'passwd'),
    ];
    const dirs = [d.root, d.execRoot, join(d.root, 'overlay', 'snapshots'), join(d.root, 'containers'), join(d.root, 'volumes'), join(d.execRoot, 'containers'), rootfs];
    // As root, everything is there (so a refusal below is about permissions, not a wrong path).
    for (const f of [...executables, ...files]) statSync(f);
    return { executables, files, dirs };
  }

  async function attack(): Promise<void> {
    const { executables, files, dirs } = targets();
    for (const x of executables) {
      const r = await asNobody([x]);
      assert.doesNotMatch(r.stdout, /euid=0/, `nobody ran ${x} with euid 0: ${r.stdout}`);
      assert.notEqual(r.code, 0, `nobody could execute ${x}: ${r.stdout}`);
      assert.match(r.stderr, /Permission denied/, `executing ${x} as nobody: ${r.stderr}`);
    }
    for (const f of files) {
      const r = await asNobody(['cat', f]);
      assert.notEqual(r.code, 0, `nobody could read ${f}: ${r.stdout}`);
      assert.match(r.stderr, /Permission denied/, `reading ${f} as nobody: ${r.stderr}`);
    }
    for (const dir of dirs) {
      const r = await asNobody(['ls', dir]);
      assert.notEqual(r.code, 0, `nobody could list ${dir}: ${r.stdout}`);
      assert.match(r.stderr, /Permission denied/, `listing ${dir} as nobody: ${r.stderr}`);
    }
  }

  it('the attack works where permissions allow it (control: a set-uid copy in an open dir)', async () => {
    const open = join(d.base, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    copyFileSync(SUID_SOURCE, join(open, 'suid-id'));
    chmodSync(join(open, 'suid-id'), 0o4755);
    const r = await asNobody([join(open, 'suid-id')]);
    assert.match(r.stdout, /uid=65534.*euid=0/, `the control should run set-uid root: ${r.stdout} ${r.stderr}`);
  });

  it('nobody can neither list, read nor execute anything under --root and --exec-root', async () => {
    await attack();
    assert.equal(statSync(d.root).mode & 0o777, 0o700);
    assert.equal(statSync(d.execRoot).mode & 0o777, 0o700);
  });

  it('the API socket stays 0660 root:root and refuses nobody', async () => {
    const st = statSync(d.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 0);
    const r = await asNobody(['docker', '-H', d.host, 'version', '--format', '{{.Server.Version}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /permission denied/i);
  });

  it('a restart tightens state dirs that an older berth left open (0755), with the container still running', async () => {
    await d.stop();
    const loosen = [d.root, d.execRoot, ...['containers', 'overlay', 'volumes', 'content', 'image'].map((s) => join(d.root, s)), join(d.execRoot, 'containers')];
    loosen.push(join(d.root, 'overlay', 'snapshots'), ...readdirSync(join(d.root, 'overlay', 'snapshots')).map((n) => join(d.root, 'overlay', 'snapshots', n)));
    for (const p of loosen) chmodSync(p, 0o755);
    // The loosened tree is open: nobody reaches the set-uid binary in the image layer.
    const open = await asNobody([findUnder(d.root, 'suid-id')[0]!]);
    assert.match(open.stdout, /euid=0/, `with 0755 dirs the attack works: ${open.stdout} ${open.stderr}`);
    await d.start();
    const ps = await docker(d, ['inspect', '-f', '{{.State.Running}}', 'victim']);
    assert.equal(ps.stdout.trim(), 'true', 'the container survived the daemon restart');
    await attack();
  });
});
