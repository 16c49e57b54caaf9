import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { EventBus, SlowSubscriberError, eventMatches, parseEventTimes, wallClockNs, type BusEvent, type EngineEvent, type EventFilters } from './bus.js';

const S = 1_000_000_000n;
const T0 = 1_764_302_916n * S;

/** A clock the test moves: each read returns the current value. */
function manualClock(start = T0): { now: () => bigint; set(t: bigint): void; advance(ns: bigint): void } {
  let t = start;
  return {
    now: () => t,
    set: (v) => (t = v),
    advance: (ns) => (t += ns),
  };
}

const f = (o: Record<string, string[]>): EventFilters => new Map(Object.entries(o));

function ev(type: EngineEvent['type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
  return { type, action, actor: { id, attributes } };
}

function stamped(e: EngineEvent, scope: 'local' | 'swarm' = 'local'): BusEvent {
  return { ...e, scope, time: Number(T0 / S), timeNano: T0 };
}

/** Reads n events from a stream (without closing it). */
async function take(it: AsyncIterator<BusEvent>, n: number): Promise<BusEvent[]> {
  const out: BusEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('EventBus.publish', () => {
  it('stamps seconds and nanoseconds, defaults the scope, copies attributes', () => {
    const clock = manualClock(T0 + 454_183_661n);
    const bus = new EventBus({ clock: clock.now });
    const attrs = { name: 'web', image: 'busybox' };
    const e = bus.publish(ev('container', 'start', 'abc', attrs));
    attrs.name = 'changed';
    assert.equal(e.timeNano, T0 + 454_183_661n);
    assert.equal(e.time, 1_764_302_916);
    assert.equal(e.scope, 'local');
    assert.deepEqual(e.actor, { id: 'abc', attributes: { name: 'web', image: 'busybox' } });
  });

  it('keeps stamps strictly increasing when the clock stands still or steps back', () => {
    const clock = manualClock();
    const bus = new EventBus({ clock: clock.now });
    const a = bus.publish(ev('image', 'tag', 'i'));
    const b = bus.publish(ev('image', 'tag', 'i'));
    clock.advance(-5n * S);
    const c = bus.publish(ev('image', 'tag', 'i'));
    assert.equal(b.timeNano, a.timeNano + 1n);
    assert.equal(c.timeNano, b.timeNano + 1n);
  });

  it('the default clock is wall time with nanosecond digits', () => {
    const clock = wallClockNs();
    const before = BigInt(Date.now()) * 1_000_000n;
    const t = clock();
    const after = BigInt(Date.now()) * 1_000_000n;
    assert.ok(t >= before - 1_000_000n && t <= after + 1_000_000n, `${t} not within [${before}, ${after}]`);
  });
});

describe('EventBus replay (since/until)', () => {
  function busWith(n: number, limit?: number): { bus: EventBus; times: bigint[] } {
    const clock = manualClock();
    const bus = new EventBus({ clock: clock.now, ...(limit ? { limit } : {}) });
    const times: bigint[] = [];
    for (let i = 0; i < n; i++) {
      times.push(bus.publish(ev('container', i % 2 ? 'stop' : 'start', `c${i}`)).timeNano);
      clock.advance(S);
    }
    return { bus, times };
  }

  it('replays nothing without since or until (moby)', () => {
    const { bus } = busWith(3);
    const sub = bus.subscribe(new Map());
    assert.deepEqual(sub.past, []);
    sub.close();
  });

  it('replays events at or after since, oldest first', () => {
    const { bus, times } = busWith(5);
    const sub = bus.subscribe(new Map(), times[2]);
    assert.deepEqual(
      sub.past.map((e) => e.actor.id),
      ['c2', 'c3', 'c4'],
    );
    sub.close();
  });

  it('until alone replays everything up to it; the stream of a past until is already over', async () => {
    const { bus, times } = busWith(5);
    const sub = bus.subscribe(new Map(), undefined, times[1]);
    assert.deepEqual(
      sub.past.map((e) => e.actor.id),
      ['c0', 'c1'],
    );
    bus.publish(ev('container', 'start', 'late'));
    assert.deepEqual(await take(sub.stream[Symbol.asyncIterator](), 10), []);
    assert.equal(bus.subscriberCount, 0);
  });

  it('since and until bound the replay; filters apply to it', () => {
    const { bus, times } = busWith(6);
    const sub = bus.subscribe(f({ event: ['start'] }), times[1], times[4]);
    assert.deepEqual(
      sub.past.map((e) => e.actor.id),
      ['c2', 'c4'],
    );
    sub.close();
  });

  it('an until of 0 bounds nothing in the replay (moby)', () => {
    const { bus } = busWith(3);
    const sub = bus.subscribe(new Map(), 0n, 0n);
    assert.equal(sub.past.length, 3);
    sub.close();
  });

  it('keeps only the last `limit` events (moby: 256)', () => {
    const { bus } = busWith(300);
    const sub = bus.subscribe(new Map(), 0n);
    assert.equal(sub.past.length, 256);
    assert.equal(sub.past[0]!.actor.id, 'c44');
    assert.equal(sub.past.at(-1)!.actor.id, 'c299');
    sub.close();
    const small = busWith(10, 4).bus.subscribe(new Map(), 0n);
    assert.deepEqual(
      small.past.map((e) => e.actor.id),
      ['c6', 'c7', 'c8', 'c9'],
    );
    small.close();
  });
});

describe('EventBus live stream', () => {
  it('delivers matching events in order, after the replay, without gaps or repeats', async () => {
    const clock = manualClock();
    const bus = new EventBus({ clock: clock.now });
    bus.publish(ev('container', 'create', 'a'));
    const sub = bus.subscribe(f({ type: ['container'] }), 0n);
    bus.publish(ev('image', 'tag', 'img'));
    bus.publish(ev('container', 'start', 'a'));
    bus.publish(ev('container', 'die', 'a'));
    assert.deepEqual(
      sub.past.map((e) => e.action),
      ['create'],
    );
    const it = sub.stream[Symbol.asyncIterator]();
    const got = await take(it, 2);
    assert.deepEqual(
      got.map((e) => e.action),
      ['start', 'die'],
    );
    // A reader waiting for the next event gets it when it is published.
    const next = it.next();
    bus.publish(ev('container', 'destroy', 'a'));
    assert.equal(((await next).value as BusEvent).action, 'destroy');
    sub.close();
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });

  it('close() ends a waiting reader and unsubscribes', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    assert.equal(bus.subscriberCount, 1);
    const it = sub.stream[Symbol.asyncIterator]();
    const next = it.next();
    sub.close();
    assert.deepEqual(await next, { value: undefined, done: true });
    assert.equal(bus.subscriberCount, 0);
    sub.close();
  });

  it('breaking out of for-await unsubscribes', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    bus.publish(ev('volume', 'create', 'v1'));
    bus.publish(ev('volume', 'create', 'v2'));
    for await (const e of sub.stream) {
      assert.equal(e.actor.id, 'v1');
      break;
    }
    assert.equal(bus.subscriberCount, 0);
  });

  it('ends at until: on the timer, and at the first later event', async () => {
    const bus = new EventBus();
    const now = BigInt(Date.now()) * 1_000_000n;
    const sub = bus.subscribe(new Map(), undefined, now + 60_000_000n);
    bus.publish(ev('network', 'create', 'n1'));
    const started = Date.now();
    const got: string[] = [];
    for await (const e of sub.stream) got.push(e.actor.id);
    assert.deepEqual(got, ['n1']);
    assert.ok(Date.now() - started < 2000);
    assert.equal(bus.subscriberCount, 0);

    const clock = manualClock();
    const bus2 = new EventBus({ clock: clock.now });
    const sub2 = bus2.subscribe(new Map(), undefined, T0 + 10n * S);
    bus2.publish(ev('network', 'create', 'in'));
    clock.advance(11n * S);
    bus2.publish(ev('network', 'create', 'after'));
    const got2: string[] = [];
    for await (const e of sub2.stream) got2.push(e.actor.id);
    assert.deepEqual(got2, ['in']);
  });

  it('bus.close() ends every stream after what was queued', async () => {
    const bus = new EventBus();
    const a = bus.subscribe();
    const b = bus.subscribe(f({ type: ['image'] }));
    bus.publish(ev('image', 'pull', 'busybox'));
    bus.close();
    const ids = async (s: typeof a) => {
      const out: string[] = [];
      for await (const e of s.stream) out.push(e.actor.id);
      return out;
    };
    assert.deepEqual(await ids(a), ['busybox']);
    assert.deepEqual(await ids(b), ['busybox']);
    const late = bus.subscribe();
    assert.deepEqual(await ids(late), []);
  });
});

