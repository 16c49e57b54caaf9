/**
 * Lexer and parser for the Go text/template language, following
 * text/template/parse closely so that what parses, and the parse errors
 * ("template: :1: function \"foo\" not defined"), match what docker prints.
 * Left out: {{define}}, {{template}} and {{block}}, which docker's one-shot
 * --format templates have no use for, and complex numbers.
 */
import { goQuote } from './gofmt.js';

// ---------------------------------------------------------------------------
// AST

export interface TextNode {
  readonly type: 'text';
  readonly pos: number;
  readonly text: string;
}
export interface ActionNode {
  readonly type: 'action';
  readonly pos: number;
  readonly pipe: PipeNode;
}
/** if and with share a shape; with also rebinds dot. */
export interface BranchNode {
  readonly type: 'if' | 'with' | 'range';
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface LoopControlNode {
  readonly type: 'break' | 'continue';
  readonly pos: number;
}
export interface ListNode {
  readonly type: 'list';
  readonly pos: number;
  readonly nodes: Node[];
}
export type Node = TextNode | ActionNode | BranchNode | LoopControlNode | ListNode;

export interface PipeNode {
  readonly type: 'pipe';
  readonly pos: number;
  readonly decl: VariableNode[];
  isAssign: boolean;
  readonly cmds: CommandNode[];
}
export interface CommandNode {
  readonly type: 'command';
  readonly pos: number;
  readonly args: ArgNode[];
}
export interface FieldNode {
  readonly type: 'field';
  readonly pos: number;
  readonly idents: readonly string[];
}
/** idents[0] is the variable name with its $, the rest are fields. */
export interface VariableNode {
  readonly type: 'variable';
  readonly pos: number;
  readonly idents: readonly string[];
}
export interface ChainNode {
  readonly type: 'chain';
  readonly pos: number;
  readonly node: ArgNode;
  readonly fields: readonly string[];
}
export interface IdentifierNode {
  readonly type: 'identifier';
  readonly pos: number;
  readonly name: string;
}
export interface LiteralNode {
  readonly type: 'dot' | 'nil' | 'bool' | 'number' | 'string';
  readonly pos: number;
  readonly value: unknown;
  /** Source text, for error messages. */
  readonly text: string;
}
export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | LiteralNode | PipeNode;
export type AnyNode = Node | CommandNode | ArgNode;

/** Go's Node.String(): the node written back as template source. */
export function nodeString(n: AnyNode | EndOrElse): string {
  switch (n.type) {
    case 'text':
      return n.text;
    case 'action':
      return '{{' + nodeString(n.pipe) + '}}';
    case 'if':
    case 'with':
    case 'range': {
      const els = n.elseList ? '{{else}}' + nodeString(n.elseList) : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break':
    case 'continue':
    case 'end':
    case 'else':
      return `{{${n.type}}}`;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'pipe': {
      const decl = n.decl.length ? n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ') : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case 'field':
      return n.idents.map((i) => '.' + i).join('');
    case 'variable':
      return n.idents.join('.');
    case 'chain': {
      const base = n.node.type === 'pipe' ? '(' + nodeString(n.node) + ')' : nodeString(n.node);
      return base + n.fields.map((f) => '.' + f).join('');
    }
    case 'identifier':
      return n.name;
    default:
      return n.text;
  }
}

// ---------------------------------------------------------------------------
// Lexer

type TokenType =
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
const KEYWORD_TYPES: ReadonlySet<string> = new Set<string>(['dot', ...KEYWORDS.filter((k) => k !== '.')]);

interface Token {
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
function parseNumberLiteral(text: string): number | undefined {
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

// ---------------------------------------------------------------------------
// Parser

interface EndOrElse {
  readonly type: 'end' | 'else';
  readonly pos: number;
}

function isEndOrElse(n: Node | EndOrElse): n is EndOrElse {
  return n.type === 'end' || n.type === 'else';
}

export class TemplateError extends Error {
  /** Output written before an execution error, which Go leaves in the writer. */
  readonly output: string;

  constructor(message: string, output = '') {
    super(message);
    this.name = 'TemplateError';
    this.output = output;
  }
}

const OPERAND_START: ReadonlySet<TokenType> = new Set<TokenType>([
  'bool',
  'charConstant',
  'complex',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

/** Parses template text into a list node; hasFunction decides which identifiers are functions. */
export function parse(name: string, text: string, hasFunction: (name: string) => boolean): ListNode {
  return new Parser(name, text, new Lexer(text).run(), hasFunction).parse();
}

class Parser {
  private i = 0;
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly tokens: readonly Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  private at(i: number): Token {
    const idx = Math.min(i, this.tokens.length - 1);
    this.furthest = Math.max(this.furthest, idx);
    const tok = this.tokens[idx];
    if (!tok) throw new Error('template lexer produced no tokens');
    return tok;
  }
  private next(): Token {
    return this.at(this.i++);
  }
  private backup(): void {
    this.i--;
  }
  private peek(): Token {
    return this.at(this.i);
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(msg: string): never {
    // Like Go, report the line of the furthest token read.
    const pos = this.at(this.furthest).pos;
    const line = 1 + (this.text.slice(0, pos).match(/\n/g)?.length ?? 0);
    throw new TemplateError(`template: ${this.name}:${line}: ${msg}`);
  }
  private unexpected(tok: Token, context: string): never {
    if (tok.type === 'error') this.errorf(tok.val);
    this.errorf(`unexpected ${tokenString(tok)} in ${context}`);
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (isEndOrElse(n)) return this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  /** Nodes up to an {{end}} or {{else}}, which is returned separately. */
  private itemList(): [ListNode, EndOrElse] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (isEndOrElse(n)) return [list, n];
      list.nodes.push(n);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | EndOrElse {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return this.action();
    return this.unexpected(t, 'input');
  }

  private action(): Node | EndOrElse {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'block':
      case 'define':
      case 'template':
        return this.errorf(`{{${t.type}}} is not supported`);
      case 'break':
      case 'continue':
        return this.loopControl(t);
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with':
        return this.control(t.type);
    }
    this.backup();
    const pos = this.peek().pos;
    // Variables declared here persist until the enclosing {{end}}.
    return { type: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(t: Token): LoopControlNode {
    const type = t.type === 'break' ? 'break' : 'continue';
    const after = this.nextNonSpace();
    if (after.type !== 'rightDelim') this.unexpected(after, `{{${type}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${type}}} outside {{range}}`);
    return { type, pos: t.pos };
  }

  private elseControl(): EndOrElse {
    const peek = this.peekNonSpace();
    // "{{else if" and "{{else with" leave the keyword for the enclosing control.
    if (peek.type === 'if' || peek.type === 'with') return { type: 'else', pos: peek.pos };
    return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private control(type: 'if' | 'range' | 'with'): BranchNode {
    const savedVars = this.vars.length;
    try {
      const pipe = this.pipeline(type, 'rightDelim');
      if (type === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (type === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        const peek = this.peek();
        if (type !== 'range' && peek.type === type) {
          // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.control(type)] };
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = savedVars;
    }
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const pipe: PipeNode = { type: 'pipe', pos: this.peekNonSpace().pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: "$x :=", "$x =", or "$i, $v :=" in range.
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().type;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!OPERAND_START.has(t.type)) this.unexpected(t, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const first = c.args[0]?.type;
      if (first === 'bool' || first === 'dot' || first === 'nil' || first === 'number' || first === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  /** A term followed by field accesses: .X.Y, $x.Y, (pipe).Y */
  private operand(): ArgNode | null {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { type: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { type: 'chain', pos, node, fields };
    }
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos, value: undefined, text: '.' };
      case 'nil':
        return { type: 'nil', pos: t.pos, value: null, text: 'nil' };
      case 'variable':
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable ${goQuote(t.val)}`);
        return { type: 'variable', pos: t.pos, idents: [t.val] };
      case 'field':
        return { type: 'field', pos: t.pos, idents: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true', text: t.val };
      case 'complex':
        return this.errorf(`complex numbers are not supported: ${t.val}`);
      case 'charConstant':
      case 'number':
        return { type: 'number', pos: t.pos, value: this.number(t), text: t.val };
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, value: this.unquote(t.val), text: t.val };
    }
    this.backup();
    return null;
  }

  private number(t: Token): number {
    if (t.type === 'charConstant') {
      const s = this.unquote(t.val);
      return s.codePointAt(0) ?? 0;
    }
    const n = parseNumberLiteral(t.val);
    if (n === undefined || !Number.isFinite(n)) this.errorf(`illegal number syntax: ${goQuote(t.val)}`);
    return n;
  }

  private unquote(q: string): string {
    try {
      return unquote(q);
    } catch (err) {
      if (q.startsWith("'")) this.errorf(`malformed character constant: ${q}`);
      return this.errorf((err as Error).message);
    }
  }
}

/** Go's item.String(), used in "unexpected X in Y" messages. */
function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return goQuote(runes.slice(0, 10).join('')) + '...';
  return goQuote(t.val);
}
