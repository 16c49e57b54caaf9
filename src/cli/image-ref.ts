/**
 * Image references as the CLI needs them before talking to the daemon: the
 * registry (to pick credentials), the familiar name and the tag or digest to
 * send (`fromImage`/`tag`), and docker's local checks of the grammar
 * (docker's CLI refuses `pull Foo` itself, with distribution/reference's
 * messages). Normalisation as docker's: `busybox` → `docker.io/library/busybox`.
 */
import { CliError } from './command.js';

export interface ImageRef {
  /** `docker.io`, `localhost:5000`. */
  domain: string;
  /** `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

const alnum = '[a-z0-9]+';
const sep = '(?:[._]|__|[-]+)';
const pathComp = `${alnum}(?:${sep}${alnum})*`;
const domainComp = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComp}(?:\\.${domainComp})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const name = `(?:${domain}/)?${pathComp}(?:/${pathComp})*`;
const REF_RE = new RegExp(`^(${name})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

/** docker's ParseNormalizedNamed, with its error texts. */
export function parseImageRef(s: string): ImageRef {
  if (/^[a-f0-9]{64}$/.test(s)) throw new CliError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const slash = s.indexOf('/');
  let dom = 'docker.io';
  let rest = s;
  if (slash >= 0) {
    const first = s.slice(0, slash);
    if (first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
      dom = first === 'index.docker.io' ? 'docker.io' : first;
      rest = s.slice(slash + 1);
    }
  }
  if (dom === 'docker.io' && !rest.split(/[:@]/)[0]!.includes('/')) rest = `library/${rest}`;
  const remote = rest.split(/[:@]/)[0]!;
  if (remote.toLowerCase() !== remote) throw new CliError(`invalid reference format: repository name (${remote}) must be lowercase`);
  const m = REF_RE.exec(`${dom}/${rest}`);
  if (!m) throw new CliError('invalid reference format');
  const full = m[1]!;
  const path = full.slice(dom.length + 1);
  if (path.length > 255) throw new CliError('repository name must not be more than 255 characters');
  const ref: ImageRef = { domain: dom, path };
  if (m[2]) ref.tag = m[2];
  if (m[3]) {
    if (!/^sha256:[a-f0-9]{64}$/.test(m[3]) && !/^sha(384|512):[a-f0-9]+$/.test(m[3])) throw new CliError('invalid checksum digest format');
    ref.digest = m[3];
  }
  return ref;
}

/** `busybox`, `localhost:5000/a/b` (docker.io and a lone `library/` dropped). */
export function familiarName(r: ImageRef): string {
  if (r.domain !== 'docker.io') return `${r.domain}/${r.path}`;
  if (r.path.startsWith('library/') && !r.path.slice(8).includes('/')) return r.path.slice(8);
  return r.path;
}

/** `busybox:latest`, `busybox@sha256:…`. */
export function familiarString(r: ImageRef): string {
  return familiarName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** `docker.io/library/busybox:latest`. */
export function canonicalString(r: ImageRef): string {
  return `${r.domain}/${r.path}` + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

export function isNameOnly(r: ImageRef): boolean {
  return !r.tag && !r.digest;
}

/** TagNameOnly: `latest` when there is neither tag nor digest. */
export function withDefaultTag(r: ImageRef): ImageRef {
  return isNameOnly(r) ? { ...r, tag: 'latest' } : r;
}

/** The `tag` query value docker's client sends for a reference (getAPITagFromNamedRef). */
export function apiTag(r: ImageRef): string {
  return r.digest ?? r.tag ?? 'latest';
}
