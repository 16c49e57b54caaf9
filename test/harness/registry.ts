/**
 * A local registry for pull/push tests: Debian's docker-registry (the
 * distribution project's registry 2.8) on 127.0.0.1 and a free port, with
 * its own config, storage and (optionally) htpasswd file in a temp dir. It
 * is stopped by its pid and its dir removed by stop(), and also when the
 * test process exits without running its hooks.
 *
 * FaultProxy: a small HTTP proxy in front of a registry that can flip bytes
 * of one blob (a corrupted registry), cut the connection in the middle of a
 * blob (a broken network), or slow blobs down (to interrupt a pull while it
 * runs). It records the requests it saw (method, path, Range).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of image names. */
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  readonly auth?: { user: string; pass: string };
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<{ child: ChildProcess; dir: string }>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(port: number, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${readFileSync(logPath, 'utf8')}`);
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => {
        req.destroy();
        resolve(0);
      });
    });
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}`);
}

/** Starts docker-registry; with `auth`, behind htpasswd (bcrypt, from apache2-utils' htpasswd). */
export async function startRegistry(opts: { auth?: { user: string; pass: string } } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync('/tmp/berth-registry-');
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (opts.auth) {
    const r = spawnSync('htpasswd', ['-Bbn', opts.auth.user, opts.auth.pass], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`htpasswd failed (is apache2-utils installed?): ${r.stderr}`);
    }
    writeFileSync(join(dir, 'htpasswd'), r.stdout);
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${join(dir, 'htpasswd')}`);
  }
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const logPath = join(dir, 'registry.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const entry = { child, dir };
  live.add(entry);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
  };
  try {
    await waitForRegistry(port, child, logPath);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    ...(opts.auth ? { auth: opts.auth } : {}),
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}

process.on('exit', () => {
  for (const { child, dir } of live) {
    try {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- fault proxy ---------------------------------------------------------------

export interface FaultPlan {
  /** Flip one byte in the middle of this blob's body. */
  corrupt?: string;
  /** Cut the connection after `afterBytes` of this blob; `times` times (then pass), or forever. */
  cut?: { digest: string; afterBytes: number; times?: number };
  /** Send blob bodies at most this many bytes per second. */
  throttleBytesPerSec?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  range?: string;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  plan: FaultPlan;
  readonly seen: SeenRequest[];
  /** Number of connections cut so far. */
  readonly cuts: number;
  stop(): Promise<void>;
}

/** A proxy on 127.0.0.1 in front of `target` (host:port of a registry). */
export async function startFaultProxy(target: string, plan: FaultPlan = {}): Promise<FaultProxy> {
  const [thost, tport] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const seen: SeenRequest[] = [];
  let cuts = 0;
  const state = { plan };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push({ method: req.method ?? 'GET', path, ...(req.headers.range ? { range: String(req.headers.range) } : {}) });
    const blob = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path.split('?')[0]!)?.[1];
    const up = http.request({ host: thost, port: tport, method: req.method, path, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      const p = state.plan;
      const isBody = req.method === 'GET' && blob !== undefined && (ures.statusCode === 200 || ures.statusCode === 206);
      if (!isBody) {
        ures.pipe(res);
        return;
      }
      let sent = 0;
      const corrupt = p.corrupt === blob;
      const cut = p.cut && p.cut.digest === blob && (p.cut.times === undefined || cuts < p.cut.times) ? p.cut : undefined;
      const total = Number(ures.headers['content-length'] ?? 0);
      const flipAt = Math.floor(total / 2);
      const rate = p.throttleBytesPerSec;
      const started = Date.now();
      let dropped = false;
      ures.on('data', (chunk: Buffer) => {
        if (dropped) return;
        let c = chunk;
        if (corrupt && sent <= flipAt && flipAt < sent + c.length) {
          c = Buffer.from(c);
          c[flipAt - sent] = c[flipAt - sent]! ^ 0xff;
        }
        if (cut && sent + c.length > cut.afterBytes) {
          const keep = Math.max(0, cut.afterBytes - sent);
          if (keep > 0) res.write(c.subarray(0, keep));
          sent += keep;
          cuts++;
          dropped = true;
          ures.destroy();
          // Let the bytes go out, then drop the connection mid-body.
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        sent += c.length;
        const ok = res.write(c);
        if (rate) {
          ures.pause();
          const due = started + (sent / rate) * 1000;
          setTimeout(() => ures.resume(), Math.max(0, due - Date.now()));
        } else if (!ok) {
          ures.pause();
          res.once('drain', () => ures.resume());
        }
      });
      ures.on('end', () => res.end());
      ures.on('error', () => res.socket?.destroy());
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  return {
    host: `127.0.0.1:${port}`,
    port,
    get plan() {
      return state.plan;
    },
    set plan(p: FaultPlan) {
      state.plan = p;
    },
    seen,
    get cuts() {
      return cuts;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// --- talking to the registry directly (fixtures the engine cannot make, checks) ---

export interface RegReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function regRequest(
  host: string,
  method: string,
  path: string,
  opts: { body?: Buffer; headers?: Record<string, string>; auth?: { user: string; pass: string } } = {},
): Promise<RegReply> {
  const [h, p] = [host.slice(0, host.lastIndexOf(':')), Number(host.slice(host.lastIndexOf(':') + 1))];
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers['Authorization'] = 'Basic ' + Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64');
  if (opts.body) headers['Content-Length'] = String(opts.body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: h, port: p, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Uploads a blob (monolithic); returns its digest. */
export async function uploadBlob(host: string, repo: string, data: Buffer, auth?: { user: string; pass: string }): Promise<string> {
  const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(data).digest('hex')}`;
  const start = await regRequest(host, 'POST', `/v2/${repo}/blobs/uploads/`, auth ? { auth } : {});
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body.toString()}`);
  const loc = new URL(String(start.headers.location), `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await regRequest(host, 'PUT', loc.pathname + loc.search, { body: data, headers: { 'Content-Type': 'application/octet-stream' }, ...(auth ? { auth } : {}) });
  if (put.status !== 201) throw new Error(`upload put: ${put.status} ${put.body.toString()}`);
  return digest;
}

export async function putManifest(host: string, repo: string, ref: string, bytes: Buffer, mediaType: string, auth?: { user: string; pass: string }): Promise<string> {
  const r = await regRequest(host, 'PUT', `/v2/${repo}/manifests/${ref}`, { body: bytes, headers: { 'Content-Type': mediaType }, ...(auth ? { auth } : {}) });
  if (r.status !== 201) throw new Error(`manifest put: ${r.status} ${r.body.toString()}`);
  return String(r.headers['docker-content-digest']);
}
