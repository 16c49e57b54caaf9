/**
 * The engine's event bus, behind `GET /events` (moby's daemon/events).
 *
 * Subsystems publish what happened (`container start`, `image tag`…); the bus
 * stamps the time in nanoseconds, keeps the last `limit` events (moby's
 * eventsLimit, 256) for replay, and hands each event to every subscriber whose
 * filter accepts it.
 *
 * Lifecycle of a subscription: subscribe() → `past` (the replayed events, only
 * when `since` or `until` is given, as moby) → `stream` (live events, in
 * publish order) → the stream ends at `until`, at close(), or when the bus is
 * closed. A subscriber never slows a publisher: publish() is synchronous and
 * only appends to a bounded per-subscriber queue. A subscriber whose queue is
 * full is dropped: it still receives what was queued, then its stream throws
 * SlowSubscriberError (an Unavailable EngineError). (moby instead skips the
 * event for a subscriber that takes over 100ms to receive it; dropping tells
 * the client its stream is incomplete instead of leaving a silent gap.)
 *
 * Error contract: publish() never throws; subscribe() throws nothing;
 * subscribeEvents() throws InvalidParameter for bad `since`/`until` values.
 */
import { EngineError, invalidParameter } from '../errdefs/errdefs.js';
import { parseNormalizedNamed } from '../image/reference.js';
import { parseSince } from '../logs/since.js';

/** Docker's event types (moby api/types/events). */
export type EventType = 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';

export interface EventActor {
  /** Container/image/volume/network ID (or name, for volumes), daemon ID… */
  id: string;
  /** Docker's attributes: `name`, `image`, container labels, `exitCode`… */
  attributes: Record<string, string>;
}

/** What a subsystem publishes. */
export interface EngineEvent {
  type: EventType;
  /** Docker's action: create, start, die, destroy, tag, untag, `health_status: healthy`… */
  action: string;
  actor: EventActor;
  /** `local` unless given (swarm events are `swarm`). */
  scope?: 'local' | 'swarm';
}

/** An event as the bus stores and delivers it: stamped, with a scope. */
export interface BusEvent {
  readonly type: EventType;
  readonly action: string;
  readonly actor: { readonly id: string; readonly attributes: Readonly<Record<string, string>> };
  readonly scope: 'local' | 'swarm';
  /** Unix seconds. */
  readonly time: number;
  /** Unix nanoseconds (past 2^53, hence a bigint). */
  readonly timeNano: bigint;
}

/** Docker's filters: name → values (`{"type":["container"],"event":["start"]}`). */
export type EventFilters = ReadonlyMap<string, readonly string[]>;

export interface Subscription {
  /** Buffered events between since and until that match the filter, oldest first. */
  readonly past: readonly BusEvent[];
  /** Live events; iterate once. Ends at until or close(); throws SlowSubscriberError when dropped. */
  readonly stream: AsyncIterable<BusEvent>;
  /** Ends the stream at once, dropping anything queued (idempotent). Breaking out of a for-await loop does the same. */
  close(): void;
}

/** The query `GET /events` passes on: raw `since`/`until` strings as Docker clients send them. */
export interface EventsQuery {
  filters: EventFilters;
  since?: string | undefined;
  until?: string | undefined;
}

export interface EventBusOptions {
  /** Events kept for replay (moby: 256). */
  limit?: number;
  /** Events a subscriber may have waiting before it is dropped (moby's channel buffer: 1024). */
  queueLimit?: number;
  /** Wall clock in Unix nanoseconds (tests). */
  clock?: () => bigint;
}

export class SlowSubscriberError extends EngineError {
  constructor(queueLimit: number) {
    super('Unavailable', `events subscriber dropped: it fell ${queueLimit} events behind`);
  }
}

const MS = 1_000_000n;
const NS = 1_000_000_000n;
/** setTimeout's limit (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wall-clock nanoseconds: Date.now() gives milliseconds only, so the clock is
 * anchored to it once and advanced with the monotonic hrtime, re-anchoring
 * when the two drift more than a millisecond apart (clock steps, NTP slew).
 */
export function wallClockNs(): () => bigint {
  let anchor = BigInt(Date.now()) * MS - process.hrtime.bigint();
  return () => {
    let t = anchor + process.hrtime.bigint();
    const wall = BigInt(Date.now()) * MS;
    const drift = t - wall;
    if (drift > MS || drift < -MS) {
      anchor += wall - t;
      t = wall;
    }
    return t;
  };
}

export class EventBus {
  private readonly limit: number;
  private readonly queueLimit: number;
  private readonly clock: () => bigint;
  private readonly ring: BusEvent[] = [];
  private readonly subs = new Set<Sub>();
  private last = 0n;
  private closed = false;

