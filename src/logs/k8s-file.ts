/**
 * The CRI "k8s-file" log format, as conmon writes it (ctr_logging.c,
 * write_k8s_log): one record per line,
 *
 *   <timestamp> <stdout|stderr> <P|F> <content>\n
 *
 * - timestamp: local time with nanoseconds and a numeric offset
 *   (`%Y-%m-%dT%H:%M:%S.%09ld%c%02d:%02d`), e.g. `2026-11-28T04:08:36.454183661+00:00`.
 *   We also accept `Z`, and 0–9+ fraction digits (extra digits are truncated).
 * - F: the content is a full line; its `\n` is the record's terminator.
 * - P: a partial line (the container wrote bytes without a newline, or more
 *   than conmon's buffer); the next record of the same stream continues it.
 *   conmon appends the `\n` terminator itself.
 * Content is raw bytes (any encoding, may contain `\r`, spaces, NULs); only
 * `\n` cannot occur in it. Everything here works on Buffers.
 *
 * Times are returned in Docker's rendering: `docker logs -t` prints
 * `time.Format(RFC3339NanoFixed)` in UTC, i.e. always nine fraction digits
 * (`2026-11-28T04:08:36.454183660Z`, trailing zeros kept — moby's
 * jsonmessage.RFC3339NanoFixed, not Go's trimming time.RFC3339Nano).
 */
import { invalidParameter } from '../errdefs/errdefs.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogTime {
  /** Milliseconds since the epoch (floor), for Date. */
  ms: number;
  /** Docker's rendering: RFC3339 in UTC with nine fraction digits, `…T04:08:36.454183661Z`. */
  nanos: string;
  /** Nanoseconds since the epoch. */
  ns: bigint;
}

export interface K8sRecord {
  time: LogTime;
  stream: LogStream;
  /** true for P records: the content continues in the next record of the same stream. */
  partial: boolean;
  /** The content without the record's `\n` terminator. */
  content: Buffer;
}

/** Positions of one record inside a buffer (no allocation). */
export interface RecordView {
  stream: LogStream;
  partial: boolean;
  /** Index just past the timestamp (the timestamp spans [start, timeEnd)). */
  timeEnd: number;
  /** Index of the first content byte (== end for empty content). */
  contentStart: number;
}

const SP = 0x20;
const NL = 0x0a;
const MAX_TS_LEN = 64;
const NS_PER_SEC = 1_000_000_000n;

/**
 * Locates the fields of the record in buf[start, end) (end = index of its
 * `\n`, or the line length). undefined when the line is not a k8s-file
 * record (the timestamp itself is checked by parseTimestampAt).
 */
export function scanRecord(buf: Buffer, start: number, end: number): RecordView | undefined {
  const limit = Math.min(end, start + MAX_TS_LEN);
  let sp = -1;
  for (let i = start; i < limit; i++) {
    if (buf[i] === SP) {
      sp = i;
      break;
    }
  }
  if (sp <= start) return undefined;
  // " stdout " / " stderr " then the tag: needs sp + 8 < end
  if (sp + 8 >= end) return undefined;
  if (buf[sp + 1] !== 0x73 || buf[sp + 2] !== 0x74 || buf[sp + 3] !== 0x64 || buf[sp + 7] !== SP) return undefined; // "std? ?"
  let stream: LogStream;
  const a = buf[sp + 4];
  const b = buf[sp + 5];
  const c = buf[sp + 6];
  if (a === 0x6f && b === 0x75 && c === 0x74) stream = 'stdout';
  else if (a === 0x65 && b === 0x72 && c === 0x72) stream = 'stderr';
  else return undefined;
  const tag = buf[sp + 8];
  let partial: boolean;
  if (tag === 0x46) partial = false; // F
  else if (tag === 0x50) partial = true; // P
  else return undefined;
  let contentStart: number;
  if (sp + 9 === end) contentStart = end; // "F" with nothing after it (lenient)
  else if (buf[sp + 9] === SP) contentStart = sp + 10;
  else return undefined;
  return { stream, partial, timeEnd: sp, contentStart };
}

/** Seconds + nanoseconds since the epoch. */
export interface Instant {
  sec: number;
  nsec: number;
}

