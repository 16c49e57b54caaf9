/**
 * zstd decompression through Debian's `zstd` tool (Node 20's zlib has no
 * zstd). One process per stream; the transform applies back-pressure both
 * ways and fails with the tool's message when the data is not valid zstd.
 */
import { spawn } from 'node:child_process';
import { Transform, type TransformCallback } from 'node:stream';

export class ZstdDecompress extends Transform {
  private readonly child;
  private readonly stderr: Buffer[] = [];
  private readonly exited: Promise<number>;
  private flushed = false;

  constructor() {
    super();
    this.child = spawn('zstd', ['-d', '-c', '-q', '--no-progress'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.destroy(new Error(`cannot run zstd to decompress a zstd layer (is the zstd package installed?): ${e.message}`));
        resolve(127);
      });
      this.child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });
    this.child.stderr.on('data', (b: Buffer) => this.stderr.push(b));
    this.child.stdout.on('data', (b: Buffer) => {
      if (!this.push(b)) this.child.stdout.pause();
    });
    this.child.stdin.on('error', () => {
      /* zstd exited early: its exit status tells why */
    });
    // A failure before the input ends (corrupt data) surfaces at once.
    void this.exited.then((code) => {
      if (code !== 0 && !this.flushed) this.destroy(this.failure(code));
    });
  }

  private failure(code: number): Error {
    const msg = Buffer.concat(this.stderr).toString('utf8').trim().replace(/^zstd: /, '').replace(/^\/\*stdin\*\\?\s*:?\s*/, '');
    return new Error(`zstd: invalid or corrupt zstd data${msg ? `: ${msg}` : ''} (exit status ${code})`);
  }

  override _read(size: number): void {
    this.child.stdout.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.child.stdin.write(chunk)) cb();
    else this.child.stdin.once('drain', () => cb());
  }

  override _flush(cb: TransformCallback): void {
    this.flushed = true;
    this.child.stdin.end();
    const stdoutDone = new Promise<void>((resolve) => {
      if (this.child.stdout.readableEnded) resolve();
      else this.child.stdout.once('end', () => resolve());
      this.child.stdout.once('close', () => resolve());
    });
    Promise.all([this.exited, stdoutDone]).then(
      ([code]) => cb(code === 0 ? null : this.failure(code)),
      (e: unknown) => cb(e as Error),
    );
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    cb(err);
  }
}

export function zstdDecompress(): Transform {
  return new ZstdDecompress();
}
