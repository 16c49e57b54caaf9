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
import { imageRoutes } from '../api/routes/images.js';
import { systemRoutes } from '../api/routes/system.js';
import { ContentStore } from '../image/content-store.js';
import { ImageService } from '../image/image-service.js';
import { OverlaySnapshotter } from '../snapshot/overlay.js';
import { hostFacts, toolVersion } from '../sys/host.js';
import type { Logger } from '../util/log.js';
import { BERTH_VERSION } from './build-info.js';
import { DaemonImageBackend } from './image-backend.js';
import { DaemonSystemBackend } from './system-backend.js';

export interface DaemonConfig {
  root: string;
  execRoot: string;
  socket: string;
  bridgeSubnet?: string;
  bridgeName: string;
  debug: boolean;
}

export class Daemon {
  private constructor(
    private readonly server: ApiServer,
    readonly images: ImageService,
  ) {}

  static async start(cfg: DaemonConfig, log: Logger): Promise<Daemon> {
    await fs.mkdir(cfg.root, { recursive: true, mode: 0o711 });
    await fs.mkdir(cfg.execRoot, { recursive: true, mode: 0o700 });
    const id = await engineId(cfg.root);
    const snapshots = await OverlaySnapshotter.open(join(cfg.root, 'overlay'));
    const content = new ContentStore(join(cfg.root, 'content'));
    const images = await ImageService.open(cfg.root, content, snapshots, log);
    const [runcVersion, conmonVersion] = await Promise.all([toolVersion('runc'), toolVersion('conmon')]);
    const system = new DaemonSystemBackend({
      id,
      root: cfg.root,
      debug: cfg.debug,
      host: hostFacts(),
      runcVersion,
      conmonVersion,
      counts: () => ({ containers: 0, running: 0, paused: 0, stopped: 0, images: images.store.all().length }),
    });
    const server = new ApiServer({
      socketPath: cfg.socket,
      log,
      serverHeader: `Docker/${BERTH_VERSION} (linux)`,
      routes: [...systemRoutes(system), ...imageRoutes(new DaemonImageBackend(images))],
    });
    await server.listen();
    log.info('berthd is serving the API', { socket: cfg.socket, root: cfg.root, version: BERTH_VERSION });
    return new Daemon(server, images);
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
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
