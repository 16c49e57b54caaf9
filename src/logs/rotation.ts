/**
 * Keeping a container's log files within max-size × max-file (options.ts).
 *
 * conmon writes the log and bounds each file itself (--log-size-max): before
 * a record that would take the file past the limit it opens `<log>.tmp`
 * (O_TRUNC) and renames it onto `<log>`, which unlinks the old file. That is
 * all conmon 2.1.6 does: it keeps no older files, and it counts bytes from
 * its own start (an existing file is appended to without being counted).
 * berth adds, on the files in the container's directory:
 *
 * - Generations: `<log>.hold` is a second link to the file conmon writes.
 *   When conmon replaces `<log>`, the held file survives; the rotator makes
 *   it `<log>.1` (`.1` → `.2` …, the oldest is deleted) and holds the new
 *   file. It acts on inotify events for the directory (a timer as fallback).
 *   A file that conmon rotates out twice before the rotator saw it (a flood,
 *   or berthd down) is lost, never kept beyond the limit.
 * - A strict bound, even while berthd is down: at most G generations, the
 *   held file and conmon's new file exist at once (G = max-file - 1, but 1
 *   for max-file 1, so that the latest output survives a rotation), so each
 *   file is given max-size × max-file / (G + 2) bytes and the sum never
 *   exceeds max-size × max-file (a single record is at most 8 KiB, so a file
 *   can only pass its limit when the limit is below that).
 * - Restarts: conmon appends to the existing file without counting it. A
 *   file at most half full is continued and the next run's limit is what
 *   remains of it; a fuller one is rotated first (so a crash loop of short
 *   runs stays in one file, and no run starts with a nearly full one). A file
 *   beyond its limit (written before the limits were enforced) is cut to its
 *   last records first.
 *
 * The rotator renames and links with synchronous calls, and the reader opens
 * its set of files synchronously (segments.ts), so within the daemon the two
 * never interleave.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  type FSWatcher,
  linkSync,
  openSync,
  promises as fsp,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  watch,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errnoCode } from '../errdefs/errdefs.js';
import type { LogLimits } from './options.js';

export const HOLD_SUFFIX = '.hold';

export function generationPath(log: string, k: number): string {
  return `${log}.${k}`;
}

/** Generations kept besides the current file. */
export function generations(maxFile: number): number {
  return Math.max(maxFile - 1, 1);
}

/** The size each file is given (conmon's --log-size-max for a run that starts empty). */
export function fileLimit(maxSize: number, maxFile: number): number {
  return Math.max(1, Math.floor((maxSize * maxFile) / (generations(maxFile) + 2)));
}

export interface LaunchPlan {
  /** Cut the file to its last records within this many bytes first. */
  cutTo?: number;
  /** Move the file into the generations, so that the run starts an empty one. */
  rotate: boolean;
}

/** What to do with an existing log of `size` bytes before a run, for a per-file `limit`. */
export function planLaunch(size: number, limit: number): LaunchPlan {
  if (size <= Math.floor(limit / 2)) return { rotate: false };
  return size > limit ? { cutTo: limit, rotate: true } : { rotate: true };
}

/**
 * Readies the log files for a monitor that is about to start and returns its
 * --log-size-max (undefined: the log is not limited).
 */
export async function prepareLog(log: string, limits: LogLimits): Promise<number | undefined> {
  if (limits.maxSize === undefined) return undefined;
  const limit = fileLimit(limits.maxSize, limits.maxFile);
  reconcile(log, limits.maxFile); // a rotation conmon made while nobody watched
  const plan = planLaunch(sizeOf(log), limit);
  if (plan.cutTo !== undefined) await cutToTail(log, plan.cutTo);
  if (plan.rotate) {
    shift(log, limits.maxFile, log);
    unlinkQuiet(log + HOLD_SUFFIX); // it named the file just moved
  }
  closeSync(openSync(log, 'a', 0o600)); // conmon would create it; made here so that it can be held
  reconcile(log, limits.maxFile);
  return Math.max(1, limit - sizeOf(log));
}

/**
 * If conmon has replaced the held file, shifts it into the generations; then
 * holds the current file. Synchronous (see the module comment).
 */
export function reconcile(log: string, maxFile: number): void {
  const hold = log + HOLD_SUFFIX;
  const cur = statQuiet(log);
  if (!cur) return;
  const held = statQuiet(hold);
  if (held && held.ino === cur.ino && held.dev === cur.dev) return;
  if (held) shift(log, maxFile, hold);
  try {
    linkSync(log, hold);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e; // the container's directory is being removed
  }
}

/** Drops the oldest generation, moves the others up, and makes `newest` the first. */
function shift(log: string, maxFile: number, newest: string): void {
  const g = generations(maxFile);
  unlinkQuiet(generationPath(log, g));
  for (let k = g - 1; k >= 1; k--) renameQuiet(generationPath(log, k), generationPath(log, k + 1));
  renameSync(newest, generationPath(log, 1));
}

/** Replaces the file by its last records within `bytes` (a new inode, by rename). */
async function cutToTail(log: string, bytes: number): Promise<void> {
  const size = sizeOf(log);
  if (size <= bytes) return;
  let start = size - bytes;
  const fd = openSync(log, 'r');
  try {
    // start after the first record boundary at or after `start`
    const probe = Buffer.alloc(Math.min(64 * 1024, bytes));
    for (;;) {
      const n = readSync(fd, probe, 0, probe.length, start - 1);
      if (n === 0) {
        start = size;
        break;
      }
      const nl = probe.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) {
        start += nl;
        break;
      }
      start += n;
    }
  } finally {
    closeSync(fd);
  }
  const tmp = `${log}.cut`;
  await pipeline(createReadStream(log, { start }), createWriteStream(tmp, { mode: 0o600 }));
  await fsp.rename(tmp, log);
}

function sizeOf(path: string): number {
  return statQuiet(path)?.size ?? 0;
}

function statQuiet(path: string): { ino: number; dev: number; size: number } | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

function renameQuiet(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

const POLL_MS = 1000;

/** Keeps one running container's generations (see the module comment). */
class LogRotator {
  private watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private queued = false;
  private stopped = false;

  constructor(
    private readonly log: string,
    private readonly maxFile: number,
    private readonly onError: (err: unknown) => void,
  ) {
    const base = basename(log);
    try {
      // conmon renames `<log>.tmp` onto `<log>`: a 'rename' event for `<log>`
      this.watcher = watch(dirname(log), { persistent: false }, (event, name) => {
        if (event === 'rename' && name === base) this.queue();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined; // no inotify (watch limit): the timer alone
    }
    this.timer = setInterval(() => this.queue(), POLL_MS).unref();
    this.check();
  }

  private queue(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (!this.stopped) this.check();
    });
  }

  check(): void {
    try {
      reconcile(this.log, this.maxFile);
    } catch (e) {
      this.onError(e);
    }
  }

  /** Stops watching, after a last look (the monitor may have rotated just before it ended). */
  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.timer);
    this.check();
  }
}

/** The rotators of the running containers with limited logs, by container ID. */
export class LogRotators {
  private readonly active = new Map<string, LogRotator>();

  constructor(private readonly onError: (id: string, err: unknown) => void) {}

  watch(id: string, log: string, limits: LogLimits): void {
    this.unwatch(id);
    if (limits.maxSize === undefined) return;
    this.active.set(id, new LogRotator(log, limits.maxFile, (e) => this.onError(id, e)));
  }

  unwatch(id: string): void {
    this.active.get(id)?.stop();
    this.active.delete(id);
  }

  close(): void {
    for (const id of [...this.active.keys()]) this.unwatch(id);
  }
}
