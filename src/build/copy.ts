/**
 * COPY and ADD sources → one tar to extract in the step's container, with
 * Docker's rules: a directory's content (not the directory) is copied; a
 * file goes to `dest` itself unless dest ends in `/`, is an existing
 * directory or several sources are copied (then `dest/<name>`); wildcards
 * (filepath.Match syntax) are matched against the context; sources never
 * leave the context (symlinks on a source path are followed inside it);
 * files become root's (or --chown's) and keep their mode (or take --chmod's);
 * ADD extracts a local tar archive (plain, gzip, bzip2, xz) into dest and
 * downloads an http(s) URL (a file of mode 0600, not extracted).
 *
 * The same tar, hashed (names, types, modes, owners, sizes, link targets and
 * contents; not times), is the step's cache key (`file:<hash>`, `dir:<hash>`,
 * `multi:<hash>` as Docker writes it in the history).
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { errnoCode, invalidParameter } from '../errdefs/errdefs.js';
import { decompressor, detectCompression } from '../image/compression.js';
import { encodeHeader, tarEntry, type TarEntry } from '../image/layer-diff.js';
import { closeFd, O_PATH, openDir, openInRoot } from '../sys/dirfd.js';
import { isTarHeader } from './context.js';
import { peek } from '../util/peek-stream.js';
import { globMatcher, DEFAULT_BUDGET } from '../util/re2.js';

/** One source: a tar producer whose top entry is named ROOT. */
export interface Source {
  /** The tar of the source, its top entry named ROOT (ROOT/… below a directory). */
  open(): Promise<Readable>;
  isDir: boolean;
  /** The name a file source takes in a destination directory. */
  base: string;
  /** ADD of a local archive: its entries are extracted as they are. */
  archive?: boolean;
}

export const ROOT = 'berth-src';
const { O_DIRECTORY } = constants;

export interface CopyPlan {
  /** The container directory the tar is extracted in. */
  dir: string;
  sources: Source[];
  /** For a single file copied to a file path: the name it takes in dir. */
  fileName?: string;
  owner?: { uid: number; gid: number };
  mode?: number;
}

/**
 * Where the sources go: dest made absolute against workdir; isDir tells
 * whether dest is an existing directory in the container.
 */
export function planDestination(sources: Source[], dest: string, workdir: string, destIsDir: boolean): { dir: string; fileName?: string } {
  const trailing = dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
  const abs = posix.normalize(dest.startsWith('/') ? dest : posix.join(workdir || '/', dest));
  if (sources.length > 1 && !trailing) throw invalidParameter('When using COPY with more than one source file, the destination must be a directory and end with a /');
  const single = sources.length === 1 ? sources[0]! : undefined;
  if (single && !single.isDir && !single.archive && !trailing && !destIsDir) {
    return { dir: posix.dirname(abs), fileName: posix.basename(abs) };
  }
  return { dir: abs };
}

/** Context sources: paths or patterns relative to the context root. */
export async function contextSources(ctxDir: string, patterns: string[], what: string, add?: { downloads: string; signal: AbortSignal }): Promise<Source[]> {
  const out: Source[] = [];
  for (const pattern of patterns) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) {
      if (!add) throw invalidParameter(`${what} failed: source can't be a URL (${pattern}): use ADD`);
      out.push(await urlSource(pattern, add.downloads, add.signal));
      continue;
    }
    const rel = posix.normalize(`/${pattern}`).slice(1).replace(/\/$/, '');
    const matches = hasWildcards(rel) ? await glob(ctxDir, rel) : [rel];
    if (matches.length === 0) throw invalidParameter(`${what} failed: no source files were specified (nothing in the build context matches ${pattern})`);
    for (const m of matches) out.push(await contextSource(ctxDir, m, pattern, what, add !== undefined));
  }
  return out;
}