describe('slow subscribers', () => {
  it('never block publishers; a full queue drops the subscriber with an error after what was queued', async () => {
    const bus = new EventBus({ queueLimit: 3 });
    const slow = bus.subscribe();
    const fast = bus.subscribe();
    const fastSeen: string[] = [];
    const reading = (async () => {
      for await (const e of fast.stream) fastSeen.push(e.actor.id);
    })();
    for (let i = 0; i < 10; i++) {
      bus.publish(ev('container', 'start', `c${i}`));
      // The fast reader gets a turn; the slow one never reads.
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(bus.subscriberCount, 1, 'the slow subscriber is dropped');
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of slow.stream) got.push(e.actor.id);
      })(),
      (err: unknown) => err instanceof SlowSubscriberError && err instanceof EngineError && err.kind === 'Unavailable',
    );
    assert.deepEqual(got, ['c0', 'c1', 'c2']);
    assert.equal(fastSeen.length, 10, 'the reader that keeps up got everything');
    fast.close();
    await reading;
  });

  it('a burst beyond the queue limit drops even a reader that is waiting', () => {
    const bus = new EventBus({ queueLimit: 2 });
    const sub = bus.subscribe();
    void sub.stream[Symbol.asyncIterator]().next();
    for (let i = 0; i < 4; i++) bus.publish(ev('container', 'start', `c${i}`));
    assert.equal(bus.subscriberCount, 0);
    sub.close();
  });

  it('close() on a dropped subscriber discards the queue and the error', async () => {
    const bus = new EventBus({ queueLimit: 1 });
    const sub = bus.subscribe();
    bus.publish(ev('container', 'start', 'a'));
    bus.publish(ev('container', 'start', 'b'));
    sub.close();
    assert.deepEqual(await sub.stream[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });
});

