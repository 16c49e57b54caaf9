/**
 * Regular expressions in Go's syntax (RE2, what dockerd's filters use),
 * matched in time linear in the input: a Thompson NFA simulation, no
 * backtracking. JavaScript's RegExp backtracks: a client's `name=(a+)+$`
 * against a long name would hold the event loop for minutes.
 *
 * Supported: literals and escapes (\t \n \x41 \x{263a} \Q…\E, escaped
 * punctuation), `.`, classes (`[a-z]`, `[^…]`, `[[:alpha:]]`, \d \s \w and
 * their negations, \pL \p{Greek} \PL), anchors (^ $ \A \z \b \B), groups
 * ((…), (?:…), (?P<n>…), (?<n>…)), flags (i m s U, `(?i)` and `(?i:…)`),
 * repetition (* + ? {n} {n,} {n,m}, lazy forms) and alternation. Only
 * whether a match exists is computed (no captures), which is all filters need.
 *
 * Costs are bounded twice: a compiled program has at most MAX_INSTRUCTIONS
 * (Go also refuses counts over 1000 in one repetition), and a matcher stops
 * with RegexpTooExpensive once it has spent its budget of steps.
 */

import { EngineError } from '../errdefs/errdefs.js';

export class RegexpSyntaxError extends Error {}

/** A match that spent its budget: the client's pattern is refused (400). */
export class RegexpTooExpensive extends EngineError {
  constructor(source: string) {
    super('InvalidParameter', `the regular expression ${JSON.stringify(source)} is too expensive to match: use a simpler filter`);
  }
}

/** Instructions in one compiled program: `x{1000}` of a small x fits, nested counts do not. */
export const MAX_INSTRUCTIONS = 20_000;
const MAX_REPEAT = 1000;
/** Steps a matcher may take over all its calls (about a tenth of a second). */
export const DEFAULT_BUDGET = 10_000_000;

type Pred = (cp: number) => boolean;
type AssertKind = 'bot' | 'eot' | 'bol' | 'eol' | 'word' | 'nonword';

type Node =
  | { t: 'char'; pred: Pred }
  | { t: 'empty' }
  | { t: 'assert'; kind: AssertKind }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

// --- character sets ------------------------------------------------------------------

const isWordCp = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const ranges = (rs: [number, number][]): Pred => (c) => rs.some(([lo, hi]) => c >= lo && c <= hi);
const not = (p: Pred): Pred => (c) => !p(c);

const PERL: Record<string, Pred> = {
  d: ranges([[48, 57]]),
  s: ranges([[9, 10], [12, 13], [32, 32]]),
  w: isWordCp,
};

const POSIX: Record<string, Pred> = {
  alnum: ranges([[48, 57], [65, 90], [97, 122]]),
  alpha: ranges([[65, 90], [97, 122]]),
  ascii: ranges([[0, 127]]),
  blank: ranges([[9, 9], [32, 32]]),
  cntrl: ranges([[0, 31], [127, 127]]),
  digit: ranges([[48, 57]]),
  graph: ranges([[33, 126]]),
  lower: ranges([[97, 122]]),
  print: ranges([[32, 126]]),
  punct: ranges([[33, 47], [58, 64], [91, 96], [123, 126]]),
  space: ranges([[9, 13], [32, 32]]),
  upper: ranges([[65, 90]]),
  word: isWordCp,
  xdigit: ranges([[48, 57], [65, 70], [97, 102]]),
};

/** \p{Name}: a Unicode general category or script, tested one code point at a time (linear). */
function unicodeClass(name: string): Pred {
  if (name === 'Any') return () => true;
  for (const src of [`^\\p{${name}}$`, `^\\p{Script=${name}}$`]) {
    let re: RegExp;
    try {
      re = new RegExp(src, 'u');
    } catch {
      continue;
    }
    return (c) => re.test(String.fromCodePoint(c));
  }
  throw new RegexpSyntaxError(`invalid character class range: \\p{${name}}`);
}

function folded(p: Pred): Pred {
  return (c) => {
    if (p(c)) return true;
    const s = String.fromCodePoint(c);
    const lo = s.toLowerCase().codePointAt(0)!;
    const up = s.toUpperCase().codePointAt(0)!;
    return (lo !== c && p(lo)) || (up !== c && p(up));
  };
}

