/**
 * The container state machine against fakes of everything around it (the
 * Host seam, the OCI runtime, the monitor, networking, volumes): create,
 * start, exit handling, stop, kill, restart policies, remove, rollback when a
 * step fails half-way, and live restore at daemon start. No root, runc or
 * kernel needed: the snapshotter is the plain-copy one in a temp dir, the
 * store a real one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { specFromRequest } from '../daemon/container-convert.js';
import { isKind } from '../errdefs/errdefs.js';
import { MonitorError } from '../runtime/monitor/monitor.js';
import { CopySnapshotter } from '../snapshot/copy.js';
import { silentLogger } from '../util/log.js';
import { FakeHost } from '../../test/fakes/host.js';
import { FakeHealth, FakeMonitor, FakeMounts, FakeNetwork, FakeRuntime, Journal } from '../../test/fakes/engine.js';
import { ContainerPaths } from './paths.js';
import { ContainerService } from './service.js';
import { ContainerStore } from './store.js';
import type { ContainerSpec } from './types.js';

const base = mkdtempSync(join(tmpdir(), 'berth-svc-'));
after(() => rmSync(base, { recursive: true, force: true }));
let seq = 0;

interface World {
  svc: ContainerService;
  host: FakeHost;
  journal: Journal;
  runtime: FakeRuntime;
  monitor: FakeMonitor;
  network: FakeNetwork;
  mounts: FakeMounts;
  health: FakeHealth;
  store: ContainerStore;
  snapshots: CopySnapshotter;
  paths: ContainerPaths;
  dir: string;
  /** A new service over the same state (a daemon restart), with the same fakes; the old one is closed. */
  restart(): Promise<World>;
}

async function world(dir = join(base, `w${seq++}`), live = new Set<number>(), keep?: Partial<World>): Promise<World> {
  const host = keep?.host ?? new FakeHost();
  const journal = keep?.journal ?? new Journal();
  const runtime = keep?.runtime ?? new FakeRuntime(journal, live);
  const monitor = keep?.monitor ?? new FakeMonitor(journal, runtime, live);
  const network = keep?.network ?? new FakeNetwork(journal);
  const mounts = keep?.mounts ?? new FakeMounts(journal);
  const health = keep?.health ?? new FakeHealth();
  const paths = new ContainerPaths(join(dir, 'root'), join(dir, 'run'));
  const store = await ContainerStore.open(join(dir, 'root', 'containers'));
  const snapshots = await CopySnapshotter.open(join(dir, 'root', 'snapshots'));
  const svc = new ContainerService({
    store,
    paths,
    scratchDir: join(dir, 'root', 'tmp'),
    snapshots,
    host,
    runtime,
    monitor,
    network,
    mounts,
    health,
    log: silentLogger,
    imageTopLayer: () => undefined,
    emit: (rec, action) => journal.entries.push(`event ${action} ${rec.id}`),
  });
  const w: World = {
    svc, host, journal, runtime, monitor, network, mounts, health, store, snapshots, paths, dir,
    restart: async () => {
      svc.close();
      const next = await world(dir, live, w);
      await next.svc.restore();
      return next;
    },
  };
  return w;
}

function spec(over: { Cmd?: string[]; HostConfig?: Record<string, unknown>; Healthcheck?: Record<string, unknown> } = {}): ContainerSpec {
  return specFromRequest({ Image: 'busybox', Cmd: over.Cmd ?? ['sleep', '60'], ...(over.Healthcheck ? { Healthcheck: over.Healthcheck } : {}), HostConfig: { NetworkMode: 'none', ...over.HostConfig } } as never, 'sha256:' + '1'.repeat(64), { config: {}, rootfs: { type: 'layers', diff_ids: [] } } as never);
}

