import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { ContainerCreateRequest } from '../../api/types/containers.js';
import type { Opts } from '../command.js';
import { parseDuration } from './goparse.js';
import { RunOptionsError, runErrorText } from './run-errors.js';
import { CREATE_OPTIONS, RUN_OPTIONS } from './run-flags.js';
import { parseRunOptions } from './run-opts.js';
import type { ParsedRun } from './run-types.js';

// ---------------------------------------------------------------------------
// Command lines → Opts, as command.ts (commander) hands them to commands.

function camel(long: string): string {
  return long.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
}

function toOpts(argv: string[], command: 'run' | 'create'): { opts: Opts; args: string[] } {
  const specs = command === 'run' ? RUN_OPTIONS : CREATE_OPTIONS;
  const byLong = new Map(specs.map((s) => [/--([\w-]+)/.exec(s.flags)![1]!, s]));
  const byShort = new Map(specs.filter((s) => /^-\w,/.test(s.flags)).map((s) => [s.flags[1]!, s]));
  const opts: Opts = {};
  for (const s of specs) if (s.default !== undefined) opts[camel(/--([\w-]+)/.exec(s.flags)![1]!)] = s.default;
  const store = (long: string, v: string | boolean): void => {
    const spec = byLong.get(long)!;
    const key = camel(long);
    if (spec.repeat) opts[key] = [...((opts[key] as string[] | undefined) ?? []), v];
    else opts[key] = v;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new Error(`unknown flag ${a}`);
      if (!spec.arg) {
        const v = a.slice(eq + 1);
        store(name, eq < 0 ? true : /^(1|t|T|TRUE|true|True)$/.test(v) ? true : /^(0|f|F|FALSE|false|False)$/.test(v) ? false : v);
      }
      else store(name, eq < 0 ? argv[++i]! : a.slice(eq + 1));
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const spec = byShort.get(a[j]!);
      if (!spec) throw new Error(`unknown shorthand ${a[j]}`);
      const long = /--([\w-]+)/.exec(spec.flags)![1]!;
      if (!spec.arg) {
        store(long, true);
        continue;
      }
      store(long, a.slice(j + 1) || argv[++i]!);
      break;
    }
  }
  return { opts, args: argv.slice(i) };
}

function ours(argv: string[], command: 'run' | 'create' = 'create', env: NodeJS.ProcessEnv = {}): ParsedRun {
  const { opts, args } = toOpts(argv, command);
  return parseRunOptions(opts, args, env, undefined, command);
}

// ---------------------------------------------------------------------------
// Request bodies compared modulo Go zero values (docker sends every field).

const MAP_KEYS = new Set(['Labels', 'Tmpfs', 'Sysctls', 'Annotations', 'StorageOpt', 'ExposedPorts', 'Volumes', 'EndpointsConfig', 'DriverOpts', 'Options', 'Config', 'PortBindings']);
const KEEP_EMPTY = new Set(['MaskedPaths', 'ReadonlyPaths']);

function normalize(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) {
    const arr = v.map((x) => normalize(x));
    if (key === 'Env' || key === 'Binds') arr.sort();
    return arr;
  }
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  const isMap = MAP_KEYS.has(key);
  for (const [k, x] of Object.entries(v)) {
    const n = normalize(x, isMap ? '' : k);
    if (!isMap && isZero(n, k)) continue;
    out[k] = n;
  }
  return out;
}

function isZero(v: unknown, key: string): boolean {
  if (key === 'ConsoleSize') return Array.isArray(v) && v.every((x) => x === 0);
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0 && !KEEP_EMPTY.has(key);
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Every field we send is one docker sends too (same JSON names). */
function assertKeysWithin(a: unknown, b: unknown, path: string): void {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return;
  assert.ok(b !== null && typeof b === 'object', `${path}: docker has no object here`);
  for (const [k, v] of Object.entries(a)) {
    assert.ok(k in (b as object), `${path}.${k} is not in docker's request`);
    assertKeysWithin(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

// ---------------------------------------------------------------------------
// The real docker CLI against a fake daemon on a unix socket.

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

interface DockerResult {
  body?: unknown;
  query?: string;
  stderr: string;
  code: number | null;
}

let sockSeq = 0;
function docker(argv: string[], command: 'run' | 'create', dir: string, env: NodeJS.ProcessEnv = {}): Promise<DockerResult> {
  const sock = join(dir, `d${sockSeq++}.sock`);
  return new Promise((done, reject) => {
    let captured: { body?: unknown; query?: string } = {};
    const srv = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        if (req.url?.endsWith('/_ping')) {
          res.writeHead(200, { 'API-Version': '1.47', OSType: 'linux', 'Content-Type': 'text/plain' });
          res.end(req.method === 'HEAD' ? undefined : 'OK');
          return;
        }
        if (req.url?.includes('/containers/create')) {
          captured = { body: JSON.parse(data), query: new URL(req.url, 'http://x').search };
        }
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"message":"captured"}');
      });
    });
    srv.on('error', reject);
    srv.listen(sock, () => {
      const p = spawn('docker', ['-H', `unix://${sock}`, command, ...argv], {
        env: { PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: join(dir, 'cfg'), ...env },
        cwd: process.cwd(),
      });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('exit', (code) => {
        srv.close();
        done({ ...captured, stderr, code });
      });
    });
  });
}

