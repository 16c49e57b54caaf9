/**
 * Reading a container's log (conmon's k8s-file) for `GET /containers/{id}/logs`.
 *
 * Semantics follow moby (daemon/logs.go, loggerutils/logfile.go, follow.go),
 * with these deliberate choices:
 *
 * - Partial records (P) are joined with the rest of their line into one
 *   entry carrying the timestamp of the first part. A joined line is bounded
 *   (MAX_LINE bytes; a longer one is delivered in pieces), and a line whose
 *   end has not been written yet is delivered as it stands (without `\n`)
 *   when the reader reaches the end of the data — at once without `follow`,
 *   after PARTIAL_GRACE_MS of quiet with it (so `docker logs -f` shows a
 *   prompt such as "Password: " as Docker does).
 * - `since` and `until` are both inclusive, as in moby (its forwarder skips
 *   `ts.Before(since)` and stops at `ts.After(until)`): an entry is delivered
 *   iff since <= time <= until, where time is that of the line's first part.
 *   Because joined lines complete out of start order when the two streams
 *   interleave, this is a plain per-entry window (moby instead turns the
 *   since check off after the first pass and stops at the first entry after
 *   until; for unjoined, monotonic records the two are the same). Reading
 *   stops early — without follow, or while following — once a record later
 *   than `until` has been read and no line begun before it is still open
 *   (this assumes the writer's clock does not jump backwards).
 * - `tail` counts lines (a joined line counts once) of the selected streams
 *   whose time is within [since, until], i.e. the last N lines of what the
 *   filters let through, lines ranked by their last record (a line not yet
 *   finished ranks at its last part, but is delivered after the finished
 *   ones, when the reader knows it is unfinished). (moby counts raw file
 *   records of both streams and filters afterwards, so `--tail 5 --stdout`
 *   can give fewer than 5 lines there, and `--tail 5 --until <past>` is
 *   usually empty.) `tail` undefined or negative = everything; 0 = nothing
 *   from the existing content (with `follow`, only new output).
 * - `follow` ends when `isRunning()` was false before a read that found no
 *   new data, on abort, when reading passed `until` (above), and (unlike
 *   moby, which waits for a later line or the container's exit) once the
 *   clock is past `until` + 1 s and the file is drained.
 * - The log is its generations and the file being written, read as one
 *   range (segments.ts; rotation.ts makes them), so `tail` and the time
 *   filters see the older files too. A rename-replaced file (conmon's
 *   rotation: write `<log>.tmp`, rename onto `<log>`) is drained through the
 *   open descriptor; then the files written since it (usually just the new
 *   one) are read from their start. A file truncated in place (size below
 *   our offset) is read again from 0.
 *
 * Memory is bounded by the block size plus the longest record/line: the file
 * is streamed forward in BLOCK-sized reads; `tail` scans backwards from the
 * end in TAIL_BLOCK-sized reads to find where its lines begin.
 */
import { stat } from 'node:fs/promises';
import { errnoCode } from '../errdefs/errdefs.js';
import { HEADER_SIZE, STDERR, STDOUT } from '../stream/mux.js';
import {
  formatDockerTime,
  type Instant,
  instantToNs,
  type LogStream,
  parseTimestampAt,
  type RecordView,
  scanRecord,
} from './k8s-file.js';
import { type LogSegments, openLog, openLogAfter, type PositionalReader } from './segments.js';
import { FileWaker } from './watch.js';

export { parseSince } from './since.js';

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Nanoseconds since the epoch, inclusive. */
  since?: bigint;
  /** Nanoseconds since the epoch, inclusive (moby stops at entries After(until)). */
  until?: bigint;
  /** Last N lines; undefined (or negative) = all. */
  tail?: number;
  /** Not used by the reader: formatEntry's business (kept for the route's convenience). */
  timestamps: boolean;
  follow: boolean;
  /** Ends the read (following or not) at the next step. */
  signal?: AbortSignal;
  /**
   * Optional: settles when the container stops, so a follower notices at
   * once instead of at its next poll (`isRunning` is still what decides).
   */
  exited?: Promise<unknown>;
}

export interface LogEntry {
  stream: LogStream;
  /** Nanoseconds since the epoch (of the line's first part). */
  time: bigint;
  /** Docker's `logs -t` rendering: `2026-11-28T04:08:36.454183661Z`. */
  timeText: string;
  /** The line's bytes, with its trailing `\n` when the line is complete. */
  line: Buffer;
}

