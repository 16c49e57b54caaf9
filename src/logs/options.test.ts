import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { fromHumanSize } from '../util/go-units.js';
import { parseLogOptions } from './options.js';

describe('fromHumanSize (go-units v0.5, decimal)', () => {
  const ok: [string, number][] = [
    ['42', 42],
    ['42b', 42],
    ['42B', 42],
    ['1k', 1000],
    ['10k', 10_000],
    ['100K', 100_000],
    ['1kb', 1000],
    ['1KiB', 1000],
    ['10m', 10_000_000],
    ['10M', 10_000_000],
    ['10mb', 10_000_000],
    ['1g', 1_000_000_000],
    ['1.5m', 1_500_000],
    ['2.5 k', 2500],
    ['1t', 1e12],
    ['0.5', 0],
    ['1e3', 1000],
  ];
  for (const [s, n] of ok) test(`${s} → ${n}`, () => assert.equal(fromHumanSize(s), n));
  const bad: [string, RegExp][] = [
    ['', /invalid size: ''/],
    ['abc', /invalid size: 'abc'/],
    ['-1', /invalid size: '-1'/],
    ['10x', /invalid suffix: 'x'/],
    ['10kbb', /invalid suffix: 'kbb'/],
    ['10kx', /invalid suffix: 'kx'/],
    ['10bb', /invalid suffix: 'bb'/],
    ['1.2.3m', /strconv.ParseFloat: parsing "1.2.3": invalid syntax/],
    ['10m ', /strconv.ParseFloat/],
  ];
  for (const [s, re] of bad) test(`${JSON.stringify(s)} is refused`, () => assert.throws(() => fromHumanSize(s), re));
});

describe('parseLogOptions', () => {
  test('defaults: unlimited, one file', () => {
    assert.deepEqual(parseLogOptions('', {}), { maxFile: 1 });
    assert.deepEqual(parseLogOptions('json-file', { 'max-file': '3' }), { maxFile: 3 });
  });
  test("Docker's units", () => {
    assert.deepEqual(parseLogOptions('', { 'max-size': '100k', 'max-file': '2' }), { maxSize: 100_000, maxFile: 2 });
    assert.deepEqual(parseLogOptions('k8s-file', { 'max-size': '10m' }), { maxSize: 10_000_000, maxFile: 1 });
    assert.deepEqual(parseLogOptions('json-file', { 'max-size': '4096', 'max-file': '+03' }), { maxSize: 4096, maxFile: 3 });
  });
  test("the local driver's defaults (20 MiB × 5), overridable", () => {
    assert.deepEqual(parseLogOptions('local', {}), { maxSize: 20 * 1024 * 1024, maxFile: 5 });
    assert.deepEqual(parseLogOptions('local', { 'max-size': '1m', 'max-file': '2' }), { maxSize: 1_000_000, maxFile: 2 });
  });
  test('drivers berth lacks are refused, with Docker\'s message for names Docker lacks too', () => {
    assert.throws(() => parseLogOptions('syslog', {}), /logging driver 'syslog' is not supported by berth: use one of json-file, local, none/);
    assert.throws(() => parseLogOptions('asdf', {}), /logger: no log driver named 'asdf' is registered/);
    assert.throws(() => parseLogOptions('none', { whatever: 'x' }), /the none log driver takes no options/);
    assert.deepEqual(parseLogOptions('none', {}), { maxSize: 1024 * 1024, maxFile: 1 });
  });
  test('mode and max-buffer-size as logger.ValidateLogOpts checks them', () => {
    assert.deepEqual(parseLogOptions('json-file', { mode: 'non-blocking', 'max-buffer-size': '4m' }), { maxFile: 1 });
    assert.throws(() => parseLogOptions('json-file', { mode: 'fast' }), /logging mode not supported: fast/);
    assert.throws(() => parseLogOptions('local', { 'max-buffer-size': '4m' }), /only supported with 'mode=non-blocking'/);
  });
  test('attribute options: a bad regex or tag field is refused', () => {
    assert.throws(() => parseLogOptions('json-file', { 'labels-regex': '(' }), /invalid value for log opt labels-regex/);
    assert.throws(() => parseLogOptions('json-file', { tag: '{{.Nope}}' }), /unknown field Nope/);
    assert.throws(() => parseLogOptions('local', { labels: 'a' }), /unknown log opt 'labels' for local log driver/);
  });
  test('compress is checked but accepted', () => {
    assert.deepEqual(parseLogOptions('', { 'max-size': '1m', 'max-file': '3', compress: 'true' }), { maxSize: 1_000_000, maxFile: 3 });
    assert.deepEqual(parseLogOptions('', { compress: 'false' }), { maxFile: 1 });
  });
  const bad: [Record<string, string>, RegExp][] = [
    [{ 'max-size': 'abc' }, /^invalid value for max-size: abc: invalid size: 'abc'/],
    [{ 'max-size': '10x' }, /^invalid value for max-size: 10x: invalid suffix: 'x'/],
    [{ 'max-size': '-5m' }, /^invalid value for max-size: -5m: invalid size: '-5m'/],
    [{ 'max-size': '0' }, /^max-size must be a positive number$/],
    [{ 'max-size': '0k' }, /^max-size must be a positive number$/],
    [{ 'max-file': 'x' }, /^invalid value for max-file: x: strconv.Atoi: parsing "x": invalid syntax$/],
    [{ 'max-file': '1.5' }, /^invalid value for max-file: 1.5: strconv.Atoi/],
    [{ 'max-file': '99999999999999999999' }, /value out of range/],
    [{ 'max-file': '0' }, /^max-file cannot be less than 1$/],
    [{ 'max-file': '-2' }, /^max-file cannot be less than 1$/],
    [{ compress: 'yes' }, /^invalid boolean value for compress: strconv.ParseBool: parsing "yes": invalid syntax$/],
    [{ compress: 'true' }, /^compress cannot be true when max-file is less than 2 or max-size is not set$/],
    [{ 'max-size': '1m', compress: 'true' }, /^compress cannot be true/],
    [{ max_size: '10m' }, /^unknown log opt 'max_size' for json-file log driver$/],
  ];
  for (const [config, re] of bad) {
    test(`${JSON.stringify(config)} is an InvalidParameter`, () => {
      assert.throws(
        () => parseLogOptions('', config),
        (e: unknown) => isKind(e, 'InvalidParameter') && re.test((e as Error).message),
      );
    });
  }
  test('unknown keys name the driver', () => {
    assert.throws(() => parseLogOptions('local', { foo: '1' }), /unknown log opt 'foo' for local log driver/);
  });
});
