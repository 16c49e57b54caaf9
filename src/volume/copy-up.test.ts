/** Copy-up (VolumeService.copyUp over tree.ts) on the real filesystem; owners other than the caller's only as root. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs, readdirSync, rmSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { S_IFIFO, mknod } from '../sys/libc.js';
import { unmount } from '../sys/mount.js';
import { silentLogger } from '../util/log.js';
import { realHost } from '../sys/host.js';
import { VolumeService } from './service.js';

let base = '';
let seq = 0;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-copyup-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

async function fresh(): Promise<{ s: VolumeService; dir: string }> {
  const dir = join(base, `r${seq++}`);
  await fs.mkdir(dir);
  return { s: await VolumeService.open(dir, silentLogger, realHost()), dir };
}

const ROOT = process.getuid?.() === 0;
/** Without root the source keeps the caller's owner: copy-up must still keep it, and everything else. */
const chown = (p: string, uid: number, gid: number) => (ROOT ? fs.chown(p, uid, gid) : Promise.resolve());
const lchown = (p: string, uid: number, gid: number) => (ROOT ? fs.lchown(p, uid, gid) : Promise.resolve());

const T1 = new Date('2020-02-03T04:05:06.789Z');
const T2 = new Date('2019-01-01T00:00:01.5Z');

/** An image-like directory with every kind of entry copy-up must keep. */
async function makeSource(dir: string): Promise<string> {
  const src = join(dir, 'rootfs', 'var', 'lib', 'app');
  await fs.mkdir(join(src, 'sub', 'deeper'), { recursive: true });
  await fs.writeFile(join(src, 'plain'), 'plain file\n');
  await fs.writeFile(join(src, 'suid'), '#!/bin/sh\n');
  await chown(join(src, 'suid'), 1000, 2000);
  await fs.chmod(join(src, 'suid'), 0o4755);
  await fs.writeFile(join(src, 'sub', 'secret'), 's');
  await chown(join(src, 'sub', 'secret'), 999, 999);
  await fs.chmod(join(src, 'sub', 'secret'), 0o600);
  await fs.link(join(src, 'plain'), join(src, 'sub', 'hardlink'));
  await fs.symlink('../plain', join(src, 'sub', 'rel-link'));
  await fs.symlink('/etc/passwd', join(src, 'abs-link'));
  await fs.symlink('missing-target', join(src, 'dangling'));
  await lchown(join(src, 'abs-link'), 1000, 1000);
  mknod(join(src, 'fifo'), S_IFIFO | 0o640);
  await fs.chmod(join(src, 'sub', 'deeper'), 0o1777);
  await chown(join(src, 'sub'), 1000, 1000);
  await fs.chmod(join(src, 'sub'), 0o2750);
  for (const p of ['plain', 'suid', 'sub/secret', 'fifo', 'sub/deeper', 'sub']) await fs.utimes(join(src, p), T2, T1);
  await fs.lutimes(join(src, 'abs-link'), T2, T1);
  await chown(src, 33, 33);
  await fs.chmod(src, 0o750);
  await fs.utimes(src, T2, T1);
  return src;
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    out.push(r);
    const p = join(dir, r);
    if (existsSync(p) && readdirSafe(p)) out.push(...walk(dir, r));
  }
  return out;
}
function readdirSafe(p: string): boolean {
  try {
    readdirSync(p);
    return true;
  } catch {
    return false;
  }
}

async function meta(p: string): Promise<Record<string, unknown>> {
  const st: BigIntStats = await fs.lstat(p, { bigint: true });
  return {
    uid: st.uid,
    gid: st.gid,
    mode: st.mode,
    mtimeMs: st.isSymbolicLink() || st.isDirectory() || st.isFile() || st.isFIFO() ? st.mtimeNs / 1000n : 0n,
    link: st.isSymbolicLink() ? await fs.readlink(p) : undefined,
    size: st.isFile() ? st.size : undefined,
  };
}

