/**
 * `POST /build/prune` before berth keeps a build cache: there is nothing to
 * delete, and the answer says so (docker system prune and docker builder
 * prune call it and fail on a 404). The build-cache work replaces this file.
 * Also `GET /images/search`: berth searches no registry; the answer says so
 * instead of a bare 404.
 */
import { notImplemented } from '../../errdefs/errdefs.js';
import type { Route } from '../router.js';

export function buildPruneRoutes(): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/build/prune',
      handler: async (ctx) => {
        ctx.filters(); // a malformed filter is still a 400
        ctx.json(200, { CachesDeleted: [], SpaceReclaimed: 0 });
      },
    },
    {
      method: 'GET',
      pattern: '/images/search',
      handler: async (ctx) => {
        throw notImplemented(`berth does not search registries: look for ${JSON.stringify(ctx.str('term') ?? '')} on the registry's own site, then pull it by name`);
      },
    },
  ];
}
