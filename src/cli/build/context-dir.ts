/**
 * A local directory as a build context, as the docker CLI sends it: the
 * context and Dockerfile paths resolved (docker's GetContextFromLocalDir),
 * the tree walked in name order with `.dockerignore` applied the way
 * go-archive's TarWithOptions applies it, and the result packed as a tar
 * whose entries all belong to root (uid/gid 0, no user names), mtimes in
 * whole seconds, hard links as tar links, symlinks not followed.
 */
import { closeSync, lstatSync, openSync, promises as fs, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { CliError } from '../command.js';
import { PatternMatcher, keepBuildFiles, parseIgnoreFile, type MatchInfo } from './ignore.js';
import { END, batched, encodeHeader, fileContents, padding, type TarHeader } from './tar-writer.js';

/** One file of the context, in walk order. */
export interface ContextEntry {
  /** Slash path inside the context (`a/b.txt`). */
  rel: string;
  abs: string;
  stat: Stats;
  /** Target of a symlink. */
  link?: string;
}

export interface LocalContext {
  dir: string;
  /** The Dockerfile's path inside the context (slash form), or outside it (`../x`). */
  relDockerfile: string;
}

const prepareError = (msg: string): CliError => new CliError(`unable to prepare context: ${msg}`);

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'EACCES') return 'permission denied';
  return (e as Error).message;
}

/**
 * docker's GetContextFromLocalDir: the context directory (symlinks
 * resolved, must be a directory) and the Dockerfile relative to it. `-f`
 * is relative to the current directory; without it `Dockerfile`, else
 * `dockerfile`, in the context.
 */
