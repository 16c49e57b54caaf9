/**
 * `.dockerignore` as Docker reads and matches it (moby/patternmatcher and
 * ignorefile): one pattern per line, `#` comments, blank lines skipped,
 * patterns cleaned (`./a/` → `a`, a leading `/` dropped), `!` for
 * exceptions, the last matching pattern wins; `*` and `?` never cross `/`,
 * `**` crosses any number of directories, `\` escapes. A path is excluded
 * when it or one of its parent directories matches.
 */
import { posix } from 'node:path';
import { invalidParameter } from '../errdefs/errdefs.js';

interface Pattern {
  re: RegExp;
  exclusion: boolean;
  text: string;
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = lines.flatMap((l) => compile(l));
  }

  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(text.split(/\r?\n/));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether the context path (relative, `/`-separated) is left out of the context. */
  excludes(path: string): boolean {
    const file = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
    const parents = file.split('/').slice(0, -1);
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = p.re.test(file);
      for (let i = 0; !m && i < parents.length; i++) m = p.re.test(parents.slice(0, i + 1).join('/'));
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether a directory excluded by the patterns may still hold an exception
   * (`!dir/keep`): then its walk must go on.
   */
  hasExceptionsUnder(dir: string): boolean {
    return this.patterns.some((p) => p.exclusion && (p.text === dir || p.text.startsWith(`${dir}/`) || /[*?[\\]/.test(p.text)));
  }
}

function compile(line: string): Pattern[] {
  let text = line.trim();
  if (text === '' || text.startsWith('#')) return [];
  let exclusion = false;
  if (text.startsWith('!')) {
    exclusion = true;
    text = text.slice(1).trim();
    if (text === '') throw invalidParameter('illegal exclusion pattern in .dockerignore: "!"');
  }
  text = posix.normalize(text);
  if (text.length > 1 && text.startsWith('/')) text = text.slice(1);
  if (text.length > 1 && text.endsWith('/')) text = text.slice(0, -1);
  return [{ re: toRegExp(text), exclusion, text }];
}

function toRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') re += i + 1 < pattern.length ? `\\${pattern[++i]}` : '\\\\';
    else if (ch === '[') {
      // A character class as filepath.Match writes it; `[!…]` negates.
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidParameter(`syntax error in .dockerignore pattern ${JSON.stringify(pattern)}: unterminated [`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.+()|{}$^]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    throw invalidParameter(`syntax error in .dockerignore pattern ${JSON.stringify(pattern)}`);
  }
}
