/**
 * docker's "Sending build context to Docker daemon" line: the bytes of the
 * context counted as they are sent. On a terminal the line is rewritten
 * (at most every 100 ms, after each 512 kB); otherwise only the final
 * count is printed, once the whole context has gone.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { humanSize } from '../format/units.js';

const ACTION = 'Sending build context to Docker daemon';
const EVERY = 512 * 1024;
const MIN_INTERVAL_MS = 100;

/** docker's raw progress text for a count without a total (`%8v` of the human size). */
export function uploadLine(bytes: number): string {
  return `${ACTION} ${bytes > 0 ? humanSize(bytes, 4).padStart(8) : ''}\r`;
}

export class UploadProgress extends Transform {
  private sent = 0;
  private reported = 0;
  private lastWrite = 0;

  constructor(
    private readonly write_: (s: string) => void,
    private readonly tty: boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sent += chunk.length;
    const now = Date.now();
    if (this.tty && this.sent - this.reported > EVERY && now - this.lastWrite >= MIN_INTERVAL_MS) {
      this.write_(uploadLine(this.sent));
      this.reported = this.sent;
      this.lastWrite = now;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.write_(`${uploadLine(this.sent)}\r\n`);
    done();
  }
}
