/**
 * The Snapshotter contract's tests, one suite for every implementation
 * (containerd's snapshots/testsuite habit): overlay.test.ts and copy.test.ts
 * run it. It checks what snapshotter.ts promises and nothing of an
 * implementation's own layout or layer format: lifecycle, error kinds,
 * labels, walk/stat/usage, what happens to directories, crash safety, and,
 * mounting for real (as root), that what is written through an active
 * snapshot's mounts is what a view of its commit shows, parents untouched.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ErrorKind, isKind } from '../errdefs/errdefs.js';
import { mount as libcMount } from '../sys/libc.js';
import { mountAll, unmount } from '../sys/mount.js';
import type { DirSnapshotterOptions } from './dir-snapshotter.js';
import type { Mount, Snapshotter } from './snapshotter.js';

/** Tests that mount need root; the rest of the suite runs without it. */
export const NOT_ROOT = process.getuid?.() !== 0 && 'needs root (mounts)';

export interface SnapshotterFixture {
  /** Opens (or reopens, after a simulated crash) the snapshotter stored under root. */
  open(root: string, opts?: DirSnapshotterOptions): Promise<Snapshotter>;
  /** The file holding its records, relative to root: the suite rolls it back to simulate a crash. */
  metadataFile: string;
}

const noSync = { syncFs: async (): Promise<void> => {} };

async function rejectsKind(p: Promise<unknown> | (() => unknown), kind: ErrorKind, message?: RegExp): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(isKind(e, kind), `expected ${kind}, got ${String(e)}`);
      if (message) assert.match((e as Error).message, message);
      return true;
    },
  );
}

