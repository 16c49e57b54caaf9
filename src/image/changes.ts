/**
 * `--change` instructions for import and commit: a subset of Dockerfile
 * instructions applied to an image's container defaults, as Docker allows
 * them (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME, WORKDIR).
 */
import { posix } from 'node:path';
import { invalidParameter } from '../errdefs/errdefs.js';
import type { ContainerDefaults } from './oci.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** Applies the changes in order to a copy of cfg and returns it. */
export function applyChanges(cfg: ContainerDefaults, changes: readonly string[]): ContainerDefaults {
  const out: ContainerDefaults = structuredClone(cfg);
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!ALLOWED.includes(instr)) throw invalidParameter(`dockerfile parse error on line 1: ${m[1]} is not a valid change command`);
    if (rest === '' && instr !== 'CMD' && instr !== 'ENTRYPOINT') {
      throw invalidParameter(`dockerfile parse error on line 1: ${instr} requires at least one argument`);
    }
    switch (instr) {
      case 'CMD':
        out.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = commandForm(rest);
        break;
      case 'ENV':
        for (const [k, v] of keyValues(instr, rest)) setEnv(out, k, v);
        break;
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}) };
        for (const [k, v] of keyValues(instr, rest)) out.Labels[k] = v;
        break;
      case 'EXPOSE':
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const p of words(rest)) out.ExposedPorts[exposedPort(p)] = {};
        break;
      case 'VOLUME': {
        out.Volumes = { ...(out.Volumes ?? {}) };
        const paths = rest.startsWith('[') ? jsonArray(rest) : words(rest);
        for (const p of paths) {
          if (p === '') throw invalidParameter('VOLUME specified can not be an empty string');
          out.Volumes[p] = {};
        }
        break;
      }
      case 'WORKDIR':
        out.WorkingDir = posix.resolve('/', out.WorkingDir ?? '/', unquote(rest));
        break;
      case 'USER':
        out.User = unquote(rest);
        break;
      case 'STOPSIGNAL':
        out.StopSignal = unquote(rest);
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), rest];
        break;
    }
  }
  return out;
}

/** JSON exec form `["a","b"]`, or shell form wrapped in `/bin/sh -c`. */
function commandForm(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      return jsonArray(rest);
    } catch {
      /* not JSON after all: shell form, as Docker does */
    }
  }
  return rest === '' ? [] : ['/bin/sh', '-c', rest];
}

function jsonArray(s: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw invalidParameter(`dockerfile parse error: ${s} is not a valid JSON array`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidParameter(`dockerfile parse error: ${s} is not a JSON array of strings`);
  return v;
}

function setEnv(cfg: ContainerDefaults, key: string, value: string): void {
  const env = (cfg.Env ?? []).filter((e) => e.split('=')[0] !== key);
  env.push(`${key}=${value}`);
  cfg.Env = env;
}

function exposedPort(p: string): string {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
  if (!m) throw invalidParameter(`invalid containerPort: ${p}`);
  return `${m[1]}${m[2] ? `-${m[2]}` : ''}/${(m[3] ?? 'tcp').toLowerCase()}`;
}

/**
 * Splits on unquoted whitespace, honouring double and single quotes and
 * backslash escapes as the Dockerfile parser does.
 */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw invalidParameter(`dockerfile parse error: unmatched quote in ${JSON.stringify(s)}`);
  if (inWord) out.push(cur);
  return out;
}

function unquote(s: string): string {
  const w = words(s);
  return w.join(' ');
}

/** `k=v k2="v 2"` pairs, or the legacy `ENV key value with spaces` form. */
function keyValues(instr: string, rest: string): [string, string][] {
  const ws = words(rest);
  if (!ws[0]!.includes('=')) {
    // Legacy form: one key, the rest of the line is the value.
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw invalidParameter(`dockerfile parse error on line 1: ${instr} must have two arguments`);
    return [[m[1]!, unquote(m[2]!)]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidParameter(`dockerfile parse error on line 1: ${instr} names can not be blank (in ${JSON.stringify(w)})`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}
