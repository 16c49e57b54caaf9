/**
 * Network endpoints: list, inspect, create, remove, connect, disconnect,
 * prune. List filtering is protocol (Docker's filter semantics), so it lives
 * here: the backend returns every network and the route filters them.
 */
import { forbidden, invalidParameter, notFound } from '../../errdefs/errdefs.js';
import { checkFilterNames, matchLabels, type Filters } from '../filters.js';
import type { Route } from '../router.js';
import type {
  Network,
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkEndpointConfig,
  NetworkPruneResponse,
} from '../types/networks.js';
import { bodySchema, INT64 } from '../validate.js';
import { DEFAULT_BUDGET, filterMatcher } from '../../util/re2.js';
import { versionAtLeast } from '../version.js';

/** What the network routes need from the daemon. */
export interface NetworkBackend {
  /**
   * Every network in inspect form, Containers holding the endpoints of
   * running containers (the `dangling` filter reads it). Any order.
   */
  list(): Promise<Network[]>;
  /** By full ID, name, or unique ID prefix; NotFound "network x not found". */
  inspect(idOrName: string, opts: { verbose: boolean }): Promise<Network>;
  /**
   * Name is non-empty and not predefined; Driver and IPAM.Driver are filled
   * ("bridge", "default"). Conflict when the name is taken.
   */
  create(req: NetworkCreateRequest): Promise<NetworkCreateResponse>;
  /** Forbidden for predefined networks; Conflict ("error while removing network: network x has active endpoints") when in use. */
  remove(idOrName: string): Promise<void>;
  connect(idOrName: string, container: string, endpoint: NetworkEndpointConfig | undefined): Promise<void>;
  disconnect(idOrName: string, container: string, force: boolean): Promise<void>;
  /** filters: checked names only (until, label, label!); removes unused custom networks, returns their names. */
  prune(filters: Filters): Promise<NetworkPruneResponse>;
}

/** The networks every engine has and nobody may create or remove (moby's IsPredefined). */
export const PREDEFINED_NETWORKS: readonly string[] = ['bridge', 'host', 'none', 'default'];

export const isPredefinedNetwork = (name: string): boolean => PREDEFINED_NETWORKS.includes(name);

const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
const PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

/**
 * Checks list filters the way dockerd does before filtering: known names,
 * `dangling` a single boolean, `type` custom or builtin.
 */
