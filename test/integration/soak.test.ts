/**
 * Load and faults together: 10 concurrent clients create, start, exec into,
 * reach over a published port, stop and remove short-lived containers with
 * volumes, for BERTH_SOAK_SECONDS (default 150), while berthd is killed with
 * -9 and restarted once mid-way and a client disconnects in the middle of
 * attach sessions. All traffic stays on this machine (the daemon's socket and
 * 127.0.0.1).
 *
 * Afterwards: every request was answered (or refused only while berthd was
 * down), every failure carried a message, every container left can be
 * removed, and the host holds no mount, veth, DNAT rule, monitor or scratch
 * file of the daemon's; berthd's memory is within a few MB of where it was
 * after warm-up. The counts are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { loadBusybox } from '../harness/fixtures.js';
import { sleep } from '../harness/wait.js';

const SECONDS = Number(process.env['BERTH_SOAK_SECONDS'] ?? 150);
const CLIENTS = 10;

interface Reply {
  status: number;
  body: Buffer;
}

class Unanswered extends Error {}

function call(d: TestDaemon, method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<Reply> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: d.socket, method, path, agent: false, timeout: timeoutMs, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(new Unanswered(e.message)));
        res.on('aborted', () => reject(new Unanswered('response aborted')));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE'].includes((e as NodeJS.ErrnoException).code ?? '') ? new Unanswered(e.message) : e));
    req.end(data);
  });
}

/** Strips the 8-byte stream headers of a multiplexed (non-TTY) exec/attach body. */
function demux(b: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= b.length; ) {
    const n = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + n).toString();
    i += 8 + n;
  }
  return out;
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => resolve(s));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface Memory {
  heapUsedMB: number;
  rssMB: number;
}

/** The daemon's memory after a full collection (berthd logs it on SIGUSR2). */
async function memoryAfterGc(d: TestDaemon): Promise<Memory> {
  const line = /memory after a full collection rssMB=([\d.]+) heapUsedMB=([\d.]+)/g;
  const seen = [...d.log().matchAll(line)].length;
  process.kill(d.pid!, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const all = [...d.log().matchAll(line)];
    if (all.length > seen) {
      const m = all[all.length - 1]!;
      return { rssMB: Number(m[1]), heapUsedMB: Number(m[2]) };
    }
    await sleep(50);
  }
  throw new Error('berthd did not report its memory on SIGUSR2');
}

interface Counts {
  requests: number;
  answered: number;
  failedWithMessage: number;
  unansweredWhileDown: number;
  cycles: number;
  cyclesFailed: number;
  attachCut: number;
  violations: string[];
}

