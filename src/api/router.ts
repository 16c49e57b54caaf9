/**
 * Route table: method + path pattern → handler. Patterns use `{name}` for one
 * path segment and `{name:.*}` for a greedy match (image names contain
 * slashes: `/images/localhost:5000/a/b:t/json`). First match wins, so routes
 * with a fixed suffix are declared before their greedy siblings.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  /** The handler takes over the connection (attach, exec start). */
  hijack?: boolean;
  /**
   * What the request body is: JSON read whole (ctx.jsonBody, at most
   * MAX_JSON_BODY bytes), or a stream the handler passes on unread and
   * unlimited (load, import, archive upload). Without it the body is not read.
   */
  body?: 'json' | 'stream';
}

interface Compiled extends Route {
  re: RegExp;
  names: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(routes: readonly Route[]): void {
    for (const r of routes) {
      const names: string[] = [];
      const src = r.pattern.replace(/[.+?^$()[\]|\\]/g, '\\$&').replace(/\{(\w+)(?::\\\.\*)?\}/g, (m, name: string) => {
        names.push(name);
        return m.includes(':') ? '(.+)' : '([^/]+)';
      });
      this.routes.push({ ...r, re: new RegExp(`^${src}$`), names });
    }
  }

  /** The route for method and path (HEAD is served by GET routes). */
  match(method: string, path: string): Match | undefined {
    for (const r of this.routes) {
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decodePathParam(m[i + 1]!);
      });
      return { route: r, params };
    }
    return undefined;
  }
}

function decodePathParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidParameter(`invalid URL escape in path segment ${JSON.stringify(raw.slice(0, 200))}: use %XX escapes of UTF-8 bytes`);
  }
}
