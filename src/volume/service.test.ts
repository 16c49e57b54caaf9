/**
 * VolumeService against the real filesystem and kernel: every test gets its
 * own root under /tmp, and every mount made is unmounted in a finally block.
 * Owners and mounts need root; those tests skip without it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { mountAll, unmount } from '../sys/mount.js';
import { silentLogger } from '../util/log.js';
import { realHost } from '../sys/host.js';
import { mountAt, readMounts } from '../sys/mountinfo.js';
import { ANONYMOUS_LABEL, VolumeService, rfc3339 } from './service.js';

let base = '';
let root = '';
let seq = 0;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-vol-'));
});
after(() => {
  cleanupMounts(base);
  rmSync(base, { recursive: true, force: true });
});
afterEach(() => cleanupMounts(base));

function cleanupMounts(under: string): void {
  for (const m of readMounts().map((x) => x.mountPoint).filter((p) => p.startsWith(under + '/')).sort((a, b) => b.length - a.length)) {
    unmount(m, { detach: true });
  }
}

async function fresh(): Promise<VolumeService> {
  root = join(base, `r${seq++}`);
  mkdirSync(root);
  return VolumeService.open(root, silentLogger, realHost());
}

const NOT_ROOT = process.getuid?.() !== 0;
const none = (): string[] => [];
const vdir = (...p: string[]): string => join(root, 'volumes', ...p);

async function rejects(p: Promise<unknown> | (() => unknown), kind: string, message: string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(e instanceof EngineError, `not an EngineError: ${String(e)}`);
      assert.equal(e.message, message);
      assert.equal(e.kind, kind);
      return true;
    },
  );
}

/** Entries of <root>/volumes: what a failed operation must not leave behind. */
function volumeDirs(): string[] {
  return existsSync(vdir()) ? readdirSync(vdir()).sort() : [];
}

