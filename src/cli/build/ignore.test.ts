/**
 * The .dockerignore matcher against moby/patternmatcher's own test tables
 * (patternmatcher_test.go, ignorefile_test.go), plus docker/cli's
 * TrimBuildFilesFromExcludes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadPatternError, PatternMatcher, goClean, keepBuildFiles, parseIgnoreFile, type MatchInfo } from './ignore.js';

const SINGLE: [pattern: string, path: string, excluded: boolean][] = [
  ['**', 'file', true],
  ['**', 'file/', true],
  ['**/', 'file', true],
  ['**/', 'file/', true],
  ['**', '/', true],
  ['**/', '/', true],
  ['**', 'dir/file', true],
  ['**/', 'dir/file', true],
  ['**', 'dir/file/', true],
  ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true],
  ['**/**', 'dir/file/', true],
  ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/file/', true],
  ['dir/**', 'dir/dir2/file', true],
  ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/*', 'dir/dir2/file/', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true],
  ['**file', 'file', true],
  ['**file', 'dir/file', true],
  ['**/file', 'dir/file', true],
  ['**file', 'dir/dir/file', true],
  ['**/file', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file.txt', true],
  ['**/file*txt', 'dir/dir/file.txt', true],
  ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/file.txt', true],
  ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true],
  ['a[b-d]e', 'ae', false],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['.*', '.foo', true],
  ['.*', 'foo', false],
  ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true],
  ['abc.def', 'abcZdef', false],
  ['abc?def', 'abcZdef', true],
  ['abc?def', 'abcdef', false],
  ['a\\\\', 'a\\', true],
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'dir/foo/bar', true],
  ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false],
  ['abc/**', 'abc/def', true],
  ['abc/**', 'abc/def/ghi', true],
  ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  // A directory's match covers everything below it.
  ['docs', 'docs/sub/README.md', true],
  ['*.go', 'pkg/file.go', false],
];

const MULTI: [patterns: string[], path: string, excluded: boolean][] = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['!fileutils.go', '*.go'], 'fileutils.go', true],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs/', '!docs/README.md'], 'docs/README.md', false],
  [['docs/*', '!docs/README.md'], 'docs/README.md', false],
  [['*.go', '!fileutils.go'], 'fileutils.go', false],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-public.md', false],
];

/** What go-archive's walk computes for path: the parents' results passed down, directory by directory. */
function walkMatch(pm: PatternMatcher, path: string): boolean {
  const parts = path.split('/');
  let info: MatchInfo;
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (parent === '') continue;
    info = pm.matchesUsingParentResults(parent, info).info;
  }
  return pm.matchesUsingParentResults(path, info).matched;
}

describe('.dockerignore patterns (moby/patternmatcher)', () => {
  it('single patterns: MatchesOrParentMatches and the walk agree with patternmatcher', () => {
    for (const [pattern, path, excluded] of SINGLE) {
      const pm = new PatternMatcher([pattern]);
      assert.equal(pm.matchesOrParentMatches(path), excluded, `${pattern} vs ${path}`);
      assert.equal(walkMatch(pm, path), excluded, `walk: ${pattern} vs ${path}`);
    }
  });

  it('pattern lists: later patterns win, ! re-includes', () => {
    for (const [patterns, path, excluded] of MULTI) {
      const pm = new PatternMatcher(patterns);
      assert.equal(pm.matchesOrParentMatches(path), excluded, `${patterns.join(' ')} vs ${path}`);
      assert.equal(walkMatch(pm, path), excluded, `walk: ${patterns.join(' ')} vs ${path}`);
    }
  });

  it('refuses malformed patterns and a lone !', () => {
    for (const bad of ['[', 'a[', 'a[]', 'a[z-a]', 'x\\']) assert.throws(() => new PatternMatcher([bad]), BadPatternError, bad);
    assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern: "!"/);
  });

  it('cleans patterns and skips blank ones', () => {
    const pm = new PatternMatcher(['  ', 'a/../b/./c/', ' docs ']);
    assert.deepEqual(
      pm.patterns.map((p) => p.cleaned),
      ['b/c', 'docs'],
    );
    assert.equal(new PatternMatcher([]).matchesOrParentMatches('any/path'), false);
  });

  it('goClean is path.Clean', () => {
    const cases: [string, string][] = [
      ['', '.'],
      ['a/b/../c', 'a/c'],
      ['/../a', '/a'],
      ['../../a', '../../a'],
      ['a/', 'a'],
      ['./', '.'],
      ['//a//b', '/a/b'],
    ];
    for (const [input, want] of cases) assert.equal(goClean(input), want, input);
  });
});

describe('.dockerignore files (ignorefile.ReadAll)', () => {
  it('drops comments and blanks, makes paths relative, keeps ! in front', () => {
    const text = '\uFEFFtest1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! \r\nwin/line\r\n';
    assert.deepEqual(parseIgnoreFile(text), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!', 'win/line']);
  });
});

describe("keepBuildFiles (docker's TrimBuildFilesFromExcludes)", () => {
  it('adds exceptions for the Dockerfile and .dockerignore when they are excluded', () => {
    assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile', false), ['*', '!.dockerignore', '!Dockerfile']);
    assert.deepEqual(keepBuildFiles(['build'], 'build/Dockerfile.dev', false), ['build', '!build/Dockerfile.dev']);
  });
  it('leaves patterns alone when nothing needed is excluded, and never keeps a Dockerfile from stdin', () => {
    assert.deepEqual(keepBuildFiles(['node_modules'], 'Dockerfile', false), ['node_modules']);
    assert.deepEqual(keepBuildFiles(['*'], '-', true), ['*', '!.dockerignore']);
  });
});
