/**
 * The build context: the request body (a tar, plain or gzip/bzip2/xz
 * compressed, or a bare Dockerfile) unpacked into a scratch directory of the
 * daemon with the image unpacker's safety checks (no `..`, absolute or
 * symlinked escapes, no devices), the Dockerfile read from it, and the
 * `.dockerignore` applied (what it excludes is deleted, so COPY and ADD
 * never see it).
 *
 * Lifecycle: openContext → use dir → dispose (removes the directory; also
 * done here when opening fails).
 *
 * Error contract: InvalidParameter for a malformed archive, a Dockerfile path
 * outside the context or missing ("Cannot locate specified Dockerfile"), a
 * bad .dockerignore; the body's own error (client gone) is passed through.
 */
import { peek } from '../util/peek-stream.js';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { invalidParameter } from '../errdefs/errdefs.js';
import { decompressor, detectCompression } from '../image/compression.js';
import { applyLayer, type LayerLimits } from '../image/unpack.js';
import { closeFd, openDir, readInRoot } from '../sys/dirfd.js';
import { IgnoreMatcher } from './dockerignore.js';

export interface BuildContext {
  /** The unpacked context (daemon-owned; nothing else writes to it). */
  dir: string;
  /** Scratch space of this build beside the context (ADD's downloads). */
  scratch: string;
  dockerfile: string;
  dispose(): Promise<void>;
}

/** The Dockerfile is parsed in memory: a bigger one is refused. */
const MAX_DOCKERFILE = 4 * 1024 * 1024;

export async function openContext(body: Readable, scratchDir: string, dockerfilePath: string, limits: LayerLimits): Promise<BuildContext> {
  const base = join(scratchDir, `build-${randomBytes(8).toString('hex')}`);
  const dir = join(base, 'context');
  const scratch = join(base, 'scratch');
  await fs.mkdir(base, { mode: 0o700 });
  await fs.mkdir(dir, { mode: 0o700 });
  await fs.mkdir(scratch, { mode: 0o700 });
  const dispose = () => fs.rm(base, { recursive: true, force: true });
  try {
    const name = cleanDockerfilePath(dockerfilePath);
    const { head, stream } = await peek(body, 512);
    const compression = detectCompression(head);
    const plain = compression === 'none' ? stream : stream.pipe(decompressor(compression)!);
    const { head: tarHead, stream: tarStream } = await peek(plain, 512);
    if (tarHead.length > 0 && !isTarHeader(tarHead)) {
      // A bare Dockerfile as the body (`docker build - < Dockerfile` through old clients).
      const text = await readAll(tarStream, MAX_DOCKERFILE);
      await fs.writeFile(join(dir, name === '' ? 'Dockerfile' : name), text, { mode: 0o600 });
    } else if (tarHead.length > 0) {
      await applyLayer(tarStream.pipe(terminated()), dir, { maxBytes: limits.maxBytes, maxEntries: limits.maxEntries });
    }
    const dockerfile = await readDockerfile(dir, name);
    await applyDockerignore(dir);
    return { dir, scratch, dockerfile, dispose };
  } catch (e) {
    body.resume();
    await dispose();
    throw e;
  }
}

/** The Dockerfile's path in the context, cleaned; refused when it leaves the context. */
function cleanDockerfilePath(p: string): string {
  const clean = posix.normalize(`/${p || 'Dockerfile'}`).slice(1);
  if (clean === '') throw invalidParameter(`the Dockerfile (${p}) must be a file in the build context`);
  return clean;
}

async function readDockerfile(dir: string, name: string): Promise<string> {
  const r = await withFdAsync(openDir(dir), (root) => readInRoot(root, name, MAX_DOCKERFILE));
  if (r.kind === 'file') return r.data.toString('utf8');
  const why = r.kind === 'too-large' ? ` (larger than ${MAX_DOCKERFILE} bytes)` : r.kind === 'not-regular' ? ` (${r.what})` : '';
  throw invalidParameter(`Cannot locate specified Dockerfile: ${name}${why}`);
}

async function withFdAsync<T>(fd: number, fn: (fd: number) => Promise<T>): Promise<T> {
  try {
    return await fn(fd);
  } finally {
    closeFd(fd);
  }
}

/** Deletes what .dockerignore excludes, walking the (daemon-owned) tree. */
async function applyDockerignore(dir: string): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    return;
  }
  const m = IgnoreMatcher.parse(text);
  if (m.empty) return;
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (!m.excludes(p)) {
        if (e.isDirectory()) await walk(p);
      } else if (e.isDirectory() && m.hasExceptionsUnder(p)) {
        await walk(p);
        // An excluded directory stays only as the parent of what an exception keeps.
        if ((await fs.readdir(join(dir, p))).length === 0) await fs.rmdir(join(dir, p));
      } else await fs.rm(join(dir, p), { recursive: true, force: true });
    }
  };
  await walk('');
}

/**
 * Ends a tar stream properly: the docker CLI sends a context (with `-f -`)
 * that stops right after its last file's data, with neither padding nor the
 * end-of-archive blocks, which Go's reader accepts. Zero bytes after a
 * complete archive change nothing.
 */
function terminated(): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(null, Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
    },
  });
}

/** A tar header block: its checksum field matches the block's sum. */
export function isTarHeader(b: Buffer): boolean {
  if (b.length < 512) return false;
  const field = b.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return parseInt(field, 8) === sum;
}


async function readAll(s: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of s) {
    size += (c as Buffer).length;
    if (size > max) throw invalidParameter(`the Dockerfile sent as the build context is larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
