/**
 * `GET /events` wire format: one JSON object per event (moby
 * api/types/events.Message), fields in Go's struct order:
 *
 *   {"status":"start","id":"92e4…","from":"busybox","Type":"container","Action":"start",
 *    "Actor":{"ID":"92e4…","Attributes":{"image":"busybox","name":"peaceful_napier"}},
 *    "scope":"local","time":1764302916,"timeNano":1764302916454183661}
 *
 * `status`, `id` and `from` are the deprecated fields (API < 1.52) that older
 * clients still read: container events carry status=Action, id=Actor.ID,
 * from=Actor.Attributes.image; image events status and id.
 *
 * timeNano is an int64 past 2^53, so it is a bigint here: JSON.stringify
 * cannot write it and JSON.parse would round it. Use encodeEventMessage and
 * decodeEventMessage.
 */

/** moby's event types. */
export type EventType = 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EventMessage {
  /** Deprecated: Action (container and image events, API < 1.52). */
  status?: string;
  /** Deprecated: Actor.ID (container and image events, API < 1.52). */
  id?: string;
  /** Deprecated: Actor.Attributes.image (container events, API < 1.52). */
  from?: string;
  Type: EventType | (string & {});
  Action: string;
  Actor: EventActor;
  /** `local` for engine events, `swarm` for cluster events. */
  scope?: string;
  /** Unix seconds. */
  time?: number;
  /** Unix nanoseconds. */
  timeNano?: bigint;
}

/**
 * The JSON text of a message as Go's encoder writes it (json.NewEncoder, as
 * the daemon's stream uses): struct order, empty deprecated fields and
 * zero times omitted, attribute keys sorted, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped (escapeHTML false leaves `<`, `>`, `&` alone, as the docker
 * CLI's `json` template function does). No trailing newline.
 */
export function encodeEventMessage(m: EventMessage, opts: { escapeHTML?: boolean } = {}): string {
  const q = opts.escapeHTML === false ? quoteNoHTML : quote;
  let s = '{';
  if (m.status) s += `"status":${q(m.status)},`;
  if (m.id) s += `"id":${q(m.id)},`;
  if (m.from) s += `"from":${q(m.from)},`;
  s += `"Type":${q(m.Type)},"Action":${q(m.Action)},"Actor":${encodeEventActor(m.Actor, opts)}`;
  if (m.scope) s += `,"scope":${q(m.scope)}`;
  if (m.time) s += `,"time":${Math.trunc(m.time)}`;
  if (m.timeNano) s += `,"timeNano":${m.timeNano.toString()}`;
  return s + '}';
}

/** The JSON of an Actor: `{"ID":…,"Attributes":{…sorted…}}`. */
export function encodeEventActor(a: EventActor, opts: { escapeHTML?: boolean } = {}): string {
  return `{"ID":${(opts.escapeHTML === false ? quoteNoHTML : quote)(a.ID)},"Attributes":${encodeEventAttributes(a.Attributes, opts)}}`;
}

/** The JSON of Attributes (a Go map: keys sorted). */
export function encodeEventAttributes(attrs: Readonly<Record<string, string>>, opts: { escapeHTML?: boolean } = {}): string {
  const q = opts.escapeHTML === false ? quoteNoHTML : quote;
  const keys = Object.keys(attrs).sort(byBytes);
  return '{' + keys.map((k) => `${q(k)}:${q(attrs[k]!)}`).join(',') + '}';
}

/**
 * Parses one message, keeping timeNano exact. Throws SyntaxError on bad JSON.
 */
export function decodeEventMessage(text: string): EventMessage {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const actor = (raw['Actor'] ?? {}) as { ID?: unknown; Attributes?: unknown };
  const attrs: Record<string, string> = {};
  if (actor.Attributes && typeof actor.Attributes === 'object') {
    for (const [k, v] of Object.entries(actor.Attributes as Record<string, unknown>)) attrs[k] = String(v);
  }
  const m: EventMessage = {
    Type: str(raw['Type']),
    Action: str(raw['Action']),
    Actor: { ID: str(actor.ID), Attributes: attrs },
  };
  if (typeof raw['status'] === 'string' && raw['status']) m.status = raw['status'];
  if (typeof raw['id'] === 'string' && raw['id']) m.id = raw['id'];
  if (typeof raw['from'] === 'string' && raw['from']) m.from = raw['from'];
  if (typeof raw['scope'] === 'string' && raw['scope']) m.scope = raw['scope'];
  if (typeof raw['time'] === 'number') m.time = raw['time'];
  const nano = raw['timeNano'];
  if (typeof nano === 'number') {
    // JSON.parse rounded it; take the digits from the text. Every other value
    // in a message is a string (where a quote would be escaped), so a bare
    // number after "timeNano": is this field. Checked against the rounded value.
    const exact = /"timeNano"\s*:\s*(-?\d+)(?![.\deE])/.exec(text)?.[1];
    m.timeNano = exact !== undefined && Math.abs(Number(exact) - nano) <= Math.abs(nano) * 1e-15 ? BigInt(exact) : BigInt(Math.round(nano));
  }
  return m;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Go's sort.Strings order (bytes of UTF-8, which code points also give). */
function byBytes(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const uEscape = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

/** A JSON string as Go's encoder writes it with HTML escaping on. */
function quote(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, uEscape);
}

/** The same with SetEscapeHTML(false). */
function quoteNoHTML(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, uEscape);
}
