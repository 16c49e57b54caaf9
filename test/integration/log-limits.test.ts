/**
 * Logs cannot fill the disk: containers that print as fast as they can, or a
 * little per run and restart, against `--log-opt max-size` (Docker's units)
 * and `max-file`, through the docker CLI and dockerode. The log files of a
 * container (counted once per inode, sampled while it writes) never hold more
 * than max-size × max-file plus one record, `logs` still returns the most
 * recent output, `logs -f` keeps following across rotations, and bad values
 * are refused at create without leaving a container behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { sleep } from '../harness/wait.js';

/** conmon writes at most 8 KiB of output per record, plus its header. */
const ONE_RECORD = 8192 + 64;
const NONE = ['--network', 'none'];

/** Bytes of the container's log files, each inode once (generations are hard-linked while held). */
function logBytes(d: TestDaemon, id: string): number {
  const dir = join(d.root, 'containers', id);
  const sizes = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith('container.log')) continue;
    try {
      const st = statSync(join(dir, name));
      sizes.set(st.ino, st.size);
    } catch {
      /* renamed or removed between readdir and stat */
    }
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/** Samples logBytes until `done` settles; returns the largest value seen and how many samples. */
async function peakWhile(d: TestDaemon, id: string, done: Promise<unknown>): Promise<{ peak: number; samples: number }> {
  let finished = false;
  void done.finally(() => (finished = true));
  let peak = 0;
  let samples = 0;
  while (!finished) {
    peak = Math.max(peak, logBytes(d, id));
    samples++;
    await sleep(5);
  }
  return { peak: Math.max(peak, logBytes(d, id)), samples };
}

describe('log limits', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('a container printing ~100 MB as fast as it can stays within max-size=100k × max-file=2 (docker CLI)', async () => {
    const run = await docker(d, ['run', '-d', ...NONE, '--name', 'flood', '--log-opt', 'max-size=100k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', 'seq 1 2000000; echo END']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    const wait = docker(d, ['wait', id], { timeoutMs: 300_000 });
    const { peak, samples } = await peakWhile(d, id, wait);
    assert.equal((await wait).stdout.trim(), '0');
    assert.ok(samples > 20, `sampled ${samples} times`);
    assert.ok(peak <= 2 * 100_000 + ONE_RECORD, `the log files held ${peak} bytes at their peak (limit 200000)`);
    // the most recent output is there, in order
    const tail = await docker(d, ['logs', '--tail', '3', 'flood']);
    assert.equal(tail.stdout, '1999999\n2000000\nEND\n');
    const all = await docker(d, ['logs', 'flood'], { timeoutMs: 60_000 });
    const lines = all.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'END');
    const nums = lines.slice(0, -1).map(Number);
    assert.ok(nums.length > 1000 && nums.length < 100_000, `${nums.length} lines kept`);
    for (let i = 1; i < nums.length; i++) assert.ok(nums[i]! > nums[i - 1]!, `line ${nums[i]} after ${nums[i - 1]}`);
    assert.equal(nums.at(-1), 2_000_000);
  });

  it('logs -f follows across rotations to the end, within max-size=10k × max-file=3 (dockerode)', async () => {
    const api = sdk(d);
    const c = await api.createContainer({
      Image: 'busybox',
      // ~100 bytes a line, 1,000 lines a second: a rotation every ~75 ms
      Cmd: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line-$i-padpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpad"; i=$((i+1)); [ $((i % 20)) -eq 0 ] && usleep 20000; done; echo END'],
      HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } } },
    });
    await c.start();
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const out = new PassThrough();
    api.modem.demuxStream(stream, out, out);
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
    const { peak } = await peakWhile(d, c.id, ended);
    const got = text.trimEnd().split('\n').map((l) => l.replace(/-pad.*$/, ''));
    assert.equal(got.at(-1), 'END', 'the follower reached the end');
    assert.deepEqual(got.slice(0, -1), Array.from({ length: 2000 }, (_, i) => `line-${i}`), 'every line once, in order');
    assert.ok(peak <= 3 * 10_000 + ONE_RECORD, `the log files held ${peak} bytes at their peak (limit 30000)`);
    // afterwards: the latest lines only, contiguous
    const kept = ((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer).toString();
    const keptLines = kept.split('\n').filter((l) => l.includes('line-')).map((l) => Number(/line-(\d+)/.exec(l)![1]));
    assert.ok(keptLines.length > 100 && keptLines.length < 400, `${keptLines.length} lines kept`);
    assert.equal(keptLines.at(-1), 1999);
    assert.deepEqual(keptLines, Array.from({ length: keptLines.length }, (_, i) => 2000 - keptLines.length + i));
  });

  it('restarting a container that writes a little per run does not grow its log past max-size=20000 (plain bytes)', async () => {
    const run = await docker(d, ['run', ...NONE, '--name', 'again', '--log-opt', 'max-size=20000', 'busybox', 'sh', '-c', 'for i in $(seq 1 100); do echo "run-line-$i"; done']);
    assert.equal(run.code, 0, run.stderr);
    const id = (await docker(d, ['inspect', '-f', '{{.Id}}', 'again'])).stdout.trim();
    let peak = logBytes(d, id);
    for (let i = 0; i < 12; i++) {
      const r = await docker(d, ['start', '-a', 'again']);
      assert.equal(r.code, 0, r.stderr);
      peak = Math.max(peak, logBytes(d, id));
    }
    assert.ok(peak <= 20_000 + ONE_RECORD, `after 13 runs of ~5 KB the log files held ${peak} bytes (limit 20000)`);
    const tail = await docker(d, ['logs', '--tail', '2', 'again']);
    assert.equal(tail.stdout, 'run-line-99\nrun-line-100\n');
  });

  it('bad values are a 400 at create that names the option, and create nothing', async () => {
    const before = (await docker(d, ['ps', '-a', '-q'])).stdout;
    const cases: [string[], RegExp][] = [
      [['--log-opt', 'max-size=abc'], /invalid value for max-size: abc: invalid size: 'abc'/],
      [['--log-opt', 'max-size=10x'], /invalid value for max-size: 10x: invalid suffix: 'x'/],
      [['--log-opt', 'max-size=0'], /max-size must be a positive number/],
      [['--log-opt', 'max-size=1m', '--log-opt', 'max-file=0'], /max-file cannot be less than 1/],
      [['--log-opt', 'max-file=two'], /invalid value for max-file: two/],
      [['--log-opt', 'max_size=1m'], /unknown log opt 'max_size' for json-file log driver/],
    ];
    for (const [opts, re] of cases) {
      const r = await docker(d, ['run', ...NONE, ...opts, 'busybox', 'true']);
      assert.equal(r.code, 125, `${opts.join(' ')}: ${r.stdout} ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    await assert.rejects(
      sdk(d).createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '-1' } } } }),
      (e: { statusCode?: number; message?: string }) => e.statusCode === 400 && /max-size/.test(e.message ?? ''),
    );
    assert.equal((await docker(d, ['ps', '-a', '-q'])).stdout, before, 'no container was created');
  });
});
