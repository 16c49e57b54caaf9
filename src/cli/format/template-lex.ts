/**
 * The lexer of Go's text/template, a port of text/template/parse/lex.go:
 * state functions emit tokens up to the first error, which becomes an error
 * token so the parser reports it in order. Also the literal syntax (Go
 * strings, runes and numbers) the parser needs.
 */
import { goQuote } from './gofmt.js';

// ---------------------------------------------------------------------------
// Lexer

export type TokenType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | Keyword;

const KEYWORDS = ['.', 'block', 'break', 'continue', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with'] as const;
type Keyword = 'dot' | Exclude<(typeof KEYWORDS)[number], '.'>;
export const KEYWORD_TYPES: ReadonlySet<string> = new Set<string>(['dot', ...KEYWORDS.filter((k) => k !== '.')]);

export interface Token {
  readonly type: TokenType;
  readonly pos: number;
  readonly val: string;
}

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}
function isAlphaNumeric(c: string): boolean {
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}
function hasLeftTrimMarker(s: string, i: number): boolean {
  return s[i] === '-' && isSpace(s[i + 1]);
}
function hasRightTrimMarker(s: string, i: number): boolean {
  return isSpace(s[i]) && s[i + 1] === '-';
}

/** Go's %#U: U+0023 '#'. */
function runeDesc(c: string): string {
  const hex = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}

interface StateFn {
  (l: Lexer): StateFn | null;
}

/** A port of text/template/parse's state-function lexer; tokens end at the first error. */
class Lexer {
  readonly tokens: Token[] = [];
  pos = 0;
  start = 0;
  private width = 0;
  parenDepth = 0;

  constructor(readonly input: string) {}

  run(): Token[] {
    let state: StateFn | null = lexText;
    while (state) state = state(this);
    return this.tokens;
  }

  /** The next rune, or '' at the end. */
  next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return '';
    }
    const c = String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0);
    this.width = c.length;
    this.pos += c.length;
    return c;
  }
  peek(): string {
    const c = this.next();
    this.backup();
    return c;
  }
  backup(): void {
    this.pos -= this.width;
  }
  emit(type: TokenType): void {
    this.tokens.push({ type, pos: this.start, val: this.input.slice(this.start, this.pos) });
    this.start = this.pos;
  }
  ignore(): void {
    this.start = this.pos;
  }
  accept(valid: string): boolean {
    const c = this.next();
    if (c !== '' && valid.includes(c)) return true;
    this.backup();
    return false;
  }
  acceptRun(valid: string): void {
    while (this.accept(valid));
  }
  errorf(msg: string): null {
    this.tokens.push({ type: 'error', pos: this.start, val: msg });
    return null;
  }
  /** [at a right delimiter, with a trim marker before it] */
  atRightDelim(): [boolean, boolean] {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT, this.pos + 2)) return [true, true];
    return [this.input.startsWith(RIGHT, this.pos), false];
  }
  /** Whether the next rune may end an identifier, field or variable. */
  atTerminator(): boolean {
    const r = this.peek();
    return isSpace(r) || r === '' || '.,|:)('.includes(r) || r === RIGHT[0];
  }
}

function leftTrimLength(s: string, from: number): number {
  let i = from;
  while (isSpace(s[i])) i++;
  return i - from;
}

function lexText(l: Lexer): StateFn | null {
  const x = l.input.indexOf(LEFT, l.pos);
  if (x < 0) {
    l.pos = l.input.length;
    if (l.pos > l.start) l.emit('text');
    l.emit('eof');
    return null;
  }
  let trim = 0;
  if (hasLeftTrimMarker(l.input, x + LEFT.length)) {
    let i = x;
    while (i > l.start && isSpace(l.input[i - 1])) i--;
    trim = x - i;
  }
  l.pos = x - trim;
  if (l.pos > l.start) l.emit('text');
  l.pos = x;
  l.ignore();
  return lexLeftDelim;
}

