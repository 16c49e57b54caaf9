/**
 * docker/go-units: the human-readable sizes and durations docker prints
 * ("4.26MB", "2 weeks ago") and the size syntax its flags accept ("512m").
 */
import { formatFloat } from './gofmt.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;

function sizeAndUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i] ?? 'B'];
}

/**
 * HumanSizeWithPrecision: decimal units with Go's %.<precision>g, so
 * 4261000 → "4.26MB". docker's images and ps use precision 3; go-units'
 * HumanSize (used by e.g. system df) is precision 4.
 */
export function humanSize(bytes: number, precision = 3): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL_UNITS);
  return formatFloat(size, 'g', precision) + unit;
}

/** BytesSize: binary units with %.4g, as docker stats prints ("1.5GiB"). */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, BINARY_UNITS);
  return formatFloat(size, 'g', 4) + unit;
}

export { humanDuration } from '../../util/go-units.js';
import { humanDuration } from '../../util/go-units.js';

/** "2 weeks ago": docker's CreatedSince/RunningFor style. */
export function timeAgo(date: Date | number, now: Date | number = Date.now()): string {
  return humanDuration(Number(now) - Number(date)) + ' ago';
}

const SIZE_RE = /^(\d+(\.\d+)*) ?([kmgtp])?i?b?$/i;
const MULTIPLIER: Readonly<Record<string, number>> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

function parseSize(s: string, base: number): number {
  const m = SIZE_RE.exec(s);
  if (!m?.[1]) throw new Error(`invalid size: '${s}'`);
  if (!/^\d+(\.\d+)?$/.test(m[1])) throw new Error(`strconv.ParseFloat: parsing "${m[1]}": invalid syntax`);
  const exp = m[3] ? (MULTIPLIER[m[3].toLowerCase()] ?? 0) : 0;
  return Math.trunc(Number(m[1]) * base ** exp);
}

/**
 * RAMInBytes: "512m", "1g", "100k", "1024", "1.5GiB" in binary multiples,
 * case-insensitive, optional "b"/"ib" suffix. Fractions truncate to whole bytes.
 */
export function parseBytes(s: string): number {
  return parseSize(s, 1024);
}

/** FromHumanSize: the same syntax with decimal multiples ("1kB" = 1000). */
export function fromHumanSize(s: string): number {
  return parseSize(s, 1000);
}

/**
 * Go's time.Time.String() in local time, which docker prints for CreatedAt:
 * "2024-01-15 10:30:00 +0000 UTC" (fractional seconds only when non-zero).
 */
export function goTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const ms = date.getMilliseconds();
  const frac = ms ? '.' + String(ms).padStart(3, '0').replace(/0+$/, '') : '';
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const hhmm = two(Math.trunc(Math.abs(offset) / 60)) + two(Math.abs(offset) % 60);
  return (
    `${String(date.getFullYear()).padStart(4, '0')}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}${frac} ${sign}${hhmm} ` +
    zoneName(date, sign, hhmm)
  );
}

/** The zone abbreviation ("UTC", "PST"); Go falls back to "+01" or "+0530" when a zone has none. */
function zoneName(date: Date, sign: string, hhmm: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName')?.value;
  if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  return sign + (hhmm.endsWith('00') ? hhmm.slice(0, 2) : hhmm);
}
