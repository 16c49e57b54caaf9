/**
 * Go's value parsers as the docker CLI's flags use them, with Go's error
 * texts: strconv (ParseInt/ParseUint with base 0, ParseBool, ParseFloat),
 * time.ParseDuration, net.ParseIP / ParseMAC, encoding/csv (one record),
 * math/big's Rat for --cpus, and the current go-units RAMInBytes.
 */
import { parseGoUnitsSize } from '../../util/go-units.js';
import { isIPv6 } from 'node:net';

/** Go's %q for the plain strings flags carry. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

function numError(fn: string, s: string, kind: 'invalid syntax' | 'value out of range'): Error {
  return new Error(`strconv.${fn}: parsing ${goQuote(s)}: ${kind}`);
}

/** strconv's underscoreOK: underscores in a base-0 literal only between digits (or after a base prefix). */
function underscoreOK(str: string): boolean {
  let s = str;
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(s[1]!.toLowerCase())) {
    i = 2;
    saw = '0';
    hex = s[1]!.toLowerCase() === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-f]/i.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function parseDigits(fn: string, orig: string, s: string, base: number): bigint {
  if (s === '') return 0n;
  let n = 0n;
  const b = BigInt(base);
  for (const ch of s) {
    if (ch === '_') continue;
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base) throw numError(fn, orig, 'invalid syntax');
    n = n * b + BigInt(d);
  }
  return n;
}

function baseZero(fn: string, orig: string, s: string): bigint {
  if (s === '') throw numError(fn, orig, 'invalid syntax');
  let base = 10;
  let body = s;
  if (s[0] === '0') {
    const c = (s[1] ?? '').toLowerCase();
    if (s.length >= 3 && (c === 'b' || c === 'o' || c === 'x')) {
      base = c === 'b' ? 2 : c === 'o' ? 8 : 16;
      body = s.slice(2);
    } else {
      base = 8;
      body = s.slice(1);
    }
  }
  if (body.includes('_') && !underscoreOK(s)) throw numError(fn, orig, 'invalid syntax');
  if (base !== 8 && base !== 10 && body === '') throw numError(fn, orig, 'invalid syntax');
  return parseDigits(fn, orig, body, base);
}

/** strconv.ParseInt(s, 0, bits): "0x10", "010" (octal), "0b1", "1_000" only with a prefix. */
export function parseGoInt(s: string, bits = 64): number {
  let neg = false;
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    body = s.slice(1);
  }
  const n = baseZero('ParseInt', s, body);
  const max = (1n << BigInt(bits - 1)) - 1n;
  if ((!neg && n > max) || (neg && n > max + 1n)) throw numError('ParseInt', s, 'value out of range');
  return Number(neg ? -n : n);
}

/** strconv.ParseUint(s, 0, bits). */
export function parseGoUint(s: string, bits = 64): number {
  const n = baseZero('ParseUint', s, s);
  if (n > (1n << BigInt(bits)) - 1n) throw numError('ParseUint', s, 'value out of range');
  return Number(n);
}

/** strconv.ParseUint(s, 10, bits): decimal digits only. */
export function parseGoUint10(s: string, bits = 64): number {
  if (!/^\d+$/.test(s)) throw numError('ParseUint', s, 'invalid syntax');
  if (BigInt(s) > (1n << BigInt(bits)) - 1n) throw numError('ParseUint', s, 'value out of range');
  return Number(s);
}

/** strconv.Atoi (base 10 only). */
export function parseGoAtoi(s: string): number {
  const m = /^[+-]?\d+$/.exec(s);
  if (!m) throw numError('Atoi', s, 'invalid syntax');
  const n = BigInt(s);
  if (n > (1n << 63n) - 1n || n < -(1n << 63n)) throw numError('Atoi', s, 'value out of range');
  return Number(n);
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw numError('ParseBool', s, 'invalid syntax');
}

/** strconv.ParseFloat(s, 64) for decimal literals. */
export function parseGoFloat(s: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw numError('ParseFloat', s, 'invalid syntax');
  const v = Number(s);
  if (!Number.isFinite(v)) throw numError('ParseFloat', s, 'value out of range');
  return v;
}

const BINARY: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * go-units RAMInBytes as vendored by docker 28 ("512m", "1.5GiB", "2 g"):
 * errors `invalid size: '…'`, `invalid suffix: '…'` or strconv's.
 */
export function ramInBytes(sizeStr: string): number {
  return parseGoUnitsSize(sizeStr, BINARY, parseGoFloat);
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5
  'μs': 1000n, // U+03BC
  ms: 1000_000n,
  s: 1000_000_000n,
  m: 60n * 1000_000_000n,
  h: 3600n * 1000_000_000n,
};

