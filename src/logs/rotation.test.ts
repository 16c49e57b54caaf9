/**
 * Log generations on real files: conmon's rotation is played by renaming a
 * new file onto the log, as conmon does; the rotator and the reader are the
 * real ones.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeK8sRecord } from './k8s-file.js';
import { type LogEntry, type LogOptions, readLog } from './reader.js';
import { fileLimit, generations, HOLD_SUFFIX, LogRotators, planLaunch, prepareLog, reconcile } from './rotation.js';
import { openLog, openLogAfter } from './segments.js';

const BASE = 1_795_838_916_000_000_000n;
let tmp: string;
let n = 0;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rotation-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fresh(): string {
  const d = path.join(tmp, `c${++n}`);
  fs.mkdirSync(d);
  return path.join(d, 'container.log');
}

let seq = 0;
/** Records for lines `line-<from>` … `line-<to - 1>`. */
function lines(from: number, to: number): Buffer {
  const out: Buffer[] = [];
  for (let i = from; i < to; i++) out.push(encodeK8sRecord(BASE + BigInt(seq++) * 1000n, 'stdout', false, `line-${i}`));
  return Buffer.concat(out);
}

/** What conmon does when a record would pass its limit: a new file renamed onto the log. */
function conmonRotate(log: string, first: Buffer = Buffer.alloc(0)): void {
  fs.writeFileSync(`${log}.tmp`, first);
  fs.renameSync(`${log}.tmp`, log);
}

/** Distinct files (by inode) of the log and their total size. */
function onDisk(log: string): { names: string[]; bytes: number; files: number } {
  const dir = path.dirname(log);
  const seen = new Map<number, number>();
  const names = fs.readdirSync(dir).sort();
  for (const name of names) {
    const st = fs.statSync(path.join(dir, name));
    seen.set(st.ino, st.size);
  }
  return { names, bytes: [...seen.values()].reduce((a, b) => a + b, 0), files: seen.size };
}