/** Knobs for tests and benchmarks; the defaults suit the daemon. */
export interface ReadTuning {
  /** Fallback poll period while following (fs.watch wakes us sooner). */
  pollMs?: number;
  /** Quiet time after which a half-written line is delivered while following. */
  partialGraceMs?: number;
  /** Forward read size. */
  blockSize?: number;
  /** Backward read size for tail. */
  tailBlockSize?: number;
}

const BLOCK = 256 * 1024;
const TAIL_BLOCK = 64 * 1024;
/** Longer records are not conmon's (its are ≤ 8 KiB + 44): dropped as malformed. */
export const MAX_RECORD = 1024 * 1024;
/** Joined lines are delivered in pieces of at most this many content bytes. */
export const MAX_LINE = 1024 * 1024;
const POLL_MS = 250;
const PARTIAL_GRACE_MS = 100;
const UNTIL_MARGIN_NS = 1_000_000_000n;
const NL = 0x0a;

const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

/** The time window [since, until] (both inclusive, either open). */
class Window {
  constructor(
    readonly since: bigint | undefined,
    readonly until: bigint | undefined,
  ) {}

  accept(time: bigint): boolean {
    return (this.since === undefined || time >= this.since) && (this.until === undefined || time <= this.until);
  }
}

interface Pending {
  parts: Buffer[];
  len: number;
  time: Instant;
  lastOffset: number;
}

export type PerStream<T> = Record<LogStream, T>;

/**
 * Turns records into entries: joins partials per stream, applies the stream
 * selection, the per-stream start boundaries of a tail, and the time filter.
 */
class Assembler {
  private readonly pending: PerStream<Pending | undefined> = { stdout: undefined, stderr: undefined };
  /** Records at file offsets <= boundary[s] belong to lines before the tail: ignored. */
  boundary: PerStream<number> = { stdout: -1, stderr: -1 };

  /** A record later than `until` has been read. */
  private pastUntil = false;
  /** Reading can stop: past `until` and no line begun before it is open. */
  stopped = false;

  constructor(
    private readonly selected: PerStream<boolean>,
    private readonly win: Window,
    private readonly out: LogEntry[],
  ) {}

  get hasPending(): boolean {
    return this.pending.stdout !== undefined || this.pending.stderr !== undefined;
  }

  /** New file (rotation, truncation): offsets start again, no tail boundaries. */
  resetOffsets(): void {
    this.boundary = { stdout: -1, stderr: -1 };
  }

  private emit(stream: LogStream, time: Instant, line: Buffer): void {
    const ns = instantToNs(time);
    if (!this.win.accept(ns)) return;
    this.out.push({ stream, time: ns, timeText: formatDockerTime(time), line });
  }

  /** One record buf[start, nl) (nl = index of its `\n`) at file offset `offset`. */
  record(buf: Buffer, start: number, nl: number, offset: number): void {
    if (this.stopped) return;
    const v = scanRecord(buf, start, nl);
    if (!v || !this.selected[v.stream] || offset <= this.boundary[v.stream]) return;
    const s = v.stream;
    const p = this.pending[s];
    let time: Instant | undefined;
    const until = this.win.until;
    if (!p || until !== undefined) {
      time = parseTimestampAt(buf, start, v.timeEnd);
      if (!time) return; // malformed timestamp: skip the record
      if (until !== undefined && !this.pastUntil && instantToNs(time) > until) this.pastUntil = true;
    }
    this.recordParsed(v, s, p, time, buf, nl, offset);
    if (this.pastUntil && !this.openBeforeUntil(until!)) this.stopped = true;
  }

  private openBeforeUntil(until: bigint): boolean {
    for (const s of STREAMS) {
      const p = this.pending[s];
      if (p && instantToNs(p.time) <= until) return true;
    }
    return false;
  }

  private recordParsed(
    v: RecordView,
    s: LogStream,
    p: Pending | undefined,
    time: Instant | undefined,
    buf: Buffer,
    nl: number,
    offset: number,
  ): void {
    if (!v.partial) {
      if (!p) {
        this.emit(s, time!, buf.subarray(v.contentStart, nl + 1)); // zero-copy, with its \n
      } else {
        p.parts.push(buf.subarray(v.contentStart, nl + 1));
        this.pending[s] = undefined;
        this.emit(s, p.time, Buffer.concat(p.parts, p.len + nl + 1 - v.contentStart));
      }
      return;
    }
    const piece = buf.subarray(v.contentStart, nl);
    if (!p) {
      this.pending[s] = { parts: [piece], len: piece.length, time: time!, lastOffset: offset };
    } else {
      p.parts.push(piece);
      p.len += piece.length;
      p.lastOffset = offset;
    }
    const q = this.pending[s]!;
    if (q.len >= MAX_LINE) {
      this.pending[s] = undefined;
      this.emit(s, q.time, Buffer.concat(q.parts, q.len));
    }
  }

