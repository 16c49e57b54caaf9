// Layer diff (upper dir → OCI layer tar), for real on the kernel (needs root: chown, mknod, xattrs, overlay).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { lgetxattr, lsetxattr, mknod, mount, S_IFCHR, umount } from '../sys/libc.js';
import { diffLayer, encodeHeader, tarDirectory } from './layer-diff.js';
import { applyLayer } from './unpack.js';
import { collect, describeTree, listAll, readTar, streamOf, tempDir } from './testdata/layer-fixtures.js';

// cap_setuid+ep, v2: a binary value (0x80 alone is not UTF-8)
const CAP = Buffer.from([1, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const T = 1_600_000_000;

let tmp: string;
let n = 0;
before(() => {
  tmp = tempDir('diff');
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function fresh(name: string): string {
  const d = path.join(tmp, `${name}-${++n}`);
  fs.mkdirSync(d, { mode: 0o755 });
  return d;
}

type Node =
  | { file: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: number; xattr?: Record<string, Buffer> }
  | { dir: true; mode?: number; uid?: number; gid?: number; mtime?: number; opaque?: boolean }
  | { symlink: string; uid?: number; mtime?: number }
  | { link: string }
  | { whiteout: true; uid?: number; mtime?: number }
  | { fifo: true; mode?: number; mtime?: number };

/** Builds a tree from a list of (path, node), in the order given; times are set last, deepest first. */
function build(root: string, spec: Array<[string, Node]>): void {
  const times: Array<[string, number, boolean]> = [];
  for (const [rel, node] of spec) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if ('file' in node) {
      fs.writeFileSync(p, node.file);
      fs.chownSync(p, node.uid ?? 0, node.gid ?? 0);
      fs.chmodSync(p, node.mode ?? 0o644);
      for (const [k, v] of Object.entries(node.xattr ?? {})) lsetxattr(p, k, v);
    } else if ('dir' in node) {
      fs.mkdirSync(p, { recursive: true });
      fs.chownSync(p, node.uid ?? 0, node.gid ?? 0);
      fs.chmodSync(p, node.mode ?? 0o755);
      if (node.opaque) lsetxattr(p, 'trusted.overlay.opaque', Buffer.from('y'));
    } else if ('symlink' in node) {
      fs.symlinkSync(node.symlink, p);
      fs.lchownSync(p, node.uid ?? 0, 0);
    } else if ('link' in node) {
      fs.linkSync(path.join(root, node.link), p);
      continue;
    } else if ('whiteout' in node) {
      mknod(p, S_IFCHR, 0, 0);
      fs.lchownSync(p, node.uid ?? 0, 0);
    } else {
      mknod(p, 0o010000 | (node.mode ?? 0o644));
    }
    times.push([p, node.mtime ?? T, 'dir' in node]);
  }
  times.sort((a, b) => b[0].length - a[0].length);
  // Parents made on the way (not in the spec) get T too, so that two builds a second apart give the same tree.
  const timed = new Set(times.map(([p]) => p));
  const parents = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => [...parents(path.join(dir, e.name)), path.join(dir, e.name)]);
  for (const p of parents(root)) if (!timed.has(p)) fs.utimesSync(p, T, T);
  for (const [p, t] of times) fs.lutimesSync(p, t < 0 ? new Date(t * 1000) : t, t < 0 ? new Date(t * 1000) : t);
}

const LONG_DIR = `deep/${'d'.repeat(90)}/${'e'.repeat(90)}`; // > 100 bytes, splits into ustar prefix + name
const LONGER = `${'x'.repeat(200)}/${'y'.repeat(120)}`; // needs a PAX path
const TREE: Array<[string, Node]> = [
  ['etc', { dir: true, mode: 0o755, mtime: T - 100 }],
  ['etc/passwd', { file: 'root:x:0:0:root:/root:/bin/sh\n', mtime: T - 50 }],
  ['etc/shadow', { file: 'root:*:1::::::\n', mode: 0o640, gid: 42 }],
  ['etc/hosts-link', { link: 'etc/passwd' }],
  ['etc/alias', { symlink: '../usr/lib/os-release', uid: 7 }],
  ['etc/long-target', { symlink: `/opt/${'t'.repeat(150)}` }],
  ['bin/ping', { file: 'ELF\x01', mode: 0o4755, xattr: { 'security.capability': CAP } }],
  ['zero-mode', { file: 'nobody may read', mode: 0 }],
  ['big-uid', { file: 'x', uid: 3_000_000, gid: 2_500_000 }],
  ['old', { file: 'from 1960', mtime: -315_619_200 }],
  ['future', { file: 'from 2100', mtime: 4_102_444_800 }],
  ['tmp', { dir: true, mode: 0o1777 }],
  ['empty-dir', { dir: true, mode: 0o700, uid: 1000, gid: 1000 }],
  ['empty-file', { file: '' }],
  ['block-sized', { file: Buffer.alloc(1024, 7) }],
  ['large.bin', { file: randomBytes(3 * 1024 * 1024 + 123) }],
  ['large-link', { link: 'large.bin' }],
  [`${LONG_DIR}/file`, { file: 'long dir' }],
  [`${LONGER}/file`, { file: 'longer' }],
  [`${LONGER}/hl`, { link: `${LONGER}/file` }],
  ['ünïcødé/日本語.txt', { file: 'utf-8 names' }],
  ['run/fifo', { fifo: true, mode: 0o600 }],
  ['gone', { whiteout: true, uid: 5 }],
  ['usr/.wh-lookalike', { file: 'not a whiteout' }],
  ['usr/lib/deleted', { whiteout: true }],
  ['var/cache', { dir: true, opaque: true, mode: 0o750 }],
  ['var/cache/fresh', { file: 'new' }],
];

// The on-disk names sorted, then whiteouts renamed (".wh.gone" sits where "gone" sorts).
const EXPECTED_ORDER = [
  'big-uid',
  'bin/',
  'bin/ping',
  'block-sized',
  'deep/',
  `deep/${'d'.repeat(90)}/`,
  `${LONG_DIR}/`,
  `${LONG_DIR}/file`,
  'empty-dir/',
  'empty-file',
  'etc/',
  'etc/alias',
  'etc/hosts-link',
  'etc/long-target',
  'etc/passwd',
  'etc/shadow',
  'future',
  '.wh.gone',
  'large-link',
  'large.bin',
  'old',
  'run/',
  'run/fifo',
  'tmp/',
  'usr/',
  'usr/.wh-lookalike',
  'usr/lib/',
  'usr/lib/.wh.deleted',
  'var/',
  'var/cache/',
  'var/cache/.wh..wh..opq',
  'var/cache/fresh',
  `${'x'.repeat(200)}/`,
  `${LONGER}/`,
  `${LONGER}/file`,
  `${LONGER}/hl`,
  'zero-mode',
  'ünïcødé/',
  'ünïcødé/日本語.txt',
];

describe('diffLayer', () => {
  it('writes Docker-shaped entries in name order, with whiteouts and opaque dirs in OCI form', async () => {
    const upper = fresh('upper');
    build(upper, TREE);
    const entries = await readTar(diffLayer(upper));
    const names = entries.map((e) => e.header.name);

    // Depth first, each directory's entries sorted by name (filepath.Walk's order); no root entry, no leading "./".
    assert.ok(!names.includes('./') && !names.some((x) => x.startsWith('/') || x.startsWith('./')));
    assert.equal(names[0], 'big-uid');
    assert.deepEqual(
      names.filter((x) => x.startsWith('etc')),
      ['etc/', 'etc/alias', 'etc/hosts-link', 'etc/long-target', 'etc/passwd', 'etc/shadow'],
    );
    assert.deepEqual(names, EXPECTED_ORDER);
    assert.deepEqual(
      names.filter((x) => x.startsWith('var')),
      ['var/', 'var/cache/', 'var/cache/.wh..wh..opq', 'var/cache/fresh'],
    );

    const byName = new Map(entries.map((e) => [e.header.name, e]));
    const get = (name: string): (typeof entries)[number] => {
      const e = byName.get(name);
      assert.ok(e, `entry ${name} (have ${names.join(', ')})`);
      return e;
    };
    assert.equal(get('etc/').header.type, 'directory');
    assert.equal(get('etc/').header.mtime.getTime(), (T - 100) * 1000);
    assert.equal(get('etc/hosts-link').data.toString(), 'root:x:0:0:root:/root:/bin/sh\n');
    assert.equal(get('etc/shadow').header.mode, 0o640);
    assert.equal(get('etc/shadow').header.gid, 42);
    // The first name in walk order carries the data, later names are hardlinks to it.
    assert.equal(get('etc/hosts-link').header.type, 'file');
    assert.equal(get('etc/passwd').header.type, 'link');
    assert.equal(get('etc/passwd').header.linkname, 'etc/hosts-link');
    assert.equal(get('etc/alias').header.type, 'symlink');
    assert.equal(get('etc/alias').header.linkname, '../usr/lib/os-release');
    assert.equal(get('etc/long-target').header.linkname, `/opt/${'t'.repeat(150)}`);
    assert.equal(get('bin/ping').header.mode, 0o4755);
    assert.equal(get('zero-mode').header.mode, 0);
    // Too big for ustar's 7 octal digits: a PAX record (tar-stream exposes it but does not apply it; applyLayer does).
    assert.equal(get('big-uid').header.pax?.uid, '3000000');
    assert.equal(get('big-uid').header.pax?.gid, '2500000');
    assert.equal(get('run/fifo').header.type, 'fifo');
    assert.equal(get('large.bin').header.type, 'link');
    assert.equal(get('large-link').data.length, 3 * 1024 * 1024 + 123);
    assert.ok(get(`${LONG_DIR}/file`));
    assert.equal(get(`${LONGER}/hl`).header.linkname, `${LONGER}/file`);
    assert.equal(get('ünïcødé/日本語.txt').data.toString(), 'utf-8 names');

    for (const wh of ['.wh.gone', 'usr/lib/.wh.deleted']) {
      assert.equal(get(wh).header.type, 'file');
      assert.equal(get(wh).header.size, 0);
      assert.equal(get(wh).header.mode, 0o600);
    }
    assert.equal(get('.wh.gone').header.uid, 5);
    assert.equal(get('usr/.wh-lookalike').data.toString(), 'not a whiteout');
    assert.equal(get('var/cache/.wh..wh..opq').header.type, 'file');
    assert.ok(!names.includes('gone') && !names.includes('usr/lib/deleted'));
  });

  it('gives the same bytes for the same tree, whatever the creation order', async () => {
    const a = fresh('same-a');
    const b = fresh('same-b');
    build(a, TREE.filter(([p]) => p !== 'large.bin' && p !== 'large-link'));
    build(b, [...TREE.filter(([p]) => p !== 'large.bin' && p !== 'large-link')].reverse().sort((x, y) => ('link' in x[1] ? 1 : 0) - ('link' in y[1] ? 1 : 0)));
    const [ta, ta2, tb] = await Promise.all([collect(diffLayer(a)), collect(diffLayer(a)), collect(diffLayer(b))]);
    assert.ok(ta.equals(ta2), 'same dir twice');
    assert.ok(ta.equals(tb), 'same tree built in another order');
    assert.equal(ta.length % 512, 0);
    assert.ok(ta.subarray(-1024).equals(Buffer.alloc(1024)), 'ends with two zero blocks');
  });

  it('round-trips through applyLayer: same tree, whiteouts, opaque dirs, xattrs, hardlinks', async () => {
    const upper = fresh('rt-src');
    build(upper, TREE);
    const dest = fresh('rt-dest');
    const { bytes } = await applyLayer(diffLayer(upper), dest);
    assert.deepEqual(describeTree(dest).slice(1), describeTree(upper).slice(1));
    const wh = fs.lstatSync(path.join(dest, 'usr/lib/deleted'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(lgetxattr(path.join(dest, 'var/cache'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.ok(lgetxattr(path.join(dest, 'bin/ping'), 'security.capability')?.equals(CAP));
    const [again, orig] = await Promise.all([collect(diffLayer(dest)), collect(diffLayer(upper))]);
    assert.ok(again.equals(orig), 'diff → apply → diff gives the same bytes');
    const fileBytes = TREE.reduce((s, [, node]) => s + ('file' in node ? Buffer.byteLength(node.file) : 0), 0);
    assert.equal(bytes, fileBytes);
  });

  it('is read by GNU tar the same way (tarDirectory, extracted with tar --xattrs)', async () => {
    const src = fresh('gnu-src');
    build(
      src,
      TREE.filter(([, node]) => !('whiteout' in node) && !('dir' in node && node.opaque)),
    );
    const out = fresh('gnu-out');
    const tar = await collect(tarDirectory(src));
    const r = spawnSync('tar', ['--xattrs', "--xattrs-include=*", '--numeric-owner', '-xpf', '-', '-C', out], { input: tar });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(describeTree(out).slice(1), describeTree(src).slice(1));
  });

  for (const format of ['gnu', 'posix']) {
    it(`round-trips with GNU tar the other way too (tar --format=${format} → applyLayer)`, async () => {
      const src = fresh(`gnu-${format}`);
      build(
        src,
        TREE.filter(([, node]) => !('whiteout' in node) && !('dir' in node && node.opaque)),
      );
      const args = ['--numeric-owner', `--format=${format}`, ...(format === 'posix' ? ['--xattrs', '--xattrs-include=*'] : []), '-cf', '-', '-C', src, '.'];
      const r = spawnSync('tar', args, { maxBuffer: 1 << 30 });
      assert.equal(r.status, 0, r.stderr.toString());
      const dest = fresh(`gnu-${format}-dest`);
      await applyLayer(streamOf(r.stdout), dest);
      const want = describeTree(src);
      const got = describeTree(dest);
      if (format === 'gnu') {
        // the gnu format has no xattrs
        const strip = (l: string): string => l.replace(/ security\.capability=\S+/, '');
        assert.deepEqual(got, want.map(strip));
      } else {
        assert.deepEqual(got, want, 'including the root entry "./"');
      }
    });
  }

  it('leaves whiteouts as devices and opaque dirs alone in tarDirectory', async () => {
    const src = fresh('plain');
    build(src, [
      ['gone', { whiteout: true }],
      ['o', { dir: true, opaque: true }],
    ]);
    const entries = await readTar(tarDirectory(src));
    assert.deepEqual(
      entries.map((e) => [e.header.name, e.header.type]),
      [
        ['gone', 'character-device'],
        ['o/', 'directory'],
      ],
    );
  });

  it('closes the file it is reading when the consumer stops early', async () => {
    const src = fresh('early');
    fs.writeFileSync(path.join(src, 'big'), Buffer.alloc(16 * 1024 * 1024));
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const s = diffLayer(src);
    await new Promise<void>((resolve) => s.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fds(), before);
  });

  it('fails with a clear error for a missing directory', async () => {
    await assert.rejects(collect(diffLayer(path.join(tmp, 'nope'))), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.equal(e.kind, 'InvalidParameter');
      assert.match(e.message, /cannot make a layer of .*nope: not a directory/);
      return true;
    });
  });
});

describe('diffLayer of a real overlay upper dir', () => {
  it('turns kernel-made whiteouts and opaque dirs into a layer that reproduces the merged view', async () => {
    const base = fresh('ovl');
    const [lower, upper, work, merged, upper2, work2, merged2] = ['lower', 'upper', 'work', 'merged', 'upper2', 'work2', 'merged2'].map((d) => {
      const p = path.join(base, d);
      fs.mkdirSync(p);
      return p;
    }) as [string, string, string, string, string, string, string];
    build(lower, [
      ['a', { file: 'lower a' }],
      ['b', { file: 'lower b' }],
      ['d/x', { file: 'lower d/x' }],
      ['o/y', { file: 'lower o/y' }],
      ['keep/z', { file: 'lower keep/z' }],
    ]);
    mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${work}`);
    let view: string[];
    try {
      fs.rmSync(path.join(merged, 'a'));
      fs.rmSync(path.join(merged, 'b'));
      fs.rmSync(path.join(merged, 'd'), { recursive: true });
      fs.rmSync(path.join(merged, 'o'), { recursive: true });
      fs.mkdirSync(path.join(merged, 'o'));
      fs.writeFileSync(path.join(merged, 'o/new'), 'upper o/new');
      fs.writeFileSync(path.join(merged, 'keep/z'), 'changed');
      view = describeTree(merged);
    } finally {
      umount(merged);
    }

    const tar = await collect(diffLayer(upper));
    const entries = await readTar(tar);
    assert.deepEqual(
      entries.map((e) => `${e.header.name} ${e.header.type}`),
      ['.wh.a file', '.wh.b file', '.wh.d file', 'keep/ directory', 'keep/z file', 'o/ directory', 'o/.wh..wh..opq file', 'o/new file'],
      'whiteouts are never written as hardlinks, even when the kernel shares one whiteout inode',
    );

    await applyLayer(streamOf(tar), upper2);
    mount('overlay', merged2, 'overlay', 0, `lowerdir=${lower},upperdir=${upper2},workdir=${work2}`);
    try {
      const view2 = describeTree(merged2);
      // Directory mtimes of the merged root differ (it is the upper dir itself); compare everything else.
      assert.deepEqual(view2.slice(1), view.slice(1));
      assert.deepEqual(listAll(merged2), ['keep', 'keep/z', 'o', 'o/new']);
    } finally {
      umount(merged2);
    }
  });
});

describe('encodeHeader', () => {
  it('uses ustar alone when everything fits, PAX records otherwise', () => {
    assert.equal(encodeHeader({ name: 'a/b', type: '0', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: T }).length, 512);
    const h = encodeHeader({ name: 'x'.repeat(300), type: '0', mode: 0o644, uid: 2 ** 22, gid: 0, size: 0, mtime: -1 });
    assert.equal(h.length, 512 * 3);
    const body = h.subarray(512, 1024).toString('latin1');
    assert.match(body, /^\d+ mtime=-1\n\d+ path=x{300}\n\d+ uid=4194304\n\0/);
    assert.equal(String.fromCharCode(h[156]!), 'x');
    assert.equal(String.fromCharCode(h[1024 + 156]!), '0');
  });
});
