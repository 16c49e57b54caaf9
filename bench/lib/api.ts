/**
 * A minimal Engine API client over a unix socket (node:http, keep-alive), the
 * same for berthd and dockerd so neither gets a better client, and a small
 * concurrent load generator (N clients, each with its own keep-alive
 * connection, for a fixed time).
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import { quantile } from './stats.js';

/** Docker 20.10 speaks up to 1.41; berthd accepts 1.24–1.47. */
export const API_PREFIX = '/v1.41';

export interface Reply {
  status: number;
  body: Buffer;
}

export class Api {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  constructor(readonly socket: string) {}

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const isStream = body !== undefined && typeof (body as Readable).pipe === 'function';
      const payload = body === undefined || isStream ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          socketPath: this.socket,
          agent: this.agent,
          method,
          path: `${API_PREFIX}${path}`,
          headers: {
            ...(payload && !Buffer.isBuffer(body) ? { 'Content-Type': 'application/json' } : {}),
            ...(payload ? { 'Content-Length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (isStream) (body as Readable).pipe(req);
      else req.end(payload);
    });
  }

  /** Sends a request and parses the JSON answer; a status ≥ 400 is an error with the daemon's message. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString('utf8').trim()}`);
    const text = r.body.toString('utf8');
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async createContainer(name: string, cmd: string[], opts: { network?: string; image: string; binds?: string[]; ports?: Record<string, { HostIp: string; HostPort: string }[]>; env?: string[] }): Promise<string> {
    const exposed = opts.ports ? Object.fromEntries(Object.keys(opts.ports).map((k) => [k, {}])) : undefined;
    const r = await this.json<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
      Image: opts.image,
      Cmd: cmd,
      ...(opts.env ? { Env: opts.env } : {}),
      ...(exposed ? { ExposedPorts: exposed } : {}),
      HostConfig: {
        NetworkMode: opts.network ?? 'default',
        ...(opts.binds ? { Binds: opts.binds } : {}),
        ...(opts.ports ? { PortBindings: opts.ports } : {}),
      },
    });
    return r.Id;
  }

  async start(id: string): Promise<void> {
    const r = await this.request('POST', `/containers/${id}/start`);
    if (r.status !== 204 && r.status !== 304) throw new Error(`start ${id}: ${r.status} ${r.body.toString('utf8').trim()}`);
  }

  async remove(id: string): Promise<void> {
    const r = await this.request('DELETE', `/containers/${id}?force=1&v=1`);
    if (r.status >= 400 && r.status !== 404) throw new Error(`rm ${id}: ${r.status} ${r.body.toString('utf8').trim()}`);
  }

  /** Removes an image by reference; a missing image is not an error. */
  async removeImage(ref: string): Promise<void> {
    const r = await this.request('DELETE', `/images/${ref}?force=1`);
    if (r.status >= 400 && r.status !== 404) throw new Error(`rmi ${ref}: ${r.status} ${r.body.toString('utf8').trim()}`);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.request('GET', '/_ping')).status === 200;
    } catch {
      return false;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** One GET on a fresh-per-client keep-alive connection; returns the latency in ms. */
function timedGet(agent: http.Agent, socket: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ socketPath: socket, agent, method: 'GET', path }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface LoadResult {
  clients: number;
  seconds: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** `clients` concurrent keep-alive clients issue GET `path` back to back for `ms` milliseconds. */
export async function loadTest(socket: string, path: string, clients: number, ms: number): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (performance.now() < deadline) {
          try {
            lat.push(await timedGet(agent, socket, `${API_PREFIX}${path}`));
          } catch {
            errors++;
          }
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { clients, seconds, requests: lat.length, errors, rps: lat.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

/** Latencies (ms) of `n` sequential GETs on one keep-alive connection, after `warmup` unrecorded ones. */
export async function sequentialGets(socket: string, path: string, n: number, warmup = 5): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const out: number[] = [];
    for (let i = 0; i < warmup + n; i++) {
      const ms = await timedGet(agent, socket, `${API_PREFIX}${path}`);
      if (i >= warmup) out.push(ms);
    }
    return out;
  } finally {
    agent.destroy();
  }
}
