/**
 * run/create flags → container.Config, HostConfig and NetworkingConfig
 * through readRunOptions and the three builders, and the errors each
 * builder raises.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Opts } from '../command.js';
import { RunOptionsError } from './run-errors.js';
import { readRunOptions } from './run-opts.js';
import { buildConfig, buildHostConfig, buildNetworkingConfig } from './run-build.js';

const FILES: Record<string, string> = { '/env.list': 'A=from-file\nHOME\n# comment\nB=2\n' };
const readFile = (p: string): string => {
  const text = FILES[p];
  if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return text;
};
/** Options as the command parser hands them over (camel-cased long names), IMAGE then COMMAND. */
const read = (opts: Opts, args = ['busybox']) => readRunOptions(opts, args, { HOME: '/root' }, readFile);

/** Asserts fn throws docker's parse error (`docker: …`, status 125) with this message. */
function assertParseError(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof RunOptionsError && e.kind === 'parse' && e.status === 125 && e.message === message);
}

describe('buildConfig', () => {
  test('no flags: image and command, stdout and stderr attached', () => {
    assert.deepEqual(buildConfig(read({}, ['busybox', 'echo', 'hi'])), {
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Cmd: ['echo', 'hi'],
      Image: 'busybox',
    });
  });

  test('-it attaches stdin once; -d attaches nothing', () => {
    const it = buildConfig(read({ interactive: true, tty: true }));
    assert.deepEqual([it.AttachStdin, it.AttachStdout, it.AttachStderr, it.Tty, it.OpenStdin, it.StdinOnce], [true, true, true, true, true, true]);
    const d = buildConfig(read({ interactive: true, detach: true }));
    assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr, d.OpenStdin, d.StdinOnce], [false, false, false, true, false]);
    const a = buildConfig(read({ attach: ['STDERR'] }));
    assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, false, true]);
  });

  test('env files first, then -e (one value per name, looked up when bare); labels; ports exposed; empty strings left out', () => {
    const c = buildConfig(
      read({ envFile: ['/env.list'], env: ['X=1', 'HOME', 'X=2', 'UNSET'], label: ['a=1', 'b'], publish: ['8080:80'], expose: ['53/udp'], hostname: '', entrypoint: '', workdir: '/w', stopTimeout: '7' }),
    );
    assert.deepEqual(c.Env, ['A=from-file', 'HOME=/root', 'B=2', 'X=2', 'HOME=/root', 'UNSET']);
    assert.deepEqual(c.Labels, { a: '1', b: '' });
    assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.equal('Hostname' in c, false);
    assert.deepEqual(c.Entrypoint, ['']);
    assert.equal(c.WorkingDir, '/w');
    assert.equal(c.StopTimeout, 7);
  });

  test('health check from --health-* and --no-healthcheck', () => {
    assert.deepEqual(buildConfig(read({ healthCmd: 'true', healthInterval: '2s', healthRetries: '3' })).Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 3 });
    assert.deepEqual(buildConfig(read({ noHealthcheck: true })).Healthcheck, { Test: ['NONE'] });
  });

  test('refuses --no-healthcheck with --health-*, and negative health values', () => {
    assertParseError(() => buildConfig(read({ noHealthcheck: true, healthCmd: 'true' })), '--no-healthcheck conflicts with --health-* options');
    assertParseError(() => buildConfig(read({ healthTimeout: '-1s' })), '--health-timeout cannot be negative');
    assertParseError(() => buildConfig(read({ healthRetries: '-2' })), '--health-retries cannot be negative');
  });
});

