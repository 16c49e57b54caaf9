import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { demuxAll } from '../stream/mux.js';
import { encodeK8sRecord, formatK8sTimestamp, type LogStream } from './k8s-file.js';
import {
  formatEntry,
  type LogEntry,
  type LogOptions,
  MAX_LINE,
  MAX_RECORD,
  readLog,
  readLogBatches,
  type ReadTuning,
} from './reader.js';

const BASE = 1_795_838_916_000_000_000n; // 2026-11-28T04:08:36Z
const MS = 1_000_000n;

let tmp: string;
let n = 0;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
const fresh = (name = 'ctr.log') => {
  const d = path.join(tmp, `c${++n}`);
  fs.mkdirSync(d);
  return path.join(d, name);
};

interface Rec {
  t: bigint;
  s: LogStream;
  p?: boolean;
  c: string | Buffer;
}
const rec = (r: Rec) => encodeK8sRecord(r.t, r.s, !!r.p, r.c);
const file = (recs: Rec[]) => Buffer.concat(recs.map(rec));

const ALL: LogOptions = { stdout: true, stderr: true, timestamps: false, follow: false };

async function collect(p: string, opts: Partial<LogOptions>, isRunning = () => false, tuning?: ReadTuning) {
  const out: LogEntry[] = [];
  for await (const e of readLog(p, { ...ALL, ...opts }, isRunning, tuning)) out.push(e);
  return out;
}
const show = (es: LogEntry[]) => es.map((e) => `${e.stream === 'stdout' ? 'o' : 'e'}:${e.line.toString('latin1')}`);

describe('readLog: records to lines', () => {
  it('joins partials per stream, interleaved, with the first part’s time', async () => {
    const p = fresh();
    fs.writeFileSync(
      p,
      file([
        { t: BASE + 1n, s: 'stdout', p: true, c: 'hel' },
        { t: BASE + 2n, s: 'stderr', p: true, c: 'wa' },
        { t: BASE + 3n, s: 'stdout', p: true, c: 'lo ' },
        { t: BASE + 4n, s: 'stderr', c: 'rn' },
        { t: BASE + 5n, s: 'stdout', c: 'world' },
        { t: BASE + 6n, s: 'stdout', c: '' },
      ]),
    );
    const es = await collect(p, {});
    assert.deepEqual(show(es), ['e:warn\n', 'o:hello world\n', 'o:\n']);
    assert.deepEqual(
      es.map((e) => e.time - BASE),
      [2n, 1n, 6n],
    );
    assert.equal(es[1]!.timeText, '2026-11-28T04:08:36.000000001Z');
  });

  it('binary content, spaces and CRLF pass through unchanged', async () => {
    const p = fresh();
    const bin = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x20, 0x0d]);
    fs.writeFileSync(
      p,
      file([
        { t: BASE, s: 'stdout', c: '  a  b  ' },
        { t: BASE, s: 'stdout', c: 'dos\r' },
        { t: BASE, s: 'stderr', p: true, c: bin },
        { t: BASE, s: 'stderr', c: bin },
      ]),
    );
    const es = await collect(p, {});
    assert.deepEqual(show(es.slice(0, 2)), ['o:  a  b  \n', 'o:dos\r\n']);
    assert.deepEqual([...es[2]!.line], [...bin, ...bin, 0x0a]);
  });

  it('selects streams; skips malformed lines; ignores an unfinished last record', async () => {
    const p = fresh();
    fs.writeFileSync(
      p,
      Buffer.concat([
        rec({ t: BASE, s: 'stdout', c: 'o1' }),
        Buffer.from('garbage line\n2026-99-99T00:00:00Z stdout F bad date\n'),
        rec({ t: BASE, s: 'stderr', c: 'e1' }),
        Buffer.from('2026-11-28T04:08:36.1+00:00 stdout F unfini'),
      ]),
    );
    assert.deepEqual(show(await collect(p, {})), ['o:o1\n', 'e:e1\n']);
    assert.deepEqual(show(await collect(p, { stderr: false })), ['o:o1\n']);
    assert.deepEqual(show(await collect(p, { stdout: false })), ['e:e1\n']);
    assert.deepEqual(show(await collect(p, { stdout: false, stderr: false })), []);
  });

  it('a line still being written is delivered as it stands', async () => {
    const p = fresh();
    fs.writeFileSync(
      p,
      file([
        { t: BASE + 1n, s: 'stderr', p: true, c: 'Password: ' },
        { t: BASE + 2n, s: 'stdout', c: 'done' },
      ]),
    );
    assert.deepEqual(show(await collect(p, {})), ['o:done\n', 'e:Password: ']);
  });

  it('times in any zone offset (conmon writes local time)', async () => {
    const p = fresh();
    fs.writeFileSync(
      p,
      Buffer.concat([
        encodeK8sRecord(BASE + 1n * MS, 'stdout', false, 'ist', 330),
        encodeK8sRecord(BASE + 2n * MS, 'stdout', false, 'pst', -480),
        encodeK8sRecord(BASE + 3n * MS, 'stdout', false, 'utc'),
      ]),
    );
    const es = await collect(p, { since: BASE + 2n * MS });
    assert.deepEqual(show(es), ['o:pst\n', 'o:utc\n']);
    assert.equal(es[0]!.timeText, '2026-11-28T04:08:36.002000000Z');
  });

  it('bounds: a huge joined line comes in MAX_LINE pieces; an over-long non-record is skipped', async () => {
    const p = fresh();
    const part = 'y'.repeat(8192);
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) parts.push(encodeK8sRecord(BASE + BigInt(i), 'stdout', i < 299, part)); // 2.3 MiB line
    const junk = Buffer.alloc(MAX_RECORD + 10, 0x41);
    fs.writeFileSync(p, Buffer.concat([...parts, junk, Buffer.from('\n'), encodeK8sRecord(BASE + 999n, 'stderr', false, 'after')]));
    for (const tuning of [{}, { blockSize: 4096 }]) {
      const es = await collect(p, {}, undefined, tuning);
      const out = es.filter((e) => e.stream === 'stdout');
      assert.ok(out.length >= 3, `${out.length} pieces`);
      assert.ok(out.every((e) => e.line.length <= MAX_LINE + 8192 + 1));
      assert.equal(Buffer.concat(out.map((e) => e.line)).toString(), `${part.repeat(300)}\n`);
      assert.deepEqual(show(es.filter((e) => e.stream === 'stderr')), ['e:after\n']);
    }
    assert.deepEqual(show(await collect(p, { tail: 1 })), ['e:after\n']);
  });

  it('a missing file is an empty log', async () => {
    assert.deepEqual(await collect(path.join(tmp, 'nope', 'x.log'), {}), []);
  });
});

