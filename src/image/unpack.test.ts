// Layer extraction, for real on the kernel (needs root: chown, mknod, trusted.* xattrs, overlay mounts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { lgetxattr, mount, umount } from '../sys/libc.js';
import { diffLayer, encodeHeader } from './layer-diff.js';
import { applyLayer, normalizeLayerPath, parsePaxXattrs } from './unpack.js';
import { collect, listAll, makeTar, streamOf, tempDir, type EntrySpec } from './testdata/layer-fixtures.js';

const T0 = new Date('2021-03-04T05:06:07Z');
const T1 = new Date('2019-01-01T00:00:00Z');

let tmp: string;
let n = 0;
before(() => {
  tmp = tempDir('unpack');
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function freshDest(): string {
  const d = path.join(tmp, `dest-${++n}`);
  fs.mkdirSync(d);
  return d;
}

async function apply(entries: EntrySpec[], opts: Parameters<typeof applyLayer>[2] = {}, dest = freshDest()) {
  const r = await applyLayer(streamOf(await makeTar(entries)), dest, opts);
  return { dest, ...r };
}

describe('normalizeLayerPath', () => {
  const ok: Array<[string, string]> = [
    ['etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['././etc//passwd', 'etc/passwd'],
    ['etc/', 'etc'],
    ['./', ''],
    ['.', ''],
    ['a/./b/', 'a/b'],
    ['..foo/bar..', '..foo/bar..'],
    ['.wh.x', '.wh.x'],
  ];
  for (const [input, want] of ok) it(`accepts ${JSON.stringify(input)}`, () => assert.equal(normalizeLayerPath(input), want));

  const bad: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['/etc/passwd', /absolute/],
    ['//x', /absolute/],
    ['..', /"\.\." component/],
    ['../escape', /"\.\." component/],
    ['a/../../x', /"\.\." component/],
    ['a/..', /"\.\." component/],
    ['a/b/../c', /"\.\." component/],
    ['a\0b', /NUL/],
  ];
  for (const [input, re] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => normalizeLayerPath(input),
        (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter' && re.test(e.message),
      );
    });
  }
});

describe('parsePaxXattrs', () => {
  it('keeps binary values byte for byte', () => {
    const value = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xff, 0x0a, 0x3d]);
    const rec = (k: string, v: Buffer): Buffer => {
      const rest = Buffer.byteLength(k) + v.length + 3;
      let len = rest + String(rest).length;
      if (String(len).length !== String(rest).length) len = rest + String(len).length;
      return Buffer.concat([Buffer.from(`${len} ${k}=`), v, Buffer.from('\n')]);
    };
    const buf = Buffer.concat([rec('path', Buffer.from('a/b')), rec('SCHILY.xattr.security.capability', value)]);
    const m = parsePaxXattrs(buf);
    assert.deepEqual([...(m ?? new Map()).keys()], ['security.capability']);
    assert.ok(m!.get('security.capability')!.equals(value));
  });
});