// --- parser --------------------------------------------------------------------------

class Parser {
  private pos = 0;
  private readonly cps: number[];

  constructor(source: string) {
    this.cps = Array.from(source, (ch) => ch.codePointAt(0)!);
  }

  parse(): Node {
    const n = this.alternation({ i: false, m: false, s: false });
    if (this.pos < this.cps.length) throw new RegexpSyntaxError('unexpected ): the pattern has an unmatched closing parenthesis');
    return n;
  }

  private peek(off = 0): string | undefined {
    const c = this.cps[this.pos + off];
    return c === undefined ? undefined : String.fromCodePoint(c);
  }

  private next(): string {
    const c = this.peek();
    if (c === undefined) throw new RegexpSyntaxError('unexpected end of pattern');
    this.pos++;
    return c;
  }

  private alternation(flags: Flags): Node {
    const items = [this.concat(flags)];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.concat(flags));
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  /** A sequence up to `|` or `)`; `(?flags)` changes flags for the rest of it (and of the enclosing group). */
  private concat(flags: Flags): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '(' && this.peek(1) === '?' && this.flagsOnlyGroup(flags)) continue;
      let atom = this.atom(flags);
      let repeated = false;
      for (;;) {
        const q = this.quantifier();
        if (!q) break;
        if (repeated) throw new RegexpSyntaxError('invalid nested repetition operator');
        if (atom.t === 'empty') throw new RegexpSyntaxError('missing argument to repetition operator');
        repeated = true;
        atom = { t: 'rep', node: atom, min: q.min, max: q.max };
      }
      items.push(atom);
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  /** `(?imsU-imsU)`: applies to what follows; returns false when this is not such a group. */
  private flagsOnlyGroup(flags: Flags): boolean {
    const save = this.pos;
    this.pos += 2;
    const f = this.flagLetters(flags);
    if (f && this.peek() === ')') {
      this.pos++;
      Object.assign(flags, f);
      return true;
    }
    this.pos = save;
    return false;
  }

  /** Parses `ims-U`-style flag letters (none is allowed); undefined when none were there. */
  private flagLetters(flags: Flags): Flags | undefined {
    const f = { ...flags };
    let neg = false;
    let any = false;
    for (;;) {
      const c = this.peek();
      if (c === 'i' || c === 'm' || c === 's') f[c] = !neg;
      else if (c === 'U') {
        /* ungreedy: no effect on whether a match exists */
      } else if (c === '-' && !neg) neg = true;
      else break;
      any = true;
      this.pos++;
    }
    return any ? f : undefined;
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    let q: { min: number; max: number } | undefined;
    if (c === '*') q = { min: 0, max: -1 };
    else if (c === '+') q = { min: 1, max: -1 };
    else if (c === '?') q = { min: 0, max: 1 };
    if (q) this.pos++;
    else if (c === '{') q = this.counted();
    if (!q) return undefined;
    if (this.peek() === '?') this.pos++; // lazy: same matches exist
    return q;
  }

  /** `{n}`, `{n,}`, `{n,m}`; anything else is a literal `{` (as in Go). */
  private counted(): { min: number; max: number } | undefined {
    const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 24));
    const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) throw new RegexpSyntaxError(`invalid repeat count: ${m[0]}`);
    this.pos += m[0].length;
    return { min, max };
  }

  private atom(flags: Flags): Node {
    const c = this.next();
    switch (c) {
      case '(':
        return this.group(flags);
      case '[':
        return this.charNode(this.cls(), flags);
      case '.':
        return { t: 'char', pred: flags.s ? () => true : (x) => x !== 10 };
      case '^':
        return { t: 'assert', kind: flags.m ? 'bol' : 'bot' };
      case '$':
        return { t: 'assert', kind: flags.m ? 'eol' : 'eot' };
      case '*':
      case '+':
      case '?':
        throw new RegexpSyntaxError(`missing argument to repetition operator: ${c}`);
      case '\\':
        return this.escapeAtom(flags);
      default: {
        const cp = c.codePointAt(0)!;
        return this.charNode((x) => x === cp, flags);
      }
    }
  }

  private charNode(pred: Pred, flags: Flags): Node {
    return { t: 'char', pred: flags.i ? folded(pred) : pred };
  }

  private group(flags: Flags): Node {
    const inner = { ...flags };
    if (this.peek() === '?') {
      this.pos++;
      const c = this.peek();
      if (c === 'P' && this.peek(1) === '<') {
        this.pos += 2;
        this.groupName();
      } else if (c === '<') {
        this.pos++;
        this.groupName();
      } else {
        const f = this.flagLetters(flags);
        if (this.peek() !== ':') throw new RegexpSyntaxError('invalid or unsupported Perl syntax: (?' + (c ?? ''));
        this.pos++;
        if (f) Object.assign(inner, f);
      }
    }
    const n = this.alternation(inner);
    if (this.next() !== ')') throw new RegexpSyntaxError('missing closing )');
    return n;
  }

  private groupName(): void {
    let name = '';
    for (let c = this.next(); c !== '>'; c = this.next()) name += c;
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new RegexpSyntaxError(`invalid named capture: ${name}`);
  }

  private escapeAtom(flags: Flags): Node {
    const c = this.peek();
    if (c === 'A') return this.skip({ t: 'assert', kind: 'bot' });
    if (c === 'z') return this.skip({ t: 'assert', kind: 'eot' });
    if (c === 'b') return this.skip({ t: 'assert', kind: 'word' });
    if (c === 'B') return this.skip({ t: 'assert', kind: 'nonword' });
    if (c === 'Q') {
      this.pos++;
      const items: Node[] = [];
      while (this.pos < this.cps.length && !(this.peek() === '\\' && this.peek(1) === 'E')) {
        const cp = this.cps[this.pos++]!;
        items.push(this.charNode((x) => x === cp, flags));
      }
      if (this.pos < this.cps.length) this.pos += 2;
      return items.length === 0 ? { t: 'empty' } : items.length === 1 ? items[0]! : { t: 'cat', items };
    }
    return this.charNode(this.escapeSet(), flags);
  }

  private skip(n: Node): Node {
    this.pos++;
    return n;
  }

  /** An escape that stands for characters (after the backslash): a class or one code point. */
  private escapeSet(): Pred {
    const c = this.next();
    const lower = c.toLowerCase();
    const perl = PERL[lower];
    if (perl && (c === lower || c === lower.toUpperCase())) return c === lower ? perl : not(perl);
    if (c === 'p' || c === 'P') {
      let name = this.next();
      if (name === '{') {
        name = '';
        for (let x = this.next(); x !== '}'; x = this.next()) name += x;
      }
      let p = unicodeClass(name.startsWith('^') ? name.slice(1) : name);
      if (name.startsWith('^') !== (c === 'P')) p = not(p);
      return p;
    }
    const cp = this.escapedCodePoint(c);
    return (x) => x === cp;
  }

  private escapedCodePoint(c: string): number {
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (c in simple) return simple[c]!;
    if (c === 'x') {
      let hex = '';
      if (this.peek() === '{') {
        this.pos++;
        for (let x = this.next(); x !== '}'; x = this.next()) hex += x;
      } else hex = this.next() + this.next();
      const v = /^[0-9a-fA-F]{1,8}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(v <= 0x10ffff)) throw new RegexpSyntaxError(`invalid escape sequence: \\x${hex}`);
      return v;
    }
    if (/^[0-7]$/.test(c)) {
      // Octal, as Go: \0 alone or up to three digits; \1-\7 alone would be a backreference, which RE2 has not.
      let oct = c;
      while (oct.length < 3 && /^[0-7]$/.test(this.peek() ?? '')) oct += this.next();
      if (c !== '0' && oct.length === 1) throw new RegexpSyntaxError(`invalid escape sequence: \\${c}`);
      return parseInt(oct, 8);
    }
    const cp = c.codePointAt(0)!;
    if (cp < 128 && !/[0-9A-Za-z]/.test(c)) return cp; // escaped punctuation
    throw new RegexpSyntaxError(`invalid escape sequence: \\${c}`);
  }

  /** A bracketed class, after `[`. */
  private cls(): Pred {
    let negate = false;
    if (this.peek() === '^') {
      this.pos++;
      negate = true;
    }
    const parts: Pred[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new RegexpSyntaxError('missing closing ]');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === '[' && this.peek(1) === ':') {
        const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 16));
        const m = /^\[:(\^?)([a-z]+):\]/.exec(rest);
        if (m) {
          const p = POSIX[m[2]!];
          if (!p) throw new RegexpSyntaxError(`invalid character class range: ${m[0]}`);
          parts.push(m[1] ? not(p) : p);
          this.pos += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom();
      if (typeof lo === 'function') {
        parts.push(lo);
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom();
        if (typeof hi === 'function' || hi < lo) throw new RegexpSyntaxError('invalid character class range');
        parts.push((x) => x >= lo && x <= hi);
      } else {
        parts.push((x) => x === lo);
      }
    }
    const any: Pred = (x) => parts.some((p) => p(x));
    return negate ? not(any) : any;
  }

  /** One code point, or a class escape, inside brackets. */
  private classAtom(): number | Pred {
    const c = this.next();
    if (c !== '\\') return c.codePointAt(0)!;
    const e = this.peek();
    if (e !== undefined && 'dDsSwWpP'.includes(e)) return this.escapeSet();
    return this.escapedCodePoint(this.next());
  }
}