describe('eventMatches (moby daemon/events/filter.go)', () => {
  const start = stamped(ev('container', 'start', '92e4618d57da0123', { name: 'peaceful_napier', image: 'busybox:latest', 'com.example': 'yes' }));
  const health = stamped(ev('container', 'health_status: healthy', '92e4618d57da0123', { name: 'web', image: 'busybox' }));
  const execStart = stamped(ev('container', 'exec_start: sh -c true', 'c1', { name: 'web' }));
  const tag = stamped(ev('image', 'tag', 'sha256:' + 'ab'.repeat(32), { name: 'docker.io/library/busybox:1.36' }));
  const vol = stamped(ev('volume', 'create', 'data', { driver: 'local' }));
  const net = stamped(ev('network', 'connect', 'n0123456789', { name: 'bridge', container: '92e4', type: 'bridge' }));
  const dmn = stamped(ev('daemon', 'reload', 'ABCD:EFGH', { name: 'host1' }));
  const swarm = stamped(ev('service', 'create', 'svc1', { name: 'web' }), 'swarm');
  const m = (o: Record<string, string[]>, e: BusEvent) => eventMatches(f(o), e);

  it('no filters match everything', () => {
    for (const e of [start, tag, vol, net, dmn]) assert.ok(eventMatches(new Map(), e));
  });

  it('type and event are exact; several values are alternatives', () => {
    assert.ok(m({ type: ['container'] }, start));
    assert.ok(!m({ type: ['image'] }, start));
    assert.ok(m({ type: ['image', 'container'] }, start));
    assert.ok(m({ event: ['start'] }, start));
    assert.ok(!m({ event: ['sta'] }, start));
    assert.ok(m({ event: ['die', 'start'] }, start));
    assert.ok(!m({ event: ['health_status: unhealthy'] }, health));
    assert.ok(m({ event: ['health_status: healthy'] }, health));
  });

  it('health_status, exec_create, exec_start match by prefix (moby #25798)', () => {
    assert.ok(m({ event: ['health_status'] }, health));
    assert.ok(m({ event: ['exec_start'] }, execStart));
    // Once prefix matching is on, every value of the filter matches by prefix.
    assert.ok(m({ event: ['health_status', 'sta'] }, start));
    assert.ok(!m({ event: ['health_status'] }, start));
  });

  it('container matches the ID or the name by prefix, and excludes other actors', () => {
    assert.ok(m({ container: ['92e4618d57da'] }, start));
    assert.ok(m({ container: ['92e4618d57da0123'] }, start));
    assert.ok(m({ container: ['peaceful_napier'] }, start));
    assert.ok(m({ container: ['peaceful'] }, start));
    assert.ok(!m({ container: ['other'] }, start));
    assert.ok(m({ container: ['other', 'peaceful_napier'] }, start));
    assert.ok(!m({ container: ['peaceful_napier'] }, tag));
  });

  it('volume, network, daemon, service match their ID or name', () => {
    assert.ok(m({ volume: ['data'] }, vol));
    assert.ok(!m({ volume: ['other'] }, vol));
    assert.ok(m({ network: ['bridge'] }, net));
    assert.ok(m({ network: ['n0123'] }, net));
    assert.ok(m({ daemon: ['ABCD'] }, dmn));
    assert.ok(m({ daemon: ['host1'] }, dmn));
    assert.ok(m({ service: ['web'] }, swarm));
  });

  it('image matches the image ID, the name, or the name without tag; container events by their image', () => {
    assert.ok(m({ image: ['busybox'] }, tag));
    assert.ok(m({ image: ['docker.io/library/busybox:1.36'] }, tag));
    assert.ok(m({ image: ['sha256:' + 'ab'.repeat(32)] }, tag));
    assert.ok(!m({ image: ['busybox:1.36'] }, tag), 'moby compares the name as given, or its familiar name');
    assert.ok(m({ image: ['busybox'] }, start));
    assert.ok(m({ image: ['busybox:latest'] }, start));
    assert.ok(!m({ image: ['alpine'] }, start));
    assert.ok(!m({ image: ['busybox'] }, vol));
  });

  it('label: every key or key=value must be among the attributes', () => {
    assert.ok(m({ label: ['com.example'] }, start));
    assert.ok(m({ label: ['com.example=yes'] }, start));
    assert.ok(!m({ label: ['com.example=no'] }, start));
    assert.ok(!m({ label: ['com.example', 'other'] }, start));
    assert.ok(!m({ label: ['com.example'] }, dmn));
  });

  it('scope is exact; filters combine with AND; unknown filter names are ignored', () => {
    assert.ok(m({ scope: ['local'] }, start));
    assert.ok(!m({ scope: ['swarm'] }, start));
    assert.ok(m({ scope: ['swarm'] }, swarm));
    assert.ok(m({ type: ['container'], event: ['start'], container: ['peaceful_napier'] }, start));
    assert.ok(!m({ type: ['container'], event: ['stop'] }, start));
    assert.ok(m({ whatever: ['x'] }, start));
    assert.ok(m({ type: [] }, start), 'a name without values does not constrain');
  });
});

