/** sys/dirfd on the real filesystem: resolution stays inside its root, symlinks are never crossed where refused. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S_IFIFO, mknod } from './libc.js';
import { closeFd, fdTarget, mkdirInRoot, O_PATH, openBeneath, openDir, openInRoot, readInRoot, removeAt, withFd } from './dirfd.js';

let base = '';
let root = '';
let outside = '';

before(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'berth-dirfd-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  fs.mkdirSync(join(root, 'etc'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(join(outside, 'secret'), 'host\n');
  fs.writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.symlinkSync('/etc', join(root, 'abs-etc'));
  fs.symlinkSync('../../../..', join(root, 'up'));
  fs.symlinkSync('../../outside', join(root, 'dangling'));
  fs.symlinkSync(outside, join(root, 'host'));
  mknod(join(root, 'fifo'), S_IFIFO | 0o600);
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

const inRoot = <T>(fn: (fd: number) => T): T => withFd(openDir(root), fn);

describe('openInRoot', () => {
  it('resolves absolute and ../ symlinks inside the root, as the container would', () => {
    inRoot((r) => {
      assert.equal(withFd(openInRoot(r, '/abs-etc/passwd', O_PATH), fdTarget), join(root, 'etc', 'passwd'));
      assert.equal(withFd(openInRoot(r, 'up', O_PATH), fdTarget), root);
      assert.equal(withFd(openInRoot(r, '/../../..', O_PATH), fdTarget), root);
      assert.throws(() => openInRoot(r, '/host/secret', O_PATH), { code: 'ENOENT' });
      assert.throws(() => openInRoot(r, '/dangling', O_PATH), { code: 'ENOENT' });
    });
  });
});

describe('openBeneath', () => {
  it('refuses any symlink on the way, and escapes', () => {
    inRoot((r) => {
      assert.throws(() => openBeneath(r, 'abs-etc/passwd', O_PATH), { code: 'ELOOP' });
      assert.throws(() => openBeneath(r, 'host', O_PATH), { code: 'ELOOP' });
      assert.throws(() => openBeneath(r, '../outside', O_PATH), { code: 'EXDEV' });
      closeFd(openBeneath(r, 'etc/passwd', O_PATH));
    });
  });
});

describe('readInRoot', () => {
  it('reads regular files, and names what else it found without opening it', async () => {
    const r = openDir(root);
    try {
      const f = await readInRoot(r, '/abs-etc/passwd', 1024);
      assert.equal(f.kind, 'file');
      assert.equal(f.kind === 'file' && f.data.toString(), 'root:x:0:0::/root:/bin/sh\n');
      assert.deepEqual(await readInRoot(r, '/fifo', 1024), { kind: 'not-regular', what: 'a FIFO' });
      assert.deepEqual(await readInRoot(r, '/etc', 1024), { kind: 'not-regular', what: 'a directory' });
      assert.deepEqual(await readInRoot(r, '/host/secret', 1024), { kind: 'missing' });
      assert.deepEqual(await readInRoot(r, '/etc/passwd', 10), { kind: 'too-large', size: 26 });
    } finally {
      closeFd(r);
    }
  });
});

describe('mkdirInRoot', () => {
  it('creates missing directories below what exists, resolving symlinks inside the root', () => {
    inRoot((r) => {
      mkdirInRoot(r, '/abs-etc/new/deeper', 0o755);
      assert.ok(fs.statSync(join(root, 'etc', 'new', 'deeper')).isDirectory());
      mkdirInRoot(r, '/up/made', 0o755);
      assert.ok(fs.statSync(join(root, 'made')).isDirectory());
      assert.ok(!fs.existsSync(join(outside, 'made')));
      // A dangling link on the way is not created through.
      assert.throws(() => mkdirInRoot(r, '/dangling/x', 0o755), { code: 'ELOOP' });
      assert.ok(!fs.existsSync(join(outside, 'x')));
    });
  });
});

describe('removeAt', () => {
  it('removes a tree without following the symlinks in it', () => {
    fs.mkdirSync(join(root, 'doomed', 'sub'), { recursive: true });
    fs.symlinkSync(outside, join(root, 'doomed', 'sub', 'link'));
    inRoot((r) => removeAt(r, 'doomed'));
    assert.ok(!fs.existsSync(join(root, 'doomed')));
    assert.equal(fs.readFileSync(join(outside, 'secret'), 'utf8'), 'host\n');
  });
});
