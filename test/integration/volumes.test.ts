/**
 * Volumes end to end on the real kernel, through berth's CLI and the real
 * docker CLI (same scenarios), and through dockerode: the seed's scenario
 * (data in a host directory, a named volume or a volume container outlives
 * every container that used it), copy-up of image content into new volumes,
 * read-only mounts, anonymous volumes and `rm -v`, `volume rm` of a volume
 * in use, prune, tmpfs and owner options, tmpfs mounts, container inspect's
 * Mounts in Docker's shape, a daemon killed with SIGKILL that loses no
 * volume and no reference, and bad input that leaves nothing behind.
 *
 * Host paths bound into containers live under the test daemon's base dir.
 * Containers run with `--network none`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cliSession, sdk, type CliName } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { until } from '../harness/wait.js';



/** The host's mount at exactly path: { fstype, superOptions }, or undefined. */
function mountAt(path: string): { fstype: string; options: string; superOptions: string } | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[4] !== path) continue;
    const sep = f.indexOf('-');
    return { options: f[5]!, fstype: f[sep + 1]!, superOptions: f[sep + 3]! };
  }
  return undefined;
}

const NONE = ['--network', 'none'];
const ID64 = /^[0-9a-f]{64}$/;
const ANON = 'com.docker.volume.anonymous';
/** The image built in before(): /data (owned 1234:5678, a 0750 subdir, a 0640 file, a symlink) declared as VOLUME. */
const WITHVOL = 'withvol:1';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`volumes through the ${client} CLI`, () => {
    let d: TestDaemon;
    let work: string;
    let volRoot: string;
    const { run, ok, inspect } = cliSession(client, () => d);
    const runD = async (args: string[]) => {
      const id = await ok(['run', '-d', ...NONE, ...args]);
      assert.match(id, ID64);
      return id;
    };
    const allIds = async () => (await ok(['ps', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean).sort();
    const volumeNames = async () => (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
    /** The names of a container's volumes, by destination. */
    const volumeOf = async (ref: string, dest: string) => {
      const name = await inspect(ref, `{{range .Mounts}}{{if eq .Destination "${dest}"}}{{.Name}}{{end}}{{end}}`);
      assert.ok(name, `${ref} has no volume at ${dest}`);
      return name;
    };
    const mountpoint = (name: string) => join(volRoot, name, '_data');
    /** Removes every container and volume (explicitly, one by one), for tests that count. */
    const clean = async () => {
      const ids = await allIds();
      if (ids.length) await ok(['rm', '-f', '-v', ...ids]);
      const vols = await volumeNames();
      if (vols.length) await ok(['volume', 'rm', ...vols]);
    };

    before(async () => {
      d = await startDaemon();
      await loadBusybox(d);
      work = join(d.base, 'work');
      mkdirSync(work);
      volRoot = join(realpathSync(d.root), 'volumes');
      // An image with content at a VOLUME path: owners, modes and a symlink to keep on copy-up.
      await ok(['run', '--name', 'prep', ...NONE, 'busybox', 'sh', '-c', 'mkdir -p /data/sub && echo img > /data/sub/f && chown -R 1234:5678 /data && chmod 0750 /data/sub && chmod 0640 /data/sub/f && ln -s sub/f /data/link']);
      await ok(['export', '-o', join(work, 'prep.tar'), 'prep']);
      await ok(['import', '--change', 'VOLUME /data', '--change', 'CMD ["sh"]', join(work, 'prep.tar'), WITHVOL]);
      await ok(['rm', 'prep']);
      assert.equal(await ok(['image', 'inspect', '-f', '{{json .Config.Volumes}}', WITHVOL]), '{"/data":{}}');
    });
    after(async () => {
      await d?.cleanup();
    });

    it('the seed scenario: data written through -v host:ctr outlives the container; a missing host dir is created', async () => {
      const host = join(work, 'mysql-db');
      assert.ok(!existsSync(host));
      const volsBefore = await volumeNames();
      await ok(['run', '--name', 'db', ...NONE, '-v', `${host}:/var/lib/mysql`, 'busybox', 'sh', '-c', 'echo row-1 > /var/lib/mysql/table.dat']);
      assert.ok(statSync(host).isDirectory(), '-v did not create the missing host directory');
      assert.equal(readFileSync(join(host, 'table.dat'), 'utf8'), 'row-1\n', 'the write did not reach the host');
      // Removing the container, even with -v, leaves the host directory alone.
      await ok(['rm', '-v', 'db']);
      assert.equal(readFileSync(join(host, 'table.dat'), 'utf8'), 'row-1\n');
      // A new container sees the data, and what the host added.
      writeFileSync(join(host, 'from-host'), 'hello\n');
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', `${host}:/var/lib/mysql`, 'busybox', 'cat', '/var/lib/mysql/table.dat', '/var/lib/mysql/from-host']), 'row-1\nhello');
      assert.deepEqual(await volumeNames(), volsBefore, 'a bind created a volume');
    });

    it('a named volume outlives its containers; rm -v and --rm never remove it', async () => {
      await ok(['run', '--name', 'w2', ...NONE, '-v', 'dbdata:/var/lib/mysql', 'busybox', 'sh', '-c', 'echo row-2 > /var/lib/mysql/table.dat']);
      assert.ok((await volumeNames()).includes('dbdata'), 'the named volume was not created on first use');
      const mp = await ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'dbdata']);
      assert.equal(mp, mountpoint('dbdata'));
      assert.equal(readFileSync(join(mp, 'table.dat'), 'utf8'), 'row-2\n');
      await ok(['rm', '-v', 'w2']);
      assert.ok((await volumeNames()).includes('dbdata'), 'rm -v removed a named volume');
      assert.equal(readFileSync(join(mp, 'table.dat'), 'utf8'), 'row-2\n');
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'dbdata:/data', 'busybox', 'cat', '/data/table.dat']), 'row-2');
      assert.ok((await volumeNames()).includes('dbdata'), '--rm removed a named volume');
      // --mount type=volume names the same volume.
      assert.equal(await ok(['run', '--rm', ...NONE, '--mount', 'type=volume,source=dbdata,target=/m', 'busybox', 'cat', '/m/table.dat']), 'row-2');
      assert.equal(await ok(['volume', 'rm', 'dbdata']), 'dbdata');
      assert.ok(!existsSync(dirname(mp)), 'volume rm left the volume directory');
      assert.ok(!(await volumeNames()).includes('dbdata'));
    });

    it('a volume container via --volumes-from; :ro refuses writes', async () => {
      await ok(['create', '--name', 'dbstore', ...NONE, '-v', '/dbdata', 'busybox', 'true']);
      const vol = await volumeOf('dbstore', '/dbdata');
      assert.match(vol, ID64);
      await ok(['run', '--name', 'writer', ...NONE, '--volumes-from', 'dbstore', 'busybox', 'sh', '-c', 'echo row-3 > /dbdata/t']);
      await ok(['rm', '-v', 'writer']);
      assert.ok((await volumeNames()).includes(vol), 'rm -v of a --volumes-from user removed the volume container\'s volume');
      assert.equal(readFileSync(join(mountpoint(vol), 't'), 'utf8'), 'row-3\n');
      assert.equal(await ok(['run', '--rm', ...NONE, '--volumes-from', 'dbstore', 'busybox', 'cat', '/dbdata/t']), 'row-3');

      const ro = await run(['run', '--name', 'reader', ...NONE, '--volumes-from', 'dbstore:ro', 'busybox', 'sh', '-c', 'cat /dbdata/t; echo x > /dbdata/t']);
      assert.equal(ro.code, 1, ro.stderr);
      assert.equal(ro.stdout, 'row-3\n');
      assert.match(ro.stderr, /Read-only file system/);
      assert.equal(await inspect('reader', '{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}'), `${vol} /dbdata false`);
      assert.equal(readFileSync(join(mountpoint(vol), 't'), 'utf8'), 'row-3\n');
      // An unknown mode for --volumes-from.
      const bad = await run(['run', '--rm', ...NONE, '--volumes-from', 'dbstore:xyz', 'busybox', 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /invalid mode: xyz/);

      // rm -v of the volume container keeps a volume another container still uses.
      await ok(['rm', '-v', 'dbstore']);
      assert.ok((await volumeNames()).includes(vol));
      const inUse = await run(['volume', 'rm', vol]);
      assert.equal(inUse.code, 1);
      assert.match(inUse.stderr, /volume is in use/);
      await ok(['rm', 'reader']);
      assert.equal(readFileSync(join(mountpoint(vol), 't'), 'utf8'), 'row-3\n');
      assert.equal(await ok(['volume', 'rm', vol]), vol);
    });

    it('copy-up: a new volume starts with the image content (owner, mode, links); nocopy; content is never overwritten', async () => {
      // The image's /etc into a new named volume.
      const probe = 'stat -c "%u:%g %a %s" /etc/passwd /etc/group; cat /etc/passwd';
      const plain = await ok(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', probe]);
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'etcvol:/etc', 'busybox', 'sh', '-c', probe]), plain);
      assert.equal(readFileSync(join(mountpoint('etcvol'), 'passwd'), 'utf8'), `${plain.split('\n').slice(2).join('\n')}\n`);
      assert.match(readFileSync(join(mountpoint('etcvol'), 'passwd'), 'utf8'), /^root:/m);

      // Owners, modes and symlinks are kept, through -v and --mount.
      const want = '1234:5678 755 /data\n1234:5678 750 /data/sub\n1234:5678 640 /data/sub/f\nsub/f\nimg';
      const show = 'stat -c "%u:%g %a %n" /data /data/sub /data/sub/f; readlink /data/link; cat /data/link';
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'appdata:/data', WITHVOL, 'sh', '-c', show]), want);
      assert.equal(await ok(['run', '--rm', ...NONE, '--mount', 'type=volume,src=appdata2,dst=/data', WITHVOL, 'sh', '-c', show]), want);
      const onHost = mountpoint('appdata');
      assert.equal(readlinkSync(join(onHost, 'link')), 'sub/f');
      assert.ok(lstatSync(join(onHost, 'link')).isSymbolicLink());
      const f = statSync(join(onHost, 'sub/f'));
      assert.deepEqual([f.uid, f.gid, f.mode & 0o7777], [1234, 5678, 0o640]);

      // An existing, empty volume is filled too (Docker fills any empty volume at create).
      await ok(['volume', 'create', 'pre-empty']);
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'pre-empty:/data', WITHVOL, 'ls', '-A', '/data']), 'link\nsub');

      // nocopy: an empty volume.
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'nocopy1:/data:nocopy', WITHVOL, 'ls', '-A', '/data']), '');
      assert.equal(await ok(['run', '--rm', ...NONE, '--mount', 'type=volume,src=nocopy2,dst=/data,volume-nocopy', WITHVOL, 'ls', '-A', '/data']), '');

      // A volume with content is not overwritten by the image's.
      await ok(['run', '--rm', ...NONE, '-v', 'mine:/data', 'busybox', 'sh', '-c', 'echo mine > /data/own']);
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'mine:/data', WITHVOL, 'sh', '-c', 'ls -A /data; cat /data/own']), 'own\nmine');
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'appdata:/data', WITHVOL, 'sh', '-c', 'echo changed > /data/sub/f; cat /data/sub/f']), 'changed');
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'appdata:/data', WITHVOL, 'cat', '/data/sub/f']), 'changed');
      await ok(['volume', 'rm', 'etcvol', 'appdata', 'appdata2', 'pre-empty', 'nocopy1', 'nocopy2', 'mine']);
    });

    it(':ro refuses writes: binds, named volumes and --mount readonly, recursively for submounts', async () => {
      const src = join(work, 'ro-src');
      mkdirSync(src);
      writeFileSync(join(src, 'f'), 'ro-data\n');
      await ok(['run', '--rm', ...NONE, '-v', 'rovol:/rv', 'busybox', 'sh', '-c', 'echo vol-data > /rv/f']);
      const r = await run([
        'run', '--rm', ...NONE,
        '-v', `${src}:/ro:ro`,
        '-v', 'rovol:/rv:ro',
        '--mount', `type=bind,source=${src},target=/mb,readonly`,
        '--mount', 'type=volume,source=rovol,target=/mv,readonly',
        'busybox', 'sh', '-c',
        'cat /ro/f /rv/f; for d in /ro /rv /mb /mv; do if touch $d/new 2>/dev/null; then echo $d writable; else echo $d refused; fi; done; rm /ro/f 2>/dev/null || echo rm refused',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ro-data\nvol-data\n/ro refused\n/rv refused\n/mb refused\n/mv refused\nrm refused\n');
      assert.ok(!existsSync(join(src, 'new')) && existsSync(join(src, 'f')));
      assert.ok(!existsSync(join(mountpoint('rovol'), 'new')));

      // A mount below a read-only bind's source is read-only in the container too.
      const outer = join(work, 'ro-outer');
      const inner = join(outer, 'inner');
      mkdirSync(inner, { recursive: true });
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', inner], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      try {
        const rec = await run(['run', '--rm', ...NONE, '-v', `${outer}:/o:ro`, 'busybox', 'sh', '-c', 'touch /o/inner/x 2>/dev/null && echo writable || echo refused']);
        assert.equal(rec.code, 0, rec.stderr);
        assert.equal(rec.stdout, 'refused\n', 'a submount of a read-only bind is writable');
        assert.ok(!existsSync(join(inner, 'x')));
      } finally {
        spawnSync('umount', ['-l', inner]);
      }
      await ok(['volume', 'rm', 'rovol']);
    });

    it('anonymous volumes: removed by rm -v and --rm, kept otherwise; image VOLUME paths become anonymous volumes', async () => {
      // -v /path
      await ok(['run', '--name', 'anon1', ...NONE, '-v', '/data', 'busybox', 'sh', '-c', 'echo a1 > /data/f']);
      const v1 = await volumeOf('anon1', '/data');
      assert.match(v1, ID64);
      assert.equal(await ok(['volume', 'inspect', '-f', `{{json .Labels}}`, v1]), `{"${ANON}":""}`);
      await ok(['rm', '-v', 'anon1']);
      assert.ok(!(await volumeNames()).includes(v1), 'rm -v kept an anonymous volume');
      assert.ok(!existsSync(dirname(mountpoint(v1))));

      await ok(['run', '--name', 'anon2', ...NONE, '-v', '/data', 'busybox', 'sh', '-c', 'echo a2 > /data/f']);
      const v2 = await volumeOf('anon2', '/data');
      await ok(['rm', 'anon2']);
      assert.ok((await volumeNames()).includes(v2), 'rm without -v removed an anonymous volume');
      assert.equal(readFileSync(join(mountpoint(v2), 'f'), 'utf8'), 'a2\n');

      // The image's VOLUME /data: an anonymous volume filled from the image.
      await ok(['run', '--name', 'iv', ...NONE, WITHVOL, 'sh', '-c', 'cat /data/sub/f; echo new > /data/n']);
      const v3 = await volumeOf('iv', '/data');
      assert.match(v3, ID64);
      assert.equal(readFileSync(join(mountpoint(v3), 'sub/f'), 'utf8'), 'img\n');
      assert.equal(readFileSync(join(mountpoint(v3), 'n'), 'utf8'), 'new\n');
      // Each container gets its own.
      await ok(['run', '--name', 'iv2', ...NONE, WITHVOL, 'true']);
      const v4 = await volumeOf('iv2', '/data');
      assert.notEqual(v4, v3);
      assert.ok(!existsSync(join(mountpoint(v4), 'n')));
      await ok(['rm', '-v', 'iv', 'iv2']);
      const after = await volumeNames();
      assert.ok(!after.includes(v3) && !after.includes(v4), 'rm -v kept the image VOLUME\'s anonymous volumes');

      // A named volume over the image's VOLUME path replaces the anonymous one.
      await ok(['run', '--name', 'iv3', ...NONE, '-v', 'over:/data', WITHVOL, 'true']);
      assert.equal(await inspect('iv3', '{{len .Mounts}} {{range .Mounts}}{{.Name}}{{end}}'), '1 over');
      assert.equal(await ok(['volume', 'inspect', '-f', '{{json .Labels}}', 'over']), 'null');
      await ok(['rm', '-v', 'iv3']);
      assert.ok((await volumeNames()).includes('over'), 'rm -v removed a named volume');

      // --rm removes anonymous volumes but not named ones.
      const before = await volumeNames();
      const ids = await allIds();
      await ok(['run', '--rm', ...NONE, '-v', '/scratch', '-v', 'over:/keep', WITHVOL, 'sh', '-c', 'echo x > /scratch/x; echo kept > /keep/k']);
      assert.deepEqual(await allIds(), ids, '--rm left the container');
      assert.deepEqual(await volumeNames(), before, '--rm left or removed volumes');
      assert.equal(readFileSync(join(mountpoint('over'), 'k'), 'utf8'), 'kept\n');
      await ok(['volume', 'rm', 'over', v2]);
    });

    it('volume rm of a volume in use is refused (running and stopped users) with Docker\'s 409 text', async () => {
      const id = await runD(['--name', 'user1', '-v', 'busy:/b', 'busybox', 'sleep', '600']);
      const want = `Error response from daemon: remove busy: volume is in use - [${id}]\n`;
      const r1 = await run(['volume', 'rm', 'busy']);
      assert.equal(r1.code, 1);
      assert.equal(r1.stderr, want);
      const forced = await run(['volume', 'rm', '-f', 'busy']);
      assert.equal(forced.code, 1, '-f removed a volume in use');
      assert.equal(forced.stderr, want);
      await ok(['stop', '-t', '0', 'user1']);
      const r2 = await run(['volume', 'rm', 'busy']);
      assert.equal(r2.code, 1);
      assert.equal(r2.stderr, want, 'a stopped container no longer holds its volume');
      // Two users: both are named.
      const id2 = await ok(['create', '--name', 'user2', ...NONE, '-v', 'busy:/b', 'busybox', 'true']);
      const r3 = await run(['volume', 'rm', 'busy']);
      assert.equal(r3.code, 1);
      assert.match(r3.stderr, /^Error response from daemon: remove busy: volume is in use - \[[0-9a-f]{64}, [0-9a-f]{64}\]\n$/);
      assert.ok(r3.stderr.includes(id) && r3.stderr.includes(id2));
      assert.ok((await volumeNames()).includes('busy'));
      await ok(['rm', 'user1', 'user2']);
      assert.equal(await ok(['volume', 'rm', 'busy']), 'busy');

      const missing = await run(['volume', 'rm', 'nosuchvolume']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'Error response from daemon: get nosuchvolume: no such volume\n');
      await ok(['volume', 'rm', '-f', 'nosuchvolume']);
    });

    it('volume prune removes unused anonymous volumes only; prune -a also unused named ones', async () => {
      await clean();
      await ok(['volume', 'create', 'named-unused']);
      await ok(['create', '--name', 'named-user', ...NONE, '-v', 'named-used:/n', 'busybox', 'true']);
      await ok(['create', '--name', 'anon-user', ...NONE, '-v', '/used', 'busybox', 'true']);
      const anonUsed = await volumeOf('anon-user', '/used');
      await ok(['create', '--name', 'gone', ...NONE, '-v', '/unused', 'busybox', 'true']);
      const anonUnused = await volumeOf('gone', '/unused');
      await ok(['rm', 'gone']);
      const anonMade = await ok(['volume', 'create']);
      assert.match(anonMade, ID64);

      const p = await ok(['volume', 'prune', '-f']);
      const m = /^Deleted Volumes:\n((?:\S+\n)+)\nTotal reclaimed space: \S+$/.exec(p);
      assert.ok(m, p);
      assert.deepEqual(m[1]!.trim().split('\n').sort(), [anonMade, anonUnused].sort());
      assert.deepEqual(await volumeNames(), [anonUsed, 'named-unused', 'named-used'].sort());

      const a = await ok(['volume', 'prune', '-a', '-f']);
      assert.match(a, /^Deleted Volumes:\nnamed-unused\n\nTotal reclaimed space: \S+$/);
      assert.deepEqual(await volumeNames(), [anonUsed, 'named-used'].sort());
      assert.equal(await ok(['volume', 'prune', '-f']), 'Total reclaimed space: 0B');
      await clean();
    });

    it('volume ls filters and formats: dangling, name, label', async () => {
      await ok(['volume', 'create', '--label', 'team=a', 'lsv1']);
      await ok(['volume', 'create', 'lsv2']);
      await ok(['create', '--name', 'lsuser', ...NONE, '-v', 'lsv2:/x', 'busybox', 'true']);
      assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'lsv1');
      const dangling = (await ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).split('\n');
      assert.ok(dangling.includes('lsv1') && !dangling.includes('lsv2'));
      assert.equal(await ok(['volume', 'ls', '--filter', 'name=lsv', '--format', '{{.Name}} {{.Driver}} {{.Labels}}']), 'lsv1 local team=a\nlsv2 local');
      await ok(['rm', 'lsuser']);
      await ok(['volume', 'rm', 'lsv1', 'lsv2']);
    });

    it('a tmpfs volume (--opt type=tmpfs) is mounted only while a container uses it', async () => {
      assert.equal(await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=10m', 'tv']), 'tv');
      assert.equal(await ok(['volume', 'inspect', '-f', '{{json .Options}}', 'tv']), '{"device":"tmpfs","o":"size=10m","type":"tmpfs"}');
      const mp = mountpoint('tv');
      assert.equal(mountAt(mp), undefined, 'the volume is mounted before any container uses it');
      const id = await runD(['--name', 'tvu', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'df -k /t | tail -n 1; echo hi > /t/f; exec sleep 600']);
      const m = mountAt(mp);
      assert.ok(m, 'the volume is not mounted while used');
      assert.equal(m.fstype, 'tmpfs');
      assert.match(m.superOptions, /size=10240k/);
      await until('the container to write into the volume', () => existsSync(join(mp, 'f')) && readFileSync(join(mp, 'f'), 'utf8') === 'hi\n');
      assert.match(await ok(['logs', id]), /^tmpfs\s+10240\s/);
      await ok(['rm', '-f', 'tvu']);
      await until('the volume to be unmounted', () => mountAt(mp) === undefined);
      assert.ok((await volumeNames()).includes('tv'));
      // Each use starts from an empty tmpfs.
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'tv:/t', 'busybox', 'ls', '-A', '/t']), '');
      assert.equal(mountAt(mp), undefined);
      // A new tmpfs volume over image content (--mount with volume-opt): Docker mounts it for the
      // copy-up and unmounts it after, so the container starts with an empty tmpfs.
      assert.equal(await ok(['run', '--rm', ...NONE, '--mount', 'type=volume,src=tv2,dst=/data,volume-opt=type=tmpfs,volume-opt=device=tmpfs', WITHVOL, 'ls', '-A', '/data']), '');
      assert.equal(mountAt(mountpoint('tv2')), undefined);
      // A volume that binds a host directory (type=none, o=bind) gets the image content there.
      const dev = join(work, 'bind-volume-dev');
      mkdirSync(dev);
      await ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dev}`, 'devvol']);
      assert.equal(await ok(['run', '--rm', ...NONE, '-v', 'devvol:/data', WITHVOL, 'cat', '/data/sub/f']), 'img');
      assert.equal(readFileSync(join(dev, 'sub/f'), 'utf8'), 'img\n');
      assert.equal(mountAt(mountpoint('devvol')), undefined);
      await ok(['volume', 'rm', 'tv', 'tv2', 'devvol']);
      assert.equal(readFileSync(join(dev, 'sub/f'), 'utf8'), 'img\n', 'volume rm deleted the bound device directory\'s content');
    });

    it('volume create -o uid=1000 -o gid=1000 gives a 1000:1000 mountpoint', async () => {
      await ok(['volume', 'create', '-o', 'uid=1000', '-o', 'gid=1000', 'owned']);
      const st = statSync(mountpoint('owned'));
      assert.deepEqual([st.uid, st.gid], [1000, 1000]);
      assert.equal(await ok(['run', '--rm', ...NONE, '--user', '1000:1000', '-v', 'owned:/o', 'busybox', 'sh', '-c', 'stat -c "%u:%g" /o; echo mine > /o/f && stat -c "%u:%g" /o/f']), '1000:1000\n1000:1000');
      const bad = await run(['volume', 'create', '-o', 'uid=abc', 'owned-bad']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /create owned-bad: invalid uid: "abc"/);
      await ok(['volume', 'rm', 'owned']);
    });

    it('--mount type=bind with a missing source fails and leaves nothing; --mount type=tmpfs and --tmpfs work', async () => {
      const ids = await allIds();
      const vols = await volumeNames();
      const missing = join(work, 'no-such-dir');
      const r = await run(['run', '--name', 'badbind', ...NONE, '-v', 'made-by-failed:/x', '--mount', `type=bind,source=${missing},target=/data`, 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(`Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${escape(missing)}`));
      assert.ok(!existsSync(missing), '--mount created the bind source');
      assert.deepEqual(await allIds(), ids, 'a failed create left a container');
      assert.deepEqual(await volumeNames(), vols, 'a failed create left a volume');

      const t = await ok(['run', '--rm', ...NONE, '--mount', 'type=tmpfs,destination=/scratch,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch; echo x > /scratch/f && cat /scratch/f']);
      const [line, mode, content] = t.split('\n');
      assert.match(line!, / \/scratch rw,nosuid,nodev\S* .*- tmpfs tmpfs rw,size=1024k/);
      assert.equal(mode, '1770');
      assert.equal(content, 'x');

      const id = await runD(['--tmpfs', '/run:size=1m', 'busybox', 'sh', '-c', 'grep " /run " /proc/self/mountinfo; echo x > /run/f && cat /run/f; exec sleep 600']);
      const logs = await until('the --tmpfs container to report', async () => {
        const l = await ok(['logs', id]);
        return l.split('\n').length === 2 ? l : undefined;
      });
      assert.match(logs, /^\S+ \S+ \S+ \/ \/run rw,nosuid,nodev,noexec\S* .*- tmpfs tmpfs rw,size=1024k.*\nx$/);
      assert.equal(await inspect(id, '{{json .HostConfig.Tmpfs}} {{len .Mounts}}'), '{"/run":"size=1m"} 0');
      await ok(['rm', '-f', id]);
      assert.deepEqual(await volumeNames(), vols, 'tmpfs mounts made volumes');
    });

    it("inspect shows Mounts in Docker's shape for binds, named and anonymous volumes, tmpfs", async () => {
      const b1 = join(work, 'shape-b1');
      const b2 = join(work, 'shape-b2');
      mkdirSync(b2);
      await ok([
        'create', '--name', 'shape', ...NONE,
        '-v', `${b1}:/b1:ro`,
        '-v', `${b2}:/b2`,
        '-v', 'shape-named:/n',
        '-v', 'shape-ro:/nro:ro',
        '-v', '/anon',
        '--mount', `type=bind,source=${b2},target=/mb`,
        '--mount', 'type=volume,source=shape-mv,target=/mv',
        '--mount', 'type=tmpfs,target=/mt',
        'busybox', 'true',
      ]);
      const anon = await volumeOf('shape', '/anon');
      const lines = (await inspect('shape', '{{range .Mounts}}{{json .}}\n{{end}}')).split('\n').sort();
      const vol = (name: string, dest: string, mode: string, rw = true) =>
        JSON.stringify({ Type: 'volume', Name: name, Source: mountpoint(name), Destination: dest, Driver: 'local', Mode: mode, RW: rw, Propagation: '' });
      const bind = (src: string, dest: string, mode: string, rw: boolean) => JSON.stringify({ Type: 'bind', Source: src, Destination: dest, Mode: mode, RW: rw, Propagation: 'rprivate' });
      const want = [
        bind(b1, '/b1', 'ro', false),
        bind(b2, '/b2', '', true),
        vol('shape-named', '/n', 'z'),
        vol('shape-ro', '/nro', 'ro', false),
        vol(anon, '/anon', ''),
        bind(b2, '/mb', '', true),
        vol('shape-mv', '/mv', 'z'),
        JSON.stringify({ Type: 'tmpfs', Source: '', Destination: '/mt', Mode: '', RW: true, Propagation: '' }),
      ].sort();
      assert.deepEqual(lines, want);
      // ps shows the volume names.
      const psMounts = await ok(['ps', '-a', '--filter', 'name=shape', '--format', '{{.Mounts}}']);
      for (const n of ['shape-named', 'shape-mv']) assert.ok(psMounts.includes(n), `ps --format {{.Mounts}} lacks ${n}: ${psMounts}`);
      await ok(['rm', '-v', 'shape']);
      await ok(['volume', 'rm', 'shape-named', 'shape-ro', 'shape-mv']);
      assert.ok(!(await volumeNames()).includes(anon));
    });

    it('system df counts volumes: total, active, size, reclaimable, and per volume with -v', async () => {
      await clean();
      await ok(['volume', 'create', 'dfvol']);
      await ok(['run', '--rm', ...NONE, '-v', 'dfvol:/d', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /d/blob']);
      await ok(['create', '--name', 'dfuser', ...NONE, '-v', 'dfused:/x', 'busybox', 'true']);
      const df = await ok(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}']);
      assert.match(df, /^Local Volumes\|2\|1\|100kB\|100kB \(100%\)$/m);
      const v = await ok(['system', 'df', '-v']);
      assert.match(v, /^dfvol\s+0\s+100kB$/m);
      assert.match(v, /^dfused\s+1\s+0B$/m);
      await clean();
    });

    it('berthd killed with SIGKILL mid-run and restarted loses no volume and no reference', async () => {
      await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=4m', 'ktmp']);
      const writer = await runD(['--name', 'kwriter', '-v', 'kvol:/v', '-v', '/kanon', '-v', 'ktmp:/t', 'busybox', 'sh', '-c', 'echo before > /t/f; i=0; while true; do i=$((i+1)); echo $i >> /v/log; echo $i > /kanon/n; sleep 0.1; done']);
      const stopped = await ok(['create', '--name', 'kstopped', ...NONE, '-v', 'kvol2:/v', 'busybox', 'true']);
      const anon = await volumeOf('kwriter', '/kanon');
      const log = join(mountpoint('kvol'), 'log');
      await until('the writer to write', () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 3);
      const volsBefore = await volumeNames();

      await d.kill();
      const linesAtKill = readFileSync(log, 'utf8').split('\n').length;
      await until('the writer to keep writing while the daemon is down', () => readFileSync(log, 'utf8').split('\n').length > linesAtKill + 2, 5_000);
      await d.start();

      assert.deepEqual(await volumeNames(), volsBefore, 'volumes lost across a daemon crash');
      assert.equal(await inspect('kwriter', '{{.State.Status}}'), 'running');
      for (const [vol, id] of [['kvol', writer], [anon, writer], ['ktmp', writer], ['kvol2', stopped]] as const) {
        const r = await run(['volume', 'rm', vol]);
        assert.equal(r.code, 1, `volume rm ${vol} after a daemon crash: ${r.stdout}`);
        assert.equal(r.stderr, `Error response from daemon: remove ${vol}: volume is in use - [${id}]\n`);
      }
      await ok(['volume', 'prune', '-a', '-f']);
      const afterPrune = await volumeNames();
      for (const v of ['kvol', 'kvol2', 'ktmp', anon]) assert.ok(afterPrune.includes(v), `prune removed ${v}, in use, after a daemon crash`);
      // The tmpfs volume is the same mount, with what was written before the crash.
      assert.equal(readFileSync(join(mountpoint('ktmp'), 'f'), 'utf8'), 'before\n');
      assert.equal(await ok(['exec', 'kwriter', 'cat', '/t/f']), 'before');
      const n = readFileSync(log, 'utf8').split('\n').length;
      await until('the writer to keep writing after the restart', () => readFileSync(log, 'utf8').split('\n').length > n + 2);

      // The restored container's volumes are released when it stops; rm -v removes its anonymous volume.
      await ok(['rm', '-f', '-v', 'kwriter']);
      await until('the tmpfs volume to be unmounted', () => mountAt(mountpoint('ktmp')) === undefined);
      const left = await volumeNames();
      assert.ok(!left.includes(anon), 'rm -v after a restart kept the anonymous volume');
      assert.ok(left.includes('kvol') && left.includes('ktmp') && left.includes('kvol2'));
      assert.ok(readFileSync(log, 'utf8').split('\n').length > n, 'the named volume lost data');
      await ok(['rm', 'kstopped']);
      await ok(['volume', 'rm', 'kvol', 'kvol2', 'ktmp']);
    });

    it('bad input: clear errors, exit 125, nothing left', async () => {
      await ok(['volume', 'create', 'precious']);
      writeFileSync(join(mountpoint('precious'), 'keep'), 'precious\n');
      const ids = await allIds();
      const vols = await volumeNames();
      const cases: [string[], RegExp][] = [
        [['-v', `${join(work, 'rel-src')}:data`], /invalid volume specification: '.*rel-src:data': invalid mount config for type "bind": invalid mount path: 'data' mount path must be absolute/],
        [['-v', 'relvol:data'], /invalid volume specification: 'relvol:data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute/],
        [['-v', 'data'], /invalid mount path: 'data' mount path must be absolute/],
        [['--mount', 'type=volume,source=relmount,target=data'], /invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute/],
        [['-v', 'colons:/data:ro:extra'], /invalid spec: colons:\/data:ro:extra: too many colons/],
        [['-v', `${join(work, 'badmode')}:/data:bogus`], /invalid mode: bogus/],
        [['--mount', 'type=volume,source=badopt,target=/data,volume-opt=bogus=1'], /create badopt: invalid option: "bogus"/],
        [['-v', 'bad$name:/data'], /create bad\$name: "bad\$name" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/],
        [['--mount', `type=bind,source=${join(work, 'nonexistent')},target=/data`], /invalid mount config for type "bind": bind source path does not exist: /],
        [['--mount', 'type=bind,source=relative-src,target=/data'], /invalid mount config for type "bind": invalid mount path: 'relative-src' mount path must be absolute/],
        [['--volumes-from', 'nosuchcontainer'], /No such container: nosuchcontainer/],
        [['-v', 'rootvol:/'], /destination can't be '\/'/],
        [['-v', 'dupvol:/data', '-v', 'dupvol2:/data'], /Duplicate mount point: \/data/],
        // A failing mount after a good one: the volumes made for this create go, an existing one keeps its data.
        [['-v', 'precious:/p', '-v', 'newvol:/n', '--mount', `type=bind,source=${join(work, 'nonexistent2')},target=/data`], /bind source path does not exist/],
      ];
      for (const [i, [args, re]] of cases.entries()) {
        const r = await run(['run', '--name', `bad-${i}`, ...NONE, ...args, 'busybox', 'true']);
        assert.equal(r.code, 125, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
      }
      for (const p of ['rel-src', 'badmode', 'nonexistent', 'nonexistent2']) assert.ok(!existsSync(join(work, p)), `a failed create made ${p} on the host`);
      assert.deepEqual(await allIds(), ids, 'bad input left a container');
      assert.deepEqual(await volumeNames(), vols, 'bad input left a volume');
      assert.equal(readFileSync(join(mountpoint('precious'), 'keep'), 'utf8'), 'precious\n');

      const vcases: [string[], RegExp][] = [
        [['volume', 'create', '-o', 'bogus=1', 'vbad'], /^Error response from daemon: create vbad: invalid option: "bogus"\n$/],
        [['volume', 'create', 'bad$name'], /^Error response from daemon: create bad\$name: "bad\$name" includes invalid characters for a local volume name/],
        [['volume', 'create', '-o', 'type=tmpfs', 'vbad2'], /^Error response from daemon: create vbad2: missing required option: "device"\n$/],
        [['volume', 'create', '-d', 'nosuchdriver', 'vbad3'], /error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found/],
      ];
      for (const [args, re] of vcases) {
        const r = await run(args);
        assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
      }
      assert.deepEqual(await volumeNames(), vols, 'a bad volume create left a volume');
      await ok(['volume', 'rm', 'precious']);
    });

    it('volumes survive image removal', async () => {
      await ok(['tag', WITHVOL, 'withvol:tmp']);
      await ok(['run', '--name', 'imgu', ...NONE, '-v', 'imgvol:/data', 'withvol:tmp', 'sh', '-c', 'echo y > /data/y']);
      await ok(['rm', 'imgu']);
      await ok(['rmi', 'withvol:tmp']);
      assert.ok((await volumeNames()).includes('imgvol'));
      assert.equal(readFileSync(join(mountpoint('imgvol'), 'y'), 'utf8'), 'y\n');
      assert.equal(readFileSync(join(mountpoint('imgvol'), 'sub/f'), 'utf8'), 'img\n');
      await ok(['volume', 'rm', 'imgvol']);
    });
  });
}

describe('volumes through dockerode', () => {
  let d: TestDaemon;
  let volRoot: string;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    mkdirSync(join(d.base, 'work'));
    volRoot = join(realpathSync(d.root), 'volumes');
  });
  after(async () => {
    await d?.cleanup();
  });

  it('creates, inspects, lists and removes volumes; 409 while in use, 404 when missing, 400 for bad names', async () => {
    const docker = sdk(d);
    const v = await docker.createVolume({ Name: 'sdkvol', Labels: { a: 'b' } });
    assert.equal(v.name, 'sdkvol');
    const info = await v.inspect();
    assert.deepEqual(
      { Name: info.Name, Driver: info.Driver, Mountpoint: info.Mountpoint, Labels: info.Labels, Scope: info.Scope, Options: info.Options },
      { Name: 'sdkvol', Driver: 'local', Mountpoint: join(volRoot, 'sdkvol/_data'), Labels: { a: 'b' }, Scope: 'local', Options: null },
    );
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Binds: ['sdkvol:/v'] } });
    await assert.rejects(docker.getVolume('sdkvol').remove(), (e: { statusCode?: number; message?: string }) => e.statusCode === 409 && new RegExp(`remove sdkvol: volume is in use - \\[${c.id}\\]`).test(e.message ?? ''));
    await c.remove({ v: true });
    assert.deepEqual((await docker.listVolumes()).Volumes.map((x) => x.Name), ['sdkvol']);
    await docker.getVolume('sdkvol').remove();
    await assert.rejects(docker.getVolume('sdkvol').inspect(), (e: { statusCode?: number; message?: string }) => e.statusCode === 404 && /get sdkvol: no such volume/.test(e.message ?? ''));
    await assert.rejects(docker.createVolume({ Name: 'bad/name' }), (e: { statusCode?: number }) => e.statusCode === 400);
    await assert.rejects(docker.createVolume({ Name: 'optvol', DriverOpts: { nope: '1' } }), (e: { statusCode?: number; message?: string }) => e.statusCode === 400 && /invalid option: "nope"/.test(e.message ?? ''));
    assert.deepEqual((await docker.listVolumes()).Volumes, []);
  });

  it("Mounts in Docker's shape; anonymous volumes go with v=true; prune reports what it deleted", async () => {
    const docker = sdk(d);
    const host = join(d.base, 'work', 'sdk-bind');
    const c = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo hi > /h/f; echo a > /anon/f; echo v > /v/f'],
      Volumes: { '/anon': {} },
      HostConfig: { NetworkMode: 'none', Binds: [`${host}:/h:rw`, 'sdkdata:/v:ro,nocopy'], Mounts: [{ Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } }] },
    });
    const mounts = ((await c.inspect()).Mounts as unknown as Record<string, unknown>[]).sort((a, b) => String(a['Destination']).localeCompare(String(b['Destination'])));
    const anon = String(mounts.find((m) => m['Destination'] === '/anon')?.['Name']);
    assert.match(anon, ID64);
    assert.deepEqual(mounts, [
      { Type: 'volume', Name: anon, Source: join(volRoot, anon, '_data'), Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: host, Destination: '/h', Mode: 'rw', RW: true, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'sdkdata', Source: join(volRoot, 'sdkdata', '_data'), Destination: '/v', Driver: 'local', Mode: 'ro,nocopy', RW: false, Propagation: '' },
    ]);
    await c.start();
    const r = await c.wait();
    assert.equal(r.StatusCode, 1, 'writing into a read-only volume succeeded');
    assert.equal(readFileSync(join(host, 'f'), 'utf8'), 'hi\n');
    await c.remove({ v: true });
    const names = (await docker.listVolumes()).Volumes.map((x) => x.Name);
    assert.deepEqual(names, ['sdkdata'], 'remove v=true kept the anonymous volume or removed the named one');

    const keep = await docker.createContainer({ Image: 'busybox', Volumes: { '/k': {} }, HostConfig: { NetworkMode: 'none' } });
    const kept = (await keep.inspect()).Mounts[0]!.Name!;
    await keep.remove();
    const p = await docker.pruneVolumes();
    assert.deepEqual(p.VolumesDeleted, [kept]);
    assert.equal(typeof p.SpaceReclaimed, 'number');
    const all = await docker.pruneVolumes({ filters: JSON.stringify({ all: ['true'] }) });
    assert.deepEqual(all.VolumesDeleted, ['sdkdata']);
    assert.deepEqual((await docker.listVolumes()).Volumes, []);
  });

  it('a create that fails on a mount leaves no container and no volume (400)', async () => {
    const docker = sdk(d);
    await assert.rejects(
      docker.createContainer({ Image: 'busybox', HostConfig: { NetworkMode: 'none', Binds: ['sdk-new:/n'], Mounts: [{ Type: 'bind', Source: join(d.base, 'work', 'missing'), Target: '/m' }] } }),
      (e: { statusCode?: number; message?: string }) => e.statusCode === 400 && /bind source path does not exist/.test(e.message ?? ''),
    );
    await assert.rejects(docker.createContainer({ Image: 'busybox', HostConfig: { NetworkMode: 'none', Binds: ['a:b:c:d:e'] } }), (e: { statusCode?: number }) => e.statusCode === 400);
    assert.deepEqual(await docker.listContainers({ all: true }), []);
    assert.deepEqual((await docker.listVolumes()).Volumes, []);
  });
});
