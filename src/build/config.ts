/**
 * Pure helpers of the builder: Go's %q text of a string list (Docker's
 * history lines), Go durations (HEALTHCHECK flags), port and signal checks,
 * env list updates, and the canonical JSON the cache compares configs by.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { ContainerDefaults, HealthConfig } from '../image/oci.js';

/** Go's `%q` of a []string: `["a" "b c"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => goQuote(s)).join(' ')}]`;
}

/** Go's strconv.Quote for printable text (JSON's escapes match it for what Dockerfiles hold). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u001b/g, '\\x1b').replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** Go's time.Duration text of nanoseconds (`30s`, `1m30s`, `1.5s`, `0s`). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
    return `${trim(ns / 1e6)}ms`;
  }
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trim(s)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Parses a Go duration (`30s`, `1m30s`, `500ms`) to nanoseconds. */
export function parseGoDuration(flag: string, text: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (text === '' || pos !== text.length) throw invalidParameter(`time: invalid duration "${text}" for --${flag}`);
  return Math.round(total);
}

/** The HEALTHCHECK history text: Go's `%q` of the HealthConfig struct. */
export function healthcheckText(h: HealthConfig): string {
  const retries = h.Retries ?? 0;
  const r = retries < 0x20 || retries === 0x7f ? `'\\x${retries.toString(16).padStart(2, '0')}'` : `'${String.fromCharCode(retries)}'`;
  return `&{${goQuoteList(h.Test ?? [])} "${goDuration(h.Interval ?? 0)}" "${goDuration(h.Timeout ?? 0)}" "${goDuration(h.StartPeriod ?? 0)}" ${r}}`;
}

/** Sets k=v in an env list, replacing an earlier value in place (Docker's order). */
export function setEnv(env: string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** `80` → `80/tcp`; refuses what Docker's nat.ParsePortSpecs refuses. */
export function exposedPort(spec: string): string[] {
  const m = /^(?:(\d+)(?:-(\d+))?)(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw invalidParameter(`Invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  if (start > 65535 || end > 65535 || end < start) throw invalidParameter(`Invalid containerPort: ${spec}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const SIGNALS = new Set(
  'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ'.split(' '),
);

/** Checks a STOPSIGNAL value as Docker's signal.ParseSignal does. */
export function checkSignal(sig: string): void {
  const s = sig.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(s) ? Number(s) > 0 && Number(s) <= 64 : SIGNALS.has(s) || /^RTM(IN|AX)([+-]\d+)?$/.test(s)) return;
  throw invalidParameter(`Invalid signal: ${sig}`);
}

/** JSON with sorted keys: two configs are the same when their canonical texts are. */
export function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

/** A copy of image defaults that instructions can change. */
export function cloneDefaults(c: ContainerDefaults | undefined): ContainerDefaults {
  return JSON.parse(JSON.stringify(c ?? {})) as ContainerDefaults;
}
