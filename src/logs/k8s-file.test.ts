import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import {
  encodeK8sRecord,
  formatDockerTime,
  formatK8sTimestamp,
  parseK8sLine,
  parseK8sTimestamp,
  tryParseK8sLine,
} from './k8s-file.js';

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));

describe('parseK8sLine', () => {
  it('parses conmon’s example record', () => {
    const r = parseK8sLine(b('2026-11-28T04:08:36.454183661+00:00 stdout F hello\n'));
    assert.equal(r.stream, 'stdout');
    assert.equal(r.partial, false);
    assert.equal(r.content.toString(), 'hello');
    assert.equal(r.time.nanos, '2026-11-28T04:08:36.454183661Z');
    assert.equal(r.time.ns, 1795838916454183661n);
    assert.equal(r.time.ms, 1795838916454);
    assert.equal(new Date(r.time.ms).toISOString(), '2026-11-28T04:08:36.454Z');
  });

  it('without its newline, P and stderr', () => {
    const r = parseK8sLine(b('2026-11-28T04:08:36.454183661+00:00 stderr P par'));
    assert.equal(r.stream, 'stderr');
    assert.equal(r.partial, true);
    assert.equal(r.content.toString(), 'par');
  });

  it('empty content (conmon writes "F " then the newline) and the lenient "F"', () => {
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.000000000+00:00 stdout F \n')).content.length, 0);
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.000000000+00:00 stdout F\n')).content.length, 0);
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.000000000+00:00 stdout P \n')).content.length, 0);
  });

  it('content keeps spaces, tabs, CR and any bytes (invalid UTF-8, NUL)', () => {
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.1+00:00 stdout F  two  spaces \t\n')).content.toString(), ' two  spaces \t');
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.1+00:00 stdout F crlf\r\n')).content.toString(), 'crlf\r');
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.1+00:00 stdout F stdout F x\n')).content.toString(), 'stdout F x');
    const bin = Buffer.concat([b('2026-11-28T04:08:36.1+00:00 stderr F '), b([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x20]), b('\n')]);
    assert.deepEqual([...parseK8sLine(bin).content], [0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x20]);
  });

  it('numeric offsets are applied (conmon writes local time)', () => {
    const utc = parseK8sLine(b('2026-11-28T04:08:36.454183661+00:00 stdout F x')).time.ns;
    assert.equal(parseK8sLine(b('2026-11-28T05:38:36.454183661+01:30 stdout F x')).time.ns, utc);
    assert.equal(parseK8sLine(b('2026-11-27T20:08:36.454183661-08:00 stdout F x')).time.ns, utc);
    assert.equal(parseK8sLine(b('2026-11-28T04:08:36.454183661Z stdout F x')).time.ns, utc);
    // across a day and a year boundary
    assert.equal(
      parseK8sLine(b('2027-01-01T00:30:00.000000000+01:00 stdout F x')).time.nanos,
      '2026-12-31T23:30:00.000000000Z',
    );
  });

  it('fractions: none, short (padded), long (truncated); Docker keeps nine digits', () => {
    assert.equal(parseK8sTimestamp('2026-11-28T04:08:36+00:00').nanos, '2026-11-28T04:08:36.000000000Z');
    assert.equal(parseK8sTimestamp('2026-11-28T04:08:36.5+00:00').nanos, '2026-11-28T04:08:36.500000000Z');
    assert.equal(parseK8sTimestamp('2026-11-28T04:08:36.454183660+00:00').nanos, '2026-11-28T04:08:36.454183660Z');
    assert.equal(parseK8sTimestamp('2026-11-28T04:08:36.1234567891234Z').ns % 1_000_000_000n, 123456789n);
  });

  it('leap days and dates before the epoch', () => {
    assert.equal(parseK8sTimestamp('2024-02-29T12:00:00Z').ms, Date.UTC(2024, 1, 29, 12));
    assert.equal(parseK8sTimestamp('1969-12-31T23:59:59.5Z').ns, -500_000_000n);
    assert.equal(formatDockerTime(-500_000_000n), '1969-12-31T23:59:59.500000000Z');
  });

  it('rejects what is not a record', () => {
    const bad = [
      '',
      'hello world',
      '2026-11-28T04:08:36.1+00:00',
      '2026-11-28T04:08:36.1+00:00 stdout',
      '2026-11-28T04:08:36.1+00:00 stdout X hi',
      '2026-11-28T04:08:36.1+00:00 stdout Fhi',
      '2026-11-28T04:08:36.1+00:00 stdin F hi',
      '2026-11-28T04:08:36.1+00:00 stdouts F hi',
      '2026-11-28 04:08:36.1+00:00 stdout F hi',
      '2026-11-28T04:08:36.1 stdout F hi',
      '2026-11-28T04:08:36.+00:00 stdout F hi',
      '2026-02-30T04:08:36.1+00:00 stdout F hi',
      '2025-02-29T04:08:36.1+00:00 stdout F hi',
      '2026-13-01T04:08:36.1+00:00 stdout F hi',
      '2026-11-28T24:08:36.1+00:00 stdout F hi',
      '2026-11-28T04:60:36.1+00:00 stdout F hi',
      '2026-11-28T04:08:36.1+0000 stdout F hi',
      '2026-11-28T04:08:36.1+00:60 stdout F hi',
      ' 2026-11-28T04:08:36.1+00:00 stdout F hi',
    ];
    for (const line of bad) {
      assert.equal(tryParseK8sLine(b(line)), undefined, line);
    }
    assert.throws(
      () => parseK8sLine(b('garbage\n')),
      (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter' && /malformed k8s-file/.test(e.message),
    );
    assert.throws(() => parseK8sTimestamp('yesterday'), /invalid k8s-file timestamp/);
  });

  it('encodeK8sRecord writes what conmon writes, and round-trips', () => {
    const ns = 1795838916454183661n;
    assert.equal(formatK8sTimestamp(ns), '2026-11-28T04:08:36.454183661+00:00');
    assert.equal(formatK8sTimestamp(ns, 330), '2026-11-28T09:38:36.454183661+05:30');
    assert.equal(formatK8sTimestamp(ns, -480), '2026-11-27T20:08:36.454183661-08:00');
    const rec = encodeK8sRecord(ns, 'stderr', true, b([0x80, 0x20, 0x0d]), 60);
    assert.equal(rec.toString('latin1'), '2026-11-28T05:08:36.454183661+01:00 stderr P \x80 \r\n');
    const r = parseK8sLine(rec);
    assert.equal(r.time.ns, ns);
    assert.deepEqual([...r.content], [0x80, 0x20, 0x0d]);
    assert.throws(() => encodeK8sRecord(ns, 'stdout', false, 'a\nb'), /newline/);
  });
});