describe('applyLayer', () => {
  it('extracts files, dirs, symlinks, hardlinks and fifos with their metadata', async () => {
    const { dest, bytes } = await apply([
      { name: 'etc/', type: 'directory', mode: 0o750, uid: 10, gid: 20, mtime: T1 },
      { name: 'etc/passwd', data: 'root:x:0:0\n', mode: 0o644, uid: 0, gid: 0, mtime: T0 },
      { name: './etc/shadow', data: 'secret', mode: 0o640, uid: 0, gid: 42, mtime: T0 },
      { name: 'bin/su', data: 'ELF', mode: 0o4755, uid: 0, gid: 0, mtime: T0 },
      // tar-stream's pack turns mode 0 into 0644; S_IFREG|0 is truthy and still writes 0000.
      { name: 'empty', data: '', mode: 0o100000, uid: 1000, gid: 1000, mtime: T0 },
      { name: 'etc/link', type: 'symlink', linkname: '/nonexistent/target', uid: 5, gid: 6, mtime: T1 },
      { name: 'etc/hard', type: 'link', linkname: 'etc/passwd', mode: 0o644, mtime: T0 },
      { name: 'run/fifo', type: 'fifo', mode: 0o620, uid: 7, gid: 8, mtime: T1 },
      { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: T1 },
      { name: 'x', data: 'v', pax: { 'SCHILY.xattr.user.test': 'hello' }, mtime: T0 },
    ]);
    assert.equal(bytes, 11 + 6 + 3 + 1);
    const st = (p: string): fs.Stats => fs.lstatSync(path.join(dest, p));

    assert.equal(fs.readFileSync(path.join(dest, 'etc/passwd'), 'utf8'), 'root:x:0:0\n');
    assert.equal(st('etc').mode & 0o7777, 0o750);
    assert.deepEqual([st('etc').uid, st('etc').gid], [10, 20]);
    assert.equal(st('etc').mtimeMs, T1.getTime(), 'directory mtime is set after its children are written');
    assert.equal(st('etc/shadow').gid, 42);
    assert.equal(st('etc/shadow').mode & 0o7777, 0o640);
    assert.equal(st('bin/su').mode & 0o7777, 0o4755);
    assert.equal(st('bin').mode & 0o7777, 0o755, 'implicit parent');
    assert.equal(st('empty').mode & 0o7777, 0);
    assert.deepEqual([st('empty').uid, st('empty').gid], [1000, 1000]);
    assert.equal(st('etc/passwd').mtimeMs, T0.getTime());
    assert.ok(st('etc/link').isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(dest, 'etc/link')), '/nonexistent/target');
    assert.deepEqual([st('etc/link').uid, st('etc/link').gid], [5, 6]);
    assert.equal(st('etc/link').mtimeMs, T1.getTime());
    assert.equal(st('etc/hard').ino, st('etc/passwd').ino);
    assert.equal(st('etc/passwd').nlink, 2);
    assert.ok(st('run/fifo').isFIFO());
    assert.equal(st('run/fifo').mode & 0o7777, 0o620);
    assert.equal(st('tmp').mode & 0o7777, 0o1777);
    assert.equal(lgetxattr(path.join(dest, 'x'), 'user.test')?.toString(), 'hello');
  });

  it('converts OCI whiteouts to overlay whiteouts', async () => {
    const { dest } = await apply([
      { name: 'a/', type: 'directory' },
      { name: 'a/.wh.gone', data: '' },
      { name: '.wh.top', data: '' },
      { name: 'opq/', type: 'directory', mode: 0o711 },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/kept', data: 'k' },
      { name: 'implicit/.wh..wh..opq', data: '' },
      { name: 'b/file', data: 'same layer' },
      { name: 'b/.wh.file', data: '' },
      { name: 'c/dir/deep', data: 'x' },
      { name: 'c/.wh.dir', data: '' },
      { name: '.wh..wh.plnk/123.456', data: 'aufs' },
    ]);
    for (const p of ['a/gone', 'top', 'b/file', 'c/dir']) {
      const st = fs.lstatSync(path.join(dest, p));
      assert.ok(st.isCharacterDevice(), `${p} is a whiteout`);
      assert.equal(st.rdev, 0);
    }
    assert.equal(fs.existsSync(path.join(dest, 'a/.wh.gone')), false, 'the whiteout entry itself is not written');
    assert.equal(lgetxattr(path.join(dest, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(fs.lstatSync(path.join(dest, 'opq')).mode & 0o7777, 0o711);
    assert.equal(fs.readFileSync(path.join(dest, 'opq/kept'), 'utf8'), 'k');
    assert.equal(lgetxattr(path.join(dest, 'implicit'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.deepEqual(listAll(dest), ['a', 'a/gone', 'b', 'b/file', 'c', 'c/dir', 'implicit', 'opq', 'opq/kept', 'top']);
  });

  it('replaces existing entries without writing through links', async () => {
    const { dest } = await apply([
      { name: 'orig', data: 'original' },
      { name: 'hl', type: 'link', linkname: 'orig' },
      { name: 'hl', data: 'replacement' }, // must not truncate the shared inode
      { name: 'd/sub/f', data: '1' },
      { name: 'd', type: 'symlink', linkname: 'orig' }, // a directory replaced by a symlink
      { name: 'd/', type: 'directory' }, // … and the symlink by a directory again
      { name: 'd/g', data: '2' },
      { name: 's', type: 'symlink', linkname: 'orig' },
      { name: 's', data: 'not through the symlink' },
    ]);
    assert.equal(fs.readFileSync(path.join(dest, 'orig'), 'utf8'), 'original');
    assert.equal(fs.readFileSync(path.join(dest, 'hl'), 'utf8'), 'replacement');
    assert.deepEqual(listAll(path.join(dest, 'd')), ['g']);
    assert.ok(fs.lstatSync(path.join(dest, 's')).isFile());
  });

  it('keeps binary PAX xattr values (security.capability) and drops overlay xattrs', async () => {
    // cap_setuid+ep: VFS_CAP_REVISION_2|EFFECTIVE, permitted bit 7 (0x80, not valid UTF-8 alone)
    const cap = Buffer.from([1, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const dest = freshDest();
    // tar-stream's pack writes PAX values as UTF-8, so write this header by hand through layer-diff's encoder.
    const tar = Buffer.concat([
      encodeHeader({ name: 'bin/ping', type: '0', mode: 0o755, uid: 0, gid: 0, size: 3, mtime: 0, xattrs: [['security.capability', cap], ['trusted.overlay.redirect', Buffer.from('/x')]] }),
      Buffer.from('abc'),
      Buffer.alloc(509 + 1024),
    ]);
    await applyLayer(streamOf(tar), dest);
    const got = lgetxattr(path.join(dest, 'bin/ping'), 'security.capability');
    assert.ok(got?.equals(cap), `capability kept: ${got?.toString('hex')}`);
    assert.equal(lgetxattr(path.join(dest, 'bin/ping'), 'trusted.overlay.redirect'), undefined);
  });

  it('creates devices only when allowed', async () => {
    const entries: EntrySpec[] = [
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 },
    ];
    await assert.rejects(apply(entries), /"dev\/null": character device 1:3 refused: device nodes are not allowed/);
    const { dest } = await apply(entries, { allowDevices: true });
    const st = fs.lstatSync(path.join(dest, 'dev/null'));
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, (1 << 8) | 3);
    assert.equal(st.mode & 0o7777, 0o666);
    assert.ok(fs.lstatSync(path.join(dest, 'dev/loop9')).isBlockDevice());
  });

  it('counts and caps the layer size', async () => {
    const { bytes } = await apply([{ name: 'a', data: Buffer.alloc(1000) }, { name: 'b', data: Buffer.alloc(24) }], { maxBytes: 1024 });
    assert.equal(bytes, 1024);
    await assert.rejects(
      apply([{ name: 'a', data: Buffer.alloc(1000) }, { name: 'b', data: Buffer.alloc(25) }], { maxBytes: 1024 }),
      /^EngineError\(InvalidParameter\): layer exceeds the maximum size of 1024 bytes \(entry "b"/,
    );
  });

  it('caps the number of entries', async () => {
    await apply([{ name: 'a', data: Buffer.alloc(1) }, { name: 'b', data: Buffer.alloc(1) }], { maxEntries: 2 });
    await assert.rejects(
      apply([{ name: 'a', data: Buffer.alloc(1) }, { name: 'b', data: Buffer.alloc(1) }, { name: 'c', data: Buffer.alloc(1) }], { maxEntries: 2 }),
      /^EngineError\(InvalidParameter\): layer has more than 2 entries, the limit \(berthd --max-layer-entries\); refusing entry "c"/,
    );
  });

  it('passes the input stream error through', async () => {
    const src = new PassThrough();
    const p = applyLayer(src, freshDest());
    src.write((await makeTar([{ name: 'a', data: Buffer.alloc(100_000) }])).subarray(0, 10_000));
    src.destroy(new Error('connection reset'));
    await assert.rejects(p, /connection reset/);
  });

  it('refuses a destination that is not a directory', async () => {
    const f = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(f, '');
    await assert.rejects(applyLayer(Readable.from([]), f), /not a directory/);
  });
});

describe('applyLayer refuses hostile layers and writes nothing outside dest', () => {
  let outside: string;
  let tmpName: string;
  before(() => {
    outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'sentinel');
    tmpName = `berth-unpack-escape-${randomBytes(6).toString('hex')}`;
  });

  const cases = (): Array<[string, () => Promise<Buffer>, RegExp]> => [
    ['../escape', () => makeTar([{ name: '../escape', data: 'x' }]), /"\.\.\/escape": contains a "\.\." component/],
    ['absolute name', () => makeTar([{ name: `/${tmpName}`, data: 'x' }]), /is an absolute path/],
    ['a/../../x', () => makeTar([{ name: 'a/', type: 'directory' }, { name: 'a/../../x', data: 'x' }]), /"a\/\.\.\/\.\.\/x": contains a "\.\." component/],
    [
      'symlink evil -> /tmp then evil/file',
      () => makeTar([{ name: 'evil', type: 'symlink', linkname: '/tmp' }, { name: `evil/${tmpName}`, data: 'x' }]),
      /parent "evil" is a symbolic link; refusing to write through it/,
    ],
    [
      'symlink to ../../.. then a write through it',
      () =>
        makeTar([
          { name: 'up', type: 'symlink', linkname: '../../..' },
          { name: `up${outside}/pwned`, data: 'x' },
        ]),
      /parent "up" is a symbolic link/,
    ],
    [
      'symlink to the sentinel dir, then a directory and file through it',
      () =>
        makeTar([
          { name: 'a/b', type: 'symlink', linkname: outside },
          { name: 'a/b/c/', type: 'directory' },
          { name: 'a/b/c/d', data: 'x' },
        ]),
      /parent "a\/b" is a symbolic link/,
    ],
    ['whiteout through a symlink', () => makeTar([{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh.keep', data: '' }]), /parent "s" is a symbolic link/],
    ['opaque dir through a symlink', () => makeTar([{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh..wh..opq', data: '' }]), /parent "s" is a symbolic link/],
    ['whiteout of ".."', () => makeTar([{ name: 'a/.wh...', data: '' }]), /whiteout names no file/],
    ['hardlink to /etc/passwd', () => makeTar([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]), /hardlink target "\/etc\/passwd" is an absolute path/],
    ['hardlink to ../x', () => makeTar([{ name: 'pw', type: 'link', linkname: '../x' }]), /hardlink target "\.\.\/x" contains a "\.\." component/],
    [
      'hardlink through a symlinked parent',
      () =>
        makeTar([
          { name: 'etc', type: 'symlink', linkname: outside },
          { name: 'pw', type: 'link', linkname: 'etc/keep' },
        ]),
      /parent "etc" of hardlink target "etc\/keep" is a symbolic link/,
    ],
    ['hardlink replacing its own parent', () => makeTar([{ name: 'd/f', data: 'x' }, { name: 'd', type: 'link', linkname: 'd/f' }]), /is inside the link's own path/],
    ['hardlink to a missing entry', () => makeTar([{ name: 'pw', type: 'link', linkname: 'nothere' }]), /hardlink target "nothere" is not in the layer/],
    ['hardlink to a directory', () => makeTar([{ name: 'd/', type: 'directory' }, { name: 'pw', type: 'link', linkname: 'd' }]), /hardlink target "d" is a directory/],
    [
      'unsupported entry type (GNU sparse)',
      async () => {
        const h = encodeHeader({ name: 'sparse', type: '0', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 });
        h.write('S', 156);
        h.fill(0x20, 148, 156);
        let sum = 0;
        for (const b of h) sum += b;
        h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
        return Buffer.concat([h, Buffer.alloc(1024)]);
      },
      /"sparse": unsupported tar entry type/,
    ],
    ['device node', () => makeTar([{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }]), /"dev\/sda": block device 8:0 refused/],
    ['symlink replacing the root', () => makeTar([{ name: './', type: 'symlink', linkname: outside }]), /cannot replace the layer root/],
    [
      'truncated tar',
      async () => (await makeTar([{ name: 'a', data: Buffer.alloc(900, 1) }])).subarray(0, 1024),
      /^malformed layer tar: Unexpected end of data/,
    ],
    ['garbage', async () => randomBytes(4096), /malformed layer tar: Invalid tar header/],
    ['size over the cap', () => makeTar([{ name: 'big', data: Buffer.alloc(4096) }]), /layer exceeds the maximum size of 1000 bytes/],
  ];

  for (const [title, build, re] of cases()) {
    it(title, async () => {
      const dest = freshDest();
      const before = listAll(tmp).filter((p) => !p.startsWith(path.basename(dest)));
      await assert.rejects(applyLayer(streamOf(await build()), dest, { maxBytes: 1000 }), (e: unknown) => {
        assert.ok(e instanceof EngineError, `an EngineError, got ${String(e)}`);
        assert.equal(e.kind, 'InvalidParameter');
        assert.match(e.message, re);
        return true;
      });
      assert.deepEqual(listAll(outside), ['keep']);
      assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'sentinel');
      assert.deepEqual(
        listAll(tmp).filter((p) => !p.startsWith(path.basename(dest))),
        before,
        'nothing appeared next to dest',
      );
      assert.equal(fs.existsSync(path.join('/tmp', tmpName)), false);
      assert.equal(fs.existsSync(path.join('/', tmpName)), false);
    });
  }
});

describe('overlayfs honours the converted whiteouts', () => {
  it('hides whited-out files and the lower content of opaque dirs', async () => {
    const base = path.join(tmp, 'ovl');
    const [lower, work, merged] = ['lower', 'work', 'merged'].map((d) => path.join(base, d)) as [string, string, string];
    for (const d of [lower, work, merged]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(lower, 'gone.txt'), 'lower');
    fs.writeFileSync(path.join(lower, 'kept.txt'), 'lower');
    fs.mkdirSync(path.join(lower, 'opq'));
    fs.writeFileSync(path.join(lower, 'opq/old'), 'lower');
    fs.mkdirSync(path.join(lower, 'gonedir'));
    fs.writeFileSync(path.join(lower, 'gonedir/f'), 'lower');

    const { dest: upper } = await apply([
      { name: '.wh.gone.txt', data: '' },
      { name: '.wh.gonedir', data: '' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/new', data: 'upper' },
    ]);
    mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${work}`);
    try {
      assert.deepEqual(fs.readdirSync(merged).sort(), ['kept.txt', 'opq']);
      assert.equal(fs.existsSync(path.join(merged, 'gone.txt')), false);
      assert.deepEqual(fs.readdirSync(path.join(merged, 'opq')), ['new']);
    } finally {
      umount(merged);
    }
  });
});

describe('applyLayer speed', () => {
  it('5,000 small files', async (t) => {
    const entries: EntrySpec[] = [];
    for (let d = 0; d < 50; d++) {
      entries.push({ name: `usr/share/d${d}/`, type: 'directory' });
      for (let f = 0; f < 100; f++) entries.push({ name: `usr/share/d${d}/file${f}.txt`, data: randomBytes(200 + ((d * f) % 4000)) });
    }
    const tar = await makeTar(entries);
    const dest = freshDest();
    const t0 = performance.now();
    const { bytes } = await applyLayer(streamOf(tar), dest);
    const ms = performance.now() - t0;
    t.diagnostic(`applyLayer: 5,000 files (${(bytes / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms`);
    assert.equal(listAll(dest).length, 5000 + 50 + 2);
    const t1 = performance.now();
    const tarBack = await collect(diffLayer(dest));
    t.diagnostic(`diffLayer: same 5,000 files (${(tarBack.length / 1e6).toFixed(1)} MB of tar) in ${(performance.now() - t1).toFixed(0)} ms`);
  });

  it('one 200 MB file', { skip: process.env.BERTH_TIMING ? false : 'set BERTH_TIMING=1' }, async (t) => {
    const size = 200 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    // Hand-made header so the 200 MB never sit in memory as one buffer.
    function* gen(): Generator<Buffer> {
      yield encodeHeader({ name: 'big.bin', type: '0', mode: 0o644, uid: 0, gid: 0, size, mtime: 0 });
      for (let i = 0; i < size / chunk.length; i++) yield chunk;
      yield Buffer.alloc(1024);
    }
    const dest = freshDest();
    const t0 = performance.now();
    await applyLayer(Readable.from(gen(), { objectMode: false }), dest);
    const ms = performance.now() - t0;
    t.diagnostic(`applyLayer: 200 MB file in ${ms.toFixed(0)} ms (${((size / 1e6) / (ms / 1000)).toFixed(0)} MB/s)`);
    assert.equal(fs.statSync(path.join(dest, 'big.bin')).size, size);
    const t1 = performance.now();
    let tarBytes = 0;
    for await (const c of diffLayer(dest)) tarBytes += (c as Buffer).length;
    t.diagnostic(`diffLayer: 200 MB file (${tarBytes} bytes of tar) in ${(performance.now() - t1).toFixed(0)} ms`);
    fs.rmSync(dest, { recursive: true });
  });
});
