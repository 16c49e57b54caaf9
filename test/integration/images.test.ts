/**
 * Image commands end to end, through berth's CLI and the real docker CLI
 * (same scenarios), and through dockerode: load, list, inspect, history,
 * tag, rmi rules, import with changes, save/load round trips in every
 * archive layout, prune, and bad input that must leave nothing behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cli, sdk, type CliName } from '../harness/clients.js';
import { busyboxArchive } from '../harness/fixtures.js';

async function tarOf(entries: { name: string; body?: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.body !== undefined) pack.entry({ name: e.name, mode: 0o644 }, e.body);
    else pack.entry({ name: e.name, type: e.type ?? 'directory', mode: 0o755, ...(e.linkname ? { linkname: e.linkname } : {}) });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Everything the image store keeps on disk, to compare before and after a failure. */
function storeState(d: TestDaemon): string {
  const ls = (p: string) => {
    try {
      return readdirSync(join(d.root, p)).sort().join(',');
    } catch {
      return '';
    }
  };
  return [ls('overlay/snapshots'), ls('content/blobs/sha256'), ls('content/ingest'), ls('image/images'), ls('tmp')].join(' | ');
}

async function extractNames(archive: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      out.set(e.header.name, Buffer.concat(chunks));
    }
  })();
  ex.end(archive);
  await done;
  return out;
}

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`images through the ${client} CLI`, () => {
    let d: TestDaemon;
    let work: string;
    let busyboxId: string;
    const run = (args: string[], input?: Buffer | string) => cli(client, d, args, input !== undefined ? { input } : {});

    before(async () => {
      d = await startDaemon();
      work = join(d.base, 'work');
      mkdirSync(work);
      const { archive, imageId } = await busyboxArchive();
      busyboxId = imageId;
      writeFileSync(join(work, 'busybox.tar'), archive);
    });
    after(async () => {
      await d?.cleanup();
    });

    it('loads a Docker 20.10-layout archive (the busybox fixture)', async () => {
      const r = await run(['load', '-i', join(work, 'busybox.tar')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Loaded image: busybox:latest/);
    });

    it('lists it with docker\'s table', async () => {
      const r = await run(['images']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^REPOSITORY\s{3}TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
      assert.match(lines[1]!, new RegExp(`^busybox\\s+latest\\s+${busyboxId.slice(7, 19)}\\s+\\S.*ago\\s+\\d+(\\.\\d+)?MB$`));
      const q = await run(['images', '-q', '--no-trunc']);
      assert.equal(q.stdout.trim(), busyboxId);
      const f = await run(['images', '--format', '{{.Repository}}:{{.Tag}}|{{.ID}}']);
      assert.equal(f.stdout.trim(), `busybox:latest|${busyboxId.slice(7, 19)}`);
    });

    it('inspects and shows history', async () => {
      const r = await run(['image', 'inspect', '--format', '{{.Id}} {{json .Config.Cmd}} {{.Os}} {{len .RootFS.Layers}}', 'busybox']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `${busyboxId} ["sh"] linux 1`);
      // GraphDriver comes from the snapshotter: overlay2's dirs, the one layer as UpperDir (no LowerDir).
      const gd = JSON.parse((await run(['image', 'inspect', '--format', '{{json .GraphDriver}}', 'busybox'])).stdout) as { Name: string; Data: Record<string, string> };
      assert.equal(gd.Name, 'overlay2');
      assert.deepEqual(Object.keys(gd.Data).sort(), ['MergedDir', 'UpperDir', 'WorkDir']);
      assert.ok(readdirSync(join(gd.Data['UpperDir']!, 'bin')).includes('busybox'), `UpperDir ${gd.Data['UpperDir']} does not hold the layer`);
      assert.equal(join(gd.Data['WorkDir']!, '..'), join(gd.Data['UpperDir']!, '..'));
      const g = await run(['inspect', '--format', '{{index .RepoTags 0}}', busyboxId.slice(7, 15)]);
      assert.equal(g.stdout.trim(), 'busybox:latest', g.stderr);
      const h = await run(['history', 'busybox']);
      assert.equal(h.code, 0, h.stderr);
      const rows = h.stdout.trimEnd().split('\n');
      assert.equal(rows.length, 3);
      assert.match(rows[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
      assert.match(rows[1]!, new RegExp(`^${busyboxId.slice(7, 19)}\\s+.*CMD \\["sh"\\]\\s+0B`));
      assert.match(rows[2]!, /^<missing>\s+.*ADD busybox-static/);
      const missing = await run(['image', 'inspect', 'nosuch']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such image: nosuch/);
    });

    it('tags, and removes by tag (untag) and by ID (conflict unless forced)', async () => {
      assert.equal((await run(['tag', 'busybox', 'example.com/team/tool:1.0'])).code, 0);
      assert.equal((await run(['tag', 'busybox:latest', 'localhost:5000/a/b'])).code, 0);
      const ls = await run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['busybox:latest', 'example.com/team/tool:1.0', 'localhost:5000/a/b:latest']);
      const filtered = await run(['images', '--filter', 'reference=example.com/*/*', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.equal(filtered.stdout, 'example.com/team/tool:1.0\n', 'the reference filter narrows the tags shown');
      const byArg = await run(['images', 'busybox', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.equal(byArg.stdout, 'busybox:latest\n');
      const untag = await run(['rmi', 'localhost:5000/a/b']);
      assert.equal(untag.code, 0, untag.stderr);
      assert.equal(untag.stdout, 'Untagged: localhost:5000/a/b:latest\n');
      const byId = await run(['rmi', busyboxId.slice(7, 19)]);
      assert.equal(byId.code, 1);
      assert.match(byId.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
      const bad = await run(['tag', 'busybox', 'Upper/Case']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /invalid reference format|must be lowercase/);
      assert.equal((await run(['rmi', 'example.com/team/tool:1.0'])).code, 0);
    });

    it('imports a rootfs tarball with --change and a message', async () => {
      const rootfs = await tarOf([{ name: 'etc/' }, { name: 'etc/motd', body: 'hello\n' }]);
      writeFileSync(join(work, 'rootfs.tar'), rootfs);
      const r = await run(['import', '-c', 'CMD ["cat","/etc/motd"]', '-c', 'ENV A=1 B="two words"', '-c', 'WORKDIR /etc', '-c', 'EXPOSE 80/udp', '-m', 'my import', join(work, 'rootfs.tar'), 'imported:v1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
      const i = await run(['image', 'inspect', '--format', '{{json .Config.Cmd}} {{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.ExposedPorts}} {{.Comment}}', 'imported:v1']);
      assert.equal(i.stdout.trim(), '["cat","/etc/motd"] ["A=1","B=two words"] /etc {"80/udp":{}} my import');
      const gz = await run(['import', '-', 'imported:gz'], gzipSync(rootfs));
      assert.equal(gz.code, 0, gz.stderr);
      const same = await run(['image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', 'imported:gz']);
      assert.equal(same.stdout.trim(), `sha256:${createHash('sha256').update(rootfs).digest('hex')}`);
      const badChange = await run(['import', '-c', 'RUN rm -rf /', join(work, 'rootfs.tar'), 'x:y']);
      assert.notEqual(badChange.code, 0);
      assert.match(badChange.stderr, /RUN is not a valid change command/);
    });

    it('rejects hostile and broken tarballs, leaving nothing behind', async () => {
      const before = storeState(d);
      const cases: [string, Buffer][] = [
        ['dotdot', await tarOf([{ name: '../escape', body: 'x' }])],
        ['symlink escape', await tarOf([{ name: 'evil', type: 'symlink', linkname: '/tmp' }, { name: 'evil/owned', body: 'x' }])],
        ['hardlink escape', await tarOf([{ name: 'passwd', type: 'link', linkname: '../../../etc/passwd' }])],
        ['garbage', Buffer.from('not a tar at all, not even close'.repeat(40))],
      ];
      for (const [what, data] of cases) {
        writeFileSync(join(work, 'bad.tar'), data);
        const r = await run(['import', join(work, 'bad.tar'), `bad:${what.replace(/ /g, '-')}`]);
        assert.notEqual(r.code, 0, `${what} was accepted`);
        assert.ok(r.stderr.trim().length > 0, `${what}: no error message`);
        assert.equal(storeState(d), before, `${what} left something in the store`);
      }
      const ls = await run(['images', '--format', '{{.Repository}}']);
      assert.ok(!ls.stdout.includes('bad'));
    });

    it('saves and loads back the same image (Docker ≥ 25 layout)', async () => {
      const out = join(work, 'saved.tar');
      const s = await run(['save', '-o', out, 'busybox:latest', 'imported:v1']);
      assert.equal(s.code, 0, s.stderr);
      const files = await extractNames(readFileSync(out));
      assert.ok(files.has('manifest.json') && files.has('index.json') && files.has('oci-layout'));
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
      assert.deepEqual(manifest.map((m) => m.RepoTags).sort(), [['busybox:latest'], ['imported:v1']]);
      for (const m of manifest) for (const l of m.Layers) assert.equal(`sha256:${createHash('sha256').update(files.get(l)!).digest('hex')}`, `sha256:${l.split('/').pop()}`);
      assert.equal((await run(['rmi', 'imported:v1', 'imported:gz'])).code, 0);
      const l = await run(['load', '-i', out]);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /Loaded image: imported:v1/);
      const i = await run(['image', 'inspect', '--format', '{{.Id}}', 'busybox']);
      assert.equal(i.stdout.trim(), busyboxId);
    });

    it('loads an OCI image layout without manifest.json, and a gzip-compressed archive', async () => {
      const files = await extractNames(readFileSync(join(work, 'saved.tar')));
      const pack = tar.pack();
      for (const [name, data] of files) if (name !== 'manifest.json' && !name.endsWith('/')) pack.entry({ name }, data);
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack) chunks.push(c as Buffer);
      assert.equal((await run(['rmi', 'imported:v1'])).code, 0);
      const r = await run(['load'], Buffer.concat(chunks));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Loaded image: imported:v1/);
      const gz = await run(['load'], gzipSync(readFileSync(join(work, 'busybox.tar'))));
      assert.equal(gz.code, 0, gz.stderr);
      assert.match(gz.stdout, /Loaded image: busybox:latest/);
    });

    it('prunes dangling images only, or all unused with -a', async () => {
      const rootfs = await tarOf([{ name: 'dangling-file', body: String(Date.now()) }]);
      const imp = await run(['import', '-'], rootfs);
      assert.equal(imp.code, 0, imp.stderr);
      const id = imp.stdout.trim();
      const dangling = await run(['images', '--filter', 'dangling=true', '-q', '--no-trunc']);
      assert.equal(dangling.stdout.trim(), id);
      const p = await run(['image', 'prune', '-f']);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, new RegExp(`deleted: ${id}`));
      assert.match(p.stdout, /Total reclaimed space: /);
      const left = await run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.deepEqual(left.stdout.trim().split('\n').sort(), ['busybox:latest', 'imported:v1']);
      const all = await run(['image', 'prune', '-a', '-f']);
      assert.equal(all.code, 0, all.stderr);
      assert.equal((await run(['images', '-q'])).stdout.trim(), '');
      assert.equal(readdirSync(join(d.root, 'overlay/snapshots')).length, 0, 'layers left after pruning everything');
      assert.equal(readdirSync(join(d.root, 'content/blobs/sha256')).length, 0, 'blobs left after pruning everything');
    });
  });
}

describe('images through dockerode', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('loads, lists, inspects, tags, saves and removes', async () => {
    const docker = sdk(d);
    const { archive, imageId } = await busyboxArchive();
    const stream = await docker.loadImage(archive as unknown as string);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    const list = await docker.listImages();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.Id, imageId);
    assert.deepEqual(list[0]!.RepoTags, ['busybox:latest']);
    const info = await docker.getImage('busybox').inspect();
    assert.deepEqual(info.Config.Cmd, ['sh']);
    await docker.getImage('busybox').tag({ repo: 'sdk/copy', tag: 'v2' });
    assert.equal((await docker.getImage('sdk/copy:v2').inspect()).Id, imageId);
    const saved = await docker.getImage('sdk/copy:v2').get();
    const chunks: Buffer[] = [];
    for await (const c of saved) chunks.push(c as Buffer);
    const names = await extractNames(Buffer.concat(chunks));
    assert.ok(names.has('manifest.json'));
    const removed = (await docker.getImage('sdk/copy:v2').remove()) as { Untagged?: string }[];
    assert.deepEqual(removed, [{ Untagged: 'sdk/copy:v2' }]);
    await assert.rejects(docker.getImage('nosuch').inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });
});