  /** Delivers half-written lines as they stand (in the order of their last part). */
  flushPending(): void {
    const ps = STREAMS.map((s) => [s, this.pending[s]] as const)
      .filter((x): x is readonly [LogStream, Pending] => x[1] !== undefined)
      .sort((a, b) => a[1].lastOffset - b[1].lastOffset);
    for (const [s, p] of ps) {
      this.pending[s] = undefined;
      this.emit(s, p.time, Buffer.concat(p.parts, p.len));
    }
  }
}

/**
 * Splits a byte stream (read at increasing file offsets) into records and
 * feeds them to an Assembler. Keeps the bytes of an incomplete last record.
 */
class RecordSplitter {
  private carry: Buffer[] = [];
  private carryLen = 0;
  private carryOffset = 0;
  /** Discarding an over-long record until its \n. */
  private skipping = false;

  constructor(private readonly asm: Assembler) {}

  reset(): void {
    this.carry = [];
    this.carryLen = 0;
    this.skipping = false;
  }

  /** `buf` holds the file bytes starting at `offset`. */
  push(buf: Buffer, offset: number): void {
    let i = 0;
    const n = buf.length;
    if (this.carryLen > 0 || this.skipping) {
      const nl = buf.indexOf(NL);
      if (nl < 0) {
        if (!this.skipping) {
          this.carry.push(buf);
          this.carryLen += n;
          if (this.carryLen > MAX_RECORD) {
            this.carry = [];
            this.carryLen = 0;
            this.skipping = true;
          }
        }
        return;
      }
      if (this.skipping) this.skipping = false;
      else {
        this.carry.push(buf.subarray(0, nl + 1));
        const rec = Buffer.concat(this.carry, this.carryLen + nl + 1);
        const at = this.carryOffset;
        this.carry = [];
        this.carryLen = 0;
        this.asm.record(rec, 0, rec.length - 1, at);
      }
      i = nl + 1;
    }
    while (i < n) {
      const nl = buf.indexOf(NL, i);
      if (nl < 0) {
        if (n - i > MAX_RECORD) this.skipping = true;
        else {
          this.carry.push(buf.subarray(i));
          this.carryLen = n - i;
          this.carryOffset = offset + i;
        }
        return;
      }
      this.asm.record(buf, i, nl, offset + i);
      i = nl + 1;
    }
  }
}

/** Reads [from, to) of fh through the splitter; stops early when the filter has ended the stream. */
async function readRange(
  fh: PositionalReader,
  from: number,
  to: number,
  split: RecordSplitter,
  asm: Assembler,
  blockSize: number,
  onBlock?: () => boolean,
): Promise<number> {
  let pos = from;
  while (pos < to && !asm.stopped) {
    const want = Math.min(blockSize, to - pos);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, pos);
    if (bytesRead === 0) break; // the file shrank under us
    split.push(bytesRead === want ? buf : buf.subarray(0, bytesRead), pos);
    pos += bytesRead;
    if (onBlock && !onBlock()) break;
  }
  return pos;
}

interface LineMeta {
  stream: LogStream;
  /** Offset of its last record. */
  end: number;
  /** Offset of its first record (so far, scanning backwards). */
  first: number;
  time: bigint;
  final: boolean;
  /** Offset of the previous F record of the same stream (-1: start of file). */
  prevF: number;
}

export interface TailStart {
  /** Where the forward read starts. */
  start: number;
  /** Per stream: records at offsets <= this are not part of the tail. */
  boundary: PerStream<number>;
}

/**
 * Finds where the last `n` lines (joined, selected streams, within the time
 * window) begin, reading backwards from `end` in blocks. Lines are counted in
 * the order of their last record; a line's time is that of its first record.
 * The scan stops after `n` lines, at the start of the file, or once it has
 * passed a record older than `since` and every line after it is decided
 * (record times are assumed not to go backwards).
 */
