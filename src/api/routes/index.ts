/**
 * The whole route table, from the backends the daemon implements. Order
 * matters (first match wins; see router.ts).
 */
import type { Route } from '../router.js';
import { buildRoutes, type BuildBackend } from './build.js';
import { searchRoutes } from './search.js';
import { containerRoutes, type ContainerBackend } from './containers.js';
import { eventRoutes, type EventsBackend } from './events.js';
import { execRoutes, type ExecBackend } from './exec.js';
import { imageRoutes, type ImageBackend } from './images.js';
import { networkRoutes, type NetworkBackend } from './networks.js';
import { registryRoutes, type RegistryBackend } from './registry.js';
import { swarmRoutes } from './swarm.js';
import { systemRoutes, type SystemBackend } from './system.js';
import { volumeRoutes, type VolumeBackend } from './volumes.js';

export interface Backends {
  system: SystemBackend;
  images: ImageBackend;
  registry: RegistryBackend;
  containers: ContainerBackend;
  exec: ExecBackend;
  events: EventsBackend;
  networks: NetworkBackend;
  volumes: VolumeBackend;
  build: BuildBackend;
}

export function apiRoutes(b: Backends): Route[] {
  return [
    ...systemRoutes(b.system),
    ...searchRoutes(),
    ...imageRoutes(b.images),
    ...registryRoutes(b.registry),
    ...containerRoutes(b.containers),
    ...execRoutes(b.exec),
    ...eventRoutes(b.events),
    ...networkRoutes(b.networks),
    ...volumeRoutes(b.volumes),
    ...swarmRoutes(),
    ...buildRoutes(b.build),
  ];
}
