import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IgnoreMatcher } from './dockerignore.js';

describe('.dockerignore matching', () => {
  const cases: [string, string, boolean][] = [
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['*/*.md', 'docs/README.md', true],
    ['**/*.md', 'docs/a/README.md', true],
    ['**/*.md', 'README.md', true],
    ['docs', 'docs/a/b.txt', true],
    ['docs/', 'docs/a', true],
    ['/docs', 'docs/a', true],
    ['./docs', 'docs', true],
    ['doc?', 'docs', true],
    ['doc?', 'doc/x', false],
    ['a/**', 'a/b/c', true],
    ['a/**', 'a', false],
    ['a/**/z', 'a/z', true],
    ['a/**/z', 'a/b/c/z', true],
    ['**', 'anything/at/all', true],
    ['file.txt', 'file_txt', false],
    ['[ab].txt', 'a.txt', true],
    ['[!ab].txt', 'a.txt', false],
    ['[!ab].txt', 'c.txt', true],
    ['\\*x', '*x', true],
    ['\\*x', 'ax', false],
    ['a+b', 'a+b', true],
    ['node_modules', 'node_modules/x/y.js', true],
    ['node_modules', 'src/node_modules', false],
  ];
  for (const [pattern, path, want] of cases) {
    it(`${pattern} ${want ? 'excludes' : 'keeps'} ${path}`, () => assert.equal(new IgnoreMatcher([pattern]).excludes(path), want));
  }

  it('applies exceptions in order, the last match winning', () => {
    const m = IgnoreMatcher.parse('# comment\n\n*.md\n!README.md\nREADME*.md\n!README-keep.md\n');
    assert.equal(m.excludes('a.md'), true);
    assert.equal(m.excludes('README.md'), true);
    assert.equal(m.excludes('README-keep.md'), false);
    assert.equal(m.excludes('x.txt'), false);
  });

  it('re-includes a file inside an excluded directory', () => {
    const m = IgnoreMatcher.parse('dir\n!dir/keep');
    assert.equal(m.excludes('dir/drop'), true);
    assert.equal(m.excludes('dir/keep'), false);
    assert.equal(m.hasExceptionsUnder('dir'), true);
    assert.equal(m.hasExceptionsUnder('other'), false);
  });

  it('refuses a bare "!"', () => {
    assert.throws(() => IgnoreMatcher.parse('!'), /illegal exclusion/);
  });
});
