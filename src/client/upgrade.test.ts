import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError, Client, ConnectError } from './client.js';

/** A daemon stand-in that answers each connection with the bytes `reply` gives for the request head. */
function fakeDaemon(sock: string, reply: (head: string) => Buffer[]): Promise<net.Server> {
  const server = net.createServer((c) => {
    let buf = '';
    c.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      // Each piece in its own write, so the client sees the head split from what follows it.
      for (const part of reply(buf)) c.write(part);
      c.end();
    });
  });
  return new Promise((resolve) => server.listen(sock, () => resolve(server)));
}

describe('hijack over a raw socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-upgrade-'));
  const sock = join(dir, 'd.sock');
  let server: net.Server;
  let lastHead = '';
  before(async () => {
    server = await fakeDaemon(sock, (head) => {
      lastHead = head;
      const path = head.split(' ')[1] ?? '';
      if (path.startsWith('/ok')) return [Buffer.from('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\nfirst'), Buffer.from('-second')];
      if (path.startsWith('/gone')) {
        const body = '{"message":"No such container: gone"}';
        return [Buffer.from(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), Buffer.from(body)];
      }
      const chunk = (s: string) => Buffer.from(`${s.length.toString(16)}\r\n${s}\r\n`);
      return [Buffer.from('HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n'), chunk('{"message":"c'), chunk('ontainer is paused"}'), Buffer.from('0\r\n\r\n')];
    });
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands over the socket paused, with the bytes after the head, and the stream kind', async () => {
    const h = await new Client(`unix://${sock}`).hijack('POST', '/ok/attach', { query: { stream: true }, body: { Detach: false } });
    assert.equal(h.multiplexed, true);
    assert.match(lastHead, /^POST \/ok\/attach\?stream=1 HTTP\/1\.1\r\n/);
    assert.match(lastHead, /\r\nUpgrade: tcp\r\n/);
    assert.match(lastHead, /\r\nContent-Length: 16\r\n/);
    assert.equal(h.socket.isPaused(), true);
    const rest: Buffer[] = [h.head];
    h.socket.on('data', (d: Buffer) => rest.push(d));
    h.socket.resume();
    await new Promise((r) => h.socket.once('close', r));
    assert.equal(Buffer.concat(rest).toString(), 'first-second');
  });

  it('turns an error reply into ApiError, by Content-Length or chunked', async () => {
    const c = new Client(`unix://${sock}`);
    await assert.rejects(c.hijack('POST', '/gone/attach'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: gone');
    await assert.rejects(c.hijack('POST', '/paused/attach'), (e: unknown) => e instanceof ApiError && e.status === 409 && e.message === 'container is paused');
  });

  it('says the daemon is not running when nothing listens', async () => {
    await assert.rejects(new Client(`unix://${join(dir, 'none.sock')}`).hijack('POST', '/x'), (e: unknown) => e instanceof ConnectError && /Is berthd running\?/.test(e.message));
  });
});
