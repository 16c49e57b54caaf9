/**
 * A local registry for the pull/push scenarios: Debian's docker-registry on
 * 127.0.0.1 (a free port, storage in the bench's temp dir, no auth), started
 * and stopped by pid; and a minimal distribution-API uploader so the bench can
 * put its test image into the registry without any engine.
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { alive, freePort, sleep } from './host.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface Registry {
  readonly port: number;
  /** host:port, for image references. */
  readonly addr: string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string): Promise<Registry> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const fd = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid ?? 0;
  const stop = async (): Promise<void> => {
    if (pid && alive(pid) && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    }
  };
  stopOnExit.add(child.pid ?? 0);
  child.once('exit', () => stopOnExit.delete(pid));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${readFileSync(join(dir, 'registry.log'), 'utf8').slice(-1000)}`);
    const status = await httpStatus(port, 'GET', '/v2/').catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('docker-registry did not answer within 15 s');
    }
    await sleep(100);
  }
  return { port, addr: `127.0.0.1:${port}`, stop };
}

const stopOnExit = new Set<number>();
process.on('exit', () => {
  for (const pid of stopOnExit) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

function httpStatus(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (typeof body === 'string' && body.startsWith('file:')) {
      const s = createReadStream(body.slice(5));
      s.on('error', reject);
      s.pipe(req);
    } else req.end(body);
  });
}

export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  /** Path of the blob's bytes, or the bytes. */
  file?: string;
  data?: Buffer;
}

/** Monolithic blob upload (POST then PUT ?digest=). */
async function uploadBlob(port: number, repo: string, blob: Blob): Promise<void> {
  const start = await send(port, 'POST', `/v2/${repo}/blobs/uploads/`, { 'Content-Length': '0' });
  if (start.status !== 202) throw new Error(`registry: upload start ${start.status} ${start.body}`);
  const loc = new URL(String(start.headers.location), `http://127.0.0.1:${port}`);
  loc.searchParams.set('digest', blob.digest);
  const put = await send(
    port,
    'PUT',
    `${loc.pathname}${loc.search}`,
    { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
    blob.file ? `file:${blob.file}` : blob.data!,
  );
  if (put.status !== 201) throw new Error(`registry: blob put ${put.status} ${put.body}`);
}

/** Uploads config and layers and puts a Docker v2 schema 2 manifest under repo:tag. */
export async function uploadImage(port: number, repo: string, tag: string, config: Blob, layers: Blob[]): Promise<void> {
  for (const b of [config, ...layers]) await uploadBlob(port, repo, b);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  });
  const r = await send(port, 'PUT', `/v2/${repo}/manifests/${tag}`, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Content-Length': String(Buffer.byteLength(manifest)) }, manifest);
  if (r.status !== 201) throw new Error(`registry: manifest put ${r.status} ${r.body}`);
}

export function fileSize(p: string): number {
  return statSync(p).size;
}