  constructor(opts: EventBusOptions = {}) {
    this.limit = opts.limit ?? 256;
    this.queueLimit = opts.queueLimit ?? 1024;
    this.clock = opts.clock ?? wallClockNs();
  }

  /** Number of live subscriptions. */
  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Stamps, stores and delivers an event; returns it as stored. Never throws, never waits. */
  publish(e: EngineEvent): BusEvent {
    // Strictly increasing stamps keep replay order and since/until exact.
    let timeNano = this.clock();
    if (timeNano <= this.last) timeNano = this.last + 1n;
    this.last = timeNano;
    const ev: BusEvent = {
      type: e.type,
      action: e.action,
      actor: { id: e.actor.id, attributes: { ...e.actor.attributes } },
      scope: e.scope ?? 'local',
      time: Number(timeNano / NS),
      timeNano,
    };
    if (this.closed) return ev;
    this.ring.push(ev);
    if (this.ring.length > this.limit) this.ring.shift();
    for (const s of this.subs) s.offer(ev);
    return ev;
  }

  /**
   * Subscribes with Docker's filters. `since`/`until` are Unix nanoseconds:
   * when either is given, `past` holds the buffered events from since to
   * until (an until ≤ 0 bounds nothing, as moby); the stream ends at until
   * (at once when until is already past).
   */
  subscribe(filters: EventFilters = new Map(), since?: bigint, until?: bigint): Subscription {
    const sub = new Sub(this, filters, until, this.queueLimit);
    const past = this.replay(filters, since, until);
    if (this.closed) sub.finish();
    else {
      this.subs.add(sub);
      if (until !== undefined) sub.endAt(until, this.clock);
    }
    return { past, stream: sub, close: () => sub.cancel() };
  }

  /**
   * `GET /events` as Docker serves it: parses `since`/`until` (Unix seconds
   * with fraction, RFC 3339 dates, Go durations before now) and subscribes.
   * Throws InvalidParameter for a bad value or an until before since.
   */
  subscribeEvents(q: EventsQuery, now: Date = new Date()): Subscription {
    const t = parseEventTimes(q.since, q.until, now);
    return this.subscribe(q.filters, t.since, t.until);
  }

  /** The buffered events that a subscription replays (moby's loadBufferedEvents). */
  private replay(filters: EventFilters, since: bigint | undefined, until: bigint | undefined): BusEvent[] {
    if (since === undefined && until === undefined) return [];
    const from = since ?? 0n;
    const out: BusEvent[] = [];
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const ev = this.ring[i]!;
      if (ev.timeNano < from) break;
      if (until !== undefined && until > 0n && ev.timeNano > until) continue;
      if (eventMatches(filters, ev)) out.push(ev);
    }
    return out.reverse();
  }

  /** Ends every subscription; later publishes are stamped but neither stored nor delivered. */
  close(): void {
    this.closed = true;
    for (const s of [...this.subs]) s.finish();
  }

  /** @internal */
  drop(s: Sub): void {
    this.subs.delete(s);
  }
}

