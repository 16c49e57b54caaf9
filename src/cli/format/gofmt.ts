/**
 * Go's fmt and strconv formatting, as far as docker's templates and sizes
 * need it: %v printing of JSON-shaped values, Sprint/Sprintln/Sprintf, and
 * strconv's 'e'/'f'/'g' float formats.
 *
 * JS has only one number type, so a number is treated as a Go int when it
 * is an integer and as a float64 otherwise. Floats are rounded the way Go
 * rounds them: on the exact decimal value, ties to even (JS's toFixed and
 * toPrecision round ties away from zero, so "%.3g" of 1.125 would differ).
 */

/** Go's %v of a value: strings raw, maps as map[k:v] with sorted keys. */
export function formatValue(v: unknown): string {
  return formatArg(v, 'v', NO_FLAGS);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(arg);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a final newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

/** Go's name for the type a JSON-shaped value would have, for messages. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func';
    default:
      return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
  }
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += ch === '"' ? '\\"' : escapeRune(ch, '"');
  return out + '"';
}

/** strconv.QuoteRune: a single-quoted Go rune literal. */
export function goQuoteRune(r: number): string {
  const ch = validRune(r) ? String.fromCodePoint(r) : '\uFFFD';
  return "'" + (ch === "'" ? "\\'" : escapeRune(ch, "'")) + "'";
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrintable(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

// ---------------------------------------------------------------------------
// Floats

/** A non-negative decimal 0.d1d2d3... × 10^dp; digits has no trailing zeros ('' is zero). */
interface Decimal {
  readonly digits: string;
  readonly dp: number;
}

/** The exact decimal value of a finite non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  // mant × 2^exp == (mant × 5^-exp) × 10^exp for negative exp.
  const digits = exp >= 0 ? (mant << BigInt(exp)).toString() : (mant * 5n ** BigInt(-exp)).toString();
  const dp = exp >= 0 ? digits.length : digits.length + exp;
  return { digits: digits.replace(/0+$/, ''), dp };
}

/** The shortest decimal that reads back as x (JS and Go agree on these digits). */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const [mant = '', exp = '0'] = x.toExponential().split('e');
  return { digits: mant.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
}

/** Round to nd significant digits, ties to even, as strconv's decimal.Round does. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0) return { digits: '', dp: 0 };
  if (d.digits.length <= nd) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  let up = next > 5;
  if (next === 5) {
    // Digits carry no trailing zeros, so anything after the 5 makes it more than half.
    up = d.digits.length > nd + 1 || (nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1);
  }
  let digits = d.digits.slice(0, nd);
  let dp = d.dp;
  if (up) {
    let i = nd - 1;
    while (i >= 0 && digits[i] === '9') i--;
    if (i < 0) {
      digits = '1';
      dp++;
    } else {
      digits = digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
    }
  }
  return { digits: digits.replace(/0+$/, ''), dp };
}

function fmtE(neg: boolean, d: Decimal, prec: number, e: string): string {
  let s = neg ? '-' : '';
  s += d.digits[0] ?? '0';
  if (prec > 0) s += '.' + d.digits.slice(1, prec + 1).padEnd(prec, '0');
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const abs = Math.abs(exp);
  return s + e + (exp < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + String(abs);
}

function fmtF(neg: boolean, d: Decimal, prec: number): string {
  let s = neg ? '-' : '';
  s += d.dp > 0 ? d.digits.slice(0, d.dp).padEnd(d.dp, '0') : '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      s += j >= 0 && j < d.digits.length ? d.digits[j] : '0';
    }
  }
  return s;
}

/**
 * strconv.FormatFloat(x, fmt, prec, 64) for fmt in e, E, f, F, g, G.
 * prec -1 means the shortest representation that round-trips.
 */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  const lower = fmt.toLowerCase();
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(ax);
    if (lower === 'e') prec = Math.max(d.digits.length - 1, 0);
    else if (lower === 'f') prec = Math.max(d.digits.length - d.dp, 0);
    else prec = d.digits.length;
  } else {
    const exact = exactDecimal(ax);
    if (lower === 'e') d = roundDecimal(exact, prec + 1);
    else if (lower === 'f') d = roundDecimal(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      d = roundDecimal(exact, prec);
    }
  }
  const e = fmt === 'E' || fmt === 'G' ? 'E' : 'e';
  if (lower === 'e') return fmtE(neg, d, prec, e);
  if (lower === 'f') return fmtF(neg, d, prec);
  // %g: %e for large or small exponents, else %f; shortest decides at 6 digits.
  let eprec = prec;
  if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
  if (shortest) eprec = 6;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > d.digits.length) prec = d.digits.length;
    return fmtE(neg, d, prec - 1, e);
  }
  if (prec > d.dp) prec = d.digits.length;
  return fmtF(neg, d, Math.max(prec - d.dp, 0));
}

// ---------------------------------------------------------------------------
// Sprintf

interface Flags {
  readonly minus: boolean;
  readonly plus: boolean;
  readonly sharp: boolean;
  readonly space: boolean;
  readonly zero: boolean;
  readonly width: number | undefined;
  readonly prec: number | undefined;
}

const NO_FLAGS: Flags = {
  minus: false,
  plus: false,
  sharp: false,
  space: false,
  zero: false,
  width: undefined,
  prec: undefined,
};