// --- program ---------------------------------------------------------------------------

const CHAR = 0;
const SPLIT = 1;
const ASSERT = 2;
const MATCH = 3;

interface Inst {
  op: number;
  out: number;
  out1: number;
  pred?: Pred;
  kind?: AssertKind;
}

function compileProgram(root: Node): { insts: Inst[]; start: number } {
  const insts: Inst[] = [{ op: MATCH, out: -1, out1: -1 }];
  const emit = (i: Inst): number => {
    if (insts.length >= MAX_INSTRUCTIONS) throw new RegexpSyntaxError('expression too large');
    insts.push(i);
    return insts.length - 1;
  };
  // Built back to front: each node is compiled knowing where it continues.
  const build = (n: Node, next: number): number => {
    switch (n.t) {
      case 'empty':
        return next;
      case 'char':
        return emit({ op: CHAR, out: next, out1: -1, pred: n.pred });
      case 'assert':
        return emit({ op: ASSERT, out: next, out1: -1, kind: n.kind });
      case 'cat': {
        let at = next;
        for (let i = n.items.length - 1; i >= 0; i--) at = build(n.items[i]!, at);
        return at;
      }
      case 'alt': {
        const starts = n.items.map((it) => build(it, next));
        let at = starts[starts.length - 1]!;
        for (let i = starts.length - 2; i >= 0; i--) at = emit({ op: SPLIT, out: starts[i]!, out1: at });
        return at;
      }
      case 'rep': {
        let at: number;
        if (n.max === -1) {
          const loop = emit({ op: SPLIT, out: -1, out1: next });
          insts[loop]!.out = build(n.node, loop);
          at = loop;
        } else {
          at = next;
          for (let k = 0; k < n.max - n.min; k++) at = emit({ op: SPLIT, out: build(n.node, at), out1: next });
        }
        for (let k = 0; k < n.min; k++) at = build(n.node, at);
        return at;
      }
    }
  };
  const start = build(root, 0);
  return { insts, start };
}

