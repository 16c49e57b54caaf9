/**
 * `.dockerignore` as the docker CLI reads and applies it: moby/patternmatcher
 * (the matcher docker/cli and go-archive use) and its ignorefile reader,
 * ported rule for rule. npm's gitignore matchers (`ignore`, minimatch) differ
 * from it (`*` never crosses a `/` here, a pattern is anchored at the context
 * root, a parent directory's match covers what is below it, `!` re-includes
 * only what it names), so build contexts would differ from docker's.
 *
 * Patterns are slash-separated and cleaned (Go's path.Clean); `*` and `?`
 * never match `/`, `**` matches any number of path segments (also none),
 * `[…]` classes and `\` escapes are filepath.Match's. Later patterns win; a
 * `!` pattern re-includes what earlier ones excluded.
 */

/** Go's path.Clean: the shortest equivalent slash path (`.` for empty). */
export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's path.Dir. */
function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  return goClean(i < 0 ? '' : p.slice(0, i + 1));
}

/** A pattern's syntax error, with filepath.ErrBadPattern's text. */
export class BadPatternError extends Error {
  constructor(readonly pattern: string) {
    super('syntax error in pattern');
  }
}

/**
 * filepath.Match's syntax check (what patternmatcher.New calls it for): a
 * `\` must escape something, a `[` class must close and hold valid ranges.
 */
function checkSyntax(p: string): void {
  const chars = [...p];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      if (++i >= chars.length) throw new BadPatternError(p);
    } else if (c === '[') {
      i = checkClass(chars, i + 1, p);
    }
  }
}

/** Checks a class body starting after `[`; returns the index of its `]`. */
function checkClass(chars: string[], start: number, p: string): number {
  let i = start;
  if (chars[i] === '^') i++;
  let count = 0;
  for (;;) {
    if (i >= chars.length) throw new BadPatternError(p);
    if (chars[i] === ']' && count > 0) return i;
    const lo = classChar(chars, i, p);
    i = lo.next;
    if (chars[i] === '-') {
      const hi = classChar(chars, i + 1, p);
      if (hi.ch < lo.ch) throw new BadPatternError(p);
      i = hi.next;
    }
    count++;
  }
}

function classChar(chars: string[], i: number, p: string): { ch: string; next: number } {
  let c = chars[i];
  if (c === undefined || c === '-' || c === ']') throw new BadPatternError(p);
  if (c === '\\') {
    c = chars[++i];
    if (c === undefined) throw new BadPatternError(p);
  }
  return { ch: c, next: i + 1 };
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

const REGEXP_SPECIAL = new Set([...'.+()|{}$']);

/** One cleaned pattern and how it matches (patternmatcher.Pattern). */
export class Pattern {
  readonly exclusion: boolean;
  /** The cleaned pattern, without its `!`. */
  readonly cleaned: string;
  readonly dirs: string[];
  private type: MatchType = 'exact';
  private regexp: RegExp | undefined;

  constructor(raw: string) {
    let p = goClean(raw);
    this.exclusion = p.startsWith('!');
    if (this.exclusion) {
      if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
      p = p.slice(1);
    }
    checkSyntax(p);
    this.cleaned = p;
    this.dirs = p.split('/');
    this.compile();
  }

  matches(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        // `**/foo` also matches `foo` itself.
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.regexp!.test(path);
    }
  }

  /** patternmatcher's compile: the pattern as a regular expression, or a cheaper string test. */
  private compile(): void {
    const chars = [...this.cleaned];
    let re = '^';
    let type: MatchType = 'exact';
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === '*') {
        if (chars[i + 1] === '*') {
          const first = i === 0;
          i++;
          // `**/` is `**`: the slash is eaten.
          if (chars[i + 1] === '/') i++;
          if (i + 1 >= chars.length) {
            // A trailing `**` accepts everything below, as .gitignore does.
            if (type === 'exact') type = 'prefix';
            else {
              re += '.*';
              type = 'regexp';
            }
          } else {
            re += '(.*/)?';
            type = 'regexp';
          }
          if (first) type = 'suffix';
        } else {
          re += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        re += '[^/]';
        type = 'regexp';
      } else if (REGEXP_SPECIAL.has(ch)) {
        re += `\\${ch}`;
      } else if (ch === '\\') {
        // An escaped character stands for itself (filepath.Match's meaning);
        // letters and digits go bare, as `\d` or `\w` would be classes here.
        const next = chars[++i];
        if (next === undefined) re += '\\\\';
        else {
          re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
          type = 'regexp';
        }
      } else if (ch === '[' || ch === ']') {
        re += ch;
        type = 'regexp';
      } else re += ch;
    }
    if (type === 'regexp') {
      try {
        this.regexp = new RegExp(`${re}$`);
      } catch {
        throw new BadPatternError(this.cleaned);
      }
    }
    this.type = type;
  }
}