export async function findTailStart(
  fh: PositionalReader,
  end: number,
  n: number,
  sel: PerStream<boolean>,
  since: bigint | undefined,
  until: bigint | undefined,
  blockSize = TAIL_BLOCK,
): Promise<TailStart> {
  const needTime = since !== undefined || until !== undefined;
  /** A line older than `since` (found after passing it): ignored, not queued. */
  const EXCLUDED: LineMeta = { stream: 'stdout', end: -1, first: -1, time: 0n, final: true, prevF: -1 };
  const open: PerStream<LineMeta | undefined> = { stdout: undefined, stderr: undefined };
  const queue: LineMeta[] = [];
  let head = 0;
  let count = 0;
  let done = false;
  let sinceReached = false;
  let cut = end;
  let x = end;
  const oldest: PerStream<LineMeta | undefined> = { stdout: undefined, stderr: undefined };
  /** Per stream, the end of the latest line found older than since. */
  const sinceEnd: PerStream<number> = { stdout: -1, stderr: -1 };

  const decide = (l: LineMeta): void => {
    if (until !== undefined && l.time > until) return; // after the window: the forward filter drops it too
    if (since !== undefined && l.time < since) {
      // before the window; its later parts may lie after the cut, where the
      // forward pass would take them for a line of their own: skip them
      if (l.end > sinceEnd[l.stream]) sinceEnd[l.stream] = l.end;
      return;
    }
    count++;
    oldest[l.stream] = l;
    x = l.end;
    if (l.first < cut) cut = l.first;
    if (count >= n) done = true;
  };
  const drain = (): void => {
    while (!done && head < queue.length && queue[head]!.final) decide(queue[head++]!);
    if (!done && sinceReached && head === queue.length) done = true;
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };
  const newLine = (s: LogStream, offset: number, time: bigint): void => {
    if (sinceReached) {
      open[s] = EXCLUDED; // ends before a record older than since: older too
      return;
    }
    const l: LineMeta = { stream: s, end: offset, first: offset, time, final: false, prevF: -1 };
    open[s] = l;
    queue.push(l);
  };
  const onRecord = (buf: Buffer, start: number, nl: number, offset: number): void => {
    const v = scanRecord(buf, start, nl);
    if (!v || !sel[v.stream]) return;
    let time = 0n;
    if (needTime) {
      const t = parseTimestampAt(buf, start, v.timeEnd);
      if (!t) return;
      time = instantToNs(t);
      if (since !== undefined && time < since) sinceReached = true;
    }
    const s = v.stream;
    const cur = open[s];
    if (!v.partial) {
      if (cur && cur !== EXCLUDED) {
        cur.final = true;
        cur.prevF = offset;
      }
      newLine(s, offset, time);
    } else if (cur === EXCLUDED) {
      // part of an excluded line
    } else if (cur) {
      cur.time = time;
      if (sinceReached) {
        // a part older than since: the line is outside the window; decide
        // it now rather than scanning on for its beginning
        cur.final = true;
        cur.prevF = offset;
        open[s] = EXCLUDED;
      } else cur.first = offset;
    } else {
      // the stream's last record is a P: a line still being written
      newLine(s, offset, time);
    }
    drain();
  };

  // Backwards: `left` is the start of the data before `pos` that is not yet
  // a whole line (the end of a line whose beginning is further back).
  let pos = end;
  let left: Buffer = Buffer.alloc(0);
  let first = true; // bytes after the last \n are an unfinished record: ignored
  while (pos > 0 && !done) {
    const size = Math.min(blockSize, pos);
    const blockStart = pos - size;
    const block = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(block, 0, size, blockStart);
    if (bytesRead < size) {
      // the file shrank under us: scan what we have from the start
      block.fill(0, bytesRead);
    }
    pos = blockStart;
    const lastNl = block.lastIndexOf(NL);
    if (lastNl < 0) {
      if (first) continue; // still inside the unfinished trailing record
      left = left.length + size > MAX_RECORD ? Buffer.alloc(0) : Buffer.concat([block, left]);
      continue;
    }
    // the line spanning the block boundary: block[lastNl+1..] + left
    if (first) first = false;
    else if (left.length > 0 || lastNl < size - 1) {
      const spanning = lastNl === size - 1 ? left : Buffer.concat([block.subarray(lastNl + 1), left]);
      if (spanning.length > 0 && spanning[spanning.length - 1] === NL) {
        onRecord(spanning, 0, spanning.length - 1, blockStart + lastNl + 1);
      }
    }
    // whole lines inside the block, last to first
    let e = lastNl;
    while (!done) {
      const prev = e > 0 ? block.lastIndexOf(NL, e - 1) : -1;
      if (prev < 0) break;
      onRecord(block, prev + 1, e, blockStart + prev + 1);
      e = prev;
    }
    left = block.subarray(0, e + 1); // up to and including the block's first \n
  }
  if (!done && pos === 0 && !first && left.length > 0 && left[left.length - 1] === NL) {
    onRecord(left, 0, left.length - 1, 0); // the file's first line
  }
  if (!done) {
    // start of file: every open line is complete
    for (const s of STREAMS) {
      const l = open[s];
      if (l) l.final = true;
    }
    while (!done && head < queue.length) {
      const l = queue[head++]!;
      l.final = true;
      decide(l);
    }
  }
  if (count === 0) return { start: end, boundary: { stdout: end, stderr: end } };
  const boundary: PerStream<number> = { stdout: x, stderr: x };
  for (const s of STREAMS) {
    const o = oldest[s];
    // A stream without counted lines: its records up to x belong to older
    // lines; later ones to lines after the window (dropped by the filter).
    boundary[s] = Math.max(o ? o.prevF : x, sinceEnd[s]);
  }
  return { start: cut, boundary };
}