describe('readLog: tail, since, until', () => {
  let p: string;
  before(() => {
    p = fresh();
    fs.writeFileSync(
      p,
      file([
        { t: BASE + 10n * MS, s: 'stdout', c: 'o1' },
        { t: BASE + 20n * MS, s: 'stderr', c: 'e1' },
        { t: BASE + 30n * MS, s: 'stdout', p: true, c: 'o2a' }, // o2 spans e2
        { t: BASE + 40n * MS, s: 'stderr', c: 'e2' },
        { t: BASE + 50n * MS, s: 'stdout', p: true, c: 'o2b' },
        { t: BASE + 60n * MS, s: 'stdout', c: 'o2c' },
        { t: BASE + 70n * MS, s: 'stdout', c: 'o3' },
        { t: BASE + 80n * MS, s: 'stderr', c: 'e3' },
      ]),
    );
  });

  it('tail counts joined lines of the selected streams', async () => {
    assert.deepEqual(show(await collect(p, { tail: 1 })), ['e:e3\n']);
    assert.deepEqual(show(await collect(p, { tail: 2 })), ['o:o3\n', 'e:e3\n']);
    assert.deepEqual(show(await collect(p, { tail: 3 })), ['o:o2ao2bo2c\n', 'o:o3\n', 'e:e3\n']);
    assert.deepEqual(show(await collect(p, { tail: 4 })), ['e:e2\n', 'o:o2ao2bo2c\n', 'o:o3\n', 'e:e3\n']);
    assert.equal((await collect(p, { tail: 100 })).length, 6);
    assert.equal((await collect(p, { tail: -1 })).length, 6);
    assert.deepEqual(await collect(p, { tail: 0 }), []);
    assert.deepEqual(show(await collect(p, { tail: 2, stderr: false })), ['o:o2ao2bo2c\n', 'o:o3\n']);
    assert.deepEqual(show(await collect(p, { tail: 2, stdout: false })), ['e:e2\n', 'e:e3\n']);
    // the joined line's own start lies before lines of the other stream it skips
    assert.deepEqual(show(await collect(p, { tail: 1, stderr: false })), ['o:o3\n']);
    assert.deepEqual(show(await collect(p, { tail: 2, stdout: false }, undefined, { tailBlockSize: 16 })), [
      'e:e2\n',
      'e:e3\n',
    ]);
  });

  it('since and until are inclusive; a joined line has its first part’s time', async () => {
    const since = (ms: bigint) => ({ since: BASE + ms * MS });
    const until = (ms: bigint) => ({ until: BASE + ms * MS });
    assert.deepEqual(show(await collect(p, since(70n))), ['o:o3\n', 'e:e3\n']);
    assert.deepEqual(show(await collect(p, { since: BASE + 70n * MS + 1n })), ['e:e3\n']);
    assert.deepEqual(show(await collect(p, since(31n))), ['e:e2\n', 'o:o3\n', 'e:e3\n']); // o2 began at 30
    assert.deepEqual(show(await collect(p, since(30n))), ['e:e2\n', 'o:o2ao2bo2c\n', 'o:o3\n', 'e:e3\n']);
    assert.deepEqual(show(await collect(p, until(20n))), ['o:o1\n', 'e:e1\n']);
    assert.deepEqual(show(await collect(p, until(30n))), ['o:o1\n', 'e:e1\n', 'o:o2ao2bo2c\n']);
    assert.deepEqual(show(await collect(p, { ...since(20n), ...until(40n) })), ['e:e1\n', 'e:e2\n', 'o:o2ao2bo2c\n']);
    assert.deepEqual(await collect(p, { ...since(50n), ...until(40n) }), []);
  });

  it('tail counts within the time window', async () => {
    assert.deepEqual(show(await collect(p, { tail: 1, until: BASE + 40n * MS })), ['o:o2ao2bo2c\n']);
    assert.deepEqual(show(await collect(p, { tail: 2, until: BASE + 40n * MS })), ['e:e2\n', 'o:o2ao2bo2c\n']);
    assert.deepEqual(show(await collect(p, { tail: 5, since: BASE + 40n * MS })), ['e:e2\n', 'o:o3\n', 'e:e3\n']);
    assert.deepEqual(show(await collect(p, { tail: 2, since: BASE + 80n * MS + 1n })), []);
  });
});

