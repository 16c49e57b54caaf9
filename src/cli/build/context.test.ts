/**
 * Build contexts as the docker CLI sends them: a directory walked and
 * tarred with .dockerignore applied (go-archive's TarWithOptions rules),
 * the Dockerfile located as docker does, a Dockerfile from stdin or from
 * outside the context added under a hidden name, and stdin told apart as an
 * archive or a Dockerfile. Temporary directories only, no root needed.
 */
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { contextExcludes, extraDockerfile, packContext, resolveLocalContext, walkContext } from './context-dir.js';
import { contextFromStream, isArchive, readAll } from './context-stream.js';

interface TarItem {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  linkname: string | null;
  mtime: number;
  data: string;
}

async function untar(body: Readable | Buffer): Promise<TarItem[]> {
  const items: TarItem[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((ok, fail) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        items.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, uname: h.uname ?? '', linkname: h.linkname ?? null, mtime: h.mtime?.getTime() ?? 0, data: Buffer.concat(chunks).toString() });
        next();
      });
    });
    ex.on('finish', ok);
    ex.on('error', fail);
  });
  if (Buffer.isBuffer(body)) ex.end(body);
  else body.pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return items;
}

function tree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    if (rel.endsWith('/')) mkdirSync(p, { recursive: true });
    else writeFileSync(p, content);
  }
}

async function sent(dir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const excludes = await contextExcludes(dir, dockerfile, false);
  return (await walkContext(dir, excludes)).map((e) => e.rel);
}

describe('directory contexts', () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  let n = 0;
  const fresh = (files: Record<string, string>): string => {
    const d = join(base, `c${n++}`);
    mkdirSync(d);
    tree(d, files);
    return d;
  };

  it('sends everything in name order without a .dockerignore', async () => {
    const d = fresh({ Dockerfile: 'FROM scratch\n', 'b.txt': 'b', 'a/x.txt': 'x', 'a/y/z.txt': 'z', 'A.txt': 'A' });
    assert.deepEqual(await sent(d), ['A.txt', 'Dockerfile', 'a', 'a/x.txt', 'a/y', 'a/y/z.txt', 'b.txt']);
  });

  it('applies .dockerignore: globs, **, directories, and ! exceptions inside excluded directories', async () => {
    const d = fresh({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# build output\n*.log\n**/*.tmp\nnode_modules\ndocs\n!docs/keep.md\n/secret\n',
      'app.log': '',
      'src/main.js': '',
      'src/cache.tmp': '',
      'src/deep/er/x.tmp': '',
      'src/deep/er/y.js': '',
      'node_modules/m/index.js': '',
      'docs/keep.md': '',
      'docs/drop.md': '',
      'secret/key': '',
      'sub/app.log': '',
    });
    assert.deepEqual(await sent(d), ['.dockerignore', 'Dockerfile', 'docs/keep.md', 'src', 'src/deep', 'src/deep/er', 'src/deep/er/y.js', 'src/main.js', 'sub', 'sub/app.log']);
  });

  it('walks an excluded directory with re-included entries at its place in name order', async () => {
    const d = fresh({ '.dockerignore': 'm\n!m/keep\n', Dockerfile: '', 'a.txt': '', 'm/keep': '', 'm/drop': '', 'z.txt': '' });
    assert.deepEqual(await sent(d), ['.dockerignore', 'Dockerfile', 'a.txt', 'm/keep', 'z.txt']);
  });

  it('always sends the Dockerfile and .dockerignore, even when the patterns exclude them', async () => {
    const d = fresh({ '.dockerignore': '*\n', Dockerfile: 'FROM scratch\n', 'other.txt': '' });
    assert.deepEqual(await sent(d), ['.dockerignore', 'Dockerfile']);
    const e = fresh({ '.dockerignore': 'build\n', 'build/Dockerfile.dev': 'FROM scratch\n', 'build/other': '' });
    assert.deepEqual(await sent(e, 'build/Dockerfile.dev'), ['.dockerignore', 'build/Dockerfile.dev']);
  });

  it('refuses a malformed .dockerignore pattern', async () => {
    const d = fresh({ '.dockerignore': 'a[\n', Dockerfile: '' });
    await assert.rejects(sent(d), /error checking context: syntax error in pattern/);
  });

  it('packs entries as root with whole-second mtimes, keeping modes, symlinks and hard links', async () => {
    const long = `${'deep-directory-name/'.repeat(6)}${'long-file-name-'.repeat(8)}.txt`;
    const big = 'x'.repeat(1_500_000);
    const d = fresh({ Dockerfile: 'FROM scratch\n', 'bin/run.sh': '#!/bin/sh\n', 'big.bin': big, 'data.txt': 'hello', [long]: 'long name' });
    chmodSync(join(d, 'bin/run.sh'), 0o755);
    chmodSync(join(d, 'data.txt'), 0o640);
    symlinkSync('data.txt', join(d, 'link'));
    linkSync(join(d, 'data.txt'), join(d, 'zz-hard'));
    utimesSync(join(d, 'data.txt'), 1_700_000_000.75, 1_700_000_000.75);
    const items = await untar(packContext(await walkContext(d, [])));
    const by = new Map(items.map((i) => [i.name, i]));
    const dirs = long.split('/').slice(0, -1).map((_p, i, all) => `${all.slice(0, i + 1).join('/')}/`);
    assert.deepEqual(
      items.map((i) => i.name),
      ['Dockerfile', 'big.bin', 'bin/', 'bin/run.sh', 'data.txt', ...dirs, long, 'link', 'zz-hard'],
    );
    assert.equal(by.get('big.bin')!.data, big);
    assert.equal(by.get(long)!.data, 'long name');
    for (const i of items) {
      assert.equal(i.uid, 0, i.name);
      assert.equal(i.gid, 0, i.name);
      assert.equal(i.uname, '', i.name);
    }
    assert.equal(by.get('bin/')!.type, 'directory');
    assert.equal(by.get('bin/run.sh')!.mode, 0o755);
    assert.equal(by.get('data.txt')!.mode, 0o640);
    assert.equal(by.get('data.txt')!.data, 'hello');
    assert.equal(by.get('data.txt')!.mtime, 1_700_000_000_000);
    assert.equal(by.get('link')!.type, 'symlink');
    assert.equal(by.get('link')!.linkname, 'data.txt');
    assert.equal(by.get('zz-hard')!.type, 'link');
    assert.equal(by.get('zz-hard')!.linkname, 'data.txt');
  });

  it('fails the context rather than send a corrupt tar when a file changes size meanwhile', async () => {
    const d = fresh({ Dockerfile: 'FROM scratch\n', 'grows.txt': 'short' });
    const entries = await walkContext(d, []);
    writeFileSync(join(d, 'grows.txt'), 'much longer now');
    await assert.rejects(readAll(packContext(entries)), /can't add file .*grows\.txt to tar: it changed size while being sent \(5 bytes expected\)/);
  });

  it('adds a Dockerfile from elsewhere under a hidden name and lists it in .dockerignore', async () => {
    const d = fresh({ 'a.txt': 'a' });
    const extra = extraDockerfile(Buffer.from('FROM scratch\n'));
    assert.match(extra.name, /^\.dockerfile\.[0-9a-f]{20}$/);
    const items = await untar(packContext(await walkContext(d, []), extra));
    assert.deepEqual(
      items.map((i) => [i.name, i.data]),
      [
        ['a.txt', 'a'],
        [extra.name, 'FROM scratch\n'],
        ['.dockerignore', `.dockerignore\n${extra.name}\n`],
      ],
    );
    assert.equal(items[1]!.mode, 0o600);
    const withIgnore = fresh({ '.dockerignore': '*.log', 'a.txt': 'a' });
    const items2 = await untar(packContext(await walkContext(withIgnore, []), extra));
    assert.equal(items2.find((i) => i.name === '.dockerignore')!.data, `*.log\n${extra.name}\n`);
  });

  it('finds the Dockerfile as docker does: Dockerfile, else dockerfile, -f relative to the current directory', async () => {
    const d = fresh({ dockerfile: 'FROM scratch\n', 'sub/Other': '' });
    assert.deepEqual(await resolveLocalContext(d, undefined), { dir: d, relDockerfile: 'dockerfile' });
    assert.deepEqual(await resolveLocalContext('.', 'sub/Other', d), { dir: d, relDockerfile: 'sub/Other' });
    const outside = fresh({ 'Dockerfile.out': '' });
    assert.equal((await resolveLocalContext(d, join(outside, 'Dockerfile.out'))).relDockerfile.startsWith('../'), true);
    const empty = fresh({ 'x.txt': '' });
    await assert.rejects(resolveLocalContext(empty, undefined), /^Error: unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat .*\/Dockerfile: no such file or directory$/);
    await assert.rejects(resolveLocalContext(join(empty, 'x.txt'), undefined), /unable to prepare context: context must be a directory: .*x\.txt/);
  });
});

