/**
 * Swarm endpoints as a Docker node outside any swarm answers them: berth has
 * no cluster mode, so every cluster request is refused the way a non-swarm
 * dockerd refuses it (503 with moby's texts: clients such as docker-py's
 * `leave_swarm(force=True)` read "not part of a swarm" as nothing to leave).
 * Creating or joining a swarm is refused with a message saying why.
 */
import { unavailable } from '../../errdefs/errdefs.js';
import type { Route } from '../router.js';

/** moby daemon/cluster errNoManager, the branch of a node that never joined a swarm. */
export const NOT_SWARM_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
/** moby daemon/cluster errNoSwarm: leaving when there is nothing to leave. */
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const NO_SWARM_MODE =
  'berth does not support swarm mode: it runs containers on one host only; use a Docker engine for "docker swarm init" or "docker swarm join"';

const refuse = (msg: string) => () => {
  throw unavailable(msg);
};

/** The cluster object collections of the swarm API (each with its sub-paths). */
const COLLECTIONS = ['nodes', 'services', 'tasks', 'secrets', 'configs'] as const;

export function swarmRoutes(): Route[] {
  const noManager = refuse(NOT_SWARM_MANAGER);
  const routes: Route[] = [
    { method: 'POST', pattern: '/swarm/init', handler: refuse(NO_SWARM_MODE) },
    { method: 'POST', pattern: '/swarm/join', handler: refuse(NO_SWARM_MODE) },
    { method: 'POST', pattern: '/swarm/leave', handler: refuse(NOT_IN_SWARM) },
    { method: 'GET', pattern: '/swarm', handler: noManager },
    { method: 'POST', pattern: '/swarm/update', handler: noManager },
    { method: 'GET', pattern: '/swarm/unlockkey', handler: noManager },
    { method: 'POST', pattern: '/swarm/unlock', handler: noManager },
  ];
  for (const c of COLLECTIONS) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      routes.push({ method, pattern: `/${c}`, handler: noManager }, { method, pattern: `/${c}/{rest:.*}`, handler: noManager });
    }
  }
  return routes;
}