// ---------------------------------------------------------------------------
// Randomised comparison against a direct model of the semantics.

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomContent(rand: () => number): Buffer {
  const r = rand();
  if (r < 0.1) return Buffer.alloc(0);
  if (r < 0.3) {
    const b = Buffer.alloc(1 + Math.floor(rand() * 12));
    for (let i = 0; i < b.length; i++) {
      let v = Math.floor(rand() * 256);
      if (v === 0x0a) v = 0x0b;
      b[i] = v;
    }
    return b;
  }
  const words = ['a', 'bb', ' ', 'ccc dd', '\r', 'stdout F', 'x'];
  let s = '';
  const k = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < k; i++) s += words[Math.floor(rand() * words.length)];
  return Buffer.from(s);
}

interface ModelEntry {
  s: LogStream;
  t: bigint;
  line: Buffer;
  end: number;
}

/** The semantics, stated directly: join, window, tail by last record, forward order. */
function model(recs: Rec[], o: Partial<LogOptions>): string[] {
  const sel = { stdout: o.stdout ?? true, stderr: o.stderr ?? true };
  const emitted: ModelEntry[] = [];
  const pend: Partial<Record<LogStream, { t: bigint; parts: Buffer[]; last: number }>> = {};
  recs.forEach((r, i) => {
    if (!sel[r.s]) return;
    const c = Buffer.from(r.c);
    const p = pend[r.s];
    if (r.p) {
      if (p) {
        p.parts.push(c);
        p.last = i;
      } else pend[r.s] = { t: r.t, parts: [c], last: i };
      return;
    }
    const parts = p ? [...p.parts, c] : [c];
    emitted.push({ s: r.s, t: p ? p.t : r.t, line: Buffer.concat([...parts, Buffer.from('\n')]), end: i });
    delete pend[r.s];
  });
  const rest = (['stdout', 'stderr'] as const)
    .map((s) => [s, pend[s]] as const)
    .filter((x) => x[1] !== undefined)
    .sort((a, b) => a[1]!.last - b[1]!.last);
  for (const [s, p] of rest) emitted.push({ s, t: p!.t, line: Buffer.concat(p!.parts), end: p!.last });
  let win = emitted.filter((e) => (o.since === undefined || e.t >= o.since) && (o.until === undefined || e.t <= o.until));
  if (o.tail !== undefined && o.tail >= 0) {
    const keep = new Set([...win].sort((a, b) => a.end - b.end).slice(win.length - Math.min(o.tail, win.length)));
    win = win.filter((e) => keep.has(e));
  }
  return win.map((e) => `${e.s}@${e.t - BASE}:${e.line.toString('hex')}`);
}

