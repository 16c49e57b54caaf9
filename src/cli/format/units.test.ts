import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { bytesSize, fromHumanSize, goTime, humanDuration, humanSize, parseBytes, timeAgo } from './units.js';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;
const PiB = TiB * 1024;

describe('humanSize (precision 3, as docker images/ps)', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [743000, '743kB'],
    [4261000, '4.26MB'],
    [1240000000, '1.24GB'],
    [1125000, '1.12MB'], // exact tie, rounded to even like Go
    [999900, '1e+03kB'], // Go's %.3g quirk just below a unit boundary
    [7380000, '7.38MB'],
  ];
  for (const [n, want] of cases) test(String(n), () => assert.equal(humanSize(n), want));
});

describe('humanSize precision 4 (go-units HumanSize)', () => {
  const cases: [number, string][] = [
    [1000, '1kB'],
    [1024, '1.024kB'],
    [1000000, '1MB'],
    [1048576, '1.049MB'],
    [2 * 1000 * 1000, '2MB'],
    [3.42e9, '3.42GB'],
    [5.372e12, '5.372TB'],
    [2.22e15, '2.22PB'],
    [1e28, '1e+04YB'],
  ];
  for (const [n, want] of cases) test(String(n), () => assert.equal(humanSize(n, 4), want));
});

describe('bytesSize', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [1024 * 1024, '1MiB'],
    [2 * MiB, '2MiB'],
    [3.42 * GiB, '3.42GiB'],
    [5.372 * TiB, '5.372TiB'],
    [2.22 * PiB, '2.22PiB'],
    [KiB ** 5 * PiB, '1.049e+06YiB'],
  ];
  for (const [n, want] of cases) test(String(n), () => assert.equal(bytesSize(n), want));
});

describe('humanDuration (go-units thresholds)', () => {
  const s = 1000;
  const min = 60 * s;
  const hour = 60 * min;
  const day = 24 * hour;
  const week = 7 * day;
  const month = 30 * day;
  const year = 365 * day;
  const cases: [number, string][] = [
    [-5 * s, 'Less than a second'],
    [450, 'Less than a second'],
    [1 * s, '1 second'],
    [45 * s, '45 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [3 * min, '3 minutes'],
    [35 * min + 40 * s, '35 minutes'],
    [59 * min, '59 minutes'],
    [1 * hour, 'About an hour'],
    [1 * hour + 29 * min, 'About an hour'],
    [1 * hour + 31 * min, '2 hours'],
    [3 * hour + 29 * min, '3 hours'],
    [3 * hour + 31 * min, '4 hours'],
    [24 * hour, '24 hours'],
    [1 * day + 12 * hour, '36 hours'],
    [47 * hour + 29 * min, '47 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * hour, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [3 * month + 1 * week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ];
  for (const [ms, want] of cases) test(`${ms}ms`, () => assert.equal(humanDuration(ms), want));
});

describe('timeAgo', () => {
  const now = new Date('2024-03-01T12:00:00Z');
  const cases: [Date | number, string][] = [
    [new Date('2024-02-16T12:00:00Z'), '2 weeks ago'],
    [new Date('2024-03-01T11:59:30Z'), '30 seconds ago'],
    [now.getTime() - 5 * 3600_000, '5 hours ago'],
    [new Date('2024-03-01T12:00:05Z'), 'Less than a second ago'],
  ];
  for (const [date, want] of cases) test(want, () => assert.equal(timeAgo(date, now), want));
});

describe('parseBytes (RAMInBytes)', () => {
  const cases: [string, number][] = [
    ['32', 32],
    ['32b', 32],
    ['32B', 32],
    ['32k', 32 * KiB],
    ['32K', 32 * KiB],
    ['32kb', 32 * KiB],
    ['32Kib', 32 * KiB],
    ['32KIB', 32 * KiB],
    ['512m', 512 * MiB],
    ['32Mb', 32 * MiB],
    ['1g', GiB],
    ['32Tb', 32 * TiB],
    ['32PB', 32 * PiB],
    ['32P', 32 * PiB],
    ['32.3', 32],
    ['32.3 mb', Math.trunc(32.3 * MiB)],
    ['0.3MB', Math.trunc(0.3 * MiB)],
  ];
  for (const [s, want] of cases) test(JSON.stringify(s), () => assert.equal(parseBytes(s), want));

  const bad: [string, string][] = [
    ['', "invalid size: ''"],
    ['hello', "invalid size: 'hello'"],
    ['-32', "invalid size: '-32'"],
    [' 32 ', "invalid size: ' 32 '"],
    ['32m b', "invalid size: '32m b'"],
    ['32bm', "invalid size: '32bm'"],
    ['1.2.3', 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'],
  ];
  for (const [s, msg] of bad) test(`rejects ${JSON.stringify(s)}`, () => assert.throws(() => parseBytes(s), { message: msg }));

  test('fromHumanSize is decimal', () => {
    assert.equal(fromHumanSize('32kB'), 32000);
    assert.equal(fromHumanSize('32.5 kB'), 32500);
    assert.equal(fromHumanSize('0.3 K'), 300);
  });
});

describe('goTime', () => {
  test('prints Go time.Time.String() in the local zone', () => {
    const saved = process.env['TZ'];
    process.env['TZ'] = 'UTC';
    try {
      assert.equal(goTime(new Date('2024-01-15T10:30:00Z')), '2024-01-15 10:30:00 +0000 UTC');
      assert.equal(goTime(new Date('2024-01-15T10:30:00.120Z')), '2024-01-15 10:30:00.12 +0000 UTC');
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });
});
