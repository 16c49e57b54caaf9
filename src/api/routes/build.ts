/**
 * The classic builder's endpoints: `POST /build` (the context as the body,
 * the options as query parameters, progress as dockerd's JSON lines) and
 * `POST /build/prune`. Every parameter dockerd's classic builder reads is
 * honoured or refused with a 400 naming it; unknown ones are refused too.
 */
import type { Readable } from 'node:stream';
import { invalidParameter } from '../../errdefs/errdefs.js';
import type { JsonStream, RequestContext } from '../context.js';
import type { Filters } from '../filters.js';
import type { Route } from '../router.js';
import { streamWithStatus } from './registry.js';

export interface BuildQuery {
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  networkMode: string;
  extraHosts: string[];
  shmSize?: number;
  memory: number;
  memorySwap: number;
  cpuShares: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  ulimits: { name: string; soft: number; hard: number }[];
  cacheFrom: string[];
  platform?: string;
  /** X-Registry-Config: registry → credentials, base64 JSON as sent. */
  registryConfig?: string;
}

export interface BuildPruneResponse {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** What the build routes need from the daemon. */
export interface BuildBackend {
  /** Builds; progress goes to out (the first message starts the 200 stream). The signal fires when the client goes away. */
  build(body: Readable, q: BuildQuery, out: JsonStream, signal: AbortSignal): Promise<void>;
  prune(opts: { all: boolean; filters: Filters }): Promise<BuildPruneResponse>;
}

/** Parameters dockerd reads for the classic builder; clients send several of them with empty or zero values. */
const KNOWN = new Set([
  'dockerfile', 't', 'buildargs', 'labels', 'target', 'nocache', 'pull', 'rm', 'forcerm', 'q', 'networkmode', 'extrahosts', 'shmsize',
  'memory', 'memswap', 'cpushares', 'cpuperiod', 'cpuquota', 'cpusetcpus', 'cpusetmems', 'ulimits', 'cachefrom', 'platform',
  'remote', 'squash', 'isolation', 'outputs', 'version', 'session', 'buildid', 'cgroupparent',
]);

export function parseBuildQuery(ctx: RequestContext): BuildQuery {
  for (const k of new Set(ctx.query.keys())) if (!KNOWN.has(k)) throw invalidParameter(`unknown query parameter for POST /build: ${k}`);
  const remote = ctx.str('remote');
  if (remote) throw invalidParameter(`remote build contexts (remote=${remote}) are not supported by berth: send the context as the request body (a tar archive)`);
  if (ctx.bool('squash')) throw invalidParameter('squash is only supported with experimental mode, which berth does not have');
  const isolation = ctx.str('isolation');
  if (isolation && isolation !== 'default') throw invalidParameter(`isolation ${isolation} is not supported on Linux (only "default")`);
  const outputs = ctx.str('outputs');
  if (outputs && jsonParam<unknown[]>(ctx, 'outputs', []).length > 0) throw invalidParameter('outputs are a BuildKit feature: berth has only the classic builder');
  const version = ctx.str('version');
  if (version && version !== '1') throw invalidParameter(`builder version ${version} (BuildKit) is not supported: berth has only the classic builder (version 1; DOCKER_BUILDKIT=0)`);
  if (ctx.str('session')) throw invalidParameter('build sessions are a BuildKit feature: berth has only the classic builder (DOCKER_BUILDKIT=0)');
  const cgroupParent = ctx.str('cgroupparent');
  if (cgroupParent) throw invalidParameter(`cgroupparent (${cgroupParent}) is not supported by berth's builder`);
  const buildArgs = jsonParam<Record<string, unknown>>(ctx, 'buildargs', {});
  const labels = jsonParam<Record<string, unknown>>(ctx, 'labels', {});
  checkMap('buildargs', buildArgs, true);
  checkMap('labels', labels, false);
  const cacheFrom = jsonParam<unknown>(ctx, 'cachefrom', []);
  if (!Array.isArray(cacheFrom) || !cacheFrom.every((x) => typeof x === 'string')) throw invalidParameter('cachefrom must be a JSON array of image names');
  const ulimits = jsonParam<unknown>(ctx, 'ulimits', []) ?? [];
  if (!Array.isArray(ulimits)) throw invalidParameter('ulimits must be a JSON array of {"Name","Soft","Hard"}');
  const int = (name: string) => {
    const v = ctx.int(name) ?? 0;
    if (v < 0) throw invalidParameter(`${name} must not be negative`);
    return v;
  };
  const target = ctx.str('target');
  const platform = ctx.str('platform');
  const shm = ctx.int('shmsize');
  return {
    dockerfile: ctx.str('dockerfile') || 'Dockerfile',
    tags: ctx.strs('t').filter((t) => t !== ''),
    buildArgs: buildArgs as Record<string, string | null>,
    labels: labels as Record<string, string>,
    ...(target ? { target } : {}),
    noCache: ctx.bool('nocache'),
    pull: ctx.bool('pull'),
    rm: ctx.bool('rm', true),
    forceRm: ctx.bool('forcerm'),
    quiet: ctx.bool('q'),
    networkMode: ctx.str('networkmode') || 'default',
    extraHosts: ctx.strs('extrahosts').flatMap((h) => h.split(',')).filter((h) => h !== ''),
    ...(shm ? { shmSize: shm } : {}),
    memory: int('memory'),
    memorySwap: ctx.int('memswap') ?? 0,
    cpuShares: int('cpushares'),
    cpuPeriod: int('cpuperiod'),
    cpuQuota: int('cpuquota'),
    cpusetCpus: ctx.str('cpusetcpus') ?? '',
    cpusetMems: ctx.str('cpusetmems') ?? '',
    ulimits: ulimits.map((u: unknown) => {
      const o = u as { Name?: unknown; Soft?: unknown; Hard?: unknown };
      if (typeof o?.Name !== 'string' || typeof o.Soft !== 'number' || typeof o.Hard !== 'number') throw invalidParameter('ulimits must be a JSON array of {"Name","Soft","Hard"}');
      return { name: o.Name, soft: o.Soft, hard: o.Hard };
    }),
    cacheFrom: cacheFrom as string[],
    ...(platform ? { platform } : {}),
    ...(typeof ctx.req.headers['x-registry-config'] === 'string' ? { registryConfig: ctx.req.headers['x-registry-config'] } : {}),
  };
}

function jsonParam<T>(ctx: RequestContext, name: string, dflt: T): T {
  const v = ctx.str(name);
  if (v === undefined || v === '' || v === 'null') return dflt;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw invalidParameter(`invalid JSON in query parameter ${name}: ${JSON.stringify(v.slice(0, 200))}`);
  }
}