/** fmt.Sprintf over JSON-shaped values, including Go's %!verb(...) error forms. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const flags = { ...NO_FLAGS } as { -readonly [K in keyof Flags]: Flags[K] };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') flags.minus = true;
      else if (c === '+') flags.plus = true;
      else if (c === '#') flags.sharp = true;
      else if (c === ' ') flags.space = true;
      else if (c === '0') flags.zero = true;
      else break;
    }
    const num = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    flags.width = num();
    if (flags.width !== undefined && flags.width < 0) {
      flags.minus = true;
      flags.width = -flags.width;
    }
    if (format[i] === '.') {
      i++;
      flags.prec = num() ?? 0;
      if (flags.prec < 0) flags.prec = undefined;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++], verb, flags);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

function badVerb(v: unknown, verb: string): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

/** Pads to the width in runes, as fmt does. */
function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.width === undefined) return s;
  const n = f.width - [...s].length;
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero && zeroOk) {
    // Zeros go after the sign.
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function signed(s: string, neg: boolean, f: Flags): string {
  if (neg) return '-' + s;
  if (f.plus) return '+' + s;
  if (f.space) return ' ' + s;
  return s;
}

function formatInt(n: number, verb: string, f: Flags): string | undefined {
  const neg = n < 0;
  const abs = neg ? -BigInt(n) : BigInt(n);
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString();
      break;
    case 'b':
      digits = abs.toString(2);
      if (f.sharp) prefix = '0b';
      break;
    case 'o':
    case 'O':
      digits = abs.toString(8);
      if (verb === 'O') prefix = '0o';
      else if (f.sharp) prefix = '0';
      break;
    case 'x':
    case 'X':
      digits = abs.toString(16);
      if (verb === 'X') digits = digits.toUpperCase();
      if (f.sharp) prefix = verb === 'X' ? '0X' : '0x';
      break;
    case 'c':
      return pad(validRune(n) ? String.fromCodePoint(n) : '\uFFFD', f, false);
    case 'q':
      return pad(goQuoteRune(n), f, false);
    case 'U': {
      const hex = abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(`U+${hex}` + (f.sharp && validRune(n) && isPrintable(String.fromCodePoint(n)) ? ` '${String.fromCodePoint(n)}'` : ''), f, false);
    }
    default:
      return undefined;
  }
  if (f.prec !== undefined) digits = digits.padStart(f.prec, '0');
  // An explicit precision disables zero padding, as in Go.
  return pad(signed(prefix + digits, neg, f), f, f.prec === undefined);
}

function formatFloatVerb(x: number, verb: string, f: Flags): string | undefined {
  let s: string;
  switch (verb) {
    case 'v':
      s = formatFloat(x, 'g', f.prec ?? -1);
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
      s = formatFloat(x, verb, f.prec ?? 6);
      break;
    case 'g':
    case 'G':
      s = formatFloat(x, verb, f.prec ?? -1);
      break;
    default:
      return undefined;
  }
  if (!s.startsWith('-') && Number.isFinite(x)) s = signed(s, false, f);
  return pad(s, f, Number.isFinite(x));
}

function formatString(s: string, verb: string, f: Flags): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      const t = f.prec !== undefined ? [...s].slice(0, f.prec).join('') : s;
      return pad(t, f);
    }
    case 'q': {
      const t = f.prec !== undefined ? [...s].slice(0, f.prec).join('') : s;
      const canBackquote = f.sharp && !/[`\r\n\t\u0000-\u001f\u007f]/.test(t);
      return pad(canBackquote ? '`' + t + '`' : goQuote(t), f, false);
    }
    case 'x':
    case 'X': {
      let hex = [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
      if (f.prec !== undefined) hex = hex.slice(0, f.prec);
      let t = hex.join(f.space ? ' ' : '');
      if (verb === 'X') t = t.toUpperCase();
      return pad(t, f, false);
    }
    default:
      return undefined;
  }
}

function formatArg(v: unknown, verb: string, f: Flags): string {
  if (v === null || v === undefined) return verb === 'v' ? pad('<nil>', f, false) : badVerb(v, verb);
  if (typeof v === 'string') return formatString(v, verb, f) ?? badVerb(v, verb);
  if (typeof v === 'boolean') return verb === 'v' || verb === 't' ? pad(String(v), f, false) : badVerb(v, verb);
  if (typeof v === 'number') {
    const s = Number.isInteger(v) && 'vdboOxXcqU'.includes(verb) ? formatInt(v, verb, f) : formatFloatVerb(v, verb, f);
    return s ?? badVerb(v, verb);
  }
  if (typeof v === 'bigint') return formatInt(Number(v), verb, f) ?? badVerb(v, verb);
  if (typeof v === 'function') return pad('<func>', f, false);
  // Composite values: the verb (and width) applies to each element, as in Go.
  if (Array.isArray(v)) return '[' + v.map((e) => formatArg(e, verb, f)).join(' ') + ']';
  const obj = v as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(compareStrings)
    .map((k) => formatArg(k, verb, f) + ':' + formatArg(obj[k], verb, f));
  return 'map[' + parts.join(' ') + ']';
}

/** Byte-wise string order, like Go's sort of string map keys (ASCII-exact). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validRune(r: number): boolean {
  return Number.isInteger(r) && r >= 0 && r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff);
}

/** strconv's escaping of one rune inside a quoted literal. */
function escapeRune(ch: string, quote: string): string {
  const r = ch.codePointAt(0) ?? 0;
  if (ch === '\\') return '\\\\';
  if (ch === quote) return '\\' + ch;
  if (r >= 0xd800 && r <= 0xdfff) return '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go
  if (isPrintable(ch)) return ch;
  switch (ch) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + r.toString(16).padStart(2, '0');
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0');
  return '\\U' + r.toString(16).padStart(8, '0');
}
