/**
 * What real clients (docker-py's suite, compose, the docker CLI) expect of a
 * Docker daemon on the container and image side, checked through the docker
 * CLI and dockerode: logging drivers as Docker names them, bodies decoded as
 * Go does, fields honoured or refused by name, and Docker's errors, events
 * and inspect output.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import Docker from 'dockerode';
import { docker, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';

const NONE = ['--network', 'none'];

/** A JSON POST straight to the API (for query parameters dockerode does not pass). */
function post(d: TestDaemon, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request({ socketPath: d.socket, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The status code and message of a failed dockerode call. */
async function apiError(p: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { statusCode?: number; json?: { message?: string }; message: string };
    return { statusCode: err.statusCode ?? 0, message: err.json?.message ?? err.message };
  }
  throw new Error('the call succeeded; an error was expected');
}

describe('docker compatibility: containers and images', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  describe('logging drivers', () => {
    it('json-file is the default and is reported as such (inspect, info)', async () => {
      const run = await docker(d, ['run', ...NONE, '--name', 'log-default', 'busybox', 'echo', 'hello']);
      assert.equal(run.stdout, 'hello\n', run.stderr);
      const t = await docker(d, ['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'log-default']);
      assert.equal(t.stdout.trim(), 'json-file');
      const info = await docker(d, ['info', '-f', '{{.LoggingDriver}}']);
      assert.equal(info.stdout.trim(), 'json-file');
    });

    it('local keeps a readable log; none answers that it cannot be read', async () => {
      assert.equal((await docker(d, ['run', ...NONE, '--name', 'log-local', '--log-driver', 'local', '--log-opt', 'max-size=1m', 'busybox', 'echo', 'loc'])).code, 0);
      assert.equal((await docker(d, ['logs', 'log-local'])).stdout, 'loc\n');
      const none = await docker(d, ['run', ...NONE, '--name', 'log-none', '--log-driver', 'none', 'busybox', 'echo', 'gone']);
      assert.equal(none.stdout, 'gone\n', 'attached output still flows');
      const logs = await docker(d, ['logs', 'log-none']);
      assert.notEqual(logs.code, 0);
      assert.match(logs.stderr, /configured logging driver does not support reading/);
    });

    it('an unknown or absent driver fails at create, and nothing is left behind', async () => {
      const bad = await docker(d, ['create', '--name', 'log-asdf', '--log-driver', 'asdf', 'busybox']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /logger: no log driver named 'asdf' is registered/);
      const syslog = await docker(d, ['create', '--name', 'log-syslog', '--log-driver', 'syslog', 'busybox']);
      assert.match(syslog.stderr, /logging driver 'syslog' is not supported by berth/);
      const opt = await docker(d, ['create', '--log-driver', 'local', '--log-opt', 'labels=a', 'busybox']);
      assert.match(opt.stderr, /unknown log opt 'labels' for local log driver/);
      assert.equal((await docker(d, ['ps', '-aq', '-f', 'name=log-'])).stdout.split('\n').filter(Boolean).length, 3);
    });

    it('logs --details shows the labels, env and tag log-opts pick', async () => {
      const run = await docker(d, [
        'run', ...NONE, '--name', 'log-details', '--label', 'team=a b', '-e', 'STAGE=dev',
        '--log-opt', 'labels=team', '--log-opt', 'env=STAGE', '--log-opt', 'tag={{.Name}}', 'busybox', 'echo', 'x',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal((await docker(d, ['logs', '--details', 'log-details'])).stdout, 'STAGE=dev,tag=log-details,team=a+b x\n');
      assert.equal((await docker(d, ['logs', 'log-details'])).stdout, 'x\n');
    });
  });

  describe('request bodies as Go decodes them', () => {
    it('null for a field means not set (healthcheck StartPeriod, tmpfs Source, Dns)', async () => {
      const c = await sdk(d).createContainer({
        Image: 'busybox',
        Cmd: ['true'],
        User: null,
        Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 1e9, Timeout: 1e9, StartPeriod: null, Retries: 1 },
        HostConfig: { NetworkMode: 'none', Dns: null, Mounts: [{ Type: 'tmpfs', Target: '/scratch', Source: null }] },
      } as unknown as Parameters<ReturnType<typeof sdk>['createContainer']>[0]);
      const info = await c.inspect();
      assert.equal(info.Config.Healthcheck?.Interval, 1e9);
      assert.equal(info.HostConfig.Mounts?.[0]?.Target, '/scratch');
      await c.remove();
    });
  });

  describe('exec and run with a terminal', () => {
    it("exec created with Tty has a real pty (\\r\\n), even when start asks for framed output", async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      const exec = await c.exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2'], Tty: true, AttachStdout: true, AttachStderr: true });
      // docker-py's exec_start sends Tty: false: the output is framed, as stdout, with the terminal's line ends
      const stream = (await exec.start({ hijack: false, Detach: false, Tty: false } as never)) as unknown as Readable;
      const chunks: Buffer[] = [];
      for await (const ch of stream) chunks.push(ch as Buffer);
      const raw = Buffer.concat(chunks);
      assert.equal(raw[0], 1, 'framed as stdout');
      let text = '';
      for (let i = 0; i < raw.length; ) {
        const n = raw.readUInt32BE(i + 4);
        text += raw.subarray(i + 8, i + 8 + n).toString();
        i += 8 + n;
      }
      assert.equal(text, 'out\r\nerr\r\n');
      await c.remove({ force: true });
    });
  });

  describe('cp and archive', () => {
    it('reach volumes and binds of a stopped container, and refuse a read-only one by name', async () => {
      const host = mkdtempSync(join(tmpdir(), 'berth-cp-'));
      try {
        writeFileSync(join(host, 'h.txt'), 'from host\n');
        const run = await docker(d, ['run', ...NONE, '--name', 'cp-vol', '-v', '/vol1', '-v', `${host}:/bound`, '-v', `${host}:/robind:ro`, 'busybox', 'sh', '-c', 'echo data > /vol1/data.txt']);
        assert.equal(run.code, 0, run.stderr);
        const out = mkdtempSync(join(tmpdir(), 'berth-cp-out-'));
        assert.equal((await docker(d, ['cp', 'cp-vol:/vol1/data.txt', join(out, 'data.txt')])).code, 0);
        assert.equal(readFileSync(join(out, 'data.txt'), 'utf8'), 'data\n');
        assert.equal((await docker(d, ['cp', 'cp-vol:/bound/h.txt', join(out, 'h.txt')])).code, 0);
        assert.equal(readFileSync(join(out, 'h.txt'), 'utf8'), 'from host\n');
        writeFileSync(join(out, 'in.txt'), 'into volume\n');
        const put = await docker(d, ['cp', join(out, 'in.txt'), 'cp-vol:/vol1/in.txt']);
        assert.equal(put.code, 0, put.stderr);
        const check = await docker(d, ['run', '--rm', ...NONE, '--volumes-from', 'cp-vol', 'busybox', 'cat', '/vol1/in.txt']);
        assert.equal(check.stdout, 'into volume\n');
        const ro = await docker(d, ['cp', join(out, 'in.txt'), 'cp-vol:/robind/in.txt']);
        assert.notEqual(ro.code, 0);
        assert.match(ro.stderr, /mounted volume is marked read-only/);
        rmSync(out, { recursive: true, force: true });
      } finally {
        await docker(d, ['rm', '-f', 'cp-vol']);
        rmSync(host, { recursive: true, force: true });
      }
    });
  });

  describe('commit', () => {
    it('commits a container that has just exited (pause is skipped), with the config body and changes applied', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', Cmd: ['touch', '/made'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      const img = await c.commit({ repo: 'committed', tag: 'v1', pause: true, changes: 'LABEL from=change', Env: ['ADDED=1'], Labels: { from: 'body', extra: 'x' }, WorkingDir: '/srv' } as never);
      const info = await sdk(d).getImage('committed:v1').inspect();
      assert.equal(info.Id, (img as unknown as { Id: string }).Id);
      assert.ok(info.Config.Env.includes('ADDED=1'), `Env ${info.Config.Env.join(' ')}`);
      assert.equal(info.Config.WorkingDir, '/srv');
      assert.deepEqual(info.Config.Labels, { from: 'change', extra: 'x' });
      const bad = await apiError(c.commit({ repo: 'committed', tag: 'v2', Tty: true } as never) as unknown as Promise<unknown>);
      assert.equal(bad.statusCode, 400);
      assert.match(bad.message, /Tty describes a container's run/);
      await c.remove({ force: true });
    });
  });

  describe('create fields: honoured or refused by name', () => {
    it('Isolation default is kept, anything else refused; Runtime other than runc refused', async () => {
      assert.equal((await docker(d, ['create', '--name', 'iso', '--isolation', 'default', 'busybox'])).code, 0);
      assert.equal((await docker(d, ['inspect', '-f', '{{.HostConfig.Isolation}}', 'iso'])).stdout.trim(), 'default');
      const hv = await docker(d, ['create', '--isolation', 'hyperv', 'busybox']);
      assert.match(hv.stderr, /invalid isolation: "hyperv" on linux/);
      const rt = await docker(d, ['create', '--runtime', 'kata', 'busybox']);
      assert.match(rt.stderr, /Unknown runtime specified kata/);
    });

    it('DeviceCgroupRules let the container use a device it is otherwise denied', async () => {
      // major 42 has no driver: opening it gives EPERM when the cgroup denies it, ENXIO when it allows it
      const args = ['run', '--rm', ...NONE, '--cap-add', 'MKNOD', 'busybox', 'sh', '-c', 'mknod /tmp/z c 42 0 && cat /tmp/z 2>&1; true'];
      const denied = await docker(d, args);
      assert.match(denied.stdout, /Operation not permitted/, denied.stderr);
      const allowed = await docker(d, [args[0]!, '--device-cgroup-rule', 'c 42:* rwm', ...args.slice(1)]);
      assert.match(allowed.stdout, /No such device or address/, allowed.stderr);
      assert.equal((await docker(d, ['create', '--name', 'dcr', '--device-cgroup-rule', 'c 42:* rwm', 'busybox'])).code, 0);
      assert.equal((await docker(d, ['inspect', '-f', '{{.HostConfig.DeviceCgroupRules}}', 'dcr'])).stdout.trim(), '[c 42:* rwm]');
      const bad = await apiError(sdk(d).createContainer({ Image: 'busybox', HostConfig: { DeviceCgroupRules: ['x 1:5 r'] } } as never));
      assert.match(bad.message, /invalid device cgroup format 'x 1:5 r'/);
    });

    it('VolumeDriver: kept, and a missing driver refused when a volume would be made', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', HostConfig: { VolumeDriver: 'foo' } });
      assert.equal((await c.inspect()).HostConfig.VolumeDriver, 'foo');
      await c.remove();
      const err = await apiError(sdk(d).createContainer({ Image: 'busybox', HostConfig: { VolumeDriver: 'foo', Binds: ['named:/data'] } }));
      assert.equal(err.statusCode, 404);
      assert.match(err.message, /error looking up volume plugin foo/);
    });

    it('MaskedPaths and ReadonlyPaths replace the defaults (systempaths=unconfined clears them)', async () => {
      const masked = await docker(d, ['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'cat /proc/timer_list | wc -c']);
      assert.equal(masked.stdout.trim(), '0');
      const open = await docker(d, ['run', '--rm', ...NONE, '--security-opt', 'systempaths=unconfined', 'busybox', 'sh', '-c', 'cat /proc/timer_list | wc -c']);
      assert.ok(Number(open.stdout.trim()) > 0, `unmasked /proc/timer_list: ${open.stdout}${open.stderr}`);
    });

    it('CgroupParent places the container cgroup under it', async () => {
      const run = await docker(d, ['run', '-d', ...NONE, '--name', 'cgp', '--cgroup-parent', '/berth-test-parent', 'busybox', 'sleep', '30']);
      assert.equal(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      const pid = (await docker(d, ['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
      assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`/berth-test-parent/${id}`));
      await docker(d, ['rm', '-f', 'cgp']);
    });

    it('fields berth does not implement are refused with their name', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ StorageOpt: { size: '1G' } }, /HostConfig.StorageOpt is not supported/],
        [{ CpuRealtimeRuntime: 1000 }, /HostConfig.CpuRealtimeRuntime is not supported/],
        [{ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1024 }] }, /HostConfig.BlkioDeviceReadBps is not supported/],
        [{ DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }] }, /HostConfig.DeviceRequests is not supported/],
        [{ UsernsMode: 'private' }, /UsernsMode "private" is not supported/],
      ];
      for (const [hc, re] of cases) {
        const err = await apiError(sdk(d).createContainer({ Image: 'busybox', HostConfig: hc } as never));
        assert.equal(err.statusCode, 400, JSON.stringify(hc));
        assert.match(err.message, re);
      }
      // zero values, as Go clients send them, are fine
      const c = await sdk(d).createContainer({ Image: 'busybox', HostConfig: { StorageOpt: null, CpuRealtimeRuntime: 0, BlkioDeviceReadBps: [], UsernsMode: 'host' } } as never);
      await c.remove();
    });

    it('update refuses a field it does not apply, by name', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
      const err = await apiError(c.update({ KernelMemoryTCP: 1 << 20 } as never));
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /KernelMemoryTCP cannot be updated/);
      const ok = await docker(d, ['update', '--cpu-shares', '512', c.id]);
      assert.equal(ok.code, 0, ok.stderr);
      await c.remove();
    });
  });

  describe('removal as Docker refuses it', () => {
    it('a container waiting to restart is not removed without force', async () => {
      const run = await docker(d, ['run', '-d', ...NONE, '--name', 'restarter', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 1']);
      assert.equal(run.code, 0, run.stderr);
      let seen = false;
      for (let i = 0; i < 50 && !seen; i++) {
        const rm = await docker(d, ['rm', 'restarter']);
        assert.notEqual(rm.code, 0, 'removed without force');
        assert.match(rm.stderr, /Stop the container before attempting removal or force remove/);
        seen = /restarting/.test(rm.stderr);
      }
      assert.ok(seen, 'the container was seen restarting');
      assert.equal((await docker(d, ['rm', '-f', 'restarter'])).code, 0);
    });

    it('docker rm --link removes a legacy link', async () => {
      await docker(d, ['run', '-d', ...NONE, '--name', 'linked', 'busybox', 'sleep', '30']);
      const parent = await docker(d, ['create', '--name', 'linker', '--link', 'linked:al', 'busybox']);
      assert.equal(parent.code, 0, parent.stderr);
      const rm = await docker(d, ['rm', '--link', 'linker/al']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal((await docker(d, ['inspect', '-f', '{{.HostConfig.Links}}', 'linker'])).stdout.trim(), '[]');
      await docker(d, ['rm', '-f', 'linked', 'linker']);
    });
  });

  describe('images', () => {
    it('load of a broken archive fails in its stream, and docker load exits non-zero with the reason', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'berth-load-'));
      writeFileSync(join(tmp, 'broken.tar'), 'abc');
      const r = await docker(d, ['load', '-i', join(tmp, 'broken.tar')]);
      rmSync(tmp, { recursive: true, force: true });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /archive|tar/i);
    });
  });

  describe('exec', () => {
    it('detach keys given as detachKeys (a lowercase key, as docker-py sends) are honoured', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      const exec = await c.exec({ Cmd: ['cat'], Tty: true, AttachStdin: true, AttachStdout: true, detachKeys: 'ctrl-p' } as never);
      assert.equal((await exec.inspect()).DetachKeys, 'ctrl-p');
      await c.remove({ force: true });
    });
  });

  describe('ps filters that look past the record', () => {
    it('health, network, volume, publish and expose keep only what matches', async () => {
      await docker(d, ['network', 'create', 'psnet']);
      await docker(d, ['volume', 'create', 'psvol']);
      const mk = async (name: string, args: string[]) => {
        const r = await docker(d, ['create', '--name', name, ...args, 'busybox', 'sleep', '60']);
        assert.equal(r.code, 0, r.stderr);
      };
      await mk('ps-net', ['--network', 'psnet']);
      await mk('ps-vol', [...NONE, '-v', 'psvol:/data']);
      await mk('ps-pub', ['-p', '127.0.0.1::8080']);
      await mk('ps-exp', [...NONE, '--expose', '9000-9001/udp']);
      await mk('ps-hc', [...NONE, '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1']);
      const names = async (filter: string) =>
        (await docker(d, ['ps', '-a', '--format', '{{.Names}}', '-f', filter])).stdout.split('\n').filter((n) => n.startsWith('ps-')).sort();
      assert.deepEqual(await names('network=psnet'), ['ps-net']);
      assert.deepEqual(await names('volume=psvol'), ['ps-vol']);
      assert.deepEqual(await names('volume=/data'), ['ps-vol']);
      assert.deepEqual(await names('publish=8080'), ['ps-pub']);
      assert.deepEqual(await names('expose=9001/udp'), ['ps-exp']);
      assert.deepEqual(await names('expose=9001'), []);
      assert.deepEqual(await names('health=unhealthy'), []);
      assert.ok((await names('health=none')).includes('ps-net'));
      await docker(d, ['start', 'ps-hc']);
      let unhealthy: string[] = [];
      for (let i = 0; i < 40 && unhealthy.length === 0; i++) {
        unhealthy = await names('health=unhealthy');
        if (!unhealthy.length) await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(unhealthy, ['ps-hc']);
      const bad = await docker(d, ['ps', '-f', 'health=sick']);
      assert.match(bad.stderr, /Unrecognised filter value for health: sick/);
      await docker(d, ['rm', '-f', 'ps-net', 'ps-vol', 'ps-pub', 'ps-exp', 'ps-hc']);
      await docker(d, ['network', 'rm', 'psnet']);
      await docker(d, ['volume', 'rm', 'psvol']);
    });
  });

  describe('lifecycle details', () => {
    it('kill acts while a stop with a long timeout is waiting', async () => {
      await docker(d, ['run', '-d', ...NONE, '--name', 'stubborn', 'busybox', 'sh', '-c', "trap '' TERM; while true; do sleep 1; done"]);
      const started = Date.now();
      const stop = docker(d, ['stop', '-t', '60', 'stubborn'], { timeoutMs: 90_000 });
      await new Promise((r) => setTimeout(r, 1000));
      const kill = await docker(d, ['kill', 'stubborn']);
      assert.equal(kill.code, 0, kill.stderr);
      await stop;
      assert.ok(Date.now() - started < 20_000, `stop returned after ${Date.now() - started} ms`);
      assert.equal((await docker(d, ['inspect', '-f', '{{.State.Running}}', 'stubborn'])).stdout.trim(), 'false');
      await docker(d, ['rm', '-f', 'stubborn']);
    });

    it('State.StartedAt changes on every start', async () => {
      await docker(d, ['run', '-d', ...NONE, '--name', 'restarted', 'busybox', 'sleep', '60']);
      const at = async () => (await docker(d, ['inspect', '-f', '{{.State.StartedAt}}', 'restarted'])).stdout.trim();
      const first = await at();
      await docker(d, ['restart', '-t', '0', 'restarted']);
      const second = await at();
      await docker(d, ['stop', '-t', '0', 'restarted']);
      await docker(d, ['start', 'restarted']);
      const third = await at();
      assert.ok(first < second && second < third, `${first} ${second} ${third}`);
      await docker(d, ['rm', '-f', 'restarted']);
    });

    it('an Env entry without "=" unsets the variable, defaults included', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', Env: ['PATH', 'GONE', 'KEPT=1'], Cmd: ['/bin/sh', '-c', "tr '\\0' '\\n' < /proc/1/environ | cut -d= -f1 | sort | tr '\\n' ' '"], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      await c.wait();
      const logs = (await c.logs({ stdout: true })) as unknown as Buffer;
      // pid 1's initial environment (sh would make up a PATH of its own)
      assert.equal(logs.subarray(8).toString(), 'HOME HOSTNAME KEPT ');
      await c.remove();
    });
  });

  describe('events', () => {
    it("exec and container events carry Docker's actions and attributes", async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      await docker(d, ['run', '-d', ...NONE, '--name', 'ev', '--label', 'team=x', 'busybox', 'sleep', '60']);
      assert.equal((await docker(d, ['exec', 'ev', 'true'])).code, 0);
      assert.equal((await docker(d, ['update', '--cpu-shares', '256', 'ev'])).code, 0);
      const tmp = mkdtempSync(join(tmpdir(), 'berth-ev-'));
      await docker(d, ['cp', 'ev:/etc/hostname', join(tmp, 'h')]);
      await docker(d, ['cp', join(tmp, 'h'), 'ev:/tmp/h']);
      await docker(d, ['export', '-o', join(tmp, 'x.tar'), 'ev']);
      rmSync(tmp, { recursive: true, force: true });
      await docker(d, ['commit', 'ev', 'ev-image']);
      const until = Math.floor(Date.now() / 1000) + 1;
      const ev = await docker(d, ['events', '--since', String(since), '--until', String(until), '-f', 'container=ev', '--format', '{{json .}}']);
      const events = ev.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
      const actions = events.map((e) => e.Action);
      for (const a of ['exec_create: true', 'exec_start: true', 'exec_die', 'update', 'archive-path', 'extract-to-dir', 'export', 'commit']) {
        assert.ok(actions.includes(a), `no ${a} in ${actions.join(', ')}`);
      }
      const die = events.find((e) => e.Action === 'exec_die')!;
      assert.equal(die.Actor.Attributes['exitCode'], '0');
      assert.match(die.Actor.Attributes['execID'] ?? '', /^[0-9a-f]{64}$/);
      assert.equal(die.Actor.Attributes['team'], 'x');
      assert.equal(events.find((e) => e.Action === 'commit')!.Actor.Attributes['imageRef'], 'ev-image:latest');
      await docker(d, ['rm', '-f', 'ev']);
      await docker(d, ['rmi', 'ev-image']);
    });
  });

  describe('cp options', () => {
    it('cp -a owns the files by the container user; without it the archive owners stay', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'berth-cpa-'));
      writeFileSync(join(tmp, 'f.txt'), 'x');
      await docker(d, ['create', '--name', 'cpa', ...NONE, '--user', 'nobody', 'busybox', 'true']);
      assert.equal((await docker(d, ['cp', '-a', join(tmp, 'f.txt'), 'cpa:/tmp/a.txt'])).code, 0);
      assert.equal((await docker(d, ['cp', join(tmp, 'f.txt'), 'cpa:/tmp/plain.txt'])).code, 0);
      await docker(d, ['commit', 'cpa', 'cpa-img']);
      const own = await docker(d, ['run', '--rm', ...NONE, '--user', 'root', 'cpa-img', 'stat', '-c', '%U %u', '/tmp/a.txt', '/tmp/plain.txt']);
      assert.equal(own.stdout, `nobody 65534\nroot 0\n`, own.stderr);
      rmSync(tmp, { recursive: true, force: true });
      await docker(d, ['rm', '-f', 'cpa']);
      await docker(d, ['rmi', 'cpa-img']);
    });

    it('noOverwriteDirNonDir refuses to replace a directory by a file', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
      // a tar with one regular file named "etc", extracted at / over the directory /etc
      const header = Buffer.alloc(512);
      header.write('etc', 0);
      header.write('0000644\0', 100);
      header.write('0000000\0', 108);
      header.write('0000000\0', 116);
      header.write('00000000000\0', 124);
      header.write('00000000000\0', 136);
      header.write('        ', 148);
      header.write('0', 156);
      header.write('ustar\0', 257);
      header.write('00', 263);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      const tar = Buffer.concat([header, Buffer.alloc(1024)]);
      const err = await apiError(c.putArchive(tar, { path: '/', noOverwriteDirNonDir: 'true' }));
      assert.match(err.message, /cannot overwrite directory "\/etc" with non-directory/);
      await c.remove();
    });
  });

  describe('commands Docker users run', () => {
    it('docker system prune and docker builder prune exit 0; docker search says why it cannot', async () => {
      const prune = await docker(d, ['system', 'prune', '-f']);
      assert.equal(prune.code, 0, prune.stderr);
      assert.match(prune.stdout, /Total reclaimed space/);
      const builder = await docker(d, ['builder', 'prune', '-f']);
      assert.equal(builder.code, 0, builder.stderr);
      const search = await docker(d, ['search', 'busybox']);
      assert.notEqual(search.code, 0);
      assert.match(search.stderr, /berth does not search registries/);
    });
  });

  describe('inspect as the client\'s API version has it', () => {
    it('fields come and go with the version; unset lists are null', async () => {
      const c = await sdk(d).createContainer({ Image: 'busybox', MacAddress: '02:42:ac:11:00:09', HostConfig: { NetworkMode: 'none' } } as never);
      const old = (await new Docker({ socketPath: d.socket, version: 'v1.41' }).getContainer(c.id).inspect()) as unknown as {
        Config: Record<string, unknown>;
        HostConfig: Record<string, unknown>;
      };
      assert.equal(old.Config['MacAddress'], '02:42:ac:11:00:09');
      assert.equal(old.HostConfig['KernelMemory'], 0);
      assert.equal(old.HostConfig['CpuCount'], 0);
      assert.equal(old.HostConfig['UsernsMode'], '');
      assert.equal(old.HostConfig['Dns'], null);
      const now = (await new Docker({ socketPath: d.socket, version: 'v1.47' }).getContainer(c.id).inspect()) as unknown as typeof old;
      assert.ok(!('MacAddress' in now.Config));
      assert.ok(!('KernelMemory' in now.HostConfig));
      const viaCli = await docker(d, ['create', ...NONE, 'busybox']);
      assert.equal((await docker(d, ['inspect', '-f', '{{json .HostConfig.Dns}}', viaCli.stdout.trim()])).stdout.trim(), '[]', 'sent empty: shown empty, as Docker');
      await c.remove();
      await docker(d, ['rm', viaCli.stdout.trim()]);
    });

    it('the platform of a create must be the image\'s', async () => {
      const arch = process.arch === 'x64' ? 'amd64' : process.arch;
      const ok = await post(d, `/containers/create?platform=linux/${arch}`, { Image: 'busybox' });
      assert.equal(ok.status, 201, ok.body);
      await sdk(d).getContainer((JSON.parse(ok.body) as { Id: string }).Id).remove();
      const other = arch === 'amd64' ? 'arm64' : 'amd64';
      const err = await post(d, `/containers/create?platform=linux/${other}`, { Image: 'busybox' });
      assert.equal(err.status, 404);
      assert.match(err.body, new RegExp(`does not match the specified platform: wanted linux/${other}, actual: linux/${arch}`));
    });
  });
});
