/**
 * Template functions: Go's text/template builtins and the extras docker adds
 * in docker/cli templates/templates.go (json, split, join, title, lower,
 * upper, pad, truncate), plus the header variants docker uses to render a
 * table's header row from the same template.
 */
import { encodeJSON } from './gojson.js';
import { formatValue, goTypeName, isPrintable, sprint, sprintf, sprintln } from './gofmt.js';

export interface TemplateFunc {
  /** Number of fixed parameters. */
  readonly arity: number;
  /** Whether more arguments may follow the fixed ones. */
  readonly variadic: boolean;
  readonly call: (args: unknown[]) => unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

export function defineFunc(arity: number, variadic: boolean, call: (args: unknown[]) => unknown): TemplateFunc {
  return { arity, variadic, call };
}

/**
 * An argument of the wrong type. Go reports these while converting arguments,
 * before the call, so the message carries no "error calling f:" prefix.
 */
export class ArgTypeError extends Error {}

// ---------------------------------------------------------------------------
// Value helpers shared with the executor

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's truth: false, 0, nil, and empty strings, arrays and maps are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function expectString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) throw new ArgTypeError('invalid value; expected string');
  throw new ArgTypeError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function expectInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v === undefined) throw new ArgTypeError('invalid value; expected int');
  throw new ArgTypeError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

