/**
 * Sanity check that runc (Debian's 1.1.x) accepts what buildSpec writes: a
 * bundle with a static busybox as rootfs, run in the foreground with
 * `runc run`. Needs root, runc and /bin/busybox; skipped otherwise. Everything
 * it creates (runc state, cgroups under /berth-spec-test, temp dirs) is
 * removed, also on failure.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildSpec, specToJson } from './build.js';
import { capabilitiesFromMask } from './caps.js';
import type { SpecInput } from './build.js';

const CGROUP_PARENT = 'berth-spec-test';

function haveRunc(): boolean {
  return spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
}

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync('/bin/busybox')
      ? 'needs /bin/busybox'
      : !haveRunc()
        ? 'needs runc'
        : false;

const tmp = skip ? '' : mkdtempSync(join(tmpdir(), 'berth-spec-'));
const runcRoot = join(tmp, 'runc');
const ids: string[] = [];

function removeCgroups(): void {
  // cgroup v1 hierarchies (cpu, memory, …, name=systemd) and the v2 one on hybrid hosts
  const base = '/sys/fs/cgroup';
  const roots = [base, ...readdirSync(base).map((d) => join(base, d))];
  for (const root of roots) {
    const parent = join(root, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const id of ids) {
      try {
        rmdirSync(join(parent, id));
      } catch {
        // not there, or already removed by runc delete
      }
    }
    try {
      rmdirSync(parent);
    } catch {
      // another run may still use it
    }
  }
}

after(() => {
  if (skip) return;
  for (const id of ids) spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
  removeCgroups();
  rmSync(tmp, { recursive: true, force: true });
});

function makeBundle(name: string): { bundle: string; rootfs: string } {
  const bundle = join(tmp, name);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  return { bundle, rootfs };
}

function baseInput(rootfs: string, id: string, script: string): SpecInput {
  return {
    rootfs,
    readonlyRootfs: false,
    hostname: 'spec-test',
    process: {
      args: ['/bin/busybox', 'sh', '-c', script],
      env: ['PATH=/bin', 'HOSTNAME=spec-test'],
      cwd: '/',
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [] },
      noNewPrivileges: false,
      rlimits: [],
    },
    capAdd: [],
    capDrop: [],
    privileged: false,
    namespaces: {
      network: { mode: 'new' },
      pid: { mode: 'new' },
      ipc: { mode: 'new' },
      uts: { mode: 'new' },
      cgroup: { mode: 'host' },
    },
    mounts: [],
    tmpfs: {},
    shmSize: 64 * 1024 * 1024,
    cgroupsPath: `/${CGROUP_PARENT}/${id}`,
    resources: {},
    devices: [],
    seccomp: { mode: 'default' },
    sysctls: {},
    kernelVersion: release(),
  };
}

function run(name: string, make: (rootfs: string, id: string) => SpecInput): { status: number | null; out: string } {
  const id = `berth-spec-${name}-${randomBytes(4).toString('hex')}`;
  ids.push(id);
  const { bundle, rootfs } = makeBundle(name);
  writeFileSync(join(bundle, 'config.json'), specToJson(buildSpec(make(rootfs, id)), 2));
  const r = spawnSync('runc', ['--root', runcRoot, 'run', '--bundle', bundle, id], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
  return { status: r.status, out: `${r.stdout}\n--- stderr ---\n${r.stderr}` };
}

/** Files in Docker's masked paths whose content would leak host information. */
const MASKED_PROBES = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/interrupts', '/proc/sched_debug'];

/** CapBnd / CapEff of Docker's 14 default capabilities. */
const DEFAULT_CAP_MASK = '00000000a80425fb';

