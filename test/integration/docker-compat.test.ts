/**
 * What real clients (docker-py's suite, compose, the docker CLI) expect of a
 * Docker daemon on the container and image side, checked through the docker
 * CLI and dockerode: logging drivers as Docker names them, bodies decoded as
 * Go does, fields honoured or refused by name, and Docker's errors, events
 * and inspect output.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';

const NONE = ['--network', 'none'];

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
});