// --- matching --------------------------------------------------------------------------

export interface LinearRegexp {
  /** Whether the pattern matches anywhere in s. Throws RegexpTooExpensive past the budget. */
  test(s: string): boolean;
}

/** Steps left to a matcher (or to several that share it). */
export interface Budget {
  left: number;
}

/**
 * Compiles a Go-syntax pattern; throws RegexpSyntaxError for what Go's
 * regexp.Compile refuses. Matching draws on `budget`.
 */
export function compileRegexp(source: string, budget: Budget = { left: DEFAULT_BUDGET }): LinearRegexp {
  const { insts, start } = compileProgram(new Parser(source).parse());
  const n = insts.length;
  const spend = () => {
    if (--budget.left < 0) throw new RegexpTooExpensive(source);
  };
  return {
    test(s: string): boolean {
      const text = Array.from(s, (ch) => ch.codePointAt(0)!);
      const len = text.length;
      let clist = new Int32Array(n);
      let nlist = new Int32Array(n);
      let ccount = 0;
      let ncount = 0;
      const mark = new Int32Array(n).fill(-1);
      const stack = new Int32Array(n * 2 + 2);
      // Adds pc and everything reachable from it without consuming (splits, assertions) at position i.
      const add = (list: Int32Array, count: number, pc0: number, i: number, gen: number): number | -1 => {
        let sp = 0;
        stack[sp++] = pc0;
        while (sp > 0) {
          const pc = stack[--sp]!;
          if (mark[pc] === gen) continue;
          mark[pc] = gen;
          spend();
          const inst = insts[pc]!;
          if (inst.op === MATCH) return -1;
          if (inst.op === SPLIT) {
            stack[sp++] = inst.out1;
            stack[sp++] = inst.out;
          } else if (inst.op === ASSERT) {
            if (assertHolds(inst.kind!, text, i)) stack[sp++] = inst.out;
          } else list[count++] = pc;
        }
        return count;
      };
      for (let i = 0; ; i++) {
        // Unanchored: a match may start at every position.
        const r = add(clist, ccount, start, i, i);
        if (r === -1) return true;
        ccount = r;
        if (i === len) return false;
        const c = text[i]!;
        ncount = 0;
        for (let k = 0; k < ccount; k++) {
          const inst = insts[clist[k]!]!;
          spend();
          if (inst.pred!(c)) {
            const r2 = add(nlist, ncount, inst.out, i + 1, i + 1);
            if (r2 === -1) return true;
            ncount = r2;
          }
        }
        [clist, nlist] = [nlist, clist];
        ccount = ncount;
      }
    },
  };
}