describe('create, get, list', () => {
  test('a named volume: layout, record and Docker fields', async () => {
    const s = await fresh();
    const before = Math.floor(Date.now() / 1000);
    const v = await s.create({ name: 'data', labels: { a: '1' }, driverOpts: {} });
    assert.equal(v.name, 'data');
    assert.equal(v.driver, 'local');
    assert.equal(v.scope, 'local');
    assert.equal(v.mountpoint, vdir('data', '_data'));
    assert.deepEqual(v.labels, { a: '1' });
    assert.deepEqual(v.options, {});
    assert.equal(v.anonymous, false);
    assert.match(v.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.ok(Math.floor(Date.parse(v.createdAt) / 1000) >= before);
    const st = await fs.stat(v.mountpoint);
    assert.equal(st.mode & 0o7777, 0o755);
    assert.equal((await fs.stat(vdir('data'))).mode & 0o7777, 0o701);
    const rec = JSON.parse(await fs.readFile(vdir('data', 'volume.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(rec['name'], 'data');
    assert.deepEqual(s.get('data'), v);
    assert.deepEqual(volumeDirs(), ['data']);
  });

  test('no labels or options given: null, as Docker shows them', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'plain' });
    assert.equal(v.labels, null);
    assert.equal(v.options, null);
  });

  test('an anonymous volume: 64-hex name and the com.docker.volume.anonymous label', async () => {
    const s = await fresh();
    const v = await s.create({});
    assert.match(v.name, /^[0-9a-f]{64}$/);
    assert.deepEqual(v.labels, { [ANONYMOUS_LABEL]: '' });
    assert.equal(v.anonymous, true);
    const w = await s.create({ name: 'anon2', anonymous: true, labels: { x: 'y' } });
    assert.deepEqual(w.labels, { x: 'y', [ANONYMOUS_LABEL]: '' });
  });

  test('an existing name returns the existing volume unchanged (Docker)', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'again', labels: { a: '1' } });
    await fs.writeFile(join(v.mountpoint, 'keep'), 'x');
    const w = await s.create({ name: 'again', labels: { b: '2' }, driverOpts: { bogus: '1' } });
    assert.deepEqual(w, v);
    assert.ok(existsSync(join(v.mountpoint, 'keep')));
  });

  test('concurrent creates of one name make one volume', async () => {
    const s = await fresh();
    const [a, b] = await Promise.all([s.create({ name: 'race' }), s.create({ name: 'race' })]);
    assert.deepEqual(a, b);
    assert.deepEqual(volumeDirs(), ['race']);
  });

  test('name validation with Docker texts; nothing left behind', async () => {
    const s = await fresh();
    await rejects(
      s.create({ name: 'x/y' }),
      'InvalidParameter',
      'create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    await rejects(s.create({ name: '.hidden' }), 'InvalidParameter', 'create .hidden: ".hidden" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    await rejects(s.create({ name: 'a' }), 'InvalidParameter', 'create a: volume name is too short, names should be at least two alphanumeric characters');
    await rejects(s.create({ name: '/abs' }), 'InvalidParameter', 'create /abs: "/abs" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    await s.create({ name: 'ok_1.2-3' });
    assert.deepEqual(volumeDirs(), ['ok_1.2-3']);
  });

  test('only the local driver', async () => {
    const s = await fresh();
    await rejects(s.create({ name: 'v1', driver: 'nfs' }), 'NotFound', 'create v1: error looking up volume plugin nfs: plugin "nfs" not found');
    assert.equal((await s.create({ name: 'v2', driver: 'local' })).driver, 'local');
    assert.equal((await s.create({ name: 'v3', driver: '' })).driver, 'local');
  });

  test('option validation with Docker texts; nothing left behind', async () => {
    const s = await fresh();
    const cases: [Record<string, string>, string][] = [
      [{ x: '1' }, 'create vv: invalid option: "x"'],
      [{ type: 'tmpfs' }, 'create vv: missing required option: "device"'],
      [{ device: 'tmpfs' }, 'create vv: missing required option: "type"'],
      [{ o: 'size=1m' }, 'create vv: missing required option: "device"'],
      [{ size: '10m' }, 'create vv: quota size requested but no quota support'],
      [{ size: 'lots' }, "create vv: invalid size: 'lots'"],
      [{ uid: 'root' }, 'create vv: invalid uid: "root": use a number from 0 to 4294967294'],
      [{ gid: '-1' }, 'create vv: invalid gid: "-1": use a number from 0 to 4294967294'],
      [{ mode: '0999' }, 'create vv: invalid mode: "0999": use octal permission bits such as 0755'],
      [
        { type: 'tmpfs', device: 'tmpfs', uid: '1' },
        'create vv: option "uid" sets the owner or mode of a plain volume; a volume with "type" and "device" takes them in "o" (e.g. o=uid=1000,gid=1000,mode=0755)',
      ],
    ];
    for (const [driverOpts, msg] of cases) await rejects(s.create({ name: 'vv', driverOpts }), 'InvalidParameter', msg);
    assert.deepEqual(volumeDirs(), []);
    assert.throws(() => s.get('vv'));
    await s.create({ name: 'vv', driverOpts: { size: '0' } });
  });

  test('uid, gid and mode set the owner of _data', { skip: NOT_ROOT && 'needs root (owners)' }, async () => {
    const s = await fresh();
    const v = await s.create({ name: 'owned', driverOpts: { uid: '1234', gid: '5678', mode: '2770' } });
    const st = await fs.stat(v.mountpoint);
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 5678);
    assert.equal(st.mode & 0o7777, 0o2770);
    const u = await s.create({ name: 'uidonly', driverOpts: { uid: '1000' } });
    const su = await fs.stat(u.mountpoint);
    assert.equal(su.uid, 1000);
    assert.equal(su.gid, 0);
    assert.equal(su.mode & 0o7777, 0o755);
  });

  test('get of a missing volume', async () => {
    const s = await fresh();
    await rejects(async () => s.get('nope'), 'NotFound', 'get nope: no such volume');
  });

  test('list: sorted, and Docker filters', async () => {
    const s = await fresh();
    await s.create({ name: 'web-data', labels: { app: 'web', tier: 'front' } });
    await s.create({ name: 'db-data', labels: { app: 'db' } });
    await s.create({ name: 'cache', labels: {} });
    const used = new Map([['db-data', ['c1']]]);
    const usersOf = (n: string) => used.get(n) ?? [];
    const names = (f: Record<string, string[]>) => s.list({ filters: new Map(Object.entries(f)), usersOf }).map((v) => v.name);
    assert.deepEqual(s.list().map((v) => v.name), ['cache', 'db-data', 'web-data']);
    assert.deepEqual(names({ name: ['data'] }), ['db-data', 'web-data']);
    assert.deepEqual(names({ name: ['^web'] }), ['web-data']);
    assert.deepEqual(names({ name: ['cache', 'db-data'] }), ['cache', 'db-data']);
    assert.deepEqual(names({ label: ['app'] }), ['db-data', 'web-data']);
    assert.deepEqual(names({ label: ['app=web'] }), ['web-data']);
    assert.deepEqual(names({ label: ['app', 'tier=front'] }), ['web-data']);
    assert.deepEqual(names({ dangling: ['true'] }), ['cache', 'web-data']);
    assert.deepEqual(names({ dangling: ['0'] }), ['db-data']);
    assert.deepEqual(names({ driver: ['local'] }), ['cache', 'db-data', 'web-data']);
    assert.deepEqual(names({ driver: ['other'] }), []);
    await rejects(async () => names({ bogus: ['1'] }), 'InvalidParameter', "invalid filter 'bogus'");
    await rejects(async () => names({ dangling: ['maybe'] }), 'InvalidParameter', "invalid filter 'dangling=[maybe]'");
    await rejects(async () => names({ dangling: ['true', 'false'] }), 'InvalidParameter', "invalid filter 'dangling=[true false]'");
    // Containers holding a volume through acquire count as users.
    await s.acquire('cache', 'c9');
    assert.deepEqual(names({ dangling: ['true'] }), ['web-data']);
  });
});

