/**
 * The OCI distribution protocol against one registry endpoint.
 *
 * RegistrySession: one endpoint (base URL + TLS) and one set of credentials.
 * It probes `/v2/` once to learn the authentication scheme: none, Basic
 * (sent with every request), or Bearer (a token per set of scopes from the
 * realm/service the challenge names, cached until it expires; a 401 asking
 * for more scope fetches a new one and retries once).
 *
 * RemoteRepository: the calls on one repository: manifests (get, put),
 * blobs (exists, get with a byte offset for resuming, upload monolithic or
 * in chunks, cross-repository mount) and tags.
 *
 * Errors: RegistryError for replies that say no (with the registry's error
 * code, worded as docker's distribution client words them:
 * `manifest unknown: manifest unknown`), NetworkError for a registry that
 * cannot be reached or breaks the connection, AbortedError when the caller's
 * signal fires. Every Response handed out must be consumed by the caller.
 */
import type { Readable } from 'node:stream';
import { EngineError } from '../../errdefs/errdefs.js';
import { basicAuthorization, mergeScopes, parseChallenges, type Credentials } from './auth.js';
import { drain, opPrefix, readBody, type HttpTransport, type RequestInit, type Response, type TlsSettings } from './http.js';
import { MANIFEST_ACCEPT } from './manifest.js';

export interface Endpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000` (no trailing slash). */
  url: URL;
  tls: TlsSettings;
  /** A Docker Hub mirror (pull only; any failure falls back to the next endpoint). */
  mirror: boolean;
  /** The registry's name as in references (`docker.io`, `localhost:5000`). */
  domain: string;
}

/** A registry reply that refuses or fails a request. */
export class RegistryError extends EngineError {
  constructor(
    message: string,
    readonly status: number,
    /** The registry's error code (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`, `DENIED`…), when it sent one. */
    readonly code: string | undefined,
  ) {
    // As dockerd: "not found" replies are 404s, every other registry failure a 500
    // (a 401 would make docker's CLI start an interactive login).
    super(status === 404 ? 'NotFound' : 'Internal', message);
    this.name = 'RegistryError';
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
  details?: string;
  message?: string;
}

/** Builds a RegistryError from a failed reply (reads its body). */
export async function errorFromResponse(res: Response, method: string): Promise<RegistryError> {
  let body: Buffer = Buffer.alloc(0);
  try {
    body = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 1 << 20);
  } catch {
    /* an unreadable body: the status says enough */
  }
  let code: string | undefined;
  let text = '';
  try {
    const j = JSON.parse(body.toString('utf8')) as RegistryErrorBody;
    const e = j.errors?.[0];
    if (e?.code) {
      code = e.code;
      const codeText = e.code.toLowerCase().replace(/_/g, ' ');
      text = `${codeText}: ${e.message ?? codeText}`;
    } else if (j.details || j.message) text = String(j.details ?? j.message);
  } catch {
    /* not JSON */
  }
  if (!text) {
    if (res.status === 401) {
      code = 'UNAUTHORIZED';
      text = 'unauthorized: authentication required';
    } else if (res.status === 404) text = `${opPrefix(method, res.url)}: not found`;
    else text = `${opPrefix(method, res.url)}: unexpected status ${res.status}${body.length && body.length < 200 ? `: ${body.toString('utf8').trim()}` : ''}`;
  }
  return new RegistryError(text, res.status, code);
}

type AuthScheme = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

interface CachedToken {
  token: string;
  expires: number;
}

export interface FetchOptions extends Omit<RequestInit, 'tls'> {
  /** Token scopes this request needs. */
  scopes: string[];
}

