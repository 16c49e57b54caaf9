/** The plain-copy snapshotter: the contract's suite, then what is its own (whole copies, bind mounts, usage, GraphDriver). */
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { lgetxattr, lsetxattr, mknod, S_IFCHR } from '../sys/libc.js';
import { NOT_ROOT, runSnapshotterConformance } from './conformance.js';
import { CopySnapshotter } from './copy.js';
import type { Snapshotter } from './snapshotter.js';

runSnapshotterConformance('copy', { open: (root, opts) => CopySnapshotter.open(root, opts), metadataFile: 'metadata.json' });

describe('CopySnapshotter', () => {
  let base = '';
  let seq = 0;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-copy-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  const open = () => CopySnapshotter.open(join(base, `r${seq++}`), { syncFs: async () => {} });

  test('an active snapshot is a bind of its own whole copy; a view binds its parent read-only', async () => {
    const s = await open();
    await s.prepare('a');
    await fs.writeFile(join(s.layerDir('a'), 'f'), 'x');
    await s.commit('L', 'a');
    assert.deepEqual(await s.prepare('c', 'L'), [{ type: 'bind', source: s.layerDir('c'), options: ['rw', 'rbind'] }]);
    assert.equal(await fs.readFile(join(s.layerDir('c'), 'f'), 'utf8'), 'x');
    assert.deepEqual(await s.view('v', 'L'), [{ type: 'bind', source: s.layerDir('L'), options: ['ro', 'rbind'] }]);
    assert.deepEqual(await s.view('v0'), [{ type: 'bind', source: s.layerDir('v0'), options: ['ro', 'rbind'] }]);
    assert.deepEqual(await fs.readdir(s.layerDir('v')), [], 'a view copies nothing');
  });

  test('prepare copies everything a layer carries: owners, modes, times, xattrs, hardlinks, devices, fifos, symlinks', { skip: NOT_ROOT && 'needs root (owners, devices, trusted xattrs)' }, async () => {
    const s = await open();
    await s.prepare('a');
    const src = s.layerDir('a');
    await fs.mkdir(join(src, 'd'), { mode: 0o750 });
    await fs.writeFile(join(src, 'd/tool'), 'bin');
    await fs.chown(join(src, 'd/tool'), 1234, 5678);
    await fs.chmod(join(src, 'd/tool'), 0o4755);
    lsetxattr(join(src, 'd/tool'), 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
    lsetxattr(join(src, 'd'), 'trusted.overlay.opaque', Buffer.from('y'));
    await fs.link(join(src, 'd/tool'), join(src, 'hard'));
    mknod(join(src, 'null'), S_IFCHR | 0o666, 1, 3);
    await fs.symlink('/etc/passwd', join(src, 'link'));
    await fs.utimes(join(src, 'd/tool'), 1_000_000, 1_000_000);
    await s.commit('L', 'a');
    await s.prepare('c', 'L');
    const dst = s.layerDir('c');
    const tool = lstatSync(join(dst, 'd/tool'));
    assert.deepEqual([tool.uid, tool.gid, tool.mode & 0o7777, tool.mtimeMs], [1234, 5678, 0o4755, 1_000_000_000]);
    assert.equal(lstatSync(join(dst, 'd')).mode & 0o777, 0o750);
    assert.equal(lstatSync(join(dst, 'hard')).ino, tool.ino, 'hardlinks stay one file');
    assert.notEqual(tool.ino, lstatSync(join(s.layerDir('L'), 'd/tool')).ino, 'a copy, not a link to the parent');
    const dev = lstatSync(join(dst, 'null'));
    assert.ok(dev.isCharacterDevice() && dev.rdev === lstatSync(join(s.layerDir('L'), 'null')).rdev);
    assert.equal(await fs.readlink(join(dst, 'link')), '/etc/passwd');
    assert.equal(lgetxattr(join(dst, 'd/tool'), 'security.capability')?.toString('hex'), '0100000200200000000000000000000000000000');
    assert.equal(lgetxattr(join(dst, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');
  });

  test('a copy that fails leaves nothing behind and the key free', async () => {
    const s = await open();
    await s.prepare('a');
    await s.commit('L', 'a');
    const walk = s.walk();
    const entries = await fs.readdir(dirname(dirname(s.layerDir('L'))));
    await fs.rm(s.layerDir('L'), { recursive: true }); // the parent's tree is gone: cp fails
    await assert.rejects(s.prepare('c', 'L'), (e: unknown) => !isKind(e, 'Conflict') && /cp failed/.test((e as Error).message));
    assert.deepEqual(s.walk(), walk);
    assert.deepEqual(await fs.readdir(dirname(dirname(s.layerDir('L')))), entries);
    await fs.mkdir(s.layerDir('L'));
    await s.prepare('c', 'L');
  });

  test('usage counts the whole copy', async () => {
    const s = await open();
    await s.prepare('a');
    await fs.writeFile(join(s.layerDir('a'), 'big'), Buffer.alloc(100_000, 1));
    await s.commit('L', 'a');
    await s.prepare('c', 'L');
    const u = await s.usage('c');
    assert.equal(u.inodes, 1);
    assert.ok(u.size >= 100_000, `size ${u.size}`);
  });

  test('GraphDriver is Docker’s vfs: no data', async () => {
    const s: Snapshotter = await open();
    await s.prepare('a');
    assert.equal(s.driver, 'vfs');
    assert.deepEqual(s.graphDriver('a', '/run/x'), { name: 'vfs', data: null });
  });
});