describe('readLog: randomised against the model', () => {
  it('tail/since/until/streams over random files and block sizes (600 cases)', async () => {
    for (let seed = 1; seed <= 600; seed++) {
      const rand = rng(seed);
      const recs: Rec[] = [];
      let t = BASE;
      const count = Math.floor(rand() * 40);
      const pShare = rand() * 0.7;
      for (let i = 0; i < count; i++) {
        t += BigInt(Math.floor(rand() * 3)) * MS; // equal times happen
        recs.push({ t, s: rand() < 0.5 ? 'stdout' : 'stderr', p: rand() < pShare, c: randomContent(rand) });
      }
      const p = path.join(tmp, `model-${seed}.log`);
      const chunks = recs.map(rec);
      if (rand() < 0.2) chunks.splice(Math.floor(rand() * (chunks.length + 1)), 0, Buffer.from('not a record\n'));
      if (rand() < 0.2) chunks.push(Buffer.from('2026-11-28T04:08:36.1+00:00 stdout F unfinished'));
      fs.writeFileSync(p, Buffer.concat(chunks));
      const times = recs.map((r) => r.t);
      const pick = () => (times.length ? times[Math.floor(rand() * times.length)]! + BigInt(Math.floor(rand() * 3) - 1) : BASE);
      const o: Partial<LogOptions> = {};
      const which = rand();
      if (which < 0.15) o.stderr = false;
      else if (which < 0.3) o.stdout = false;
      if (rand() < 0.6) o.tail = Math.floor(rand() * (count + 3)) - (rand() < 0.05 ? 5 : 0);
      if (rand() < 0.3) o.since = pick();
      if (rand() < 0.3) o.until = pick();
      const tuning = { blockSize: 8 + Math.floor(rand() * 300), tailBlockSize: 8 + Math.floor(rand() * 300) };
      const got = (await collect(p, o, undefined, tuning)).map((e) => `${e.stream}@${e.time - BASE}:${e.line.toString('hex')}`);
      assert.deepEqual(got, model(recs, o), `seed ${seed} opts ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v - BASE) : v))}`);
      fs.rmSync(p);
    }
  });
});

// ---------------------------------------------------------------------------

