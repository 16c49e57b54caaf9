/**
 * Docker's stream multiplexing ("stdcopy"), used by attach, exec and logs when
 * the container has no TTY. Every chunk of output travels in a frame:
 *
 *   [stream, 0, 0, 0, size uint32 big-endian] payload(size bytes)
 *
 * stream: 0 = stdin (when echoed), 1 = stdout, 2 = stderr, 3 = "systemerr"
 * (an in-band error from the daemon, API ≥ 1.40 for logs). Docker's client
 * (stdcopy.StdCopy) rejects any other stream byte with
 * "Unrecognized input header: N"; it does not check bytes 1–3.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { invalidParameter } from '../errdefs/errdefs.js';

export type StreamId = 0 | 1 | 2 | 3;

export const STDIN: StreamId = 0;
export const STDOUT: StreamId = 1;
export const STDERR: StreamId = 2;
export const SYSTEMERR: StreamId = 3;

export const HEADER_SIZE = 8;
const MAX_FRAME = 0xffff_ffff;

/** The 8-byte header of a frame of `size` bytes on `stream`. */
export function frameHeader(stream: StreamId, size: number): Buffer {
  if (!Number.isInteger(size) || size < 0 || size > MAX_FRAME) {
    throw invalidParameter(`frame size out of range: ${size}`);
  }
  const h = Buffer.alloc(HEADER_SIZE);
  h[0] = stream;
  h.writeUInt32BE(size, 4);
  return h;
}

/** One frame: header + payload in a single buffer (one copy of the payload). */
export function frame(stream: StreamId, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME) throw invalidParameter(`frame payload too large: ${payload.length} bytes`);
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out[0] = stream;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, HEADER_SIZE);
  return out;
}

export interface Frame {
  stream: StreamId;
  payload: Buffer;
}

export interface DecoderOptions {
  /**
   * Emit a frame's payload as it arrives (several `Frame`s with the same
   * stream for one wire frame) instead of waiting for the whole frame. Output
   * bytes are the same; latency and memory no longer depend on frame size.
   * Default false: one `Frame` per wire frame.
   */
  split?: boolean;
}

/**
 * Incremental frame decoder: feed it chunks with any boundaries (a header may
 * be split across chunks, a payload across many); it calls `onFrame` for each
 * decoded frame. Linear in the input: payload bytes are sliced out of the
 * input chunks (no copy when a payload lies inside one chunk) and joined once
 * per frame otherwise.
 *
 * Errors (thrown from push/end): an unknown stream byte, or `end()` in the
 * middle of a frame (a truncated stream).
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerLen = 0;
  private inPayload = false;
  private stream: StreamId = 1;
  private remaining = 0;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private readonly split: boolean;

  constructor(
    private readonly onFrame: (f: Frame) => void,
    opts: DecoderOptions = {},
  ) {
    this.split = opts.split ?? false;
  }

  /** True when the input so far ends exactly on a frame boundary. */
  get atBoundary(): boolean {
    return !this.inPayload && this.headerLen === 0;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (!this.inPayload) {
        const take = Math.min(HEADER_SIZE - this.headerLen, n - i);
        chunk.copy(this.header, this.headerLen, i, i + take);
        this.headerLen += take;
        i += take;
        if (this.headerLen < HEADER_SIZE) break;
        this.headerLen = 0;
        const s = this.header[0]!;
        if (s > 3) throw invalidParameter(`Unrecognized input header: ${s}`);
        this.stream = s as StreamId;
        this.remaining = this.header.readUInt32BE(4);
        this.inPayload = true;
        if (this.remaining === 0) {
          this.inPayload = false;
          if (!this.split) this.onFrame({ stream: this.stream, payload: Buffer.alloc(0) });
        }
        continue;
      }
      const take = Math.min(this.remaining, n - i);
      const piece = chunk.subarray(i, i + take);
      i += take;
      this.remaining -= take;
      if (this.split) {
        if (this.remaining === 0) this.inPayload = false;
        this.onFrame({ stream: this.stream, payload: piece });
        continue;
      }
      if (this.remaining === 0) {
        this.inPayload = false;
        let payload: Buffer;
        if (this.parts.length === 0) payload = piece;
        else {
          this.parts.push(piece);
          payload = Buffer.concat(this.parts, this.partsLen + piece.length);
          this.parts = [];
          this.partsLen = 0;
        }
        this.onFrame({ stream: this.stream, payload });
      } else {
        this.parts.push(piece);
        this.partsLen += piece.length;
      }
    }
  }

  /** Call at end of input; throws if the input stopped inside a frame. */
  end(): void {
    if (this.atBoundary) return;
    const where = this.inPayload
      ? `${this.remaining} payload bytes missing`
      : `${HEADER_SIZE - this.headerLen} header bytes missing`;
    this.parts = [];
    throw invalidParameter(`unexpected EOF in multiplexed stream (${where})`);
  }
}

/**
 * A Transform from raw bytes to `Frame` objects (readable side in object
 * mode). A truncated stream fails with an error at end of input.
 */
export class Demuxer extends Transform {
  private readonly decoder: FrameDecoder;

  constructor(opts: DecoderOptions = {}) {
    super({ readableObjectMode: true });
    this.decoder = new FrameDecoder((f) => this.push(f), opts);
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.end();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** Decodes a whole framed buffer at once (tests, small responses). */
export function demuxAll(data: Buffer): Frame[] {
  const out: Frame[] = [];
  const d = new FrameDecoder((f) => out.push(f));
  d.push(data);
  d.end();
  return out;
}