describe('parseEventTimes / subscribeEvents', () => {
  const now = new Date('2026-11-28T04:08:36.250Z');
  const nowNs = BigInt(now.getTime()) * 1_000_000n;

  it('reads what the docker CLI sends and what other clients pass', () => {
    assert.deepEqual(parseEventTimes(undefined, undefined, now), {});
    assert.deepEqual(parseEventTimes('', '', now), {});
    assert.deepEqual(parseEventTimes('1764302916.454183661', undefined, now), { since: 1_764_302_916_454_183_661n });
    assert.deepEqual(parseEventTimes('1764302916', undefined, now), { since: 1_764_302_916n * S });
    assert.deepEqual(parseEventTimes('10m', '0s', now), { since: nowNs - 600n * S, until: nowNs });
    assert.deepEqual(parseEventTimes('2026-11-28T04:00:00Z', undefined, now), { since: BigInt(Date.parse('2026-11-28T04:00:00Z')) * 1_000_000n });
  });

  it('rejects bad values and an until before since', () => {
    assert.throws(() => parseEventTimes('yesterday', undefined, now), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter' && /"since"/.test(e.message));
    assert.throws(() => parseEventTimes(undefined, 'soon', now), (e: unknown) => e instanceof EngineError && /"until"/.test(e.message));
    assert.throws(
      () => parseEventTimes('200', '100', now),
      (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter' && e.message === '`since` time (200) cannot be after `until` time (100)',
    );
  });

  it('subscribeEvents subscribes with the parsed times', () => {
    const clock = manualClock();
    const bus = new EventBus({ clock: clock.now });
    bus.publish(ev('container', 'start', 'a'));
    clock.advance(2n * S);
    bus.publish(ev('container', 'stop', 'a'));
    const sub = bus.subscribeEvents({ filters: new Map(), since: String(T0 / S + 1n) });
    assert.deepEqual(
      sub.past.map((e) => e.action),
      ['stop'],
    );
    sub.close();
  });
});
