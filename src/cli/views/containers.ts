/**
 * `docker ps` rows (docker/cli cli/command/formatter/container.go): the
 * fields a --format template sees for each ContainerSummary, the default
 * table and its headers.
 */
import type { ContainerSummary, Port } from '../../api/types/containers.js';
import { renderList } from '../format/formatter.js';
import { goQuote } from '../format/gofmt.js';
import { displayWidth } from '../format/tabwriter.js';
import { goTime, humanSize, timeAgo } from '../format/units.js';

export const PS_DEFAULT_TABLE_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** docker's quiet format and `--format raw` layouts. */
export const PS_QUIET_FORMAT = '{{.ID}}';
const RAW_FORMAT = `container_id: {{.ID}}
image: {{.Image}}
command: {{.Command}}
created_at: {{.CreatedAt}}
state: {{- pad .State 1 0}}
status: {{- pad .Status 1 0}}
names: {{.Names}}
labels: {{- pad .Labels 1 0}}
ports: {{- pad .Ports 1 0}}
`;

export const PS_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/**
 * NewContainerFormat: the template to render for `ps` given --format,
 * --quiet and --size. Quiet wins over any custom format (docker warns
 * "Ignoring custom format, because both --format and --quiet are set.").
 */
export function psFormat(format: string | undefined, opts: { quiet?: boolean; size?: boolean } = {}): string {
  const source = format ?? '';
  if (source === 'table' || source === '') {
    if (opts.quiet) return PS_QUIET_FORMAT;
    return PS_DEFAULT_TABLE_FORMAT + (opts.size ? '\t{{.Size}}' : '');
  }
  if (source === 'raw') {
    if (opts.quiet) return 'container_id: {{.ID}}';
    return RAW_FORMAT + (opts.size ? 'size: {{.Size}}\n' : '');
  }
  return opts.quiet ? PS_QUIET_FORMAT : source;
}

/**
 * Whether docker would ask the daemon for sizes (`size=1`) because the
 * template uses .Size — including `{{json .}}`, which marshals every field.
 * `--format json` does not (docker inspects the literal template "json").
 */
export function psFormatUsesSize(format: string | undefined): boolean {
  if (!format) return false;
  return /\.Size\b/.test(format) || /\bjson\s+\.\s*(\}\}|\))/.test(format);
}

/** One `ps` row; Label(name) is the template method `{{.Label "key"}}`. */
export type ContainerRow = {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Labels: string;
  Mounts: string;
  LocalVolumes: string;
  Networks: string;
  Names: string;
  Platform: string | null;
  Label: (name: string) => string;
};

export interface ContainerRowOptions {
  noTrunc?: boolean;
  /** "now" for RunningFor, in ms since the epoch. */
  now?: number;
}

export function containerRows(containers: readonly ContainerSummary[], opts: ContainerRowOptions = {}): ContainerRow[] {
  const trunc = !opts.noTrunc;
  const now = opts.now ?? Date.now();
  return containers.map((c) => {
    const created = new Date(c.Created * 1000);
    const labels = c.Labels ?? {};
    const platform = (c as { ImageManifestDescriptor?: { platform?: OciPlatform } }).ImageManifestDescriptor?.platform;
    return {
      ID: trunc ? truncateID(c.Id) : c.Id,
      Image: imageOf(c, trunc),
      Command: goQuote(trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '')),
      // Reading the time zone costs more CPU than the rest of `ps` under Bun: only when a format asks.
      get CreatedAt() {
        return goTime(created);
      },
      RunningFor: timeAgo(created, now),
      Ports: displayablePorts(c.Ports ?? []),
      State: c.State ?? '',
      Status: c.Status ?? '',
      Size: sizeOf(c),
      Labels: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .sort(compareBytes)
        .join(','),
      Mounts: (c.Mounts ?? [])
        .map((m) => {
          const name = m.Name ? m.Name : m.Source;
          return trunc ? ellipsis(name, 15) : name;
        })
        .join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
      Names: namesOf(c.Names ?? [], trunc),
      Platform: platform ? formatPlatform(platform) : null,
      Label: (name: string) => labels[name] ?? '',
    };
  });
}

/** `docker ps` output for the given options (rows rendered with renderList). */
export function renderContainers(
  containers: readonly ContainerSummary[],
  opts: ContainerRowOptions & { format?: string; quiet?: boolean; size?: boolean } = {},
): string {
  const format = psFormat(opts.format, opts);
  return renderList(format, PS_DEFAULT_TABLE_FORMAT, containerRows(containers, opts), PS_HEADER_CONTEXT);
}

/**
 * SubHeaderContext.Label: the title `{{.Label "com.example.some-key"}}` gets in
 * a table header — the last dot-separated part, "-" and "_" as spaces
 * ("some key"), not upper-cased.
 */
export function headerLabel(name: string): string {
  const parts = name.split('.');
  return parts[parts.length - 1]!.replace(/[-_]/g, ' ');
}

/** The header map with its Label method; renderList runs the header template over it. */
export const PS_HEADER_CONTEXT = { ...PS_HEADERS, Label: headerLabel } as unknown as Readonly<Record<string, string>>;