function assertHolds(kind: AssertKind, text: number[], i: number): boolean {
  switch (kind) {
    case 'bot':
      return i === 0;
    case 'eot':
      return i === text.length;
    case 'bol':
      return i === 0 || text[i - 1] === 10;
    case 'eol':
      return i === text.length || text[i] === 10;
    case 'word':
    case 'nonword': {
      const before = i > 0 && isWordCp(text[i - 1]!);
      const after = i < text.length && isWordCp(text[i]!);
      return (before !== after) === (kind === 'word');
    }
  }
}

/**
 * dockerd's filters.Args.Match for a set of filter values: a value matches a
 * source equal to it, or as a regular expression found in it; a value that is
 * not a valid expression matches only by equality (as Go ignores the
 * compile error). One budget for all the sources the matcher is asked about.
 */
export function filterMatcher(values: readonly string[], budget: Budget = { left: DEFAULT_BUDGET }): (source: string) => boolean {
  const res = values.map((v) => {
    try {
      return compileRegexp(v, budget);
    } catch (e) {
      if (e instanceof RegexpSyntaxError) return undefined;
      throw e;
    }
  });
  return (source) => values.some((v, i) => v === source || (res[i]?.test(source) ?? false));
}

/**
 * Go's path.Match as a matcher (`*` and `?` do not cross `/`; `[…]` classes;
 * `\\` escapes), through the linear engine. A malformed pattern matches
 * nothing. One budget for all the names it is asked about.
 */
export function globMatcher(pattern: string, budget: Budget = { left: DEFAULT_BUDGET }): (s: string) => boolean {
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return () => false;
      let cls = '';
      for (let j = i + 1; j < end; j++) {
        const x = pattern[j]!;
        if (x === '\\' && j + 1 < end) cls += escapeLiteral(pattern[++j]!);
        else cls += x === '[' || x === '\\' ? `\\${x}` : x;
      }
      src += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) src += escapeLiteral(pattern[++i]!);
    else src += escapeLiteral(c);
  }
  let re: LinearRegexp;
  try {
    re = compileRegexp(src + '$', budget);
  } catch (e) {
    if (e instanceof RegexpSyntaxError) return () => false;
    throw e;
  }
  return (s) => re.test(s);
}

const escapeLiteral = (c: string): string => (/[\\.+*?()|[\]{}^$-]/.test(c) ? `\\${c}` : c);
