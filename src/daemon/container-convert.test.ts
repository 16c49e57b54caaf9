/**
 * Create requests → the engine's container spec (Docker's merge with the
 * image config and its validation messages), table-driven; no root needed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerCreateRequest } from '../api/types/containers.js';
import type { ImageConfigFile } from '../image/oci.js';
import { specFromRequest } from './container-convert.js';

const IMAGE_ID = 'sha256:' + '3'.repeat(64);
const image = (config: Record<string, unknown> = {}): ImageConfigFile => ({ config, rootfs: { type: 'layers', diff_ids: [] } }) as unknown as ImageConfigFile;
const spec = (req: Partial<ContainerCreateRequest>, config: Record<string, unknown> = {}) => specFromRequest({ Image: 'img', ...req } as ContainerCreateRequest, IMAGE_ID, image(config));

describe('command and entrypoint, merged with the image as Docker does', () => {
  const cases: [string, Partial<ContainerCreateRequest>, Record<string, unknown>, { entrypoint: string[] | null; cmd: string[] | null }][] = [
    ['image defaults', {}, { Entrypoint: ['/init'], Cmd: ['serve'] }, { entrypoint: ['/init'], cmd: ['serve'] }],
    ['Cmd replaces the image Cmd, keeps its Entrypoint', { Cmd: ['sh'] }, { Entrypoint: ['/init'], Cmd: ['serve'] }, { entrypoint: ['/init'], cmd: ['sh'] }],
    ['an Entrypoint drops the image Cmd', { Entrypoint: ['/other'] }, { Entrypoint: ['/init'], Cmd: ['serve'] }, { entrypoint: ['/other'], cmd: null }],
    ['--entrypoint "" resets it', { Entrypoint: [''], Cmd: ['ls'] }, { Entrypoint: ['/init'] }, { entrypoint: null, cmd: ['ls'] }],
    ['a string Cmd is one argument list', { Cmd: 'echo hi' as unknown as string[] }, {}, { entrypoint: null, cmd: ['echo hi'] }],
  ];
  for (const [name, req, config, want] of cases) {
    it(name, () => {
      const s = spec(req, config);
      assert.deepEqual({ entrypoint: s.entrypoint, cmd: s.cmd }, want);
    });
  }
});

describe('merges', () => {
  it('Env: the request wins per key, the image order is kept', () => {
    assert.deepEqual(spec({ Env: ['B=2', 'C=3'] }, { Env: ['A=1', 'B=1'] }).env, ['A=1', 'B=2', 'C=3']);
  });

  it('a hostname with dots gives the domain name', () => {
    const s = spec({ Hostname: 'web.example.org' });
    assert.deepEqual([s.hostname, s.domainname], ['web', 'example.org']);
  });

  it('ports bound are exposed too; image and request volumes are joined', () => {
    const s = spec({ ExposedPorts: { '53/udp': {} }, Volumes: { '/b': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } }, { ExposedPorts: { '443/tcp': {} }, Volumes: { '/a': {} } });
    assert.deepEqual(s.exposedPorts.sort(), ['443/tcp', '53/udp', '80/tcp']);
    assert.deepEqual(s.volumes, ['/a', '/b']);
  });

  it('Memory without MemorySwap gets twice as much swap, as Docker', () => {
    assert.equal(spec({ HostConfig: { Memory: 64 * 1024 * 1024 } }).resources.memorySwap, 128 * 1024 * 1024);
  });
});

describe("refusals with Docker's messages", () => {
  const cases: [string, Partial<ContainerCreateRequest>, RegExp][] = [
    ['a memory limit under 6 MB', { HostConfig: { Memory: 1024 } }, /Minimum memory limit allowed is 6MB/],
    ['swap under memory', { HostConfig: { Memory: 64 * 1024 * 1024, MemorySwap: 32 * 1024 * 1024 } }, /Minimum memoryswap limit should be larger than memory limit/],
    ['NanoCpus with CpuPeriod', { HostConfig: { NanoCpus: 1e9, CpuPeriod: 100000 } }, /Nano CPUs and CPU Period cannot both be set/],
    ['AutoRemove with a restart policy', { HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, /can't create 'AutoRemove' container with restart policy/],
    ['a bad hostname', { Hostname: '-bad-' }, /invalid hostname format: -bad-/],
    ['an OOM score out of range', { HostConfig: { OomScoreAdj: 5000 } }, /range for oom score adj is \[-1000, 1000\]/],
    ['a bad log option', { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': 'huge' } } } }, /invalid value for max-size: huge/],
  ];
  for (const [name, req, msg] of cases) it(name, () => assert.throws(() => spec(req), msg));
});

describe('mount options berth does not honour are refused by name, never ignored', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a volume subpath', { Type: 'volume', Source: 'v', Target: '/t', VolumeOptions: { Subpath: 'sub' } }, /mount \/t: VolumeOptions\.Subpath is not supported/],
    ['a non-recursive bind', { Type: 'bind', Source: '/tmp', Target: '/t', BindOptions: { NonRecursive: true } }, /BindOptions\.NonRecursive is not supported/],
    ['tmpfs options', { Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['noexec']] } }, /TmpfsOptions\.Options is not supported/],
    ['another volume driver', { Type: 'volume', Source: 'v', Target: '/t', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }, /volume driver "nfs" is not supported/],
  ];
  for (const [name, m, msg] of cases) it(name, () => assert.throws(() => spec({ HostConfig: { Mounts: [m as never] } }), msg));
  it('zero values are "not set" (clients send them)', () => {
    const s = spec({ HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: '/t', VolumeOptions: { Subpath: '', NoCopy: false, DriverConfig: { Name: 'local' } }, BindOptions: { NonRecursive: false } } as never] } });
    assert.equal(s.mounts.length, 1);
  });
});
