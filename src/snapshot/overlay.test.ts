/** The overlay snapshotter: the contract's suite, then what is overlay's own (layout, mounts, usage, GraphDriver). */
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syncFilesystem } from '../sys/libc.js';
import { runSnapshotterConformance } from './conformance.js';
import { OverlaySnapshotter } from './overlay.js';

runSnapshotterConformance('overlay', { open: (root, opts) => OverlaySnapshotter.open(root, opts), metadataFile: 'metadata.json' });

describe('OverlaySnapshotter', () => {
  let base = '';
  let seq = 0;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-overlay-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  const open = () => OverlaySnapshotter.open(join(base, `r${seq++}`), { syncFs: async () => {} });

  test('an active snapshot on a parent is an overlay: its fs/ upper, its work/ dir, the parent chain lower', async () => {
    const s = await open();
    await s.prepare('a');
    assert.deepEqual(s.mounts('a'), [{ type: 'bind', source: s.layerDir('a'), options: ['rw', 'rbind'] }]);
    await s.commit('L1', 'a');
    await s.prepare('b', 'L1');
    await s.commit('L2', 'b');
    await s.prepare('c', 'L2');
    const dir = dirname(s.layerDir('c'));
    assert.deepEqual(s.mounts('c'), [
      { type: 'overlay', source: 'overlay', options: ['index=off', `workdir=${dir}/work`, `upperdir=${dir}/fs`, `lowerdir=${s.layerDir('L2')}:${s.layerDir('L1')}`] },
    ]);
    assert.ok(statSync(join(dir, 'work')).isDirectory());
    assert.deepEqual(await s.view('v1', 'L1'), [{ type: 'bind', source: s.layerDir('L1'), options: ['ro', 'rbind'] }]);
    assert.deepEqual(await s.view('v2', 'L2'), [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${s.layerDir('L2')}:${s.layerDir('L1')}`] }]);
  });

  test('commit deletes the work dir; the layer stays where it was', async () => {
    const s = await open();
    await s.prepare('a');
    const layer = s.layerDir('a');
    await s.commit('L', 'a');
    assert.equal(s.layerDir('L'), layer);
    assert.deepEqual(await fs.readdir(dirname(layer)), ['fs']);
  });

  test('usage counts only what the layer changed, not its parents’ files', async () => {
    const s = await open();
    await s.prepare('a');
    await fs.writeFile(join(s.layerDir('a'), 'big'), Buffer.alloc(100_000, 1));
    await s.commit('L', 'a');
    await s.prepare('c', 'L');
    assert.deepEqual(await s.usage('c'), { size: 0, inodes: 0 });
  });

  test('GraphDriver is Docker’s overlay2 metadata', async () => {
    const s = await open();
    await s.prepare('a');
    await s.commit('L1', 'a');
    const l1 = dirname(s.layerDir('L1'));
    assert.deepEqual(s.graphDriver('L1'), { name: 'overlay2', data: { MergedDir: `${l1}/merged`, UpperDir: `${l1}/fs`, WorkDir: `${l1}/work` } });
    await s.prepare('c', 'L1');
    const c = dirname(s.layerDir('c'));
    assert.deepEqual(s.graphDriver('c', '/run/berth/containers/x/rootfs'), {
      name: 'overlay2',
      data: { LowerDir: `${l1}/fs`, MergedDir: '/run/berth/containers/x/rootfs', UpperDir: `${c}/fs`, WorkDir: `${c}/work` },
    });
  });

  test('snapshot dirs are private to root', async () => {
    const s = await open();
    await s.prepare('k');
    assert.equal(statSync(dirname(s.layerDir('k'))).mode & 0o777, 0o700);
    assert.equal(statSync(dirname(dirname(s.layerDir('k')))).mode & 0o777, 0o700);
  });
});

describe('syncFilesystem', () => {
  test('syncs a directory’s filesystem and reports a missing path', async () => {
    await syncFilesystem(tmpdir());
    await assert.rejects(syncFilesystem(join(tmpdir(), 'berth-missing-path')), /ENOENT/);
  });
});
