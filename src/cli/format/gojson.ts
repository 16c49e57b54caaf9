/**
 * JSON text as Go's encoding/json writes it, which differs from
 * JSON.stringify in the details docker output shows: U+2028/U+2029 are
 * escaped, HTML-sensitive characters optionally become \u003c etc., map keys
 * can be sorted, and values may carry their own encoding (MarshalJSON).
 */

/**
 * A value whose property under this symbol is a function returning JSON text
 * is encoded by that text, like a Go type with a MarshalJSON method. Docker's
 * list rows use this: their JSON has sorted keys and escaped HTML no matter
 * how the enclosing encoder is configured.
 */
export const marshalJSON: unique symbol = Symbol('berth.marshalJSON');

export interface JSONOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (json.Marshal's default). */
  readonly escapeHTML?: boolean;
  /** Sort object keys, as Go does for maps (structs keep field order). */
  readonly sortKeys?: boolean;
  /** Indent unit for json.MarshalIndent-style output; compact when absent. */
  readonly indent?: string;
}

/** Encodes a JSON-shaped value; throws on NaN/Infinity like Go's encoder. */
export function encodeJSON(value: unknown, opts: JSONOptions = {}): string {
  return encode(value, opts, '');
}

function encode(v: unknown, opts: JSONOptions, prefix: string): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return quoteJSON(v, opts.escapeHTML ?? false);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`);
      // JS and Go switch to exponent form at the same thresholds (1e-6, 1e21).
      return String(v);
    case 'bigint':
      return v.toString();
    case 'function':
    case 'symbol':
      throw new Error(`json: unsupported type: ${typeof v}`);
  }
  const obj = v as Record<string | symbol, unknown>;
  const custom = obj[marshalJSON];
  if (typeof custom === 'function') return String((custom as () => unknown).call(v));
  const toJSON = obj['toJSON'];
  if (typeof toJSON === 'function') return encode((toJSON as () => unknown).call(v), opts, prefix);

  const inner = opts.indent === undefined ? '' : prefix + opts.indent;
  const open = opts.indent === undefined ? '' : '\n' + inner;
  const close = opts.indent === undefined ? '' : '\n' + prefix;
  const colon = opts.indent === undefined ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + open + v.map((e) => encode(e, opts, inner)).join(',' + open) + close + ']';
  }
  let keys = Object.keys(obj).filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function');
  if (opts.sortKeys) keys = keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return '{}';
  const members = keys.map((k) => quoteJSON(k, opts.escapeHTML ?? false) + colon + encode(obj[k], opts, inner));
  return '{' + open + members.join(',' + open) + close + '}';
}

const HEX = '0123456789abcdef';

/** A JSON string literal with Go's escaping rules. */
export function quoteJSON(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) {
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (c >= 0x20 && !(escapeHTML && (ch === '<' || ch === '>' || ch === '&'))) out += ch;
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate: Go sees invalid UTF-8
    } else if (c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16);
    } else {
      out += ch;
    }
  }
  return out + '"';
}
