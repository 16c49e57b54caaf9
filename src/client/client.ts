/**
 * A typed Engine API client over the daemon's unix socket. One keep-alive
 * connection pool per client; JSON requests, streamed bodies, JSON-lines
 * progress streams. Errors from the daemon become ApiError with Docker's
 * status code and message ("Error response from daemon: …" is the CLI's
 * business).
 *
 * The CLI runs as a Bun executable, where loading node:http costs more CPU than
 * a whole `ps`: JSON requests there go through Bun's native fetch (which speaks
 * HTTP over a unix socket), and node:http is loaded only for streams and
 * hijacked connections. Under Node (unit tests, tsx) everything uses node:http.
 */
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The daemon could not be reached at all. */
export class ConnectError extends Error {}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  /** A JSON value, or a stream/buffer sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/**
 * The Host header docker clients send over unix sockets. Setting it ourselves
 * (setHost: false) also spares Node's IPv6 check of a host name, whose regular
 * expression costs milliseconds to compile at every CLI start.
 */
const HOST_HEADER = 'api.moby.localhost';

/** Bun's fetch, which takes a `unix` socket path; undefined under Node. */
const bunFetch = process.versions['bun'] ? (fetch as (url: string, init: RequestInit & { unix: string }) => Promise<Response>) : undefined;

const loadHttp = async (): Promise<typeof http> => (await import('node:http')).default;

export class Client {
  readonly socketPath: string;
  private agent: http.Agent | undefined;

  constructor(host: string = DEFAULT_HOST) {
    if (host.startsWith('unix://')) this.socketPath = host.slice('unix://'.length);
    else if (host.startsWith('/')) this.socketPath = host;
    else throw new ConnectError(`unsupported daemon address ${JSON.stringify(host)}: use unix:///path/to/berth.sock`);
  }

  close(): void {
    this.agent?.destroy();
  }