// ---------------------------------------------------------------------------

let dir = '';
let envFile = '';
let labelFile = '';
let seccompFile = '';
let badEnvFile = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-run-opts-'));
  envFile = join(dir, 'env.list');
  writeFileSync(envFile, '\ufeff# comment\n  FOO=bar\nQUOTED="quoted value"\nEMPTY=\nFROM_ENV\nUNSET_VAR\n\nTRAILING=space \r\n');
  labelFile = join(dir, 'labels');
  writeFileSync(labelFile, 'com.example.a=1\ncom.example.novalue\n# c\ncom.example.b=two words\n');
  seccompFile = join(dir, 'seccomp.json');
  writeFileSync(seccompFile, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1.0 } ]\n}\n');
  badEnvFile = join(dir, 'bad.env');
  writeFileSync(badEnvFile, 'GOOD=1\nBAD KEY=2\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const ENV = { FROM_ENV: 'env-value', B: 'from-env' };

/** Command lines whose request body must equal docker's. `run:` prefix = docker run. */
const BODY_CASES: (() => string[])[] = [
  () => ['busybox'],
  () => ['busybox', 'sh', '-c', "sleep 1000 'x'"],
  () => ['-p', '8080', 'busybox'],
  () => ['-p', '8000:8080', 'busybox'],
  () => ['-p', '127.0.0.1:8000:8080', 'busybox'],
  () => ['-p', '127.0.0.1::8080', 'busybox'],
  () => ['-p', '8000-8005:80-85', 'busybox'],
  () => ['-p', '8000-8010:80', 'busybox'],
  () => ['-p', '53:53/udp', '-p', '53:53/tcp', '-p', '132:132/SCTP', 'busybox'],
  () => ['-p', '[::1]:80:80', '-p', '::1:81:81', 'busybox'],
  () => ['-p', '8080:80', '-p', '8081:80', 'busybox'],
  () => ['-p', 'published=8080,target=80,protocol=udp', '-p', 'target=81,published=9090', 'busybox'],
  () => ['--expose', '80', '--expose', '1000-1002/udp', '--expose', '90/foo', '-P', 'busybox'],
  () => ['-m', '512m', '--memory-reservation', '256M', '--memory-swap', '-1', '--memory-swappiness', '10', '--shm-size', '64m', '--kernel-memory', '10m', 'busybox'],
  () => ['-m', '1.5g', '--memory-swap', '2GiB', '--shm-size', '1 kb', 'busybox'],
  () => ['--cpus', '1.5', '-c', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '500', 'busybox'],
  () => ['--cpu-shares', '0x10', '--cpus', '3/4', '--oom-score-adj', '010', 'busybox'],
  () => ['-e', 'A=1', '-e', 'B', '-e', 'C', '-e', 'A=2', '-e', 'D=', 'busybox'],
  () => ['--env-file', envFile, '-e', 'X=1', 'busybox'],
  () => ['-l', 'a=1', '-l', 'b', '--label', 'c=x=y', '--label-file', labelFile, 'busybox'],
  () => ['-v', '/host:/c', '-v', 'named:/data:ro', '-v', '/anon', '-v', './rel:/r:z', '-v', 'vol:/x:nocopy', '-v', '/anon', '-v', '~/home:/h', 'busybox'],
  () => ['-v', 'a:/x', '-v', 'ab', 'busybox'],
  () => ['--tmpfs', '/run:rw,size=64m', '--tmpfs', '/tmp', 'busybox'],
  () => [
    '--mount', 'type=bind,source=/src,target=/dst,readonly',
    '--mount', 'type=volume,src=v,dst=/v,volume-nocopy,volume-opt=type=nfs,"volume-opt=o=addr=1.2.3.4,rw",volume-label=x=y,volume-driver=local,volume-subpath=sub',
    '--mount', 'type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1777',
    '--mount', 'Type=BIND,"src=/a,b",dst=/b,bind-propagation=RSHARED,ro=true,consistency=cached',
    '--mount', 'type=bind,src=./here,target=/here,bind-recursive=readonly,readonly,bind-propagation=rprivate',
    '--mount', 'target=/anon',
    'busybox',
  ],
  () => ['--security-opt', 'seccomp=unconfined', '--security-opt', 'no-new-privileges', '--security-opt', 'label=disable', '--security-opt', 'apparmor:unconfined', 'busybox'],
  () => ['--security-opt', `seccomp=${seccompFile}`, 'busybox'],
  () => ['--security-opt', 'systempaths=unconfined', 'busybox'],
  () => ['--restart', 'on-failure:3', 'busybox'],
  () => ['--restart', 'always', 'busybox'],
  () => ['--restart', 'bogus', 'busybox'],
  () => ['--restart', '', 'busybox'],
  () => ['--rm', '--restart', 'no', 'busybox'],
  () => ['--network', 'host', 'busybox'],
  () => ['--net', 'none', 'busybox'],
  () => ['--network', 'mynet', '--network-alias', 'web', '--net-alias', 'www', '--ip', '10.0.0.5', '--ip6', 'fd00::5', '--mac-address', '02:42:ac:11:00:02', '--link', 'db:db', '--link-local-ip', '169.254.1.1', 'busybox'],
  () => ['--network', 'mynet', 'busybox'],
  () => ['--network', 'container:abc', 'busybox'],
  () => ['--network', 'name=A,alias=x,driver-opt=K=V,ip=10.1.1.1,gw-priority=5', '--network', 'b', 'busybox'],
  () => ['--link', 'db:alias', '--ip', '172.17.0.5', 'busybox'],
  () => ['--health-cmd', 'curl -f localhost', '--health-interval', '30s', '--health-timeout', '1m30s', '--health-retries', '3', '--health-start-period', '1.5s', '--health-start-interval', '500ms', 'busybox'],
  () => ['--health-interval', '1h2m3.5s', 'busybox'],
  () => ['--no-healthcheck', 'busybox'],
  () => ['--stop-timeout', '10', '--stop-signal', 'SIGKILL', 'busybox'],
  () => ['--entrypoint', '', 'busybox'],
  () => ['--entrypoint=', 'busybox', 'echo'],
  () => ['--entrypoint', '/bin/sh', 'busybox', '-c', 'x'],
  () => ['-t', '-i', 'busybox'],
  () => ['-i', 'busybox'],
  () => ['-a', 'stdin', '-a', 'STDOUT', 'busybox'],
  () => ['-a', 'stderr', '-i', 'busybox'],
  () => ['run:', '-d', '-i', '-t', 'busybox'],
  () => ['run:', '-t', '--rm', '--name', 'x', '--sig-proxy=false', '--detach-keys', 'ctrl-a', 'busybox', 'sh'],
  () => ['run:', 'busybox'],
  () => ['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', '--log-opt', 'novalue', 'busybox'],
  () => ['--log-opt', 'tag=x', 'busybox'],
  () => ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1', '--sysctl', 'net.x=a=b', 'busybox'],
  () => ['--add-host', 'h1:1.2.3.4', '--add-host', 'h2=::1', '--add-host', 'h3:[::2]', '--add-host', 'gw:host-gateway', '--add-host', 'h4=[10.0.0.1]', 'busybox'],
  () => ['--dns', '8.8.8.8', '--dns', ' 2001:DB8::0:1 ', '--dns', '::ffff:1.2.3.4', '--dns-search', 'example.com.', '--dns-search', '.', '--dns-option', 'ndots:2', '--dns-opt', 'timeout:1', 'busybox'],
  () => ['--device', '/dev/sda', '--device', '/dev/sdb:/dev/xvdb/', '--device', '/dev/sdc:rw', '--device', '/dev/sdd:/dev/xvdd:r', '--device', 'vendor.com/gpu=0', '--device', 'vendor.com/gpu=all', 'busybox'],
  () => ['--cgroupns', 'host', '--pid', 'host', '--ipc', 'shareable', '--uts', 'host', '--userns', 'host', 'busybox'],
  () => ['--pid', 'container:abc', '--cgroupns', 'private', '--ipc', 'container:x', 'busybox'],
  () => ['--init', '--privileged', '--read-only', '--oom-kill-disable', '--oom-score-adj', '-500', '--pids-limit', '100', '--group-add', 'audio', '--group-add', '1000', '--cap-add', 'net_admin', '--cap-add', 'SYS_TIME', '--cap-add', 'CAP_NET_ADMIN', '--cap-drop', 'all', 'busybox'],
  () => ['--pids-limit', '-1', '--init=false', 'busybox'],
  () => ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=10', '--ulimit', 'core=-1', '--ulimit', 'nofile=1:2', 'busybox'],
  () => ['--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:200', '--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/sdb:1024', '--device-read-iops', '/dev/sda:10', '--device-write-iops', '/dev/sda:100', 'busybox'],
  () => ['--gpus', 'all', 'busybox'],
  () => ['--gpus', '"device=0,1"', '--gpus', 'count=2,capabilities=utility,driver=nvidia', '--gpus', '"options=a=b,c"', 'busybox'],
  () => ['--cpu-shares', '1_000', '-v', 'a::b', 'busybox'],
  () => [
    '-h', 'myhost', '--domainname', 'example.com', '-u', '1000:1000', '-w', '/work', '--name', 'foo',
    '--runtime', 'runc', '--cgroup-parent', '/x', '--volume-driver', 'local', '--volumes-from', 'other:ro',
    '--annotation', 'a=b', '--annotation', 'c', '--storage-opt', 'size=1G', '--device-cgroup-rule', 'c 1:3 mr',
    '--isolation', 'default', 'busybox',
  ],
  () => ['--platform', 'linux/amd64', '--pull', 'never', '-q', 'busybox'],
  () => ['--publish-all', '--hostname=h', 'busybox:1.36', 'true'],
  () => ['-p', '0.0.0.0:80:80', '-p', '80-81', '-p', '127.0.0.1:8000-8001:90-91/udp', '-p', '9000-9001:100', '--expose', '80/tcp', '--expose', '80', 'busybox'],
  () => ['--link', 'a', '--mac-address', '02:42:ac:11:00:03', 'busybox'],
  () => ['--network', 'mynet', '--link', 'db', '--network', 'other', '--ip', '10.0.0.9', 'busybox'],
  () => ['--network', 'name=x', 'busybox'],
  () => ['--network', ' name = Mixed , alias = A ', 'busybox'],
  () => ['--network', 'default', 'busybox'],
  () => ['--gpus', '2', '--device', 'nvidia.com/gpu=0', 'busybox'],
  () => ['-a', 'stdin', 'busybox'],
  () => ['--health-cmd', '', '--health-retries', '0x3', 'busybox'],
  () => ['--memory', '0', '--cpus', '0', '--restart', 'on-failure', 'busybox'],
  () => ['--label-file', labelFile, '-l', 'com.example.a=override', '--sysctl', 'net.a=1', '--sysctl', 'net.a=2', '--annotation', 'x=a=b', 'busybox'],
  () => ['--entrypoint', 'a b', '--tmpfs', '/run:', '-v', '/a:/b:rw,Z', '--ulimit', 'nofile=-1', 'busybox'],
  () => ['--dns-search', ' foo.bar. ', '--workdir', 'rel', '--user', 'nobody', 'busybox'],
  () => ['--mount', 'type=image,source=img,target=/img,image-subpath=sub', '--mount', 'type=bind,src=/s,dst=/d,bind-nonrecursive', '--mount', 'type=bind,src=/s,dst=/e,bind-recursive=writable,ro=1', 'busybox'],
  () => ['--mount', 'type=npipe,src=x,target=/x', '--mount', 'type=volume,target=/y,volume-nocopy=false', 'busybox'],
  () => ['--dns', '127.0.0.1', '--dns', '::1', 'busybox'],
  () => ['--platform', 'amd64', 'busybox'],
  () => ['--platform', 'Linux/AMD64', 'busybox'],
  () => ['--platform', 'linux/arm64/v8', 'busybox'],
  () => ['--platform', 'linux/aarch64', 'busybox'],
  () => ['--platform', 'arm', 'busybox'],
  () => ['--platform', 'linux/armhf', 'busybox'],
  () => ['--platform', 'x86_64', 'busybox'],
  () => ['--platform', 'linux', 'busybox'],
  () => ['--platform', 'windows(10.0.17763)/amd64', 'busybox'],
  () => ['run:', '--platform', 'linux/arm/7', 'busybox'],
];

function commandOf(argv: string[]): { command: 'run' | 'create'; argv: string[] } {
  return argv[0] === 'run:' ? { command: 'run', argv: argv.slice(1) } : { command: 'create', argv };
}

describe('request body matches the docker CLI', { skip: !HAVE_DOCKER && 'docker CLI not installed' }, () => {
  for (const mk of BODY_CASES) {
    // Names are built lazily: file paths exist only after before().
    const label = mk()
      .join(' ')
      .replace(/\/tmp\/berth-run-opts-\w+/g, '$TMP');
    test(label, async () => {
      const { command, argv } = commandOf(mk());
      const got = await docker(argv, command, dir, ENV);
      assert.ok(got.body, `docker sent no create request: ${got.stderr}`);
      const mine = ours(argv, command, ENV);
      assert.deepEqual(normalize(mine.request), normalize(got.body));
      assertKeysWithin(mine.request, got.body, '');
      const q = new URLSearchParams(got.query);
      assert.equal(mine.name, q.get('name') ?? undefined);
      assert.equal(mine.platform, q.get('platform') ?? undefined);
    });
  }
});

/** Command lines docker rejects: our stderr text must equal docker's. */
const ERROR_CASES: (() => string[])[] = [
  () => ['-m', 'abc', 'busybox'],
  () => ['-m', '12x', 'busybox'],
  () => ['-m', '1.2.3', 'busybox'],
  () => ['-m', '-1', 'busybox'],
  () => ['--memory-swap', '1kib0', 'busybox'],
  () => ['--cpus', 'abc', 'busybox'],
  () => ['--cpus', '0.0000000001', 'busybox'],
  () => ['--cpu-shares', 'x', 'busybox'],
  () => ['--cpu-shares', '_1', 'busybox'],
  () => ['--cpu-count', '2', '--cpu-percent', '50', '--io-maxbandwidth', '1m', '--io-maxiops', '100', 'busybox'],
  () => ['--io-maxiops', '1', 'busybox'],
  () => ['--blkio-weight', '70000', 'busybox'],
  () => ['--stop-timeout', '1.5', 'busybox'],
  () => ['--health-interval', 'x', 'busybox'],
  () => ['--health-interval', '10', 'busybox'],
  () => ['--health-interval', '1d', 'busybox'],
  () => ['--health-timeout', '-1s', '--health-cmd', 'x', 'busybox'],
  () => ['--health-retries', '-1', 'busybox'],
  () => ['--no-healthcheck', '--health-cmd', 'x', 'busybox'],
  () => ['--ulimit', 'nofile', 'busybox'],
  () => ['--ulimit', 'foo=1', 'busybox'],
  () => ['--ulimit', 'nofile=2:1', 'busybox'],
  () => ['--ulimit', 'nofile=-1:100', 'busybox'],
  () => ['--ulimit', 'nofile=1:2:3', 'busybox'],
  () => ['--ulimit', 'nofile=a', 'busybox'],
  () => ['-e', '=x', 'busybox'],
  () => ['-l', '=x', 'busybox'],
  () => ['-l', ' a b=1', 'busybox'],
  () => ['--sysctl', 'kernel.foo=1', 'busybox'],
  () => ['--add-host', 'foo', 'busybox'],
  () => ['--add-host', 'foo:bar', 'busybox'],
  () => ['--dns', '1.2.3', 'busybox'],
  () => ['--dns-search', '-x', 'busybox'],
  () => ['--link', 'a:b:c', 'busybox'],
  () => ['--mount', 'type=bind', 'busybox'],
  () => ['--mount', 'foo', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,foo=bar', 'busybox'],
  () => ['--mount', 'type=bind,src="a,target=/x', 'busybox'],
  () => ['--mount', 'type=bind,"src=a"x,target=/x', 'busybox'],
  () => ['--mount', 'type=bind,src=a",target=/x', 'busybox'],
  () => ['--mount', 'type=volume,target=/x,bind-propagation=shared', 'busybox'],
  () => ['--mount', 'type=tmpfs,target=/x,tmpfs-mode=9', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,readonly=maybe', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,bind-recursive=readonly,readonly', 'busybox'],
  () => ['--mount', 'type=,target=/x', 'busybox'],
  () => ['--network', 'alias=x', 'busybox'],
  () => ['--network', 'name=a,foo=b', 'busybox'],
  () => ['--network', 'name=a,gw-priority=x', 'busybox'],
  () => ['--device-read-bps', '/x:1', 'busybox'],
  () => ['--device-read-bps', '/dev/sda:x', 'busybox'],
  () => ['--device-write-iops', '/dev/sda:1k', 'busybox'],
  () => ['--blkio-weight-device', '/dev/sda:5', 'busybox'],
  () => ['-a', 'foo', 'busybox'],
  () => ['--device-cgroup-rule', 'x', 'busybox'],
  () => ['--gpus', 'count=x', 'busybox'],
  () => ['--gpus', 'all,count=1', 'busybox'],
  () => ['--init=foo', 'busybox'],
  () => ['-p', 'x', 'busybox'],
  () => ['-p', '8080:', 'busybox'],
  () => ['-p', 'published=8080,target', 'busybox'],
  () => ['-p', '1.2.3:80:80', 'busybox'],
  () => ['-p', '[::1:80:80', 'busybox'],
  () => ['-p', '80:80/foo', 'busybox'],
  () => ['-p', '8000-8001:80-82', 'busybox'],
  () => ['-p', 'x:80', 'busybox'],
  () => ['-p', '90-80:80', 'busybox'],
  () => ['--expose', '80:80', 'busybox'],
  () => ['--expose', 'x', 'busybox'],
  () => ['--expose', '/udp', 'busybox'],
  () => ['--restart', ':3', 'busybox'],
  () => ['--restart', 'on-failure:x', 'busybox'],
  () => ['--rm', '--restart', 'always', 'busybox'],
  () => ['-v', '/a:/b:ro:/d', 'busybox'],
  () => ['-v', '', 'busybox'],
  () => ['--device', 'sda', 'busybox'],
  () => ['--device', '/dev/sda:/dev/sdb:rwx', 'busybox'],
  () => ['--device', '/a:/b:c:d', 'busybox'],
  () => ['--pid', 'foo', 'busybox'],
  () => ['--pid', 'container:', 'busybox'],
  () => ['--uts', 'foo', 'busybox'],
  () => ['--userns', 'foo', 'busybox'],
  () => ['--cgroupns', 'foo', 'busybox'],
  () => ['--pull', 'foo', 'busybox'],
  () => ['--memory-swappiness', '200', 'busybox'],
  () => ['--security-opt', 'foo', 'busybox'],
  () => ['--security-opt', 'seccomp=/nonexistent/profile.json', 'busybox'],
  () => ['--security-opt', `seccomp=${badEnvFile}`, 'busybox'],
  () => ['--env-file', '/nonexistent/env', 'busybox'],
  () => ['--env-file', badEnvFile, 'busybox'],
  () => ['--label-file', badEnvFile, 'busybox'],
  () => ['--mac-address', 'xx', 'busybox'],
  () => ['--storage-opt', 'foo', 'busybox'],
  () => ['--log-driver', 'none', '--log-opt', 'a=b', 'busybox'],
  () => ['--network', 'a', '--network', 'host', 'busybox'],
  () => ['--network', 'a', '--network', 'a', 'busybox'],
  () => ['--network-alias', 'x', 'busybox'],
  () => ['--network', 'bridge', '--link', 'a', '--network-alias', 'x', 'busybox'],
  () => ['--network', 'name=a,alias=x', '--network-alias', 'y', 'busybox'],
  () => ['--network', 'name=a,mac-address=zz', 'busybox'],
  () => ['run:', '-d', '-a', 'stdout', 'busybox'],
  () => ['run:', '--pull', 'sometimes', 'busybox'],
  () => ['run:', '--sig-proxy=x', 'busybox'],
  () => ['--network', 'host', '--network-alias', 'x', 'busybox'],
  () => ['--network', 'name=a,driver-opt=x', 'busybox'],
  () => ['--network', 'name=a,alias', 'busybox'],
  () => ['--gpus', 'foo=bar', 'busybox'],
  () => ['--gpus', '"options=a""', 'busybox'],
  () => ['--health-start-interval', '-1s', 'busybox'],
  () => ['--health-start-period', '-1s', 'busybox'],
  () => ['--health-interval', '-1s', 'busybox'],
  () => ['--mount', 'type=image,target=/x,volume-subpath=a', 'busybox'],
  () => ['--mount', 'type=volume,target=/x,tmpfs-size=1x', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,bind-recursive=maybe', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,bind-recursive=writable', 'busybox'],
  () => ['--mount', 'type=bind,target=/x,bind-recursive=readonly,ro,bind-propagation=shared', 'busybox'],
  () => ['--mount', '', 'busybox'],
  () => ['--expose', '80-x', 'busybox'],
  () => ['--expose', '90-80', 'busybox'],
  () => ['-p', '127.0.0.1:x:80', 'busybox'],
  () => ['-p', 'published=80', 'busybox'],
  () => ['--security-opt', 'seccomp', 'busybox'],
  () => ['--security-opt', 'label=', 'busybox'],
  () => ['--security-opt', `seccomp=${dir}`, 'busybox'],
  () => ['--memory-swap', '-2', 'busybox'],
  () => ['--shm-size', '1.5.5m', 'busybox'],
  () => ['--oom-score-adj', '99999999999999999999', 'busybox'],
  () => ['--cpus', '1/0', 'busybox'],
  () => ['--device-cgroup-rule', 'a *:* rwmm', 'busybox'],
  () => ['--ulimit', 'nofile=1:x', 'busybox'],
  () => ['--add-host', ':1.2.3.4', 'busybox'],
  () => ['--add-host', 'a:b:1.2.3.4', 'busybox'],
  () => ['--dns-search', '123', 'busybox'],
  () => ['--link', '', 'busybox'],
  () => ['-l', 'a b=c', 'busybox'],
  () => ['--platform', 'a/b/c/d', 'busybox'],
  () => ['--platform', 'a/b/c/d/e', 'busybox'],
  () => ['--platform', 'lin ux/amd64', 'busybox'],
  () => ['--platform', 'linux/am d64', 'busybox'],
  () => ['--platform', 'foo', 'busybox'],
  () => ['run:', '--platform', 'foo', 'busybox'],
  () => ['run:', '--platform', 'linux/*', 'busybox'],
];

let lastStatus = 0;
function ourError(argv: string[], command: 'run' | 'create'): string {
  try {
    ours(argv, command, ENV);
  } catch (e) {
    assert.ok(e instanceof RunOptionsError, `not a RunOptionsError: ${String(e)}`);
    lastStatus = e.status;
    return runErrorText(e, 'docker', command);
  }
  return '(accepted)';
}

describe('errors match the docker CLI', { skip: !HAVE_DOCKER && 'docker CLI not installed' }, () => {
  for (const mk of ERROR_CASES) {
    const label = mk()
      .join(' ')
      .replace(/\/tmp\/berth-run-opts-\w+/g, '$TMP');
    test(label, async () => {
      const { command, argv } = commandOf(mk());
      const got = await docker(argv, command, dir, ENV);
      assert.ok(got.code === 125 || got.code === 1, `docker: ${got.stderr}`);
      assert.equal(ourError(argv, command), got.stderr);
      assert.equal(lastStatus, got.code);
    });
  }
});

// ---------------------------------------------------------------------------
// Expected bodies written out (these run without docker).

describe('parseRunOptions request bodies', () => {
  test('defaults', () => {
    const r = ours(['busybox']);
    const asWire: ContainerCreateRequest = r.request; // the wire type accepts it
    assert.ok(asWire);
    assert.deepEqual(r.request, {
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Image: 'busybox',
      HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, MemorySwappiness: -1 },
      NetworkingConfig: { EndpointsConfig: { default: {} } },
    });
    assert.deepEqual(r.attach, ['stdout', 'stderr']);
    assert.equal(r.pull, 'missing');
    assert.equal(r.sigProxy, true);
    assert.equal(r.detach, false);
  });

  test('ports as go-connections builds them', () => {
    const r = ours(['-p', '127.0.0.1:8000-8001:80-81/udp', '-p', '[::1]::90', '-p', '7000-7010:70', '--expose', '100-101', 'img']).request;
    assert.deepEqual(r.ExposedPorts, { '80/udp': {}, '81/udp': {}, '90/tcp': {}, '70/tcp': {}, '100/tcp': {}, '101/tcp': {} });
    assert.deepEqual(r.HostConfig.PortBindings, {
      '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8000' }],
      '81/udp': [{ HostIp: '127.0.0.1', HostPort: '8001' }],
      '90/tcp': [{ HostIp: '::1', HostPort: '' }],
      '70/tcp': [{ HostIp: '', HostPort: '7000-7010' }],
    });
  });

  test('resources', () => {
    const hc = ours(['--cpus', '1.5', '-m', '512m', '--memory-swap', '-1', '--shm-size', '64m', '--ulimit', 'nofile=1024:2048', 'img']).request.HostConfig;
    assert.equal(hc.NanoCpus, 1_500_000_000);
    assert.equal(hc.Memory, 512 * 1024 * 1024);
    assert.equal(hc.MemorySwap, -1);
    assert.equal(hc.ShmSize, 64 * 1024 * 1024);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Hard: 2048, Soft: 1024 }]);
  });

  test('volumes: binds, named, anonymous', () => {
    const r = ours(['-v', '/h:/c:ro', '-v', 'data:/d:nocopy', '-v', '/anon', '-v', './x:/x', 'img']).request;
    assert.deepEqual(r.HostConfig.Binds, ['/h:/c:ro', 'data:/d:nocopy', `${process.cwd()}/x:/x`]);
    assert.deepEqual(r.Volumes, { '/anon': {} });
  });

  test('tmpfs and mounts', () => {
    const r = ours(['--tmpfs', '/run:rw,size=64m', '--mount', 'type=bind,source=/s,target=/t,readonly', '--mount', 'type=tmpfs,dst=/m,tmpfs-size=1m,tmpfs-mode=700', 'img']).request;
    assert.deepEqual(r.HostConfig.Tmpfs, { '/run': 'rw,size=64m' });
    assert.deepEqual(r.HostConfig.Mounts, [
      { Type: 'bind', Source: '/s', Target: '/t', ReadOnly: true },
      { Type: 'tmpfs', Target: '/m', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o700 } },
    ]);
  });

  test('env: -e lookups, duplicates, env files', () => {
    const r = ours(['--env-file', envFile, '-e', 'B', '-e', 'UNSET', '-e', 'X=1', '-e', 'X=2', 'img'], 'create', ENV).request;
    assert.deepEqual(r.Env, ['FOO=bar', 'QUOTED="quoted value"', 'EMPTY=', 'FROM_ENV=env-value', 'TRAILING=space ', 'B=from-env', 'UNSET', 'X=2']);
  });

  test('labels: label files drop keys without values, -l keeps them', () => {
    const r = ours(['--label-file', labelFile, '-l', 'solo', 'img']).request;
    assert.deepEqual(r.Labels, { 'com.example.a': '1', 'com.example.b': 'two words', solo: '' });
  });

  test('seccomp profile is sent compacted, verbatim', () => {
    const r = ours(['--security-opt', `seccomp=${seccompFile}`, 'img']).request;
    assert.deepEqual(r.HostConfig.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO","errnoRet":1.0}]}']);
  });

  test('restart, network, healthcheck, entrypoint, stop timeout, init', () => {
    const r = ours(['--restart', 'on-failure:3', '--network', 'net1', '--network-alias', 'a', '--ip', '10.0.0.2', '--health-cmd', 'true', '--health-interval', '1m30s', '--entrypoint', '', '--stop-timeout', '0', '--init=false', 'img']).request;
    assert.deepEqual(r.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(r.HostConfig.NetworkMode, 'net1');
    assert.deepEqual(r.NetworkingConfig, { EndpointsConfig: { net1: { Aliases: ['a'], IPAMConfig: { IPv4Address: '10.0.0.2' } } } });
    assert.deepEqual(r.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 90e9 });
    assert.deepEqual(r.Entrypoint, ['']);
    assert.equal(r.StopTimeout, 0);
    assert.equal(r.HostConfig.Init, false);
  });

  test('tty and stdin', () => {
    let r = ours(['-t', '-i', 'img']);
    assert.deepEqual([r.request.Tty, r.request.OpenStdin, r.request.AttachStdin, r.request.StdinOnce], [true, true, true, true]);
    assert.deepEqual(r.attach, ['stdin', 'stdout', 'stderr']);
    r = ours(['-d', '-i', 'img'], 'run');
    assert.deepEqual([r.request.OpenStdin, r.request.AttachStdin, r.request.AttachStdout, r.request.StdinOnce], [true, false, false, false]);
    assert.deepEqual(r.attach, []);
    assert.equal(r.detach, true);
    r = ours(['-a', 'stderr', 'img'], 'run');
    assert.deepEqual(r.attach, ['stderr']);
  });

  test('localhost DNS warning', () => {
    assert.deepEqual(ours(['--dns', '127.0.0.53', '--dns', '::1', 'img']).warnings, ['Localhost DNS (127.0.0.53) may fail in containers.']);
  });

  test('--pull ""', () => assert.equal(ours(['--pull', '', 'img']).pull, 'never'));

  test('run-only options', () => {
    const r = ours(['--detach-keys', 'ctrl-x', '--sig-proxy=false', '--cidfile', '/tmp/c', '--name', 'n', 'img'], 'run');
    assert.equal(r.detachKeys, 'ctrl-x');
    assert.equal(r.sigProxy, false);
    assert.equal(r.cidfile, '/tmp/c');
    assert.equal(r.name, 'n');
    assert.equal(r.request.HostConfig.ContainerIDFile, '/tmp/c');
  });
});