describe('remove and prune', () => {
  test('remove deletes the volume and its data; missing volumes', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'gone' });
    await fs.writeFile(join(v.mountpoint, 'f'), 'data');
    await s.remove('gone', { force: false }, none);
    assert.deepEqual(volumeDirs(), []);
    await rejects(async () => s.get('gone'), 'NotFound', 'get gone: no such volume');
    await rejects(s.remove('gone', { force: false }, none), 'NotFound', 'get gone: no such volume');
    await s.remove('gone', { force: true }, none);
  });

  test('a volume in use is refused, with or without force', async () => {
    const s = await fresh();
    await s.create({ name: 'busy' });
    const usersOf = (n: string) => (n === 'busy' ? ['aaa', 'bbb'] : []);
    await rejects(s.remove('busy', { force: false }, usersOf), 'Conflict', 'remove busy: volume is in use - [aaa, bbb]');
    await rejects(s.remove('busy', { force: true }, usersOf), 'Conflict', 'remove busy: volume is in use - [aaa, bbb]');
    await s.acquire('busy', 'ccc');
    await rejects(s.remove('busy', { force: true }, none), 'Conflict', 'remove busy: volume is in use - [ccc]');
    await rejects(s.remove('busy', { force: true }, usersOf), 'Conflict', 'remove busy: volume is in use - [aaa, bbb, ccc]');
    await s.release('busy', 'ccc');
    await s.remove('busy', { force: false }, none);
    assert.deepEqual(volumeDirs(), []);
  });

  test('prune: unused anonymous volumes only, unless all; label filters; sizes', async () => {
    const s = await fresh();
    const a1 = await s.create({ labels: { keep: 'no' } });
    const a2 = await s.create({});
    const a3 = await s.create({});
    await s.create({ name: 'named1' });
    await s.create({ name: 'named2', labels: { keep: 'yes' } });
    await s.create({ name: 'tmpv', driverOpts: { type: 'tmpfs', device: 'tmpfs' }, anonymous: true });
    await fs.writeFile(join(a1.mountpoint, 'f'), Buffer.alloc(1000));
    await fs.writeFile(join(a2.mountpoint, 'g'), Buffer.alloc(234));
    const usersOf = (n: string) => (n === a3.name ? ['c1'] : []);

    let r = await s.prune({ filters: new Map([['label', ['keep=no']]]), usersOf });
    assert.deepEqual(r, { deleted: [a1.name], reclaimed: 1000 });
    r = await s.prune({ usersOf });
    assert.deepEqual(r, { deleted: [a2.name], reclaimed: 234 });
    r = await s.prune({ filters: new Map([['label!', ['keep']]]), all: true, usersOf });
    assert.deepEqual(r.deleted, ['named1']);
    r = await s.prune({ filters: new Map([['all', ['true']]]), usersOf });
    assert.deepEqual(r.deleted, ['named2']);
    // Left: the one in use, and the tmpfs volume (volumes with type/device are never pruned).
    assert.deepEqual(s.list().map((v) => v.name).sort(), [a3.name, 'tmpv'].sort());
    r = await s.prune({ all: true, usersOf: none });
    assert.deepEqual(r.deleted, [a3.name]);
    assert.deepEqual(volumeDirs(), ['tmpv']);
  });

  test('prune filter errors (Docker texts)', async () => {
    const s = await fresh();
    const f = (o: Record<string, string[]>) => s.prune({ filters: new Map(Object.entries(o)), usersOf: none });
    await rejects(f({ dangling: ['true'] }), 'InvalidParameter', "invalid filter 'dangling'");
    await rejects(f({ all: ['yes'] }), 'InvalidParameter', 'invalid filter \'all\': strconv.ParseBool: parsing "yes": invalid syntax');
    await rejects(f({ all: ['1', 'true'] }), 'InvalidParameter', "invalid filter 'all=[1 true]': only one value is expected");
  });

  test('one prune at a time', async () => {
    const s = await fresh();
    for (let i = 0; i < 5; i++) await s.create({});
    const p1 = s.prune({ usersOf: none });
    await rejects(s.prune({ usersOf: none }), 'Conflict', 'a prune operation is already running');
    assert.equal((await p1).deleted.length, 5);
  });
});

