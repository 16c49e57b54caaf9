/**
 * The composition root: opens the stores, builds the subsystems, implements
 * the API backends with them, and serves the API. Nothing else wires
 * subsystems together.
 *
 * Lifecycle: Daemon.start(config) → running; stop() closes the API socket and
 * releases what the daemon holds in-process. Containers (later) keep running
 * across a stop: they belong to their monitors, not to the daemon.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ApiServer } from '../api/server.js';
import { ContainerPaths } from '../container/paths.js';
import { ContainerService } from '../container/service.js';
import { ContainerStore } from '../container/store.js';
import { Runc } from '../runtime/oci/runc.js';
import { DaemonContainerBackend } from './container-backend.js';
import { mountPointsView } from './container-views.js';
import { ExecService } from '../container/exec.js';
import { HealthChecker } from '../container/health.js';
import { DaemonExecBackend } from './exec-backend.js';
import { capabilitiesFromMask } from '../runtime/spec/caps.js';
import { VolumeService } from '../volume/service.js';
import { toWireVolume } from '../api/routes/volumes.js';
import { apiRoutes } from '../api/routes/index.js';
import { API_VERSION } from '../api/version.js';
import { VolumeMounts } from '../volume/container-mounts.js';
import { ContainerNetworkAttacher } from '../network/attacher.js';
import { ConmonMonitor } from '../runtime/monitor/conmon.js';
import { realHost } from '../sys/host.js';
import { isRunning, type ContainerRecord } from '../container/types.js';
import { NetworkService } from '../network/service.js';
import { forwardCompatChain } from '../network/firewall.js';
import { ContainerNetworking } from './container-network.js';
import { EventBus } from '../events/bus.js';
import { ContentStore } from '../image/content-store.js';
import { ImageService } from '../image/image-service.js';
import { OverlaySnapshotter } from '../snapshot/overlay.js';
import { hostFacts, supportsRecursiveReadOnly, toolVersion } from '../sys/facts.js';
import type { Logger } from '../util/log.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { BERTH_VERSION } from './build-info.js';
import { DaemonImageBackend } from './image-backend.js';
import { DaemonBuildBackend } from './build-backend.js';
import { DaemonSystemBackend } from './system-backend.js';
import { DEFAULT_CERTS_DIR, RegistryService, type RegistrySettings } from '../image/registry/service.js';
import { DaemonRegistryBackend } from './registry-backend.js';
import type { LayerLimits } from '../image/unpack.js';

/** The default bridge's name (`--bridge-name`): its daemon keeps the plain firewall names. */
export const DEFAULT_BRIDGE = 'berth0';

export interface DaemonConfig {
  root: string;
  /** Registry mirrors, insecure registries, certificates dir (issue 7); defaults when absent. */
  registry?: RegistrySettings;
  execRoot: string;
  socket: string;
  bridgeSubnet?: string;
  bridgeName: string;
  debug: boolean;
  /** What one image layer may hold (--max-layer-size, --max-layer-entries); defaults when absent. */
  layerLimits?: LayerLimits;
}

/** The first-level dirs of --root and --exec-root. */
const STATE_DIRS = ['build', 'containers', 'content', 'image', 'network', 'overlay', 'tmp', 'volumes'];
const RUNTIME_DIRS = ['containers', 'exec', 'exits', 'runc', 's'];

export class Daemon {
  private constructor(
    private readonly server: ApiServer,
    readonly images: ImageService,
    readonly containers: ContainerService,
    private readonly health: HealthChecker,
    readonly events: EventBus,
    private readonly network: NetworkService,
    private readonly registries: RegistryService,
  ) {}