function num(buf: Buffer, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = buf[i + k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` in buf[start, end).
 * undefined when malformed or out of range.
 */
export function parseTimestampAt(buf: Buffer, start: number, end: number): Instant | undefined {
  if (end - start < 20) return undefined;
  const i = start;
  if (buf[i + 4] !== 0x2d || buf[i + 7] !== 0x2d || buf[i + 10] !== 0x54 || buf[i + 13] !== 0x3a || buf[i + 16] !== 0x3a)
    return undefined;
  const y = num(buf, i, 4);
  const mo = num(buf, i + 5, 2);
  const d = num(buf, i + 8, 2);
  const h = num(buf, i + 11, 2);
  const mi = num(buf, i + 14, 2);
  const s = num(buf, i + 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  if (d > daysInMonth(y, mo)) return undefined;
  let p = i + 19;
  let nsec = 0;
  if (buf[p] === 0x2e) {
    p++;
    let digits = 0;
    while (p < end) {
      const c = buf[p]! - 0x30;
      if (c < 0 || c > 9) break;
      if (digits < 9) nsec = nsec * 10 + c;
      digits++;
      p++;
    }
    if (digits === 0) return undefined;
    for (let k = digits; k < 9; k++) nsec *= 10;
  }
  let offset = 0;
  if (p === end - 1 && buf[p] === 0x5a) {
    // Z
  } else if (p === end - 6 && (buf[p] === 0x2b || buf[p] === 0x2d) && buf[p + 3] === 0x3a) {
    const oh = num(buf, p + 1, 2);
    const om = num(buf, p + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offset = (oh * 3600 + om * 60) * (buf[p] === 0x2d ? -1 : 1);
  } else return undefined;
  const sec = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return { sec, nsec };
}

let cachedSec = Number.NaN;
let cachedPrefix = '';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC for seconds since the epoch. */
function utcPrefix(sec: number): string {
  if (sec === cachedSec) return cachedPrefix;
  const days = Math.floor(sec / 86400);
  let rem = sec - days * 86400;
  // civil_from_days
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rem / 3600);
  rem -= h * 3600;
  const mi = Math.floor(rem / 60);
  const s = rem - mi * 60;
  cachedSec = sec;
  cachedPrefix = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
  return cachedPrefix;
}

/** Docker's `logs -t` rendering (RFC3339NanoFixed, UTC): `2026-11-28T04:08:36.454183661Z`. */
export function formatDockerTime(t: Instant | bigint): string {
  let sec: number;
  let nsec: number;
  if (typeof t === 'bigint') {
    let q = t / NS_PER_SEC;
    let r = t % NS_PER_SEC;
    if (r < 0n) {
      r += NS_PER_SEC;
      q -= 1n;
    }
    sec = Number(q);
    nsec = Number(r);
  } else {
    sec = t.sec;
    nsec = t.nsec;
  }
  return `${utcPrefix(sec)}.${pad(nsec, 9)}Z`;
}

export function instantToNs(t: Instant): bigint {
  return BigInt(t.sec) * NS_PER_SEC + BigInt(t.nsec);
}

export function logTime(t: Instant): LogTime {
  return { ms: t.sec * 1000 + Math.floor(t.nsec / 1_000_000), nanos: formatDockerTime(t), ns: instantToNs(t) };
}

/** Parses a k8s-file timestamp (`2026-11-28T04:08:36.454183661+00:00`). Throws InvalidParameter. */
export function parseK8sTimestamp(text: string): LogTime {
  const b = Buffer.from(text, 'latin1');
  const t = parseTimestampAt(b, 0, b.length);
  if (!t) throw invalidParameter(`invalid k8s-file timestamp ${JSON.stringify(text)}`);
  return logTime(t);
}

/**
 * Parses one record. `line` may end with its `\n` terminator (removed; any
 * `\r` before it is content). Throws InvalidParameter when the line is not a
 * k8s-file record.
 */
export function parseK8sLine(line: Buffer): K8sRecord {
  const r = tryParseK8sLine(line);
  if (!r) {
    const shown = line.subarray(0, 80).toString('utf8').replace(/\n$/, '');
    throw invalidParameter(`malformed k8s-file log record: ${JSON.stringify(shown)}`);
  }
  return r;
}

/** As parseK8sLine, but undefined for a malformed line. */
export function tryParseK8sLine(line: Buffer): K8sRecord | undefined {
  const end = line.length > 0 && line[line.length - 1] === NL ? line.length - 1 : line.length;
  const v = scanRecord(line, 0, end);
  if (!v) return undefined;
  const t = parseTimestampAt(line, 0, v.timeEnd);
  if (!t) return undefined;
  return { time: logTime(t), stream: v.stream, partial: v.partial, content: line.subarray(v.contentStart, end) };
}

/**
 * conmon's timestamp for `ns` since the epoch in a zone `offsetMinutes` east
 * of UTC: `2026-11-28T05:08:36.454183661+01:00`.
 */
export function formatK8sTimestamp(ns: bigint, offsetMinutes = 0): string {
  const local = ns + BigInt(offsetMinutes) * 60n * NS_PER_SEC;
  const docker = formatDockerTime(local); // …Z
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return `${docker.slice(0, -1)}${sign}${pad(Math.floor(off / 60), 2)}:${pad(off % 60, 2)}`;
}

/** One record as conmon writes it (tests, fixtures). `content` must not contain `\n`. */
export function encodeK8sRecord(
  ns: bigint,
  stream: LogStream,
  partial: boolean,
  content: Buffer | string,
  offsetMinutes = 0,
): Buffer {
  const c = typeof content === 'string' ? Buffer.from(content) : content;
  if (c.includes(NL)) throw invalidParameter('k8s-file record content cannot contain a newline');
  const head = Buffer.from(`${formatK8sTimestamp(ns, offsetMinutes)} ${stream} ${partial ? 'P' : 'F'} `, 'latin1');
  return Buffer.concat([head, c, Buffer.from([NL])]);
}