  /** Sends a request and returns the raw response (any status). */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const http = await loadHttp();
    const agent = (this.agent ??= new http.Agent({ keepAlive: true, maxSockets: 8 }));
    const qs = encodeQuery(opts.query);
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | Readable | undefined;
    if (opts.body !== undefined) {
      if (Buffer.isBuffer(opts.body) || isReadable(opts.body)) {
        payload = opts.body as Buffer | Readable;
        headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
      } else {
        payload = Buffer.from(JSON.stringify(opts.body));
        headers['Content-Type'] = 'application/json';
      }
      if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      // servername '' keeps the agent from checking the host name for TLS SNI (the same costly IPv6 regex).
      const opts = { socketPath: this.socketPath, path: path + qs, method, headers: { Host: HOST_HEADER, ...headers }, setHost: false, servername: '', agent };
      const req = http.request(opts as http.RequestOptions, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.connectError(e)));
      if (payload === undefined) req.end();
      else if (Buffer.isBuffer(payload)) req.end(payload);
      else {
        payload.on('error', (e) => req.destroy(e));
        payload.pipe(req);
      }
    });
  }

  /**
   * Upgrades the connection (`Upgrade: tcp`) for attach and exec start. An
   * error reply (404, 409…) rejects with ApiError before any stream exists.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Hijacked> {
    const { upgradeRequest, readReplyBody } = await import('./upgrade.js');
    const body = opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body)) : undefined;
    const head = [`${method} ${path}${encodeQuery(opts.query)} HTTP/1.1`, `Host: ${HOST_HEADER}`, 'Connection: Upgrade', 'Upgrade: tcp'];
    if (body) head.push('Content-Type: application/json', `Content-Length: ${body.length}`);
    const u = await upgradeRequest(this.socketPath, head.join('\r\n') + '\r\n\r\n', body).catch((e: NodeJS.ErrnoException) => {
      throw this.connectError(e);
    });
    if (u.head.status !== 101) {
      const b = await readReplyBody(u);
      if (u.head.status >= 400) throw apiError(u.head.status, b);
      throw new ApiError(u.head.status, `the daemon did not upgrade the connection (HTTP ${u.head.status})`);
    }
    const ct = u.head.headers['content-type'] ?? '';
    return { socket: u.socket, head: u.rest, multiplexed: ct.includes('multiplexed') ? true : ct.includes('raw-stream') ? false : undefined };
  }

  /** A request whose success reply is JSON (or empty); throws ApiError otherwise. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const { status, body } = await this.exchange(method, path, opts);
    if (status >= 400) throw apiError(status, body);
    if (body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  /** One request and its whole reply: through Bun's fetch when there is one and the body is not a stream. */
  private async exchange(method: string, path: string, opts: RequestOptions): Promise<{ status: number; body: Buffer }> {
    if (!bunFetch || isReadable(opts.body)) {
      const res = await this.request(method, path, opts);
      return { status: res.statusCode!, body: await readAll(res) };
    }
    const headers: Record<string, string> = { ...opts.headers };
    let payload: string | Uint8Array<ArrayBuffer> | undefined;
    if (Buffer.isBuffer(opts.body)) {
      payload = new Uint8Array(opts.body) as Uint8Array<ArrayBuffer>;
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
    try {
      const res = await bunFetch(`http://${HOST_HEADER}${path}${encodeQuery(opts.query)}`, { method, headers, unix: this.socketPath, ...(payload !== undefined ? { body: payload } : {}) });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    } catch (e) {
      throw this.connectError(e as NodeJS.ErrnoException);
    }
  }

  /** A failure to reach the daemon as the error people read; any other error as it is. */
  private connectError(e: NodeJS.ErrnoException): Error {
    if (e.code !== 'ENOENT' && e.code !== 'ECONNREFUSED' && e.code !== 'EACCES') return e;
    return new ConnectError(`Cannot connect to the berth daemon at unix://${this.socketPath}. Is berthd running?` + (e.code === 'EACCES' ? ' (permission denied)' : ''));
  }

  /** A request whose success reply is a byte stream (save, export, logs). */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.request(method, path, opts);
    if (res.statusCode! >= 400) throw apiError(res.statusCode!, await readAll(res));
    return res;
  }

  /**
   * A request answered with JSON lines (pull, load, import): calls onMessage
   * for each object. A message with `error` ends it with an ApiError, as the
   * docker CLI reports stream errors.
   */
  async jsonLines(method: string, path: string, opts: RequestOptions, onMessage: (m: JsonMessage) => void): Promise<void> {
    const res = await this.stream(method, path, opts);
    let buf = '';
    let failure: JsonMessage | undefined;
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const m = JSON.parse(line) as JsonMessage;
        if (m.error || m.errorDetail) failure ??= m;
        else onMessage(m);
      }
    }
    if (buf.trim()) {
      const m = JSON.parse(buf) as JsonMessage;
      if (m.error || m.errorDetail) failure ??= m;
      else onMessage(m);
    }
    if (failure) throw new ApiError(500, failure.errorDetail?.message ?? failure.error ?? 'unknown error');
  }
}

/** A hijacked connection (attach, exec start): raw socket after `101 UPGRADED`, paused until its reader resumes it. */
export interface Hijacked {
  socket: import('node:net').Socket;
  /** Bytes that arrived with the response head. */
  head: Buffer;
  /** Whether output is multiplexed (no TTY) or raw, from the response's Content-Type. */
  multiplexed: boolean | undefined;
}

export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: unknown;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

export async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function apiError(status: number, body: Buffer): ApiError {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { message?: string };
    if (typeof j.message === 'string') return new ApiError(status, j.message);
  } catch {
    /* not JSON: report the text */
  }
  return new ApiError(status, text.trim() || `HTTP ${status}`);
}

function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else if (typeof v === 'boolean') p.set(k, v ? '1' : '0');
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