/** What a directory's match left for its children (patternmatcher.MatchInfo). */
export type MatchInfo = readonly boolean[] | undefined;

/** A list of patterns applied in order (patternmatcher.PatternMatcher). */
export class PatternMatcher {
  readonly patterns: Pattern[];
  /** Whether any pattern is a `!` exception. */
  readonly exclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => p.trim()).filter((p) => p !== '').map((p) => new Pattern(p));
    this.exclusions = this.patterns.some((p) => p.exclusion);
  }

  /**
   * Whether path (slash-separated, relative to the context) is excluded:
   * by a pattern naming it or any of its parent directories, and not
   * re-included by a later `!` pattern (MatchesOrParentMatches).
   */
  matchesOrParentMatches(path: string): boolean {
    const parents = parentPrefixes(path);
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      const hit = p.matches(path) || parents.some((d) => p.matches(d));
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * The deprecated Matches docker's TrimBuildFilesFromExcludes still uses:
   * only the parent directory as deep as the pattern is checked.
   */
  matchesLegacy(path: string): boolean {
    const parent = goDir(path);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let hit = p.matches(path);
      if (!hit && parent !== '.' && p.dirs.length <= parentDirs.length) hit = p.matches(parentDirs.slice(0, p.dirs.length).join('/'));
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * MatchesUsingParentResults, as go-archive's walk uses it: the parent
   * directory's per-pattern results stand for the parent checks.
   */
  matchesUsingParentResults(path: string, parent: MatchInfo): { matched: boolean; info: boolean[] } {
    const info: boolean[] = new Array<boolean>(this.patterns.length).fill(false);
    let matched = false;
    this.patterns.forEach((p, i) => {
      let hit = parent?.[i] ?? false;
      if (!hit) {
        if (p.exclusion !== matched) return;
        hit = p.matches(path);
        if (!hit && parent === undefined) hit = parentPrefixes(path).some((d) => p.matches(d));
      }
      info[i] = hit;
      if (hit) matched = !p.exclusion;
    });
    return { matched, info };
  }
}

/** `a`, `a/b` for `a/b/c` (none for a top-level name). */
function parentPrefixes(path: string): string[] {
  const parent = goDir(path);
  if (parent === '.') return [];
  const dirs = parent.split('/');
  return dirs.map((_d, i) => dirs.slice(0, i + 1).join('/'));
}

/**
 * The patterns of a .dockerignore file (moby/patternmatcher/ignorefile):
 * BOM stripped, `#` comment lines skipped, blanks trimmed, each pattern
 * cleaned and made relative (`/a` is `a`), `!` kept in front.
 */
export function parseIgnoreFile(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = goClean(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}

/**
 * docker's TrimBuildFilesFromExcludes: the Dockerfile (unless it comes from
 * stdin) and .dockerignore are always sent, so exceptions for them are
 * added when the patterns would exclude them; the daemon drops them itself.
 */
export function keepBuildFiles(excludes: readonly string[], dockerfile: string, dockerfileFromStdin: boolean): string[] {
  const out = [...excludes];
  const excluded = (name: string): boolean => {
    const file = goClean(name);
    return file !== '.' && new PatternMatcher(out).matchesLegacy(file);
  };
  if (excluded('.dockerignore')) out.push('!.dockerignore');
  if (!dockerfileFromStdin && excluded(dockerfile)) out.push(`!${dockerfile}`);
  return out;
}
