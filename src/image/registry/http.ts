/**
 * HTTP(S) for the registry client: keep-alive agents per host and TLS
 * settings, redirects (Authorization is dropped when the host changes, as
 * blob redirects to object storage need), a deadline for the response head
 * (DNS + connect + TLS + server), an idle timeout on bodies, and abort
 * signals. Connection-level failures become NetworkError with a message in
 * Go's style (`Get "https://h/v2/": dial tcp: lookup h: no such host`) plus
 * a plain statement that the registry cannot be reached, so an offline
 * machine fails fast and says why.
 *
 * Bodies are left to the caller: every Response must be consumed, drained
 * or destroyed.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

export interface TlsSettings {
  /** Extra CA certificates (PEM), trusted in addition to the system's. */
  ca?: Buffer[];
  /** Client certificate and key (PEM). */
  cert?: Buffer;
  key?: Buffer;
  /** Accept any server certificate (insecure registries over HTTPS). */
  insecureSkipVerify?: boolean;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  /** A buffer, or a factory for a fresh stream (bodies are never replayed from a used stream). */
  body?: Buffer | (() => Readable);
  /** Required with a stream body. */
  contentLength?: number;
  signal?: AbortSignal;
  tls?: TlsSettings;
  /** Follow redirects (GET/HEAD only). Default true. */
  followRedirects?: boolean;
  /** Deadline for the response head; default HttpTransport.headTimeoutMs. */
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: URL;
}

/** The registry could not be reached or the connection broke. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** Whether the failure happened before any response (connect, DNS, TLS). */
    readonly beforeResponse: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** An operation cancelled through its AbortSignal (client went away). */
export class AbortedError extends Error {
  constructor(message = 'operation cancelled') {
    super(message);
    this.name = 'AbortedError';
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof AbortedError || (e instanceof Error && e.name === 'AbortError');
}

const METHOD_NAME: Record<string, string> = { GET: 'Get', HEAD: 'Head', POST: 'Post', PUT: 'Put', PATCH: 'Patch', DELETE: 'Delete' };

/** Go's `Get "url": …` prefix. */
export function opPrefix(method: string, url: URL): string {
  return `${METHOD_NAME[method] ?? method} "${url.toString()}"`;
}

/** Turns a socket-level error into a NetworkError with a message people (and Docker users) recognise. */
export function networkError(method: string, url: URL, e: unknown, beforeResponse: boolean): NetworkError {
  if (e instanceof NetworkError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? 'EUNKNOWN';
  const host = url.hostname;
  const addr = url.host;
  let detail: string;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      detail = `dial tcp: lookup ${host}: no such host (the registry cannot be reached: its name does not resolve; is this machine offline?)`;
      break;
    case 'ECONNREFUSED':
      detail = `dial tcp ${addr}: connect: connection refused (the registry cannot be reached)`;
      break;
    case 'ENETUNREACH':
      detail = `dial tcp ${addr}: connect: network is unreachable (the registry cannot be reached)`;
      break;
    case 'EHOSTUNREACH':
      detail = `dial tcp ${addr}: connect: no route to host (the registry cannot be reached)`;
      break;
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
      detail = `dial tcp ${addr}: i/o timeout (the registry cannot be reached)`;
      break;
    case 'ECONNRESET':
    case 'EPIPE':
      detail = beforeResponse ? 'connection reset by peer' : 'read: connection reset by peer';
      break;
    default:
      if (/certificate|self.signed|unable to verify|CERT_|ERR_TLS/i.test(`${code} ${err.message}`)) {
        detail = `tls: failed to verify certificate: ${err.message}`;
      } else if (code === 'EPROTO' || /wrong version number|packet length too long|ERR_SSL/i.test(err.message ?? '')) {
        detail = `http: server gave HTTP response to HTTPS client`;
      } else detail = err.message || String(e);
  }
  return new NetworkError(`${opPrefix(method, url)}: ${detail}`, code, beforeResponse, { cause: e });
}

function tlsKey(t: TlsSettings | undefined): string {
  if (!t) return '';
  return [t.insecureSkipVerify ? 'k' : '', t.ca?.map((c) => c.length).join('.') ?? '', t.cert?.length ?? '', t.key?.length ?? ''].join('|');
}

export class HttpTransport {
  private readonly agents = new Map<string, http.Agent>();