export class RegistrySession {
  private scheme: Promise<AuthScheme> | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    readonly http: HttpTransport,
    readonly endpoint: Endpoint,
    readonly credentials: Credentials | undefined,
  ) {}

  url(path: string): URL {
    return new URL(this.endpoint.url.toString().replace(/\/$/, '') + path);
  }

  /** Probes /v2/ (once; again after a failure) and learns how to authenticate. */
  ping(signal?: AbortSignal): Promise<AuthScheme> {
    if (!this.scheme) {
      this.scheme = this.probe(signal);
      this.scheme.catch(() => (this.scheme = undefined));
    }
    return this.scheme;
  }

  private async probe(signal?: AbortSignal): Promise<AuthScheme> {
    const url = this.url('/v2/');
    const res = await this.http.request(url, { tls: this.endpoint.tls, ...(signal ? { signal } : {}) });
    if (res.status >= 200 && res.status < 300) {
      drain(res);
      return { kind: 'none' };
    }
    if (res.status === 401) {
      drain(res);
      return schemeFrom(res);
    }
    throw await errorFromResponse(res, 'GET');
  }

  /**
   * Checks credentials as `docker login` does: /v2/ must answer 200 with
   * them (Basic), or the token server must issue a token for them (Bearer).
   */
  async login(signal?: AbortSignal): Promise<{ identityToken?: string }> {
    const scheme = await this.ping(signal);
    const url = this.url('/v2/');
    if (scheme.kind === 'none') return {};
    if (scheme.kind === 'bearer') {
      await this.token(scheme, [], signal, true);
      return {};
    }
    if (!this.credentials?.username) throw new RegistryError('no basic auth credentials', 401, 'UNAUTHORIZED');
    const res = await this.http.request(url, { tls: this.endpoint.tls, headers: { Authorization: basicAuthorization(this.credentials) }, ...(signal ? { signal } : {}) });
    drain(res);
    if (res.status === 200) return {};
    throw new RegistryError(`login attempt to ${url.toString()} failed with status: ${res.status} ${statusText(res.status)}`, 401, 'UNAUTHORIZED');
  }

  /** A request with authentication; on a 401 it re-authenticates once (more scope, or a fresh token). */
  async fetch(path: string | URL, opts: FetchOptions): Promise<Response> {
    const scheme = await this.ping(opts.signal);
    const url = typeof path === 'string' ? this.url(path) : path;
    let scopes = opts.scopes;
    for (let attempt = 0; ; attempt++) {
      const headers = { ...opts.headers };
      const auth = await this.authorization(scheme, scopes, opts.signal, attempt > 0, opts.method ?? 'GET', url);
      if (auth) headers['Authorization'] = auth;
      const { scopes: _s, ...init } = opts;
      const res = await this.http.request(url, { ...init, headers, tls: this.endpoint.tls });
      if (res.status !== 401 || attempt > 0 || scheme.kind === 'none') return res;
      const challenge = parseChallenges(res.headers['www-authenticate']).find((c) => c.scheme === 'bearer');
      if (scheme.kind === 'basic' || !challenge) return res;
      drain(res);
      if (challenge.params['scope']) scopes = mergeScopes([...scopes, challenge.params['scope']]);
    }
  }

  private async authorization(
    scheme: AuthScheme,
    scopes: string[],
    signal: AbortSignal | undefined,
    fresh: boolean,
    method: string,
    url: URL,
  ): Promise<string | undefined> {
    if (scheme.kind === 'none') return undefined;
    if (scheme.kind === 'basic') {
      if (!this.credentials?.username && !this.credentials?.password) {
        throw new RegistryError(`${opPrefix(method, url)}: no basic auth credentials`, 401, 'UNAUTHORIZED');
      }
      return basicAuthorization(this.credentials);
    }
    if (this.credentials?.registryToken) return `Bearer ${this.credentials.registryToken}`;
    return `Bearer ${await this.token(scheme, scopes, signal, fresh)}`;
  }

  /** A Bearer token for the scopes: cached, or from the realm (GET with Basic, or POST with a refresh token). */
  private async token(scheme: Extract<AuthScheme, { kind: 'bearer' }>, scopes: string[], signal: AbortSignal | undefined, fresh: boolean): Promise<string> {
    const merged = mergeScopes(scopes);
    const key = merged.join(' ');
    const cached = this.tokens.get(key);
    if (cached && !fresh && cached.expires > Date.now() + 10_000) return cached.token;
    const realm = new URL(scheme.realm);
    const c = this.credentials;
    let res: Response;
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'berth', access_type: 'offline' });
      if (scheme.service) form.set('service', scheme.service);
      if (merged.length) form.set('scope', merged.join(' '));
      res = await this.http.request(realm, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        tls: this.tlsFor(realm),
        ...(signal ? { signal } : {}),
      });
    } else {
      if (scheme.service) realm.searchParams.set('service', scheme.service);
      for (const s of merged) realm.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (c?.username) {
        headers['Authorization'] = basicAuthorization(c);
        realm.searchParams.set('account', c.username);
        realm.searchParams.set('client_id', 'berth');
        realm.searchParams.set('offline_token', 'true');
      }
      res = await this.http.request(realm, { headers, tls: this.tlsFor(realm), ...(signal ? { signal } : {}) });
    }
    if (res.status !== 200) {
      const e = await errorFromResponse(res, c?.identityToken ? 'POST' : 'GET');
      if (res.status === 401 || res.status === 403) {
        const why = c?.username || c?.identityToken ? 'incorrect username or password' : 'authentication required';
        throw new RegistryError(`${opPrefix(c?.identityToken ? 'POST' : 'GET', realm)}: unauthorized: ${why}`, 401, 'UNAUTHORIZED');
      }
      throw e;
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse((await readBody(res, 1 << 20)).toString('utf8')) as typeof body;
    } catch {
      throw new RegistryError(`the token server ${realm.host} sent a reply that is not JSON`, 502, undefined);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token server ${realm.host} sent no token`, 502, undefined);
    const ttl = Math.max(60, Number(body.expires_in) || 60) * 1000;
    this.tokens.set(key, { token, expires: Date.now() + ttl });
    return token;
  }

  /** The token server is usually another host: same TLS trust as the registry only when it is the same host. */
  private tlsFor(url: URL): TlsSettings {
    return url.host === this.endpoint.url.host ? this.endpoint.tls : {};
  }
}

function schemeFrom(res: Response): AuthScheme {
  const challenges = parseChallenges(res.headers['www-authenticate']);
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params['realm']);
  if (bearer) {
    return { kind: 'bearer', realm: bearer.params['realm']!, ...(bearer.params['service'] ? { service: bearer.params['service'] } : {}) };
  }
  if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
  // A 401 without a challenge we know: try Basic (what htpasswd registries want).
  return { kind: 'basic' };
}

function statusText(s: number): string {
  return ({ 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' } as Record<number, string>)[s] ?? '';
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** The digest the registry claims (Docker-Content-Digest), if it sent one. */
  claimedDigest?: string;
}

/** Manifests larger than this are refused (registries cap them at 4 MiB). */
const MAX_MANIFEST = 8 << 20;

export class RemoteRepository {
  constructor(
    readonly session: RegistrySession,
    /** Path in the registry: `library/busybox`. */
    readonly path: string,
    readonly forPush = false,
  ) {}

  scopes(extra: string[] = []): string[] {
    return mergeScopes([`repository:${this.path}:${this.forPush ? 'pull,push' : 'pull'}`, ...extra]);
  }

  private p(rest: string): string {
    return `/v2/${this.path}/${rest}`;
  }

  async getManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.session.fetch(this.p(`manifests/${reference}`), {
      scopes: this.scopes(),
      headers: { Accept: MANIFEST_ACCEPT.join(', ') },
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 200) throw await errorFromResponse(res, 'GET');
    const bytes = await readBody(res, MAX_MANIFEST);
    const claimed = res.headers['docker-content-digest'];
    return {
      bytes,
      mediaType: String(res.headers['content-type'] ?? '').split(';')[0]!.trim(),
      ...(typeof claimed === 'string' && claimed ? { claimedDigest: claimed } : {}),
    };
  }

  /** Puts a manifest under a tag (or its digest); returns the digest the registry reports. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.session.fetch(this.p(`manifests/${reference}`), {
      method: 'PUT',
      scopes: this.scopes(),
      headers: { 'Content-Type': mediaType },
      body: bytes,
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await errorFromResponse(res, 'PUT');
    drain(res);
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : undefined;
  }

  /** The blob's size when the registry has it in this repository, else undefined. */
  async blobSize(digest: string, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.session.fetch(this.p(`blobs/${digest}`), { method: 'HEAD', scopes: this.scopes(), ...(signal ? { signal } : {}) });
    drain(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await errorFromResponse(res, 'HEAD');
    const n = Number(res.headers['content-length']);
    return Number.isFinite(n) ? n : 0;
  }

  /**
   * GETs a blob from `offset` on. Resolves with a 200 (whole blob) or 206
   * (from offset) reply; the caller skips bytes when a server ignored the Range.
   */
  async getBlob(digest: string, offset: number, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers['Range'] = `bytes=${offset}-`;
    const res = await this.session.fetch(this.p(`blobs/${digest}`), { scopes: this.scopes(), headers, ...(signal ? { signal } : {}) });
    if (res.status === 200 || res.status === 206) return res;
    throw await errorFromResponse(res, 'GET');
  }

  /** Reads a small blob (configs) whole. */
  async readBlob(digest: string, limit: number, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.getBlob(digest, 0, signal);
    return readBody(res, limit);
  }

  /**
   * Tries a cross-repository mount of `digest` from `from` (a path in the
   * same registry). Resolves 'mounted', or the upload URL the registry
   * opened instead (it does that when it cannot mount).
   */
  async mountBlob(digest: string, from: string, signal?: AbortSignal): Promise<'mounted' | URL> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.session.fetch(`${this.p('blobs/uploads/')}?${q.toString()}`, {
      method: 'POST',
      scopes: this.scopes([`repository:${from}:pull`]),
      ...(signal ? { signal } : {}),
    });
    drain(res);
    if (res.status === 201) return 'mounted';
    if (res.status === 202) return this.location(res);
    throw await errorFromResponse(res, 'POST');
  }

  /** Opens an upload session; resolves with its URL. */
  async startUpload(signal?: AbortSignal): Promise<URL> {
    const res = await this.session.fetch(this.p('blobs/uploads/'), { method: 'POST', scopes: this.scopes(), ...(signal ? { signal } : {}) });
    if (res.status !== 202) throw await errorFromResponse(res, 'POST');
    drain(res);
    return this.location(res);
  }

  /** Uploads a whole blob in the closing PUT (monolithic upload). */
  async putBlob(upload: URL, digest: string, size: number, body: () => Readable, signal?: AbortSignal): Promise<void> {
    const url = new URL(upload);
    url.searchParams.set('digest', digest);
    const res = await this.session.fetch(url, {
      method: 'PUT',
      scopes: this.scopes(),
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      contentLength: size,
      followRedirects: false,
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201) throw await errorFromResponse(res, 'PUT');
    drain(res);
  }

  /** Sends bytes [start, start+length) of a chunked upload; resolves with the URL for the next request. */
  async patchChunk(upload: URL, start: number, length: number, body: () => Readable, signal?: AbortSignal): Promise<URL> {
    const res = await this.session.fetch(upload, {
      method: 'PATCH',
      scopes: this.scopes(),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + length - 1}` },
      body,
      contentLength: length,
      followRedirects: false,
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 202) throw await errorFromResponse(res, 'PATCH');
    drain(res);
    return this.location(res, upload);
  }

  /** Where an interrupted chunked upload stands: the URL to continue with and the bytes the registry has. */
  async uploadStatus(upload: URL, signal?: AbortSignal): Promise<{ url: URL; offset: number }> {
    const res = await this.session.fetch(upload, { scopes: this.scopes(), followRedirects: false, ...(signal ? { signal } : {}) });
    if (res.status !== 204 && res.status !== 200) throw await errorFromResponse(res, 'GET');
    drain(res);
    const range = String(res.headers['range'] ?? '');
    const m = /^(?:bytes=)?0-(\d+)$/.exec(range);
    return { url: this.location(res, upload), offset: m ? Number(m[1]) + 1 : 0 };
  }

  /** Closes a chunked upload with its digest. */
  async completeUpload(upload: URL, digest: string, signal?: AbortSignal): Promise<void> {
    const url = new URL(upload);
    url.searchParams.set('digest', digest);
    const res = await this.session.fetch(url, { method: 'PUT', scopes: this.scopes(), followRedirects: false, ...(signal ? { signal } : {}) });
    if (res.status !== 201) throw await errorFromResponse(res, 'PUT');
    drain(res);
  }

  /** All tags of the repository (following `Link` pagination). */
  async tags(signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let next: string | URL | undefined = this.p('tags/list');
    for (let page = 0; next && page < 1000; page++) {
      const res: Response = await this.session.fetch(next, { scopes: this.scopes(), ...(signal ? { signal } : {}) });
      if (res.status !== 200) throw await errorFromResponse(res, 'GET');
      const body = JSON.parse((await readBody(res, 16 << 20)).toString('utf8')) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = String(res.headers['link'] ?? '');
      const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      next = m ? new URL(m[1]!, res.url) : undefined;
    }
    return out;
  }

  private location(res: Response, fallback?: URL): URL {
    const loc = res.headers.location;
    if (!loc) {
      if (fallback) return fallback;
      throw new RegistryError(`the registry at ${res.url.host} answered ${res.status} without a Location header`, 502, undefined);
    }
    return new URL(loc, res.url);
  }
}
