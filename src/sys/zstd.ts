/**
 * Decompression through Debian's tools where Node 20's zlib has none: `zstd`
 * (zstd layers), `xz` and `bzip2` (build contexts). One process per stream;
 * the transform applies back-pressure both ways and fails with the tool's
 * message when the data is not valid for it.
 */
import { spawn } from 'node:child_process';
import { Transform, type TransformCallback } from 'node:stream';

const TOOLS = {
  zstd: ['zstd', ['-d', '-c', '-q', '--no-progress'], 'zstd'],
  xz: ['xz', ['-d', '-c', '-q'], 'xz-utils'],
  bzip2: ['bzip2', ['-d', '-c', '-q'], 'bzip2'],
} as const;

export type ToolFormat = keyof typeof TOOLS;

export class ToolDecompress extends Transform {
  private readonly child;
  private readonly stderr: Buffer[] = [];
  private readonly exited: Promise<number>;
  private flushed = false;

  constructor(private readonly format: ToolFormat) {
    super();
    const [tool, args] = TOOLS[format];
    this.child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.destroy(new Error(`cannot run ${TOOLS[format][0]} to decompress ${format} data (is the ${TOOLS[format][2]} package installed?): ${e.message}`));
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
    const tool = TOOLS[this.format][0];
    const msg = Buffer.concat(this.stderr).toString('utf8').trim().replace(new RegExp(`^${tool}: `), '').replace(/^\(?\/?\*?stdin\*?\)?\\?\s*:?\s*/, '');
    return new Error(`${tool}: invalid or corrupt ${this.format} data${msg ? `: ${msg}` : ''} (exit status ${code})`);
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
  return new ToolDecompress('zstd');
}

export function toolDecompress(format: ToolFormat): Transform {
  return new ToolDecompress(format);
}
