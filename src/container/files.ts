/**
 * A container's filesystem as clients see it: export, `cp` both ways, `diff`,
 * and the diff of its layer that `commit` makes an image of. A running
 * container is read through its own rootfs mount; a stopped one through a
 * temporary mount in scratch that lasts as long as the operation (for a
 * stream: until the stream closes). Paths are resolved inside the container
 * by container/archive (the container may swap directories meanwhile).
 *
 * Error contract: NotFound for a path the container lacks, Conflict for cp
 * into a read-only rootfs, InvalidParameter for an extraction point that is
 * not a directory; a stream that fails later is destroyed with the error.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { closeFd, fdPath, mkdirInRoot, openDir, openDirInRoot, withFd } from '../sys/dirfd.js';
import { diffLayer, tarDirectory } from '../image/layer-diff.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Host } from '../sys/host.js';
import { archivePath, extractTo, statPath, type PathStat } from './archive.js';
import { containerChanges, runtimeMountpoints, type Change } from './changes.js';
import type { ContainerPaths } from './paths.js';
import { isRunning, type ContainerRecord } from './types.js';

export class ContainerFiles {
  constructor(
    private readonly host: Host,
    private readonly snapshots: Snapshotter,
    private readonly paths: ContainerPaths,
    /** Where temporary mounts of stopped containers go. */
    private readonly scratchDir: string,
  ) {}

  /** Runs fn with the container's root filesystem mounted (its own mount, or a temporary one). */
  async withRootfs<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    if (isRunning(rec)) return fn(this.paths.rootfs(rec.id));
    const { dir, release } = await this.mountTemporary(rec);
    try {
      return await fn(dir);
    } finally {
      await release();
    }
  }

  export(rec: ContainerRecord): Promise<Readable> {
    return this.streamFromRootfs(rec, (root) => tarDirectory(root));
  }

  stat(rec: ContainerRecord, path: string): Promise<PathStat> {
    return this.withRootfs(rec, async (root) => statPath(root, path));
  }

  /** A tar of path; its top entry is named `as` when given (the builder's COPY --from), else as docker cp names it. */
  async archive(rec: ContainerRecord, path: string, as?: string): Promise<{ stat: PathStat; body: Readable }> {
    let stat: PathStat | undefined;
    const body = await this.streamFromRootfs(rec, (root) => {
      const out = archivePath(root, path, as);
      stat = out.stat;
      return out.body;
    });
    return { stat: stat!, body };
  }

  async extract(rec: ContainerRecord, path: string, body: Readable): Promise<void> {
    if (rec.spec.readonlyRootfs) throw conflict('container rootfs is marked read-only');
    await this.withRootfs(rec, (root) => extractTo(root, path, body));
  }

  /** Extracts a tar into the directory dir, made first (mkdir -p inside the root) when missing: the builder's COPY. */
  async putFiles(rec: ContainerRecord, dir: string, body: Readable): Promise<void> {
    await this.withRootfs(rec, async (root) => {
      try {
        withFd(openDir(root), (rootFd) => mkdirInRoot(rootFd, dir, 0o755));
      } catch (err) {
        body.resume();
        throw invalidParameter(`cannot create ${dir} in the container: ${messageOf(err)}`, err);
      }
      await extractTo(root, dir, body);
    });
  }

  /** mkdir -p of a container path (the builder's WORKDIR). */
  async mkdir(rec: ContainerRecord, path: string): Promise<void> {
    await this.withRootfs(rec, async (root) => {
      try {
        withFd(openDir(root), (rootFd) => mkdirInRoot(rootFd, path, 0o755));
      } catch (err) {
        throw invalidParameter(`cannot create ${path} in the container: ${messageOf(err)}`, err);
      }
    });
  }

  /** Whether path is a directory in the container (symlinks resolved inside it). */
  async isDir(rec: ContainerRecord, path: string): Promise<boolean> {
    return this.withRootfs(rec, async (root) => {
      const fd = openDirInRoot(root, path);
      if (fd === undefined) return false;
      closeFd(fd);
      return true;
    });
  }

  /** The names in a directory of the container (symlinks resolved inside it); [] when it is not a directory. */
  async list(rec: ContainerRecord, path: string): Promise<string[]> {
    return this.withRootfs(rec, async (root) => {
      const fd = openDirInRoot(root, path);
      if (fd === undefined) return [];
      try {
        return (await fs.readdir(fdPath(fd))).sort();
      } finally {
        closeFd(fd);
      }
    });
  }

  /** What the container changed (docker diff), the runtime's own mountpoints left out. */
  async changes(rec: ContainerRecord): Promise<Change[]> {
    const [upper, ...lowers] = this.snapshots.layerChain(rec.snapshotKey);
    return containerChanges(upper!, lowers, await this.runtimeMountpoints(rec));
  }

  /** The tar of the container's own layer, as commit makes it an image layer. */
  async layerDiff(rec: ContainerRecord): Promise<Readable> {
    return diffLayer(this.snapshots.layerDir(rec.snapshotKey), { exclude: await this.runtimeMountpoints(rec) });
  }

  /** The runtime's mountpoints in the container layer, which diff and commit leave out. */
  private runtimeMountpoints(rec: ContainerRecord): Promise<Set<string>> {
    const [upper, ...lowers] = this.snapshots.layerChain(rec.snapshotKey);
    const extra = [...rec.spec.binds.map((b) => b.target), ...rec.spec.mounts.map((m) => m.target), ...Object.keys(rec.spec.tmpfs), ...rec.spec.volumes];
    return runtimeMountpoints(upper!, lowers, extra);
  }

  /** A stream over the container's files; a temporary mount lives until the stream closes. */
  private async streamFromRootfs(rec: ContainerRecord, open: (root: string) => Readable): Promise<Readable> {
    if (isRunning(rec)) return open(this.paths.rootfs(rec.id));
    const { dir, release } = await this.mountTemporary(rec);
    try {
      const body = open(dir);
      body.once('close', () => void release());
      return body;
    } catch (e) {
      await release();
      throw e;
    }
  }

  private async mountTemporary(rec: ContainerRecord): Promise<{ dir: string; release: () => Promise<void> }> {
    const dir = join(this.scratchDir, `rootfs-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(dir, { recursive: true });
    this.host.mounts.mountAll(this.snapshots.mounts(rec.snapshotKey), dir);
    return {
      dir,
      release: async () => {
        this.host.mounts.unmount(dir, { detach: true });
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  }
}
