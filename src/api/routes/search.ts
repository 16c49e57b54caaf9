/**
 * `GET /images/search`: berth searches no registry; the answer says so
 * instead of a bare 404 (docker search).
 */
import { notImplemented } from '../../errdefs/errdefs.js';
import type { Route } from '../router.js';

export function searchRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/images/search',
      handler: async (ctx) => {
        throw notImplemented(`berth does not search registries: look for ${JSON.stringify(ctx.str('term') ?? '')} on the registry's own site, then pull it by name`);
      },
    },
  ];
}
