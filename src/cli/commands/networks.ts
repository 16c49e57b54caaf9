/** Network commands: network create, ls, inspect, rm, prune, connect, disconnect. */
import { isIPv6 } from 'node:net';
import type {
  IPAMConfig,
  Network,
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkPruneResponse,
} from '../../api/types/networks.js';
import { ApiError } from '../../client/client.js';
import { CliError, PROG, type Cli, type OptSpec } from '../command.js';
import type { CliContext } from '../context.js';
import { renderInspect, renderList } from '../format/formatter.js';
import { naturalCompare } from '../format/sort.js';
import { goQuote } from '../format/gofmt.js';
import { encodeJSON, marshalJSON } from '../format/gojson.js';
import { goTime } from '../format/units.js';
import { readCSVRecord } from '../opts/goparse.js';
import { cut, filtersParam, kvMap, labelProblem, parseFilters } from '../opts/kv.js';
import { headerLabel, truncateID } from '../views/containers.js';
import { FORMAT_HELP, INSPECT_FORMAT_HELP } from '../format/help-text.js';
import { confirm, forEachName, inspectEach } from './shared.js';

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------
// Time text


/**
 * Go's time.Time.String() of an RFC 3339 time as the docker CLI decodes it:
 * the written offset is kept ("Z" prints as UTC; an offset that is the
 * local zone's gets its name, any other prints as "+0100"), fractional
 * seconds keep their digits without trailing zeros.
 */