describe('runc accepts the spec', { skip }, () => {
  it('defaults: Docker capability mask, hostname, seccomp, masked paths', () => {
    const script = [
      'id',
      'cat /proc/self/status | grep Cap',
      'grep Seccomp: /proc/self/status',
      'hostname',
      'test -c /dev/null && test -c /dev/full && test -c /dev/tty && echo devices-ok',
      `for p in ${MASKED_PROBES.join(' ')}; do [ -e $p ] && echo "masked $p $(cat $p 2>/dev/null | wc -c)"; done`,
      'echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo proc-sys-ro',
      'mount -t tmpfs none /mnt 2>/dev/null || echo mount-denied',
      'echo ok',
    ].join('; ');
    const r = run('defaults', (rootfs, id) => baseInput(rootfs, id, script));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /uid=0\(root\)|uid=0 /, r.out);
    assert.match(r.out, new RegExp(`CapBnd:\\s+${DEFAULT_CAP_MASK}`), r.out);
    assert.match(r.out, new RegExp(`CapEff:\\s+${DEFAULT_CAP_MASK}`), r.out);
    assert.match(r.out, /CapInh:\s+0000000000000000/, r.out);
    assert.match(r.out, /Seccomp:\s+2/, r.out);
    assert.match(r.out, /^spec-test$/m, r.out);
    for (const w of ['devices-ok', 'proc-sys-ro', 'mount-denied']) assert.ok(r.out.includes(w), `${w}\n${r.out}`);
    // masked files that exist on this host read as empty inside (kcore is often compiled out)
    const probes = MASKED_PROBES.filter((p) => existsSync(p));
    assert.ok(probes.length > 0);
    for (const p of probes) assert.match(r.out, new RegExp(`^masked ${p} 0$`, 'm'), r.out);
    assert.match(r.out, /^ok$/m, r.out);
  });

  it('read-only rootfs, tmpfs, resources, ulimits, non-root user, cap-drop ALL + CHOWN', () => {
    const script = [
      'id',
      'grep CapBnd /proc/self/status',
      'touch /x 2>/dev/null || echo rootfs-ro',
      'touch /run/x && echo tmpfs-rw',
      'ulimit -n',
      'ulimit -c',
      'echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
      'echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"',
      'echo "quota $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"',
      'echo "shares $(cat /sys/fs/cgroup/cpu/cpu.shares)"',
      'echo ok',
    ].join('; ');
    const r = run('limits', (rootfs, id) => {
      // runc 1.1 gives a tmpfs the mode of the directory it covers (mode= is overridden)
      mkdirSync(join(rootfs, 'run'));
      chmodSync(join(rootfs, 'run'), 0o1777);
      const i = baseInput(rootfs, id, script);
      return {
        ...i,
        readonlyRootfs: true,
        tmpfs: { '/run': 'mode=1777,size=16m' },
        capAdd: ['chown'],
        capDrop: ['ALL'],
        process: {
          ...i.process,
          user: { uid: 1000, gid: 1000, additionalGids: [10] },
          noNewPrivileges: true,
          oomScoreAdj: 100,
          rlimits: [
            { name: 'nofile', soft: 512, hard: 1024 },
            { name: 'core', soft: -1, hard: -1 },
          ],
        },
        resources: { memory: 64 * 1024 * 1024, nanoCpus: 0.5e9, pidsLimit: 64, cpuShares: 512 },
      };
    });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /uid=1000 gid=1000 groups=(1000,10|10,1000)$/m, r.out);
    assert.match(r.out, /CapBnd:\s+0000000000000001/, r.out);
    for (const w of ['rootfs-ro', 'tmpfs-rw']) assert.ok(r.out.includes(w), `${w}\n${r.out}`);
    assert.match(r.out, /^512$/m, r.out);
    assert.match(r.out, /^unlimited$/m, r.out);
    // the cgroup v1 files runc wrote (cgroupns host: the container's own cgroup is bound at /sys/fs/cgroup/<ctl>)
    assert.match(r.out, /^mem 67108864$/m, r.out);
    assert.match(r.out, /^pids 64$/m, r.out);
    assert.match(r.out, /^quota 50000 100000$/m, r.out);
    assert.match(r.out, /^shares 512$/m, r.out);
    assert.match(r.out, /^ok$/m, r.out);
  });

  it('privileged: every capability this process has, no seccomp, writable /sys', () => {
    // Docker gives --privileged the daemon's own capabilities; a sandbox may lack some (runc refuses those)
    const hostMask = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    const script = ['grep -E "CapBnd|Seccomp:" /proc/self/status', 'grep " /sys " /proc/mounts', 'echo ok'].join('; ');
    const r = run('privileged', (rootfs, id) => ({
      ...baseInput(rootfs, id, script),
      privileged: true,
      hostCapabilities: capabilitiesFromMask(hostMask),
    }));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`CapBnd:\\s+${hostMask}`), r.out);
    assert.match(r.out, /^sysfs \/sys sysfs rw,/m, r.out);
    assert.match(r.out, /Seccomp:\s+0/, r.out);
    assert.match(r.out, /^ok$/m, r.out);
  });

  it('exit status comes through', () => {
    const r = run('exit', (rootfs, id) => baseInput(rootfs, id, 'exit 7'));
    assert.equal(r.status, 7, r.out);
  });
});
