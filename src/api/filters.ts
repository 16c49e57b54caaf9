/**
 * Docker's `filters` query parameter: a JSON object of name → values. Clients
 * send either `{"name":["a","b"]}` or the legacy `{"name":{"a":true}}` form.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

export type Filters = Map<string, string[]>;

export function parseFilters(raw: string | null | undefined): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    throw invalidParameter(`invalid filter: ${raw} is not valid JSON`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalidParameter(`invalid filter: ${raw} is not a JSON object`);
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.set(k, v);
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'boolean')) out.set(k, Object.keys(v));
    else throw invalidParameter(`invalid filter '${k}': values must be a list of strings`);
  }
  return out;
}

/** Rejects filter names the endpoint does not know, with Docker's message. */
export function checkFilterNames(filters: Filters, allowed: readonly string[]): void {
  for (const k of filters.keys()) {
    if (!allowed.includes(k)) throw invalidParameter(`invalid filter '${k}'`);
  }
}

/** Docker's boolean filter values ("true"/"1" or "false"/"0"). */
export function filterBool(filters: Filters, name: string): boolean | undefined {
  const vals = filters.get(name);
  if (!vals || vals.length === 0) return undefined;
  const v = vals[vals.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidParameter(`invalid filter '${name}=${vals[vals.length - 1]}'`);
}

/**
 * Matches `label=key` and `label=key=value` filters against a label map; every
 * given label filter must match (as Docker).
 */
export function matchLabels(filters: Filters, labels: Record<string, string> | null | undefined, name = 'label'): boolean {
  const want = filters.get(name);
  if (!want) return true;
  const l = labels ?? {};
  return want.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return Object.hasOwn(l, w);
    return l[w.slice(0, eq)] === w.slice(eq + 1);
  });
}
