/**
 * A container's log as one readable byte range: its generations (rotation.ts:
 * `<log>.<k>` oldest first, then `<log>.hold` when conmon has replaced it and
 * the rotator has not moved it yet) followed by the file being written.
 * conmon rotates between records, so records never span files, but a line
 * written in parts (P records) may continue in the next file; reading the
 * files as one range joins it like any other.
 *
 * The set is opened with synchronous calls so that the rotator (which
 * renames with synchronous calls in the same process) cannot move files
 * between two of the opens. The newest file is opened first: if conmon
 * rotates meanwhile, the file opened as newest is then also found among the
 * others and counted once (files are told apart by device and inode).
 */
import { closeSync, fstat, fstatSync, openSync, read, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { errnoCode } from '../errdefs/errdefs.js';
import { generationPath, HOLD_SUFFIX } from './rotation.js';

const readAt = promisify(read);
const fstatAsync = promisify(fstat);

/** What the reader needs of a file: positional reads. */
export interface PositionalReader {
  read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export interface FileIdentity {
  ino: number;
  dev: number;
}

interface Part {
  fd: number;
  /** Offset of the part in the range. */
  start: number;
  /** Fixed size; the last part (the file being written) grows. */
  size: number;
}

/**
 * The files as one range. Reads fill the buffer across file boundaries; only
 * the end of the last file ends a read early.
 */
export class LogSegments implements PositionalReader {
  private closed = false;

  private constructor(
    private readonly parts: readonly Part[],
    /** The last file's identity (the one conmon writes, when the set was opened). */
    readonly current: FileIdentity,
  ) {}

  static of(fds: readonly number[]): LogSegments {
    const parts: Part[] = [];
    let start = 0;
    for (const fd of fds) {
      const size = fstatSync(fd).size;
      parts.push({ fd, start, size });
      start += size;
    }
    const last = fstatSync(fds[fds.length - 1]!);
    return new LogSegments(parts, { ino: last.ino, dev: last.dev });
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    let done = 0;
    const lastIndex = this.parts.length - 1;
    let i = this.partAt(position);
    while (done < length && i <= lastIndex) {
      const p = this.parts[i]!;
      const at = position + done - p.start;
      const isLast = i === lastIndex;
      const want = isLast ? length - done : Math.min(length - done, p.size - at);
      if (want <= 0) {
        i++;
        continue;
      }
      const { bytesRead } = await readAt(p.fd, buf, offset + done, want, at);
      done += bytesRead;
      if (bytesRead < want) break; // the end of the file being written (or a file cut short under us)
      if (!isLast) i++;
    }
    return { bytesRead: done };
  }

  private partAt(position: number): number {
    let i = 0;
    while (i < this.parts.length - 1 && position >= this.parts[i]!.start + this.parts[i]!.size) i++;
    return i;
  }

  /** The range's size now, and the identity of its last file. */
  async stat(): Promise<{ size: number; ino: number; dev: number }> {
    const last = this.parts[this.parts.length - 1]!;
    const st = await fstatAsync(last.fd);
    return { size: last.start + st.size, ino: st.ino, dev: st.dev };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.parts) closeSync(p.fd);
  }
}

function openQuiet(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** The log's other files, newest first: the held file, then `.1`, `.2`, … */
function olderPaths(log: string): string[] {
  const prefix = `${basename(log)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(log));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  const gens = names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b)
    .map((k) => generationPath(log, k));
  return [log + HOLD_SUFFIX, ...gens];
}

/**
 * Opens the log's files newest first, stopping before the file `until` (when
 * given and found). Returns the fds oldest first, or undefined without a log.
 */
function openNewestFirst(log: string, until?: FileIdentity): { fds: number[]; reachedUntil: boolean } | undefined {
  const cur = openQuiet(log);
  if (cur === undefined) return undefined;
  const fds = [cur];
  const key = (s: FileIdentity) => `${s.dev}:${s.ino}`;
  const first = fstatSync(cur);
  if (until && key(first) === key(until)) return { fds, reachedUntil: true };
  const seen = new Set([key(first)]);
  let reachedUntil = false;
  for (const p of olderPaths(log)) {
    const fd = openQuiet(p);
    if (fd === undefined) continue;
    const k = key(fstatSync(fd));
    if (until && k === key(until)) {
      closeSync(fd);
      reachedUntil = true;
      break;
    }
    if (seen.has(k)) {
      closeSync(fd);
      continue;
    }
    seen.add(k);
    fds.push(fd);
  }
  return { fds: fds.reverse(), reachedUntil };
}

/** All of the log (oldest generation to the file being written), or undefined without a log. */
export function openLog(log: string): LogSegments | undefined {
  const r = openNewestFirst(log);
  return r && LogSegments.of(r.fds);
}

/**
 * For a follower whose file `previous` was replaced: the files written since
 * it, oldest first. When `previous` is no longer among the files (rotated out
 * twice before the follower looked, or deleted), only the current file: a
 * gap in that case, rather than reading older files a second time.
 */
export function openLogAfter(log: string, previous: FileIdentity): LogSegments | undefined {
  const r = openNewestFirst(log, previous);
  if (!r) return undefined;
  if (r.reachedUntil) return LogSegments.of(r.fds);
  const keep = r.fds.pop()!; // the current file is the last one
  for (const fd of r.fds) closeSync(fd);
  return LogSegments.of([keep]);
}
