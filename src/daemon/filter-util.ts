/** Small parsers shared by list filters: timestamps and globs. */
import { invalidParameter } from '../errdefs/errdefs.js';

/**
 * Docker's timestamp filter values (`until`, `since` on events): a Unix
 * timestamp (with optional fraction), an RFC 3339 date/time, or a duration
 * before now such as `10m` or `2h30m`. Returns milliseconds since the epoch.
 */
export function parseTimestamp(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v);
  if (dur && v !== '') {
    const ms = (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000;
    return now - ms;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidParameter(`invalid timestamp value ${JSON.stringify(v)}: use a Unix timestamp, an RFC 3339 date, or a duration such as 10m`);
  return t;
}
