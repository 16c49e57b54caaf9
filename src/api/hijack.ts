/**
 * Taking over a connection for attach and exec: with `Upgrade: tcp` the
 * client gets `101 UPGRADED` and the raw socket (stdin in, output out, with
 * half-close: the client may end its input and keep reading); without it, a
 * 200 response body carries the output. Output is framed with the 8-byte
 * multiplexing header unless the session has a TTY.
 */
import type { Duplex } from 'node:stream';
import { frame } from '../stream/mux.js';
import type { RequestContext } from './context.js';
import { versionAtLeast } from './version.js';

export interface HijackedStream {
  /** Output to the client: stream 1 stdout, 2 stderr (ignored with a TTY). */
  write(stream: 1 | 2, data: Buffer): void;
  /** Closes the connection: the session is over. */
  end(): void;
  onInput(cb: (data: Buffer) => void): void;
  /** The client has no more input (half-close or disconnect). */
  onInputEnd(cb: () => void): void;
  /** The client went away entirely. */
  onClose(cb: () => void): void;
}

export function hijack(ctx: RequestContext, tty: boolean, leftover?: Buffer): HijackedStream {
  const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  const out = (stream: 1 | 2, data: Buffer) => (tty ? data : frame(stream, data));
  if (ctx.hijack) {
    const socket: Duplex = ctx.hijack.socket;
    const type = versionAtLeast(ctx.version, '1.42') ? contentType : 'application/vnd.docker.raw-stream';
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${ctx.res.getHeader('Api-Version') as string}\r\n\r\n`);
    let closed = false;
    const inputEnd: (() => void)[] = [];
    const closeCbs: (() => void)[] = [];
    const fireInputEnd = () => {
      for (const cb of inputEnd.splice(0)) cb();
    };
    socket.on('end', fireInputEnd);
    socket.on('close', () => {
      closed = true;
      fireInputEnd();
      for (const cb of closeCbs.splice(0)) cb();
    });
    socket.on('error', () => {});
    return {
      write: (stream, data) => {
        if (!closed && data.length) socket.write(out(stream, data));
      },
      end: () => {
        if (!closed) socket.end();
      },
      onInput: (cb) => {
        if (leftover?.length) cb(leftover);
        socket.on('data', cb);
        socket.resume(); // the exec start body was read with the socket paused after it
      },
      onInputEnd: (cb) => inputEnd.push(cb),
      onClose: (cb) => (closed ? cb() : closeCbs.push(cb)),
    };
  }
  const res = ctx.res;
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  let done = false;
  return {
    write: (stream, data) => {
      if (!done && data.length) res.write(out(stream, data));
    },
    end: () => {
      if (done) return;
      done = true;
      res.end();
    },
    onInput: (cb) => ctx.req.on('data', cb),
    onInputEnd: (cb) => ctx.req.on('end', cb),
    onClose: (cb) => res.on('close', cb),
  };
}
