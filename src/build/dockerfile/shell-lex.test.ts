import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envMap, processWord, processWords } from './shell-lex.js';

const env = envMap(['A=a', 'EMPTY=', 'SP=x y', 'PATH=/usr/bin']);

describe('Dockerfile variable substitution', () => {
  const cases: [string, string][] = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['pre$A-post', 'prea-post'],
    ['${A}b', 'ab'],
    ['$Ab', ''],
    ['$UNSET', ''],
    ['${UNSET:-dflt}', 'dflt'],
    ['${A:-dflt}', 'a'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${UNSET-dflt}', 'dflt'],
    ['${A:+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:-$A}', 'a'],
    ['${UNSET:-${A}x}', 'ax'],
    ['\\$A', '$A'],
    ['\\${A}', '${A}'],
    ["'$A'", '$A'],
    ['"$A"', 'a'],
    ['"\\$A"', '$A'],
    ['"a\\"b"', 'a"b'],
    ['"a\\nb"', 'a\\nb'],
    ['a\\ b', 'a b'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1', ''],
    ['$A$A', 'aa'],
    ['${PATH}:/x', '/usr/bin:/x'],
    ['"it\'s"', "it's"],
    ["'a\"b'", 'a"b'],
    ['', ''],
  ];
  for (const [word, want] of cases) {
    it(`${JSON.stringify(word)} → ${JSON.stringify(want)}`, () => assert.equal(processWord(word, env), want));
  }

  it('uses the escape directive character', () => {
    assert.equal(processWord('`$A', env, '`'), '$A');
    assert.equal(processWord('C:\\dir', env, '`'), 'C:\\dir');
  });

  it('refuses unterminated quotes and substitutions, and unset required variables', () => {
    assert.throws(() => processWord('"abc', env), /double-quote/);
    assert.throws(() => processWord("'abc", env), /single-quote/);
    assert.throws(() => processWord('${A', env), /missing '}'/);
    assert.throws(() => processWord('${A:=x}', env), /unsupported modifier/);
    assert.throws(() => processWord('${UNSET:?must be set}', env), /UNSET: must be set/);
    assert.equal(processWord('${A:?x}', env), 'a');
  });

  it('splits words on unquoted whitespace, also inside substitutions', () => {
    assert.deepEqual(processWords('a "b c" $SP', env), ['a', 'b c', 'x', 'y']);
    assert.deepEqual(processWords('"$SP"', env), ['x y']);
  });
});
