/**
 * Layers reach the disk before they are committed: a crash after a load,
 * import or commit must not leave a layer recorded as committed whose files
 * were still in the page cache. Proving that needs a power cut; instead the
 * real daemon is traced (strace) while it stores layers, and every layer it
 * commits must have had its filesystem synced (syncfs on the layer's own
 * directory) before the snapshot metadata naming it was renamed into place.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { dockerArchive, imageOf, randomLayer } from '../fixtures/images.js';

interface Metadata {
  snapshots: Record<string, { id: number; kind: string }>;
}

function metadata(d: TestDaemon): Metadata {
  return JSON.parse(readFileSync(join(d.root, 'overlay/metadata.json'), 'utf8')) as Metadata;
}

function committedDirs(d: TestDaemon): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, s] of Object.entries(metadata(d).snapshots)) {
    if (s.kind === 'committed') out.set(join(d.root, 'overlay/snapshots', String(s.id), 'fs'), name);
  }
  return out;
}

function tracerPid(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** Traces syncfs and renames of the whole daemon (all threads), printing fd paths. */
async function trace(pid: number, out: string): Promise<ChildProcess> {
  const st = spawn('strace', ['-f', '-qq', '-y', '-e', 'trace=syncfs,rename,renameat,renameat2', '-p', String(pid), '-o', out], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (tracerPid(pid) === 0) {
    if (st.exitCode !== null) throw new Error(`strace exited with ${st.exitCode}`);
    if (Date.now() > deadline) throw new Error('strace did not attach within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return st;
}

async function untrace(st: ChildProcess): Promise<void> {
  if (st.exitCode !== null) return;
  const done = new Promise((r) => st.once('exit', r));
  st.kill('SIGINT');
  await done;
}

describe('layer durability: syncfs before the commit is recorded', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('load, import and commit sync each new layer before naming it in the snapshot metadata', async () => {
    const before = committedDirs(d);
    const log = join(d.base, 'strace.out');
    const st = await trace(d.pid!, log);
    try {
      // load: an image of two new layers
      const img = imageOf([await randomLayer('data/a.bin', 300_000), await randomLayer('data/b.bin', 200_000)]);
      const archive = join(d.base, 'two-layers.tar');
      writeFileSync(archive, await dockerArchive([{ image: img, tags: ['durable/load:1'] }]));
      const load = await docker(d, ['load', '-i', archive]);
      assert.equal(load.code, 0, load.stderr);
      // import: one layer
      const imp = await docker(d, ['import', '-', 'durable/import:1'], { input: await randomLayer('imported/c.bin', 100_000) });
      assert.equal(imp.code, 0, imp.stderr);
      // commit: a container's changes become a layer
      const run = await docker(d, ['run', '--name', 'durable-c', 'busybox', 'sh', '-c', 'echo changed > /changed.txt']);
      assert.equal(run.code, 0, run.stderr);
      const commit = await docker(d, ['commit', 'durable-c', 'durable/commit:1']);
      assert.equal(commit.code, 0, commit.stderr);
    } finally {
      await untrace(st);
    }
    const after = committedDirs(d);
    const fresh = [...after.keys()].filter((dir) => !before.has(dir));
    assert.equal(fresh.length, 4, `expected 4 new committed layers (2 loaded, 1 imported, 1 committed), got ${fresh.length}`);

    const lines = readFileSync(log, 'utf8').split('\n');
    const metaPath = join(d.root, 'overlay/metadata.json');
    // `12345 syncfs(27</tmp/…/overlay/snapshots/7/fs>) = 0`
    const syncIndex = new Map<string, number>();
    lines.forEach((l, i) => {
      const m = /syncfs\(\d+<([^>]+)>\) = 0/.exec(l);
      if (m && !syncIndex.has(m[1]!)) syncIndex.set(m[1]!, i);
    });
    const metaRenames = lines.flatMap((l, i) => (l.includes('rename') && l.includes(`"${metaPath}"`) && / = 0$/.test(l) ? [i] : []));
    for (const dir of fresh) {
      const at = syncIndex.get(dir);
      assert.ok(at !== undefined, `layer ${after.get(dir)} (${dir}) was committed without a syncfs of its directory; traced syncfs calls: ${[...syncIndex.keys()].join(', ') || 'none'}`);
      assert.ok(
        metaRenames.some((r) => r > at),
        `no snapshot metadata was written after the syncfs of ${dir}`,
      );
    }
  });
});