function lexLeftDelim(l: Lexer): StateFn | null {
  l.pos += LEFT.length;
  const after = hasLeftTrimMarker(l.input, l.pos) ? 2 : 0;
  if (l.input.startsWith('/*', l.pos + after)) {
    l.pos += after;
    l.ignore();
    return lexComment;
  }
  l.emit('leftDelim');
  l.pos += after;
  l.ignore();
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): StateFn | null {
  l.pos += 2;
  const end = l.input.indexOf('*/', l.pos);
  if (end < 0) return l.errorf('unclosed comment');
  l.pos = end + 2;
  const [delim, trim] = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  l.pos += (trim ? 2 : 0) + RIGHT.length;
  if (trim) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn | null {
  const trim = hasRightTrimMarker(l.input, l.pos);
  if (trim) {
    l.pos += 2;
    l.ignore();
  }
  l.pos += RIGHT.length;
  l.emit('rightDelim');
  if (trim) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

function lexInsideAction(l: Lexer): StateFn | null {
  const [delim] = l.atRightDelim();
  if (delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === '') return l.errorf('unclosed action');
  if (isSpace(r)) {
    l.backup(); // the space may start " -}}"
    return lexSpace;
  }
  switch (r) {
    case '=':
      l.emit('assign');
      return lexInsideAction;
    case ':':
      if (l.next() !== '=') return l.errorf('expected :=');
      l.emit('declare');
      return lexInsideAction;
    case '|':
      l.emit('pipe');
      return lexInsideAction;
    case '"':
      return lexQuote;
    case '`':
      return lexRawQuote;
    case '$':
      return lexVariable;
    case "'":
      return lexChar;
    case '(':
      l.emit('leftParen');
      l.parenDepth++;
      return lexInsideAction;
    case ')':
      l.emit('rightParen');
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right paren ${runeDesc(r)}`);
      return lexInsideAction;
  }
  if (r === '.') {
    const c = l.input[l.pos];
    if (c === undefined || c < '0' || c > '9') return lexField;
  }
  if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r.charCodeAt(0) < 0x7f && r >= ' ') {
    l.emit('char');
    return lexInsideAction;
  }
  return l.errorf(`unrecognized character in action: ${runeDesc(r)}`);
}

function lexSpace(l: Lexer): StateFn | null {
  let n = 0;
  while (isSpace(l.peek())) {
    l.next();
    n++;
  }
  // A trim-marked right delimiter starts with a space: leave that space for it.
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT, l.pos + 1)) {
    l.pos--;
    if (n === 1) return lexRightDelim;
  }
  l.emit('space');
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (r !== '' && isAlphaNumeric(r)) continue;
    l.backup();
    if (!l.atTerminator()) return l.errorf(`bad character ${runeDesc(r)}`);
    const word = l.input.slice(l.start, l.pos);
    if (KEYWORD_TYPES.has(word) && word !== 'dot') l.emit(word as Keyword);
    else if (word === 'true' || word === 'false') l.emit('bool');
    else l.emit('identifier');
    return lexInsideAction;
  }
}

function lexField(l: Lexer): StateFn | null {
  return lexFieldOrVariable(l, 'field');
}

function lexVariable(l: Lexer): StateFn | null {
  if (l.atTerminator()) {
    l.emit('variable');
    return lexInsideAction;
  }
  return lexFieldOrVariable(l, 'variable');
}

function lexFieldOrVariable(l: Lexer, type: 'field' | 'variable'): StateFn | null {
  if (l.atTerminator()) {
    l.emit(type === 'variable' ? 'variable' : 'dot');
    return lexInsideAction;
  }
  let r: string;
  for (;;) {
    r = l.next();
    if (r === '' || !isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${runeDesc(r)}`);
  l.emit(type);
  return lexInsideAction;
}

function lexChar(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (r === '\\') {
      const e = l.next();
      if (e !== '' && e !== '\n') continue;
    }
    if (r === '\\' || r === '' || r === '\n') return l.errorf('unterminated character constant');
    if (r === "'") break;
  }
  l.emit('charConstant');
  return lexInsideAction;
}

function lexNumber(l: Lexer): StateFn | null {
  if (!scanNumber(l)) return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
  const sign = l.peek();
  if (sign === '+' || sign === '-') {
    if (!scanNumber(l) || l.input[l.pos - 1] !== 'i') {
      return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
    }
    l.emit('complex');
  } else {
    l.emit('number');
  }
  return lexInsideAction;
}

function scanNumber(l: Lexer): boolean {
  l.accept('+-');
  let digits = '0123456789_';
  if (l.accept('0')) {
    if (l.accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (l.accept('oO')) digits = '01234567_';
    else if (l.accept('bB')) digits = '01_';
  }
  l.acceptRun(digits);
  if (l.accept('.')) l.acceptRun(digits);
  if (digits.length === 11 && l.accept('eE')) {
    l.accept('+-');
    l.acceptRun('0123456789_');
  }
  if (digits.length === 23 && l.accept('pP')) {
    l.accept('+-');
    l.acceptRun('0123456789_');
  }
  l.accept('i');
  const next = l.peek();
  if (next !== '' && isAlphaNumeric(next)) {
    l.next();
    return false;
  }
  return true;
}

function lexQuote(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (r === '\\') {
      const e = l.next();
      if (e !== '' && e !== '\n') continue;
    }
    if (r === '\\' || r === '' || r === '\n') return l.errorf('unterminated quoted string');
    if (r === '"') break;
  }
  l.emit('string');
  return lexInsideAction;
}

function lexRawQuote(l: Lexer): StateFn | null {
  const end = l.input.indexOf('`', l.pos);
  if (end < 0) return l.errorf('unterminated raw quoted string');
  l.pos = end + 1;
  l.emit('rawString');
  return lexInsideAction;
}

// ---------------------------------------------------------------------------
// Literals

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};

