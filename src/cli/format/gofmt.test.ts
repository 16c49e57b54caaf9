import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatFloat, formatValue, goQuote, sprint, sprintf, sprintln } from './gofmt.js';
import { encodeJSON, marshalJSON } from './gojson.js';

describe('formatFloat matches strconv.FormatFloat', () => {
  const cases: [number, 'e' | 'E' | 'f' | 'g' | 'G', number, string][] = [
    [4.261, 'g', 3, '4.26'],
    [743, 'g', 3, '743'],
    [1, 'g', 3, '1'],
    [0, 'g', 3, '0'],
    [999.9, 'g', 3, '1e+03'],
    // exact ties round to even, unlike JS toPrecision/toFixed
    [1.125, 'g', 3, '1.12'],
    [1.375, 'g', 3, '1.38'],
    [0.125, 'f', 2, '0.12'],
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [-2.5, 'f', 0, '-2'],
    [1.005, 'f', 2, '1.00'],
    [0.001, 'f', 0, '0'],
    [0.6, 'f', 0, '1'],
    // shortest %g switches to exponent form outside [1e-4, 1e21) at 6 digits
    [123456, 'g', -1, '123456'],
    [1e6, 'g', -1, '1e+06'],
    [123456789, 'g', -1, '1.23456789e+08'],
    [0.0001, 'g', -1, '0.0001'],
    [0.00001234, 'g', -1, '1.234e-05'],
    [1e21, 'g', -1, '1e+21'],
    [0.1, 'g', -1, '0.1'],
    [1.5, 'e', -1, '1.5e+00'],
    [0, 'e', 6, '0.000000e+00'],
    [1234.5678, 'e', 6, '1.234568e+03'],
    [1e100, 'E', 2, '1.00E+100'],
    [1048576, 'g', 4, '1.049e+06'],
    [100, 'G', 1, '1E+02'],
    [Number.NaN, 'g', -1, 'NaN'],
    [Number.POSITIVE_INFINITY, 'f', 2, '+Inf'],
  ];
  for (const [x, fmt, prec, want] of cases) {
    test(`${x} ${fmt} ${prec}`, () => assert.equal(formatFloat(x, fmt, prec), want));
  }
});

describe('formatValue is Go %v', () => {
  const cases: [unknown, string][] = [
    ['raw string', 'raw string'],
    [42, '42'],
    [-0.5, '-0.5'],
    [1e21, '1000000000000000000000'],
    [2.5e-7, '2.5e-07'],
    [true, 'true'],
    [null, '<nil>'],
    [['a', 'b', 1], '[a b 1]'],
    [[], '[]'],
    [{ z: 1, a: ['x'], m: { k: null } }, 'map[a:[x] m:map[k:<nil>] z:1]'],
    [{}, 'map[]'],
  ];
  for (const [v, want] of cases) test(JSON.stringify(v), () => assert.equal(formatValue(v), want));
});

describe('sprintf', () => {
  const cases: [string, unknown[], string][] = [
    ['%-10s|', ['ab'], 'ab        |'],
    ['%5d|%-5d|%05d', [42, 42, -42], '   42|42   |-0042'],
    ['%+d % d', [5, 5], '+5  5'],
    ['%.2f %8.3f %6.2f%%', [3.14159, 3.14159, 12.5], '3.14    3.142  12.50%'],
    ['%q', ['hi\n"x"'], '"hi\\n\\"x\\""'],
    ['%#q', ['plain'], '`plain`'],
    ['%v %s', [['a', 'b'], ['c']], '[a b] [c]'],
    ['%q', [['a', 'b']], '["a" "b"]'],
    ['%5d', [[1, 2]], '[    1     2]'],
    ['%x %X %#x %o %b', [255, 255, 255, 8, 5], 'ff FF 0xff 10 101'],
    ['%x % x', ['hi', 'hi'], '6869 68 69'],
    ['%c%c %U %q', [72, 105, 0x1f600, 65], "Hi U+1F600 'A'"],
    ['%t %v', [true, false], 'true false'],
    ['%e %g %g %G', [1234.5678, 0.00001234, 100000, 1e-10], '1.234568e+03 1.234e-05 100000 1E-10'],
    ['%.3s|%.1q', ['abcdef', 'xyz'], 'abc|"x"'],
    ['%*d|%-*d|', [4, 7, 3, 1], '   7|1  |'],
    ['%6.2v', [3.14159], '   3.1'],
    ['%s %d %t', [null, 'x', 1], '%!s(<nil>) %!d(string=x) %!t(int=1)'],
    ['%d', [1.5], '%!d(float64=1.5)'],
    ['%d %d', [1], '1 %!d(MISSING)'],
    ['%d', [1, 'a', null], '1%!(EXTRA string=a, <nil>)'],
    ['100%% %', [], '100% %!(NOVERB)'],
    ['%z', [1], '%!z(int=1)'],
    ['%v', [{ b: 1, a: 'x' }], 'map[a:x b:1]'],
  ];
  for (const [format, args, want] of cases) {
    test(`${JSON.stringify(format)} ${JSON.stringify(args)}`, () => assert.equal(sprintf(format, args), want));
  }
});

describe('sprint and sprintln', () => {
  test('Sprint adds spaces only between non-strings', () => assert.equal(sprint([1, 2, 'a', 'b', 3, null]), '1 2ab3 <nil>'));
  test('Sprintln always spaces and ends the line', () => assert.equal(sprintln(['a', 1, ['x']]), 'a 1 [x]\n'));
});

describe('goQuote is strconv.Quote', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['tab\tnl\nq"bs\\', '"tab\\tnl\\nq\\"bs\\\\"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['héllo ✓', '"héllo ✓"'],
    ['\u00ad\u200b', '"\\u00ad\\u200b"'],
  ];
  for (const [s, want] of cases) test(JSON.stringify(s), () => assert.equal(goQuote(s), want));
});

describe('encodeJSON is encoding/json', () => {
  const value = { b: '<a&b>', a: [1, 0.5, null, true], e: {}, l: [], s: 'tab\t\u2028\x01' };
  const cases: [string, Parameters<typeof encodeJSON>[1], string][] = [
    ['compact, insertion order', {}, '{"b":"<a&b>","a":[1,0.5,null,true],"e":{},"l":[],"s":"tab\\t\\u2028\\u0001"}'],
    [
      'sorted, HTML escaped',
      { sortKeys: true, escapeHTML: true },
      '{"a":[1,0.5,null,true],"b":"\\u003ca\\u0026b\\u003e","e":{},"l":[],"s":"tab\\t\\u2028\\u0001"}',
    ],
    [
      'indented',
      { indent: '    ' },
      '{\n    "b": "<a&b>",\n    "a": [\n        1,\n        0.5,\n        null,\n        true\n    ],\n    "e": {},\n    "l": [],\n    "s": "tab\\t\\u2028\\u0001"\n}',
    ],
  ];
  for (const [name, opts, want] of cases) test(name, () => assert.equal(encodeJSON(value, opts), want));

  test('values can bring their own encoding', () => {
    const v = { x: { [marshalJSON]: () => '"custom"', ignored: 1 } };
    assert.equal(encodeJSON(v), '{"x":"custom"}');
  });
  test('NaN is an error, as in Go', () => assert.throws(() => encodeJSON(Number.NaN), /unsupported value: NaN/));
});
