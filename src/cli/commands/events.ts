/**
 * `berth events` / `berth system events` (docker/cli cli/command/system/events.go):
 * streams `GET /events` and prints each event as docker does, by default
 *
 *   2026-11-28T04:08:36.454183661Z container start 92e4618d57da… (image=busybox, name=peaceful_napier)
 *
 * (time in the local zone, nine fraction digits; attributes sorted by key),
 * or through a --format template run on docker's events.Message.
 */
import { decodeEventMessage, encodeEventActor, encodeEventAttributes, encodeEventMessage, type EventMessage } from '../../api/types/events.js';
import { CliError, type Cli, type OptSpec } from '../command.js';
import type { CliContext } from '../context.js';
import { marshalJSON } from '../format/gojson.js';
import { Template, TemplateError } from '../format/template.js';
import { filtersQuery } from './shared.js';
import { INSPECT_FORMAT_HELP } from '../format/help-text.js';
import { filtersParam } from '../opts/kv.js';

const OPTIONS: OptSpec[] = [
  { flags: '-f, --filter', arg: 'filter', desc: 'Filter output based on conditions provided', repeat: true },
  { flags: '--format', arg: 'string', desc: INSPECT_FORMAT_HELP },
  { flags: '--since', arg: 'string', desc: 'Show all events created since timestamp' },
  { flags: '--until', arg: 'string', desc: 'Stream events until this timestamp' },
];

const NS = 1_000_000_000n;
/** docker's `json` template function turns HTML escaping off. */
const NO_HTML = { escapeHTML: false };

/**
 * Go's time.Unix(0, ns).Format("2006-01-02T15:04:05.000000000Z07:00") in the
 * local zone: always nine fraction digits, `Z` for a zero offset.
 */
export function rfc3339NanoFixed(ns: bigint): string {
  const nanos = ((ns % NS) + NS) % NS;
  const ms = Number((ns - nanos) / NS) * 1000;
  const east = Math.trunc(-new Date(ms).getTimezoneOffset());
  const t = new Date(ms + east * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}`;
  const time = `${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}.${nanos.toString().padStart(9, '0')}`;
  const zone = east === 0 ? 'Z' : `${east < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(east) / 60))}:${p(Math.abs(east) % 60)}`;
  return `${date}T${time}${zone}`;
}

/** docker's prettyPrintEvent: one line, newline included. */
export function formatEventLine(m: EventMessage): string {
  let s = '';
  if (m.timeNano) s += rfc3339NanoFixed(m.timeNano) + ' ';
  else if (m.time) s += rfc3339NanoFixed(BigInt(Math.trunc(m.time)) * NS) + ' ';
  s += `${m.Type} ${m.Action} ${m.Actor.ID}`;
  const attrs = m.Actor.Attributes;
  const keys = Object.keys(attrs).sort(byBytes);
  if (keys.length > 0) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s + '\n';
}

function byBytes(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * A message as templates see Go's events.Message: its field names, zero
 * values for absent fields, and `{{json .}}` giving the struct's JSON (field
 * order, sorted attributes, no HTML escaping as docker's json function).
 */
export function eventTemplateData(m: EventMessage): Record<string, unknown> {
  const attrs: Record<string | symbol, unknown> = { ...m.Actor.Attributes };
  attrs[marshalJSON] = () => encodeEventAttributes(m.Actor.Attributes, NO_HTML);
  const actor: Record<string | symbol, unknown> = { ID: m.Actor.ID, Attributes: attrs };
  actor[marshalJSON] = () => encodeEventActor(m.Actor, NO_HTML);
  const data: Record<string | symbol, unknown> = {
    Status: m.status ?? '',
    ID: m.id ?? '',
    From: m.from ?? '',
    Type: m.Type,
    Action: m.Action,
    Actor: actor,
    Scope: m.scope ?? '',
    Time: m.time ?? 0,
    TimeNano: m.timeNano ?? 0n,
  };
  data[marshalJSON] = () => encodeEventMessage(m, NO_HTML);
  return data;
}

const EMPTY: EventMessage = { Type: '', Action: '', Actor: { ID: '', Attributes: {} } };

/** A TemplateError's `:line:col:` position, for ordering two errors. */
function errorPos(msg: string): [number, number] {
  const m = /^template: [^:]*:(\d+):(\d+):/.exec(msg);
  return m ? [Number(m[1]), Number(m[2])] : [Number.MAX_SAFE_INTEGER, 0];
}

/**
 * docker's makeTemplate: "" → none (default lines), "json" → {{json .}};
 * parse errors and errors running the template on an empty message are
 * "Error parsing format: …" with status 64. Our templates see maps, so a
 * field events.Message lacks is found by a second run that treats a missing
 * struct field (not attribute) as an error, reported as Go words it.
 */
export function makeEventTemplate(format: string | undefined): Template | undefined {
  if (!format) return undefined;
  const text = format === 'json' ? '{{json .}}' : format;
  const bad = (msg: string) => new CliError(`Error parsing format: ${msg}`, 64);
  let tmpl: Template;
  try {
    tmpl = Template.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
  let first: string | undefined;
  try {
    tmpl.execute(eventTemplateData(EMPTY));
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    first = e.message;
  }
  // Struct fields exist; attribute lookups answer "" so they never count as missing.
  const anyKey = new Proxy({} as Record<string, unknown>, {
    getOwnPropertyDescriptor: (_t, k) => (typeof k === 'string' ? { value: '', writable: true, enumerable: false, configurable: true } : undefined),
    get: (_t, k) => (typeof k === 'string' ? '' : undefined),
  });
  const strict = eventTemplateData(EMPTY);
  (strict['Actor'] as Record<string, unknown>)['Attributes'] = anyKey;
  try {
    tmpl.execute(strict, { missingKey: 'error' });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    const m = /^(template: .*? at <(.*?)>: )map has no entry for key "(.*)"$/s.exec(e.message);
    if (m) {
      const chain = m[2]!;
      const type = /(^|\.)Actor\.[^.]+$/.test(chain) ? 'events.Actor' : '*events.Message';
      const msg = `${m[1]}can't evaluate field ${m[3]} in type ${type}`;
      const [l1, c1] = errorPos(msg);
      const [l2, c2] = first ? errorPos(first) : [Number.MAX_SAFE_INTEGER, 0];
      if (l1 < l2 || (l1 === l2 && c1 < c2)) first = msg;
    }
  }
  if (first !== undefined) throw bad(first);
  return tmpl;
}

