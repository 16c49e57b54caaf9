/**
 * Runc.start against runc itself (as root): a container made by `runc
 * create` is started by reading its exec fifo, without spawning `runc
 * start`, and runc then sees it as started; an init that died meanwhile is
 * reported without hanging; an unknown container gets runc's own answer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { realHost } from '../../sys/host.js';
import { buildSpec, specToJson } from '../spec/build.js';
import { Runc, RuntimeError } from './runc.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox' : spawnSync('runc', ['--version']).status !== 0 ? 'needs runc' : false;
const tmp = skip ? '' : mkdtempSync(join(tmpdir(), 'berth-runc-'));
const root = join(tmp, 'state');
const ids: string[] = [];
const runcState = (id: string) => JSON.parse(spawnSync('runc', ['--root', root, 'state', id], { encoding: 'utf8' }).stdout || '{}') as { status?: string; pid?: number };

after(() => {
  if (skip) return;
  for (const id of ids) spawnSync('runc', ['--root', root, 'delete', '-f', id], { stdio: 'ignore' });
  // runc delete removed each container's cgroups; their parent goes unless another run still uses it.
  for (const ctl of readdirSync('/sys/fs/cgroup')) rmdirQuiet(join('/sys/fs/cgroup', ctl, 'berth-runc-test'));
  rmSync(tmp, { recursive: true, force: true });
});

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* absent, or still in use by another run */
  }
}

/** `runc create` of a busybox bundle running `script`; returns the ID and its rootfs. */
function create(script: string): { id: string; rootfs: string } {
  const id = `berth-runc-${randomBytes(4).toString('hex')}`;
  ids.push(id);
  const bundle = join(tmp, id);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  const spec = buildSpec({
    rootfs,
    readonlyRootfs: false,
    hostname: 'runc-test',
    process: { args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/', terminal: false, user: { uid: 0, gid: 0, additionalGids: [] }, noNewPrivileges: false, rlimits: [] },
    capAdd: [],
    capDrop: [],
    privileged: false,
    namespaces: { network: { mode: 'new' }, pid: { mode: 'new' }, ipc: { mode: 'new' }, uts: { mode: 'new' }, cgroup: { mode: 'host' } },
    mounts: [],
    tmpfs: {},
    shmSize: 64 * 1024 * 1024,
    cgroupsPath: `/berth-runc-test/${id}`,
    resources: {},
    devices: [],
    seccomp: { mode: 'default' },
    sysctls: {},
    kernelVersion: release(),
  });
  writeFileSync(join(bundle, 'config.json'), specToJson(spec));
  // No pipes: the container's init inherits runc's stdio and would hold them open.
  const log = join(bundle, 'runc.log');
  const r = spawnSync('runc', ['--root', root, '--log', log, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
  assert.equal(r.status, 0, existsSync(log) ? readFileSync(log, 'utf8') : `runc create exited ${r.status}`);
  return { id, rootfs };
}

describe('Runc.start', { skip }, () => {
  const runc = new Runc(realHost(), root);

  it('starts a created container through its exec fifo; runc then reports it started', async () => {
    const { id, rootfs } = create('echo started > /ran; sleep 30');
    assert.equal(runcState(id).status, 'created');
    await runc.start(id);
    assert.equal(runcState(id).status, 'running');
    assert.equal(existsSync(join(root, id, 'exec.fifo')), false);
    for (let i = 0; i < 200 && !existsSync(join(rootfs, 'ran')); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readFileSync(join(rootfs, 'ran'), 'utf8'), 'started\n');
    await assert.rejects(runc.start(id), (e: unknown) => e instanceof RuntimeError, 'a second start must fail as runc fails it');
    await runc.kill(id, 'KILL');
  });

  it('an init that died before the start is reported, without waiting forever', async () => {
    const { id } = create('true');
    const pid = runcState(id).pid!;
    process.kill(pid, 'SIGKILL');
    await assert.rejects(runc.start(id), (e: unknown) => e instanceof RuntimeError && e.reason === 'not-running' && e.message.includes(`pid ${pid}`));
  });

  it('an unknown container gets runc\'s answer', async () => {
    await assert.rejects(runc.start('berth-runc-none'), (e: unknown) => e instanceof RuntimeError && e.reason === 'not-found');
  });
});