/** Resolves once the condition holds (the service reacts to exits asynchronously). */
async function eventually(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let w: World;
beforeEach(async () => {
  w = await world();
  await w.svc.restore();
});

describe('create', () => {
  it('records the container, prepares its layer, registers network and mounts, in that order', async () => {
    const rec = await w.svc.create(spec(), { name: 'web' });
    assert.equal(rec.state.status, 'created');
    assert.equal(rec.incomplete, undefined);
    assert.ok(w.snapshots.stat(rec.snapshotKey), 'no layer');
    assert.deepEqual(w.journal.of(rec.id), ['network.register C', 'mounts.resolve C', 'event create C']);
    const reopened = await ContainerStore.open(join(w.dir, 'root', 'containers'));
    assert.equal(reopened.get(rec.id)?.incomplete, undefined, 'the saved record still says incomplete');
  });

  it('a step that fails half-way leaves nothing: no record, no layer, network and volumes undone', async () => {
    w.journal.failOn('mounts.resolve', new Error('volume trouble'));
    await assert.rejects(w.svc.create(spec(), { name: 'broken' }), /volume trouble/);
    assert.equal(w.store.all().length, 0);
    assert.deepEqual(w.snapshots.walk().filter((s) => s.kind === 'active'), []);
    const entries = w.journal.entries.map((e) => e.replace(/ [0-9a-f]{64}/, ''));
    assert.deepEqual(entries, ['network.register', 'mounts.resolve', 'network.unregister', 'mounts.removed -v']);
  });

  it('refuses a name in use (Conflict) and a bad name (InvalidParameter)', async () => {
    await w.svc.create(spec(), { name: 'taken' });
    await assert.rejects(w.svc.create(spec(), { name: 'taken' }), (e) => isKind(e, 'Conflict'));
    await assert.rejects(w.svc.create(spec(), { name: 'no/slash' }), (e) => isKind(e, 'InvalidParameter'));
    assert.equal(w.store.all().length, 1);
  });
});

describe('start', () => {
  it('reads top to bottom: mount the layer, volumes, monitor (create), network, runtime start', async () => {
    const rec = await w.svc.create(spec({ Healthcheck: { Test: ['CMD', 'true'] } }), { name: 'starter' });
    w.journal.entries.length = 0;
    await w.svc.start(rec.id);
    assert.deepEqual(w.journal.of(rec.id), ['mounts.specMounts C', 'monitor.start C', `network.attach C ${rec.state.pid}`, 'runtime.start C', 'event start C']);
    assert.ok(w.host.mounted.has(w.paths.rootfs(rec.id)), 'the layer is not mounted');
    assert.equal(rec.state.status, 'running');
    assert.ok(rec.state.pid > 0 && rec.state.monitorPid > 0);
    assert.ok(w.health.watched.has(rec.id));
    await assert.rejects(w.svc.start(rec.id), (e) => isKind(e, 'NotModified'));
  });

  it('a network that fails undoes the start: runtime deleted, network and volumes released, layer unmounted', async () => {
    const rec = await w.svc.create(spec(), { name: 'net-fails' });
    w.journal.failOn('network.attach', new Error('port 80 is taken'));
    w.journal.entries.length = 0;
    await assert.rejects(w.svc.start(rec.id), /port 80 is taken/);
    const steps = w.journal.of(rec.id).map((e) => e.replace(/^(network\.attach C) \d+$/, '$1'));
    assert.deepEqual(steps, ['mounts.specMounts C', 'monitor.start C', 'network.attach C', 'runtime.delete C --force', 'network.detach C', 'mounts.release C']);
    assert.ok(!w.host.mounted.has(w.paths.rootfs(rec.id)), 'the layer stays mounted');
    assert.equal(w.runtime.containers.size, 0);
    assert.equal(rec.state.status, 'created');
    assert.match(rec.state.error, /port 80 is taken/);
  });

  it('a command that does not exist: exit code 127, a 400, the container stays created', async () => {
    const rec = await w.svc.create(spec({ Cmd: ['nosuch'] }), { name: 'nocmd' });
    const monitorStart = w.monitor.start.bind(w.monitor);
    w.monitor.start = async () => {
      throw new MonitorError('exec: "nosuch": executable file not found in $PATH', 'command-not-found');
    };
    await assert.rejects(w.svc.start(rec.id), (e) => isKind(e, 'InvalidParameter'));
    w.monitor.start = monitorStart;
    assert.equal(rec.state.status, 'created');
    assert.equal(rec.state.exitCode, 127);
    assert.ok(!w.host.mounted.has(w.paths.rootfs(rec.id)));
  });
});

describe('exits, stop, kill', () => {
  it('an exit is recorded with its code, and the runtime, mount, network and volumes are released', async () => {
    const rec = await w.svc.create(spec(), { name: 'exits' });
    await w.svc.start(rec.id);
    w.journal.entries.length = 0;
    w.monitor.exits.exit(rec.id, 3);
    // The die event comes last, once the exit is saved and everything released.
    await eventually('the exit to be handled', () => w.journal.of(rec.id).includes('event die C'));
    assert.equal(rec.state.status, 'exited');
    assert.equal(rec.state.exitCode, 3);
    // The record says exited first; the releases follow, and the die event comes last.
    await eventually('the die event', () => w.journal.of(rec.id).includes('event die C'));
    assert.deepEqual(w.journal.of(rec.id), ['runtime.removeStopped C', 'network.detach C', 'mounts.release C', 'event die C']);
    assert.ok(!w.host.mounted.has(w.paths.rootfs(rec.id)));
    assert.equal(w.monitor.exits.read(rec.id), undefined, 'the exit was not consumed');
  });

  it('an OOM kill is recorded', async () => {
    const rec = await w.svc.create(spec(), { name: 'oom' });
    await w.svc.start(rec.id);
    w.monitor.oom.add(w.paths.bundle(rec.id));
    w.monitor.exits.exit(rec.id, 137);
    await eventually('the exit', () => rec.state.status === 'exited');
    assert.equal(rec.state.oomKilled, true);
  });

  it('stop sends the stop signal and waits for the exit; kill of a stopped container is a Conflict', async () => {
    const rec = await w.svc.create(spec(), { name: 'stopper' });
    await w.svc.start(rec.id);
    const stopping = w.svc.stop(rec.id, { timeout: 5 });
    await eventually('the stop signal', () => w.journal.of(rec.id).includes('runtime.kill C 15'));
    w.monitor.exits.exit(rec.id, 143);
    await stopping;
    assert.equal(rec.state.status, 'exited');
    assert.equal(rec.state.manuallyStopped, true);
    await assert.rejects(w.svc.kill(rec.id), (e) => isKind(e, 'Conflict'));
    await assert.rejects(w.svc.stop(rec.id), (e) => isKind(e, 'NotModified'));
  });

  it('a signal to a process that just exited is not an error', async () => {
    const rec = await w.svc.create(spec(), { name: 'gone' });
    await w.svc.start(rec.id);
    w.runtime.containers.get(rec.id)!.pid = -1; // the runtime now answers "not running"
    await w.svc.kill(rec.id, 'SIGUSR1');
  });
});

describe('auto-remove (run --rm)', () => {
  it('goes from running to removed without a record write in between (each one an fsync); the removal consumes the exit', async () => {
    const rec = await w.svc.create(spec({ HostConfig: { AutoRemove: true } }), { name: 'rm' });
    await w.svc.start(rec.id);
    const written: string[] = [];
    const save = w.store.save.bind(w.store);
    w.store.save = async (r) => {
      if (r.id === rec.id) written.push(r.state.status);
      await save(r);
    };
    const removed = w.svc.wait(rec.id, 'removed').ready;
    w.monitor.exits.exit(rec.id, 5);
    assert.equal((await removed).StatusCode, 5);
    assert.deepEqual(written, []);
    assert.equal(w.store.get(rec.id), undefined);
    assert.equal(w.monitor.exits.read(rec.id), undefined, 'the exit was not consumed');
  });

  it('a removal cut short by a crash (no exit file left, monitor gone) is finished at the next start', async () => {
    const rec = await w.svc.create(spec({ HostConfig: { AutoRemove: true } }), { name: 'rm3' });
    await w.svc.start(rec.id);
    w.svc.close();
    w.monitor.monitors.delete(rec.state.monitorPid); // exit consumed, record still `running`
    const exited = await w.svc.create(spec({ HostConfig: { AutoRemove: true } }), { name: 'rm4' });
    exited.state.status = 'exited';
    await w.store.save(exited);
    const w2 = await w.restart();
    assert.equal(w2.store.get(rec.id), undefined);
    assert.equal(w2.store.get(exited.id), undefined);
  });

  it('a daemon that stops between the exit and the removal removes the container at its next start', async () => {
    const rec = await w.svc.create(spec({ HostConfig: { AutoRemove: true } }), { name: 'rm2' });
    await w.svc.start(rec.id);
    w.svc.close();
    w.monitor.exits.exit(rec.id, 3); // the exit file is there; the record still says running
    const w2 = await w.restart();
    assert.equal(w2.store.get(rec.id), undefined);
  });
});

describe('restart policies', () => {
  it('on-failure:2 restarts twice after failures, then gives up', async () => {
    const rec = await w.svc.create(spec({ HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } }), { name: 'flaky' });
    await w.svc.start(rec.id);
    for (let n = 1; n <= 3; n++) {
      await eventually(`run ${n}`, () => rec.state.status === 'running');
      w.monitor.exits.exit(rec.id, 1);
      await eventually(`exit ${n}`, () => rec.state.status !== 'running');
    }
    await eventually('giving up', () => rec.state.status === 'exited');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rec.state.status, 'exited');
    assert.equal(rec.state.restartCount, 2);
    assert.equal(w.journal.of(rec.id).filter((e) => e === 'monitor.start C').length, 3);
  });

  it('stop cancels an always-policy restart', async () => {
    const rec = await w.svc.create(spec({ HostConfig: { RestartPolicy: { Name: 'always' } } }), { name: 'always' });
    await w.svc.start(rec.id);
    const stopping = w.svc.stop(rec.id, { timeout: 5 });
    await eventually('the stop signal', () => w.journal.of(rec.id).includes('runtime.kill C 15'));
    w.monitor.exits.exit(rec.id, 0);
    await stopping;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rec.state.status, 'exited');
    assert.equal(w.journal.of(rec.id).filter((e) => e === 'monitor.start C').length, 1);
  });
});

