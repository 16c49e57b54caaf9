/**
 * The extra attributes the json-file driver attaches to every log line
 * (dockerd's logger.Info.ExtraAttributes and ParseLogTag), which
 * `logs --details` shows before each line: `labels`/`labels-regex` pick
 * container labels, `env`/`env-regex` environment variables, and `tag` is a
 * template over the container's identity.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

export interface LogSource {
  id: string;
  /** Without the leading slash. */
  name: string;
  labels: Readonly<Record<string, string>>;
  env: readonly string[];
  imageName: string;
  imageId: string;
}

function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function regex(config: Readonly<Record<string, string>>, key: string): RegExp | undefined {
  const src = config[key];
  if (src === undefined) return undefined;
  try {
    return new RegExp(src);
  } catch (e) {
    throw invalidParameter(`invalid value for log opt ${key}: ${(e as Error).message}`);
  }
}

/** Picks entries of `from` named in the comma list `names` or matching `re`. */
function pick(from: ReadonlyMap<string, string>, names: string | undefined, re: RegExp | undefined, into: Map<string, string>): void {
  for (const n of (names ?? '').split(',')) {
    const v = n === '' ? undefined : from.get(n);
    if (v !== undefined) into.set(n, v);
  }
  if (re) for (const [k, v] of from) if (re.test(k)) into.set(k, v);
}

/** Expands Docker's log tag template ({{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageName}}, {{.ImageID}}, {{.ImageFullID}}, {{.DaemonName}}). */
export function expandTag(template: string, src: LogSource): string {
  const values: Record<string, string> = {
    ID: src.id.slice(0, 12),
    FullID: src.id,
    Name: src.name,
    ImageName: src.imageName,
    ImageID: src.imageId.replace(/^sha256:/, '').slice(0, 12),
    ImageFullID: src.imageId,
    DaemonName: 'docker',
  };
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_whole, key: string) => {
    const v = values[key];
    if (v === undefined) throw invalidParameter(`invalid log tag template ${JSON.stringify(template)}: unknown field ${key}`);
    return v;
  });
}

/** The attributes, sorted by key as Docker prints them. */
export function logAttributes(config: Readonly<Record<string, string>>, src: LogSource): [string, string][] {
  const out = new Map<string, string>();
  pick(new Map(Object.entries(src.labels)), config['labels'], regex(config, 'labels-regex'), out);
  pick(envMap(src.env), config['env'], regex(config, 'env-regex'), out);
  const tag = config['tag'];
  if (tag !== undefined && tag !== '') out.set('tag', expandTag(tag, src));
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What `logs --details` puts before each line: `k=v,k2=v2 ` (just a space when there are none). */
export function detailsPrefix(attrs: readonly [string, string][]): Buffer {
  return Buffer.from(`${attrs.map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`).join(',')} `);
}

/** Checks the attribute options (regexes, tag template) without a container: a bad one is refused at create. */
export function checkAttributeOptions(config: Readonly<Record<string, string>>): void {
  logAttributes(config, { id: '', name: '', labels: {}, env: [], imageName: '', imageId: '' });
}
