/**
 * Parser for the Go text/template language, following text/template/parse
 * closely so that what parses, and the parse errors ("template: :1:
 * function \"foo\" not defined"), match what docker prints. Left out:
 * {{define}}, {{template}} and {{block}}, which docker's one-shot --format
 * templates have no use for, and complex numbers.
 */
import { goQuote } from './gofmt.js';
import { KEYWORD_TYPES, lex, parseNumberLiteral, unquote, type Token, type TokenType } from './template-lex.js';

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
  return new Parser(name, text, lex(text), hasFunction).parse();
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
