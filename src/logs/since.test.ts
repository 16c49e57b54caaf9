import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { parseGoDuration, parseSince } from './since.js';

const S = 1_000_000_000n;
const NOW = new Date('2026-11-28T04:08:36.250Z');
const NOW_NS = BigInt(NOW.getTime()) * 1_000_000n;

/** A `now` whose local zone is `minutesEast` of UTC. */
function inZone(minutesEast: number): Date {
  const d = new Date(NOW.getTime());
  d.getTimezoneOffset = () => -minutesEast;
  return d;
}

const utc = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

describe('parseSince', () => {
  it('durations are that long before now', () => {
    assert.equal(parseSince('10m', NOW), NOW_NS - 600n * S);
    assert.equal(parseSince('1h30m', NOW), NOW_NS - 5400n * S);
    assert.equal(parseSince('2s', NOW), NOW_NS - 2n * S);
    assert.equal(parseSince('1.5h', NOW), NOW_NS - 5400n * S);
    assert.equal(parseSince('300ms', NOW), NOW_NS - 300_000_000n);
    assert.equal(parseSince('1h2m3s4ms5us6ns', NOW), NOW_NS - (3723n * S + 4_005_006n));
    assert.equal(parseSince('-2s', NOW), NOW_NS + 2n * S); // in the future
    assert.equal(parseSince('+0', NOW), NOW_NS);
  });

  it('RFC3339 dates, with and without fraction and zone', () => {
    assert.equal(parseSince('2026-11-28T04:08:36Z', NOW), utc('2026-11-28T04:08:36Z'));
    assert.equal(parseSince('2026-11-28T04:08:36.454183661Z', NOW), utc('2026-11-28T04:08:36Z') + 454183661n);
    assert.equal(parseSince('2026-11-28T05:08:36.5+01:00', NOW), utc('2026-11-28T04:08:36.500Z'));
    assert.equal(parseSince('2026-11-27T23:08:36-05:00', NOW), utc('2026-11-28T04:08:36Z'));
    assert.equal(parseSince('2026-11-28T04:08Z', NOW), utc('2026-11-28T04:08:00Z'));
    assert.equal(parseSince('2026-11-28T04Z', NOW), utc('2026-11-28T04:00:00Z'));
    assert.equal(parseSince('2026-11-28Z', NOW), utc('2026-11-28T00:00:00Z'));
    assert.equal(parseSince('2026-11-28+02:00', NOW), utc('2026-11-27T22:00:00Z'));
    // more than nine fraction digits are truncated
    assert.equal(parseSince('2026-11-28T04:08:36.1234567899Z', NOW), utc('2026-11-28T04:08:36Z') + 123456789n);
  });

  it('dates without a zone are in now’s local zone', () => {
    assert.equal(parseSince('2026-11-28T04:08:36', inZone(0)), utc('2026-11-28T04:08:36Z'));
    assert.equal(parseSince('2026-11-28T06:08:36', inZone(120)), utc('2026-11-28T04:08:36Z'));
    assert.equal(parseSince('2026-11-28T04:08:36.25', inZone(-300)), utc('2026-11-28T09:08:36.250Z'));
    assert.equal(parseSince('2026-11-28', inZone(60)), utc('2026-11-27T23:00:00Z'));
    assert.equal(parseSince('2026-11-28T04', inZone(0)), utc('2026-11-28T04:00:00Z'));
    assert.equal(parseSince('2026-11-28T04:08', inZone(0)), utc('2026-11-28T04:08:00Z'));
  });

  it('Unix seconds with an optional fraction (right-padded, truncated past nine digits)', () => {
    assert.equal(parseSince('1700000000', NOW), 1_700_000_000n * S);
    assert.equal(parseSince('1700000000.123456789', NOW), 1_700_000_000n * S + 123456789n);
    assert.equal(parseSince('1700000000.5', NOW), 1_700_000_000n * S + 500_000_000n);
    assert.equal(parseSince('1700000000.1234567891234', NOW), 1_700_000_000n * S + 123456789n);
    assert.equal(parseSince('0', NOW), 0n);
    assert.equal(parseSince('1700000000.', NOW), 1_700_000_000n * S);
  });

  it('clear errors', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /value is empty/],
      ['   ', /value is empty/],
      ['yesterday', /invalid seconds "yesterday".*duration like 10m/],
      ['10x', /invalid seconds "10x"/],
      ['1700000000.12a', /invalid nanoseconds "12a"/],
      ['1700000000.123456789012345678901', /exceeds maximum 20/],
      ['2026-13-01', /month out of range/],
      ['2026-02-29', /day out of range/],
      ['2026-11-28T25:00:00Z', /hour out of range/],
      ['2026-11-28T04:61:00Z', /minute out of range/],
      ['2026-11-28T04:08:36+0100', /not a valid date/],
      ['2026-11-28T04:08:36z', /not a valid date/],
      ['-5', /not a valid date/],
      ['2026-11-28T04:08:36.', /not a valid date/],
    ];
    for (const [v, re] of cases) {
      assert.throws(
        () => parseSince(v, NOW),
        (e: unknown) => {
          assert.ok(e instanceof EngineError, v);
          assert.equal(e.kind, 'InvalidParameter');
          assert.match(e.message, /^invalid value for "since": /);
          assert.match(e.message, re, v);
          return true;
        },
      );
    }
    assert.throws(() => parseSince('nope', NOW, 'until'), /invalid value for "until"/);
  });
});

describe('parseGoDuration', () => {
  it('follows time.ParseDuration', () => {
    assert.equal(parseGoDuration('0'), 0n);
    assert.equal(parseGoDuration('.5s'), 500_000_000n);
    assert.equal(parseGoDuration('1.s'), S);
    assert.equal(parseGoDuration('1\u00b5s'), 1000n);
    assert.equal(parseGoDuration('1\u03bcs'), 1000n);
    assert.equal(parseGoDuration('-1h'), -3600n * S);
    for (const bad of ['', '1', '.s', 'h', '1d', '1h-2m', '+', '1..5s']) assert.equal(parseGoDuration(bad), undefined, bad);
    assert.throws(() => parseGoDuration('9999999999h'), /out of range/);
  });
});
