import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { ContainerSummary, Port } from '../../api/types/containers.js';
import { dockerAgainst } from './docker-harness.test.js';
import { containerRows, displayablePorts, ellipsis, psFormat, psFormatUsesSize, renderContainers } from './containers.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-views-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const HEX = (c: string): string => c.repeat(64);
const NOW = Math.floor(Date.now() / 1000);

function summary(over: Partial<ContainerSummary>): ContainerSummary {
  return {
    Id: HEX('a'),
    Names: ['/c'],
    Image: 'busybox',
    ImageID: 'sha256:' + HEX('b'),
    Command: 'sh',
    Created: NOW - 210,
    Ports: [],
    Labels: {},
    State: 'running',
    Status: 'Up 3 minutes',
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
    ...over,
  };
}

const FIXTURE: ContainerSummary[] = [
  summary({
    Id: '3f4e5d6c7b8a' + 'f'.repeat(52),
    Names: ['/web'],
    Image: 'nginx:latest',
    Command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ],
    Labels: { 'com.example.b': '2', 'com.example.a': '1', maintainer: 'NGINX <docker-maint@nginx.com>' },
    SizeRw: 1093,
    SizeRootFs: 187_654_321,
    Mounts: [
      { Type: 'volume', Name: '0123456789abcdef0123456789', Source: '/var/lib/docker/volumes/x/_data', Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'bind', Source: '/srv/www', Destination: '/usr/share/nginx/html', Mode: '', RW: false, Propagation: 'rprivate' },
    ],
    NetworkSettings: { Networks: { frontend: {} } },
  }),
  summary({
    Id: HEX('1'),
    Names: ['/web/db', '/db', '/other/db'],
    Image: 'postgres:16@sha256:' + HEX('c'),
    Command: 'docker-entrypoint.sh postgres',
    Created: NOW - 2 * 3600 - 120,
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 81, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 82, PublicPort: 82, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 90, PublicPort: 9090, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 91, PublicPort: 9091, Type: 'tcp' },
      { PrivatePort: 9001, Type: 'udp' },
      { PrivatePort: 9000, Type: 'udp' },
      { PrivatePort: 9003, Type: 'udp' },
      { PrivatePort: 5432, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 80, Type: 'tcp' },
    ],
    State: 'exited',
    Status: 'Exited (0) 2 hours ago',
    SizeRw: 0,
  }),
  summary({
    Id: HEX('2'),
    Names: ['/jp'],
    Image: 'sha256:' + HEX('d'),
    ImageID: 'sha256:' + HEX('d'),
    Command: 'echo 日本語のコマンドはとても長いです',
    Created: NOW - 10 * 86400,
    State: 'created',
    Status: 'Created',
    SizeRw: 12_345_678,
    SizeRootFs: 12_345_678,
  }),
  summary({ Id: HEX('3'), Names: ['/a'], Image: 'docker.io/library/busybox@sha256:' + HEX('e'), Command: 'short', Created: NOW - 3 * 86400 * 30, Labels: { x: '' } }),
  summary({ Id: HEX('4'), Names: ['/b'], Image: 'localhost:5000/Foo/bar:1.0', Command: 'exactly twenty chars', Created: NOW - 30 * 60 - 30 }),
  summary({ Id: HEX('5'), Names: ['/c'], Image: 'index.docker.io/library/alpine:3', Command: 'twenty-one characters', Created: NOW - 400 * 86400 }),
  summary({ Id: HEX('6'), Names: ['/d'], Image: '', Command: 'tab\there "quoted" \u0001', Created: NOW - 90 }),
  summary({ Id: HEX('7'), Names: ['/e'], Image: 'registry.example.com:443/team/app:v1.2.3', ImageID: 'sha256:' + HEX('9'), Command: '', Created: NOW - 100 }),
];

const PS_CASES: string[][] = [
  ['ps'],
  ['ps', '-a', '--size'],
  ['ps', '--no-trunc'],
  ['ps', '--no-trunc', '-s'],
  ['ps', '-q'],
  ['ps', '--format', '{{json .}}'],
  ['ps', '--format', 'json'],
  ['ps', '--format', 'table {{.ID}}\\t{{.Labels}}\\t{{.Mounts}}\\t{{.Networks}}\\t{{.LocalVolumes}}\\t{{.State}}\\t{{.Label "com.example.a"}}'],
  ['ps', '--no-trunc', '--format', 'table {{.Names}}\\t{{.Mounts}}\\t{{.Image}}\\t{{.Command}}'],
  ['ps', '--format', 'table {{.CreatedAt}}\\t{{.RunningFor}}\\t{{.Size}}'],
  ['ps', '--format', 'raw'],
  ['ps', '--format', 'raw', '--size'],
  ['ps', '--format', '{{.Names}} {{.Platform}}'],
  ['ps', '--format', 'table {{.Names}}\\t{{.Label "com.example.some_thing-x"}}\\t{{.Label "maintainer"}}'],
];

function flag(argv: string[], ...names: string[]): boolean {
  return argv.some((a) => names.includes(a));
}

function oursPs(argv: string[]): string {
  const i = argv.indexOf('--format');
  const format = i >= 0 ? argv[i + 1] : undefined;
  const quiet = flag(argv, '-q', '--quiet');
  const size = flag(argv, '-s', '--size') || (!quiet && psFormatUsesSize(format));
  return renderContainers(FIXTURE, { format, quiet, size, noTrunc: flag(argv, '--no-trunc'), now: Date.now() });
}