  static async start(cfg: DaemonConfig, log: Logger): Promise<Daemon> {
    // Private to root, existing dirs included (see util/private-dir.ts); only known subdirs,
    // since a root that is shared with other software must not have its other entries changed.
    await ensurePrivateDir(cfg.root);
    for (const sub of STATE_DIRS) await ensurePrivateDir(join(cfg.root, sub));
    await ensurePrivateDir(cfg.execRoot);
    for (const sub of RUNTIME_DIRS) await ensurePrivateDir(join(cfg.execRoot, sub));
    const host = realHost();
    const id = await engineId(cfg.root);
    const events = new EventBus();
    const snapshots = await OverlaySnapshotter.open(join(cfg.root, 'overlay'), { warn: (msg, fields) => log.warn(msg, fields) });
    const content = new ContentStore(join(cfg.root, 'content'));
    const images = await ImageService.open(cfg.root, content, snapshots, log, cfg.layerLimits);
    // --- registries (issue 7) ---
    const registrySettings = cfg.registry ?? { mirrors: [], insecure: [], certsDir: DEFAULT_CERTS_DIR };
    // Tests point Docker Hub at a local address so that no test traffic leaves the machine.
    const hub = process.env['BERTH_DOCKER_HUB_REGISTRY'];
    const registries = new RegistryService(hub ? { ...registrySettings, dockerHub: hub } : registrySettings, log);
    const registryBackend = new DaemonRegistryBackend(images, registries, events, log);
    const paths = new ContainerPaths(cfg.root, cfg.execRoot);
    const store = await ContainerStore.open(join(cfg.root, 'containers'));
    const volumes = await VolumeService.open(cfg.root, log, host, {
      onEvent: (action, name, attributes) => events.publish({ type: 'volume', action, actor: { id: name, attributes } }),
    });
    const mounts = new VolumeMounts(volumes, store, log, await supportsRecursiveReadOnly());
    // Firewall names per daemon (its default bridge names it): daemons on one host never touch each other's.
    const network = await NetworkService.open(
      {
        root: cfg.root,
        bridgeName: cfg.bridgeName,
        ...(cfg.bridgeSubnet ? { bridgeSubnet: cfg.bridgeSubnet } : {}),
        table: cfg.bridgeName === DEFAULT_BRIDGE ? 'berth' : `berth_${cfg.bridgeName}`,
        forwardChain: forwardCompatChain(cfg.bridgeName, DEFAULT_BRIDGE),
        owner: id,
        onEvent: (action, networkId, attributes) => events.publish({ type: 'network', action, actor: { id: networkId, attributes } }),
      },
      log,
      host,
    );
    const attacher = new ContainerNetworkAttacher(network, (ref) => store.tryResolve(ref), paths, host);
    const networking = new ContainerNetworking(network, store, attacher);
    const runc = new Runc(host, paths.runtimeRoot);
    const monitor = new ConmonMonitor(host, runc, paths.exitDir, paths.socketDir);
    const emitContainer = (rec: ContainerRecord, action: string, attributes?: Record<string, string>) =>
      events.publish({ type: 'container', action, actor: { id: rec.id, attributes: { ...rec.spec.labels, image: rec.spec.imageRef, name: rec.name, ...attributes } } });
    const execs = new ExecService(store, paths, host, monitor, () => capabilitiesFromMask(host.facts.capabilityBoundingMask()), emitContainer);
    const health = new HealthChecker({
      probe: (rec, cmd, timeoutMs) => execs.run(rec.id, cmd, timeoutMs),
      changed: async (rec, statusChanged) => {
        await store.save(rec);
        if (statusChanged && rec.state.health) {
          events.publish({ type: 'container', action: `health_status: ${rec.state.health.status}`, actor: { id: rec.id, attributes: { ...rec.spec.labels, image: rec.spec.imageRef, name: rec.name } } });
        }
      },
    });
    const containers = new ContainerService({
      store,
      paths,
      scratchDir: images.tmpDir,
      snapshots,
      host,
      runtime: runc,
      monitor,
      network: attacher,
      mounts,
      health,
      log,
      imageTopLayer: (id) => images.store.get(id)?.layers.at(-1)?.chainID,
      emit: emitContainer,
    });
    containers.onRemoved((id) => execs.forget(id));
    images.setUsers({
      containersUsing: (imageId) =>
        store
          .all()
          .filter((c) => c.spec.image === imageId)
          .map((c) => ({ id: c.id, running: isRunning(c) || c.state.status === 'restarting' })),
    });
    await containers.restore();
    await network.reconcile((id) => {
      const rec = store.get(id);
      return !!rec && isRunning(rec);
    });
    await network.start();
    await mounts.restore(store.all().filter(isRunning));
    // Health checks of containers that kept running while the daemon was away.
    for (const c of store.all()) if (c.state.status === 'running') health.start(c);
    const [runcVersion, conmonVersion] = await Promise.all([toolVersion('runc'), toolVersion('conmon')]);
    const imageBackend = new DaemonImageBackend(images, events, registryBackend);
    const build = await DaemonBuildBackend.open(
      { images, containers, host, events, pull: (p, out) => registryBackend.pull(p, out), platform: hostPlatform() },
      join(cfg.root, 'build', 'cache.json'),
    );
    const containerBackend = new DaemonContainerBackend(
      containers,
      images,
      paths,
      { networkSettings: (rec) => networking.networkSettings(rec), ports: (rec) => networking.ports(rec), execIds: (rec) => execs.runningIn(rec.id), mounts: (rec) => mountPointsView(rec, volumes) },
    );
    const system = new DaemonSystemBackend({
      id,
      root: cfg.root,
      debug: cfg.debug,
      host: hostFacts(),
      runcVersion,
      conmonVersion,
      registry: registries.info(),
      counts: () => {
        const all = store.all();
        const running = all.filter((c) => c.state.status === 'running' || c.state.status === 'restarting').length;
        const paused = all.filter((c) => c.state.status === 'paused').length;
        return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.store.all().length };
      },
      diskUsage: async () => {
        const ctrs = await containerBackend.list({ all: true, size: true, filters: new Map() });
        const layerUsers = new Map<string, number>();
        for (const r of images.store.all()) for (const l of r.layers) layerUsers.set(l.chainID, (layerUsers.get(l.chainID) ?? 0) + 1);
        const imgs = imageBackend.list({ all: true, filters: new Map(), digests: true, version: API_VERSION }).map((i) => {
          const rec = images.store.get(i.Id);
          const shared = rec ? rec.layers.filter((l) => (layerUsers.get(l.chainID) ?? 0) > 1).reduce((n, l) => n + l.size, 0) : 0;
          return { ...i, SharedSize: shared, Containers: ctrs.filter((c) => c.ImageID === i.Id).length };
        });
        const layersSize = images.snapshots.walk().filter((sn) => sn.kind === 'committed').reduce((n, sn) => n + Number(sn.labels['berth.size'] ?? 0), 0);
        const vols = await Promise.all(volumes.list().map(async (v) => toWireVolume(v, { Size: await volumes.usage(v.name), RefCount: mounts.usersOf(v.name).length })));
        return { LayersSize: layersSize, Images: imgs, Containers: ctrs, Volumes: vols, BuildCache: build.cacheUsage() };
      },
    });
    const server = new ApiServer({
      socketPath: cfg.socket,
      log,
      serverHeader: `Docker/${BERTH_VERSION} (linux)`,
      routes: apiRoutes({
        system,
        images: imageBackend,
        registry: registryBackend,
        containers: containerBackend,
        exec: new DaemonExecBackend(execs),
        events,
        networks: networking.backend(),
        volumes: {
          list: (filters) => volumes.list({ filters, usersOf: mounts.usersOf }),
          get: (name) => volumes.get(name),
          create: (req) => volumes.create(req),
          remove: (name, o) => volumes.remove(name, o, mounts.usersOf),
          prune: (filters) => volumes.prune({ filters, usersOf: mounts.usersOf }),
        },
        build,
      }),
    });
    await server.listen();
    log.info('berthd is serving the API', { socket: cfg.socket, root: cfg.root, version: BERTH_VERSION });
    return new Daemon(server, images, containers, health, events, network, registries);
  }

  /** Stops serving. Containers keep running under their monitors (live restore). */
  async stop(): Promise<void> {
    this.health.stopAll();
    this.containers.close();
    // Open `events` streams would keep server.close() waiting forever.
    this.events.close();
    await this.server.close();
    await this.network.close();
    this.registries.close();
  }
}

/** The platform images are built for: the host's, in OCI names. */
function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** A stable ID for this engine's root, made on first start. */
async function engineId(root: string): Promise<string> {
  const path = join(root, 'engine-id');
  try {
    return (await fs.readFile(path, 'utf8')).trim();
  } catch {
    const hex = randomBytes(16).toString('hex');
    const id = hex.match(/.{4}/g)!.join(':').toUpperCase().slice(0, 39);
    await fs.writeFile(path, id + '\n');
    return id;
  }
}