describe('buildHostConfig', () => {
  test('no flags: only the fields the daemon reads even when zero', () => {
    assert.deepEqual(buildHostConfig(read({})), { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, MemorySwappiness: -1 });
  });

  test('fields in the API order: binds, log config, ports, restart, namespaces, resources, mounts, init', () => {
    const hc = buildHostConfig(
      read({
        init: false,
        mount: ['type=tmpfs,target=/t'],
        memory: '1g',
        pidsLimit: '10',
        capAdd: ['net_admin'],
        pid: 'host',
        restart: 'on-failure:2',
        publish: ['127.0.0.1:8080:80/udp'],
        logOpt: ['max-size=1m'],
        volume: ['/src:/dst:ro', '/anon'],
      }),
    );
    assert.deepEqual(Object.keys(hc), ['Binds', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'CapAdd', 'PidMode', 'Memory', 'MemorySwappiness', 'PidsLimit', 'Mounts', 'Init']);
    assert.deepEqual(hc.Binds, ['/src:/dst:ro']);
    assert.deepEqual(hc.LogConfig, { Type: '', Config: { 'max-size': '1m' } });
    assert.deepEqual(hc.PortBindings, { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.deepEqual(hc.CapAdd, ['CAP_NET_ADMIN']);
    assert.equal(hc.Memory, 1024 ** 3);
    assert.equal(hc.Init, false);
  });

  test('systempaths=unconfined unmasks /proc and /sys instead of being sent as a security option', () => {
    const hc = buildHostConfig(read({ securityOpt: ['systempaths=unconfined', 'no-new-privileges'] }));
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual([hc.MaskedPaths, hc.ReadonlyPaths], [[], []]);
  });

  test('refuses --rm with a restart policy', () => {
    assertParseError(() => buildHostConfig(read({ rm: true, restart: 'always' })), 'conflicting options: cannot specify both --restart and --rm');
    assert.equal(buildHostConfig(read({ rm: true, restart: 'no' })).AutoRemove, true);
  });
});

describe('buildNetworkingConfig', () => {
  test('no --network: the default network, with no settings', () => {
    assert.deepEqual(buildNetworkingConfig(read({})), { EndpointsConfig: { default: {} } });
  });

  test('the legacy flags apply to the first network; later ones keep their own settings', () => {
    const o = read({ network: ['front', 'name=back,alias=db,ip=10.0.0.5'], networkAlias: ['web'], ip: '10.1.0.9' });
    const want = {
      EndpointsConfig: {
        front: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.9' } },
        back: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.0.0.5' } },
      },
    };
    assert.deepEqual(buildNetworkingConfig(o), want);
    // The options are not consumed: the same request again.
    assert.deepEqual(buildNetworkingConfig(o), want);
  });

  test('a single network without settings is left out', () => {
    assert.deepEqual(buildNetworkingConfig(read({ network: ['host'] })), { EndpointsConfig: {} });
  });

  test('refuses aliases off user-defined networks, mixed network kinds, a network twice, and per-network settings given twice', () => {
    assertParseError(() => buildNetworkingConfig(read({ networkAlias: ['x'] })), 'network-scoped aliases are only supported for user-defined networks');
    assertParseError(() => buildNetworkingConfig(read({ network: ['mynet', 'host'] })), 'conflicting options: cannot attach both user-defined and non-user-defined network-modes');
    assertParseError(() => buildNetworkingConfig(read({ network: ['a', 'name=a,alias=x'] })), 'network "a" is specified multiple times');
    assertParseError(
      () => buildNetworkingConfig(read({ network: ['name=a,ip=10.0.0.2'], ip: '10.0.0.3' })),
      'conflicting options: cannot specify both --ip and per-network IPv4 address',
    );
  });
});

describe('readRunOptions', () => {
  test('a value its flag type refuses is a flag error (usage follows), before any parse error', () => {
    assert.throws(
      () => read({ memory: '1x', restart: 'on-failure:x' }),
      (e: unknown) => e instanceof RunOptionsError && e.kind === 'flag' && e.message === 'invalid argument "1x" for "-m, --memory" flag: invalid suffix: \'x\'',
    );
  });

  test('an env file that cannot be read is a parse error naming it', () => {
    assertParseError(() => read({ envFile: ['/nope'] }), 'open /nope: no such file or directory');
  });
});