describe('ps output matches the docker CLI', { skip: !HAVE_DOCKER && 'docker CLI not installed' }, () => {
  for (const argv of PS_CASES) {
    test(argv.join(' '), async () => {
      const got = await dockerAgainst(dir, argv, (p) => (p === '/containers/json' ? FIXTURE : undefined));
      assert.equal(got.code, 0, got.stderr);
      assert.equal(oursPs(argv), got.stdout);
      // docker asks for sizes exactly when we would.
      const listUrl = got.urls.find((u) => u.includes('/containers/json')) ?? '';
      const size = flag(argv, '-s', '--size') || (!flag(argv, '-q') && psFormatUsesSize(argv[argv.indexOf('--format') + 1]));
      assert.equal(listUrl.includes('size=1'), size, listUrl);
    });
  }
});

describe('displayablePorts', () => {
  const p = (IP: string | undefined, PrivatePort: number, PublicPort: number | undefined, Type: Port['Type'] = 'tcp'): Port => ({
    ...(IP !== undefined ? { IP } : {}),
    PrivatePort,
    ...(PublicPort !== undefined ? { PublicPort } : {}),
    Type,
  });
  const cases: [Port[], string][] = [
    [[], ''],
    [[p(undefined, 8080, undefined)], '8080/tcp'],
    [[p('0.0.0.0', 8080, 8000), p('::', 8080, 8000)], '0.0.0.0:8000->8080/tcp, [::]:8000->8080/tcp'],
    [[p('0.0.0.0', 80, 80), p('0.0.0.0', 81, 81), p('0.0.0.0', 82, 82)], '0.0.0.0:80-82->80-82/tcp'],
    // Different host ports are never grouped.
    [[p('0.0.0.0', 80, 8000), p('0.0.0.0', 81, 8001), p('0.0.0.0', 82, 8002)], '0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp, 0.0.0.0:8002->82/tcp'],
    [[p(undefined, 9000, undefined, 'udp'), p(undefined, 9001, undefined, 'udp'), p(undefined, 9003, undefined, 'udp')], '9000-9001/udp, 9003/udp'],
    [[p('::1', 53, 53, 'udp')], '[::1]:53->53/udp'],
  ];
  for (const [ports, want] of cases) test(want || '(none)', () => assert.equal(displayablePorts(ports), want));
});

describe('containerRows', () => {
  test('fields', () => {
    const [row] = containerRows([FIXTURE[0]!], { now: (NOW + 0) * 1000 });
    assert.equal(row!.ID, '3f4e5d6c7b8a');
    assert.equal(row!.Image, 'nginx:latest');
    assert.equal(row!.Command, '"/docker-entrypoint.…"');
    assert.equal(row!.RunningFor, '3 minutes ago');
    assert.equal(row!.Size, '1.09kB (virtual 188MB)');
    assert.equal(row!.Labels, 'com.example.a=1,com.example.b=2,maintainer=NGINX <docker-maint@nginx.com>');
    assert.equal(row!.Mounts, '0123456789abcd…,/srv/www');
    assert.equal(row!.LocalVolumes, '1');
    assert.equal(row!.Networks, 'frontend');
    assert.equal(containerRows([summary({ NetworkSettings: { Networks: { bridge: {}, net2: {} } } })])[0]!.Networks, 'bridge,net2');
    assert.equal(row!.Label('com.example.a'), '1');
    assert.equal(row!.Platform, null);
  });
  test('names: links hidden unless --no-trunc', () => {
    assert.equal(containerRows([FIXTURE[1]!])[0]!.Names, 'db');
    assert.equal(containerRows([FIXTURE[1]!], { noTrunc: true })[0]!.Names, 'web/db,db,other/db');
  });
  test('image: digest dropped, short ID for ID images, raw when unparsable', () => {
    const img = (i: number): string => containerRows([FIXTURE[i]!])[0]!.Image;
    assert.equal(img(1), 'postgres:16');
    assert.equal(img(2), 'd'.repeat(12));
    assert.equal(img(3), 'busybox');
    assert.equal(img(4), 'localhost:5000/Foo/bar:1.0');
    assert.equal(img(5), 'alpine:3');
    assert.equal(img(6), '<no image>');
  });
  test('size without rootfs', () => assert.equal(containerRows([summary({ SizeRw: 0 })])[0]!.Size, '0B'));
});

describe('ellipsis', () => {
  const cases: [string, number, string][] = [
    ['abc', 20, 'abc'],
    ['exactly twenty chars', 20, 'exactly twenty chars'],
    ['twenty-one characters', 20, 'twenty-one characte…'],
    ['日本語のコマンド', 10, '日本語の…'],
    ['日本語', 6, '日本語'],
    ['abc', 1, 'a'],
    ['abc', 0, ''],
  ];
  for (const [s, n, want] of cases) test(`${s} ${n}`, () => assert.equal(ellipsis(s, n), want));
});

describe('psFormat', () => {
  test('default, size, quiet, custom', () => {
    assert.equal(psFormat(undefined), 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}');
    assert.equal(psFormat('table', { size: true }).endsWith('\t{{.Size}}'), true);
    assert.equal(psFormat('{{.Names}}', { quiet: true }), '{{.ID}}');
    assert.equal(psFormat('{{.Names}}'), '{{.Names}}');
  });
  test('size detection', () => {
    assert.equal(psFormatUsesSize('{{.Size}}'), true);
    assert.equal(psFormatUsesSize('{{json .}}'), true);
    assert.equal(psFormatUsesSize('json'), false);
    assert.equal(psFormatUsesSize('{{.Names}}'), false);
  });
  test('default table', () => {
    const out = renderContainers([FIXTURE[0]!], { now: NOW * 1000 });
    assert.equal(
      out,
      'CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS         PORTS                                              NAMES\n' +
        '3f4e5d6c7b8a   nginx:latest   "/docker-entrypoint.…"   3 minutes ago   Up 3 minutes   443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n',
    );
  });
});