describe('error kinds', () => {
  const cases: [string[], 'flag' | 'parse', string][] = [
    [['-m', 'abc', 'img'], 'flag', `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`],
    [['-p', 'x', 'img'], 'parse', 'invalid containerPort: x'],
    [['-p', 'published=1,x', 'img'], 'parse', "invalid publish opts format (should be name=value but got 'x')"],
    [['--restart', 'on-failure:x', 'img'], 'parse', 'invalid restart policy format: maximum retry count must be an integer'],
    [['--rm', '--restart', 'always', 'img'], 'parse', 'conflicting options: cannot specify both --restart and --rm'],
  ];
  for (const [argv, kind, msg] of cases) {
    test(argv.join(' '), () => {
      assert.throws(
        () => ours(argv),
        (e: unknown) => e instanceof RunOptionsError && e.kind === kind && e.message === msg && e.status === 125,
      );
    });
  }
  test('runErrorText', () => {
    assert.equal(runErrorText(new RunOptionsError('boom', 'parse'), 'berth', 'run'), "berth: boom\n\nRun 'berth run --help' for more information\n");
    assert.equal(
      runErrorText(new RunOptionsError('bad', 'flag'), 'berth', 'create'),
      "bad\n\nUsage:  berth create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth create --help' for more information\n",
    );
  });
});

