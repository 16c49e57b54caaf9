import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRegexp, filterMatcher, globMatcher, RegexpSyntaxError, RegexpTooExpensive } from './re2.js';

describe('re2: Go-syntax regular expressions in linear time', () => {
  // Patterns whose meaning is the same in Go and JavaScript: the answers must agree with RegExp.
  const same: [string, string[]][] = [
    ['abc', ['abc', 'xabcx', 'ab', '']],
    ['^abc$', ['abc', 'abcd', 'xabc']],
    ['a.c', ['abc', 'a\nc', 'ac']],
    ['a*b', ['b', 'aaab', 'aaa']],
    ['a+b', ['b', 'ab', 'aab']],
    ['colou?r', ['color', 'colour', 'colouur']],
    ['^(foo|bar)-\\d+$', ['foo-1', 'bar-22', 'baz-1', 'foo-', 'foo-1x']],
    ['[a-c]{2,3}', ['ab', 'a', 'abcd', 'xx']],
    ['^[^/]+$', ['abc', 'a/b']],
    ['^x{3}$', ['xxx', 'xx', 'xxxx']],
    ['^x{2,}$', ['x', 'xx', 'xxxxx']],
    ['\\bword\\b', ['a word here', 'swordfish', 'word']],
    ['\\Bor\\B', ['word', 'or']],
    ['[\\d\\s]+', ['12 3', 'abc']],
    ['\\W', ['abc', 'a-b']],
    ['(?i)HeLLo', ['hello', 'HELLO', 'help']],
    ['a|b|c', ['xxc', 'xyz']],
    ['^$', ['', 'a']],
    ['(a|ab)(c|bcd)(d*)', ['abcd', 'acd']],
    ['[a-]', ['-', 'a', 'b']],
    ['\\.\\*\\+\\?\\(\\)', ['.*+?()', 'abc']],
    ['(?:ab)+', ['ababab', 'ba']],
    ['(?s)a.b', ['a\nb']],
    ['(?m)^b$', ['a\nb\nc', 'ab']],
    ['^b$', ['a\nb\nc']],
    ['\\x41\\x{42}', ['AB', 'ab']],
    ['[[:alpha:]]+[[:digit:]]', ['abc1', '123']],
    ['[^[:space:]]', ['   ', ' x ']],
    ['é+', ['café', 'cafe']],
  ];
  for (const [pattern, inputs] of same) {
    it(`agrees with RegExp on ${pattern}`, () => {
      const js = new RegExp(pattern.replace('[[:alpha:]]', '[A-Za-z]').replace('[[:digit:]]', '\\d').replace('[^[:space:]]', '[^\\s]').replace('\\x{42}', '\\x42').replace(/^\(\?i\)/, '').replace(/^\(\?s\)/, '').replace(/^\(\?m\)/, ''), pattern.startsWith('(?i)') ? 'i' : pattern.startsWith('(?s)') ? 's' : pattern.startsWith('(?m)') ? 'm' : '');
      const re = compileRegexp(pattern);
      for (const s of inputs) assert.equal(re.test(s), js.test(s), `${pattern} on ${JSON.stringify(s)}`);
    });
  }

  it('handles Go-only syntax: named groups, \\A \\z, \\Q…\\E, \\pL, scoped flags', () => {
    assert.ok(compileRegexp('(?P<name>ab)c').test('abc'));
    assert.ok(compileRegexp('(?<name>ab)c').test('abc'));
    assert.ok(compileRegexp('\\Aab\\z').test('ab'));
    assert.ok(!compileRegexp('\\Aab\\z').test('abc'));
    assert.ok(compileRegexp('\\Qa.b*\\E$').test('xa.b*'));
    assert.ok(!compileRegexp('\\Qa.b\\E').test('axb'));
    assert.ok(compileRegexp('^\\pL+$').test('héllo'));
    assert.ok(!compileRegexp('^\\pL+$').test('h3llo'));
    assert.ok(compileRegexp('^\\p{Greek}$').test('λ'));
    assert.ok(compileRegexp('a(?i:B)c').test('abc'));
    assert.ok(!compileRegexp('a(?i:B)c').test('abC'));
    assert.ok(compileRegexp('(?i)a|b').test('B'), 'flags set in a group reach later alternatives');
    // A `]` first in a class is a member (JavaScript reads `[]` as an empty class).
    assert.ok(compileRegexp('^[]a]$').test(']'));
    assert.ok(!compileRegexp('^[]a]$').test('b'));
  });

  it('refuses what Go refuses', () => {
    for (const bad of ['(', ')', 'a**', '*a', '[a', '[z-a]', 'a{1001}', '\\q', '(?=a)', '\\1', 'x{2,1}']) {
      assert.throws(() => compileRegexp(bad), RegexpSyntaxError, bad);
    }
    // A `{` that is no repetition is a literal, as in Go.
    assert.ok(compileRegexp('a{,2}').test('a{,2}'));
    assert.throws(() => compileRegexp('((a{1000}){1000}){1000}'), RegexpSyntaxError);
  });

  it('takes linear time where backtracking takes exponential time', () => {
    const name = 'a'.repeat(5000) + '!';
    for (const p of ['(a+)+$', '(a|aa)+$', '(a*)*b', '^(a|a?)+$', '(.*a){20}$']) {
      const t0 = process.hrtime.bigint();
      assert.equal(compileRegexp(p).test(name), false, p);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.ok(ms < 1000, `${p}: ${ms} ms`);
    }
  });

  it('stops a matcher that exhausts its budget', () => {
    const re = compileRegexp('(a|b|c|d|e|f|g|h)*z', { left: 1000 });
    assert.throws(() => re.test('abcdefgh'.repeat(100)), RegexpTooExpensive);
  });

  it('filterMatcher: equality or a match anywhere; an invalid pattern matches only by equality', () => {
    const m = filterMatcher(['^web-', '(', 'exact']);
    assert.ok(m('web-1'));
    assert.ok(m('('));
    assert.ok(m('exact'));
    assert.ok(m('not-exactly'));
    assert.ok(!m('db-1'));
    assert.ok(filterMatcher([])('anything') === false);
  });

  it('globMatcher: Go\'s path.Match', () => {
    const cases: [string, string, boolean][] = [
      ['busy*', 'busybox', true],
      ['busy*', 'library/busybox', false],
      ['*/*:latest', 'a/b:latest', true],
      ['*/*:latest', 'a:latest', false],
      ['[ab]usy?ox', 'busybox', true],
      ['[^ab]usybox', 'busybox', false],
      ['[a-c]*', 'cat', true],
      ['a.b', 'axb', false],
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false],
      ['x(y)+', 'x(y)+', true],
      ['[unterminated', '[unterminated', false],
      ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200), false],
    ];
    for (const [p, s2, want] of cases) assert.equal(globMatcher(p)(s2), want, `${p} on ${s2}`);
  });
});