/** Go's time.ParseDuration ("1h30m", "1.5s", "300ms"), in nanoseconds. */
export function parseDuration(orig: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  const max = (1n << 63n) - 1n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw invalid();
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    const pre = intPart !== '';
    let frac = '';
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      post = frac !== '';
    }
    if (!pre && !post) throw invalid();
    let i = 0;
    while (i < s.length && s[i] !== '.' && !(s[i]! >= '0' && s[i]! <= '9')) i++;
    if (i === 0) throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = DURATION_UNITS[u];
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    const v = BigInt(intPart || '0');
    if (v > max / unit) throw invalid();
    let d = v * unit;
    if (frac !== '') d += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += d;
    if (total > max + (neg ? 1n : 0n)) throw invalid();
  }
  return Number(neg ? -total : total);
}

/** Go's %v of a time.Duration given in nanoseconds ("1m30s", "1.5s", "0s"). */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = BigInt(Math.abs(ns));
  let out: string;
  if (u < 1000_000_000n) {
    const [unit, div] = u < 1000n ? ['ns', 1n] : u < 1000_000n ? ['µs', 1000n] : ['ms', 1000_000n];
    out = fracString(u, div) + unit;
  } else {
    const h = u / 3600_000_000_000n;
    u -= h * 3600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = (h > 0n ? `${h}h` : '') + (h > 0n || m > 0n ? `${m}m` : '') + fracString(u, 1000_000_000n) + 's';
  }
  return (neg ? '-' : '') + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * math/big Rat.SetString for --cpus ("1.5", "3/2", "2e-1") times 1e9; throws
 * docker's "failed to parse … as a rational number" / "value is too precise".
 */
export function parseNanoCPUs(value: string): number {
  const fail = (): Error => new Error(`failed to parse ${value} as a rational number`);
  let num: bigint;
  let den: bigint;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(value);
  if (frac) {
    num = BigInt(frac[1]!);
    den = BigInt(frac[2]!);
    if (den === 0n) throw fail();
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw fail();
    const digits = (m[2] ?? '') + (m[3] ?? '');
    let exp = (m[4] ? Number(m[4]) : 0) - (m[3] ?? '').length;
    num = BigInt(digits || '0');
    if (m[1] === '-') num = -num;
    den = 1n;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else {
      exp = -exp;
      den = 10n ** BigInt(exp);
    }
  }
  const nano = num * 1000_000_000n;
  if (nano % den !== 0n) throw new Error('value is too precise');
  return Number(nano / den);
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/**
 * net.ParseIP(s).String(): the canonical text of an IPv4 or IPv6 address,
 * or null when Go would not parse it (zones, brackets, leading zeros).
 */
export function parseIP(s: string): string | null {
  const v4 = parseIPv4(s);
  if (v4) return v4.join('.');
  if (s.includes('%') || !isIPv6(s)) return null;
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  // Go prints IPv4-mapped addresses in dotted form.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return host;
}

/** True when the address is in 127.0.0.0/8 or is ::1 (netip's IsLoopback). */
export function isLoopback(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4) return v4[0] === 127;
  return ip === '::1';
}

/** net.ParseMAC: EUI-48, EUI-64 or 20-octet IPoIB, with ':' '-' or '.' separators. */
export function isValidMAC(s: string): boolean {
  if (s.length < 14) return false;
  const okLen = (n: number): boolean => n === 6 || n === 8 || n === 20;
  if (s[2] === ':' || s[2] === '-') {
    if ((s.length + 1) % 3 !== 0 || !okLen((s.length + 1) / 3)) return false;
    const sep = s[2]!;
    const groups = s.split(sep);
    return groups.length === (s.length + 1) / 3 && groups.every((g) => /^[0-9a-fA-F]{2}$/.test(g));
  }
  if (s[4] === '.') {
    if ((s.length + 1) % 5 !== 0 || !okLen((2 * (s.length + 1)) / 5)) return false;
    return s.split('.').every((g) => /^[0-9a-fA-F]{4}$/.test(g));
  }
  return false;
}

/**
 * encoding/csv Reader.Read for one record with default settings: `,`
 * separated, `"` quoting with `""` escapes, no trimming. Throws "EOF" for
 * an empty input and csv's ParseError texts for bad quoting.
 */