describe('parseDuration (time.ParseDuration)', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['1s', 1e9],
    ['1.5s', 1.5e9],
    ['1h2m3s', 3723e9],
    ['300ms', 300e6],
    ['-1.5h', -5400e9],
    ['1us', 1000],
    ['1µs', 1000],
    ['.5s', 5e8],
    ['1.s', 1e9],
  ];
  for (const [s, n] of ok) test(s, () => assert.equal(parseDuration(s), n));
  const bad: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['.s', 'time: invalid duration ".s"'],
    ['x', 'time: invalid duration "x"'],
  ];
  for (const [s, msg] of bad) test(`bad ${JSON.stringify(s)}`, () => assert.throws(() => parseDuration(s), { message: msg }));
});

describe('option declarations', () => {
  test('sorted by long name; run has detach, sig-proxy, detach-keys', () => {
    const names = RUN_OPTIONS.map((o) => /--([\w-]+)/.exec(o.flags)![1]!);
    assert.deepEqual(names, [...names].sort());
    for (const n of ['detach', 'sig-proxy', 'detach-keys', 'rm', 'attach', 'pull', 'name']) assert.ok(names.includes(n), n);
    const create = CREATE_OPTIONS.map((o) => /--([\w-]+)/.exec(o.flags)![1]!);
    for (const n of ['detach', 'sig-proxy', 'detach-keys']) assert.ok(!create.includes(n), n);
  });
});