describe('copyUp', () => {
  test('keeps owners, modes, times, symlinks, hard links and fifos; _data takes the source dir owner and mode', async () => {
    const { s, dir } = await fresh();
    const src = await makeSource(dir);
    const v = await s.create({ name: 'appdata' });
    await s.copyUp('appdata', src);
    const dst = v.mountpoint;
    assert.deepEqual(walk(dst), walk(src));
    for (const rel of walk(src)) assert.deepEqual(await meta(join(dst, rel)), await meta(join(src, rel)), rel);
    const root = await meta(dst);
    const sroot = await meta(src);
    assert.deepEqual(root, sroot);
    const a = await fs.stat(join(dst, 'plain'));
    const b = await fs.stat(join(dst, 'sub', 'hardlink'));
    assert.equal(a.ino, b.ino, 'hard link kept');
    assert.equal(a.nlink, 2);
    assert.notEqual(a.ino, (await fs.stat(join(src, 'plain'))).ino, 'a copy, not a link to the image');
    assert.ok((await fs.lstat(join(dst, 'fifo'))).isFIFO());
    assert.equal(await fs.readFile(join(dst, 'sub', 'rel-link'), 'utf8'), 'plain file\n');
    // No staging directory left in the volume.
    assert.deepEqual(readdirSync(join(dir, 'volumes', 'appdata')).sort(), ['_data', 'volume.json']);
  });

  test('a volume with content is left alone', async () => {
    const { s, dir } = await fresh();
    const src = await makeSource(dir);
    const v = await s.create({ name: 'full' });
    await fs.writeFile(join(v.mountpoint, 'mine'), 'x');
    await s.copyUp('full', src);
    assert.deepEqual(readdirSync(v.mountpoint), ['mine']);
    assert.equal((await fs.stat(v.mountpoint)).mode & 0o7777, 0o755);
  });

  test('a missing or non-directory source is a no-op', async () => {
    const { s, dir } = await fresh();
    const v = await s.create({ name: 'empty' });
    await s.copyUp('empty', join(dir, 'nowhere'));
    await fs.writeFile(join(dir, 'file'), 'x');
    await s.copyUp('empty', join(dir, 'file'));
    assert.deepEqual(readdirSync(v.mountpoint), []);
    await assert.rejects(s.copyUp('nope', dir), /get nope: no such volume/);
  });

  test("the volume's uid/gid/mode options win over the source directory's", { skip: !ROOT && 'needs root (owners)' }, async () => {
    const { s, dir } = await fresh();
    const src = await makeSource(dir);
    const v = await s.create({ name: 'owned', driverOpts: { uid: '4242', gid: '4343', mode: '0700' } });
    await s.copyUp('owned', src);
    const st = await fs.stat(v.mountpoint);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [4242, 4343, 0o700]);
    assert.equal((await fs.stat(join(v.mountpoint, 'suid'))).uid, 1000);
  });

  test('a held volume is filled in place (a running container keeps seeing the same directory)', async () => {
    const { s, dir } = await fresh();
    const src = await makeSource(dir);
    const v = await s.create({ name: 'held' });
    const ino = (await fs.stat(v.mountpoint)).ino;
    await s.acquire('held', 'c1');
    await s.copyUp('held', src);
    assert.equal((await fs.stat(v.mountpoint)).ino, ino);
    assert.deepEqual(walk(v.mountpoint), walk(src));
  });

  test('a tmpfs volume: refused before acquire, copied into the mount after', { skip: !ROOT && 'needs root (mounts)' }, async () => {
    const { s, dir } = await fresh();
    const src = await makeSource(dir);
    const v = await s.create({ name: 'tmp', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=4m' } });
    try {
      await assert.rejects(s.copyUp('tmp', src), /copy-up into volume tmp: the volume is not mounted; acquire it first/);
      await s.acquire('tmp', 'c1');
      await s.copyUp('tmp', src);
      assert.deepEqual(walk(v.mountpoint), walk(src));
      assert.equal((await fs.stat(join(v.mountpoint, 'suid'))).mode & 0o7777, 0o4755);
      await s.release('tmp', 'c1');
    } finally {
      unmount(v.mountpoint, { detach: true });
    }
  });
});
