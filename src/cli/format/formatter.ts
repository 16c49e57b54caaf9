/**
 * docker's --format handling (docker/cli cli/command/formatter and
 * cli/command/inspect): "table" layouts with a header row, "json", and
 * custom templates for list commands, and the output of inspect.
 */
import { formatValue } from './gofmt.js';
import { encodeJSON, marshalJSON } from './gojson.js';
import { TabWriter } from './tabwriter.js';
import { Template, TemplateError, headerFuncs, type ExecuteOptions } from './template.js';

export type Row = Readonly<Record<string, unknown>>;

export interface ListOptions {
  /** -q: print only each row's quietField. Commands differ on whether a custom
   * --format wins over -q, so callers pass quiet only when it should apply. */
  readonly quiet?: boolean;
  /** Defaults to "ID". */
  readonly quietField?: string;
}

const TABLE = 'table';

/**
 * Renders rows for a list command the way docker does:
 * - no format or "table": defaultTableFormat;
 * - "table <template>": a header from the template, then rows, aligned;
 * - "json": one compact JSON object per row, keys sorted;
 * - anything else: the template once per row, each followed by a newline.
 * Literal "\t" and "\n" in the format become tab and newline.
 *
 * headers maps a field to its column title ("ID" → "IMAGE ID"); fields not
 * in it get defaultHeader(field). Throws "template parsing error: ..." on a
 * bad template, with nothing rendered.
 */
export function renderList(
  format: string | undefined,
  defaultTableFormat: string,
  rows: readonly Row[],
  headers: Readonly<Record<string, string>>,
  opts: ListOptions = {},
): string {
  let source = format ?? '';
  if (opts.quiet && (source === '' || source === TABLE)) {
    const field = opts.quietField ?? 'ID';
    return rows.map((r) => stringOf(r[field]) + '\n').join('');
  }
  if (source === '' || source === TABLE) {
    source = defaultTableFormat.startsWith(TABLE) ? defaultTableFormat : `${TABLE} ${defaultTableFormat}`;
  }
  const isTable = source.startsWith(TABLE);
  let body = isTable ? source.slice(TABLE.length) : source === 'json' ? '{{json .}}' : source;
  body = body.replace(/^ +| +$/g, '').replaceAll('\\t', '\t').replaceAll('\\n', '\n');

  const tmpl = parseOrThrow(body);
  let out = '';
  for (const row of rows) {
    try {
      out += tmpl.execute(rowContext(row)) + '\n';
    } catch (err) {
      throw wrap(err);
    }
  }
  if (!isTable) return out;

  const tw = new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3, padChar: ' ' });
  tw.write(renderHeader(tmpl, rows, headers));
  tw.write('\n');
  tw.write(out);
  return tw.flush();
}

/**
 * Output of `inspect`: without a format the objects as a JSON array indented
 * by four spaces; "json" compact; otherwise the template per object, each
 * followed by a newline. Objects that fail to render are reported together
 * in an InspectError, whose output holds what the others rendered (docker
 * prints that, then the errors). missingKey "error" is how docker runs the
 * template over raw JSON when its typed run fails.
 */
export function renderInspect(
  format: string | undefined,
  objects: readonly unknown[],
  opts: Pick<ExecuteOptions, 'missingKey'> = {},
): string {
  if (!format || format === 'json') {
    if (objects.length === 0) return '[]\n';
    return encodeJSON(objects, format ? {} : { indent: '    ' }) + '\n';
  }
  const tmpl = parseOrThrow(format);
  let out = '';
  const errors: string[] = [];
  for (const obj of objects) {
    try {
      out += tmpl.execute(obj, opts) + '\n';
    } catch (err) {
      errors.push(wrap(err).message);
    }
  }
  // docker writes a lone newline when nothing rendered.
  if (out === '') out = '\n';
  if (errors.length > 0) throw new InspectError(errors.join('\n'), out);
  return out;
}

export class InspectError extends Error {
  /** What docker still prints to stdout for the objects that rendered. */
  readonly output: string;

  constructor(message: string, output: string) {
    super(message);
    this.name = 'InspectError';
    this.output = output;
  }
}

/**
 * One object through a --format template, as `version`, `info` and similar
 * single-object commands do ("json" means {{json .}}). No trailing newline.
 * name is the template name docker uses in errors (e.g. "version").
 */
export function renderTemplate(format: string, data: unknown, opts: { name?: string } = {}): string {
  const text = format === 'json' ? '{{json .}}' : format;
  try {
    return Template.parse(text, { name: opts.name ?? '' }).execute(data);
  } catch (err) {
    throw wrap(err);
  }
}

/** Column title for a field without an explicit one: "CreatedSince" → "CREATED SINCE". */
export function defaultHeader(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toUpperCase();
}

function parseOrThrow(text: string): Template {
  try {
    return Template.parse(text);
  } catch (err) {
    throw wrap(err);
  }
}

function wrap(err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`template parsing error: ${msg}`, { cause: err });
}

/**
 * A row as the template sees it. Like docker's row contexts, its JSON form
 * ({{json .}} and --format json) has sorted keys and escaped HTML, because
 * docker builds it with json.Marshal over a map of the row's fields.
 */
function rowContext(row: Row): Row {
  // Copied with its accessors: a field computed on demand (CreatedAt) costs only when a format uses it.
  return Object.defineProperties(
    { [marshalJSON]: () => encodeJSON(row, { sortKeys: true, escapeHTML: true }) },
    Object.getOwnPropertyDescriptors(row),
  );
}

/**
 * The header line: docker runs the row template over a map of column titles,
 * with functions like json/lower swapped for pass-throughs. Execution errors
 * are ignored and whatever was written before them is kept, as in docker.
 */
function renderHeader(tmpl: Template, rows: readonly Row[], headers: Readonly<Record<string, string>>): string {
  const titles: Record<string, string> = {};
  for (const row of rows) for (const k of Object.keys(row)) titles[k] = defaultHeader(k);
  Object.assign(titles, headers);
  try {
    return tmpl.execute(titles, { funcs: headerFuncs });
  } catch (err) {
    if (err instanceof TemplateError) return err.output;
    throw err;
  }
}

function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}