describe('mounted volumes (type/device), real kernel', { skip: NOT_ROOT && 'needs root (mounts)' }, () => {
  const TMPFS = { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=0710,uid=1001' };

  test('mounted on the first acquire, unmounted on the last release', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'scratch', driverOpts: TMPFS });
    try {
      assert.equal(mountAt(v.mountpoint), undefined);
      const p = await s.acquire('scratch', 'c1');
      assert.equal(p, v.mountpoint);
      const m = mountAt(p);
      assert.equal(m?.fsType, 'tmpfs');
      assert.match(m!.superOptions, /size=1024k/);
      assert.match(m!.superOptions, /uid=1001/);
      const st = await fs.stat(p);
      assert.equal(st.uid, 1001);
      assert.equal(st.mode & 0o7777, 0o710);
      await fs.writeFile(join(p, 'shared'), 'x');
      assert.equal(await s.acquire('scratch', 'c2'), p);
      assert.equal(await s.acquire('scratch', 'c2'), p); // idempotent per container
      assert.equal(readMounts().filter((x) => x.mountPoint === p).length, 1);
      await s.release('scratch', 'c1');
      assert.ok(mountAt(p), 'still mounted while c2 holds it');
      assert.ok(existsSync(join(p, 'shared')));
      await s.release('scratch', 'c2');
      assert.equal(mountAt(p), undefined);
      assert.ok(!existsSync(join(p, 'shared')), 'tmpfs content went with the mount');
      await s.release('scratch', 'c2'); // not held: no error
      await s.release('nope', 'c2'); // no volume: no error
    } finally {
      unmount(v.mountpoint, { detach: true });
    }
  });

  test('a failing mount reports the error and takes no hold', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'bad', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=lots' } });
    try {
      await assert.rejects(s.acquire('bad', 'c1'), (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.kind, 'Internal');
        assert.ok(e.message.startsWith(`error while mounting volume '${v.mountpoint}': failed to mount local volume: `), e.message);
        return true;
      });
      assert.equal(mountAt(v.mountpoint), undefined);
      await s.remove('bad', { force: false }, none);
    } finally {
      unmount(v.mountpoint, { detach: true });
    }
  });

  test('a device bind volume (type=none, o=bind) shows the host directory', async () => {
    const s = await fresh();
    const host = join(root, 'hostdir');
    mkdirSync(host);
    writeFileSync(join(host, 'hello'), 'hi');
    const v = await s.create({ name: 'bound', driverOpts: { type: 'none', device: host, o: 'bind' } });
    try {
      const p = await s.acquire('bound', 'c1');
      assert.equal(await fs.readFile(join(p, 'hello'), 'utf8'), 'hi');
      await s.release('bound', 'c1');
      assert.equal(mountAt(p), undefined);
      await s.remove('bound', { force: false }, none);
      assert.equal(await fs.readFile(join(host, 'hello'), 'utf8'), 'hi', 'removing the volume never touches the device');
    } finally {
      unmount(v.mountpoint, { detach: true });
    }
  });

  test('remove unmounts a mounted volume that nobody holds, never deleting through the mount', async () => {
    const s = await fresh();
    const host = join(root, 'precious');
    mkdirSync(host);
    writeFileSync(join(host, 'keep'), 'x');
    const v = await s.create({ name: 'b2', driverOpts: { type: 'none', device: host, o: 'bind' } });
    try {
      await s.acquire('b2', 'c1');
      // Simulate the daemon restarting with the mount still in place.
      const s2 = await VolumeService.open(root, silentLogger, realHost());
      assert.ok(mountAt(v.mountpoint));
      await s2.remove('b2', { force: false }, none);
      assert.equal(mountAt(v.mountpoint), undefined);
      assert.ok(existsSync(join(host, 'keep')));
    } finally {
      unmount(v.mountpoint, { detach: true });
    }
  });
});

