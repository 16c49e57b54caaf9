import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

import { EngineError } from '../../errdefs/errdefs.js';
import { DEFAULT_CAPABILITIES } from './caps.js';
import type { LinuxSeccomp, LinuxSyscall } from './oci-types.js';
import { convertSeccompProfile, defaultProfile, goArch, parseSeccompProfile } from './seccomp.js';

const KERNEL = '6.1.0-18-amd64';

function convert(opts: { arch?: string; caps?: readonly string[]; kernel?: string; profile?: unknown } = {}): LinuxSeccomp {
  const out = convertSeccompProfile(opts.profile ?? defaultProfile(), {
    arch: opts.arch ?? 'amd64',
    capabilities: opts.caps ?? DEFAULT_CAPABILITIES,
    kernelVersion: opts.kernel ?? KERNEL,
  });
  assert.ok(out);
  return out;
}

/** Every rule that names `name`. */
function rulesFor(s: LinuxSeccomp, name: string): LinuxSyscall[] {
  return (s.syscalls ?? []).filter((r) => r.names.includes(name));
}

/** Allowed without argument conditions. */
function allowedOutright(s: LinuxSeccomp, name: string): boolean {
  return rulesFor(s, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && (r.args ?? []).length === 0);
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

const CLONE_NS_FLAGS = 0x7e020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET = 2114060288

describe('default profile, amd64, default capabilities', () => {
  const s = convert();

  it('deny by default with EPERM, x86 architectures', () => {
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  const table: { name: string; allowed: boolean }[] = [
    { name: 'read', allowed: true },
    { name: 'execve', allowed: true },
    { name: 'socket', allowed: false }, // only with argument filters (AF_ALG and AF_VSOCK refused)
    { name: 'arch_prctl', allowed: true },
    { name: 'modify_ldt', allowed: true },
    { name: 'ptrace', allowed: true }, // kernel >= 4.8
    { name: 'process_vm_readv', allowed: true }, // kernel >= 4.8
    { name: 'chroot', allowed: true }, // CAP_SYS_CHROOT is a default
    { name: 'mount', allowed: false },
    { name: 'umount2', allowed: false },
    { name: 'unshare', allowed: false },
    { name: 'setns', allowed: false },
    { name: 'bpf', allowed: false },
    { name: 'reboot', allowed: false },
    { name: 'kexec_load', allowed: false },
    { name: 'init_module', allowed: false },
    { name: 'open_by_handle_at', allowed: false },
    { name: 'kcmp', allowed: false },
    { name: 'settimeofday', allowed: false },
    { name: 'syslog', allowed: false },
    { name: 'io_uring_setup', allowed: false },
    { name: 'set_tls', allowed: false }, // arm only
    { name: 's390_runtime_instr', allowed: false },
    { name: 'clone', allowed: false }, // only with the namespace-flags filter
  ];
  for (const t of table) {
    it(`${t.name}: ${t.allowed ? 'allowed' : 'not allowed outright'}`, () => assert.equal(allowedOutright(s, t.name), t.allowed));
  }

  it('clone: allowed only without namespace flags (arg 0 masked)', () => {
    assert.deepEqual(rulesFor(s, 'clone'), [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NS_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
  });

  it('clone3: ENOSYS so that libc falls back to clone', () => {
    assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  it('personality: only the five safe personas', () => {
    const rules = rulesFor(s, 'personality');
    assert.deepEqual(
      rules.map((r) => r.args),
      [0, 8, 0x20000, 0x20008, 0xffffffff].map((value) => [{ index: 0, value, op: 'SCMP_CMP_EQ' }]),
    );
    assert.ok(rules.every((r) => r.action === 'SCMP_ACT_ALLOW'));
  });

  it('socket: every family but AF_ALG (38) and AF_VSOCK (40)', () => {
    assert.deepEqual(
      rulesFor(s, 'socket').map((r) => r.args),
      [
        [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }],
        [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }],
        [{ index: 0, value: 40, op: 'SCMP_CMP_GT' }],
      ],
    );
  });

  it('no rule carries conditions or comments into the OCI output', () => {
    for (const r of s.syscalls ?? []) {
      assert.deepEqual(Object.keys(r).filter((k) => !['names', 'action', 'errnoRet', 'args'].includes(k)), []);
    }
  });
});

describe('capability conditions', () => {
  const cases: { cap: string; unlocks: string[] }[] = [
    { cap: 'CAP_SYS_ADMIN', unlocks: ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'bpf', 'sethostname', 'fsopen'] },
    { cap: 'CAP_SYS_PTRACE', unlocks: ['kcmp', 'pidfd_getfd', 'process_madvise', 'ptrace'] },
    { cap: 'CAP_SYS_BOOT', unlocks: ['reboot'] },
    { cap: 'CAP_SYS_MODULE', unlocks: ['init_module', 'finit_module', 'delete_module'] },
    { cap: 'CAP_SYS_TIME', unlocks: ['settimeofday', 'clock_settime'] },
    { cap: 'CAP_SYS_NICE', unlocks: ['mbind', 'set_mempolicy'] },
    { cap: 'CAP_SYSLOG', unlocks: ['syslog'] },
    { cap: 'CAP_DAC_READ_SEARCH', unlocks: ['open_by_handle_at'] },
    { cap: 'CAP_BPF', unlocks: ['bpf'] },
    { cap: 'CAP_PERFMON', unlocks: ['perf_event_open'] },
    { cap: 'CAP_SYS_RAWIO', unlocks: ['iopl', 'ioperm'] },
  ];
  for (const c of cases) {
    it(`${c.cap} allows ${c.unlocks.join(', ')}`, () => {
      const s = convert({ caps: [...DEFAULT_CAPABILITIES, c.cap] });
      for (const name of c.unlocks) assert.ok(allowedOutright(s, name), name);
    });
  }

  it('with CAP_SYS_ADMIN the clone filter and the clone3 ENOSYS rule go away', () => {
    const s = convert({ caps: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] });
    assert.ok(rulesFor(s, 'clone').every((r) => r.args === undefined));
    assert.ok(rulesFor(s, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW'));
  });

  it('without CAP_SYS_CHROOT no chroot', () => {
    assert.ok(!allowedOutright(convert({ caps: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT') }), 'chroot'));
  });
});

describe('kernel conditions', () => {
  const cases: { kernel: string | undefined; caps: readonly string[]; ptrace: boolean }[] = [
    { kernel: '6.1.0-18-amd64', caps: DEFAULT_CAPABILITIES, ptrace: true },
    { kernel: '4.8.0', caps: DEFAULT_CAPABILITIES, ptrace: true },
    { kernel: '4.7.10-gentoo', caps: DEFAULT_CAPABILITIES, ptrace: false },
    { kernel: '3.12-1-amd64', caps: DEFAULT_CAPABILITIES, ptrace: false },
    { kernel: '4.4.0', caps: [...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE'], ptrace: true },
    { kernel: 'garbage', caps: DEFAULT_CAPABILITIES, ptrace: true },
    { kernel: undefined, caps: DEFAULT_CAPABILITIES, ptrace: true },
  ];
  for (const c of cases) {
    it(`ptrace on kernel ${String(c.kernel)} with ${c.caps.length} caps: ${c.ptrace}`, () => {
      const out = convertSeccompProfile(defaultProfile(), { arch: 'amd64', capabilities: c.caps, kernelVersion: c.kernel });
      assert.ok(out);
      assert.equal(allowedOutright(out, 'ptrace'), c.ptrace);
    });
  }

  it('excludes.minKernel drops a rule on new kernels', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['old_thing'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.4' } }],
    };
    assert.deepEqual(convert({ profile, kernel: '5.3.0' }).syscalls, [{ names: ['old_thing'], action: 'SCMP_ACT_ALLOW' }]);
    assert.deepEqual(convert({ profile, kernel: '5.4.0' }).syscalls, []);
  });
});

describe('architectures', () => {
  const cases: { arch: string; architectures: string[] | undefined; yes: string[]; no: string[] }[] = [
    { arch: 'amd64', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], yes: ['arch_prctl', 'modify_ldt'], no: ['set_tls'] },
    { arch: '386', architectures: undefined, yes: ['modify_ldt'], no: ['arch_prctl'] },
    { arch: 'arm64', architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], yes: ['set_tls', 'cacheflush'], no: ['arch_prctl', 'modify_ldt'] },
    { arch: 's390x', architectures: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'], yes: ['s390_runtime_instr'], no: ['arch_prctl'] },
    { arch: 'ppc64le', architectures: undefined, yes: ['sync_file_range2', 'swapcontext'], no: ['arch_prctl'] },
    { arch: 'riscv64', architectures: ['SCMP_ARCH_RISCV64'], yes: ['riscv_flush_icache'], no: ['arch_prctl'] },
  ];
  for (const c of cases) {
    it(c.arch, () => {
      const s = convert({ arch: c.arch });
      assert.deepEqual(s.architectures, c.architectures);
      for (const n of c.yes) assert.ok(allowedOutright(s, n), n);
      for (const n of c.no) assert.ok(!allowedOutright(s, n), n);
    });
  }

  it('s390x: the clone filter looks at argument 1', () => {
    assert.deepEqual(rulesFor(convert({ arch: 's390x' }), 'clone')[0]?.args, [
      { index: 1, value: CLONE_NS_FLAGS, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
  });

  it('goArch maps Node names', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('ia32'), '386');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('s390x'), 's390x');
  });
});

describe('custom profiles', () => {
  it('old "name" form and "architectures" pass through', () => {
    const s = convert({
      profile: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', args: null, errnoRet: 13 }],
      },
    });
    assert.deepEqual(s, {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
  });

  it('flags and listener fields pass through; valueTwo kept when set', () => {
    const s = convert({
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [
          { names: ['fchmod'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0o777, valueTwo: 0o644, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      },
    });
    assert.deepEqual(s.flags, ['SECCOMP_FILTER_FLAG_LOG']);
    assert.deepEqual(s.syscalls?.[0]?.args, [{ index: 1, value: 0o777, valueTwo: 0o644, op: 'SCMP_CMP_MASKED_EQ' }]);
  });

  it('an empty profile means no seccomp', () => {
    assert.equal(convertSeccompProfile({}, { arch: 'amd64', capabilities: [] }), undefined);
    assert.equal(convertSeccompProfile({ defaultAction: '', syscalls: [] }, { arch: 'amd64', capabilities: [] }), undefined);
  });

  const bad: { name: string; profile: unknown; msg: string | RegExp }[] = [
    {
      name: 'name and names',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
      msg: "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
    },
    {
      name: 'architectures and archMap',
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
      },
      msg: "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
    },
    { name: 'not JSON', profile: '{nope', msg: /^Decoding seccomp profile failed: / },
    { name: 'an array', profile: [], msg: 'Decoding seccomp profile failed: the profile must be a JSON object' },
    { name: 'syscalls not an array', profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: {} }, msg: /syscalls must be an array/ },
    {
      name: 'names not strings',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [1], action: 'SCMP_ACT_ALLOW' }] },
      msg: /syscalls\[0\]\.names must be an array of strings/,
    },
    {
      name: 'bad minKernel',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } }] },
      msg: /invalid kernel version: "4"/,
    },
    {
      name: 'negative arg value',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] },
      msg: /value must be a non-negative integer/,
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => throwsInvalid(() => convert({ profile: c.profile }), c.msg));
  }

  const reference = new URL('../../../../shared/reference/seccomp-default-docker-20.10.json', import.meta.url);
  it('Docker 20.10’s default profile converts (and differs from ours where Docker later changed it)', { skip: !existsSync(reference) }, () => {
    const docker2010 = JSON.parse(readFileSync(reference, 'utf8')) as unknown;
    const theirs = convert({ profile: docker2010 });
    const ours = convert();
    assert.equal(theirs.defaultAction, ours.defaultAction);
    assert.deepEqual(theirs.architectures, ours.architectures);
    assert.deepEqual(rulesFor(theirs, 'clone'), rulesFor(ours, 'clone'));
    assert.deepEqual(rulesFor(theirs, 'personality'), rulesFor(ours, 'personality'));
    // 20.10 allowed io_uring and every socket family; Docker 25+ does not
    assert.ok(allowedOutright(theirs, 'io_uring_setup') && !allowedOutright(ours, 'io_uring_setup'));
    assert.ok(allowedOutright(theirs, 'socket') && !allowedOutright(ours, 'socket'));
  });

  it('parseSeccompProfile round-trips the default profile', () => {
    assert.deepEqual(parseSeccompProfile(defaultProfile()).syscalls?.length, defaultProfile().syscalls?.length);
    const a = defaultProfile();
    a.syscalls?.pop();
    assert.notEqual(a.syscalls?.length, defaultProfile().syscalls?.length);
  });
});