describe('stdin contexts', () => {
  const tarOf = async (name: string, data: string): Promise<Buffer> => {
    const p = tar.pack();
    p.entry({ name }, data);
    p.finalize();
    return readAll(Readable.from(p));
  };

  it('tells archives (tar, gzip, bzip2, xz, zstd) from Dockerfiles', async () => {
    const t = await tarOf('Dockerfile', 'FROM scratch\n');
    assert.equal(isArchive(t), true);
    assert.equal(isArchive(gzipSync(t)), true);
    assert.equal(isArchive(Buffer.from('BZh91AY&SY')), true);
    assert.equal(isArchive(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00])), true);
    assert.equal(isArchive(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00])), true);
    assert.equal(isArchive(Buffer.from('FROM busybox\nRUN echo hi\n'.repeat(60))), false);
    assert.equal(isArchive(Buffer.alloc(1024)), false);
    const corrupt = Buffer.from(t);
    corrupt[0] = corrupt[0]! ^ 0xff;
    assert.equal(isArchive(corrupt), false);
  });

  it('passes an archive through with -f as given', async () => {
    const t = await tarOf('build/Dockerfile', 'FROM scratch\n');
    const c = await contextFromStream(Readable.from([t.subarray(0, 100), t.subarray(100)]), 'build/Dockerfile');
    assert.equal(c.dockerfile, 'build/Dockerfile');
    assert.deepEqual(await readAll(c.body), t);
  });

  it('wraps a Dockerfile into a one-file tar', async () => {
    const c = await contextFromStream(Readable.from([Buffer.from('FROM scratch\nCMD ["x"]\n')]), undefined);
    assert.equal(c.dockerfile, 'Dockerfile');
    const items = await untar(await readAll(c.body));
    assert.deepEqual(
      items.map((i) => [i.name, i.data]),
      [['Dockerfile', 'FROM scratch\nCMD ["x"]\n']],
    );
  });

  it("refuses a Dockerfile on stdin when -f also names one (docker's texts)", async () => {
    await assert.rejects(contextFromStream(Readable.from([Buffer.from('FROM scratch\n')]), '-'), /unable to prepare context from STDIN: build context is not an archive/);
    await assert.rejects(contextFromStream(Readable.from([Buffer.from('FROM scratch\n')]), 'Dockerfile'), /ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles/);
  });
});
