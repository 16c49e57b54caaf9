/**
 * An HTTP/1.1 upgrade request written straight onto a unix socket (what the
 * docker CLI does for attach and exec): node:net only, since under Bun loading
 * node:http costs ~15 ms of CPU, a fifth of a whole `exec true`. Resolves with
 * the reply's head and the socket, paused, with any bytes that came after the
 * head; the caller reads an error reply's body with readReplyBody.
 */
import net from 'node:net';

export interface ReplyHead {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
}

export interface Upgraded {
  head: ReplyHead;
  socket: net.Socket;
  /** Bytes that arrived after the head. */
  rest: Buffer;
}

/** Rejects with the socket's own error (ENOENT, ECONNREFUSED…) when the connection fails. */
export function upgradeRequest(socketPath: string, requestHead: string, body: Buffer | undefined): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buf: Buffer = Buffer.alloc(0);
    const onError = (e: Error) => reject(e);
    const onEnd = () => reject(new Error('the daemon closed the connection before replying'));
    const onData = (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData).off('error', onError).off('end', onEnd);
      // Paused before anyone else listens: nothing that follows the head can be emitted to no one.
      socket.pause();
      resolve({ head: parseHead(buf.subarray(0, end).toString('latin1')), socket, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData).once('error', onError).once('end', onEnd);
    socket.write(body ? Buffer.concat([Buffer.from(requestHead, 'latin1'), body]) : requestHead);
  });
}

function parseHead(text: string): ReplyHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  if (!Number.isInteger(status)) throw new Error(`the daemon sent no HTTP reply: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const colon = l.indexOf(':');
    if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
  }
  return { status, headers };
}

/** The body of a reply that did not upgrade (an error): by Content-Length, chunked, or to the end. Closes the socket. */
export function readReplyBody(u: Upgraded): Promise<Buffer> {
  const { socket, head } = u;
  const length = head.headers['content-length'] !== undefined ? Number(head.headers['content-length']) : undefined;
  const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
  return new Promise((resolve) => {
    let buf: Buffer = u.rest;
    const done = (b: Buffer) => {
      socket.destroy();
      resolve(b);
    };
    const check = (): boolean => {
      if (length !== undefined && buf.length >= length) done(buf.subarray(0, length));
      else if (chunked && buf.includes('0\r\n\r\n')) done(dechunk(buf));
      else return false;
      return true;
    };
    if (check()) return;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      check();
    });
    socket.once('end', () => done(chunked ? dechunk(buf) : buf));
    socket.once('error', () => done(buf));
    socket.resume();
  });
}

function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = Number.parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