/** Every path under root but the records file: what "nothing left behind" compares (walk() compares the records). */
async function tree(root: string, metadataFile: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (relative(root, p) === metadataFile) continue;
      out.push(`${relative(root, p)}${e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out.sort();
}

async function commitWith(s: Snapshotter, name: string, parent: string | undefined, files: Record<string, string>): Promise<void> {
  const key = `${name}-active`;
  await s.prepare(key, parent);
  for (const [p, data] of Object.entries(files)) {
    const full = join(s.layerDir(key), p);
    await fs.mkdir(dirname(full), { recursive: true });
    await fs.writeFile(full, data);
  }
  await s.commit(name, key);
}

function names(s: Snapshotter): string[] {
  return s
    .walk()
    .map((i) => `${i.name}:${i.kind}${i.parent !== undefined ? `<${i.parent}` : ''}`)
    .sort();
}

export function runSnapshotterConformance(name: string, fixture: SnapshotterFixture): void {
  describe(`Snapshotter conformance: ${name}`, () => {
    let base = '';
    let seq = 0;
    before(() => {
      base = mkdtempSync(join(tmpdir(), `berth-snap-${name}-`));
    });
    after(() => rmSync(base, { recursive: true, force: true }));

    const fresh = async (opts: DirSnapshotterOptions = noSync): Promise<{ root: string; s: Snapshotter; empty: string[] }> => {
      const root = join(base, `r${seq++}`);
      const s = await fixture.open(root, opts);
      return { root, s, empty: await tree(root, fixture.metadataFile) };
    };

    /** Mounts, runs fn on the mountpoint, unmounts (also when fn fails). */
    const mounted = async <T>(mounts: Mount[], fn: (dir: string) => Promise<T>): Promise<T> => {
      const dir = await fs.mkdtemp(join(base, 'mnt-'));
      mountAll(mounts, dir);
      try {
        return await fn(dir);
      } finally {
        unmount(dir);
        await fs.rmdir(dir);
      }
    };

    describe('lifecycle', () => {
      test('prepare makes an active snapshot with its labels; mounts() repeats what prepare returned', async () => {
        const { s } = await fresh();
        const t0 = Date.now();
        const m = await s.prepare('a', undefined, { role: 'rootfs' });
        assert.ok(m.length > 0);
        assert.deepEqual(s.mounts('a'), m);
        const st = s.stat('a');
        assert.deepEqual({ ...st, created: undefined }, { name: 'a', kind: 'active', labels: { role: 'rootfs' }, created: undefined });
        const created = Date.parse(st!.created);
        assert.ok(created >= t0 - 1000 && created <= Date.now() + 1000, `created ${st!.created}`);
        assert.deepEqual(s.walk(), [st]);
      });

      test('commit turns the key into a committed name: parent kept, labels merged, key gone', async () => {
        const { s } = await fresh();
        await s.prepare('base', undefined, { a: '1', b: '1' });
        await s.commit('L1', 'base', { b: '2', c: '3' });
        assert.equal(s.stat('base'), undefined);
        assert.deepEqual({ ...s.stat('L1'), created: '' }, { name: 'L1', kind: 'committed', labels: { a: '1', b: '2', c: '3' }, created: '' });
        await s.prepare('c', 'L1', { x: 'y' });
        assert.equal(s.stat('c')?.parent, 'L1');
        await s.commit('L2', 'c');
        assert.deepEqual({ ...s.stat('L2'), created: '' }, { name: 'L2', kind: 'committed', parent: 'L1', labels: { x: 'y' }, created: '' });
        assert.deepEqual(names(s), ['L1:committed', 'L2:committed<L1']);
      });

      test('view makes a read-only snapshot of a committed parent, or of nothing', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L1', undefined, { f: 'x' });
        const m = await s.view('v', 'L1', { role: 'v' });
        assert.deepEqual(s.mounts('v'), m);
        assert.deepEqual({ ...s.stat('v'), created: '' }, { name: 'v', kind: 'view', parent: 'L1', labels: { role: 'v' }, created: '' });
        await s.view('empty');
        assert.equal(s.stat('empty')?.kind, 'view');
        assert.equal(s.stat('empty')?.parent, undefined);
      });

      test('walk lists every snapshot once with its kind and parent; removed ones are gone', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L1', undefined, {});
        await s.prepare('c', 'L1');
        await s.view('v', 'L1');
        await s.prepare('solo');
        assert.deepEqual(names(s), ['L1:committed', 'c:active<L1', 'solo:active', 'v:view<L1']);
        await s.remove('c');
        await s.remove('v');
        assert.deepEqual(names(s), ['L1:committed', 'solo:active']);
        assert.deepEqual(
          s.walk().sort((a, b) => a.name.localeCompare(b.name)),
          ['L1', 'solo'].map((n) => s.stat(n)),
        );
      });

      test('labels are copied in and out', async () => {
        const { s } = await fresh();
        const labels = { k: 'v' };
        await s.prepare('a', undefined, labels);
        labels.k = 'changed';
        s.stat('a')!.labels['k'] = 'changed';
        s.walk()[0]!.labels['k'] = 'changed';
        assert.deepEqual(s.stat('a')?.labels, { k: 'v' });
      });

      test('everything survives reopening: records, layers, mounts', async () => {
        const { root, s } = await fresh();
        await commitWith(s, 'L1', undefined, { 'etc/f': 'one' });
        await s.prepare('c', 'L1', { role: 'rootfs' });
        await fs.writeFile(join(s.layerDir('c'), 'g'), 'two');
        await s.view('v', 'L1');
        const s2 = await fixture.open(root, noSync);
        assert.deepEqual(
          s2.walk().sort((a, b) => a.name.localeCompare(b.name)),
          s.walk().sort((a, b) => a.name.localeCompare(b.name)),
        );
        assert.deepEqual(s2.mounts('c'), s.mounts('c'));
        assert.deepEqual(s2.mounts('v'), s.mounts('v'));
        assert.deepEqual(s2.layerChain('c'), s.layerChain('c'));
        assert.equal(await fs.readFile(join(s2.layerDir('L1'), 'etc/f'), 'utf8'), 'one');
        assert.equal(await fs.readFile(join(s2.layerDir('c'), 'g'), 'utf8'), 'two');
      });
    });

    describe('errors', () => {
      test('prepare or view on a missing parent is NotFound and leaves nothing', async () => {
        const { root, s, empty } = await fresh();
        await rejectsKind(s.prepare('k', 'nope'), 'NotFound', /nope/);
        await rejectsKind(s.view('k', 'nope'), 'NotFound', /nope/);
        assert.equal(s.stat('k'), undefined);
        assert.deepEqual(await tree(root, fixture.metadataFile), empty);
        await s.prepare('k'); // the key is still free
      });

      test('a parent must be committed (InvalidParameter), and nothing is left', async () => {
        const { root, s } = await fresh();
        await s.prepare('a');
        await s.view('v');
        const before = await tree(root, fixture.metadataFile);
        await rejectsKind(s.prepare('b', 'a'), 'InvalidParameter', /\ba\b.*not committed/);
        await rejectsKind(s.view('b', 'a'), 'InvalidParameter');
        await rejectsKind(s.prepare('b', 'v'), 'InvalidParameter', /\bv\b.*not committed/);
        assert.equal(s.stat('b'), undefined);
        assert.deepEqual(await tree(root, fixture.metadataFile), before);
      });

      test('keys and names share one namespace: a taken one is a Conflict', async () => {
        const { root, s } = await fresh();
        await s.prepare('a', undefined, { n: '1' });
        await commitWith(s, 'L', undefined, {});
        await s.view('v', 'L');
        const before = await tree(root, fixture.metadataFile);
        for (const taken of ['a', 'L', 'v']) {
          await rejectsKind(s.prepare(taken), 'Conflict', new RegExp(`\\b${taken}\\b.*exists`));
          await rejectsKind(s.view(taken, 'L'), 'Conflict');
        }
        assert.deepEqual(await tree(root, fixture.metadataFile), before);
        assert.deepEqual(s.stat('a')?.labels, { n: '1' });
        assert.deepEqual(names(s), ['L:committed', 'a:active', 'v:view<L']);
      });

      test('prepares of one key at the same time: one wins, the others are a Conflict, nothing leaks', async () => {
        const { root, s, empty } = await fresh();
        await commitWith(s, 'L', undefined, { f: 'x' });
        const withParent = await tree(root, fixture.metadataFile);
        const results = await Promise.allSettled([s.prepare('k', 'L'), s.prepare('k'), s.view('k', 'L')]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(isKind(r.reason, 'Conflict'), String(r.reason));
        await s.remove('k');
        assert.deepEqual(await tree(root, fixture.metadataFile), withParent);
        await s.remove('L');
        assert.deepEqual(await tree(root, fixture.metadataFile), empty);
      });

      test('commit: only an active snapshot, to a free name', async () => {
        const { s } = await fresh();
        await s.view('v');
        await rejectsKind(s.commit('x', 'v'), 'InvalidParameter', /\bv\b.*view/);
        assert.equal(s.stat('v')?.kind, 'view');
        await commitWith(s, 'L', undefined, {});
        await rejectsKind(s.commit('y', 'L'), 'InvalidParameter', /\bL\b.*committed/);
        await rejectsKind(s.commit('z', 'nope'), 'NotFound', /nope/);
        await s.prepare('b');
        await rejectsKind(s.commit('L', 'b'), 'Conflict', /\bL\b.*exists/);
        await rejectsKind(s.commit('v', 'b'), 'Conflict');
        const busy = s.prepare('busy');
        await rejectsKind(s.commit('busy', 'b'), 'Conflict');
        await busy;
        assert.equal(s.stat('b')?.kind, 'active');
        assert.deepEqual(names(s), ['L:committed', 'b:active', 'busy:active', 'v:view']);
      });

      test('remove: NotFound for an unknown key; Conflict while any child exists', async () => {
        const { root, s, empty } = await fresh();
        await commitWith(s, 'L1', undefined, {});
        await s.prepare('c', 'L1');
        await s.view('v', 'L1');
        await commitWith(s, 'L2', 'L1', {});
        await rejectsKind(s.remove('L1'), 'Conflict', /\bL1\b/);
        await s.remove('c');
        await rejectsKind(s.remove('L1'), 'Conflict', /\bL1\b.*\bv\b/);
        await s.remove('v');
        await rejectsKind(s.remove('L1'), 'Conflict', /\bL1\b.*\bL2\b/);
        await s.remove('L2');
        await s.remove('L1');
        await rejectsKind(s.remove('L1'), 'NotFound', /\bL1\b/);
        assert.deepEqual(await tree(root, fixture.metadataFile), empty);
      });

      test('removing a parent while a child is being prepared on it is a Conflict', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L', undefined, { f: 'x' });
        const child = s.prepare('c', 'L');
        await rejectsKind(s.remove('L'), 'Conflict', /\bL\b.*\bc\b/);
        await child;
        assert.deepEqual(s.layerChain('c'), [s.layerDir('c'), s.layerDir('L')]);
        assert.ok(existsSync(s.layerDir('L')));
      });

      test('calls on an unknown key are NotFound; stat() is undefined; a committed snapshot has no mounts', async () => {
        const { s } = await fresh();
        assert.equal(s.stat('nope'), undefined);
        await rejectsKind(() => s.mounts('nope'), 'NotFound', /nope/);
        await rejectsKind(s.usage('nope'), 'NotFound', /nope/);
        await rejectsKind(() => s.layerDir('nope'), 'NotFound', /nope/);
        await rejectsKind(() => s.layerChain('nope'), 'NotFound', /nope/);
        await rejectsKind(() => s.graphDriver('nope'), 'NotFound', /nope/);
        await rejectsKind(s.commit('x', 'nope'), 'NotFound', /nope/);
        await rejectsKind(s.remove('nope'), 'NotFound', /nope/);
        await commitWith(s, 'L', undefined, {});
        await rejectsKind(() => s.mounts('L'), 'InvalidParameter', /\bL\b.*view/);
      });
    });

    describe('directories', () => {
      test('layerDir is a directory of its own per snapshot; layerChain is it, then its parents’', async () => {
        const { s } = await fresh();
        await s.prepare('a');
        assert.ok(statSync(s.layerDir('a')).isDirectory());
        assert.deepEqual(await fs.readdir(s.layerDir('a')), [], 'a snapshot without a parent starts empty');
        assert.deepEqual(s.layerChain('a'), [s.layerDir('a')]);
        await commitWith(s, 'L1', undefined, {});
        await commitWith(s, 'L2', 'L1', {});
        await s.prepare('c', 'L2');
        await s.view('v', 'L2');
        assert.deepEqual(s.layerChain('c'), [s.layerDir('c'), s.layerDir('L2'), s.layerDir('L1')]);
        assert.deepEqual(s.layerChain('v'), [s.layerDir('v'), s.layerDir('L2'), s.layerDir('L1')]);
        const all = ['a', 'L1', 'L2', 'c', 'v'].map((k) => s.layerDir(k));
        assert.equal(new Set(all).size, all.length);
      });

      test('what is written into an active layerDir is kept by commit', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L', undefined, { 'etc/hostname': 'box', 'bin/tool': '#!/bin/sh' });
        assert.equal(await fs.readFile(join(s.layerDir('L'), 'etc/hostname'), 'utf8'), 'box');
        assert.equal(await fs.readFile(join(s.layerDir('L'), 'bin/tool'), 'utf8'), '#!/bin/sh');
      });

      test('remove deletes the snapshot’s directories, whatever its kind', async () => {
        const { root, s, empty } = await fresh();
        await commitWith(s, 'L', undefined, { f: 'x' });
        await s.prepare('c', 'L');
        await s.view('v', 'L');
        const dirs = ['c', 'v', 'L'].map((k) => s.layerDir(k));
        for (const k of ['c', 'v', 'L']) await s.remove(k);
        for (const d of dirs) assert.equal(existsSync(d), false, d);
        assert.deepEqual(await tree(root, fixture.metadataFile), empty);
      });

      test('a snapshot’s files are not reachable for other users', async () => {
        const { root, s } = await fresh();
        await s.prepare('a');
        // Some directory between root and the layer lets neither group nor others through.
        const between: string[] = [];
        for (let d = dirname(s.layerDir('a')); d.startsWith(root + '/'); d = dirname(d)) between.push(d);
        assert.ok(
          between.some((d) => (statSync(d).mode & 0o011) === 0),
          between.map((d) => `${d} ${(statSync(d).mode & 0o777).toString(8)}`).join(', '),
        );
      });
    });

    describe('usage', () => {
      test('usage counts the layer’s bytes and entries, hardlinked files once; commit keeps it', async () => {
        const { s } = await fresh();
        await s.prepare('a');
        const u0 = await s.usage('a');
        assert.deepEqual(u0, { size: 0, inodes: 0 });
        const dir = s.layerDir('a');
        await fs.mkdir(join(dir, 'd'));
        await fs.writeFile(join(dir, 'd/f'), Buffer.alloc(200_000, 1));
        await fs.link(join(dir, 'd/f'), join(dir, 'd/h'));
        const u1 = await s.usage('a');
        assert.equal(u1.inodes, 2);
        assert.ok(u1.size >= 200_000 && u1.size < 400_000, `size ${u1.size}`);
        await s.commit('L', 'a');
        assert.deepEqual(await s.usage('L'), u1);
      });
    });

    describe('crash safety', () => {
      test('a crash before a snapshot is recorded: its directories are deleted at open', async () => {
        const { root, s } = await fresh();
        await commitWith(s, 'L', undefined, { f: 'x' });
        const before = await tree(root, fixture.metadataFile);
        const records = await fs.readFile(join(root, fixture.metadataFile));
        await s.prepare('c', 'L');
        await s.view('v', 'L');
        await fs.writeFile(join(s.layerDir('c'), 'g'), 'y');
        const dirs = [s.layerDir('c'), s.layerDir('v')];
        await fs.writeFile(join(root, fixture.metadataFile), records); // the crash: dirs made, records not written
        const s2 = await fixture.open(root, noSync);
        assert.deepEqual(names(s2), ['L:committed']);
        for (const d of dirs) assert.equal(existsSync(d), false, d);
        assert.deepEqual(await tree(root, fixture.metadataFile), before);
        await s2.prepare('c', 'L'); // and the key is free
      });

      test('remove records the removal before deleting: dirs it cannot delete go at the next open', { skip: NOT_ROOT }, async () => {
        const { root, s, empty } = await fresh();
        await s.prepare('a');
        const stuck = join(s.layerDir('a'), 'mnt');
        await fs.mkdir(stuck);
        libcMount('tmpfs', stuck, 'tmpfs', 0, 'size=64k'); // a mount left inside: rmdir fails with EBUSY
        try {
          await assert.rejects(s.remove('a'), /\ba\b.*removed.*could not be deleted/);
          assert.equal(s.stat('a'), undefined);
          assert.ok(existsSync(stuck));
          const warnings: unknown[] = [];
          const reopened = await fixture.open(root, { ...noSync, warn: (msg, fields) => warnings.push({ msg, ...fields }) });
          assert.deepEqual(names(reopened), [], 'the record is gone from disk');
          assert.equal(warnings.length, 1, 'open reports the dir it cannot delete, and does not fail');
          assert.ok(existsSync(stuck));
        } finally {
          unmount(stuck);
        }
        await fixture.open(root, noSync);
        assert.equal(existsSync(stuck), false);
        assert.deepEqual(await tree(root, fixture.metadataFile), empty);
      });

      test('commit syncs the layer’s filesystem once, before the committed name is written', async () => {
        let root = '';
        const calls: { dir: string; onDisk: string[] }[] = [];
        const ctx = await fresh({
          syncFs: async (dir) => {
            calls.push({ dir, onDisk: names(await fixture.open(root, noSync)) });
          },
        });
        root = ctx.root;
        const s = ctx.s;
        await s.prepare('extract-1');
        const dir = s.layerDir('extract-1');
        assert.equal(calls.length, 0, 'prepare does not sync');
        await s.commit('sha256:layer', 'extract-1');
        assert.equal(calls.length, 1);
        assert.equal(calls[0]!.dir, dir);
        assert.deepEqual(calls[0]!.onDisk, ['extract-1:active']);
        assert.deepEqual(names(await fixture.open(root, noSync)), ['sha256:layer:committed']);
      });

      test('a failed sync leaves the snapshot uncommitted', async () => {
        const { root, s } = await fresh({ syncFs: () => Promise.reject(new Error('syncfs: Input/output error (EIO)')) });
        await s.prepare('extract-1');
        await assert.rejects(s.commit('sha256:layer', 'extract-1'), /EIO/);
        assert.deepEqual(names(s), ['extract-1:active']);
        assert.deepEqual(names(await fixture.open(root, noSync)), ['extract-1:active']);
      });

      test('a name committed by someone else during the sync is a Conflict; a key removed meanwhile is NotFound', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let first = true;
        const { s } = await fresh({
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
        await rejectsKind(slow, 'Conflict');
        assert.equal(s.stat('a')?.kind, 'active');

        let letGo!: () => void;
        const held = new Promise<void>((r) => (letGo = r));
        const { s: s2 } = await fresh({ syncFs: () => held });
        await s2.prepare('k');
        const commit = s2.commit('L', 'k');
        await s2.remove('k');
        letGo();
        await rejectsKind(commit, 'NotFound', /\bk\b/);
        assert.deepEqual(names(s2), []);
      });

      test('commit with the real syncfs', async () => {
        const root = join(base, `r${seq++}`);
        const s = await fixture.open(root);
        await commitWith(s, 'L', undefined, { f: 'x' });
        assert.equal(await fs.readFile(join(s.layerDir('L'), 'f'), 'utf8'), 'x');
      });
    });

    describe('mounts (as root)', { skip: NOT_ROOT }, () => {
      const read = (dir: string, p: string): Promise<string> => fs.readFile(join(dir, p), 'utf8');
      const ls = async (dir: string, p = '.'): Promise<string[]> => (await fs.readdir(join(dir, p))).sort();

      test('what is written through an active snapshot’s mounts is what a view of its commit shows; the parent is unchanged', async () => {
        const { s } = await fresh();
        await mounted(await s.prepare('base'), async (m) => {
          assert.deepEqual(await ls(m), [], 'a snapshot without a parent starts empty');
          await fs.mkdir(join(m, 'd'));
          await fs.writeFile(join(m, 'd/x'), 'X');
          await fs.writeFile(join(m, 'a.txt'), 'A');
          await fs.writeFile(join(m, 'gone'), 'G');
        });
        await s.commit('L1', 'base');
        await mounted(await s.prepare('c1', 'L1'), async (m) => {
          assert.equal(await read(m, 'a.txt'), 'A');
          await fs.writeFile(join(m, 'a.txt'), 'A2');
          await fs.rm(join(m, 'gone'));
          await fs.rm(join(m, 'd'), { recursive: true });
          await fs.mkdir(join(m, 'd')); // a dir deleted and made again holds only the new entries
          await fs.writeFile(join(m, 'd/y'), 'Y');
          await fs.writeFile(join(m, 'new'), 'N');
        });
        await s.commit('L2', 'c1');
        await mounted(await s.prepare('c2', 'L2'), async (m) => {
          await fs.writeFile(join(m, 'third'), '3');
        });
        await s.commit('L3', 'c2');

        await mounted(await s.view('v3', 'L3'), async (m) => {
          assert.deepEqual(await ls(m), ['a.txt', 'd', 'new', 'third']);
          assert.deepEqual(await ls(m, 'd'), ['y']);
          assert.equal(await read(m, 'a.txt'), 'A2');
          assert.equal(await read(m, 'new'), 'N');
          assert.equal(await read(m, 'third'), '3');
        });
        await mounted(await s.view('v2', 'L2'), async (m) => {
          assert.deepEqual(await ls(m), ['a.txt', 'd', 'new']);
        });
        await mounted(await s.view('v1', 'L1'), async (m) => {
          assert.deepEqual(await ls(m), ['a.txt', 'd', 'gone']);
          assert.deepEqual(await ls(m, 'd'), ['x']);
          assert.equal(await read(m, 'a.txt'), 'A');
        });
      });

      test('writes into layerDir before mounting are seen through the mounts; writes through the mounts land in layerDir', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L', undefined, { base: 'b' });
        await s.prepare('c', 'L');
        await fs.writeFile(join(s.layerDir('c'), 'pre'), 'p');
        await mounted(s.mounts('c'), async (m) => {
          assert.equal(await read(m, 'pre'), 'p');
          assert.equal(await read(m, 'base'), 'b');
          await fs.writeFile(join(m, 'post'), 'q');
        });
        assert.equal(await fs.readFile(join(s.layerDir('c'), 'post'), 'utf8'), 'q');
      });

      test('siblings on one parent do not see each other’s writes', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L', undefined, { shared: 's' });
        const m1 = await s.prepare('s1', 'L');
        const m2 = await s.prepare('s2', 'L');
        await mounted(m1, async (m) => {
          await fs.writeFile(join(m, 'mine'), '1');
          await fs.writeFile(join(m, 'shared'), 'changed');
        });
        await mounted(m2, async (m) => {
          assert.deepEqual(await ls(m), ['shared']);
          assert.equal(await read(m, 'shared'), 's');
        });
      });

      test('views are read-only, with one parent layer, several, or none', async () => {
        const { s } = await fresh();
        await commitWith(s, 'L1', undefined, { f: '1' });
        await commitWith(s, 'L2', 'L1', { g: '2' });
        for (const [key, parent, expected] of [
          ['v0', undefined, []],
          ['v1', 'L1', ['f']],
          ['v2', 'L2', ['f', 'g']],
        ] as const) {
          await mounted(await s.view(key, parent), async (m) => {
            assert.deepEqual(await ls(m), expected);
            await assert.rejects(fs.writeFile(join(m, 'w'), 'w'), { code: 'EROFS' });
          });
        }
      });
    });

    describe('graphDriver', () => {
      test('names the driver; its data is strings or none; MergedDir is the caller’s mountpoint', async () => {
        const { s } = await fresh();
        assert.ok(s.driver.length > 0);
        await commitWith(s, 'L', undefined, {});
        await s.prepare('c', 'L');
        for (const [key, mp] of [['L', undefined], ['c', '/run/x/rootfs']] as const) {
          const g = s.graphDriver(key, mp);
          assert.equal(g.name, s.driver);
          if (g.data !== null) {
            for (const v of Object.values(g.data)) assert.equal(typeof v, 'string');
            if (mp !== undefined && 'MergedDir' in g.data) assert.equal(g.data['MergedDir'], mp);
          }
        }
      });
    });
  });
}
