/**
 * Attach over a websocket (`GET /containers/{id}/attach/ws`): the RFC 6455
 * server handshake and framing, presented as a HijackedStream so the attach
 * session runs over it unchanged. As dockerd does: output is never
 * multiplexed (stdout and stderr go out as they come, one frame per chunk),
 * in binary frames from API 1.28 on (text frames before); the payload of
 * every data frame the client sends is stdin; a close frame or the end of
 * the connection ends stdin; the session's end sends a close frame.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { invalidParameter } from '../errdefs/errdefs.js';
import type { RequestContext } from './context.js';
import type { HijackedStream } from './hijack.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
/** Larger frames from a client end the connection (1009: message too big). */
const MAX_PAYLOAD = 16 * 1024 * 1024;

/** The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** One server frame: FIN set, never masked. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n <= 0xffff ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n <= 0xffff) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Splits a byte stream into frames (unmasking what clients mask); keeps partial frames for the next push. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(data: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const frames: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_PAYLOAD)) throw new RangeError('websocket frame too large');
        len = Number(big);
        off = 10;
      }
      if (len > MAX_PAYLOAD) throw new RangeError('websocket frame too large');
      const maskAt = off;
      if (masked) off += 4;
      if (b.length < off + len) break;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
      frames.push({ fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload });
      this.buf = b.subarray(off + len);
    }
    return frames;
  }
}

/** Checks that the request asks for a websocket (before anything else is done for it). */
export function requireWebSocket(ctx: RequestContext): void {
  const upgrade = String(ctx.req.headers['upgrade'] ?? '').toLowerCase();
  if (!ctx.hijack || upgrade !== 'websocket' || !ctx.req.headers['sec-websocket-key']) {
    throw invalidParameter('websocket: the client is not using the websocket protocol: \'upgrade\' token not found in \'Connection\' header');
  }
  if (String(ctx.req.headers['sec-websocket-version'] ?? '') !== '13') throw invalidParameter('websocket: unsupported version: only version 13 is supported');
}

/** Answers the handshake (101 Switching Protocols) and returns the session's stream. */
export function upgradeWebSocket(ctx: RequestContext, binary: boolean): HijackedStream {
  const socket: Duplex = ctx.hijack!.socket;
  const key = String(ctx.req.headers['sec-websocket-key']);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
  const dataOp = binary ? OP_BINARY : OP_TEXT;
  const parser = new FrameParser();
  const inputCbs: ((d: Buffer) => void)[] = [];
  const inputEndCbs: (() => void)[] = [];
  const closeCbs: (() => void)[] = [];
  let closed = false;
  let closeSent = false;
  let inputEnded = false;
  const endInput = () => {
    if (inputEnded) return;
    inputEnded = true;
    for (const cb of inputEndCbs.splice(0)) cb();
  };
  const sendClose = (code: number) => {
    if (closeSent || closed) return;
    closeSent = true;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    socket.end(encodeFrame(OP_CLOSE, body));
  };
  const pending: Buffer[] = [];
  const onBytes = (d: Buffer) => {
    let frames: Frame[];
    try {
      frames = parser.push(d);
    } catch {
      endInput();
      sendClose(1009);
      return;
    }
    for (const f of frames) {
      if (f.opcode === OP_TEXT || f.opcode === OP_BINARY || f.opcode === OP_CONTINUATION) {
        if (inputEnded || !f.payload.length) continue;
        if (inputCbs.length) for (const cb of inputCbs) cb(f.payload);
        else pending.push(f.payload);
      } else if (f.opcode === OP_PING) {
        if (!closeSent && !closed) socket.write(encodeFrame(OP_PONG, f.payload));
      } else if (f.opcode === OP_CLOSE) {
        endInput();
        sendClose(1000);
      }
    }
  };
  const leftover = ctx.hijack!.head;
  if (leftover.length) onBytes(leftover);
  socket.on('data', onBytes);
  socket.on('end', endInput);
  socket.on('close', () => {
    closed = true;
    endInput();
    for (const cb of closeCbs.splice(0)) cb();
  });
  socket.on('error', () => {});
  return {
    write: (_stream, data) => {
      if (!closed && !closeSent && data.length) socket.write(encodeFrame(dataOp, data));
    },
    end: () => sendClose(1000),
    onInput: (cb) => {
      inputCbs.push(cb);
      for (const p of pending.splice(0)) cb(p);
    },
    onInputEnd: (cb) => (inputEnded ? cb() : inputEndCbs.push(cb)),
    onClose: (cb) => (closed ? cb() : closeCbs.push(cb)),
  };
}
