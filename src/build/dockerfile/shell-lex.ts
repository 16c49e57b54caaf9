/**
 * Variable substitution in Dockerfile words, as Docker's shell lexer
 * (moby/buildkit frontend/dockerfile/shell/lex.go): `$VAR`, `${VAR}`,
 * `${VAR:-word}` / `${VAR-word}` (default), `${VAR:+word}` / `${VAR+word}`
 * (alternative), `${VAR:?msg}` / `${VAR?msg}` (required); single quotes are
 * literal, double quotes substitute, the escape character (`\` or the
 * `# escape=` one) makes the next character literal (inside double quotes
 * only before `"`, `$` and itself). Quotes are removed. An unset variable is
 * empty.
 *
 * Error contract: InvalidParameter for an unterminated quote or `${`, a bad
 * modifier, or a required variable that is unset.
 */
import { invalidParameter } from '../../errdefs/errdefs.js';

export type Env = ReadonlyMap<string, string>;

/** One word with variables substituted and quotes removed. */
export function processWord(word: string, env: Env, escape = '\\'): string {
  return new Lexer(word, env, escape).word();
}

/**
 * A word list: substituted, then split on unquoted whitespace (Docker's
 * ProcessWords, used where one argument may become several).
 */
export function processWords(text: string, env: Env, escape = '\\'): string[] {
  return new Lexer(text, env, escape).words();
}

/** `k=v` lines (an image's Env) as a lookup map; later entries win. */
export function envMap(entries: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

class Lexer {
  private pos = 0;

  constructor(
    private readonly s: string,
    private readonly env: Env,
    private readonly esc: string,
  ) {}

  word(): string {
    return this.until(undefined).text;
  }

  words(): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (/\s/.test(ch)) {
        this.pos++;
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        continue;
      }
      inWord = true;
      cur += this.one((v) => {
        // Unquoted substitutions split into words too.
        const parts = v.split(/\s+/);
        if (parts.length === 1) return v;
        out.push(cur + parts[0]!);
        for (const p of parts.slice(1, -1)) if (p !== '') out.push(p);
        cur = '';
        return parts.at(-1)!;
      });
    }
    if (inWord) out.push(cur);
    return out;
  }

  /** Reads up to stop (or the end) and returns the processed text. */
  private until(stop: string | undefined): { text: string; stopped: boolean } {
    let text = '';
    while (this.pos < this.s.length) {
      if (stop !== undefined && this.s[this.pos] === stop) {
        this.pos++;
        return { text, stopped: true };
      }
      text += this.one();
    }
    return { text, stopped: false };
  }

  /** Processes one unit at pos: a quoted string, a substitution, an escape or a character. */
  private one(unquoted: (v: string) => string = (v) => v): string {
    const ch = this.s[this.pos++]!;
    if (ch === "'") return this.single();
    if (ch === '"') return this.double();
    if (ch === '$') return unquoted(this.dollar());
    if (ch === this.esc) {
      if (this.pos >= this.s.length) return '';
      return this.s[this.pos++]!;
    }
    return ch;
  }

  private single(): string {
    const end = this.s.indexOf("'", this.pos);
    if (end < 0) throw invalidParameter(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(this.s)}`);
    const t = this.s.slice(this.pos, end);
    this.pos = end + 1;
    return t;
  }

  private double(): string {
    let t = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos++]!;
      if (ch === '"') return t;
      if (ch === '$') t += this.dollar();
      else if (ch === this.esc) {
        const next = this.s[this.pos];
        if (next === undefined) continue;
        if (next === '"' || next === '$' || next === this.esc) {
          t += next;
          this.pos++;
        } else t += ch;
      } else t += ch;
    }
    throw invalidParameter(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(this.s)}`);
  }

  private dollar(): string {
    if (this.s[this.pos] !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.env.get(name) ?? '');
    }
    this.pos++;
    const name = this.name();
    const ch = this.s[this.pos++];
    if (ch === '}') return this.env.get(name) ?? '';
    if (ch === undefined) throw invalidParameter(`missing '}' in ${JSON.stringify(this.s)}`);
    if (name === '') throw invalidParameter(`bad substitution in ${JSON.stringify(this.s)}: missing variable name`);
    let colon = false;
    let op = ch;
    if (ch === ':') {
      colon = true;
      op = this.s[this.pos++];
    }
    if (op !== '-' && op !== '+' && op !== '?') {
      throw invalidParameter(`unsupported modifier (${colon ? ':' : ''}${op ?? ''}) in substitution of ${JSON.stringify(this.s)}`);
    }
    const { text: word, stopped } = this.until('}');
    if (!stopped) throw invalidParameter(`missing '}' in ${JSON.stringify(this.s)}`);
    const value = this.env.get(name);
    // With the colon, an empty value counts as unset.
    const set = value !== undefined && (!colon || value !== '');
    switch (op) {
      case '-':
        return set ? value! : word;
      case '+':
        return set ? word : '';
      default:
        if (!set) throw invalidParameter(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }

  private name(): string {
    const m = /^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(this.s.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }
}
