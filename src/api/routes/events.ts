/**
 * `GET /events?since&until&filters`: Docker's event stream (moby
 * router/system getEvents). Answers 200 at once, then one JSON object per
 * line, each written (and so flushed) as it happens: first the buffered
 * events between since and until, then live ones. Ends at `until`; with an
 * `until` already past, only the buffered events are sent. A client that
 * goes away ends its subscription.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../context.js';
import type { Filters } from '../filters.js';
import type { Route } from '../router.js';
import { encodeEventMessage, type EventMessage } from '../types/events.js';
import { compareVersions } from '../version.js';

/** An event as the engine keeps it (the daemon's event bus hands these out). */
export interface EventRecord {
  readonly type: string;
  readonly action: string;
  readonly actor: { readonly id: string; readonly attributes: Readonly<Record<string, string>> };
  readonly scope: string;
  /** Unix seconds. */
  readonly time: number;
  /** Unix nanoseconds. */
  readonly timeNano: bigint;
}

export interface EventSubscription {
  /** Buffered events to replay first (between since and until), oldest first. */
  readonly past: readonly EventRecord[];
  /** Live events; ends at until or close(); may throw when the subscriber is dropped. */
  readonly stream: AsyncIterable<EventRecord>;
  close(): void;
}

export interface EventsQuery {
  filters: Filters;
  /** Raw query values: Unix seconds[.fraction] as the docker CLI sends, or what other clients pass. */
  since?: string | undefined;
  until?: string | undefined;
}

/** What the events route needs from the daemon (the event bus satisfies it). */
export interface EventsBackend {
  /**
   * Validates since/until (InvalidParameter: bad value, until before since)
   * and subscribes. Called before the response starts, so errors get a status.
   */
  subscribeEvents(q: EventsQuery): EventSubscription;
}

/**
 * The wire message of an event for an API version: before 1.52 container and
 * image events also carry the deprecated status/id(/from) fields.
 */
export function toEventMessage(e: EventRecord, version: string): EventMessage {
  const m: EventMessage = {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actor.id, Attributes: { ...e.actor.attributes } },
    scope: e.scope,
    time: e.time,
    timeNano: e.timeNano,
  };
  if (compareVersions(version, '1.52') < 0 && (e.type === 'container' || e.type === 'image')) {
    m.status = e.action;
    m.id = e.actor.id;
    if (e.type === 'container') {
      const from = e.actor.attributes['image'];
      if (from) m.from = from;
    }
  }
  return m;
}

/** Framing by the Accept header, as moby: JSON lines, or RFC 7464 JSON text sequences. */
function negotiate(req: IncomingMessage): { type: string; prefix: string } {
  const accept = String(req.headers['accept'] ?? '');
  let best: { type: string; prefix: string; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.trim().split(';').map((s) => s.trim());
    const qp = params.find((p) => p.startsWith('q='));
    const qv = qp ? Number(qp.slice(2)) : 1;
    if (!(qv > 0)) continue;
    const m = media.toLowerCase();
    const offer =
      m === 'application/x-ndjson'
        ? { type: m, prefix: '' }
        : m === 'application/json-seq'
          ? { type: m, prefix: '\x1e' }
          : undefined;
    if (offer && (!best || qv > best.q)) best = { ...offer, q: qv };
  }
  return best ? { type: best.type, prefix: best.prefix } : { type: 'application/json', prefix: '' };
}

export function eventRoutes(b: EventsBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/events',
      handler: async (ctx: RequestContext) => {
        const sub = b.subscribeEvents({ filters: ctx.filters(), since: ctx.str('since'), until: ctx.str('until') });
        const res = ctx.res;
        const onClose = () => sub.close();
        res.on('close', onClose);
        try {
          const { type, prefix } = negotiate(ctx.req);
          res.writeHead(200, { 'Content-Type': type });
          res.flushHeaders();
          // Image create events exist from API 1.46 on.
          const skip = compareVersions(ctx.version, '1.46') < 0 ? (e: EventRecord) => e.type === 'image' && e.action === 'create' : () => false;
          const send = async (e: EventRecord): Promise<void> => {
            if (skip(e)) return;
            await ctx.write(prefix + encodeEventMessage(toEventMessage(e, ctx.version)) + '\n');
          };
          for (const e of sub.past) {
            if (res.destroyed) return;
            await send(e);
          }
          for await (const e of sub.stream) {
            if (res.destroyed) break;
            await send(e);
          }
        } finally {
          res.off('close', onClose);
          sub.close();
          if (!res.writableEnded) res.end();
        }
      },
    },
  ];
}
