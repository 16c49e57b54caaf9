/**
 * Test support (no tests here): the real docker CLI against a fake daemon
 * on a unix socket, to compare berth's rendering with docker's.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';

let seq = 0;
/** Runs the docker CLI against a fake daemon answering GETs from routes (path prefix → JSON). */
export function dockerAgainst(
  tmp: string,
  argv: string[],
  routes: (path: string) => unknown,
): Promise<{ stdout: string; stderr: string; code: number | null; urls: string[] }> {
  const sock = join(tmp, `v${seq++}.sock`);
  const urls: string[] = [];
  return new Promise((done, reject) => {
    const srv = createServer((req, res) => {
      urls.push(req.url ?? '');
      req.resume();
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/v[\d.]+/, '');
        if (path === '/_ping') {
          res.writeHead(200, { 'API-Version': '1.47', OSType: 'linux', 'Content-Type': 'text/plain' });
          res.end(req.method === 'HEAD' ? undefined : 'OK');
          return;
        }
        const body = routes(path);
        if (body === undefined) {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          res.end('{"message":"not found"}');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json', OSType: 'linux' });
        res.end(JSON.stringify(body));
      });
    });
    srv.on('error', reject);
    srv.listen(sock, () => {
      const p = spawn('docker', ['-H', `unix://${sock}`, ...argv], {
        env: { PATH: process.env['PATH'], HOME: tmp, DOCKER_CONFIG: join(tmp, 'cfg'), ...(process.env['TZ'] ? { TZ: process.env['TZ'] } : {}) },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('exit', (code) => {
        srv.close();
        done({ stdout, stderr, code, urls });
      });
    });
  });
}

