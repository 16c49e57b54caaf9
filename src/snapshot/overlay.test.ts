/** The overlay snapshotter's commit: the layer reaches the disk before its name is recorded. */
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { syncFilesystem } from '../sys/libc.js';
import { OverlaySnapshotter } from './overlay.js';

let base = '';
let seq = 0;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-overlay-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

function metadataNames(root: string): string[] {
  try {
    return Object.keys((JSON.parse(readFileSync(join(root, 'metadata.json'), 'utf8')) as { snapshots: Record<string, unknown> }).snapshots);
  } catch {
    return [];
  }
}

describe('OverlaySnapshotter.commit', () => {
  test('syncs the layer filesystem once, before the committed name is written', async () => {
    const root = join(base, `r${seq++}`);
    const calls: { dir: string; namesOnDisk: string[] }[] = [];
    const s = await OverlaySnapshotter.open(root, {
      syncFs: async (dir) => {
        calls.push({ dir, namesOnDisk: metadataNames(root) });
      },
    });
    await s.prepare('extract-1');
    const dir = s.layerDir('extract-1');
    await fs.writeFile(join(dir, 'file'), 'data');
    assert.equal(calls.length, 0, 'prepare does not sync');
    await s.commit('sha256:layer', 'extract-1');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.dir, dir);
    assert.ok(calls[0]!.namesOnDisk.includes('extract-1') && !calls[0]!.namesOnDisk.includes('sha256:layer'), `metadata at sync time: ${calls[0]!.namesOnDisk.join(', ')}`);
    assert.deepEqual(metadataNames(root), ['sha256:layer']);
  });

  test('a failed sync leaves the snapshot uncommitted', async () => {
    const root = join(base, `r${seq++}`);
    const s = await OverlaySnapshotter.open(root, {
      syncFs: () => Promise.reject(new Error('syncfs: Input/output error (EIO)')),
    });
    await s.prepare('extract-1');
    await assert.rejects(s.commit('sha256:layer', 'extract-1'), /EIO/);
    assert.equal(s.stat('sha256:layer'), undefined);
    assert.equal(s.stat('extract-1')?.kind, 'active');
    assert.deepEqual(metadataNames(root), ['extract-1']);
  });

  test('a name committed by someone else during the sync is a conflict', async () => {
    const root = join(base, `r${seq++}`);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const s = await OverlaySnapshotter.open(root, {
      syncFs: async () => {
        if (first) {
          first = false;
          await gate;
        }
      },
    });
    await s.prepare('a');
    await s.prepare('b');
    const slow = s.commit('sha256:same', 'a');
    await s.commit('sha256:same', 'b');
    release();
    await assert.rejects(slow, (e: unknown) => isKind(e, 'Conflict'));
    assert.equal(s.stat('a')?.kind, 'active');
  });

  test('snapshot dirs are private to root', async () => {
    const root = join(base, `r${seq++}`);
    const s = await OverlaySnapshotter.open(root, { syncFs: async () => {} });
    await s.prepare('k');
    assert.equal(statSync(join(s.layerDir('k'), '..')).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'snapshots')).mode & 0o777, 0o700);
  });
});

describe('syncFilesystem', () => {
  test('syncs a directory’s filesystem and reports a missing path', async () => {
    await syncFilesystem(base);
    await assert.rejects(syncFilesystem(join(base, 'missing')), /ENOENT/);
  });
});