function compareBytes(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** stringid.TruncateID: drops an "algo:" prefix, keeps 12 characters. */
export function truncateID(id: string): string {
  const i = id.indexOf(':');
  const s = i >= 0 ? id.slice(i + 1) : id;
  return s.length > 12 ? s.slice(0, 12) : s;
}

function sizeOf(c: ContainerSummary): string {
  const srw = humanSize(c.SizeRw ?? 0, 3);
  const rootfs = c.SizeRootFs ?? 0;
  return rootfs > 0 ? `${srw} (virtual ${humanSize(rootfs, 3)})` : srw;
}

/**
 * Names without their leading "/". Truncated output shows only the first
 * name that has no further "/" (legacy --link names look like "/web/db").
 */
function namesOf(names: readonly string[], trunc: boolean): string {
  let out = names.map((n) => n.slice(1));
  if (trunc) {
    const own = out.find((n) => n.split('/').length === 1);
    if (own !== undefined) out = [own];
  }
  return out.join(',');
}

/**
 * formatter.Ellipsis: at most max display columns, the last one "…".
 * Strings of single-byte characters count characters; others count
 * East Asian wide characters as two columns.
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = [...s];
  if (max === 1) return rs[0] ?? '';
  if (Buffer.byteLength(s) === rs.length) {
    if (rs.length <= max) return s;
    return rs.slice(0, max - 1).join('') + '…';
  }
  const display: number[] = [];
  let width = 0;
  for (const r of rs) {
    width += displayWidth(r) === 2 ? 2 : 1;
    display.push(width);
  }
  if (width <= max) return s;
  for (let i = 0; i < display.length - 1; i++) {
    if (display[i]! <= max - 1 && display[i + 1]! > max - 1) return rs.slice(0, i + 1).join('') + '…';
  }
  return s;
}

// ---------------------------------------------------------------------------
// Ports

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ai = a.IP ?? '';
  const bi = b.IP ?? '';
  if (ai !== bi) return ai < bi ? -1 : 1;
  const ap = a.PublicPort ?? 0;
  const bp = b.PublicPort ?? 0;
  if (ap !== bp) return ap - bp;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/** net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let groupType = parts[0]!;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0]!;
    groupType = parts[1]!;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${groupType}`;
}

/**
 * DisplayablePorts: "0.0.0.0:8000->8080/tcp, :::8000->8080/tcp, 9000/udp".
 * Only ports published on the same host port number, or not published,
 * are merged into ranges ("0.0.0.0:80-82->80-82/tcp", "8080-8081/tcp");
 * every other mapping is listed on its own, after the groups.
 */
export function displayablePorts(ports: readonly Port[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const keys: string[] = [];
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key: string = p.Type;
    if (p.IP) {
      const pub = p.PublicPort ?? 0;
      if (pub !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(pub))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      keys.push(key);
      continue;
    }
    if (current === ((g.last + 1) & 0xffff)) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const key of keys) {
    const g = groups.get(key)!;
    result.push(formGroup(key, g.first, g.last));
  }
  return [...result, ...hostMappings].join(', ');
}

// ---------------------------------------------------------------------------
// Image names (distribution/reference's ParseNormalizedNamed + FamiliarString)

const alnum = '[a-z0-9]+';
const sep = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${sep}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const REFERENCE = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}))?$`,
);

/** The image as `ps` shows it: a short ID, or the familiar name with its tag but no digest. */
function imageOf(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  const short = truncateID(c.Image);
  if (truncateID(c.ImageID ?? '') === short) return short;
  const familiar = familiarTagged(c.Image);
  return familiar ?? c.Image;
}

function familiarTagged(s: string): string | undefined {
  if (/^[a-f0-9]{64}$/.test(s)) return undefined;
  const slash = s.indexOf('/');
  let dom: string;
  let rest: string;
  if (slash < 0) {
    dom = 'docker.io';
    rest = 'library/' + s;
  } else {
    const maybe = s.slice(0, slash);
    const remainder = s.slice(slash + 1);
    if (maybe === 'localhost' || /[.:]/.test(maybe) || maybe.toLowerCase() !== maybe) [dom, rest] = [maybe === 'index.docker.io' ? 'docker.io' : maybe, remainder];
    else [dom, rest] = ['docker.io', s];
    if (dom === 'docker.io' && !rest.includes('/')) rest = 'library/' + rest;
  }
  const colon = rest.indexOf(':');
  const remoteName = colon >= 0 ? rest.slice(0, colon) : rest;
  if (remoteName.toLowerCase() !== remoteName) return undefined;
  const m = REFERENCE.exec(`${dom}/${rest}`);
  if (!m) return undefined;
  const name = m[1]!;
  if (name.length - dom.length - 1 > 255) return undefined;
  let path = name.slice(dom.length + 1);
  let familiar: string;
  if (dom === 'docker.io') {
    if (path.startsWith('library/') && !path.slice('library/'.length).includes('/')) path = path.slice('library/'.length);
    familiar = path;
  } else familiar = name;
  return m[2] !== undefined ? `${familiar}:${m[2]}` : familiar;
}

interface OciPlatform {
  architecture?: string;
  os?: string;
  'os.version'?: string;
  variant?: string;
}

/** containerd's platforms.FormatAll: os[(version)]/arch[/variant]. */
function formatPlatform(p: OciPlatform): string {
  if (!p.os) return 'unknown';
  const os = p['os.version'] ? `${p.os}(${p['os.version']})` : p.os;
  return [os, p.architecture ?? '', p.variant ?? ''].filter((x) => x !== '').join('/');
}
