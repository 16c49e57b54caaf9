/**
 * The key=value flag values docker's opts package maps (labels, env, --opt,
 * --log-opt, sysctls, filters, env and label files): one parser each, shared
 * by every command that takes them.
 */

/** Go's strings.Cut: before, after, whether sep was found. */
export function cut(s: string, sep: string): [string, string, boolean] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, '', false] : [s.slice(0, i), s.slice(i + sep.length), true];
}

/** opts.ConvertKVStringsToMap: `k=v` → k: v, `k` alone → k: "". The last value of a key wins. */
export function kvMap(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const [k, val] = cut(v, '=');
    out[k] = val;
  }
  return out;
}

/** opts.ValidateLabel: the problem with a `key[=value]` label, or undefined when it is fine. */
export function labelProblem(value: string): string | undefined {
  const key = cut(value, '=')[0].replace(/^[ \t]+/, '');
  if (key === '') return `invalid label '${value}': empty name`;
  if (/[ \t]/.test(key)) return `label '${key}' contains whitespaces`;
  return undefined;
}

/**
 * `--filter k=v` values → the API's filters object (`{"k":["v"]}`); bad(value)
 * makes the error for a value without a name (each command words it its way).
 */
export function parseFilters(values: readonly string[] | undefined, bad: (value: string) => Error): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of values ?? []) {
    const [k, v, ok] = cut(f, '=');
    if (!ok || k === '') throw bad(f);
    (out[k] ??= []).push(v);
  }
  return out;
}

/** The filters object as the `filters` query parameter: JSON, or nothing when empty. */
export function filtersParam(filters: Record<string, string[]>): string | undefined {
  return Object.keys(filters).length ? JSON.stringify(filters) : undefined;
}

const IS_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * pkg/kvfile.Parse: the lines of an env file or label file (`text`, read
 * from `path`). A line without "=" takes its value from lookup when given
 * (env files) and is dropped when lookup has none.
 */
export function parseKVFile(path: string, text: string, lookup?: (k: string) => string | undefined): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  lines.forEach((raw, idx) => {
    let l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (idx === 0 && l.startsWith('\ufeff')) l = l.slice(1);
    const line = l.replace(IS_SPACE, '');
    if (line.length === 0 || line[0] === '#') return;
    const [key, , hasValue] = cut(line, '=');
    if (key.length === 0) throw new Error(`invalid env file (${path}): no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`invalid env file (${path}): variable '${key}' contains whitespaces`);
    if (hasValue) out.push(line);
    else if (lookup) {
      const v = lookup(line);
      if (v !== undefined) out.push(`${key}=${v}`);
    }
  });
  return out;
}