const ALL: LogOptions = { stdout: true, stderr: true, timestamps: false, follow: false };
async function read(log: string, opts: Partial<LogOptions> = {}, isRunning = () => false): Promise<string[]> {
  const out: LogEntry[] = [];
  for await (const e of readLog(log, { ...ALL, ...opts }, isRunning, { pollMs: 20 })) out.push(e);
  return out.map((e) => e.line.toString().trim());
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line-${from + i}`);

describe('per-file limits', () => {
  it('leave room for the held file and the new one within max-size × max-file', () => {
    assert.equal(generations(1), 1);
    assert.equal(generations(3), 2);
    assert.equal(fileLimit(100_000, 1), 33_333);
    assert.equal(fileLimit(100_000, 2), 66_666);
    assert.equal(fileLimit(100_000, 3), 75_000);
    assert.equal(fileLimit(1, 2), 1);
    for (const [size, files] of [[100_000, 1], [100_000, 2], [7, 5], [10_000_000, 10]] as const) {
      assert.ok(fileLimit(size, files) * (generations(files) + 2) <= size * files);
    }
  });
  it('restarts continue a file at most half full, rotate a fuller one, cut an oversized one', () => {
    assert.deepEqual(planLaunch(0, 1000), { rotate: false });
    assert.deepEqual(planLaunch(500, 1000), { rotate: false });
    assert.deepEqual(planLaunch(501, 1000), { rotate: true });
    assert.deepEqual(planLaunch(1000, 1000), { rotate: true });
    assert.deepEqual(planLaunch(5000, 1000), { cutTo: 1000, rotate: true });
  });
});

describe('prepareLog and reconcile', () => {
  it('unlimited logs are left alone', async () => {
    const log = fresh();
    assert.equal(await prepareLog(log, { maxFile: 3 }), undefined);
    assert.deepEqual(fs.readdirSync(path.dirname(log)), []);
  });

  it('keeps max-file - 1 generations through conmon rotations, within the bound at every step', async () => {
    const log = fresh();
    const limits = { maxSize: 3000, maxFile: 3 };
    assert.equal(await prepareLog(log, limits), 2250);
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.hold']);
    let next = 0;
    for (let round = 0; round < 5; round++) {
      fs.appendFileSync(log, lines(next, next + 20));
      next += 20;
      conmonRotate(log);
      assert.ok(onDisk(log).files <= generations(3) + 2);
      reconcile(log, 3);
      const d = onDisk(log);
      assert.ok(d.bytes <= 9000, `${d.bytes} bytes on disk`);
    }
    fs.appendFileSync(log, lines(next, next + 5));
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.1', 'container.log.2', 'container.log.hold']);
    // the two latest full files and the current one, in order
    assert.deepEqual(await read(log), range(60, 105));
    assert.deepEqual(await read(log, { tail: 25 }), range(80, 105));
  });

  it('while nobody reconciles, a rotated-out file is lost, never kept: the held one stays', async () => {
    const log = fresh();
    await prepareLog(log, { maxSize: 3000, maxFile: 2 });
    fs.appendFileSync(log, lines(0, 10));
    conmonRotate(log, lines(10, 20));
    conmonRotate(log, lines(20, 30)); // lines 10–19 are gone: that file was not held
    assert.equal(onDisk(log).files, 2);
    assert.deepEqual(await read(log), [...range(0, 10), ...range(20, 30)]);
    reconcile(log, 2);
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.1', 'container.log.hold']);
    assert.deepEqual(await read(log), [...range(0, 10), ...range(20, 30)]);
  });

  it('a restart continues a file at most half full with the remaining budget', async () => {
    const log = fresh();
    const limits = { maxSize: 30_000, maxFile: 1 };
    await prepareLog(log, limits);
    fs.appendFileSync(log, lines(0, 10));
    const size = fs.statSync(log).size;
    assert.ok(size < 5000);
    assert.equal(await prepareLog(log, limits), 10_000 - size);
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.hold']);
  });

  it('a restart rotates a fuller file (max-file 1 keeps it as its one generation)', async () => {
    const log = fresh();
    const limits = { maxSize: 3000, maxFile: 1 }; // 1000 bytes per file
    await prepareLog(log, limits);
    fs.appendFileSync(log, lines(0, 12)); // ~ 600 bytes
    assert.ok(fs.statSync(log).size > 500);
    assert.equal(await prepareLog(log, limits), 1000);
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.1', 'container.log.hold']);
    assert.equal(fs.statSync(log).size, 0);
    fs.appendFileSync(log, lines(12, 14));
    assert.deepEqual(await read(log), range(0, 14));
  });

  it('a file written before limits existed is cut to its last records before it becomes a generation', async () => {
    const log = fresh();
    fs.writeFileSync(log, lines(0, 1000)); // ~ 50 KB
    assert.equal(await prepareLog(log, { maxSize: 3000, maxFile: 2 }), 2000);
    const gen = fs.statSync(`${log}.1`).size;
    assert.ok(gen <= 2000 && gen > 1800, `${gen} bytes kept`);
    const kept = await read(log);
    assert.equal(kept.at(-1), 'line-999');
    assert.deepEqual(kept, range(1000 - kept.length, 1000), 'whole records, the latest ones');
  });

  it('a rotation that happened while berthd was down is taken in at the next start', async () => {
    const log = fresh();
    const limits = { maxSize: 3000, maxFile: 3 };
    await prepareLog(log, limits);
    fs.appendFileSync(log, lines(0, 10));
    conmonRotate(log, lines(10, 12));
    await prepareLog(log, limits);
    assert.deepEqual(onDisk(log).names, ['container.log', 'container.log.1', 'container.log.hold']);
    assert.deepEqual(await read(log), range(0, 12));
  });
});

describe('readers of generations', () => {
  it('openLogAfter gives the files written after a given one, or only the current one', async () => {
    const log = fresh();
    await prepareLog(log, { maxSize: 30_000, maxFile: 4 });
    fs.appendFileSync(log, lines(0, 2));
    const first = fs.statSync(log);
    conmonRotate(log, lines(2, 4));
    reconcile(log, 4);
    conmonRotate(log, lines(4, 6));
    reconcile(log, 4);
    const after = openLogAfter(log, first)!;
    const buf = Buffer.alloc(10_000);
    const { bytesRead } = await after.read(buf, 0, buf.length, 0);
    assert.match(buf.subarray(0, bytesRead).toString(), /line-2[\s\S]*line-5/);
    assert.doesNotMatch(buf.subarray(0, bytesRead).toString(), /line-1\n/);
    await after.close();
    const gone = openLogAfter(log, { ino: 1, dev: first.dev })!;
    const r = await gone.read(buf, 0, buf.length, 0);
    assert.match(buf.subarray(0, r.bytesRead).toString(), /^[^\n]*line-4\n[^\n]*line-5\n$/);
    await gone.close();
    const all = openLog(log)!;
    assert.equal((await all.stat()).size, fs.statSync(`${log}.2`).size + fs.statSync(`${log}.1`).size + fs.statSync(log).size);
    await all.close();
  });

  it('a follower sees every line across rotations (rotator running)', async () => {
    const log = fresh();
    const limits = { maxSize: 4000, maxFile: 2 };
    await prepareLog(log, limits);
    const rotators = new LogRotators((_id, e) => assert.fail(String(e)));
    rotators.watch('c', log, limits);
    let running = true;
    const got: string[] = [];
    const follower = (async () => {
      for await (const e of readLog(log, { ...ALL, follow: true }, () => running, { pollMs: 20 })) got.push(e.line.toString().trim());
    })();
    let next = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 5; i++) {
        fs.appendFileSync(log, lines(next, next + 4));
        next += 4;
        await sleep(5);
      }
      conmonRotate(log);
      await sleep(30);
    }
    fs.appendFileSync(log, lines(next, next + 3));
    next += 3;
    await sleep(100);
    running = false;
    await follower;
    rotators.close();
    assert.deepEqual(got, range(0, next));
    assert.ok(fs.existsSync(`${log}.1`) && fs.existsSync(log + HOLD_SUFFIX));
  });
});
