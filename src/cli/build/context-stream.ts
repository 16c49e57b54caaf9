/**
 * A build context read from a stream (`berth build -`, a URL): either an
 * archive (tar, or tar compressed with gzip, bzip2, xz or zstd; the daemon
 * unpacks it) sent as it comes, or a lone Dockerfile, which becomes a
 * one-file tar, as docker's GetContextFromReader does.
 */
import { PassThrough, Readable } from 'node:stream';
import { END, encodeHeader, padding } from './tar-writer.js';
import { CliError } from '../command.js';

const BLOCK = 512;

/** go-archive's compression.Detect magic numbers. */
const MAGIC: readonly Buffer[] = [
  Buffer.from([0x42, 0x5a, 0x68]), // bzip2
  Buffer.from([0x1f, 0x8b, 0x08]), // gzip
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
];

/**
 * Whether the first bytes are an archive: a compression magic, or a tar
 * header whose checksum holds (what Go's tar reader needs to return a first
 * header; an all-zero block is an empty archive, which it reports as none).
 */
export function isArchive(head: Buffer): boolean {
  if (MAGIC.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m))) return true;
  if (head.length < BLOCK) return false;
  const block = head.subarray(0, BLOCK);
  if (block.every((b) => b === 0)) return false;
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Reads up to n bytes from the front of a stream; returns them and a stream of everything (those bytes first). */
export async function peek(input: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const it = input[Symbol.asyncIterator]();
  while (size < n) {
    const r = (await it.next()) as IteratorResult<Buffer>;
    if (r.done) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(chunks);
  const all = new PassThrough();
  all.write(head);
  if (ended) all.end();
  else {
    void (async () => {
      try {
        for (let r = (await it.next()) as IteratorResult<Buffer>; !r.done; r = (await it.next()) as IteratorResult<Buffer>) {
          if (!all.write(r.value)) await new Promise((ok) => all.once('drain', ok));
        }
        all.end();
      } catch (e) {
        all.destroy(e as Error);
      }
    })();
  }
  return { head: head.subarray(0, n), all };
}

/** A context built from a stream: the body and the Dockerfile name to send (undefined: the daemon's default). */
export interface StreamContext {
  body: Readable;
  dockerfile: string | undefined;
}

/**
 * docker's GetContextFromReader: an archive passes through with the `-f`
 * name as given; a Dockerfile becomes the tar of one `Dockerfile` (owned
 * by the caller, mode 0666 less the umask, as written to a temporary file).
 */
export async function contextFromStream(input: Readable, dockerfile: string | undefined): Promise<StreamContext> {
  const { head, all } = await peek(input, BLOCK * 2);
  if (isArchive(head)) return { body: all, dockerfile };
  if (dockerfile === '-') throw new CliError('unable to prepare context from STDIN: build context is not an archive');
  if (dockerfile) throw new CliError('unable to prepare context from STDIN: ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles');
  const data = await readAll(all);
  return { body: singleFileTar('Dockerfile', data), dockerfile: 'Dockerfile' };
}

function singleFileTar(name: string, data: Buffer): Readable {
  const mode = 0o666 & ~process.umask();
  const header = encodeHeader({ name, type: 'file', mode, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtime: Math.floor(Date.now() / 1000), size: data.length });
  return Readable.from([header, data, padding(data.length), END]);
}

export async function readAll(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
