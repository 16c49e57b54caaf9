/**
 * The floor of `run --rm`: bare `runc run` of the bundle berthd makes for a
 * `--network none` busybox `true` (its own config.json, over a plain copy of
 * the image's root filesystem), with no engine, monitor or client around it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from './context.js';
import { mustRun, runCmd } from './host.js';

const CGROUP = 'berth-bench-bare';

export interface BareRunc {
  /** One `runc run` to completion; its wall time in ms. */
  run(): Promise<number>;
  cleanup(): Promise<void>;
}

export async function bareRunc(berth: Engine, execRoot: string, tmp: string): Promise<BareRunc> {
  const id = await berth.api.createContainer('bench-bare-source', ['true'], { image: berth.busybox, network: 'none' });
  const dir = join(tmp, 'bare-runc');
  const state = join(dir, 'state');
  const cleanup = async () => {
    await berth.api.remove(id).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    // runc removes each run's cgroups; their parent is the bench's own.
    for (const ctl of readdirSync('/sys/fs/cgroup')) {
      const p = join('/sys/fs/cgroup', ctl, CGROUP);
      if (existsSync(p)) rmdirSync(p);
    }
  };
  try {
    await berth.api.start(id);
    await berth.api.json('POST', `/containers/${id}/wait`);
    const config = JSON.parse(readFileSync(join(execRoot, 'containers', id, 'config.json'), 'utf8')) as { root: { path: string }; linux: { cgroupsPath?: string }; process: { terminal?: boolean } };
    const info = await berth.api.json<{ GraphDriver: { Data: { LowerDir?: string } | null } }>('GET', `/containers/${id}/json`);
    const lowers = info.GraphDriver.Data?.LowerDir?.split(':') ?? [];
    if (lowers.length === 0) throw new Error('the bench container has no image layers to copy');
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    // Lowest layer first, so upper layers' files win (busybox has one layer; no whiteouts to apply).
    for (const l of [...lowers].reverse()) await mustRun(['cp', '-a', `${l}/.`, rootfs]);
    config.root.path = rootfs;
    config.linux.cgroupsPath = `/${CGROUP}/run`;
    config.process.terminal = false;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    run: async () => {
      const r = await runCmd(['runc', '--root', state, 'run', '--bundle', dir, 'bench-bare']);
      if (r.code !== 0) throw new Error(`runc run exited with ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
      return r.ms;
    },
    cleanup,
  };
}