function expectStrings(v: unknown): string[] {
  if (Array.isArray(v) && v.every((e) => typeof e === 'string')) return v as string[];
  if (v === undefined) throw new ArgTypeError('invalid value; expected []string');
  throw new ArgTypeError(`wrong type for value; expected []string; got ${goTypeName(v)}`);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------
// Comparison (Go 1.18+ semantics, lenient about int vs float because JSON
// numbers lose that distinction)

type Kind = 'bool' | 'number' | 'string' | 'nil' | 'other';

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(args: unknown[]): boolean {
  const [a, ...rest] = args;
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const ka = kindOf(a);
  for (const b of rest) {
    const kb = kindOf(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    if (ka !== kb) throw new Error('incompatible types for comparison');
    if (ka === 'other') throw new Error(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    if (a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'nil' || ka === 'other' || kb === 'nil' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'bool') throw new Error('invalid type for comparison');
  return (a as number | string) < (b as number | string);
}

// ---------------------------------------------------------------------------
// index, slice, len

function indexOne(item: unknown, key: unknown): unknown {
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  if (typeof item === 'string' || Array.isArray(item)) {
    if (key === null || key === undefined) throw new Error('cannot index slice/array with nil');
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
    }
    const len = typeof item === 'string' ? byteLength(item) : item.length;
    if (key < 0 || key >= len) throw new Error(`index out of range: ${key}`);
    // Indexing a Go string yields a byte.
    return typeof item === 'string' ? Buffer.from(item, 'utf8')[key] : item[key];
  }
  if (isMap(item)) {
    const k = key === null || key === undefined ? '' : key;
    if (typeof k !== 'string') throw new Error(`${goTypeName(k)} is not index type for map[string]interface {}`);
    if (Object.hasOwn(item, k)) return item[k];
    // Go returns the element type's zero value. Docker indexes mostly
    // map[string]string (labels, options), whose zero value is "".
    return Object.values(item).every((v) => typeof v === 'string') ? '' : undefined;
  }
  throw new Error(`can't index item of type ${goTypeName(item)}`);
}

function slice(args: unknown[]): unknown {
  const [item, ...indexes] = args;
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = byteLength(item);
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`cannot index slice/array with type ${goTypeName(x)}`);
    if (x < 0 || x > len) throw new Error(`index out of range: ${x}`);
    idx[i] = x;
  });
  const [i = 0, j = len, k = len] = idx;
  if (i > j) throw new Error(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new Error(`invalid slice index: ${j} > ${k}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(i, j).toString('utf8');
  return item.slice(i, j);
}

function length(v: unknown): number {
  if (v === null || v === undefined) throw new Error('len of nil pointer');
  if (typeof v === 'string') return byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

// ---------------------------------------------------------------------------
// Escapers

/** text/template's evalArgs: one string as is, otherwise Sprint, missing values as "<no value>". */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === "'" || ch === '"') out += '\\' + ch;
    else if (ch === '<') out += '\\u003C';
    else if (ch === '>') out += '\\u003E';
    else if (ch === '&') out += '\\u0026';
    else if (ch === '=') out += '\\u003D';
    else if (c < 0x20) out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c >= 0x80 && !isPrintable(ch)) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** net/url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// ---------------------------------------------------------------------------
// Builtins

const andFunc = defineFunc(1, true, (args) => {
  for (const a of args) if (!isTrue(a)) return a;
  return args[args.length - 1];
});
const orFunc = defineFunc(1, true, (args) => {
  for (const a of args) if (isTrue(a)) return a;
  return args[args.length - 1];
});

/** and/or short-circuit: the executor evaluates their arguments lazily. */
export function isShortCircuit(f: TemplateFunc): 'and' | 'or' | undefined {
  return f === andFunc ? 'and' : f === orFunc ? 'or' : undefined;
}

export const builtins: FuncMap = {
  and: andFunc,
  or: orFunc,
  not: defineFunc(1, false, ([a]) => !isTrue(a)),
  len: defineFunc(1, false, ([a]) => length(a)),
  index: defineFunc(1, true, ([item, ...keys]) => keys.reduce<unknown>(indexOne, item)),
  slice: defineFunc(1, true, slice),
  print: defineFunc(0, true, (args) => sprint(args)),
  println: defineFunc(0, true, (args) => sprintln(args)),
  printf: defineFunc(1, true, ([format, ...args]) => sprintf(expectString(format), args)),
  eq: defineFunc(1, true, eq),
  ne: defineFunc(2, false, ([a, b]) => !eq([a, b])),
  lt: defineFunc(2, false, ([a, b]) => lt(a, b)),
  le: defineFunc(2, false, ([a, b]) => lt(a, b) || eq([a, b])),
  gt: defineFunc(2, false, ([a, b]) => !(lt(a, b) || eq([a, b]))),
  ge: defineFunc(2, false, ([a, b]) => !lt(a, b)),
  html: defineFunc(0, true, (args) => evalArgs(args).replace(/["'&<>]/g, (c) => HTML_ESCAPES[c] ?? c)),
  js: defineFunc(0, true, (args) => jsEscape(evalArgs(args))),
  urlquery: defineFunc(0, true, (args) => queryEscape(evalArgs(args))),
  call: defineFunc(1, true, ([fn, ...args]) => {
    if (typeof fn !== 'function') throw new Error(`non-function of type ${goTypeName(fn)}`);
    return (fn as (...a: unknown[]) => unknown)(...args);
  }),
};

// ---------------------------------------------------------------------------
// Docker's functions

/** strings.Title: upper-case the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? simpleCase(ch, 'upper') : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if ((ch.codePointAt(0) ?? 0) <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** Go maps case rune by rune; JS may expand (ß → SS), which Go never does. */
function simpleCase(s: string, dir: 'upper' | 'lower'): string {
  let out = '';
  for (const ch of s) {
    const m = dir === 'upper' ? ch.toUpperCase() : ch.toLowerCase();
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

/** strings.Split: an empty separator splits into runes. */
function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function truncate(s: string, n: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length < n) return s;
  if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
  return bytes.subarray(0, n).toString('utf8');
}

export const dockerFuncs: FuncMap = {
  json: defineFunc(1, false, ([v]) => {
    try {
      // docker's encoder turns off HTML escaping; errors yield an empty string.
      return encodeJSON(v, { escapeHTML: false });
    } catch {
      return '';
    }
  }),
  split: defineFunc(2, false, ([s, sep]) => split(expectString(s), expectString(sep))),
  join: defineFunc(2, false, ([a, sep]) => expectStrings(a).join(expectString(sep))),
  title: defineFunc(1, false, ([s]) => title(expectString(s))),
  lower: defineFunc(1, false, ([s]) => simpleCase(expectString(s), 'lower')),
  upper: defineFunc(1, false, ([s]) => simpleCase(expectString(s), 'upper')),
  pad: defineFunc(3, false, ([s, prefix, suffix]) => {
    const str = expectString(s);
    const [p, q] = [expectInt(prefix), expectInt(suffix)];
    return str === '' ? str : ' '.repeat(Math.max(p, 0)) + str + ' '.repeat(Math.max(q, 0));
  }),
  truncate: defineFunc(2, false, ([s, n]) => truncate(expectString(s), expectInt(n))),
};

/**
 * docker's HeaderFunctions: a table header is rendered by running the row
 * template over a map of header names, with these replacing the functions
 * that would mangle a header. pad is deliberately kept, to keep alignment.
 */
export const headerFuncs: FuncMap = {
  json: defineFunc(1, false, ([v]) => expectString(v)),
  split: defineFunc(2, false, ([v, sep]) => (expectString(sep), expectString(v))),
  join: defineFunc(2, false, ([v, sep]) => (expectString(sep), expectString(v))),
  title: defineFunc(1, false, ([v]) => expectString(v)),
  lower: defineFunc(1, false, ([v]) => expectString(v)),
  upper: defineFunc(1, false, ([v]) => expectString(v)),
  truncate: defineFunc(2, false, ([v, n]) => (expectInt(n), expectString(v))),
};