describe('readLog: follow', () => {
  const FAST: ReadTuning = { pollMs: 1000, partialGraceMs: 60 };

  async function follow(p: string, opts: Partial<LogOptions>, isRunning: () => boolean, tuning: ReadTuning = FAST) {
    const got: LogEntry[] = [];
    const done = (async () => {
      for await (const e of readLog(p, { ...ALL, follow: true, ...opts }, isRunning, tuning)) got.push(e);
    })();
    return { got, done };
  }
  async function until(cond: () => boolean, ms = 5000) {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out waiting');
      await sleep(5);
    }
  }
  const line = (i: number, c: string, s: LogStream = 'stdout', partial = false) =>
    encodeK8sRecord(BASE + BigInt(i) * MS, s, partial, c);

  it('sees lines appended by another process while running, ends when it stops', async () => {
    const p = fresh();
    fs.writeFileSync(p, line(0, 'before'));
    let running = true;
    const { got, done } = await follow(p, {}, () => running);
    await until(() => got.length === 1);
    // another writer: a shell appending with write(2), like conmon
    const ts = formatK8sTimestamp(BASE + 5n * MS);
    const script = `for i in 1 2 3 4 5; do printf '${ts} stdout F line %s\\n' $i >> "$1"; sleep 0.02; done`;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = spawn('sh', ['-c', script, 'sh', p], { stdio: 'ignore' });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh exited ${code}`))));
    });
    await until(() => got.length === 6);
    const latency = performance.now() - t0;
    running = false;
    fs.appendFileSync(p, line(9, 'last words')); // written before the exit was noticed
    const t1 = performance.now();
    await done;
    const endMs = performance.now() - t1;
    assert.deepEqual(show(got), ['o:before\n', 'o:line 1\n', 'o:line 2\n', 'o:line 3\n', 'o:line 4\n', 'o:line 5\n', 'o:last words\n']);
    // fs.watch wakes us well before the 1 s poll
    assert.ok(endMs < 900, `ended ${endMs} ms after the container stopped`);
    console.log(`      follow: 5 appends seen within ${latency.toFixed(0)} ms (writer sleeps 100 ms); ended ${endMs.toFixed(0)} ms after stop`);
  });

  it('`exited` wakes the follower at once (no output, slow poll)', async () => {
    const p = fresh();
    fs.writeFileSync(p, line(0, 'a'));
    let running = true;
    let exit!: () => void;
    const exited = new Promise<void>((r) => (exit = r));
    const { got, done } = await follow(p, { exited }, () => running, { pollMs: 10_000 });
    await until(() => got.length === 1);
    await sleep(20);
    running = false;
    const t0 = performance.now();
    exit();
    await done;
    assert.ok(performance.now() - t0 < 200);
  });

  it('ends at once when not running; existing content first', async () => {
    const p = fresh();
    fs.writeFileSync(p, Buffer.concat([line(0, 'a'), line(1, 'b', 'stdout', true)]));
    const { got, done } = await follow(p, {}, () => false);
    await done;
    assert.deepEqual(show(got), ['o:a\n', 'o:b']);
  });

  it('tail then new lines', async () => {
    const p = fresh();
    fs.writeFileSync(p, Buffer.concat([line(0, 'a'), line(1, 'b'), line(2, 'c')]));
    let running = true;
    const { got, done } = await follow(p, { tail: 1 }, () => running);
    await until(() => got.length === 1);
    fs.appendFileSync(p, line(3, 'd'));
    await until(() => got.length === 2);
    running = false;
    await done;
    assert.deepEqual(show(got), ['o:c\n', 'o:d\n']);
  });

  it('tail 0: only new output', async () => {
    const p = fresh();
    fs.writeFileSync(p, Buffer.concat([line(0, 'a'), Buffer.from(line(1, 'b').subarray(0, 20))]));
    let running = true;
    const { got, done } = await follow(p, { tail: 0 }, () => running);
    await sleep(50);
    fs.appendFileSync(p, Buffer.concat([line(1, 'b').subarray(20), line(2, 'c')])); // completes the half-written record
    await until(() => got.length === 2);
    running = false;
    await done;
    assert.deepEqual(show(got), ['o:b\n', 'o:c\n']);
  });

  it('partials: joined when the rest comes soon, delivered as they stand after a quiet spell', async () => {
    const p = fresh();
    fs.writeFileSync(p, '');
    let running = true;
    const { got, done } = await follow(p, {}, () => running);
    await sleep(20);
    fs.appendFileSync(p, line(1, 'Password: ', 'stderr', true));
    await until(() => got.length === 1);
    assert.deepEqual(show(got), ['e:Password: ']);
    fs.appendFileSync(p, Buffer.concat([line(2, 'hun', 'stdout', true)]));
    await sleep(10);
    fs.appendFileSync(p, Buffer.concat([line(3, 'ter2', 'stdout'), line(4, '', 'stderr')]));
    await until(() => got.length === 3);
    running = false;
    await done;
    assert.deepEqual(show(got), ['e:Password: ', 'o:hunter2\n', 'e:\n']);
  });

  it('survives rotation by rename (conmon --log-size-max) and reads what the old file got last', async () => {
    const p = fresh();
    let fd = fs.openSync(p, 'a');
    fs.writeSync(fd, line(0, 'old 1'));
    let running = true;
    const { got, done } = await follow(p, {}, () => running);
    await until(() => got.length === 1);
    // conmon: a last write to the old file, then fsync, close, open <log>.tmp, rename onto <log>
    fs.writeSync(fd, Buffer.concat([line(1, 'old 2 (par', 'stdout', true)]));
    fs.closeSync(fd);
    fd = fs.openSync(`${p}.tmp`, 'w');
    fs.renameSync(`${p}.tmp`, p);
    fs.writeSync(fd, Buffer.concat([line(2, 't)', 'stdout'), line(3, 'new 1')]));
    await until(() => got.length >= 3);
    // and again, quickly twice
    for (const k of [4, 5]) {
      fs.closeSync(fd);
      fd = fs.openSync(`${p}.tmp`, 'w');
      fs.renameSync(`${p}.tmp`, p);
      fs.writeSync(fd, line(k, `new ${k}`));
      await until(() => got.length >= k);
    }
    fs.closeSync(fd);
    running = false;
    await done;
    assert.deepEqual(show(got), ['o:old 1\n', 'o:old 2 (part)\n', 'o:new 1\n', 'o:new 4\n', 'o:new 5\n']);
  });

  it('survives truncation in place', async () => {
    const p = fresh();
    fs.writeFileSync(p, Buffer.concat([line(0, 'a long line before truncation'), line(1, 'another long line before it')]));
    let running = true;
    const { got, done } = await follow(p, {}, () => running);
    await until(() => got.length === 2);
    fs.truncateSync(p, 0);
    fs.appendFileSync(p, line(2, 'x'));
    await until(() => got.length === 3);
    fs.appendFileSync(p, line(3, 'y'));
    await until(() => got.length === 4);
    running = false;
    await done;
    assert.deepEqual(show(got).slice(2), ['o:x\n', 'o:y\n']);
  });

  it('waits for a log file that does not exist yet', async () => {
    const p = fresh();
    fs.rmSync(p, { force: true });
    let running = true;
    const { got, done } = await follow(p, {}, () => running);
    await sleep(30);
    fs.writeFileSync(p, line(0, 'hello'));
    await until(() => got.length === 1);
    running = false;
    await done;
    assert.deepEqual(show(got), ['o:hello\n']);
  });

  it('stops on abort, and when reading passes until', async () => {
    const p = fresh();
    fs.writeFileSync(p, line(0, 'a'));
    const ac = new AbortController();
    const { got, done } = await follow(p, { signal: ac.signal }, () => true);
    await until(() => got.length === 1);
    const t0 = performance.now();
    ac.abort();
    await done;
    assert.ok(performance.now() - t0 < 200);

    // a record after `until` ends the follow even though the container runs
    // (`until` in the future, so the clock does not end it first)
    const now = BigInt(Date.now()) * MS;
    const at = (ms: number, c: string) => encodeK8sRecord(now + BigInt(ms) * MS, 'stdout', false, c);
    const q = fresh();
    fs.writeFileSync(q, at(0, 'a'));
    const f2 = await follow(q, { until: now + 60_000n * MS }, () => true);
    await until(() => f2.got.length === 1);
    fs.appendFileSync(q, Buffer.concat([at(60_000, 'b'), at(60_001, 'c')]));
    await f2.done;
    assert.deepEqual(show(f2.got), ['o:a\n', 'o:b\n']);

    // the clock passing `until` (+1 s) ends it too, after the file is drained
    const f3 = await follow(q, { until: now - 2000n * MS }, () => true);
    const t1 = performance.now();
    await f3.done;
    assert.ok(performance.now() - t1 < 500);
    assert.deepEqual(show(f3.got), []);
    const f4 = await follow(q, { until: now + 500n * MS, since: now - 1n }, () => true);
    await f4.done;
    assert.deepEqual(show(f4.got), ['o:a\n']);
  });

  it('the consumer may stop early (generator return closes the file)', async () => {
    const p = fresh();
    fs.writeFileSync(p, Buffer.concat([line(0, 'a'), line(1, 'b')]));
    for await (const e of readLog(p, { ...ALL, follow: true }, () => true, FAST)) {
      assert.equal(e.line.toString(), 'a\n');
      break;
    }
  });
});

describe('formatEntry', () => {
  const e: LogEntry = { stream: 'stderr', time: BASE, timeText: '2026-11-28T04:08:36.000000000Z', line: Buffer.from('oops\n') };
  it('frames without a TTY, raw with one, optional timestamp prefix', () => {
    assert.deepEqual(demuxAll(formatEntry(e, { timestamps: false, tty: false })).map((f) => [f.stream, f.payload.toString()]), [
      [2, 'oops\n'],
    ]);
    assert.deepEqual(
      demuxAll(formatEntry({ ...e, stream: 'stdout' }, { timestamps: true, tty: false })).map((f) => [f.stream, f.payload.toString()]),
      [[1, '2026-11-28T04:08:36.000000000Z oops\n']],
    );
    assert.equal(formatEntry(e, { timestamps: false, tty: true }).toString(), 'oops\n');
    assert.equal(formatEntry(e, { timestamps: true, tty: true }).toString(), '2026-11-28T04:08:36.000000000Z oops\n');
  });
});

// ---------------------------------------------------------------------------

describe('readLog: a 100 MB log', () => {
  let big: string;
  let lines = 0;
  let size = 0;
  before(() => {
    big = fresh('big.log');
    const fd = fs.openSync(big, 'w');
    const payload = 'x'.repeat(40);
    let t = BASE;
    const target = 100 * 1024 * 1024;
    while (size < target) {
      const parts: string[] = [];
      for (let k = 0; k < 10000; k++) {
        t += 1000n;
        const ts = formatK8sTimestamp(t);
        const i = lines++;
        if (i % 10 === 9) parts.push(`${ts} stderr F err ${i} ${payload}\n`);
        else if (i % 10 === 4) parts.push(`${ts} stdout P part ${i} \n${ts} stdout F ${payload}\n`);
        else parts.push(`${ts} stdout F line ${i} ${payload}\n`);
      }
      const buf = Buffer.from(parts.join(''));
      fs.writeSync(fd, buf);
      size += buf.length;
    }
    fs.closeSync(fd);
  });

  it('streams with bounded memory', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const mem = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    gc();
    const base = mem();
    let peak = 0;
    let count = 0;
    let bytes = 0;
    let batches = 0;
    const t0 = performance.now();
    for await (const batch of readLogBatches(big, ALL, () => false)) {
      count += batch.length;
      for (const e of batch) bytes += e.line.length;
      if (++batches % 16 === 0) peak = Math.max(peak, mem() - base);
    }
    const ms = performance.now() - t0;
    gc();
    const residual = mem() - base;
    assert.equal(count, lines);
    const rssMB = process.memoryUsage().rss / 1048576;
    console.log(
      `      100 MB (${(size / 1048576).toFixed(0)} MiB, ${count} lines): batches ${ms.toFixed(0)} ms ` +
        `(${((size / 1048576 / ms) * 1000).toFixed(0)} MiB/s), peak heap+buffers growth ${(peak / 1048576).toFixed(1)} MiB ` +
        `(after gc ${(residual / 1048576).toFixed(1)} MiB), rss ${rssMB.toFixed(0)} MiB`,
    );
    assert.ok(bytes > 0);
    assert.ok(peak < 64 * 1024 * 1024, `heap grew by ${peak} bytes`);

    // per entry, as the route would consume it with timestamps and framing
    let framed = 0;
    const t1 = performance.now();
    for await (const e of readLog(big, ALL, () => false)) framed += formatEntry(e, { timestamps: true, tty: false }).length;
    const ms1 = performance.now() - t1;
    console.log(`      100 MB per entry + formatEntry(-t, framed): ${ms1.toFixed(0)} ms, ${(framed / 1048576).toFixed(0)} MiB out`);
  });

  it('tail reads backwards from the end', async () => {
    for (const tail of [1, 10, 1000]) {
      const t0 = performance.now();
      const es = await collect(big, { tail });
      const ms = performance.now() - t0;
      assert.equal(es.length, tail);
      assert.match(es[es.length - 1]!.line.toString(), new RegExp(`^(line|err) ${lines - 1} x+\\n$`));
      console.log(`      tail ${tail} on 100 MB: ${ms.toFixed(1)} ms`);
      assert.ok(ms < 500, `tail ${tail} took ${ms} ms`);
    }
    // stderr is every 10th line: tail 5 of stderr only
    const t0 = performance.now();
    const es = await collect(big, { tail: 5, stdout: false });
    console.log(`      tail 5 --stderr-only on 100 MB: ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(es.length, 5);
    assert.ok(es.every((e) => e.stream === 'stderr'));
    // a joined line (P + F) within the tail
    const j = await collect(big, { tail: 20 });
    assert.ok(j.some((e) => /^part \d+ x+\n$/.test(e.line.toString())));
  });
});