export function goTimeRFC3339(s: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return s;
  const [, y, mo, d, h, mi, sec, frac = '', zone, sign, oh, om] = m;
  const fraction = frac.slice(0, 9).replace(/0+$/, '');
  const wall = `${y}-${mo}-${d} ${h}:${mi}:${sec}${fraction ? '.' + fraction : ''}`;
  if (zone === 'Z' || zone === 'z') return `${wall} +0000 UTC`;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const instant = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${sign}${oh}:${om}`);
  const hhmm = `${sign}${oh}${om}`;
  if (!Number.isNaN(instant) && -new Date(instant).getTimezoneOffset() === offset) {
    // Go uses the local zone (and its name) when the offset is the local one.
    const name = goTime(new Date(instant)).split(' ').pop()!;
    return `${wall} ${hhmm} ${name}`;
  }
  return `${wall} ${hhmm} ${hhmm}`;
}

// ---------------------------------------------------------------------------
// network ls rows

export const NETWORK_DEFAULT_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const NETWORK_RAW_FORMAT = 'network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n';

const NETWORK_HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
  Label: headerLabel,
} as unknown as Readonly<Record<string, string>>;

/** One `network ls` row; Label(name) is the template method `{{.Label "key"}}`. */
export interface NetworkRow {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv4: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
  Label: (name: string) => string;
}

export function networkRows(networks: readonly Network[], opts: { noTrunc?: boolean } = {}): NetworkRow[] {
  return [...networks]
    .sort((a, b) => naturalCompare(a.Name, b.Name))
    .map((n) => {
      const labels = n.Labels ?? {};
      return {
        ID: opts.noTrunc ? n.Id : truncateID(n.Id),
        Name: n.Name,
        Driver: n.Driver,
        Scope: n.Scope,
        IPv4: String(!!n.EnableIPv4),
        IPv6: String(!!n.EnableIPv6),
        Internal: String(!!n.Internal),
        Labels: Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        CreatedAt: goTimeRFC3339(n.Created ?? ''),
        Label: (name: string) => labels[name] ?? '',
      };
    });
}

/** network.NewFormat: the template for --format and --quiet. */
export function networkFormat(source: string | undefined, quiet: boolean): string {
  const s = source ?? '';
  if (s === '' || s === 'table') return quiet ? '{{.ID}}' : NETWORK_DEFAULT_TABLE_FORMAT;
  if (s === 'raw') return quiet ? 'network_id: {{.ID}}' : NETWORK_RAW_FORMAT;
  return s;
}

/** `network ls` output: sorted by name (naturally), rendered as docker does. */
export function renderNetworks(networks: readonly Network[], opts: { format?: string; quiet?: boolean; noTrunc?: boolean } = {}): string {
  const rows = networkRows(networks, opts) as unknown as Record<string, unknown>[];
  return renderList(networkFormat(opts.format, !!opts.quiet), NETWORK_DEFAULT_TABLE_FORMAT, rows, NETWORK_HEADERS);
}

// ---------------------------------------------------------------------------
// network inspect -f

/** time.Time.MarshalJSON of an RFC 3339 time: fraction without trailing zeros, "Z" for a zero offset. */
export function goRFC3339Nano(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  const fraction = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3] === 'z' || m[3] === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3];
  return `${m[1]}${fraction ? '.' + fraction : ''}${zone}`;
}

/** docker's network.Inspect as encoding/json writes it after decoding ours. */
function goInspectJSON(n: Network): Record<string, unknown> {
  return {
    Name: n.Name,
    Id: n.Id,
    Created: goRFC3339Nano(n.Created ?? ''),
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv4: n.EnableIPv4 ?? false,
    EnableIPv6: n.EnableIPv6 ?? false,
    IPAM: n.IPAM ?? { Driver: '', Options: null, Config: null },
    Internal: n.Internal ?? false,
    Attachable: n.Attachable ?? false,
    Ingress: n.Ingress ?? false,
    ConfigFrom: { Network: n.ConfigFrom?.Network ?? '' },
    ConfigOnly: n.ConfigOnly ?? false,
    Containers: n.Containers ?? null,
    Options: n.Options ?? null,
    Labels: n.Labels ?? null,
  };
}

/** Adds properties a template can read but JSON output does not show. */
function withHidden<T extends object>(target: T, extra: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(extra)) {
    if (!Object.hasOwn(target, k)) Object.defineProperty(target, k, { value: v, enumerable: false });
  }
  return target;
}

/**
 * What an inspect template sees. docker runs it over its Go struct first
 * (field ID, zero values for absent fields) and over the raw JSON when that
 * fails (key Id, missing keys are errors): the raw JSON plus the struct's
 * names as hidden fields gives both, while {{json .}} shows the JSON.
 */
export function inspectView(n: Network): Record<string, unknown> {
  const ipam = n.IPAM ?? { Driver: '', Options: null, Config: null };
  const config = (ipam.Config ?? []).map((c) => withHidden({ ...c }, { Subnet: '', IPRange: '', Gateway: '', AuxAddress: c.AuxiliaryAddresses ?? {} }));
  const containers = Object.fromEntries(
    Object.entries(n.Containers ?? {}).map(([id, c]) => [id, withHidden({ ...c }, { Name: '', EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' })]),
  );
  const view = { ...n, IPAM: withHidden({ ...ipam, Config: ipam.Config === null ? null : config }, { Driver: '', Options: {}, Config: [] }), Containers: containers };
  // {{json .}} marshals docker's struct: its fields in its order, Created as Go writes times.
  Object.defineProperty(view, marshalJSON, { value: () => encodeJSON(goInspectJSON(n)), enumerable: false });
  return withHidden(view, {
    ID: n.Id,
    EnableIPv4: false,
    ConfigFrom: { Network: '' },
    Peers: [],
    Services: {},
  }) as unknown as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Addresses (Go's net.ParseIP / net.ParseCIDR / IPNet.Contains)

interface IPNet {
  ip: number[];
  mask: number;
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0') || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

/** The address bytes: 4 for IPv4 and IPv4-mapped IPv6, else 16; null when Go would not parse it. */
export function ipBytes(s: string): number[] | null {
  const v4 = parseIPv4(s);
  if (v4) return v4;
  if (s.includes('%') || !isIPv6(s)) return null;
  let tail: number[] = [];
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const t = parseIPv4(text.slice(lastColon + 1));
    if (!t) return null;
    tail = t;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (g: string): number[] => (g === '' ? [] : g.split(':').map((x) => parseInt(x, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (words.length !== 8) return null;
  const bytes = words.flatMap((w) => [w >> 8, w & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  return mapped ? bytes.slice(12) : bytes;
}

/** net.ParseCIDR: the address as written and its network; throws "invalid CIDR address: s". */
function parseCIDR(s: string): { ip: number[]; net: IPNet } {
  const bad = new Error(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw bad;
  const addr = s.slice(0, slash);
  const bits = addr.includes(':') ? 128 : 32;
  const ip = addr.includes(':') ? (isIPv6(addr) && !addr.includes('%') ? ipBytes(addr) : null) : parseIPv4(addr);
  const maskText = s.slice(slash + 1);
  if (!ip || !/^\d+$/.test(maskText) || Number(maskText) > bits) throw bad;
  const mask = Number(maskText);
  // An IPv4-mapped IPv6 prefix is an IPv4 network (Go's networkNumberAndMask).
  if (bits === 128 && ip.length === 4) return { ip, net: { ip, mask: Math.max(0, mask - 96) } };
  return { ip, net: { ip, mask } };
}

function contains(net: IPNet, ip: number[] | null): boolean {
  if (!ip || ip.length !== net.ip.length) return false;
  for (let bit = 0; bit < net.mask; bit++) {
    const byte = bit >> 3;
    const m = 0x80 >> (bit & 7);
    if ((ip[byte]! & m) !== (net.ip[byte]! & m)) return false;
  }
  return true;
}

/** docker's subnetMatches: whether data (an address, or the address of a CIDR) lies in subnet. */
function subnetMatches(subnet: string, data: string): boolean {
  let net: IPNet;
  try {
    net = parseCIDR(subnet).net;
  } catch (e) {
    throw new CliError(`invalid subnet: ${(e as Error).message}`);
  }
  let ip: number[] | null;
  if (data.includes('/')) {
    try {
      ip = parseCIDR(data).ip;
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  } else ip = ipBytes(data);
  return contains(net, ip);
}

/**
 * docker's createIPAMConfig: one pool per --subnet (in order), each
 * --ip-range and --gateway assigned to the subnet that contains it.
 */
export function createIPAMConfig(subnets: string[], ipRanges: string[], gateways: string[]): IPAMConfig[] {
  if (subnets.length < ipRanges.length || subnets.length < gateways.length) {
    throw new CliError('every ip-range or gateway must have a corresponding subnet');
  }
  const pools = new Map<string, { range?: string; gateway?: string }>();
  for (const s of subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new CliError('multiple overlapping subnet configuration is not supported');
    }
    pools.set(s, {});
  }
  for (const r of ipRanges) {
    try {
      parseCIDR(r);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, r)) continue;
      const p = pools.get(s)!;
      if (p.range !== undefined) throw new CliError(`cannot configure multiple ranges (${r}, ${p.range}) on the same subnet (${s})`);
      p.range = r;
      match = true;
    }
    if (!match) throw new CliError(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const p = pools.get(s)!;
      if (p.gateway !== undefined) throw new CliError(`cannot configure multiple gateways (${g}, ${p.gateway}) for the same subnet (${s})`);
      p.gateway = g;
      match = true;
    }
    if (!match) throw new CliError(`no matching subnet for gateway ${g}`);
  }
  return [...pools].map(([s, p]) => ({
    Subnet: s,
    ...(p.range !== undefined ? { IPRange: p.range } : {}),
    ...(p.gateway !== undefined ? { Gateway: p.gateway } : {}),
  }));
}

// ---------------------------------------------------------------------------
// Flag values (pflag semantics)

/** A flag value error as pflag reports it: the message, then the command's usage (exit 125). */
function flagValueError(path: string, usage: string, flag: string, value: string, msg: string): CliError {
  const full = `${PROG} ${path}`;
  return new CliError(
    `invalid argument ${goQuote(value)} for ${goQuote(flag)} flag: ${msg}\n\nUsage:  ${full} ${usage}\n\nRun '${full} --help' for more information`,
    125,
  );
}

type FlagError = (flag: string, value: string, msg: string) => CliError;

/** StringSlice flags: each occurrence is a CSV record ("a,b" is two values; "" none). */
function csvValues(values: readonly string[] | undefined, flag: string, err: FlagError): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v === '') continue;
    try {
      out.push(...readCSVRecord(v));
    } catch (e) {
      throw err(flag, v, (e as Error).message);
    }
  }
  return out;
}

/** opts.ValidateLabel, then ConvertKVStringsToMap. */
function labelValues(values: readonly string[] | undefined, err: FlagError): Record<string, string> {
  for (const v of values ?? []) {
    const problem = labelProblem(v);
    if (problem) throw err('--label', v, problem);
  }
  return kvMap(values);
}

/** `--filter k=v` values → the filters query, with the flag's own name in errors. */
function filterValues(values: readonly string[] | undefined, flag: string, err: FlagError): string | undefined {
  return filtersParam(parseFilters(values, (f) => err(flag, f, 'bad format of filter (expected name=value)')));
}

// ---------------------------------------------------------------------------
// Commands

const NETWORK_USAGE = {
  create: '[OPTIONS] NETWORK',
  ls: '[OPTIONS]',
  inspect: '[OPTIONS] NETWORK [NETWORK...]',
  rm: 'NETWORK [NETWORK...]',
  prune: '[OPTIONS]',
  connect: '[OPTIONS] NETWORK CONTAINER',
  disconnect: '[OPTIONS] NETWORK CONTAINER',
} as const;

const flagErr =
  (cmd: keyof typeof NETWORK_USAGE): FlagError =>
  (flag, value, msg) =>
    flagValueError(`network ${cmd}`, NETWORK_USAGE[cmd], flag, value, msg);

const CREATE_OPTIONS: OptSpec[] = [
  { flags: '--attachable', desc: 'Enable manual container attachment' },
  { flags: '-d, --driver', arg: 'string', desc: 'Driver to manage the Network', default: 'bridge' },
  { flags: '--gateway', arg: 'strings', desc: 'IPv4 or IPv6 Gateway for the master subnet', repeat: true },
  { flags: '--internal', desc: 'Restrict external access to the network' },
  { flags: '--ip-range', arg: 'strings', desc: 'Allocate container ip from a sub-range', repeat: true },
  { flags: '--ipam-driver', arg: 'string', desc: 'IP Address Management Driver', default: 'default' },
  { flags: '--ipam-opt', arg: 'map', desc: 'Set IPAM driver specific options (default map[])', repeat: true },
  { flags: '--ipv6', desc: 'Enable or disable IPv6 address assignment' },
  { flags: '--label', arg: 'list', desc: 'Set metadata on a network', repeat: true },
  { flags: '-o, --opt', arg: 'map', desc: 'Set driver specific options (default map[])', repeat: true },
  { flags: '--subnet', arg: 'strings', desc: 'Subnet in CIDR format that represents a network segment', repeat: true },
];

/** The body `network create` sends (the docker CLI's, field for field). */
export function networkCreateBody(name: string, o: Record<string, unknown>): NetworkCreateRequest {
  const err = flagErr('create');
  const labels = labelValues(o['label'] as string[], err);
  const subnets = csvValues(o['subnet'] as string[], '--subnet', err);
  const ranges = csvValues(o['ipRange'] as string[], '--ip-range', err);
  const gateways = csvValues(o['gateway'] as string[], '--gateway', err);
  const config = createIPAMConfig(subnets, ranges, gateways);
  return {
    Driver: (o['driver'] as string | undefined) ?? 'bridge',
    Scope: '',
    ...(o['ipv6'] !== undefined ? { EnableIPv6: !!o['ipv6'] } : {}),
    IPAM: { Driver: (o['ipamDriver'] as string | undefined) ?? 'default', Options: kvMap(o['ipamOpt'] as string[]), Config: config },
    Internal: !!o['internal'],
    Attachable: !!o['attachable'],
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: kvMap(o['opt'] as string[]),
    Labels: labels,
    Name: name,
  };
}

/** The body `network connect` sends. */
export function networkConnectBody(container: string, o: Record<string, unknown>): NetworkConnectRequest {
  const err = flagErr('connect');
  const links = ((o['link'] as string[] | undefined) ?? []).map((l) => {
    if (l === '') throw err('--link', l, 'empty string specified for links');
    if (l.split(':').length > 2) throw err('--link', l, `bad format for links: ${l}`);
    return l;
  });
  const linkLocal = csvValues(o['linkLocalIp'] as string[], '--link-local-ip', err).map((ip) => {
    if (!ipBytes(ip.trim())) throw err('--link-local-ip', ip, `invalid string being converted to IP address: ${ip}`);
    return ip.trim();
  });
  const driverOpts: Record<string, string> = {};
  for (const d of csvValues(o['driverOpt'] as string[], '--driver-opt', err)) {
    const [key, value, ok] = cut(d, '=');
    const k = key.trim();
    if (!ok || k === '') throw new CliError('invalid key/value pair format in driver options');
    driverOpts[k] = value.trim();
  }
  const ip = o['ip'] as string | undefined;
  const ip6 = o['ip6'] as string | undefined;
  return {
    Container: container,
    EndpointConfig: {
      IPAMConfig: {
        ...(ip ? { IPv4Address: ip } : {}),
        ...(ip6 ? { IPv6Address: ip6 } : {}),
        ...(linkLocal.length ? { LinkLocalIPs: linkLocal } : {}),
      },
      Links: links.length ? links : null,
      Aliases: csvValues(o['alias'] as string[], '--alias', err),
      DriverOpts: driverOpts,
    },
  };
}

export function registerNetworkCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'network', description: 'Manage networks' });

  cli.add({
    path: 'network create',
    usage: NETWORK_USAGE.create,
    description: 'Create a network',
    args: { min: 1, max: 1 },
    options: CREATE_OPTIONS,
    async action(ctx, args, o) {
      const r = await ctx.client().json<NetworkCreateResponse>('POST', '/networks/create', { body: networkCreateBody(args[0]!, o) });
      ctx.out(`${r.Id}\n`);
    },
  });

  cli.add({
    path: 'network ls',
    aliases: ['network list'],
    usage: NETWORK_USAGE.ls,
    description: 'List networks',
    args: { max: 0 },
    options: [
      { flags: '-f, --filter', arg: 'filter', desc: 'Provide filter values (e.g. "driver=bridge")', repeat: true },
      { flags: '--format', arg: 'string', desc: FORMAT_HELP },
      { flags: '--no-trunc', desc: 'Do not truncate the output' },
      { flags: '-q, --quiet', desc: 'Only display network IDs' },
    ],
    async action(ctx, _args, o) {
      const filters = filterValues(o['filter'] as string[], '-f, --filter', flagErr('ls'));
      const list = await ctx.client().json<Network[]>('GET', '/networks', { query: { filters } });
      const format = o['format'] as string | undefined;
      let text: string;
      try {
        text = renderNetworks(list, { ...(format !== undefined ? { format } : {}), quiet: !!o['quiet'], noTrunc: !!o['noTrunc'] });
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      ctx.out(text);
    },
  });

  cli.add({
    path: 'network inspect',
    usage: NETWORK_USAGE.inspect,
    description: 'Display detailed information on one or more networks',
    args: { min: 1 },
    options: [
      { flags: '-f, --format', arg: 'string', desc: INSPECT_FORMAT_HELP },
      { flags: '-v, --verbose', desc: 'Verbose output for diagnostics' },
    ],
    async action(ctx, args, o) {
      return inspectEach(
        ctx,
        args,
        o['format'] as string | undefined,
        (name) => ctx.client().json<Network>('GET', `/networks/${enc(name)}`, { query: { verbose: o['verbose'] ? 'true' : undefined } }),
        (format, found) => {
          const template = format !== undefined && format !== '' && format !== 'json';
          return template ? renderInspect(format, found.map(inspectView), { missingKey: 'error' }) : renderInspect(format, found as unknown as Record<string, unknown>[]);
        },
      );
    },
  });

  cli.add({
    path: 'network rm',
    aliases: ['network remove'],
    usage: NETWORK_USAGE.rm,
    description: 'Remove one or more networks',
    args: { min: 1 },
    options: [{ flags: '-f, --force', desc: 'Do not error if the network does not exist' }],
    async action(ctx, args, o) {
      const status = await forEachName(ctx, args, async (name) => {
        try {
          await ctx.client().json('DELETE', `/networks/${enc(name)}`);
          ctx.out(`${name}\n`);
        } catch (e) {
          if (!(o['force'] && e instanceof ApiError && e.status === 404)) throw e;
        }
      });
      // docker's network rm ends a partial failure with this line; other rm commands do not.
      if (status !== 0) ctx.err('exit status 1\n');
      return status;
    },
  });

  cli.add({
    path: 'network prune',
    usage: NETWORK_USAGE.prune,
    description: 'Remove all unused networks',
    args: { max: 0 },
    options: [
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "until=<timestamp>")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
    ],
    async action(ctx, _args, o) {
      const filters = filterValues(o['filter'] as string[], '--filter', flagErr('prune'));
      if (!o['force'] && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
      const r = await ctx.client().json<NetworkPruneResponse>('POST', '/networks/prune', { query: { filters } });
      if (r.NetworksDeleted?.length) ctx.out(`Deleted Networks:\n${r.NetworksDeleted.map((n) => `${n}\n`).join('')}\n`);
    },
  });

  cli.add({
    path: 'network connect',
    usage: NETWORK_USAGE.connect,
    description: 'Connect a container to a network',
    args: { min: 2, max: 2 },
    options: [
      { flags: '--alias', arg: 'strings', desc: 'Add network-scoped alias for the container', repeat: true },
      { flags: '--driver-opt', arg: 'strings', desc: 'driver options for the network', repeat: true },
      { flags: '--ip', arg: 'string', desc: 'IPv4 address (e.g., "172.30.100.104")' },
      { flags: '--ip6', arg: 'string', desc: 'IPv6 address (e.g., "2001:db8::33")' },
      { flags: '--link', arg: 'list', desc: 'Add link to another container', repeat: true },
      { flags: '--link-local-ip', arg: 'strings', desc: 'Add a link-local address for the container', repeat: true },
    ],
    async action(ctx, args, o) {
      const body = networkConnectBody(args[1]!, o);
      await ctx.client().json('POST', `/networks/${enc(args[0]!)}/connect`, { body });
    },
  });

  cli.add({
    path: 'network disconnect',
    usage: NETWORK_USAGE.disconnect,
    description: 'Disconnect a container from a network',
    args: { min: 2, max: 2 },
    options: [{ flags: '-f, --force', desc: 'Force the container to disconnect from a network' }],
    async action(ctx, args, o) {
      const body: NetworkDisconnectRequest = { Container: args[1]!, Force: !!o['force'] };
      await ctx.client().json('POST', `/networks/${enc(args[0]!)}/disconnect`, { body });
    },
  });
}
