/**
 * The Dockerfile syntax as Docker's parser reads it (moby/buildkit
 * frontend/dockerfile/parser): parser directives at the top (`# escape=`,
 * `# syntax=`, `# check=`), comments, line continuations with the escape
 * character, and each instruction's argument form (JSON array or shell form,
 * `key=value` pairs, leading `--flag=value` options). Variables are not
 * substituted here: the builder does that per instruction (shell-lex.ts),
 * with the environment of the moment.
 *
 * Error contract: throws InvalidParameter with Docker's message and the line
 * number for what Docker refuses at parse time.
 */
import { invalidParameter } from '../../errdefs/errdefs.js';

export interface Instruction {
  /** Lower-case keyword (`run`, `copy`…). */
  cmd: string;
  /** `--name=value` options before the arguments (`--from=build`, `--chown=1:1`). */
  flags: Flag[];
  /** The arguments: the JSON array's strings, or the words / the one string of the shell form. */
  args: string[];
  /** The arguments were a JSON array. */
  json: boolean;
  /** The instruction as written (continuations joined), for messages and `Step n/m :` lines. */
  original: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** ONBUILD's instruction. */
  next?: Instruction;
  /** HEALTHCHECK CMD's arguments are in `next` (cmd `cmd`); NONE has args ['NONE']. */
}

export interface Flag {
  name: string;
  /** undefined for a bare `--flag` (a boolean). */
  value: string | undefined;
}

export interface Dockerfile {
  escape: string;
  /** The `# syntax=` directive, accepted and reported, not followed (no frontends). */
  syntax?: string;
  instructions: Instruction[];
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

/** Instructions and how their arguments are read. */
const FORMS: Record<string, 'json-or-string' | 'json-or-words' | 'words' | 'name-val' | 'string' | 'onbuild' | 'healthcheck'> = {
  from: 'words',
  run: 'json-or-string',
  cmd: 'json-or-string',
  entrypoint: 'json-or-string',
  shell: 'json-or-string',
  copy: 'json-or-words',
  add: 'json-or-words',
  volume: 'json-or-words',
  env: 'name-val',
  label: 'name-val',
  arg: 'words',
  expose: 'words',
  user: 'string',
  workdir: 'string',
  stopsignal: 'string',
  maintainer: 'string',
  onbuild: 'onbuild',
  healthcheck: 'healthcheck',
};

/** Parses a Dockerfile's text. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let syntax: string | undefined;
  let i = 0;
  const seen = new Set<string>();
  // Directives: only at the very top, before any other line (even a comment or a blank one).
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(key)) break;
    if (seen.has(key)) throw invalidParameter(`only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\') throw invalidParameter(`invalid escape token '${m[2]}' does not match ` + '` or \\');
      escape = m[2]!;
    } else if (key === 'syntax') syntax = m[2];
  }
  const continuation = new RegExp(`${escapeRe(escape)}[ \\t]*$`);
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const startLine = i + 1;
    let line = trimLeft(lines[i++]!);
    if (line === '' || line.startsWith('#')) continue;
    let joined = '';
    // Continuation lines: comment lines and blank lines inside are skipped (as Docker does).
    while (continuation.test(line)) {
      joined += line.replace(continuation, '');
      let next: string | undefined;
      while (i < lines.length) {
        const raw = lines[i++]!;
        const t = trimLeft(raw);
        if (t.startsWith('#') || t.trim() === '') continue;
        next = raw;
        break;
      }
      if (next === undefined) {
        line = '';
        break;
      }
      line = next;
    }
    joined += line;
    instructions.push(parseInstruction(joined.trim(), startLine, escape));
  }
  return { escape, ...(syntax ? { syntax } : {}), instructions };
}

function parseInstruction(text: string, line: number, escape: string): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
  const cmd = m[1]!.toLowerCase();
  let rest = m[2]!;
  const form = FORMS[cmd];
  if (!form) throw invalidParameter(`dockerfile parse error on line ${line}: unknown instruction: ${m[1]!.toUpperCase()}`);
  let flags: Flag[] = [];
  if (cmd !== 'onbuild') ({ flags, rest } = extractFlags(rest, []));
  const base = { cmd, flags, original: text, line };
  switch (form) {
    case 'json-or-string': {
      const arr = tryJsonArray(rest);
      if (arr) return { ...base, args: arr, json: true };
      return { ...base, args: rest === '' ? [] : [rest], json: false };
    }
    case 'json-or-words': {
      const arr = tryJsonArray(rest);
      if (arr) return { ...base, args: arr, json: true };
      return { ...base, args: splitWords(rest), json: false };
    }
    case 'words':
      return { ...base, args: splitWords(rest), json: false };
    case 'string':
      return { ...base, args: rest === '' ? [] : [rest], json: false };
    case 'name-val':
      return { ...base, args: parseNameVal(rest, cmd, line, escape), json: false };
    case 'onbuild': {
      const sub = /^(\S+)/.exec(rest)?.[1]?.toLowerCase();
      if (!sub) throw invalidParameter(`dockerfile parse error on line ${line}: ONBUILD requires at least one argument`);
      if (sub === 'onbuild') throw invalidParameter('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (sub === 'from' || sub === 'maintainer') throw invalidParameter(`${sub.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      return { ...base, args: [rest], json: false, next: parseInstruction(rest, line, escape) };
    }
    case 'healthcheck': {
      const kind = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!kind) throw invalidParameter('HEALTHCHECK requires an argument');
      const type = kind[1]!.toUpperCase();
      if (type === 'NONE') {
        if (kind[2] !== '') throw invalidParameter('HEALTHCHECK NONE takes no arguments');
        return { ...base, args: ['NONE'], json: false };
      }
      if (type !== 'CMD') throw invalidParameter(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
      return { ...base, args: ['CMD'], json: false, next: parseInstruction(`cmd ${kind[2]}`, line, escape) };
    }
  }
}

/** Leading `--name=value` words (Docker's extractBuilderFlags). */
function extractFlags(rest: string, flags: Flag[]): { flags: Flag[]; rest: string } {
  let s = rest;
  for (;;) {
    const m = /^--([^\s=]+)(?:=(\S*))?(?:\s+|$)/.exec(s);
    if (!m) return { flags, rest: s };
    // `--` alone ends the flags; the value keeps any quotes for the builder to process.
    if (m[1] === '') return { flags, rest: s.slice(m[0].length) };
    flags.push({ name: m[1]!, value: m[2] });
    s = s.slice(m[0].length);
  }
}

function tryJsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // Not JSON: the shell form.
  }
  return undefined;
}