/** One subscriber: a bounded queue and at most one waiting reader. */
class Sub implements AsyncIterable<BusEvent> {
  private readonly queue: BusEvent[] = [];
  private waiter: ((r: IteratorResult<BusEvent>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private done = false;
  private error: Error | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly filters: EventFilters,
    private readonly until: bigint | undefined,
    private readonly queueLimit: number,
  ) {}

  offer(ev: BusEvent): void {
    if (this.done) return;
    if (this.until !== undefined && ev.timeNano > this.until) {
      this.finish();
      return;
    }
    if (!eventMatches(this.filters, ev)) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: ev, done: false });
      return;
    }
    if (this.queue.length >= this.queueLimit) {
      this.error = new SlowSubscriberError(this.queueLimit);
      this.stop();
      return;
    }
    this.queue.push(ev);
  }

  /** Ends the stream once `until` (Unix ns, by `clock`) has come. */
  endAt(until: bigint, clock: () => bigint): void {
    const arm = () => {
      if (this.done) return;
      const left = until - clock();
      if (left <= 0n) {
        this.finish();
        return;
      }
      // Round up: ending a little late only costs a check; early would drop events.
      const ms = Number((left + MS - 1n) / MS);
      this.timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
    };
    arm();
  }

  /** Normal end (until, bus closed): queued events are still delivered, then done. */
  finish(): void {
    this.stop();
  }

  /** The reader gives up: nothing more is delivered. */
  cancel(): void {
    this.queue.length = 0;
    this.error = undefined;
    this.stop();
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.bus.drop(this);
    if (this.waiter) {
      // A waiting reader means the queue is empty.
      const w = this.waiter;
      const f = this.failWaiter!;
      this.waiter = this.failWaiter = undefined;
      if (this.error) f(this.error);
      else w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<BusEvent> {
    return {
      next: () => {
        const ev = this.queue.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.done) {
          const err = this.error;
          if (err) {
            this.error = undefined;
            return Promise.reject(err);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise<IteratorResult<BusEvent>>((resolve, reject) => {
          this.waiter = resolve;
          this.failWaiter = reject;
        });
      },
      return: () => {
        this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

// ---------------------------------------------------------------------------
// Filters (moby daemon/events/filter.go over api/types/filters.Args)

/** Types whose filter matches the actor's ID or `name` attribute by prefix (fuzzyMatchName). */
const NAME_FILTERS = ['daemon', 'container', 'plugin', 'volume', 'network', 'service', 'node', 'secret', 'config'] as const;

/** Actions a bare `event` filter value matches by prefix (moby #25798): `health_status: healthy`, `exec_start: sh`. */
const PREFIX_ACTIONS = new Set(['health_status', 'exec_create', 'exec_start']);

/** filters.Args.ExactMatch: no values for the name means no constraint. */
function exactMatch(filters: EventFilters, name: string, source: string): boolean {
  const vals = filters.get(name);
  if (!vals || vals.length === 0) return true;
  return vals.includes(source);
}

/** filters.Args.FuzzyMatch: exact, or one of the values is a prefix of source. */
function fuzzyMatch(filters: EventFilters, name: string, source: string): boolean {
  if (exactMatch(filters, name, source)) return true;
  return filters.get(name)!.some((p) => source.startsWith(p));
}

/** filters.Args.MatchKVList: every `key` / `key=value` is among the attributes. */
function matchKVList(filters: EventFilters, name: string, attrs: Readonly<Record<string, string>>): boolean {
  const vals = filters.get(name);
  if (!vals || vals.length === 0) return true;
  if (Object.keys(attrs).length === 0) return false;
  return vals.every((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!Object.hasOwn(attrs, key)) return false;
    return eq < 0 || attrs[key] === v.slice(eq + 1);
  });
}

/** reference.FamiliarName of a parsed name (`docker.io/library/busybox:1` → `busybox`), else the input. */
function stripTag(image: string): string {
  if (image === '') return image;
  try {
    return parseNormalizedNamed(image).familiarName();
  } catch {
    return image;
  }
}

/** Whether Docker's events filter accepts the event (moby Filter.Include). */
export function eventMatches(filters: EventFilters, ev: BusEvent): boolean {
  if (filters.size === 0) return true;
  const attrs = ev.actor.attributes;
  const actionOk = (filters.get('event') ?? []).some((v) => PREFIX_ACTIONS.has(v))
    ? fuzzyMatch(filters, 'event', ev.action)
    : exactMatch(filters, 'event', ev.action);
  if (!actionOk) return false;
  if (!exactMatch(filters, 'type', ev.type)) return false;
  if (!exactMatch(filters, 'scope', ev.scope)) return false;
  const name = attrs['name'] ?? '';
  for (const t of NAME_FILTERS) {
    if (!filters.has(t)) continue;
    if (!fuzzyMatch(filters, t, ev.actor.id) && !fuzzyMatch(filters, t, name)) return false;
  }
  if (filters.has('image')) {
    // Image events name the image in `name`, container events in `image`.
    const imageName = (ev.type === 'image' ? attrs['name'] : attrs['image']) ?? '';
    const id = ev.actor.id;
    if (
      !exactMatch(filters, 'image', id) &&
      !exactMatch(filters, 'image', imageName) &&
      !exactMatch(filters, 'image', stripTag(id)) &&
      !exactMatch(filters, 'image', stripTag(imageName))
    )
      return false;
  }
  return matchKVList(filters, 'label', attrs);
}

// ---------------------------------------------------------------------------
// since / until

/**
 * Docker's `since`/`until` values → Unix nanoseconds; absent or empty means
 * unset. Accepts what the docker CLI sends (Unix seconds with a fraction) and
 * what other clients pass through unconverted (RFC 3339 dates, durations
 * before now): see logs/since.ts. Throws InvalidParameter.
 */
export function parseEventTimes(since: string | undefined, until: string | undefined, now: Date = new Date()): { since?: bigint; until?: bigint } {
  const out: { since?: bigint; until?: bigint } = {};
  if (since !== undefined && since !== '') out.since = parseSince(since, now, 'since');
  if (until !== undefined && until !== '') out.until = parseSince(until, now, 'until');
  if (out.until !== undefined && out.since !== undefined && out.until < out.since) {
    throw invalidParameter(`\`since\` time (${since}) cannot be after \`until\` time (${until})`);
  }
  return out;
}
