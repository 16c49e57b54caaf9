import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerfile } from './parser.js';

const one = (text: string) => parseDockerfile(text).instructions[0]!;

describe('Dockerfile parser', () => {
  it('reads instructions case-insensitively, with line numbers and the original text', () => {
    const df = parseDockerfile('FROM busybox\n\nrun echo hi\n  Cmd ["sh"]\n');
    assert.deepEqual(df.instructions.map((i) => [i.cmd, i.line, i.original]), [
      ['from', 1, 'FROM busybox'],
      ['run', 3, 'run echo hi'],
      ['cmd', 4, 'Cmd ["sh"]'],
    ]);
  });

  it('joins continuation lines, skipping comments and blank lines inside', () => {
    const i = one('RUN echo a \\\n# comment\n\n    && echo b\\  \n  c\n');
    assert.deepEqual(i.args, ['echo a     && echo b  c']);
  });

  it('takes comments only at the start of a line', () => {
    const df = parseDockerfile('# first\nFROM x # not a comment\n   # indented comment\nRUN a#b');
    assert.deepEqual(df.instructions.map((i) => i.args), [['x', '#', 'not', 'a', 'comment'], ['a#b']]);
  });

  it('reads parser directives only at the top', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n b');
    assert.equal(df.escape, '`');
    assert.equal(df.syntax, 'docker/dockerfile:1');
    assert.deepEqual(df.instructions[1]!.args, ['a  b']);
    assert.equal(parseDockerfile('FROM x\n# escape=`\nRUN a `\n').escape, '\\');
    assert.equal(parseDockerfile('# comment\n# escape=`\nFROM x').escape, '\\');
    assert.equal(parseDockerfile('# unknown=1\n# escape=`\nFROM x').escape, '\\');
  });

  it('refuses a bad escape and a repeated directive', () => {
    assert.throws(() => parseDockerfile('# escape=x\nFROM a'), /invalid escape token/);
    assert.throws(() => parseDockerfile('# escape=`\n# escape=`\nFROM a'), /only one escape/);
  });

  it('tells JSON form from shell form', () => {
    assert.deepEqual([one('CMD ["a", "b c"]').args, one('CMD ["a", "b c"]').json], [['a', 'b c'], true]);
    assert.deepEqual([one('CMD [a, b]').args, one('CMD [a, b]').json], [['[a, b]'], false]);
    assert.deepEqual(one('CMD ["a", 1]').args, ['["a", 1]']);
    assert.deepEqual(one('COPY ["a b", "/c/"]').args, ['a b', '/c/']);
    assert.deepEqual(one('COPY a  b\t/c/').args, ['a', 'b', '/c/']);
  });

  it('extracts leading flags', () => {
    const i = one('COPY --from=build --chown=1:2 --link a b');
    assert.deepEqual(i.flags, [
      { name: 'from', value: 'build' },
      { name: 'chown', value: '1:2' },
      { name: 'link', value: undefined },
    ]);
    assert.deepEqual(i.args, ['a', 'b']);
    assert.deepEqual(one('FROM --platform=linux/amd64 x AS y').flags, [{ name: 'platform', value: 'linux/amd64' }]);
    assert.deepEqual(one('RUN echo --x').flags, []);
  });

  it('reads ENV and LABEL pairs, quoted and legacy', () => {
    assert.deepEqual(one('ENV a=1 b="x y" c=z\\ w').args, ['a=1', 'b="x y"', 'c=z\\ w']);
    assert.deepEqual(one('ENV key some value').args, ['key=some value']);
    assert.deepEqual(one('LABEL "com.x"="y" k=\'v v\'').args, ['"com.x"="y"', "k='v v'"]);
    assert.throws(() => one('ENV a=1 b'), /can't find = in "b"/);
    assert.throws(() => one('ENV onlykey'), /must have two arguments/);
    assert.throws(() => one('LABEL k v'), /must have two arguments/);
  });

  it('reads ONBUILD and HEALTHCHECK', () => {
    const ob = one('ONBUILD RUN echo hi');
    assert.equal(ob.next!.cmd, 'run');
    assert.deepEqual(ob.next!.args, ['echo hi']);
    assert.throws(() => one('ONBUILD ONBUILD RUN x'), /Chaining ONBUILD/);
    assert.throws(() => one('ONBUILD FROM x'), /FROM isn't allowed/);
    const hc = one('HEALTHCHECK --interval=5s --retries=3 CMD ["true"]');
    assert.deepEqual(hc.flags.map((f) => f.name), ['interval', 'retries']);
    assert.deepEqual([hc.next!.args, hc.next!.json], [['true'], true]);
    assert.deepEqual(one('HEALTHCHECK NONE').args, ['NONE']);
    assert.throws(() => one('HEALTHCHECK FOO x'), /Unknown type/);
  });

  it('refuses unknown instructions with the line', () => {
    assert.throws(() => parseDockerfile('FROM x\nFOO bar'), /line 2: unknown instruction: FOO/);
  });

  it('ignores a byte order mark and CRLF line ends', () => {
    assert.deepEqual(parseDockerfile('\uFEFFFROM x\r\nRUN y\r\n').instructions.map((i) => i.args), [['x'], ['y']]);
  });
});
