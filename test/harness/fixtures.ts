/** Fixture images loaded into test daemons. */
import http from 'node:http';
import { buildBusyboxArchive } from '../fixtures/busybox.js';
import type { TestDaemon } from './daemon.js';

let busybox: Promise<{ archive: Buffer; imageId: string }> | undefined;

/** The busybox archive, built once per test process. */
export function busyboxArchive(): Promise<{ archive: Buffer; imageId: string }> {
  return (busybox ??= buildBusyboxArchive());
}

/** Loads busybox:latest into the daemon through the API; returns its image ID. */
export async function loadBusybox(d: TestDaemon): Promise<string> {
  const { archive, imageId } = await busyboxArchive();
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, path: '/images/load?quiet=1', method: 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 && !body.includes('"error"') ? resolve() : reject(new Error(`load failed: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end(archive);
  });
  return imageId;
}