export function readCSVRecord(input: string): string[] {
  let text = input;
  // Go skips empty lines before the record and reads up to the record's end.
  text = text.replace(/^(\r?\n)+/, '');
  if (text === '') throw new Error('EOF');
  const fields: string[] = [];
  let line = 1;
  let col = 0; // 0-based byte column within the current line
  let i = 0;
  const byteLen = (s: string): number => Buffer.byteLength(s);
  const err = (c: number, msg: string, startLine = 1): Error =>
    new Error(startLine !== line ? `record on line ${startLine}; parse error on line ${line}, column ${c}: ${msg}` : `parse error on line ${line}, column ${c}: ${msg}`);
  for (;;) {
    if (text[i] !== '"') {
      // Non-quoted field up to the next comma or end of line.
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\n') j++;
      let field = text.slice(i, j);
      if (text[j] === '\n' && field.endsWith('\r')) field = field.slice(0, -1);
      const q = field.indexOf('"');
      if (q >= 0) throw err(col + byteLen(field.slice(0, q)) + 1, 'bare \" in non-quoted-field');
      fields.push(field);
      if (text[j] === ',') {
        col += byteLen(field) + 1;
        i = j + 1;
        continue;
      }
      return fields;
    }
    // Quoted field.
    i++;
    col++;
    let field = '';
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) {
        // Unterminated quote: Go reports the end of input.
        const rest = text.slice(i);
        const nl = rest.lastIndexOf('\n');
        if (nl >= 0) {
          line += rest.split('\n').length - 1;
          col = byteLen(rest.slice(nl + 1));
        } else col += byteLen(rest);
        throw err(col + 1, 'extraneous or missing " in quoted-field');
      }
      const chunk = text.slice(i, q);
      field += chunk;
      for (const ch of chunk) {
        if (ch === '\n') {
          line++;
          col = 0;
        } else col += byteLen(ch);
      }
      i = q + 1;
      col++;
      const next = text[i];
      if (next === '"') {
        field += '"';
        i++;
        col++;
      } else if (next === ',') {
        fields.push(field);
        i++;
        col++;
        break;
      } else if (next === undefined || next === '\n' || (next === '\r' && (text[i + 1] === '\n' || text[i + 1] === undefined))) {
        fields.push(field);
        return fields;
      } else {
        throw err(col, 'extraneous or missing " in quoted-field');
      }
    }
  }
}

/** encoding/json's quoteChar for scanner errors. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

/**
 * json.Compact: the input with insignificant whitespace removed and every
 * token kept verbatim; invalid JSON fails with encoding/json's scanner text
 * ("invalid character 'x' looking for beginning of value").
 */
export function goJSONCompact(text: string): string {
  let i = 0;
  let out = '';
  const eof = (): Error => new Error('unexpected end of JSON input');
  const bad = (c: string, ctx: string): Error => new Error(`invalid character ${quoteChar(c)} ${ctx}`);
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const peek = (): string | undefined => text[i];
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      const c = text[i + k];
      if (c === undefined) throw eof();
      if (c !== word[k]) throw bad(c, `in literal ${word} (expecting ${quoteChar(word[k]!)})`);
    }
    out += word;
    i += word.length;
  };
  const digits = (): void => {
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') out += text[i++];
  };
  const number = (): void => {
    if (peek() === '-') {
      out += text[i++];
      const c = peek();
      if (c === undefined) throw eof();
      if (!(c >= '0' && c <= '9')) throw bad(c, 'in numeric literal');
    }
    if (peek() === '0') out += text[i++];
    else digits();
    if (peek() === '.') {
      out += text[i++];
      const c = peek();
      if (c === undefined) throw eof();
      if (!(c >= '0' && c <= '9')) throw bad(c, 'after decimal point in numeric literal');
      digits();
    }
    if (peek() === 'e' || peek() === 'E') {
      out += text[i++];
      if (peek() === '+' || peek() === '-') out += text[i++];
      const c = peek();
      if (c === undefined) throw eof();
      if (!(c >= '0' && c <= '9')) throw bad(c, 'in exponent of numeric literal');
      digits();
    }
  };
  const string = (): void => {
    out += text[i++]; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) throw eof();
      if (c === '"') {
        out += text[i++];
        return;
      }
      if (c < ' ') throw bad(c, 'in string literal');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === undefined) throw eof();
        if (!'"\\/bfnrtu'.includes(e)) throw bad(e, 'in string escape code');
        out += c + e;
        i += 2;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            const h = text[i];
            if (h === undefined) throw eof();
            if (!/[0-9a-fA-F]/.test(h)) throw bad(h, 'in \\u hexadecimal character escape');
            out += h;
            i++;
          }
        }
        continue;
      }
      out += c;
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = peek();
    if (c === undefined) throw eof();
    if (c === '{') {
      out += text[i++];
      ws();
      if (peek() === '}') {
        out += text[i++];
        return;
      }
      for (;;) {
        ws();
        const k = peek();
        if (k === undefined) throw eof();
        if (k !== '"') throw bad(k, 'looking for beginning of object key string');
        string();
        ws();
        const colon = peek();
        if (colon === undefined) throw eof();
        if (colon !== ':') throw bad(colon, 'after object key');
        out += text[i++];
        value();
        ws();
        const n = peek();
        if (n === undefined) throw eof();
        if (n === ',') {
          out += text[i++];
          continue;
        }
        if (n === '}') {
          out += text[i++];
          return;
        }
        throw bad(n, 'after object key:value pair');
      }
    }
    if (c === '[') {
      out += text[i++];
      ws();
      if (peek() === ']') {
        out += text[i++];
        return;
      }
      for (;;) {
        value();
        ws();
        const n = peek();
        if (n === undefined) throw eof();
        if (n === ',') {
          out += text[i++];
          continue;
        }
        if (n === ']') {
          out += text[i++];
          return;
        }
        throw bad(n, 'after array element');
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    throw bad(c, 'looking for beginning of value');
  };
  value();
  ws();
  if (i < text.length) throw bad(text[i]!, 'after top-level value');
  return out;
}