/** One event as `events` prints it: the default line, or the template and a newline. */
export function renderEvent(m: EventMessage, tmpl: Template | undefined): string {
  if (!tmpl) return formatEventLine(m);
  try {
    return tmpl.execute(eventTemplateData(m)) + '\n';
  } catch (e) {
    if (e instanceof TemplateError) throw new EventRenderError(e.message, e.output + '\n');
    throw e;
  }
}

/** A template that failed on an event: docker has already printed `output`. */
export class EventRenderError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * Reads a JSON-lines (or JSON-seq) event stream, calling onEvent per message
 * as it arrives.
 */
export async function readEventStream(body: AsyncIterable<Buffer | string>, onEvent: (m: EventMessage) => void): Promise<void> {
  let buf = '';
  const line = (l: string) => {
    const t = l.replace(/^[\s\x1e]+|\s+$/g, '');
    if (t) onEvent(decodeEventMessage(t));
  };
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      line(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  line(buf);
}

export function registerEventsCommand(cli: Cli<CliContext>): void {
  cli.add({
    path: 'events',
    aliases: ['system events'],
    usage: '[OPTIONS]',
    description: 'Get real time events from the server',
    args: { max: 0 },
    options: OPTIONS,
    async action(ctx, _args, o) {
      const tmpl = makeEventTemplate(o['format'] as string | undefined);
      const filters = filtersQuery(o['filter'] as string[]);
      const res = await ctx.client().stream('GET', '/events', {
        query: {
          since: (o['since'] as string | undefined) || undefined,
          until: (o['until'] as string | undefined) || undefined,
          filters: filtersParam(filters),
        },
      });
      try {
        await readEventStream(res, (m) => ctx.out(renderEvent(m, tmpl)));
      } catch (e) {
        if (e instanceof EventRenderError) {
          ctx.out(e.output);
          throw new CliError(e.message, 1);
        }
        if (e instanceof SyntaxError) throw new CliError(e.message, 1);
        throw e;
      } finally {
        res.destroy();
      }
    },
  });
}
