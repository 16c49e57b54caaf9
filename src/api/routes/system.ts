/** System endpoints: ping, version, info. */
import type { Route } from '../router.js';
import type { DiskUsage, InfoResponse, VersionResponse } from '../types/system.js';
import { API_VERSION } from '../version.js';

/** What the system routes need from the daemon. */
export interface SystemBackend {
  version(): VersionResponse;
  info(): Promise<InfoResponse>;
  df(): Promise<DiskUsage>;
}

export function systemRoutes(b: SystemBackend): Route[] {
  const ping = (ctx: Parameters<Route['handler']>[0]) => {
    ctx.res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.res.setHeader('Pragma', 'no-cache');
    ctx.res.setHeader('Builder-Version', '1');
    ctx.res.setHeader('Swarm', 'inactive');
    ctx.res.setHeader('API-Version', API_VERSION);
    if (ctx.req.method === 'HEAD') {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      ctx.res.end();
      return;
    }
    ctx.text(200, 'OK');
  };
  return [
    { method: 'GET', pattern: '/_ping', handler: ping },
    { method: 'HEAD', pattern: '/_ping', handler: ping },
    { method: 'GET', pattern: '/version', handler: (ctx) => ctx.json(200, b.version()) },
    { method: 'GET', pattern: '/info', handler: async (ctx) => ctx.json(200, await b.info()) },
    { method: 'GET', pattern: '/system/df', handler: async (ctx) => ctx.json(200, await b.df()) },
  ];
}