describe('remove', () => {
  it('refuses a running container without force; with force kills, waits, and undoes everything', async () => {
    const rec = await w.svc.create(spec(), { name: 'rm-me' });
    await w.svc.start(rec.id);
    await assert.rejects(w.svc.remove(rec.id), (e) => isKind(e, 'Conflict'));
    const removed: string[] = [];
    w.svc.onRemoved((id) => removed.push(id));
    const removing = w.svc.remove(rec.id, { force: true, volumes: true });
    await eventually('the kill', () => w.journal.of(rec.id).includes('runtime.kill C 9'));
    w.monitor.exits.exit(rec.id, 137);
    await removing;
    assert.equal(w.store.get(rec.id), undefined);
    assert.equal(w.snapshots.stat(rec.snapshotKey), undefined);
    assert.ok(w.journal.of(rec.id).includes('network.unregister C'));
    assert.ok(w.journal.of(rec.id).includes('mounts.removed C -v'));
    assert.deepEqual(removed, [rec.id]);
  });
});

describe('live restore (a new service over the same state, as at daemon start)', () => {
  it('keeps containers whose monitor lives, records exits that happened meanwhile, marks the rest exited', async () => {
    const keeper = await w.svc.create(spec(), { name: 'keeper' });
    const quitter = await w.svc.create(spec(), { name: 'quitter' });
    const orphan = await w.svc.create(spec(), { name: 'orphan' });
    for (const r of [keeper, quitter, orphan]) await w.svc.start(r.id);
    w.svc.close();
    w.monitor.exits.exit(quitter.id, 7); // while the daemon is away
    w.monitor.monitors.delete(orphan.state.monitorPid); // its monitor died without an exit file
    const w2 = await w.restart();
    assert.equal(w2.store.get(keeper.id)?.state.status, 'running');
    assert.equal(w2.store.get(keeper.id)?.state.pid, keeper.state.pid);
    assert.deepEqual([w2.store.get(quitter.id)?.state.status, w2.store.get(quitter.id)?.state.exitCode], ['exited', 7]);
    assert.deepEqual([w2.store.get(orphan.id)?.state.status, w2.store.get(orphan.id)?.state.exitCode], ['exited', 137]);
    // The restored container's exit still arrives.
    w2.monitor.exits.exit(keeper.id, 0);
    await eventually('the exit of the restored container', () => w2.store.get(keeper.id)?.state.status === 'exited');
  });

  it('finishes what a crash interrupted: a half-made create, a removal, a commit pause', async () => {
    const half = await w.svc.create(spec(), { name: 'half' });
    half.incomplete = true;
    await w.store.save(half);
    const doomed = await w.svc.create(spec(), { name: 'doomed' });
    doomed.state.status = 'removing';
    await w.store.save(doomed);
    const frozen = await w.svc.create(spec(), { name: 'frozen' });
    await w.svc.start(frozen.id);
    await w.svc.pause(frozen.id, { transient: true });
    w.host.frozenCgroups.add(`/berth/${frozen.id}`);
    await w.snapshots.prepare('f'.repeat(64), undefined, { 'berth.container': 'f'.repeat(64) }); // a layer whose record never got written
    const w2 = await w.restart();
    assert.equal(w2.store.get(half.id), undefined, 'the half-made container is still there');
    assert.equal(w2.store.get(doomed.id), undefined, 'the interrupted removal was not finished');
    assert.equal(w2.snapshots.stat('f'.repeat(64)), undefined, 'the orphan layer is still there');
    assert.equal(w2.store.get(frozen.id)?.state.status, 'running');
    assert.ok(w2.journal.of(frozen.id).includes('runtime.resume C'), 'the commit pause was not thawed');
  });

  it('a start interrupted by a crash is reaped: runtime deleted, mount and network released', async () => {
    const rec = await w.svc.create(spec(), { name: 'interrupted' });
    // What a crash between `monitor.start` and recording `running` leaves: runtime state and a mount.
    w.runtime.containers.set(rec.id, { pid: 4242, status: 'created' });
    w.host.mounted.set(w.paths.rootfs(rec.id), []);
    const w2 = await w.restart();
    assert.equal(w2.store.get(rec.id)?.state.status, 'created');
    assert.ok(!w2.runtime.containers.has(rec.id));
    assert.ok(!w2.host.mounted.has(w2.paths.rootfs(rec.id)));
    assert.ok(w2.journal.of(rec.id).includes('network.detach C'));
  });
});