async function contextSource(ctxDir: string, rel: string, asked: string, what: string, archives: boolean): Promise<Source> {
  const root = openDir(ctxDir);
  let kind: 'dir' | 'file' | 'other';
  try {
    const fd = openInRoot(root, rel, O_PATH);
    try {
      const st = await fs.stat(`/proc/self/fd/${fd}`);
      kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } finally {
      closeFd(fd);
    }
  } catch (err) {
    const c = errnoCode(err);
    if (c === 'ENOENT' || c === 'ENOTDIR') throw invalidParameter(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${asked}: file does not exist`);
    throw err;
  } finally {
    closeFd(root);
  }
  const open = async () => {
    const rootFd = openDir(ctxDir);
    try {
      // The source path is resolved inside the context (a symlink on it cannot leave it); below it, nothing is followed.
      const parent = openInRoot(rootFd, posix.dirname(`/${rel}`), O_PATH | O_DIRECTORY);
      return tarEntry(parent, rel === '' ? '.' : posix.basename(rel), { as: ROOT });
    } finally {
      closeFd(rootFd);
    }
  };
  const base = rel === '' ? '.' : posix.basename(rel);
  if (archives && kind === 'file' && (await isArchive(ctxDir, rel))) {
    return { open: async () => archiveTar(await openContextFile(ctxDir, rel)), isDir: false, base, archive: true };
  }
  return { open, isDir: kind === 'dir', base };
}

async function openContextFile(ctxDir: string, rel: string): Promise<Readable> {
  const rootFd = openDir(ctxDir);
  try {
    const fd = openInRoot(rootFd, rel, 0);
    const fh = await fs.open(`/proc/self/fd/${fd}`, 'r');
    closeFd(fd);
    return fh.createReadStream();
  } finally {
    closeFd(rootFd);
  }
}

/**
 * ADD <url>: downloaded (http or https) into the build's scratch dir, named
 * by the URL's last path component, mode 0600 and the Last-Modified time, as
 * Docker does; never extracted.
 */
async function urlSource(url: string, downloads: string, signal: AbortSignal): Promise<Source> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParameter(`ADD failed: invalid URL ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidParameter(`ADD failed: unsupported URL scheme ${parsed.protocol} in ${url} (http and https only)`);
  const base = posix.basename(parsed.pathname);
  if (base === '' || parsed.pathname.endsWith('/')) throw invalidParameter(`ADD failed: cannot determine a filename from the URL ${url}: name the file in the URL's path`);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    throw invalidParameter(`ADD failed: cannot download ${url}: ${(e as Error).message}`);
  }
  if (!res.ok || !res.body) throw invalidParameter(`ADD failed: cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  const file = join(downloads, `${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${Date.now()}`);
  await fs.writeFile(file, Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), { mode: 0o600 });
  const lastModified = Date.parse(res.headers.get('last-modified') ?? '');
  const size = (await fs.stat(file)).size;
  const mtime = Number.isNaN(lastModified) ? 0 : Math.floor(lastModified / 1000);
  return {
    isDir: false,
    base,
    open: async () => {
      const header = encodeHeader({ name: ROOT, type: '0', mode: 0o600, uid: 0, gid: 0, size, mtime });
      const fh = await fs.open(file, 'r');
      async function* tar(): AsyncGenerator<Buffer> {
        yield header;
        try {
          for await (const c of fh.createReadStream({ autoClose: false })) yield c as Buffer;
        } finally {
          await fh.close();
        }
        const pad = (512 - (size % 512)) % 512;
        yield Buffer.alloc(pad + 1024);
      }
      return Readable.from(tar(), { objectMode: false });
    },
  };
}

/** Whether a context file is a tar archive (after decompression), as Docker's IsArchivePath. */
async function isArchive(ctxDir: string, rel: string): Promise<boolean> {
  const s = await openContextFile(ctxDir, rel);
  try {
    const raw = await firstBytes(s, 512);
    const c = detectCompression(raw);
    if (c === 'none') return isTarHeader(raw);
    const again = await openContextFile(ctxDir, rel);
    const d = decompressor(c)!;
    again.pipe(d);
    try {
      return isTarHeader(await firstBytes(d, 512));
    } catch {
      return false;
    } finally {
      again.destroy();
      d.destroy();
    }
  } finally {
    s.destroy();
  }
}

async function firstBytes(s: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const c of s) {
    chunks.push(c as Buffer);
    have += (c as Buffer).length;
    if (have >= n) break;
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** The tar of a (possibly compressed) archive file, as is. */
async function archiveTar(file: Readable): Promise<Readable> {
  const { head, stream } = await peek(file, 6);
  const d = decompressor(detectCompression(head));
  return d ? stream.pipe(d) : stream;
}

function hasWildcards(p: string): boolean {
  return /[*?[]/.test(p);
}

/** Context paths matching a filepath.Match pattern (each component matched on its own level). */
async function glob(ctxDir: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  let current = [''];
  for (const part of parts) {
    const next: string[] = [];
    const match = hasWildcards(part) ? globMatcher(part, { left: DEFAULT_BUDGET }) : undefined;
    for (const dir of current) {
      if (!match) {
        next.push(dir ? `${dir}/${part}` : part);
        continue;
      }
      let names: string[];
      try {
        names = (await fs.readdir(join(ctxDir, dir))).sort();
      } catch {
        continue;
      }
      for (const n of names) if (match(n)) next.push(dir ? `${dir}/${n}` : n);
    }
    current = next;
  }
  const exists = await Promise.all(current.map((p) => fs.lstat(join(ctxDir, p)).then(() => true, () => false)));
  return current.filter((_, i) => exists[i]);
}

// --- the combined tar -------------------------------------------------------------

/** The tar extracted into plan.dir: every source's entries renamed and owned as COPY makes them. */
export function copyTar(plan: CopyPlan): Readable {
  return Readable.from(combined(plan), { objectMode: false });
}

async function* combined(plan: CopyPlan): AsyncGenerator<Buffer> {
  for (const src of plan.sources) {
    const input = await src.open();
    const rename = src.archive ? archiveName : sourceName(src, plan);
    yield* retarget(input, rename, src.archive ? undefined : plan.owner, src.archive ? undefined : plan.mode);
  }
  yield Buffer.alloc(1024);
}

type Rename = (name: string) => string | undefined;

function archiveName(name: string): string | undefined {
  const n = posix.normalize(name).replace(/^(\.\/|\/)+/, '');
  return n === '.' || n === '' || n === './' ? undefined : n;
}

/** ROOT → the file's name (or skipped for a directory), ROOT/x → the name below the destination. */
function sourceName(src: Source, plan: CopyPlan): Rename {
  const fileName = plan.fileName ?? src.base;
  return (name) => {
    if (name === ROOT || name === `${ROOT}/`) return src.isDir ? undefined : fileName;
    if (name.startsWith(`${ROOT}/`)) return name.slice(ROOT.length + 1);
    return undefined;
  };
}

async function* retarget(input: Readable, rename: Rename, owner: { uid: number; gid: number } | undefined, mode: number | undefined): AsyncGenerator<Buffer> {
  const ex = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
  input.on('error', (e) => ex.destroy(e));
  input.pipe(ex);
  for await (const entry of ex) {
    const h = entry.header;
    const name = rename(h.name);
    if (name === undefined) {
      entry.resume();
      continue;
    }
    const type = TYPES[h.type ?? 'file'];
    if (!type) {
      entry.resume();
      continue;
    }
    const isDir = type === '5';
    const linkname = type === '1' && h.linkname ? rename(h.linkname) : h.linkname ?? undefined;
    const e: TarEntry = {
      name: isDir && !name.endsWith('/') ? `${name}/` : name,
      type,
      mode: mode ?? (h.mode ?? 0o644),
      uid: owner?.uid ?? 0,
      gid: owner?.gid ?? 0,
      size: type === '0' ? (h.size ?? 0) : 0,
      mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
      ...(linkname ? { linkname } : {}),
      ...(h.devmajor ? { devmajor: h.devmajor } : {}),
      ...(h.devminor ? { devminor: h.devminor } : {}),
    };
    yield encodeHeader(e);
    if (type === '0') {
      for await (const c of entry) yield c as Buffer;
      const pad = (512 - (e.size % 512)) % 512;
      if (pad) yield Buffer.alloc(pad);
    } else entry.resume();
  }
}

const TYPES: Record<string, TarEntry['type'] | undefined> = {
  file: '0',
  'contiguous-file': '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

/** Docker's history text for the copied content: `file:<hash>`, `dir:<hash>` or `multi:<hash>`. */
export async function contentDigest(plan: CopyPlan): Promise<string> {
  const hash = createHash('sha256');
  const ex = tarExtract();
  const tar = copyTar(plan);
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex);
  for await (const entry of ex) {
    const h = entry.header;
    hash.update(`${h.name}\0${h.type}\0${h.mode}\0${h.uid}\0${h.gid}\0${h.size}\0${h.linkname ?? ''}\0`);
    for await (const c of entry) hash.update(c as Buffer);
  }
  const kind = plan.sources.length > 1 ? 'multi' : plan.sources[0]?.isDir ? 'dir' : 'file';
  return `${kind}:${hash.digest('hex')}`;
}
