/**
 * MountProvider: a container's volumes, binds and tmpfs mounts, and its
 * implementation over the local VolumeService.
 *
 * Lifecycle per container:
 *   resolve (at create, Docker's order: --volumes-from, -v binds and named
 *     volumes, --mount, then the image's and -v's anonymous VOLUME paths;
 *     volumes created as needed and an empty one filled from the image at
 *     that path: copy-up) → specMounts (at each start: the runtime's mounts;
 *     volumes acquired, mounted when their options say so) → release (at
 *     each exit) … → removed (at remove: released; anonymous volumes go with
 *     `rm -v`). restore() re-acquires the volumes of containers that kept
 *     running while the daemon was down.
 *
 * Error contract: resolve throws InvalidParameter (Docker's messages) for a
 * bad mount and then removes the volumes it made; specMounts throws
 * InvalidParameter when a bind source vanished. release, removed and restore
 * log what fails and go on.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { bindMode, type ContainerRecord, type MountPointRecord } from '../container/types.js';
import { invalidParameter, messageOf } from '../errdefs/errdefs.js';
import type { SpecMount } from '../runtime/spec/build.js';
import type { Logger } from '../util/log.js';
import type { VolumeService } from './service.js';
import { closeFd, fdPath, openDirInRoot } from '../sys/dirfd.js';

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** Runs fn with the container's root filesystem mounted (its image content, for copy-up). */
export type RootfsAccess = <T>(rec: ContainerRecord, fn: (root: string) => Promise<T>) => Promise<T>;

/** The containers the provider must know of: --volumes-from sources, and who uses a volume. */
export interface ContainerIndex {
  resolve(ref: string): ContainerRecord;
  all(): ContainerRecord[];
}

export interface MountProvider {
  resolve(rec: ContainerRecord, rootfs: RootfsAccess): Promise<void>;
  /** The runtime mounts; volumes are held by `holder` (the container itself, or a transient user such as `cp`) until release. */
  specMounts(rec: ContainerRecord, holder?: string): Promise<SpecMount[]>;
  release(rec: ContainerRecord, holder?: string): Promise<void>;
  removed(rec: ContainerRecord, removeAnonymous: boolean): Promise<void>;
  restore(running: ContainerRecord[]): Promise<void>;
}

export class VolumeMounts implements MountProvider {
  constructor(
    private readonly volumes: VolumeService,
    private readonly store: ContainerIndex,
    private readonly log: Logger,
    /** Read-only binds are made read-only recursively ("rro"), where the kernel and runc allow it. */
    private readonly recursiveReadOnly = false,
  ) {}

  /** Containers (any state) whose mounts name the volume. */
  usersOf = (name: string): string[] => this.store.all().filter((c) => c.mountPoints.some((m) => m.type === 'volume' && m.source === name)).map((c) => c.id);

