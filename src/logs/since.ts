/**
 * The time values `docker logs --since/--until` (and `events`) accept, as moby's
 * timestamp.Parse (client side) followed by ParseUnixTimestamp (server side):
 *
 * - a Go duration (`10m`, `1h30m`, `1.5h`, `300ms`, `-2s`): that long before
 *   `now` (a negative duration is in the future);
 * - an RFC3339-like date: `2006-01-02`, `2006-01-02T15`, `2006-01-02T15:04`,
 *   `2006-01-02T15:04:05`, with an optional fraction after the seconds and an
 *   optional zone (`Z` or `±07:00`); without a zone the value is in `now`'s
 *   local zone (Go: time.FixedZone(reference.Zone()));
 * - Unix seconds with an optional fraction: `1700000000`, `1700000000.123456789`
 *   (fraction right-padded to nine digits, digits past the ninth dropped).
 *
 * The result is nanoseconds since the epoch.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import { daysFromCivil, daysInMonth } from './k8s-file.js';

const NS = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n, // µ (micro sign)
  '\u03bcs': 1_000n, // μ (Greek mu)
  ms: 1_000_000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
};

/**
 * Go's time.ParseDuration, in nanoseconds. undefined when `s` is not a
 * duration (callers then try other forms); throws on a duration that overflows.
 */
export function parseGoDuration(s: string): bigint | undefined {
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m) return undefined;
    const [all, int = '', frac, unitText = ''] = m;
    const hasFrac = frac !== undefined && frac !== '';
    if (int === '' && !hasFrac) return undefined;
    if (unitText === '') return undefined; // missing unit
    const unit = UNITS[unitText];
    if (unit === undefined) return undefined;
    let v = BigInt(int || '0') * unit;
    if (hasFrac) {
      const scale = 10n ** BigInt(frac.length);
      v += (BigInt(frac) * unit) / scale;
    }
    total += v;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) throw invalidParameter(`invalid duration ${JSON.stringify(s)}: out of range`);
    rest = rest.slice(all.length);
  }
  return neg ? -total : total;
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{1,2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

function fracToNs(frac: string): bigint {
  const digits = frac.length > 9 ? frac.slice(0, 9) : frac.padEnd(9, '0');
  return BigInt(digits);
}

function parseDate(value: string, localOffsetMinutes: number): bigint | string {
  const m = DATE_RE.exec(value);
  if (!m) return 'not a valid date (expected e.g. 2006-01-02, 2006-01-02T15:04:05, 2006-01-02T15:04:05.999999999Z07:00)';
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  if (mo < 1 || mo > 12) return 'month out of range';
  if (d < 1 || d > daysInMonth(y, mo)) return 'day out of range';
  if (h > 23) return 'hour out of range';
  if (mi > 59) return 'minute out of range';
  if (s > 59) return 'second out of range';
  let offsetMinutes = localOffsetMinutes;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone !== undefined) {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return 'time zone offset out of range';
    offsetMinutes = (oh * 60 + om) * (zone[0] === '-' ? -1 : 1);
  }
  const sec = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetMinutes * 60;
  return BigInt(sec) * NS + (frac === undefined ? 0n : fracToNs(frac));
}

/** moby's parseTimestamp: `seconds[.fraction]`. */
function parseUnix(value: string): bigint | string {
  const dot = value.indexOf('.');
  const secText = dot < 0 ? value : value.slice(0, dot);
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  if (!/^[+-]?\d+$/.test(secText)) return `invalid seconds ${JSON.stringify(secText)}`;
  const sec = BigInt(secText);
  if (sec > MAX_INT64 / NS || sec < -(MAX_INT64 / NS)) return `seconds ${secText} out of range`;
  if (frac.length > 20) return `invalid nanoseconds: length ${frac.length} exceeds maximum 20`;
  if (frac !== '' && !/^\d+$/.test(frac)) return `invalid nanoseconds ${JSON.stringify(frac)}: digits only`;
  return sec * NS + (frac === '' ? 0n : fracToNs(frac));
}

/**
 * Parses a `since`/`until` value (see the module comment) relative to `now`.
 * Returns nanoseconds since the epoch. Throws InvalidParameter with a message
 * naming `param` ("since" by default).
 *
 * Note: for `until`, Docker treats "0" (and "") as "no limit"; callers check
 * that before calling (parseSince("0") is the epoch).
 */
export function parseSince(value: string, now: Date, param = 'since'): bigint {
  const bad = (why: string) => invalidParameter(`invalid value for "${param}": ${JSON.stringify(value)}: ${why}`);
  if (value.trim() === '') throw bad('value is empty');
  if (value !== '0') {
    const d = parseGoDuration(value);
    if (d !== undefined) {
      const nowNs = BigInt(now.getTime()) * 1_000_000n;
      return nowNs - d;
    }
  }
  // moby: a value with a '-' is a date (and a date's error is the one reported)
  if (/^\d{4}-/.test(value) || value.includes('-')) {
    const r = parseDate(value, -now.getTimezoneOffset());
    if (typeof r === 'string') throw bad(r);
    return r;
  }
  if (/[TZ:]/.test(value)) {
    const r = parseDate(value, -now.getTimezoneOffset());
    if (typeof r === 'string') throw bad(r);
    return r;
  }
  const r = parseUnix(value);
  if (typeof r === 'string')
    throw bad(`${r} (expected a duration like 10m or 1h30m, a date like 2006-01-02T15:04:05Z, or Unix seconds like 1700000000.5)`);
  return r;
}