function checkMap(name: string, v: unknown, nullable: boolean): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(`${name} must be a JSON object of strings`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && !(nullable && x === null)) throw invalidParameter(`${name}: the value of ${k} must be a string`);
  }
}

const STORAGE_TARGETS = ['keep-storage', 'reserved-space', 'max-used-space', 'min-free-space'];

export function buildRoutes(b: BuildBackend): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/build',
      body: 'stream',
      handler: (ctx) => {
        const q = parseBuildQuery(ctx);
        // A RUN that failed reports its exit code in errorDetail (the stream's fail does that).
        return streamWithStatus(ctx, (out, signal) => b.build(ctx.bodyStream(), q, out, signal));
      },
    },
    {
      method: 'POST',
      pattern: '/build/prune',
      handler: async (ctx) => {
        for (const k of new Set(ctx.query.keys())) {
          if (k === 'all' || k === 'filters') continue;
          // Storage targets are BuildKit's; clients send them as 0 when unset.
          if (STORAGE_TARGETS.includes(k)) {
            if ((ctx.int(k) ?? 0) !== 0) throw invalidParameter(`${k} is a BuildKit build-cache option: berth's classic builder cache has no storage target`);
            continue;
          }
          throw invalidParameter(`unknown query parameter for POST /build/prune: ${k}`);
        }
        ctx.json(200, await b.prune({ all: ctx.bool('all'), filters: ctx.filters() }));
      },
    },
  ];
}