  constructor(
    /** Deadline for DNS + connect + TLS + the response head. */
    readonly headTimeoutMs = 20_000,
    /** A body that sends nothing for this long is broken. */
    readonly idleTimeoutMs = 60_000,
    readonly userAgent = 'berth',
  ) {}

  private agent(url: URL, t: TlsSettings | undefined): http.Agent {
    const key = `${url.protocol}//${url.host}#${tlsKey(t)}`;
    let a = this.agents.get(key);
    if (!a) {
      if (url.protocol === 'https:') {
        a = new https.Agent({
          keepAlive: true,
          maxSockets: 16,
          ...(t?.ca?.length ? { ca: [...tlsRootCertificates(), ...t.ca.map((c) => c.toString('utf8'))] } : {}),
          ...(t?.cert ? { cert: t.cert } : {}),
          ...(t?.key ? { key: t.key } : {}),
          rejectUnauthorized: !t?.insecureSkipVerify,
        });
      } else a = new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.agents.set(key, a);
    }
    return a;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  async request(url: URL, init: RequestInit = {}): Promise<Response> {
    const method = init.method ?? 'GET';
    let current = url;
    let headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.once(method, current, headers, init);
      const loc = res.headers.location;
      const follow = init.followRedirects !== false && (method === 'GET' || method === 'HEAD');
      if (follow && loc && [301, 302, 303, 307, 308].includes(res.status)) {
        res.body.resume();
        if (hop >= 10) throw new NetworkError(`${opPrefix(method, url)}: stopped after 10 redirects`, 'EREDIRECT', false);
        const next = new URL(loc, current);
        if (next.host !== current.host) {
          headers = { ...headers };
          delete headers['Authorization'];
        }
        current = next;
        continue;
      }
      return res;
    }
  }

  private once(method: string, url: URL, headers: Record<string, string>, init: RequestInit): Promise<Response> {
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const mod = url.protocol === 'https:' ? https : http;
    const h: Record<string, string> = { 'User-Agent': this.userAgent, ...headers };
    let body: Buffer | Readable | undefined;
    if (init.body !== undefined) {
      body = Buffer.isBuffer(init.body) ? init.body : init.body();
      h['Content-Length'] = String(Buffer.isBuffer(body) ? body.length : (init.contentLength ?? 0));
    } else if (method === 'PUT' || method === 'POST' || method === 'PATCH') h['Content-Length'] = '0';
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let response: IncomingMessage | undefined;
      const req = mod.request(url, { method, headers: h, agent: this.agent(url, init.tls) });
      const fail = (e: unknown, before: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(headTimer);
        signal?.removeEventListener('abort', onAbort);
        if (body && !Buffer.isBuffer(body)) body.destroy();
        reject(signal?.aborted ? new AbortedError() : networkError(method, url, e, before));
      };
      // One listener per request, removed when the body is done: aborting destroys the request, or the body.
      const onAbort = () => {
        const e = new AbortedError();
        if (response) response.destroy(e);
        else req.destroy(e);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const headTimer = setTimeout(() => {
        const e = Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' });
        req.destroy(e);
      }, init.timeoutMs ?? this.headTimeoutMs);
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(Object.assign(new Error('idle timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => fail(e, true));
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        clearTimeout(headTimer);
        response = res;
        const detach = () => signal?.removeEventListener('abort', onAbort);
        res.once('end', detach);
        res.once('close', detach);
        res.on('error', () => {});
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
      });
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }
}

/** The system's CAs: a registry's own CA is trusted in addition to them, not instead. */
function tlsRootCertificates(): readonly string[] {
  return rootCertificates;
}

/** Reads a (small) body to the end. */
export async function readBody(res: Response, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      throw new Error(`response from ${res.url.host} is larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Throws away the rest of a body so the connection can be reused. */
export function drain(res: Response): void {
  res.body.resume();
}
