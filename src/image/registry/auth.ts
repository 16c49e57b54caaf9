/**
 * Registry authentication pieces that need no network: parsing
 * `WWW-Authenticate` challenges (RFC 7235, several challenges per header
 * allowed), the credentials clients send in `X-Registry-Auth` (base64url
 * JSON, as docker's AuthConfig), and scope strings for Bearer tokens.
 */

export interface Challenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Lower-cased parameter names: realm, service, scope, error. */
  params: Record<string, string>;
}

/**
 * Parses the WWW-Authenticate header value(s) of a 401 reply.
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io"
 *   Basic realm="basic-realm", Bearer realm="x"
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const v of values) {
    const n = v.length;
    let i = 0;
    let cur: Challenge | undefined;
    const isSpace = (c: string | undefined) => c === ' ' || c === '\t';
    while (i < n) {
      while (i < n && (isSpace(v[i]) || v[i] === ',')) i++;
      if (i >= n) break;
      const start = i;
      while (i < n && !isSpace(v[i]) && v[i] !== ',' && v[i] !== '=') i++;
      const token = v.slice(start, i);
      let j = i;
      while (j < n && isSpace(v[j])) j++;
      if (v[j] === '=' && token !== '') {
        // A parameter (or a token68 such as `abc==` right after a scheme).
        i = j + 1;
        while (i < n && isSpace(v[i])) i++;
        let value = '';
        if (v[i] === '"') {
          i++;
          while (i < n && v[i] !== '"') {
            if (v[i] === '\\' && i + 1 < n) i++;
            value += v[i];
            i++;
          }
          i++; // closing quote
        } else {
          const s = i;
          while (i < n && v[i] !== ',') i++;
          value = v.slice(s, i).trim();
        }
        if (cur) cur.params[token.toLowerCase()] = value;
      } else if (token !== '') {
        cur = { scheme: token.toLowerCase(), params: {} };
        out.push(cur);
        i = j;
      } else i++;
    }
  }
  return out;
}

/** docker's AuthConfig, as sent in X-Registry-Auth and POST /auth (field names as docker's JSON). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `username:password` (config.json's form). */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** What the registry client authenticates with. */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (from a token server's login). */
  identityToken?: string;
  /** A bearer token to use as is. */
  registryToken?: string;
}

function decodeBase64Any(s: string): Buffer {
  const std = s.trim().replace(/-/g, '+').replace(/_/g, '/');
  return Buffer.from(std, 'base64');
}

/**
 * Decodes X-Registry-Auth. As dockerd, a header that does not decode counts
 * as no credentials (pulls of public images must not fail on it).
 */
export function decodeAuthHeader(header: string | undefined): AuthConfig | undefined {
  if (!header || header.trim() === '') return undefined;
  try {
    const v = JSON.parse(decodeBase64Any(header).toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    return normalizeAuthConfig(v as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** Takes the string fields of an AuthConfig-shaped object (any key case), expanding `auth`. */
export function normalizeAuthConfig(v: Record<string, unknown>): AuthConfig {
  const lower: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') lower[k.toLowerCase()] = x;
  const a: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    if (lower[k]) a[k] = lower[k];
  }
  if (a.auth && !a.username) {
    const plain = decodeBase64Any(a.auth).toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      a.username = plain.slice(0, colon);
      a.password = plain.slice(colon + 1);
    }
  }
  return a;
}

export function credentialsFrom(a: AuthConfig | undefined): Credentials | undefined {
  if (!a) return undefined;
  const c: Credentials = {};
  if (a.username) c.username = a.username;
  if (a.password) c.password = a.password;
  if (a.identitytoken) c.identityToken = a.identitytoken;
  if (a.registrytoken) c.registryToken = a.registrytoken;
  return Object.keys(c).length ? c : undefined;
}

export function basicAuthorization(c: Credentials): string {
  return 'Basic ' + Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64');
}

/** `repository:library/busybox:pull` / `…:pull,push`. */
export function repositoryScope(path: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${path}:${actions}`;
}

/**
 * Merges scopes as a token request wants them: one entry per resource, with
 * the union of actions (`repository:a:pull` + `repository:a:push` →
 * `repository:a:pull,push`), sorted for a stable cache key.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes) {
    for (const one of s.split(' ')) {
      if (!one) continue;
      const i = one.lastIndexOf(':');
      if (i < 0) {
        byResource.set(one, byResource.get(one) ?? new Set());
        continue;
      }
      const res = one.slice(0, i);
      const set = byResource.get(res) ?? new Set<string>();
      for (const a of one.slice(i + 1).split(',')) if (a) set.add(a);
      byResource.set(res, set);
    }
  }
  return [...byResource.entries()]
    .map(([r, acts]) => (acts.size ? `${r}:${[...acts].sort().join(',')}` : r))
    .sort();
}

/** The host part as docker keys credentials: scheme and path dropped (`https://x:5000/v1/` → `x:5000`). */
export function convertToHostname(address: string): string {
  let s = address.trim();
  s = s.replace(/^[a-z]+:\/\//i, '');
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(0, slash) : s;
}
