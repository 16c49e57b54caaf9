/**
 * An in-process registry for unit tests of the registry client: the OCI
 * distribution endpoints (manifests, blobs with Range, uploads monolithic
 * and chunked, cross-repository mounts, tags) with no auth, Basic auth, or
 * Docker Hub's Bearer token flow (a token server on the same port whose
 * tokens carry their scopes; a 401 with `error="insufficient_scope"` when a
 * request needs more). Faults: a blob served corrupted, or cut mid-body.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AuthMode = 'none' | 'basic' | 'bearer';

export interface FakeRegistryOptions {
  auth?: AuthMode;
  user?: string;
  pass?: string;
}

export interface Logged {
  method: string;
  path: string;
  range?: string;
  auth?: string;
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  /** repo → set of blob digests linked into it. */
  readonly links = new Map<string, Set<string>>();
  readonly manifests = new Map<string, Map<string, { bytes: Buffer; mediaType: string }>>();
  readonly log: Logged[] = [];
  /** Serve these bytes instead of the blob's (corruption). */
  corrupt = new Map<string, Buffer>();
  /** Cut the connection after N bytes of this blob, `times` times. */
  cut: { digest: string; after: number; times: number } | undefined;
  /** Serve this instead of the manifest stored under a reference. */
  tamperManifest = new Map<string, Buffer>();
  private readonly uploads = new Map<string, { repo: string; data: Buffer[]; size: number }>();
  private server!: http.Server;
  port = 0;

  constructor(private readonly opts: FakeRegistryOptions = {}) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Stores a blob in a repository; returns its digest. */
  addBlob(repo: string, data: Buffer): string {
    const d = sha(data);
    this.blobs.set(d, data);
    this.link(repo, d);
    return d;
  }

  addManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): string {
    const m = this.manifests.get(repo) ?? new Map();
    const d = sha(bytes);
    m.set(ref, { bytes, mediaType });
    m.set(d, { bytes, mediaType });
    this.manifests.set(repo, m);
    return d;
  }

  private link(repo: string, d: string): void {
    const s = this.links.get(repo) ?? new Set<string>();
    s.add(d);
    this.links.set(repo, s);
  }

  private challenge(scope?: string): string {
    if (this.opts.auth === 'basic') return 'Basic realm="fake"';
    return `Bearer realm="http://${this.host}/token",service="fake-registry"${scope ? `,scope="${scope}",error="insufficient_scope"` : ''}`;
  }

  /** Whether the request may do `action` on `repo`; answers 401 itself when not. */
  private authorized(req: http.IncomingMessage, res: http.ServerResponse, repo: string | undefined, action: 'pull' | 'push'): boolean {
    const mode = this.opts.auth ?? 'none';
    if (mode === 'none') return true;
    const h = req.headers.authorization ?? '';
    if (mode === 'basic') {
      const ok = h === 'Basic ' + Buffer.from(`${this.opts.user}:${this.opts.pass}`).toString('base64');
      if (!ok) this.deny(res, 'Basic realm="fake"');
      return ok;
    }
    const m = /^Bearer (.+)$/.exec(h);
    if (!m) {
      this.deny(res, this.challenge());
      return false;
    }
    let scopes: string[] = [];
    try {
      scopes = (JSON.parse(Buffer.from(m[1]!, 'base64').toString()) as { scopes: string[] }).scopes;
    } catch {
      /* not ours */
    }
    if (repo === undefined) return true;
    const need = `repository:${repo}:${action}`;
    const ok = scopes.some((s) => {
      const i = s.lastIndexOf(':');
      return s.slice(0, i) === `repository:${repo}` && s.slice(i + 1).split(',').includes(action);
    });
    if (!ok) this.deny(res, this.challenge(need));
    return ok;
  }

  private deny(res: http.ServerResponse, challenge: string): void {
    res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message }] }));
  }

  private async body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const method = req.method ?? 'GET';
    this.log.push({ method, path: url.pathname + url.search, ...(req.headers.range ? { range: String(req.headers.range) } : {}), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    if (url.pathname === '/token') {
      if (this.opts.user) {
        const ok = req.headers.authorization === 'Basic ' + Buffer.from(`${this.opts.user}:${this.opts.pass}`).toString('base64');
        if (!ok) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
      }
      const scopes = url.searchParams.getAll('scope');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: Buffer.from(JSON.stringify({ scopes, n: randomBytes(4).toString('hex') })).toString('base64'), expires_in: 300 }));
      return;
    }
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      if (!this.authorized(req, res, undefined, 'pull')) return;
      res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\/(.*)$/.exec(url.pathname);
    if (!m) return this.error(res, 404, 'NOT_FOUND', 'not found');
    const [, repo, kind, rest] = m as unknown as [string, string, string, string];
    const write = method !== 'GET' && method !== 'HEAD';
    if (!this.authorized(req, res, repo, write ? 'push' : 'pull')) return;

    if (kind === 'tags') {
      const tags = [...(this.manifests.get(repo)?.keys() ?? [])].filter((t) => !t.startsWith('sha256:'));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ name: repo, tags }));
      return;
    }
    if (kind === 'manifests') {
      if (method === 'PUT') {
        const bytes = await this.body(req);
        const d = this.addManifest(repo, rest, bytes, String(req.headers['content-type']));
        res.writeHead(201, { 'Docker-Content-Digest': d, Location: `/v2/${repo}/manifests/${d}` });
        res.end();
        return;
      }
      const e = this.manifests.get(repo)?.get(rest);
      if (!e) return this.error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      const bytes = this.tamperManifest.get(rest) ?? e.bytes;
      res.writeHead(200, { 'Content-Type': e.mediaType, 'Content-Length': bytes.length, 'Docker-Content-Digest': sha(e.bytes) });
      res.end(method === 'HEAD' ? undefined : bytes);
      return;
    }
    // blobs
    if (rest.startsWith('uploads')) return this.upload(req, res, repo, rest.slice('uploads'.length).replace(/^\//, ''), url);
    const d = rest;
    const data = this.blobs.get(d);
    if (!data || !this.links.get(repo)?.has(d)) return this.error(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    if (method === 'HEAD') {
      res.writeHead(200, { 'Content-Length': data.length, 'Docker-Content-Digest': d });
      res.end();
      return;
    }
    const served = this.corrupt.get(d) ?? data;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (range) start = Number(range[1]);
    const part = served.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'Content-Length': part.length,
      ...(range ? { 'Content-Range': `bytes ${start}-${served.length - 1}/${served.length}` } : {}),
    });
    if (this.cut && this.cut.digest === d && this.cut.times > 0) {
      this.cut.times--;
      res.write(part.subarray(0, this.cut.after));
      setTimeout(() => res.socket?.destroy(), 10);
      return;
    }
    res.end(part);
  }

  private async upload(req: http.IncomingMessage, res: http.ServerResponse, repo: string, id: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'POST' && !id) {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from && this.links.get(from)?.has(mount)) {
        this.link(repo, mount);
        res.writeHead(201, { Location: `/v2/${repo}/blobs/${mount}`, 'Docker-Content-Digest': mount });
        res.end();
        return;
      }
      const uid = randomBytes(8).toString('hex');
      this.uploads.set(uid, { repo, data: [], size: 0 });
      res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${uid}?_state=x`, Range: '0-0', 'Docker-Upload-UUID': uid });
      res.end();
      return;
    }
    const up = this.uploads.get(id);
    if (!up) return this.error(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    const loc = `/v2/${repo}/blobs/uploads/${id}?_state=y`;
    if (method === 'GET') {
      res.writeHead(204, { Location: loc, Range: `0-${Math.max(0, up.size - 1)}` });
      res.end();
      return;
    }
    const body = await this.body(req);
    if (method === 'PATCH') {
      const cr = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
      if (cr && Number(cr[1]) !== up.size) {
        res.writeHead(416, { Location: loc, Range: `0-${up.size - 1}` });
        res.end();
        return;
      }
      up.data.push(body);
      up.size += body.length;
      res.writeHead(202, { Location: loc, Range: `0-${up.size - 1}` });
      res.end();
      return;
    }
    if (method === 'PUT') {
      up.data.push(body);
      const all = Buffer.concat(up.data);
      const want = url.searchParams.get('digest');
      if (sha(all) !== want) return this.error(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
      this.blobs.set(want, all);
      this.link(repo, want);
      this.uploads.delete(id);
      res.writeHead(201, { Location: `/v2/${repo}/blobs/${want}`, 'Docker-Content-Digest': want });
      res.end();
      return;
    }
    this.error(res, 405, 'UNSUPPORTED', 'unsupported');
  }
}