export async function resolveLocalContext(contextArg: string, dockerfile: string | undefined, cwd = process.cwd()): Promise<LocalContext> {
  const abs = resolve(cwd, contextArg);
  let dir: string;
  try {
    dir = await fs.realpath(abs);
  } catch (e) {
    throw prepareError(`unable to evaluate symlinks in context path: lstat ${abs}: ${errnoText(e)}`);
  }
  if (!(await fs.lstat(dir)).isDirectory()) throw prepareError(`context must be a directory: ${dir}`);
  if (dockerfile === '-') return { dir, relDockerfile: '-' };
  let absDockerfile: string;
  if (dockerfile) absDockerfile = resolve(cwd, dockerfile);
  else {
    absDockerfile = join(dir, 'Dockerfile');
    const lower = join(dir, 'dockerfile');
    if (!(await exists(absDockerfile)) && (await exists(lower))) absDockerfile = lower;
  }
  let real: string;
  try {
    real = await fs.realpath(absDockerfile);
  } catch (e) {
    throw prepareError(`unable to evaluate symlinks in Dockerfile path: lstat ${absDockerfile}: ${errnoText(e)}`);
  }
  return { dir, relDockerfile: relative(dir, real).split(sep).join('/') };
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** The patterns of `<dir>/.dockerignore` (none when it does not exist). */
export async function readDockerignore(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(join(dir, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`error reading .dockerignore: ${(e as Error).message}`);
  }
  return parseIgnoreFile(text);
}

/**
 * The exclude patterns the walk applies: .dockerignore's, checked (docker
 * reports a bad one as "error checking context"), plus the exceptions that
 * keep the Dockerfile and .dockerignore in the context.
 */
export async function contextExcludes(dir: string, relDockerfile: string, dockerfileFromStdin: boolean): Promise<string[]> {
  const patterns = await readDockerignore(dir);
  matcher(patterns);
  return keepBuildFiles(patterns, relDockerfile, dockerfileFromStdin);
}

function matcher(patterns: readonly string[]): PatternMatcher {
  try {
    return new PatternMatcher(patterns);
  } catch (e) {
    throw new CliError(`error checking context: ${(e as Error).message}`);
  }
}

/** Go's byte-wise name order (os.ReadDir sorts names as bytes, not UTF-16 units). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** One directory's items in name order: entries to send (and maybe descend into), or excluded directories to descend into only. */
interface Item {
  entry?: ContextEntry;
  descend?: { rel: string; info: boolean[] };
}

function listDir(dir: string, relDir: string, parent: MatchInfo, pm: PatternMatcher, warn: (msg: string) => void): Item[] {
  const absDir = relDir ? join(dir, relDir) : dir;
  let names: string[];
  try {
    names = readdirSync(absDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new CliError(`error checking context: can't stat '${absDir}'`);
    throw e;
  }
  const items: Item[] = [];
  for (const name of names.sort(byteOrder)) {
    const rel = relDir ? `${relDir}/${name}` : name;
    const abs = join(dir, rel);
    const stat = lstatSync(abs);
    const { matched, info } = pm.matchesUsingParentResults(rel, parent);
    if (matched) {
      if (stat.isDirectory() && reIncludesBelow(pm, rel)) items.push({ descend: { rel, info } });
      continue;
    }
    if (stat.isSocket()) {
      warn(`Can't add file ${abs} to tar: archive/tar: sockets not supported`);
      continue;
    }
    const entry: ContextEntry = { rel, abs, stat };
    if (stat.isSymbolicLink()) entry.link = readlinkSync(abs);
    else if (stat.isFile()) checkReadable(abs);
    items.push(stat.isDirectory() ? { entry, descend: { rel, info } } : { entry });
  }
  return items;
}

/**
 * The entries of the context that are sent, in go-archive's walk order
 * (synchronous: thousands of small lstats cost far less without a thread
 * pool round trip each).
 * A directory the patterns exclude is skipped whole unless a `!` pattern
 * names something below it (then only the re-included entries are sent).
 * Unreadable files and directories fail the build before anything is sent
 * (docker's ValidateContextDirectory); sockets cannot go in a tar and are
 * reported through warn.
 */
export function walkContext(dir: string, excludes: readonly string[], warn: (msg: string) => void = () => {}): ContextEntry[] {
  const pm = matcher(excludes);
  const out: ContextEntry[] = [];
  // Depth-first in name order, as filepath.WalkDir: a directory's entries follow it directly.
  const walk = (relDir: string, parent: MatchInfo): void => {
    for (const item of listDir(dir, relDir, parent, pm, warn)) {
      if (item.entry) out.push(item.entry);
      if (item.descend) walk(item.descend.rel, item.descend.info);
    }
  };
  walk('', undefined);
  return out;
}

/** Whether a `!` pattern names something inside the excluded directory rel. */
function reIncludesBelow(pm: PatternMatcher, rel: string): boolean {
  return pm.exclusions && pm.patterns.some((p) => p.exclusion && `${p.cleaned}/`.startsWith(`${rel}/`));
}

function checkReadable(abs: string): void {
  try {
    closeSync(openSync(abs, 'r'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new CliError(`error checking context: no permission to read from '${abs}'`);
    throw e;
  }
}

/** A file put into the context that is not in the directory (a Dockerfile from stdin). */
export interface ExtraFile {
  name: string;
  data: Buffer;
}

/**
 * docker's AddDockerfileToBuildContext: the Dockerfile (from stdin or from
 * outside the context) goes in as `.dockerfile.<20 hex>`, and .dockerignore
 * names it so that COPY . never copies it.
 */
export function extraDockerfile(data: Buffer): ExtraFile {
  return { name: `.dockerfile.${randomBytes(10).toString('hex')}`, data };
}

const major = (rdev: number): number => ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
const minor = (rdev: number): number => (rdev & 0xff) | ((rdev >> 12) & ~0xff);

function headerOf(e: ContextEntry, links: Map<string, string>): TarHeader {
  const s = e.stat;
  const h = { name: e.rel, mode: s.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(s.mtimeMs / 1000), size: 0 };
  if (s.isDirectory()) return { ...h, name: `${e.rel}/`, type: 'directory' };
  if (s.isSymbolicLink()) return { ...h, type: 'symlink', linkname: e.link ?? '' };
  if (s.isFIFO()) return { ...h, type: 'fifo' };
  if (s.isCharacterDevice() || s.isBlockDevice()) {
    return { ...h, type: s.isCharacterDevice() ? 'char' : 'block', devmajor: major(s.rdev), devminor: minor(s.rdev) };
  }
  if (s.nlink > 1) {
    // The first name of a hard-linked file carries the data; later names link to it.
    const key = `${s.dev}:${s.ino}`;
    const first = links.get(key);
    if (first !== undefined) return { ...h, type: 'link', linkname: first };
    links.set(key, e.rel);
  }
  return { ...h, type: 'file', size: s.size };
}

/** A file's header, contents and padding. */
function* bufferEntry(h: TarHeader, data: Buffer): Generator<Buffer> {
  yield encodeHeader({ ...h, size: data.length });
  yield data;
  yield padding(data.length);
}

function* contextTar(entries: readonly ContextEntry[], extra: ExtraFile | undefined): Generator<Buffer> {
  const links = new Map<string, string>();
  let sawIgnore = false;
  for (const e of entries) {
    const h = headerOf(e, links);
    if (extra && e.rel === '.dockerignore' && h.type === 'file') {
      sawIgnore = true;
      yield* bufferEntry(h, Buffer.concat([readFileSync(e.abs), Buffer.from(`\n${extra.name}\n`)]));
    } else if (h.type === 'file' && h.size > 0) {
      yield encodeHeader(h);
      yield* fileContents(e.abs, h.size);
    } else yield encodeHeader(h);
  }
  if (extra) {
    const base = { mode: 0o600, uid: 0, gid: 0, mtime: Math.floor(Date.now() / 1000), type: 'file' as const, size: 0 };
    yield* bufferEntry({ ...base, name: extra.name }, extra.data);
    if (!sawIgnore) yield* bufferEntry({ ...base, name: '.dockerignore' }, Buffer.from(`.dockerignore\n${extra.name}\n`));
  }
  yield END;
}

/**
 * The tar of the entries (streamed: file contents are read as the tar is
 * sent). With extra, that file is added at the end and appended to
 * .dockerignore (which is created when the context has none).
 */
export function packContext(entries: readonly ContextEntry[], extra?: ExtraFile): Readable {
  return Readable.from(batched(contextTar(entries, extra)), { objectMode: false });
}

/** Whether the Dockerfile lies outside the context directory (docker then sends it as an extra file). */
export function dockerfileOutside(relDockerfile: string): boolean {
  return relDockerfile.startsWith('../') || isAbsolute(relDockerfile);
}