describe('restart', () => {
  test('a new service on the same root keeps everything and cleans crash leftovers', { skip: NOT_ROOT && 'needs root (owners, mounts)' }, async () => {
    const s = await fresh();
    const a = await s.create({ name: 'kept', labels: { l: 'v' }, driverOpts: { uid: '7' } });
    await fs.writeFile(join(a.mountpoint, 'file'), 'content');
    const anon = await s.create({});
    const t = await s.create({ name: 'tmpvol', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const t2 = await s.create({ name: 'tmpvol2', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    try {
      await s.acquire('tmpvol', 'running');
      await s.acquire('tmpvol2', 'stopped-while-down');
      await fs.writeFile(join(t.mountpoint, 'live'), 'x');
      // Crash leftovers: a half-created volume, a half-removed one (with a mount inside), a half copy-up.
      mkdirSync(vdir('.tmp-deadbeef', '_data'), { recursive: true });
      mkdirSync(vdir('.rm-old-0000', '_data'), { recursive: true });
      writeFileSync(vdir('.rm-old-0000', '_data', 'x'), 'x');
      mountAll([{ type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }], vdir('.rm-old-0000', '_data'));
      mkdirSync(vdir('kept', '.copyup-1234', 'partial'), { recursive: true });
      // Volume directories without a record (adopted; Docker's opts.json is read) and a stray file.
      mkdirSync(vdir('legacy', '_data'), { recursive: true });
      writeFileSync(vdir('legacy', '_data', 'old'), 'x');
      mkdirSync(vdir('dockertmp', '_data'), { recursive: true });
      writeFileSync(vdir('dockertmp', 'opts.json'), JSON.stringify({ MountType: 'tmpfs', MountOpts: 'size=1m', MountDevice: 'tmpfs', Quota: { Size: 0 } }));
      writeFileSync(vdir('stray-file'), 'x');

      const s2 = await VolumeService.open(root, silentLogger, realHost());
      assert.deepEqual(s2.get('kept'), a);
      assert.deepEqual(s2.get(anon.name), anon);
      assert.deepEqual(s2.get('tmpvol'), t);
      assert.equal(await fs.readFile(join(a.mountpoint, 'file'), 'utf8'), 'content');
      assert.equal(s2.get('legacy').labels, null);
      assert.ok(existsSync(vdir('legacy', 'volume.json')));
      assert.deepEqual(s2.get('dockertmp').options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
      assert.deepEqual(volumeDirs(), [anon.name, 'dockertmp', 'kept', 'legacy', 'stray-file', 'tmpvol', 'tmpvol2'].sort());
      assert.ok(!existsSync(vdir('kept', '.copyup-1234')));
      assert.equal(mountAt(vdir('.rm-old-0000', '_data')), undefined);

      // Restore re-acquires for the running container: the same tmpfs, not a second mount.
      assert.equal(await s2.acquire('tmpvol', 'running'), t.mountpoint);
      assert.equal(readMounts().filter((m) => m.mountPoint === t.mountpoint).length, 1);
      assert.ok(existsSync(join(t.mountpoint, 'live')));
      await s2.settle();
      assert.ok(mountAt(t.mountpoint), 'held mount kept');
      assert.equal(mountAt(t2.mountpoint), undefined, 'unheld mount released by settle');
      await s2.release('tmpvol', 'running');
      assert.equal(mountAt(t.mountpoint), undefined);
    } finally {
      unmount(t.mountpoint, { detach: true });
      unmount(t2.mountpoint, { detach: true });
    }
  });

  test('an unreadable record leaves the volume on disk, unlisted, and its name taken', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'broken' });
    await fs.writeFile(join(v.mountpoint, 'precious'), 'x');
    await fs.writeFile(vdir('broken', 'volume.json'), '{not json');
    const s2 = await VolumeService.open(root, silentLogger, realHost());
    assert.deepEqual(s2.list(), []);
    await assert.rejects(s2.create({ name: 'broken' }), (e: unknown) => e instanceof EngineError && e.kind === 'Conflict');
    assert.ok(existsSync(join(v.mountpoint, 'precious')));
  });
});

test('events: create (new volumes only), destroy, prune', async () => {
  root = join(base, `r${seq++}`);
  mkdirSync(root);
  const seen: string[] = [];
  const s = await VolumeService.open(root, silentLogger, realHost(), { onEvent: (a, n, attrs) => seen.push(`${a} ${n} ${JSON.stringify(attrs)}`) });
  await s.create({ name: 'ev' });
  await s.create({ name: 'ev' });
  const anon = await s.create({});
  await fs.writeFile(join(anon.mountpoint, 'f'), 'abc');
  await s.remove('ev', { force: false }, none);
  await s.prune({ usersOf: none });
  assert.deepEqual(seen, [
    'create ev {"driver":"local"}',
    `create ${anon.name} {"driver":"local"}`,
    'destroy ev {"driver":"local"}',
    `destroy ${anon.name} {"driver":"local"}`,
    'prune  {"reclaimed":"3"}',
  ]);
});

describe('usage', () => {
  test('file bytes, hard links once, directories not counted', async () => {
    const s = await fresh();
    const v = await s.create({ name: 'sized' });
    await fs.mkdir(join(v.mountpoint, 'd'));
    await fs.writeFile(join(v.mountpoint, 'd', 'a'), Buffer.alloc(100));
    await fs.link(join(v.mountpoint, 'd', 'a'), join(v.mountpoint, 'b'));
    await fs.writeFile(join(v.mountpoint, 'c'), Buffer.alloc(23));
    await fs.symlink('d/a', join(v.mountpoint, 'l'));
    assert.equal(await s.usage('sized'), 100 + 23 + 3);
    await rejects(s.usage('nope'), 'NotFound', 'get nope: no such volume');
  });
});

test('rfc3339 follows the local zone as Go does', () => {
  const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  const s = rfc3339(d);
  assert.match(s, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  assert.equal(Date.parse(s), Date.UTC(2024, 0, 2, 3, 4, 5));
});
