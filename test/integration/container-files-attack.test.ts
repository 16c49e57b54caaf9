/**
 * Attacks on the files of containers (CVE-2018-15664 / CVE-2019-14271 class),
 * against a real berthd:
 *  - a running container swaps a directory for a symlink to a host directory
 *    in a tight loop while `cp` copies hundreds of files out of it and into
 *    it, while `export` and `commit --pause=false` read it, and while a new
 *    container's copy-up writes into a volume it holds: no host byte may
 *    appear in what comes out, no byte may land in the host directory;
 *  - a container puts a FIFO, a device, a symlink out or a 10 GB file where
 *    the daemon reads /etc/passwd, /etc/group or /etc/hosts: a clear error
 *    for that container only, `/_ping` keeps answering meanwhile, and the
 *    container can still be removed with `rm -f`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { cliSession } from '../harness/clients.js';
import { REPO, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { loadBusybox } from '../harness/fixtures.js';
import { sleep, until } from '../harness/wait.js';

const SECRET = 'HOST-SECRET-5e1b';
const FILES = 300;

interface Reply {
  status: number;
  body: Buffer;
  /** The daemon cut the stream after the headers (a copy that failed half-way). */
  aborted: boolean;
}

/** One request on its own connection; what arrived before a cut is kept (and checked by the callers). */
function request(d: TestDaemon, method: string, path: string, body?: Buffer, timeoutMs = 60_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, agent: false, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {}, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      const finish = (aborted: boolean) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), aborted });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(false));
      res.on('aborted', () => finish(true));
      res.on('error', () => finish(true));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    // A connection the daemon reset while the body was still going in: the copy failed, the daemon lives on.
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? resolve({ status: 0, body: Buffer.alloc(0), aborted: true }) : reject(err)));
    req.end(body);
  });
}

/** Pings every 20 ms while fn runs; returns fn's result and the slowest ping (ms). */
async function whilePinging<T>(d: TestDaemon, fn: () => Promise<T>): Promise<{ result: T; slowest: number }> {
  let done = false;
  let slowest = 0;
  const pinger = (async () => {
    while (!done) {
      const t = performance.now();
      const r = await request(d, 'GET', '/_ping', undefined, 5_000).catch(() => ({ status: 0, body: Buffer.alloc(0) }));
      const ms = r.status === 200 ? performance.now() - t : 5_000;
      slowest = Math.max(slowest, ms);
      await sleep(20);
    }
  })();
  try {
    return { result: await fn(), slowest };
  } finally {
    done = true;
    await pinger;
  }
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of Object.entries(files)) pack.entry({ name }, data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Host files get this access time; any read of them (or listing of their directory) by the daemon moves it (relatime). */
const UNREAD = new Date('2001-01-01T00:00:00Z');

/** The host directory the container's symlink points at: files a leak would read, and where a leaked write would land. */
function hostTarget(base: string, name: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(dir, `f${i}`), `${SECRET} ${i}\n`);
    utimesSync(join(dir, `f${i}`), UNREAD, new Date());
  }
  utimesSync(dir, UNREAD, new Date());
  return dir;
}

/**
 * What the daemon did to the host directory: files read (their atime moved),
 * the directory listed, files written into it. Only stat calls here, until the
 * final listing, whose own atime change is then undone.
 */
function hostTouched(dir: string): string[] {
  const out: string[] = [];
  if (statSync(dir).atimeMs !== UNREAD.getTime()) out.push('(directory listed)');
  for (let i = 0; i < FILES; i++) if (statSync(join(dir, `f${i}`)).atimeMs !== UNREAD.getTime()) out.push(`read f${i}`);
  for (const n of readdirSync(dir)) if (!/^f\d+$/.test(n)) out.push(`wrote ${n}`);
  utimesSync(dir, UNREAD, statSync(dir).mtime);
  return out;
}