/** The offset just past the last `\n` before `end` (0 if none). */
async function lastLineEnd(fh: PositionalReader, end: number, blockSize: number): Promise<number> {
  let pos = end;
  while (pos > 0) {
    const size = Math.min(blockSize, pos);
    const block = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(block, 0, size, pos - size);
    const nl = block.subarray(0, bytesRead).lastIndexOf(NL);
    if (nl >= 0) return pos - size + nl + 1;
    pos -= size;
  }
  return 0;
}

async function statIfExists(path: string): Promise<{ ino: number; dev: number } | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * The container's log as batches of entries (one batch per block read),
 * for writers that want one write per batch. See readLog.
 */
export async function* readLogBatches(
  path: string,
  opts: LogOptions,
  isRunning: () => boolean,
  tuning: ReadTuning = {},
): AsyncGenerator<LogEntry[], void, undefined> {
  const blockSize = tuning.blockSize ?? BLOCK;
  const tailBlock = tuning.tailBlockSize ?? TAIL_BLOCK;
  const pollMs = tuning.pollMs ?? POLL_MS;
  const graceMs = tuning.partialGraceMs ?? PARTIAL_GRACE_MS;
  const sel: PerStream<boolean> = { stdout: opts.stdout, stderr: opts.stderr };
  const signal = opts.signal;
  if (!sel.stdout && !sel.stderr) return;
  if (opts.since !== undefined && opts.until !== undefined && opts.since > opts.until) return;

  const out: LogEntry[] = [];
  const asm = new Assembler(sel, new Window(opts.since, opts.until), out);
  const split = new RecordSplitter(asm);
  const take = (): LogEntry[] => out.splice(0, out.length);

  let waker: FileWaker | undefined;
  let fh: LogSegments | undefined = openLog(path);
  let readPos = 0;
  /** Reads fh from readPos to `to`, one batch per block with output. */
  async function* drain(to: number): AsyncGenerator<LogEntry[], void, undefined> {
    while (fh && readPos < to && !asm.stopped && !signal?.aborted) {
      const before = readPos;
      readPos = await readRange(fh, readPos, to, split, asm, blockSize, () => out.length === 0);
      if (out.length > 0) yield take();
      if (readPos === before) break; // the file shrank under us
    }
  }
  try {
    let ident: { ino: number; dev: number } | undefined;
    if (fh) {
      const st = await fh.stat();
      ident = st;
      const size = st.size;
      const tail = opts.tail;
      if (tail !== undefined && tail >= 0) {
        if (tail === 0) readPos = await lastLineEnd(fh, size, tailBlock);
        else {
          const t = await findTailStart(fh, size, tail, sel, opts.since, opts.until, tailBlock);
          readPos = t.start;
          asm.boundary = t.boundary;
        }
      }
      // the existing content, up to the size seen now (a tail was counted on it)
      yield* drain(size);
    }
    if (!opts.follow || asm.stopped || signal?.aborted) {
      if (signal?.aborted) return;
      asm.flushPending();
      if (out.length > 0) yield take();
      return;
    }

    // follow
    waker = new FileWaker(path, signal);
    const w = waker;
    opts.exited?.then(
      () => w.poke(),
      () => w.poke(),
    );
    let lastData = Date.now();
    /** The file just drained after its replacement: reading resumes with the files after it. */
    let replaced: { ino: number; dev: number } | undefined;
    for (;;) {
      if (signal?.aborted) return;
      const running = isRunning();
      if (!fh) {
        fh = replaced ? openLogAfter(path, replaced) : openLog(path);
        replaced = undefined;
        if (fh) {
          ident = await fh.stat();
          readPos = 0;
          split.reset();
          asm.resetOffsets();
          continue;
        }
      } else {
        const st = await fh.stat();
        if (st.size < readPos) {
          // truncated in place: start again from the top
          readPos = 0;
          split.reset();
          asm.flushPending();
          asm.resetOffsets();
        }
        if (st.size > readPos) {
          yield* drain(st.size);
          lastData = Date.now();
          if (asm.stopped) return;
          continue;
        }
        const cur = await statIfExists(path);
        if (cur && (cur.ino !== ident!.ino || cur.dev !== ident!.dev)) {
          // replaced by rename: drain the old file (its writer may have
          // written after our stat), then switch to the new one
          yield* drain((await fh.stat()).size);
          if (asm.stopped) return;
          replaced = { ino: ident!.ino, dev: ident!.dev };
          await fh.close();
          fh = undefined;
          split.reset(); // an unfinished record in the old file never completes
          continue; // reopens by name
        }
      }
      // nothing new
      const now = Date.now();
      const untilPassed = opts.until !== undefined && BigInt(now) * 1_000_000n > opts.until + UNTIL_MARGIN_NS;
      if (asm.hasPending && (now - lastData >= graceMs || !running || untilPassed)) {
        asm.flushPending();
        if (out.length > 0) yield take();
        if (asm.stopped) return;
      }
      if (!running || untilPassed) return;
      const wait = asm.hasPending ? Math.max(1, Math.min(pollMs, graceMs - (now - lastData))) : pollMs;
      await waker.wait(wait);
    }
  } finally {
    waker?.close();
    await fh?.close().catch(() => {});
  }
}