/** Whitespace-separated words (Docker's parseStringsWhitespaceDelimited: no quote handling). */
function splitWords(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/[ \t\r\n\v\f]+/);
}

/**
 * ENV and LABEL arguments as `key=value` strings. The legacy form `ENV key
 * value…` (no `=` in the first word) gives one pair whose value is the rest.
 * Words are split on unquoted, unescaped whitespace; quotes and escapes stay
 * in place for the builder's word processing.
 */
function parseNameVal(rest: string, cmd: string, line: number, escape: string): string[] {
  const words = splitQuotedWords(rest, escape);
  if (words.length === 0) throw invalidParameter(`dockerfile parse error on line ${line}: ${cmd.toUpperCase()} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(rest)!;
    if (cmd === 'label' || m[2] === '') throw invalidParameter(`dockerfile parse error on line ${line}: ${cmd.toUpperCase()} must have two arguments`);
    return [`${m[1]}=${m[2]}`];
  }
  for (const w of words) {
    if (!w.includes('=')) throw invalidParameter(`dockerfile parse error on line ${line}: ${cmd.toUpperCase()}: Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (w.startsWith('=')) throw invalidParameter(`dockerfile parse error on line ${line}: ${cmd.toUpperCase()} names can not be blank`);
  }
  return words;
}

function splitQuotedWords(s: string, escape: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote === '' && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && quote !== "'" && i + 1 < s.length) {
      cur += ch + s[++i];
      continue;
    }
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = '';
    cur += ch;
  }
  if (inWord) words.push(cur);
  return words;
}

function trimLeft(s: string): string {
  return s.replace(/^[ \t]+/, '');
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
