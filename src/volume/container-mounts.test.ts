/**
 * The MountProvider's copy-up through the contracts (no root: the image
 * content is a temp dir owned by the test's user, the Host seam is the
 * recording fake): a new volume is filled from what the image has at the
 * mount path; nocopy, a volume with content and a path the image lacks leave
 * it alone; a create that fails half-way removes the volumes it made.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { specFromRequest } from '../daemon/container-convert.js';
import type { ContainerRecord } from '../container/types.js';
import { silentLogger } from '../util/log.js';
import { FakeHost } from '../../test/fakes/host.js';
import { VolumeMounts, type RootfsAccess } from './container-mounts.js';
import { VolumeService } from './service.js';

const base = mkdtempSync(join(tmpdir(), 'berth-mounts-'));
after(() => rmSync(base, { recursive: true, force: true }));
let seq = 0;

let volumes: VolumeService;
let provider: VolumeMounts;
let image: string;
const records: ContainerRecord[] = [];
let opened = 0;
/** The image's root filesystem, as the container service would mount it for copy-up. */
const rootfs: RootfsAccess = async (_rec, fn) => {
  opened++;
  return fn(image);
};

beforeEach(async () => {
  const dir = join(base, `r${seq++}`);
  image = join(dir, 'image');
  mkdirSync(join(image, 'data', 'sub'), { recursive: true });
  writeFileSync(join(image, 'data', 'a.txt'), 'from the image\n');
  writeFileSync(join(image, 'data', 'sub', 'b.txt'), 'nested\n');
  volumes = await VolumeService.open(dir, silentLogger, new FakeHost());
  records.length = 0;
  opened = 0;
  provider = new VolumeMounts(volumes, { resolve: (ref) => records.find((r) => r.id === ref || r.name === ref)!, all: () => records }, silentLogger);
});

function rec(id: string, binds: string[], volumesField: Record<string, object> = {}): ContainerRecord {
  const spec = specFromRequest({ Image: 'img', Cmd: ['true'], Volumes: volumesField, HostConfig: { Binds: binds, NetworkMode: 'none' } } as never, 'sha256:' + '2'.repeat(64), { config: {}, rootfs: { type: 'layers', diff_ids: [] } } as never);
  const r = { id, name: id, spec, anonymousVolumes: [], mountPoints: [] } as unknown as ContainerRecord;
  records.push(r);
  return r;
}

const data = (name: string) => volumes.get(name).mountpoint;

describe('copy-up', () => {
  it('fills a new named volume with what the image has at the path', async () => {
    await provider.resolve(rec('c1', ['fresh:/data']), rootfs);
    assert.deepEqual(readdirSync(data('fresh')).sort(), ['a.txt', 'sub']);
    assert.equal(readFileSync(join(data('fresh'), 'sub', 'b.txt'), 'utf8'), 'nested\n');
  });

  it('fills an anonymous volume of an image VOLUME', async () => {
    const r = rec('c2', [], { '/data': {} });
    await provider.resolve(r, rootfs);
    assert.equal(r.anonymousVolumes.length, 1);
    assert.equal(readFileSync(join(data(r.anonymousVolumes[0]!), 'a.txt'), 'utf8'), 'from the image\n');
  });

  it('leaves a volume with content, a nocopy volume, and a path the image lacks alone', async () => {
    await volumes.create({ name: 'full' });
    writeFileSync(join(data('full'), 'mine'), 'keep\n');
    await provider.resolve(rec('c3', ['full:/data', 'nocopy:/data2:nocopy', 'elsewhere:/not-in-image']), rootfs);
    assert.deepEqual(readdirSync(data('full')), ['mine']);
    assert.deepEqual(readdirSync(data('nocopy')), []);
    assert.deepEqual(readdirSync(data('elsewhere')), []);
    assert.equal(opened, 1, 'the image was opened for the volume with content or the nocopy one');
  });

  it('a bad mount after a copy-up removes the volumes this create made, and only those', async () => {
    await volumes.create({ name: 'existing' });
    await assert.rejects(provider.resolve(rec('c4', ['made:/data', 'existing:/other', 'dup:/data']), rootfs), /Duplicate mount point: \/data/);
    assert.deepEqual(volumes.list().map((v) => v.name).sort(), ['existing']);
  });
});