  /** Resolves and records the mounts of a new container; on failure removes the volumes it made. */
  async resolve(rec: ContainerRecord, rootfs: RootfsAccess): Promise<void> {
    const s = rec.spec;
    const points: MountPointRecord[] = [];
    const fresh: string[] = [];
    const add = (m: MountPointRecord) => {
      if (!posix.isAbsolute(m.destination)) throw invalidParameter(`invalid mount config for type "${m.type}": invalid mount path: '${m.destination}' mount path must be absolute`);
      if (posix.normalize(m.destination) === '/') throw invalidParameter(`invalid mount config for type "${m.type}": invalid specification: destination can't be '/'`);
      const i = points.findIndex((p) => posix.normalize(p.destination) === posix.normalize(m.destination));
      if (i >= 0) throw invalidParameter(`Duplicate mount point: ${m.destination}`);
      points.push(m);
    };
    const volume = async (name: string, opts: { labels?: Record<string, string>; driverOpts?: Record<string, string> } = {}): Promise<string> => {
      const existed = !!name && this.volumes.list().some((v) => v.name === name);
      const v = await this.volumes.create({ ...(name ? { name } : {}), ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.driverOpts ? { driverOpts: opts.driverOpts } : {}) });
      if (!existed) fresh.push(v.name);
      if (!name) rec.anonymousVolumes.push(v.name);
      return v.name;
    };
    try {
      for (const from of s.volumesFrom) {
        const [ref, mode] = from.split(':');
        if (mode && mode !== 'ro' && mode !== 'rw') throw invalidParameter(`invalid mode: ${mode}`);
        let other: ContainerRecord;
        try {
          other = this.store.resolve(ref!);
        } catch (e) {
          // Docker: a bad --volumes-from is the request's fault (400), not a missing resource (which makes clients pull the image).
          throw invalidParameter(messageOf(e));
        }
        // Docker's copy: read-only if either side says so; the mode string is not copied.
        for (const m of other.mountPoints) add({ ...m, rw: m.rw && mode !== 'ro', mode: '' });
      }
      for (const b of s.binds) {
        const propagation = b.options.find((o) => PROPAGATIONS.includes(o)) ?? '';
        const mode = bindMode(b);
        if (posix.isAbsolute(b.source)) {
          // -v creates a missing host directory, as Docker does.
          if (!existsSync(b.source)) mkdirSync(b.source, { recursive: true, mode: 0o755 });
          add({ type: 'bind', source: b.source, destination: b.target, rw: !b.readOnly, mode, propagation: propagation || 'rprivate' });
        } else {
          const name = await volume(b.source);
          add({ type: 'volume', source: name, destination: b.target, rw: !b.readOnly, mode: mode || 'z', propagation: '' });
          if (!b.options.includes('nocopy')) await this.copyUp(rec, name, b.target, rootfs);
        }
      }
      for (const m of s.mounts) {
        if (m.type === 'bind') {
          if (!m.source || !posix.isAbsolute(m.source)) throw invalidParameter(`invalid mount config for type "bind": invalid mount path: '${m.source}' mount path must be absolute`);
          if (!existsSync(m.source)) throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
          add({ type: 'bind', source: m.source, destination: m.target, rw: !m.readOnly, mode: '', propagation: m.propagation || 'rprivate' });
        } else if (m.type === 'volume') {
          const name = await volume(m.source, { ...(m.volumeLabels ? { labels: m.volumeLabels } : {}), ...(m.volumeDriverOptions ? { driverOpts: m.volumeDriverOptions } : {}) });
          add({ type: 'volume', source: name, destination: m.target, rw: !m.readOnly, mode: 'z', propagation: '' });
          if (!m.noCopy) await this.copyUp(rec, name, m.target, rootfs);
        } else {
          add({ type: 'tmpfs', source: '', destination: m.target, rw: !m.readOnly, mode: '', propagation: '', ...(m.tmpfsSize ? { tmpfsSize: m.tmpfsSize } : {}), ...(m.tmpfsMode ? { tmpfsMode: m.tmpfsMode } : {}) });
        }
      }
      const covered = (d: string) => points.some((p) => posix.normalize(p.destination) === posix.normalize(d)) || Object.keys(s.tmpfs).some((t) => posix.normalize(t) === posix.normalize(d));
      for (const dest of s.volumes) {
        if (covered(dest)) continue;
        const name = await volume('');
        add({ type: 'volume', source: name, destination: dest, rw: true, mode: '', propagation: '' });
        await this.copyUp(rec, name, dest, rootfs);
      }
    } catch (e) {
      for (const name of fresh) await this.volumes.remove(name, { force: true }, () => []).catch(() => {});
      rec.anonymousVolumes = [];
      throw e;
    }
    // The container's create saves the record once everything is resolved.
    rec.mountPoints = points;
  }

  /**
   * Fills an empty volume with what the image has at dest (Docker's copy-up,
   * done at create for every volume mount but --volumes-from's, unless
   * nocopy; a volume with content is left alone). A volume that is a mount
   * (type/device options) is mounted for the copy, as Docker does.
   */
  private async copyUp(rec: ContainerRecord, name: string, dest: string, rootfs: RootfsAccess): Promise<void> {
    const v = this.volumes.get(name);
    const isMount = !!(v.options && (v.options['type'] || v.options['device']));
    // A plain volume with content stays as it is: no need to mount the container's rootfs.
    if (!isMount && readdirSync(v.mountpoint).length > 0) return;
    await rootfs(rec, async (root) => {
      const src = openDirInRoot(root, dest);
      if (src === undefined) return;
      try {
        if (isMount) await this.volumes.acquire(name, rec.id);
        try {
          await this.volumes.copyUp(name, `${fdPath(src)}/.`);
        } finally {
          if (isMount) await this.volumes.release(name, rec.id);
        }
      } finally {
        closeFd(src);
      }
    });
  }

  /** The runtime mounts for a start; volumes are acquired (mounted when their driver needs it). */
  async specMounts(rec: ContainerRecord, holder = rec.id): Promise<SpecMount[]> {
    const out: SpecMount[] = [];
    for (const m of rec.mountPoints) {
      if (m.type === 'tmpfs') {
        out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.rw ? [] : ['ro']), ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : []), ...(m.tmpfsMode ? [`mode=${m.tmpfsMode.toString(8)}`] : [])] });
        continue;
      }
      let source = m.source;
      if (m.type === 'volume') source = await this.volumes.acquire(m.source, holder);
      else if (!existsSync(source)) throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
      out.push({ destination: m.destination, type: 'bind', source, options: ['rbind', m.rw ? 'rw' : this.recursiveReadOnly ? 'rro' : 'ro', m.propagation || 'rprivate'] });
    }
    return out;
  }

  async release(rec: ContainerRecord, holder = rec.id): Promise<void> {
    for (const m of rec.mountPoints) if (m.type === 'volume') await this.volumes.release(m.source, holder).catch(() => {});
  }

  /** A removed container: its volumes are released; with removeAnonymous, its anonymous volumes go. */
  async removed(rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    await this.release(rec);
    if (!removeAnonymous) return;
    for (const name of rec.anonymousVolumes) {
      try {
        await this.volumes.remove(name, { force: true }, (n) => this.usersOf(n).filter((id) => id !== rec.id));
      } catch (e) {
        this.log.warn('cannot remove an anonymous volume of a removed container', { volume: name, err: messageOf(e) });
      }
    }
  }

  /** Re-acquire volumes of containers still running after a daemon restart. */
  async restore(running: ContainerRecord[]): Promise<void> {
    for (const rec of running) for (const m of rec.mountPoints) if (m.type === 'volume') await this.volumes.acquire(m.source, rec.id).catch(() => {});
    await this.volumes.settle();
  }
}