/**
 * The container's log at `path` (conmon k8s-file) as entries, with the
 * semantics of `docker logs` (see the module comment). `isRunning` is asked
 * while following; the stream ends once it returns false and the file has
 * been read to its end.
 */
export function readLog(
  path: string,
  opts: LogOptions,
  isRunning: () => boolean,
  tuning?: ReadTuning,
): AsyncIterableIterator<LogEntry> {
  // Hand-rolled over the batches: one already-resolved promise per entry
  // (an async generator costs several), which matters at a million lines.
  const batches = readLogBatches(path, opts, isRunning, tuning);
  let batch: LogEntry[] = [];
  let i = 0;
  const refill = async (): Promise<IteratorResult<LogEntry, undefined>> => {
    for (;;) {
      const r = await batches.next();
      if (r.done) return { done: true, value: undefined };
      batch = r.value;
      i = 0;
      if (batch.length > 0) return { done: false, value: batch[i++]! };
    }
  };
  return {
    next(): Promise<IteratorResult<LogEntry, undefined>> {
      if (i < batch.length) return Promise.resolve({ done: false, value: batch[i++]! });
      return refill();
    },
    async return(): Promise<IteratorResult<LogEntry, undefined>> {
      batch = [];
      i = 0;
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * What the logs endpoint sends for an entry: the line, prefixed by
 * `timeText + ' '` when `timestamps`, in an 8-byte frame (1 = stdout,
 * 2 = stderr) unless the container has a TTY.
 */
export function formatEntry(e: LogEntry, opts: { timestamps: boolean; tty: boolean; details?: Buffer }): Buffer {
  const line = opts.details ? Buffer.concat([opts.details, e.line]) : e.line;
  if (opts.tty && !opts.timestamps) return line;
  const prefixLen = opts.timestamps ? e.timeText.length + 1 : 0;
  const headLen = opts.tty ? 0 : HEADER_SIZE;
  const out = Buffer.allocUnsafe(headLen + prefixLen + line.length);
  if (!opts.tty) {
    out[0] = e.stream === 'stdout' ? STDOUT : STDERR;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    out.writeUInt32BE(prefixLen + line.length, 4);
  }
  if (opts.timestamps) {
    out.write(e.timeText, headLen, 'latin1');
    out[headLen + prefixLen - 1] = 0x20;
  }
  line.copy(out, headLen + prefixLen);
  return out;
}