/** Compiles the attacker's helper (test/fixtures/race-helper.c) as a static binary, to bind-mount into containers. */
function raceHelper(dir: string): string {
  const out = join(dir, 'race-helper');
  const r = spawnSync('gcc', ['-static', '-O2', '-o', out, join(REPO, 'test/fixtures/race-helper.c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `cannot build the race helper: ${r.stderr}`);
  return out;
}

/**
 * A container that keeps /w/d trading places with a symlink to `target` (a
 * host path that does not exist inside it), atomically, as fast as it can.
 */
const swapper = (helper: string, target: string) => [
  '-v',
  `${helper}:/race:ro`,
  'busybox',
  'sh',
  '-c',
  `mkdir -p /w/d; i=0; while [ $i -lt ${FILES} ]; do echo inside-$i > /w/d/f$i; i=$((i+1)); done; ` +
    `ln -s ${target} /w/link; echo ready; exec /race exchange /w/d /w/link`,
];

describe('files of running containers: no path a container can swap is ever followed on the host', () => {
  let d: TestDaemon;
  const { ok, run } = cliSession('docker', () => d);
  const readyLogs = (id: string) => until(`container ${id.slice(0, 12)} to be ready`, async () => (await ok(['logs', id])).includes('ready'), 30_000);

  let helper: string;

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    helper = raceHelper(d.base);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('cp out of a container that swaps a directory for a symlink in a tight loop', async (t) => {
    const target = hostTarget(d.base, 'cp-out-target');
    const id = await ok(['run', '-d', '--network', 'none', ...swapper(helper, target)]);
    await readyLogs(id);
    let copied = 0;
    const deadline = Date.now() + 12_000;
    let rounds = 0;
    for (let round = 0; Date.now() < deadline; round++, rounds++) {
      const out = await request(d, 'GET', `/containers/${id}/archive?path=/w`);
      if (out.status === 200 && !out.aborted) copied++;
      assert.ok(!out.body.includes(SECRET), `round ${round}: cp out of the container sent host file content`);
      assert.deepEqual(hostTouched(target), [], `round ${round}: cp out of the container read the host directory`);
    }
    // The loop raced the copies; some complete, some fail cleanly.
    t.diagnostic(`cp out: ${copied} of ${rounds} copies completed, the others failed cleanly`);
    assert.ok(copied > 0, 'no copy completed');
    await ok(['rm', '-f', id]);
  });

  it('cp into a container that swaps a directory for a symlink in a tight loop', async (t) => {
    const target = hostTarget(d.base, 'cp-in-target');
    const id = await ok(['run', '-d', '--network', 'none', ...swapper(helper, target)]);
    await readyLogs(id);
    const input = await tarOf(Object.fromEntries(Array.from({ length: FILES }, (_, i) => [`d/g${i}`, `from-cp ${i}\n`])));
    let copied = 0;
    const deadline = Date.now() + 12_000;
    let rounds = 0;
    for (let round = 0; Date.now() < deadline; round++, rounds++) {
      const put = await request(d, 'PUT', `/containers/${id}/archive?path=/w`, input);
      if (put.status === 200) copied++;
      assert.deepEqual(hostTouched(target), [], `round ${round}: cp into the container reached the host directory`);
    }
    t.diagnostic(`cp in: ${copied} of ${rounds} copies completed, the others failed cleanly`);
    assert.ok(copied > 0, 'no copy completed');
    await ok(['rm', '-f', id]);
  });

  it('export and commit (--pause=false) of a container that swaps a directory for a symlink', async (t) => {
    const target = hostTarget(d.base, 'export-target');
    const id = await ok(['run', '-d', '--network', 'none', ...swapper(helper, target)]);
    await readyLogs(id);
    let exported = 0;
    let committed = 0;
    const deadline = Date.now() + 15_000;
    let rounds = 0;
    for (let round = 0; Date.now() < deadline; round++, rounds++) {
      const exp = await request(d, 'GET', `/containers/${id}/export`);
      if (exp.status === 200 && !exp.aborted) exported++;
      assert.ok(!exp.body.includes(SECRET), `round ${round}: export sent host file content`);
      assert.deepEqual(hostTouched(target), [], `round ${round}: export read the host directory`);
      const c = await request(d, 'POST', `/commit?container=${id}&pause=0&repo=swapped&tag=r${round}`);
      assert.deepEqual(hostTouched(target), [], `round ${round}: commit read the host directory`);
      if (c.status !== 201) continue;
      committed++;
      const image = (JSON.parse(c.body.toString()) as { Id: string }).Id;
      const saved = await request(d, 'GET', `/images/${image}/get`);
      assert.equal(saved.status, 200);
      assert.ok(!saved.body.includes(SECRET), `round ${round}: commit put the host directory into an image`);
      await request(d, 'DELETE', `/images/${image}?force=1`);
    }
    t.diagnostic(`export: ${exported} of ${rounds} completed; commit: ${committed} of ${rounds}`);
    assert.ok(exported > 0 && committed > 0, `nothing completed (export ${exported}, commit ${committed})`);
    await ok(['rm', '-f', id]);
  });

  it('copy-up into a volume that a running container holds and tampers with', async () => {
    const target = join(d.base, 'copyup-target');
    mkdirSync(target);
    // An image with many directories under /data, for a copy-up with many chances to race.
    const maker = await ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'for i in $(seq 0 29); do mkdir -p /data/s$i; for j in $(seq 0 19); do echo x > /data/s$i/f$j; done; done; echo ready; sleep 600']);
    await readyLogs(maker);
    await ok(['commit', maker, 'datatree:1']);
    await ok(['rm', '-f', maker]);
    for (let trial = 0; trial < 8; trial++) {
      const vol = `held${trial}`;
      await ok(['volume', 'create', vol]);
      // Each directory copy-up creates is swapped for a symlink to the host directory as soon as it appears.
      const attacker = await ok(['run', '-d', '--network', 'none', '-v', `${vol}:/v`, '-v', `${helper}:/race:ro`, 'busybox', 'sh', '-c', `echo ready; exec /race hijack /v ${target}`]);
      await readyLogs(attacker);
      const c = await run(['create', '--network', 'none', '-v', `${vol}:/data`, 'datatree:1', 'true']);
      assert.deepEqual(readdirSync(target), [], `trial ${trial}: copy-up wrote into the host directory`);
      if (c.code === 0) await ok(['rm', c.stdout.trim()]);
      await ok(['rm', '-f', attacker]);
      await ok(['volume', 'rm', vol]);
    }
  });
});

describe('reading files of a container never blocks the daemon', () => {
  let d: TestDaemon;
  const { ok, run } = cliSession('docker', () => d);
  const readyLogs = (id: string) => until(`container ${id.slice(0, 12)} to be ready`, async () => (await ok(['logs', id])).includes('ready'), 30_000);

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  /** A running container that replaced `path` by what `setup` makes; exec -u must fail clearly while pings keep answering. */
  async function execUserAgainst(setup: string, expect: RegExp): Promise<void> {
    const id = await ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', `${setup} && echo ready; sleep 600`]);
    await readyLogs(id);
    const { result, slowest } = await whilePinging(d, () => run(['exec', '-u', 'nobody', id, 'true'], { timeoutMs: 20_000 }));
    assert.notEqual(result.code, 0, 'exec -u succeeded although the account files are unreadable');
    // As with dockerd, an exec that cannot start reports it in its output stream.
    assert.match(result.stdout + result.stderr, expect);
    assert.ok(slowest < 500, `/_ping took ${slowest.toFixed(0)} ms while the daemon read the container's files`);
    const t = performance.now();
    await ok(['rm', '-f', id], { timeoutMs: 10_000 });
    assert.ok(performance.now() - t < 5_000, 'rm -f of the container was slow');
  }

  it('a FIFO as /etc/passwd', async () => {
    await execUserAgainst('rm /etc/passwd && mkfifo /etc/passwd', /\/etc\/passwd.*a FIFO, not a regular file/);
  });

  it('a device as /etc/group', async () => {
    await execUserAgainst('rm /etc/group && mknod /etc/group c 1 5', /\/etc\/group.*a character device, not a regular file/);
  });

  it('a 10 GB file as /etc/passwd', async () => {
    await execUserAgainst('truncate -s 10G /etc/passwd', /\/etc\/passwd.*10737418240 bytes, more than the \d+ allowed/);
  });

  it('a symlink out of the container as /etc/passwd reads the container path, never the host file', async () => {
    // The host has a file at the link's target naming a user; the container does not.
    const hostPasswd = join(d.base, 'host-passwd');
    writeFileSync(hostPasswd, 'hostonlyuser:x:4242:4242::/:/bin/sh\n');
    const id = await ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', `ln -sf ${hostPasswd} /etc/passwd && echo ready; sleep 600`]);
    await readyLogs(id);
    const r = await run(['exec', '-u', 'hostonlyuser', id, 'id', '-u']);
    assert.notEqual(r.code, 0, `the host file was read as the container's passwd: ${r.stdout}`);
    assert.match(r.stdout + r.stderr, /unable to find user hostonlyuser/);
    await ok(['rm', '-f', id]);
  });

  it('a FIFO as /etc/passwd in an image: start fails with a clear error, the daemon stays responsive', async () => {
    const maker = await ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'rm /etc/passwd && mkfifo /etc/passwd && echo ready; sleep 600']);
    await readyLogs(maker);
    await ok(['commit', maker, 'fifo-passwd:1']);
    await ok(['rm', '-f', maker]);
    const { result, slowest } = await whilePinging(d, () => run(['run', '--name', 'fifo-start', '--network', 'none', 'fifo-passwd:1', 'true'], { timeoutMs: 20_000 }));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /\/etc\/passwd.*a FIFO, not a regular file/);
    assert.ok(slowest < 500, `/_ping took ${slowest.toFixed(0)} ms`);
    await ok(['rm', '-f', 'fifo-start']);
  });

  it("a 10 GB /etc/hosts of a container whose network another joins", async () => {
    const id = await ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'truncate -s 10G /etc/hosts && echo ready; sleep 600']);
    await readyLogs(id);
    const { result, slowest } = await whilePinging(d, () => run(['run', '--rm', '--network', `container:${id}`, 'busybox', 'true'], { timeoutMs: 20_000 }));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /\/etc\/hosts of container [0-9a-f]{12}.*more than the \d+ allowed/);
    assert.ok(slowest < 500, `/_ping took ${slowest.toFixed(0)} ms`);
    await ok(['rm', '-f', id]);
  });
});
