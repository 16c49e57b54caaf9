/**
 * A container's filesystem as clients see it: export, `cp` both ways, `diff`,
 * and the diff of its layer that `commit` makes an image of. A running
 * container is read through its own rootfs mount; a stopped one through a
 * temporary mount in scratch that lasts as long as the operation (for a
 * stream: until the stream closes). Paths are resolved inside the container
 * by container/archive (the container may swap directories meanwhile).
 * `cp` and archive requests see what the container sees: its volumes and
 * binds are bound over the temporary view at their targets (resolved inside
 * the root), running or not, as dockerd's mountVolumes does.
 *
 * Error contract: NotFound for a path the container lacks, Conflict for cp
 * into a read-only rootfs, InvalidParameter for an extraction point that is
 * not a directory; a stream that fails later is destroyed with the error.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, invalidParameter, messageOf } from '../errdefs/errdefs.js';
import { diffLayer, tarDirectory } from '../image/layer-diff.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { Host } from '../sys/host.js';
import { archivePath, extractTo, statPath, type PathStat } from './archive.js';
import { containerChanges, runtimeMountpoints, type Change } from './changes.js';
import type { ContainerPaths } from './paths.js';
import { isRunning, type ContainerRecord } from './types.js';
import type { MountProvider } from '../volume/container-mounts.js';
import { resolveUser } from './user.js';
import { closeFd, createFileInRoot, fdPath, mkdirInRoot, O_PATH, openDir, openDirInRoot, openInRoot, withFd } from '../sys/dirfd.js';

/** A stream opened over a mount that lives until the stream closes (released at once if opening fails). */
async function streamOver(m: { dir: string; release: () => Promise<void> }, open: (root: string) => Readable): Promise<Readable> {
  try {
    const body = open(m.dir);
    body.once('close', () => void m.release());
    return body;
  } catch (e) {
    await m.release();
    throw e;
  }
}

/** The deepest volume or bind whose target holds `path` (lexically, as dockerd's volume.HasResource). */
function mountPointOf(rec: ContainerRecord, path: string): ContainerRecord['mountPoints'][number] | undefined {
  const p = posix.normalize(`/${path}`);
  let best: ContainerRecord['mountPoints'][number] | undefined;
  for (const m of rec.mountPoints) {
    if (m.type === 'tmpfs') continue;
    const d = posix.normalize(m.destination);
    if ((p === d || p.startsWith(d.endsWith('/') ? d : `${d}/`)) && (!best || d.length > best.destination.length)) best = m;
  }
  return best;
}

export class ContainerFiles {
  constructor(
    private readonly host: Host,
    private readonly snapshots: Snapshotter,
    private readonly paths: ContainerPaths,
    /** Where temporary mounts of stopped containers go. */
    private readonly scratchDir: string,
    private readonly mounts: Pick<MountProvider, 'specMounts' | 'release'>,
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
    return this.withView(rec, async (root) => statPath(root, path));
  }

  /** A tar of path; its top entry is named `as` when given (the builder's COPY --from), else as docker cp names it. */
  async archive(rec: ContainerRecord, path: string, as?: string): Promise<{ stat: PathStat; body: Readable }> {
    let stat: PathStat | undefined;
    const body = await this.streamFromView(rec, (root) => {
      const out = archivePath(root, path, as);
      stat = out.stat;
      return out.body;
    });
    return { stat: stat!, body };
  }

  /**
   * `docker cp` into the container. With copyUIDGID (`cp -a`) everything is
   * owned by the container's user (resolved in its /etc/passwd), as dockerd's
   * tarCopyOptions; without it the archive's owners are kept.
   */
  async extract(rec: ContainerRecord, path: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean } = { noOverwriteDirNonDir: false, copyUIDGID: false }): Promise<void> {
    // dockerd's checkIfPathIsInAVolume: a volume decides, else the rootfs.
    const vol = mountPointOf(rec, path);
    if (vol && !vol.rw) throw conflict(`mounted volume is marked read-only: ${vol.destination}`);
    if (!vol && rec.spec.readonlyRootfs) throw conflict('container rootfs is marked read-only');
    await this.withView(rec, async (root) => {
      const user = opts.copyUIDGID && rec.spec.user ? await resolveUser(this.host, root, rec.spec.user, []) : undefined;
      await extractTo(root, path, body, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(user ? { owner: { uid: user.uid, gid: user.gid } } : {}) });
    });
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

  /** Runs fn over the container's view: its root with its volumes and binds in place. */
  private async withView<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const { dir, release } = await this.mountView(rec);
    try {
      return await fn(dir);
    } finally {
      await release();
    }
  }

  /** A stream over the container's view; the view lives until the stream closes. */
  private async streamFromView(rec: ContainerRecord, open: (root: string) => Readable): Promise<Readable> {
    return streamOver(await this.mountView(rec), open);
  }

  /**
   * The root (the running container's own, bound; or its layers mounted) in
   * scratch, with each volume and bind on its target. tmpfs mounts are not
   * there, as in Docker (their content lives only in the container).
   */
  private async mountView(rec: ContainerRecord): Promise<{ dir: string; release: () => Promise<void> }> {
    const dir = join(this.scratchDir, `view-${randomBytes(6).toString('hex')}`);
    const holder = `${rec.id}:view:${randomBytes(4).toString('hex')}`;
    await fs.mkdir(dir, { recursive: true });
    const release = async () => {
      // A lazy unmount takes the volumes below the root with it.
      this.host.mounts.unmount(dir, { detach: true });
      await fs.rm(dir, { recursive: true, force: true });
      await this.mounts.release(rec, holder);
    };
    try {
      if (isRunning(rec)) this.host.mounts.mountAll([{ type: 'bind', source: this.paths.rootfs(rec.id), options: ['bind'] }], dir);
      else this.host.mounts.mountAll(this.snapshots.mounts(rec.snapshotKey), dir);
      const binds = (await this.mounts.specMounts(rec, holder)).filter((m) => m.type === 'bind');
      // Parents before children, so a volume inside another lands on top of it.
      binds.sort((a, b) => a.destination.length - b.destination.length);
      // Bound read-write: extract refuses read-only ones by name first, as dockerd does.
      for (const m of binds) this.bindInRoot(dir, m.source, m.destination);
    } catch (e) {
      await release();
      throw e;
    }
    return { dir, release };
  }

  /** Binds source on the target resolved inside root (made if missing, as the runtime would: a directory, or an empty file for a file). */
  private bindInRoot(root: string, source: string, target: string): void {
    withFd(openDir(root), (rootFd) => {
      let fd: number;
      try {
        fd = openInRoot(rootFd, target, O_PATH);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
        if (statSync(source).isDirectory()) mkdirInRoot(rootFd, target, 0o755);
        else createFileInRoot(rootFd, target);
        fd = openInRoot(rootFd, target, O_PATH);
      }
      try {
        this.host.mounts.mountAll([{ type: 'bind', source, options: ['rbind'] }], fdPath(fd));
      } finally {
        closeFd(fd);
      }
    });
  }

  /** A stream over the container's files; a temporary mount lives until the stream closes. */
  private async streamFromRootfs(rec: ContainerRecord, open: (root: string) => Readable): Promise<Readable> {
    if (isRunning(rec)) return open(this.paths.rootfs(rec.id));
    return streamOver(await this.mountTemporary(rec), open);
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