/**
 * strconv.Unquote for "...", `...` and '...'. \x and octal escapes yield raw
 * bytes, so the result is built as UTF-8 and decoded (bad bytes become U+FFFD).
 */
export function unquote(q: string): string {
  const quote = q[0];
  if (q.length < 2 || q[q.length - 1] !== quote) throw new Error('invalid syntax');
  const body = q.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' && quote !== "'") throw new Error('invalid syntax');
  const bytes: number[] = [];
  const pushRune = (r: number): void => {
    if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) throw new Error('invalid syntax');
    bytes.push(...Buffer.from(String.fromCodePoint(r), 'utf8'));
  };
  let runes = 0;
  for (let i = 0; i < body.length; ) {
    const c = String.fromCodePoint(body.codePointAt(i) ?? 0);
    runes++;
    if (c === quote || c === '\n') throw new Error('invalid syntax');
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      i += c.length;
      continue;
    }
    const e = body[i + 1] ?? '';
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) bytes.push(simple);
    else if (e === quote) bytes.push(quote.charCodeAt(0));
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new Error('invalid syntax');
      i += n;
      if (e === 'x') bytes.push(parseInt(hex, 16));
      else pushRune(parseInt(hex, 16));
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new Error('invalid syntax');
      i += 2;
      bytes.push(parseInt(oct, 8));
    } else {
      throw new Error('invalid syntax');
    }
  }
  if (quote === "'" && runes !== 1) throw new Error('invalid syntax');
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** Go number literal syntax: decimal, 0x/0o/0b and legacy-octal integers, decimal floats. */
export function parseNumberLiteral(text: string): number | undefined {
  let s = text.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  const radix: [RegExp, number][] = [
    [/^0[xX]([0-9a-fA-F]+)$/, 16],
    [/^0[oO]([0-7]+)$/, 8],
    [/^0[bB]([01]+)$/, 2],
    [/^0([0-7]+)$/, 8],
  ];
  for (const [re, base] of radix) {
    const m = re.exec(s);
    if (m?.[1] !== undefined) return sign * parseInt(m[1], base);
  }
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return sign * Number(s);
  return undefined;
}

/** Tokenizes template text; the last token is eof or an error. */
export function lex(text: string): Token[] {
  return new Lexer(text).run();
}