describe('soak: 10 clients with containers, ports, volumes, exec and attach, a kill -9 mid-way', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it(`keeps answering for ${SECONDS} s and leaves nothing behind`, { timeout: (SECONDS + 240) * 1000 }, async (t) => {
    const counts: Counts = { requests: 0, answered: 0, failedWithMessage: 0, unansweredWhileDown: 0, cycles: 0, cyclesFailed: 0, attachCut: 0, violations: [] };
    let down = false;
    /** One request, classified; throws (after recording) when it was not a success. */
    const api = async (method: string, path: string, body?: unknown, expect = [200, 201, 204]): Promise<Reply> => {
      counts.requests++;
      let r: Reply;
      try {
        r = await call(d, method, path, body);
      } catch (e) {
        if (e instanceof Unanswered && down) {
          counts.unansweredWhileDown++;
          throw e;
        }
        counts.violations.push(`${method} ${path}: no answer while berthd was up (${(e as Error).message})`);
        throw e;
      }
      counts.answered++;
      if (expect.includes(r.status)) return r;
      let message = '';
      try {
        message = (JSON.parse(r.body.toString()) as { message?: string }).message ?? '';
      } catch {
        message = '';
      }
      if (message) counts.failedWithMessage++;
      else counts.violations.push(`${method} ${path}: ${r.status} without a message: ${r.body.toString().slice(0, 200)}`);
      throw new Error(`${method} ${path}: ${r.status} ${message}`);
    };

    const cycle = async (client: number, n: number): Promise<void> => {
      const name = `soak-${client}-${n}`;
      const created = await api('POST', `/containers/create?name=${name}`, {
        Image: 'busybox',
        Cmd: ['sh', '-c', 'echo hello-$HOSTNAME > /data/index.html; exec httpd -f -p 8080 -h /data'],
        ExposedPorts: { '8080/tcp': {} },
        HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Binds: [`soak-vol-${client}:/data`] },
      });
      const id = (JSON.parse(created.body.toString()) as { Id: string }).Id;
      try {
        await api('POST', `/containers/${id}/start`);
        const info = JSON.parse((await api('GET', `/containers/${id}/json`)).body.toString()) as { NetworkSettings: { Ports: Record<string, { HostPort: string }[] | null> } };
        const port = Number(info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort);
        const exec = JSON.parse((await api('POST', `/containers/${id}/exec`, { Cmd: ['cat', '/data/index.html'], AttachStdout: true, AttachStderr: true })).body.toString()) as { Id: string };
        const out = demux((await api('POST', `/exec/${exec.Id}/start`, { Detach: false, Tty: false })).body);
        if (!out.startsWith('hello-')) counts.violations.push(`exec in ${name} printed ${JSON.stringify(out)}`);
        let page = '';
        for (let i = 0; i < 40 && !page.startsWith('hello-'); i++) {
          page = await httpGet(port).catch(() => '');
          if (!page) await sleep(50);
        }
        if (!page.startsWith('hello-')) counts.violations.push(`the published port of ${name} (127.0.0.1:${port}) did not answer`);
        if (client === 0 && n % 3 === 0) await cutAttach(id);
        await api('POST', `/containers/${id}/stop?t=1`);
      } finally {
        await api('DELETE', `/containers/${id}?force=1&v=1`).catch(() => {});
      }
    };

    /** A hijacked attach that the client abandons while output flows. */
    const cutAttach = async (id: string): Promise<void> => {
      const ex = JSON.parse((await api('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'while :; do echo flowing; done'], AttachStdout: true })).body.toString()) as { Id: string };
      await new Promise<void>((resolve) => {
        const s = net.connect(d.socket);
        const body = JSON.stringify({ Detach: false, Tty: false });
        s.on('connect', () => s.write(`POST /exec/${ex.Id}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
        let got = 0;
        s.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 64 * 1024) {
            s.destroy();
            counts.attachCut++;
            resolve();
          }
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
      counts.requests++;
    };

    // Warm-up with every client at once (the daemon's heap reaches its working size), then the memory baseline.
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < 5; i++) await cycle(c, -1 - i);
    }));
    const baselinePid = d.pid!;
    const baseline = await memoryAfterGc(d);

    const deadline = Date.now() + SECONDS * 1000;
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; Date.now() < deadline; n++) {
        counts.cycles++;
        try {
          await cycle(c, n);
        } catch {
          counts.cyclesFailed++;
          if (down) await sleep(200);
        }
      }
    });
    let beforeKill: Memory | undefined;
    const crash = (async () => {
      await sleep((SECONDS * 1000) / 2);
      beforeKill = await memoryAfterGc(d);
      down = true;
      await d.kill();
      await sleep(1000);
      await d.start();
      // Requests sent just before the restart may still be refused: allow a second.
      await sleep(1000);
      down = false;
    })();
    await Promise.all([...clients, crash]);

    // Every container left is whole: it can be inspected and removed.
    const left = JSON.parse((await call(d, 'GET', '/containers/json?all=1')).body.toString()) as { Id: string; Names: string[] }[];
    for (const c of left) {
      const ins = await call(d, 'GET', `/containers/${c.Id}/json`);
      assert.equal(ins.status, 200, `${c.Names[0]} cannot be inspected: ${ins.body.toString()}`);
      const r = await call(d, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
      assert.equal(r.status, 204, `${c.Names[0]} cannot be removed: ${r.body.toString()}`);
    }
    for (let c = 0; c < CLIENTS; c++) await call(d, 'DELETE', `/volumes/soak-vol-${c}`);
    const final = await memoryAfterGc(d);

    t.diagnostic(
      `${SECONDS} s, ${CLIENTS} clients: ${counts.cycles} container cycles (${counts.cyclesFailed} failed), ${counts.requests} requests, ${counts.answered} answered, ` +
        `${counts.failedWithMessage} failed with a message, ${counts.unansweredWhileDown} refused while berthd was down, ${counts.attachCut} attach sessions cut, ` +
        `${left.length} containers left after the run (all removed); berthd after a full collection: heap ${baseline.heapUsedMB} MB (RSS ${baseline.rssMB} MB) after warm-up, ` +
        `${beforeKill!.heapUsedMB} MB (RSS ${beforeKill!.rssMB} MB) just before the kill (pid ${baselinePid}), ${final.heapUsedMB} MB (RSS ${final.rssMB} MB) at the end (pid ${d.pid})`,
    );
    assert.deepEqual(counts.violations, [], 'requests without an answer or without a message');
    assert.ok(counts.cycles - counts.cyclesFailed > CLIENTS * 5, `too few cycles completed: ${counts.cycles - counts.cyclesFailed}`);

    // Nothing of the daemon's is left on the host.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(`${d.base}/`));
    assert.deepEqual(mounts, [], 'mounts left behind');
    const veths = spawnSync('ip', ['-o', 'link', 'show', 'master', d.bridgeName], { encoding: 'utf8' }).stdout.trim();
    assert.equal(veths, '', 'veths left on the bridge');
    const nft = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes('dnat to') && l.includes(d.subnet.split('.').slice(0, 3).join('.')));
    assert.deepEqual(nft, [], 'DNAT rules left behind');
    const monitors = readdirSync('/proc').filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return /^\d+$/.test(p) && argv[0]!.endsWith('conmon') && argv.some((a) => a.includes(d.base));
      } catch {
        return false;
      }
    });
    assert.deepEqual(monitors, [], 'monitors left behind');
    assert.deepEqual(readdirSync(join(d.root, 'tmp')), [], 'scratch files left behind');
    // What the daemon still holds after a full collection; RSS keeps V8's reserved heap and says little.
    assert.ok(beforeKill!.heapUsedMB - baseline.heapUsedMB < 3, `berthd's heap grew from ${baseline.heapUsedMB} MB to ${beforeKill!.heapUsedMB} MB in the first half`);
    assert.ok(final.heapUsedMB - baseline.heapUsedMB < 3, `berthd's heap ended at ${final.heapUsedMB} MB, ${baseline.heapUsedMB} MB after warm-up`);
  });
});
