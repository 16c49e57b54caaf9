import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { EngineError } from '../../errdefs/errdefs.js';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  buildResources,
  buildSpec,
  mergeTmpfsOptions,
  specToJson,
  tmpfsMount,
  toRlimit,
} from './build.js';
import type { SpecInput } from './build.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, capabilitiesFromMask, tweakCapabilities } from './caps.js';
import type { Mount, Spec } from './oci-types.js';

type DeepPartialInput = Partial<Omit<SpecInput, 'process' | 'namespaces'>> & {
  process?: Partial<SpecInput['process']>;
  namespaces?: Partial<SpecInput['namespaces']>;
};

function input(over: DeepPartialInput = {}): SpecInput {
  const { process, namespaces, ...rest } = over;
  return {
    rootfs: '/var/lib/berth/overlay/1/merged',
    readonlyRootfs: false,
    hostname: 'c0ffee',
    capAdd: [],
    capDrop: [],
    privileged: false,
    mounts: [],
    tmpfs: {},
    shmSize: 64 * 1024 * 1024,
    cgroupsPath: '/berth/c0ffee',
    resources: {},
    devices: [],
    seccomp: { mode: 'default' },
    sysctls: {},
    arch: 'amd64',
    kernelVersion: '6.1.0-18-amd64',
    ...rest,
    process: {
      args: ['/bin/sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [] },
      noNewPrivileges: false,
      rlimits: [],
      ...process,
    },
    namespaces: {
      network: { mode: 'new' },
      pid: { mode: 'new' },
      ipc: { mode: 'new' },
      uts: { mode: 'new' },
      cgroup: { mode: 'host' },
      ...namespaces,
    },
  };
}

function throwsInvalid(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EngineError, `expected EngineError, got ${String(err)}`);
    assert.equal(err.kind, 'InvalidParameter');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

function mount(spec: Spec, destination: string): Mount | undefined {
  const all = spec.mounts.filter((m) => m.destination === destination);
  assert.ok(all.length <= 1, `${destination} mounted ${all.length} times`);
  return all[0];
}

describe('capabilities', () => {
  it('default: the 14 Docker capabilities in bounding, effective and permitted, no inheritable', () => {
    const caps = buildSpec(input()).process.capabilities;
    assert.deepEqual(caps?.bounding, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(caps?.effective, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(caps?.permitted, [...DEFAULT_CAPABILITIES]);
    assert.equal(caps?.inheritable, undefined);
    assert.equal(caps?.ambient, undefined);
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
  });

  const cases: { name: string; add: string[]; drop: string[]; privileged?: boolean; want: string[] }[] = [
    { name: 'nothing', add: [], drop: [], want: [...DEFAULT_CAPABILITIES] },
    { name: 'add NET_ADMIN', add: ['NET_ADMIN'], drop: [], want: [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN'] },
    { name: 'add cap_net_admin (case, prefix)', add: ['cap_net_admin'], drop: [], want: [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN'] },
    { name: 'add a default again', add: ['CHOWN'], drop: [], want: [...DEFAULT_CAPABILITIES] },
    {
      name: 'drop MKNOD and NET_RAW',
      add: [],
      drop: ['mknod', 'CAP_NET_RAW'],
      want: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD' && c !== 'CAP_NET_RAW'),
    },
    { name: 'drop ALL then add CHOWN', add: ['CHOWN'], drop: ['ALL'], want: ['CAP_CHOWN'] },
    { name: 'drop all (lower case)', add: [], drop: ['all'], want: [] },
    { name: 'add ALL', add: ['ALL'], drop: [], want: [...ALL_CAPABILITIES] },
    {
      name: 'add ALL, drop SYS_ADMIN',
      add: ['ALL'],
      drop: ['SYS_ADMIN'],
      want: ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'),
    },
    { name: 'privileged ignores cap-drop', add: [], drop: ['ALL'], privileged: true, want: [...ALL_CAPABILITIES] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(tweakCapabilities(c.add, c.drop, c.privileged ?? false), c.want);
      const spec = buildSpec(input({ capAdd: c.add, capDrop: c.drop, privileged: c.privileged ?? false }));
      assert.deepEqual(spec.process.capabilities?.bounding, c.want);
      assert.deepEqual(spec.process.capabilities?.effective, c.want);
      assert.deepEqual(spec.process.capabilities?.permitted, c.want);
    });
  }

  it('capabilitiesFromMask reads /proc/<pid>/status masks', () => {
    assert.deepEqual(capabilitiesFromMask('00000000a80425fb').sort(), [...DEFAULT_CAPABILITIES].sort());
    assert.deepEqual(capabilitiesFromMask('000001ffffffffff'), [...ALL_CAPABILITIES]);
    assert.deepEqual(capabilitiesFromMask('ffffffffffffffff'), [...ALL_CAPABILITIES]);
    assert.ok(!capabilitiesFromMask('000001fffeffffff').includes('CAP_SYS_RESOURCE'));
    assert.deepEqual(capabilitiesFromMask('0'), []);
    throwsInvalid(() => capabilitiesFromMask('xyz'), 'invalid capability mask: "xyz"');
  });

  it('41 kernel capabilities', () => {
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.equal(ALL_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  });

  it('unknown capability is rejected with Docker’s message', () => {
    throwsInvalid(() => buildSpec(input({ capAdd: ['FOO'] })), 'unknown capability: "CAP_FOO"');
    throwsInvalid(() => buildSpec(input({ capDrop: ['cap_bar'] })), 'unknown capability: "CAP_BAR"');
  });

  it('hostCapabilities limit ALL and privileged', () => {
    const host = ['CAP_CHOWN', 'CAP_KILL'];
    assert.deepEqual(buildSpec(input({ privileged: true, hostCapabilities: host })).process.capabilities?.bounding, host);
    assert.deepEqual(buildSpec(input({ capAdd: ['ALL'], hostCapabilities: host })).process.capabilities?.bounding, host);
    throwsInvalid(
      () => buildSpec(input({ capAdd: ['SYS_ADMIN'], hostCapabilities: host })),
      'capability not supported by your kernel or not available in the current environment: "CAP_SYS_ADMIN"',
    );
  });
});

describe('defaults', () => {
  const spec = buildSpec(input());

  it('version, root, process basics', () => {
    assert.equal(spec.ociVersion, '1.0.2');
    assert.deepEqual(spec.root, { path: '/var/lib/berth/overlay/1/merged' });
    assert.equal(spec.hostname, 'c0ffee');
    assert.deepEqual(spec.process.user, { uid: 0, gid: 0, additionalGids: [0] });
    assert.equal(spec.process.terminal, undefined);
    assert.equal(spec.process.noNewPrivileges, undefined);
    assert.equal(spec.linux.cgroupsPath, '/berth/c0ffee');
  });

  it('Docker’s default mounts, in order', () => {
    assert.deepEqual(spec.mounts, [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'],
      },
    ]);
  });

  it('masked and read-only paths', () => {
    assert.deepEqual(spec.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
    assert.deepEqual(spec.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
    for (const p of [
      '/proc/asound',
      '/proc/acpi',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/proc/scsi',
      '/sys/firmware',
      '/sys/devices/virtual/powercap',
    ]) {
      assert.ok(spec.linux.maskedPaths?.includes(p), p);
    }
    assert.deepEqual(spec.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('device cgroup: deny all first, then the allow list; fuse denied', () => {
    const rules = spec.linux.resources?.devices ?? [];
    assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
    const has = (allow: boolean, type: string, major: number, minor: number, access: string): boolean =>
      rules.some((r) => r.allow === allow && r.type === type && r.major === major && r.minor === minor && r.access === access);
    for (const [type, major, minor, access] of [
      ['c', 1, 3, 'rwm'],
      ['c', 1, 5, 'rwm'],
      ['c', 1, 7, 'rwm'],
      ['c', 1, 8, 'rwm'],
      ['c', 1, 9, 'rwm'],
      ['c', 5, 0, 'rwm'],
      ['c', 5, 1, 'rwm'],
      ['c', 5, 2, 'rwm'],
      ['c', 136, -1, 'rwm'],
      ['c', 10, 200, 'rwm'],
      ['c', -1, -1, 'm'],
      ['b', -1, -1, 'm'],
    ] as const) {
      assert.ok(has(true, type, major, minor, access), `${type} ${major}:${minor} ${access}`);
    }
    assert.ok(has(false, 'c', 10, 229, 'rwm'));
  });

  it('default devices with major/minor/fileMode', () => {
    assert.deepEqual(
      spec.linux.devices?.map((d) => [d.path, d.type, d.major, d.minor, d.fileMode, d.uid, d.gid]),
      [
        ['/dev/null', 'c', 1, 3, 0o666, 0, 0],
        ['/dev/zero', 'c', 1, 5, 0o666, 0, 0],
        ['/dev/full', 'c', 1, 7, 0o666, 0, 0],
        ['/dev/random', 'c', 1, 8, 0o666, 0, 0],
        ['/dev/urandom', 'c', 1, 9, 0o666, 0, 0],
        ['/dev/tty', 'c', 5, 0, 0o666, 0, 0],
      ],
    );
  });

  it('namespaces: mount, network, uts, pid, ipc; no time namespace (runc 1.1)', () => {
    assert.deepEqual(spec.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  });

  it('network sysctls for a private network namespace', () => {
    assert.deepEqual(spec.linux.sysctl, {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '0',
    });
  });

  it('seccomp on with the default profile; no resources beyond devices', () => {
    assert.equal(spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(Object.keys(spec.linux.resources ?? {}), ['devices']);
  });

  it('is deterministic and does not share arrays between calls', () => {
    const a = buildSpec(input());
    const b = buildSpec(input());
    assert.deepEqual(a, b);
    a.mounts[0]?.options?.push('x');
    const dev = a.linux.devices?.[0];
    if (dev) dev.major = 99;
    assert.deepEqual(buildSpec(input()), b);
  });
});

describe('privileged', () => {
  const spec = buildSpec(input({ privileged: true }));
  it('all capabilities, all devices, no masks, no seccomp, writable /sys and cgroup', () => {
    assert.deepEqual(spec.process.capabilities?.bounding, [...ALL_CAPABILITIES]);
    assert.deepEqual(spec.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.equal(spec.linux.readonlyPaths, undefined);
    assert.equal(spec.linux.seccomp, undefined);
    assert.deepEqual(mount(spec, '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(mount(spec, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
  });
  it('a custom seccomp profile still applies', () => {
    const s = buildSpec(
      input({ privileged: true, seccomp: { mode: 'custom', profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] } } }),
    );
    assert.deepEqual(s.linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] });
  });
  it('explicit masked/readonly paths still apply', () => {
    const s = buildSpec(input({ privileged: true, maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'] }));
    assert.deepEqual(s.linux.maskedPaths, ['/proc/kcore']);
    assert.deepEqual(s.linux.readonlyPaths, ['/proc/sys']);
  });
  it('--device entries are still created', () => {
    const s = buildSpec(
      input({
        privileged: true,
        devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm', type: 'c', major: 10, minor: 229 }],
      }),
    );
    assert.ok(s.linux.devices?.some((d) => d.path === '/dev/fuse'));
    assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  });
});

describe('seccomp modes', () => {
  it('unconfined: no seccomp', () => {
    assert.equal(buildSpec(input({ seccomp: { mode: 'unconfined' } })).linux.seccomp, undefined);
  });
  it('default: rules follow the capability set (cap-add SYS_ADMIN allows mount)', () => {
    const names = (s: Spec): string[] => (s.linux.seccomp?.syscalls ?? []).flatMap((r) => (r.args ? [] : r.names));
    assert.ok(!names(buildSpec(input())).includes('mount'));
    assert.ok(names(buildSpec(input({ capAdd: ['SYS_ADMIN'] }))).includes('mount'));
  });
  it('custom profile as JSON text', () => {
    const s = buildSpec(input({ seccomp: { mode: 'custom', profile: '{"defaultAction":"SCMP_ACT_LOG"}' } }));
    assert.deepEqual(s.linux.seccomp, { defaultAction: 'SCMP_ACT_LOG', syscalls: [] });
  });
  it('arch follows process.arch when unset', () => {
    const { arch: _arch, ...rest } = input();
    const s = buildSpec(rest);
    if (process.arch === 'x64') assert.deepEqual(s.linux.seccomp?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });
});

describe('read-only rootfs', () => {
  const spec = buildSpec(
    input({
      readonlyRootfs: true,
      mounts: [{ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate'] }],
      tmpfs: { '/run': '' },
      init: { hostPath: '/usr/libexec/berth/docker-init' },
    }),
  );
  it('root is read-only; /sys and cgroup stay ro; /proc, /dev* stay writable; user mounts untouched', () => {
    assert.deepEqual(spec.root, { path: '/var/lib/berth/overlay/1/merged', readonly: true });
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']) {
      assert.ok(!mount(spec, d)?.options?.includes('ro'), d);
    }
    assert.ok(mount(spec, '/sys')?.options?.includes('ro'));
    assert.ok(mount(spec, '/sys/fs/cgroup')?.options?.includes('ro'));
    assert.deepEqual(mount(spec, '/data')?.options, ['rbind', 'rprivate']);
    assert.deepEqual(mount(spec, '/run')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate']);
    assert.deepEqual(mount(spec, '/sbin/docker-init')?.options, ['bind', 'ro']);
  });
  it('privileged + read-only: /sys writable again', () => {
    const s = buildSpec(input({ readonlyRootfs: true, privileged: true }));
    assert.ok(!mount(s, '/sys')?.options?.includes('ro'));
  });
});

describe('resources', () => {
  const MiB = 1024 * 1024;
  const cases: { name: string; r: SpecInput['resources']; want: unknown }[] = [
    { name: 'none', r: {}, want: {} },
    { name: 'memory: swap defaults to 2x', r: { memory: 512 * MiB }, want: { memory: { limit: 512 * MiB, swap: 1024 * MiB } } },
    { name: 'memory, swap -1: unlimited swap', r: { memory: 512 * MiB, memorySwap: -1 }, want: { memory: { limit: 512 * MiB } } },
    {
      name: 'memory and swap',
      r: { memory: 512 * MiB, memorySwap: 768 * MiB },
      want: { memory: { limit: 512 * MiB, swap: 768 * MiB } },
    },
    {
      name: 'reservation, swappiness, oom-kill-disable',
      r: { memoryReservation: 64 * MiB, memorySwappiness: 10, oomKillDisable: true },
      want: { memory: { reservation: 64 * MiB, swappiness: 10, disableOOMKiller: true } },
    },
    { name: 'swappiness -1 means unset', r: { memorySwappiness: -1 }, want: {} },
    { name: 'nanoCpus 1.5', r: { nanoCpus: 1.5e9 }, want: { cpu: { period: 100000, quota: 150000 } } },
    { name: 'nanoCpus 0.25', r: { nanoCpus: 0.25e9 }, want: { cpu: { period: 100000, quota: 25000 } } },
    { name: 'nanoCpus 512 cpus (beyond 2^53 when multiplied)', r: { nanoCpus: 512e9 }, want: { cpu: { period: 100000, quota: 51200000 } } },
    {
      name: 'cpu shares, quota, period, cpuset',
      r: { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: '0-1', cpusetMems: '0' },
      want: { cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' } },
    },
    { name: 'pids 100', r: { pidsLimit: 100 }, want: { pids: { limit: 100 } } },
    { name: 'pids 0 is unlimited', r: { pidsLimit: 0 }, want: { pids: { limit: -1 } } },
    { name: 'pids -5 is unlimited', r: { pidsLimit: -5 }, want: { pids: { limit: -1 } } },
    { name: 'blkio weight', r: { blkioWeight: 300 }, want: { blockIO: { weight: 300 } } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(buildResources(c.r), c.want);
      const { devices: _d, ...rest } = buildSpec(input({ resources: c.r })).linux.resources ?? {};
      assert.deepEqual(rest, c.want);
    });
  }

  const bad: { name: string; r: SpecInput['resources']; msg: string }[] = [
    { name: 'swap without memory', r: { memorySwap: 100 * MiB }, msg: 'You should always set the Memory limit when using Memoryswap limit, see usage' },
    {
      name: 'swap below memory',
      r: { memory: 100 * MiB, memorySwap: 50 * MiB },
      msg: 'Minimum memoryswap limit should be larger than memory limit, see usage',
    },
    { name: 'nano + period', r: { nanoCpus: 1e9, cpuPeriod: 50000 }, msg: 'Conflicting options: Nano CPUs and CPU Period cannot both be set' },
    { name: 'nano + quota', r: { nanoCpus: 1e9, cpuQuota: 50000 }, msg: 'Conflicting options: Nano CPUs and CPU Quota cannot both be set' },
    { name: 'swappiness 101', r: { memorySwappiness: 101 }, msg: 'Invalid value: 101, valid memory swappiness range is 0-100' },
    { name: 'negative shares', r: { cpuShares: -1 }, msg: 'invalid CPU shares (-1): value must be a positive integer' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => throwsInvalid(() => buildResources(c.r), c.msg));
  }
});

describe('ulimits', () => {
  const cases: { name: string; in: { name: string; soft: number; hard: number }; want: unknown }[] = [
    { name: 'nofile', in: { name: 'nofile', soft: 1024, hard: 4096 }, want: { type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 } },
    { name: 'nproc', in: { name: 'nproc', soft: 100, hard: 100 }, want: { type: 'RLIMIT_NPROC', hard: 100, soft: 100 } },
    { name: 'core unlimited', in: { name: 'core', soft: -1, hard: -1 }, want: { type: 'RLIMIT_CORE', hard: 2n ** 64n - 1n, soft: 2n ** 64n - 1n } },
    { name: 'memlock soft < unlimited', in: { name: 'memlock', soft: 65536, hard: -1 }, want: { type: 'RLIMIT_MEMLOCK', hard: 2n ** 64n - 1n, soft: 65536 } },
    { name: 'upper-case name', in: { name: 'STACK', soft: 8, hard: 8 }, want: { type: 'RLIMIT_STACK', hard: 8, soft: 8 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(toRlimit(c.in), c.want);
      assert.deepEqual(buildSpec(input({ process: { rlimits: [c.in] } })).process.rlimits, [c.want]);
    });
  }
  it('rejects unknown names and soft > hard', () => {
    throwsInvalid(() => toRlimit({ name: 'bogus', soft: 1, hard: 1 }), 'invalid ulimit type: bogus');
    throwsInvalid(() => toRlimit({ name: 'nofile', soft: 2, hard: 1 }), /soft limit must be less than or equal to hard limit/);
    throwsInvalid(() => toRlimit({ name: 'nofile', soft: -1, hard: 10 }), /soft limit/);
  });
  it('specToJson writes RLIM_INFINITY as a plain uint64', () => {
    const s = buildSpec(input({ process: { rlimits: [{ name: 'nofile', soft: 1024, hard: -1 }] } }));
    const text = specToJson(s);
    assert.match(text, /"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024/);
    // everything else is what JSON.stringify would write
    const { process: p, ...rest } = s;
    const parsed = JSON.parse(text) as Spec;
    assert.deepEqual({ ...parsed, process: undefined }, { ...JSON.parse(JSON.stringify(rest)), process: undefined });
    assert.deepEqual(JSON.parse(specToJson(buildSpec(input()), 2)), JSON.parse(JSON.stringify(buildSpec(input()))));
    assert.equal(p.rlimits?.length, 1);
  });
});

describe('tmpfs', () => {
  const cases: { opts: string; want: string[] }[] = [
    { opts: '', want: ['noexec', 'nosuid', 'nodev', 'rprivate'] },
    { opts: 'rw,noexec,size=64m', want: ['nosuid', 'nodev', 'rprivate', 'rw', 'noexec', 'size=64m'] },
    { opts: 'exec', want: ['nosuid', 'nodev', 'rprivate', 'exec'] },
    { opts: 'ro,mode=1770,uid=1000', want: ['noexec', 'nosuid', 'nodev', 'rprivate', 'ro', 'mode=1770', 'uid=1000'] },
    { opts: 'size=1m,size=2m', want: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=2m'] },
    { opts: 'shared', want: ['noexec', 'nosuid', 'nodev', 'shared'] },
    { opts: 'suid,dev', want: ['noexec', 'rprivate', 'suid', 'dev'] },
    { opts: 'defaults,nr_inodes=1k', want: ['noexec', 'nosuid', 'nodev', 'rprivate', 'nr_inodes=1k'] },
  ];
  for (const c of cases) {
    it(`--tmpfs /t:${c.opts}`, () => {
      assert.deepEqual(tmpfsMount('/t', c.opts), { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: c.want });
      assert.deepEqual(mount(buildSpec(input({ tmpfs: { '/t': c.opts } })), '/t'), {
        destination: '/t',
        type: 'tmpfs',
        source: 'tmpfs',
        options: c.want,
      });
    });
  }
  it('rejects unknown options', () => {
    throwsInvalid(() => mergeTmpfsOptions(['bogus']), 'invalid tmpfs option "bogus"');
    throwsInvalid(() => buildSpec(input({ tmpfs: { '/t': 'foo=bar' } })), 'invalid tmpfs option "foo"');
  });
  it('a tmpfs at /dev/shm replaces the default', () => {
    const s = buildSpec(input({ tmpfs: { '/dev/shm': 'size=1g' } }));
    assert.deepEqual(mount(s, '/dev/shm')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1g']);
  });
});

describe('mounts', () => {
  it('a user mount at /dev/shm replaces the default (and shmSize sizes the default)', () => {
    const bind = { destination: '/dev/shm', type: 'bind', source: '/var/lib/berth/containers/x/shm', options: ['rbind', 'rprivate'] };
    const s = buildSpec(input({ mounts: [bind] }));
    assert.deepEqual(mount(s, '/dev/shm'), bind);
    assert.equal(s.mounts.at(-1)?.destination, '/dev/shm');
    const sized = buildSpec(input({ shmSize: 128 * 1024 * 1024 }));
    assert.ok(mount(sized, '/dev/shm')?.options?.includes('size=134217728'));
    const zero = buildSpec(input({ shmSize: 0 }));
    assert.ok(mount(zero, '/dev/shm')?.options?.includes('size=67108864'));
  });
  it('a user /dev drops every default mount under /dev', () => {
    const s = buildSpec(input({ mounts: [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }] }));
    assert.deepEqual(
      s.mounts.map((m) => m.destination),
      ['/proc', '/sys', '/sys/fs/cgroup', '/dev'],
    );
  });
  it('user mounts come after the defaults, parents first, destinations cleaned', () => {
    const s = buildSpec(
      input({
        mounts: [
          { destination: '/etc/hosts', type: 'bind', source: '/h', options: ['rbind'] },
          { destination: '/data/sub/', type: 'bind', source: '/b', options: ['rbind'] },
          { destination: '/data', type: 'bind', source: '/a', options: ['rbind'] },
          { destination: '/etc/resolv.conf', type: 'bind', source: '/r', options: ['rbind'] },
        ],
      }),
    );
    assert.deepEqual(
      s.mounts.slice(7).map((m) => m.destination),
      ['/data', '/etc/hosts', '/data/sub', '/etc/resolv.conf'],
    );
  });
  it('duplicate destinations and relative destinations are rejected', () => {
    throwsInvalid(
      () =>
        buildSpec(
          input({ mounts: [{ destination: '/x', type: 'bind', source: '/a', options: [] }], tmpfs: { '/x/': '' } }),
        ),
      'Duplicate mount point: /x',
    );
    throwsInvalid(
      () => buildSpec(input({ mounts: [{ destination: 'x', type: 'bind', source: '/a', options: [] }] })),
      /must be an absolute path/,
    );
  });
  it('--ipc host binds the host /dev/shm', () => {
    const s = buildSpec(input({ namespaces: { ipc: { mode: 'host' } } }));
    assert.deepEqual(mount(s, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  });
});

describe('namespaces', () => {
  const cases: { name: string; ns: DeepPartialInput['namespaces']; want: unknown }[] = [
    {
      name: 'network host',
      ns: { network: { mode: 'host' } },
      want: [{ type: 'mount' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }],
    },
    {
      name: 'join another container',
      ns: { network: { mode: 'path', path: '/proc/42/ns/net' }, ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, pid: { mode: 'path', path: '/proc/42/ns/pid' } },
      want: [
        { type: 'mount' },
        { type: 'network', path: '/proc/42/ns/net' },
        { type: 'uts' },
        { type: 'pid', path: '/proc/42/ns/pid' },
        { type: 'ipc', path: '/proc/42/ns/ipc' },
      ],
    },
    {
      name: 'everything host',
      ns: { network: { mode: 'host' }, pid: { mode: 'host' }, ipc: { mode: 'host' }, uts: { mode: 'host' } },
      want: [{ type: 'mount' }],
    },
    {
      name: 'private cgroup namespace',
      ns: { cgroup: { mode: 'new' } },
      want: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(buildSpec(input({ namespaces: c.ns })).linux.namespaces, c.want));
  }
  it('uts host: no hostname, no domainname sysctl', () => {
    const s = buildSpec(input({ domainname: 'example.org', namespaces: { uts: { mode: 'host' } } }));
    assert.equal(s.hostname, undefined);
    assert.equal(s.linux.sysctl?.['kernel.domainname'], undefined);
  });
  it('network host or joined: no default network sysctls', () => {
    assert.equal(buildSpec(input({ namespaces: { network: { mode: 'host' } } })).linux.sysctl, undefined);
    assert.equal(
      buildSpec(input({ namespaces: { network: { mode: 'path', path: '/proc/1/ns/net' } } })).linux.sysctl,
      undefined,
    );
  });
  it('rejects a relative namespace path', () => {
    throwsInvalid(() => buildSpec(input({ namespaces: { network: { mode: 'path', path: 'ns' } } })), /namespace path/);
  });
});

describe('process options', () => {
  it('sysctls: domainname, user values win', () => {
    const s = buildSpec(input({ domainname: 'example.org', sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.core.somaxconn': '1024' } }));
    assert.deepEqual(s.linux.sysctl, {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '1024',
      'kernel.domainname': 'example.org',
      'net.core.somaxconn': '1024',
    });
  });
  it('--init with a private pid namespace', () => {
    const s = buildSpec(input({ init: { hostPath: '/usr/bin/tini' }, process: { args: ['sleep', '1'] } }));
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
    assert.deepEqual(mount(s, '/sbin/docker-init'), {
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/bin/tini',
      options: ['bind', 'ro'],
    });
  });
  it('--init is ignored with --pid host', () => {
    const s = buildSpec(input({ init: { hostPath: '/usr/bin/tini' }, namespaces: { pid: { mode: 'host' } } }));
    assert.deepEqual(s.process.args, ['/bin/sh']);
    assert.equal(mount(s, '/sbin/docker-init'), undefined);
  });
  it('terminal, console size, no-new-privileges, oom score, apparmor, annotations, user', () => {
    const s = buildSpec(
      input({
        annotations: { 'org.example': 'x' },
        process: {
          terminal: true,
          consoleSize: { height: 24, width: 80 },
          noNewPrivileges: true,
          oomScoreAdj: 500,
          apparmorProfile: 'docker-default',
          user: { uid: 1000, gid: 1000, additionalGids: [10, 1000, 10] },
          cwd: '',
        },
      }),
    );
    assert.equal(s.process.terminal, true);
    assert.deepEqual(s.process.consoleSize, { height: 24, width: 80 });
    assert.equal(s.process.noNewPrivileges, true);
    assert.equal(s.process.oomScoreAdj, 500);
    assert.equal(s.process.apparmorProfile, 'docker-default');
    assert.deepEqual(s.annotations, { 'org.example': 'x' });
    assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 10] });
    assert.equal(s.process.cwd, '/');
  });
  it('console size only with a terminal', () => {
    const s = buildSpec(input({ process: { terminal: false, consoleSize: { height: 24, width: 80 } } }));
    assert.equal(s.process.consoleSize, undefined);
  });
  it('--device: node created, cgroup allowed after the default deny rules', () => {
    const s = buildSpec(
      input({
        devices: [
          { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm', type: 'c', major: 10, minor: 229, fileMode: 0o20666, uid: 0, gid: 0 },
          { pathOnHost: '/dev/sda', pathInContainer: '/dev/xvda', permissions: 'r', type: 'b', major: 8, minor: 0 },
          { pathOnHost: '/dev/null', pathInContainer: '/dev/null', permissions: 'rw', type: 'c', major: 1, minor: 3 },
        ],
      }),
    );
    assert.deepEqual(s.linux.devices?.find((d) => d.path === '/dev/fuse'), {
      path: '/dev/fuse',
      type: 'c',
      major: 10,
      minor: 229,
      fileMode: 0o666,
      uid: 0,
      gid: 0,
    });
    assert.equal(s.linux.devices?.filter((d) => d.path === '/dev/null').length, 1);
    const rules = s.linux.resources?.devices ?? [];
    assert.deepEqual(rules.slice(-3), [
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
    const denyFuse = rules.findIndex((r) => !r.allow && r.major === 10 && r.minor === 229);
    assert.ok(denyFuse >= 0 && denyFuse < rules.length - 3);
    throwsInvalid(
      () => buildSpec(input({ devices: [{ pathOnHost: '/dev/x', pathInContainer: '/dev/x', permissions: 'rwx', type: 'c', major: 1, minor: 1 }] })),
      'invalid device mode: rwx',
    );
  });
  it('rejects a relative rootfs', () => {
    throwsInvalid(() => buildSpec(input({ rootfs: 'rootfs' })), /absolute/);
  });
});
