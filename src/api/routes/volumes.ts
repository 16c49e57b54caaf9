/** Volume endpoints: list, create, inspect, remove, prune (and update, which needs swarm). */
import { unavailable } from '../../errdefs/errdefs.js';
import type { Filters } from '../filters.js';
import type { Route } from '../router.js';
import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse, VolumeUsageData } from '../types/volumes.js';
import { bodySchema } from '../validate.js';
import { NOT_SWARM_MANAGER } from './swarm.js';
import { versionAtLeast } from '../version.js';

/** One volume as the daemon knows it (volume/service.ts's Volume fits as is). */
export interface VolumeInfo {
  name: string;
  driver: string;
  mountpoint: string;
  /** RFC 3339, as Docker shows it. */
  createdAt: string;
  labels: Readonly<Record<string, string>> | null;
  options: Readonly<Record<string, string>> | null;
  scope: 'local' | 'global';
  status?: Record<string, unknown>;
}

/** What the volume routes need from the daemon. Errors are EngineErrors with Docker's texts. */
export interface VolumeBackend {
  /** Volumes matching Docker's list filters (dangling, name, driver, label); InvalidParameter on bad filters. */
  list(filters: Filters): VolumeInfo[];
  /** NotFound `get NAME: no such volume`. */
  get(name: string): VolumeInfo;
  /** A new volume, or the existing one of that name (Docker). No name: an anonymous volume. */
  create(req: { name?: string; driver?: string; driverOpts?: Record<string, string> | null; labels?: Record<string, string> | null }): Promise<VolumeInfo>;
  /** Conflict while in use; force forgives only a missing volume. */
  remove(name: string, opts: { force: boolean }): Promise<void>;
  /** filters: label, label!, all (the route adds all=true for API < 1.42, as Docker). */
  prune(filters: Filters): Promise<{ deleted: string[]; reclaimed: number }>;
}


const stringMap = { type: ['object', 'null'], additionalProperties: { type: 'string' } };
const CREATE = bodySchema<VolumeCreateRequest>({
  type: 'object',
  properties: {
    Name: { type: 'string' },
    Driver: { type: 'string' },
    DriverOpts: stringMap,
    Labels: stringMap,
  },
});

/** The wire form, keys in Docker's order, map keys sorted (clients print inspect output as received). */
export function toWireVolume(v: VolumeInfo, usage?: VolumeUsageData): Volume {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: sortedMap(v.labels),
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: sortedMap(v.options),
    Scope: v.scope,
    ...(v.status ? { Status: v.status } : {}),
    ...(usage ? { UsageData: usage } : {}),
  };
}

/** A copy with keys in byte order, as Go's encoding/json writes maps. */
function sortedMap(m: Readonly<Record<string, string>> | null): Record<string, string> | null {
  if (!m) return null;
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, m[k]!]));
}

export function volumeRoutes(b: VolumeBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/volumes',
      handler: (ctx) => {
        const body: VolumeListResponse = { Volumes: b.list(ctx.filters()).map((v) => toWireVolume(v)), Warnings: [] };
        ctx.json(200, body);
      },
    },
    {
      method: 'POST',
      pattern: '/volumes/create',
      body: 'json',
      handler: async (ctx) => {
        const req = await ctx.jsonBody(CREATE, {});
        if (req.ClusterVolumeSpec !== undefined && req.ClusterVolumeSpec !== null && versionAtLeast(ctx.version, '1.42')) throw unavailable(NOT_SWARM_MANAGER);
        const v = await b.create({
          ...(req.Name ? { name: req.Name } : {}),
          ...(req.Driver ? { driver: req.Driver } : {}),
          driverOpts: req.DriverOpts ?? null,
          labels: req.Labels ?? null,
        });
        ctx.json(201, toWireVolume(v));
      },
    },
    {
      method: 'POST',
      pattern: '/volumes/prune',
      handler: async (ctx) => {
        const filters = ctx.filters();
        if (!versionAtLeast(ctx.version, '1.42')) {
          const all = filters.get('all') ?? [];
          if (!all.includes('true')) filters.set('all', [...all, 'true']);
        }
        const r = await b.prune(filters);
        const body: VolumePruneResponse = { VolumesDeleted: r.deleted, SpaceReclaimed: r.reclaimed };
        ctx.json(200, body);
      },
    },
    {
      method: 'GET',
      pattern: '/volumes/{name:.*}',
      handler: (ctx) => ctx.json(200, toWireVolume(b.get(ctx.param('name')))),
    },
    {
      method: 'PUT',
      pattern: '/volumes/{name:.*}',
      handler: () => {
        throw unavailable('volume update only valid for cluster volumes, but swarm is unavailable');
      },
    },
    {
      method: 'DELETE',
      pattern: '/volumes/{name:.*}',
      handler: async (ctx) => {
        await b.remove(ctx.param('name'), { force: ctx.bool('force') });
        ctx.noContent(204);
      },
    },
  ];
}