export function checkNetworkListFilters(filters: Filters): void {
  checkFilterNames(filters, LIST_FILTERS);
  const dangling = filters.get('dangling');
  if (dangling && dangling.length > 0) {
    if (dangling.length > 1) throw invalidParameter('got more than one value for filter key "dangling"');
    if (!['0', 'false', '1', 'true'].includes(dangling[0]!)) {
      throw invalidParameter(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
    }
  }
  for (const t of filters.get('type') ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw invalidParameter(`invalid filter: 'type'='${t}'`);
  }
}

/**
 * moby's FilterNetworks: driver and scope match exactly, name and id match
 * exactly or as a regular expression, labels as `key` or `key=value` (all
 * must match); `dangling=true` keeps custom networks without containers,
 * `dangling=false` the predefined ones and those in use; `type` keeps
 * builtin or custom networks. Filters must have been checked.
 */
export function filterNetworks(networks: readonly Network[], filters: Filters): Network[] {
  // filters.Args.Match: equal, or a regular expression (Go syntax, linear time) found in the value.
  const budget = { left: DEFAULT_BUDGET };
  const names = filters.has('name') ? filterMatcher(filters.get('name')!, budget) : undefined;
  const ids = filters.has('id') ? filterMatcher(filters.get('id')!, budget) : undefined;
  let out = networks.filter((n) => {
    const drivers = filters.get('driver');
    if (drivers && !drivers.includes(n.Driver)) return false;
    if (names && !names(n.Name)) return false;
    if (ids && !ids(n.Id)) return false;
    if (!matchLabels(filters, n.Labels)) return false;
    const scopes = filters.get('scope');
    if (scopes && !scopes.includes(n.Scope)) return false;
    return true;
  });
  const dangling = filters.get('dangling');
  if (dangling && dangling.length > 0) {
    const danglingOnly = dangling[0] === '1' || dangling[0] === 'true';
    out = out.filter((n) => {
      const used = Object.keys(n.Containers ?? {}).length > 0;
      return danglingOnly ? !isPredefinedNetwork(n.Name) && !used : isPredefinedNetwork(n.Name) || used;
    });
  }
  const types = filters.get('type');
  if (types) {
    // One pass per value, concatenated, as dockerd does (type=custom&type=builtin lists all).
    out = types.flatMap((t) => out.filter((n) => isPredefinedNetwork(n.Name) === (t === 'builtin')));
  }
  return out;
}

const STRING_MAP = { type: ['object', 'null'], additionalProperties: { type: 'string' } };
const STRING_LIST = { type: ['array', 'null'], items: { type: 'string' } };

export const NETWORK_CREATE_SCHEMA = bodySchema<NetworkCreateRequest>({
  type: 'object',
  required: ['Name'],
  properties: {
    Name: { type: 'string' },
    CheckDuplicate: { type: 'boolean' },
    Driver: { type: 'string' },
    Scope: { type: 'string' },
    Internal: { type: 'boolean' },
    Attachable: { type: 'boolean' },
    Ingress: { type: 'boolean' },
    ConfigOnly: { type: 'boolean' },
    ConfigFrom: { type: ['object', 'null'], properties: { Network: { type: 'string' } } },
    IPAM: {
      type: ['object', 'null'],
      properties: {
        Driver: { type: 'string' },
        Options: STRING_MAP,
        Config: {
          type: ['array', 'null'],
          items: {
            type: 'object',
            properties: {
              Subnet: { type: 'string' },
              IPRange: { type: 'string' },
              Gateway: { type: 'string' },
              AuxiliaryAddresses: STRING_MAP,
            },
          },
        },
      },
    },
    EnableIPv4: { type: 'boolean' },
    EnableIPv6: { type: 'boolean' },
    Options: STRING_MAP,
    Labels: STRING_MAP,
  },
});

export const NETWORK_CONNECT_SCHEMA = bodySchema<NetworkConnectRequest>({
  type: 'object',
  required: ['Container'],
  properties: {
    Container: { type: 'string' },
    EndpointConfig: {
      type: ['object', 'null'],
      properties: {
        IPAMConfig: {
          type: ['object', 'null'],
          properties: { IPv4Address: { type: 'string' }, IPv6Address: { type: 'string' }, LinkLocalIPs: STRING_LIST },
        },
        Links: STRING_LIST,
        Aliases: STRING_LIST,
        DNSNames: STRING_LIST,
        MacAddress: { type: 'string' },
        DriverOpts: STRING_MAP,
        GwPriority: INT64,
      },
    },
  },
});

export const NETWORK_DISCONNECT_SCHEMA = bodySchema<NetworkDisconnectRequest>({
  type: 'object',
  required: ['Container'],
  properties: { Container: { type: 'string' }, Force: { type: 'boolean' } },
});

/** Fills the defaults dockerd applies and rejects what it rejects before any work. */
function normalizeCreate(req: NetworkCreateRequest): NetworkCreateRequest {
  if (req.Name.trim() === '') throw invalidParameter('network name is required: the Name field must not be empty');
  // moby's PredefinedNetworkError (its text ends with a space).
  if (isPredefinedNetwork(req.Name)) throw forbidden(`operation is not permitted on predefined ${req.Name} network `);
  const ipam = req.IPAM ?? {};
  refuseUnsupported(req);
  return {
    ...req,
    Driver: req.Driver || 'bridge',
    IPAM: { Driver: ipam.Driver || 'default', Options: ipam.Options ?? {}, Config: ipam.Config ?? [] },
    Options: req.Options ?? {},
    Labels: req.Labels ?? {},
  };
}

/** Fields Docker acts on that berth cannot: refused by name rather than ignored. */
function refuseUnsupported(req: NetworkCreateRequest): void {
  if (req.Scope && req.Scope !== 'local') throw invalidParameter(`network Scope "${req.Scope}" needs swarm mode, which berth does not have: berth networks are local`);
  if (req.Ingress) throw invalidParameter('an Ingress network needs swarm mode, which berth does not have');
  if (req.ConfigOnly || req.ConfigFrom?.Network) throw invalidParameter('configuration-only networks (ConfigOnly, ConfigFrom) are not supported by berth');
  if (req.EnableIPv4 === false) throw invalidParameter('EnableIPv4 false (an IPv6-only network) is not supported by berth: its bridge networks always have IPv4');
  if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw invalidParameter(`IPAM driver "${req.IPAM.Driver}" is not supported by berth: only "default"`);
  const opts = Object.keys(req.IPAM?.Options ?? {});
  if (opts.length) throw invalidParameter(`IPAM option ${opts.join(', ')} is not supported by berth's default IPAM driver`);
}

export function networkRoutes(b: NetworkBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/networks',
      handler: async (ctx) => {
        const filters = ctx.filters();
        checkNetworkListFilters(filters);
        const list = filterNetworks(await b.list(), filters);
        // Since API 1.28 the list does not carry the attached containers.
        const detailed = !versionAtLeast(ctx.version, '1.28');
        ctx.json(200, detailed ? list : list.map((n) => ({ ...n, Containers: {} })));
      },
    },
    {
      method: 'POST',
      pattern: '/networks/create',
      body: 'json',
      handler: async (ctx) => {
        const req = normalizeCreate(await ctx.jsonBody(NETWORK_CREATE_SCHEMA));
        ctx.json(201, await b.create(req));
      },
    },
    {
      method: 'POST',
      pattern: '/networks/prune',
      handler: async (ctx) => {
        const filters = ctx.filters();
        checkFilterNames(filters, PRUNE_FILTERS);
        const r = await b.prune(filters);
        ctx.json(200, { NetworksDeleted: r.NetworksDeleted && r.NetworksDeleted.length ? r.NetworksDeleted : null });
      },
    },
    {
      method: 'GET',
      pattern: '/networks/{id}',
      handler: async (ctx) => {
        const id = ctx.param('id');
        const net = await b.inspect(id, { verbose: ctx.bool('verbose') });
        const scope = ctx.str('scope');
        if (scope && net.Scope !== scope) throw notFound(`network ${id} not found`);
        ctx.json(200, net);
      },
    },
    {
      method: 'DELETE',
      pattern: '/networks/{id}',
      handler: async (ctx) => {
        await b.remove(ctx.param('id'));
        ctx.noContent(204);
      },
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/connect',
      body: 'json',
      handler: async (ctx) => {
        const body = await ctx.jsonBody(NETWORK_CONNECT_SCHEMA);
        if (body.Container === '') throw invalidParameter('the Container field is required');
        await b.connect(ctx.param('id'), body.Container, body.EndpointConfig ?? undefined);
        ctx.noContent(200);
      },
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/disconnect',
      body: 'json',
      handler: async (ctx) => {
        const body = await ctx.jsonBody(NETWORK_DISCONNECT_SCHEMA);
        if (body.Container === '') throw invalidParameter('the Container field is required');
        await b.disconnect(ctx.param('id'), body.Container, body.Force ?? false);
        ctx.noContent(200);
      },
    },
  ];
}
