/**
 * Volumes: Docker's local driver and the service in front of it.
 *
 * Storage (`<root>/volumes/`):
 *   <name>/volume.json   the record (name, driver, createdAt, labels, options), written atomically
 *   <name>/_data/        the content; what containers bind (the Mountpoint)
 *   .tmp-*               a volume being created (renamed to <name> when complete)
 *   .rm-*                a volume being removed (renamed away first, then deleted)
 *   <name>/.copyup-*     a copy-up in progress (renamed over the empty _data when complete)
 * A crash at any point leaves either the whole volume or none of it; the
 * dot-prefixed leftovers are deleted by open() (volume names cannot start
 * with a dot). Volume data is deleted only by remove() and prune() of that
 * volume, never through a mount point.
 *
 * Lifecycle:
 *   open(root, log, {onEvent})   loads the records, deletes leftovers of a crash, and adopts
 *                     volume mounts still in place (a tmpfs volume that running
 *                     containers still use stays the same tmpfs).
 *   acquire(...)      the daemon's restore calls it for each volume of each running
 *                     container, then calls settle() once: mounts nobody re-acquired
 *                     are unmounted.
 *   create / get / list / remove / prune / copyUp / usage   at any time.
 *
 * Concurrency: operations on one volume run one at a time (a lock per name);
 * get/list read memory only and never wait. One prune at a time.
 *
 * Error contract (EngineError kinds and Docker's texts):
 *   NotFound          `get NAME: no such volume`; `create NAME: error looking up volume plugin X: plugin "X" not found`
 *   InvalidParameter  `create NAME: "x/y" includes invalid characters for a local volume name, …`,
 *                     `create NAME: invalid option: "x"`, `create NAME: missing required option: "device"`, bad filters
 *   Conflict          `remove NAME: volume is in use - [id1, id2]`; `a prune operation is already running`;
 *                     `create NAME: volume already exists under DIR` (a directory whose record is unreadable)
 *   Internal          mount/unmount failures, filesystem errors (with the path)
 *
 * "In use" is what the caller's usersOf says (containers, running or not,
 * whose records name the volume; include containers still being created)
 * plus every container holding the volume through acquire().
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { EngineError, conflict, errnoCode, internal, messageOf, notFound } from '../errdefs/errdefs.js';
import type { Host } from '../sys/host.js';
import { readJsonIfExists, syncDir, writeJsonAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import { listFilter, pruneFilter, type VolumeFilters } from './filters.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { mountAt, mountsUnder, type MountEntry } from '../sys/mountinfo.js';
import { ANONYMOUS_LABEL, goQuote, parseLocalOptions, validateVolumeName, type LocalOptions } from './options.js';
import { copyTree, isEmptyDir, treeSize } from './tree.js';

export { ANONYMOUS_LABEL } from './options.js';
export type { VolumeFilters } from './filters.js';

/** A volume as the service shows it (a fresh copy each time). */
export interface Volume {
  readonly name: string;
  readonly driver: 'local';
  /** Host path of the content, `<root>/volumes/<name>/_data` (what containers bind). */
  readonly mountpoint: string;
  /** Creation time in RFC 3339 with seconds, in the daemon's time zone (Docker's CreatedAt). */
  readonly createdAt: string;
  /** As given at creation; null when none were given (Docker shows null then, {} for an empty map). */
  readonly labels: Readonly<Record<string, string>> | null;
  /** Driver options as given at creation; null when none were given. */
  readonly options: Readonly<Record<string, string>> | null;
  readonly scope: 'local';
  /** Created without a name (carries the com.docker.volume.anonymous label). */
  readonly anonymous: boolean;
}

export interface CreateVolumeOptions {
  /** Omitted or "": an anonymous volume with a random 64-hex name. */
  name?: string;
  /** Omitted or "": "local", the only driver. */
  driver?: string;
  driverOpts?: Readonly<Record<string, string>> | null;
  labels?: Readonly<Record<string, string>> | null;
  /** Mark a named volume anonymous (the label Docker puts on `-v /path` volumes). */
  anonymous?: boolean;
}

/** The containers that use a volume (IDs), from the container records. */
export type UsersOf = (name: string) => readonly string[];

/**
 * What happened, for the event bus, with Docker's actions and attributes:
 * `create` (a new volume only) and `destroy` with {driver}, keyed by the
 * volume's name; `prune` once per prune with {reclaimed} and an empty name.
 */
export type VolumeEventSink = (action: 'create' | 'destroy' | 'prune', name: string, attributes: Record<string, string>) => void;

interface VolumeRecord {
  v: 1;
  name: string;
  driver: 'local';
  /** ISO 8601, UTC. */
  createdAt: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

interface Entry {
  rec: VolumeRecord;
  opts: LocalOptions;
  dir: string;
  data: string;
  /** Containers holding the volume through acquire. */
  holders: Set<string>;
  /** A volume with type/device: whether its mount is on _data now. */
  mounted: boolean;
}

const META = 'volume.json';
const DATA = '_data';
const TMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.rm-';
const STAGE_PREFIX = '.copyup-';

export class VolumeService {
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new KeyedLock();
  private pruning = false;

  private constructor(
    /** `<root>/volumes`, symlinks resolved (so paths compare with mountinfo). */
    private readonly dir: string,
    private readonly log: Logger,
    private readonly host: Host,
    private readonly onEvent: VolumeEventSink,
  ) {}

  /** Opens (creating if needed) `<root>/volumes`; see the lifecycle above. onEvent must not throw. */
  static async open(root: string, log: Logger, host: Host, opts: { onEvent?: VolumeEventSink } = {}): Promise<VolumeService> {
    const dir = join(root, 'volumes');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const s = new VolumeService(await fs.realpath(dir), log, host, opts.onEvent ?? (() => {}));
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    const mounts = this.host.mounts.table();
    for (const ent of await fs.readdir(this.dir, { withFileTypes: true })) {
      const name = ent.name;
      const path = join(this.dir, name);
      if (name.startsWith(TMP_PREFIX) || name.startsWith(TRASH_PREFIX)) {
        await this.discard(path, mounts);
        continue;
      }
      if (!ent.isDirectory()) continue;
      try {
        validateVolumeName(name);
      } catch {
        this.log.warn('volumes: ignoring a directory that is not a volume', { path });
        continue;
      }
      let rec: VolumeRecord | undefined;
      try {
        rec = await readJsonIfExists<VolumeRecord>(join(path, META));
      } catch (e) {
        this.log.error('volumes: unreadable volume record; the volume is left as it is and not listed', { path, err: messageOf(e) });
        continue;
      }
      try {
        const e = await this.loadOne(name, path, rec, mounts);
        if (e) this.entries.set(name, e);
      } catch (err) {
        this.log.error('volumes: cannot load volume; it is left as it is and not listed', { path, err: messageOf(err) });
      }
    }
  }

  private async loadOne(name: string, path: string, found: VolumeRecord | undefined, mounts: readonly MountEntry[]): Promise<Entry | undefined> {
    const rec = found ?? (await this.adopt(name, path));
    if (!rec) return undefined;
    let opts: LocalOptions = {};
    try {
      opts = parseLocalOptions(rec.options);
    } catch (e) {
      this.log.warn('volumes: options no longer valid; treated as a plain volume', { volume: name, err: messageOf(e) });
    }
    const e: Entry = { rec, opts, dir: path, data: join(path, DATA), holders: new Set(), mounted: false };
    for (const f of await fs.readdir(path)) if (f.startsWith(STAGE_PREFIX)) await this.discard(join(path, f), mounts);
    await fs.mkdir(e.data, { mode: 0o755 }).catch((err: unknown) => {
      if (errnoCode(err) !== 'EEXIST') throw err;
    });
    if (opts.mount && mountAt(e.data, mounts)) e.mounted = true;
    return e;
  }

  /** A volume directory with _data but no record (copied from Docker's /var/lib/docker/volumes, or made by hand): keep it. */
  private async adopt(name: string, path: string): Promise<VolumeRecord | undefined> {
    let st;
    try {
      st = await fs.lstat(join(path, DATA));
    } catch {
      this.log.warn('volumes: ignoring a directory without a record or _data', { path });
      return undefined;
    }
    if (!st.isDirectory()) return undefined;
    // Docker's local driver keeps a mount volume's options in opts.json.
    let options: Record<string, string> | null = null;
    const dockerOpts = await readJsonIfExists<{ MountType?: string; MountOpts?: string; MountDevice?: string }>(join(path, 'opts.json')).catch(() => undefined);
    if (dockerOpts && (dockerOpts.MountType || dockerOpts.MountDevice)) {
      options = { type: dockerOpts.MountType ?? '', device: dockerOpts.MountDevice ?? '', ...(dockerOpts.MountOpts ? { o: dockerOpts.MountOpts } : {}) };
    }
    const rec: VolumeRecord = { v: 1, name, driver: 'local', createdAt: (await fs.stat(path)).ctime.toISOString(), labels: null, options };
    await writeJsonAtomic(join(path, META), rec);
    this.log.info('volumes: adopted a volume directory without a record', { volume: name });
    return rec;
  }

  /** Deletes a leftover directory, after unmounting anything below it; never deletes through a mount. */
  private async discard(path: string, mounts: readonly MountEntry[] = this.host.mounts.table()): Promise<void> {
    for (const m of mountsUnder(path, mounts)) {
      try {
        this.host.mounts.unmount(m, { detach: true });
      } catch (e) {
        this.log.warn('volumes: cannot unmount a leftover mount', { path: m, err: messageOf(e) });
      }
    }
    const still = mountsUnder(path, this.host.mounts.table());
    if (still.length) {
      this.log.warn('volumes: leftover directory kept because something is mounted below it', { path, mount: still[0] });
      return;
    }
    await fs.rm(path, { recursive: true, force: true }).catch((e: unknown) => this.log.warn('volumes: cannot delete a leftover', { path, err: messageOf(e) }));
  }

  /** After restore has re-acquired the volumes of running containers: unmounts the volume mounts nobody holds. */
  async settle(): Promise<void> {
    for (const e of [...this.entries.values()]) {
      await this.locks.run(e.rec.name, async () => {
        if (!e.mounted || e.holders.size > 0) return;
        try {
          this.host.mounts.unmount(e.data, { detach: true });
          e.mounted = false;
        } catch (err) {
          this.log.warn('volumes: cannot unmount an unused volume', { volume: e.rec.name, err: messageOf(err) });
        }
      });
    }
  }

  /**
   * Creates a volume, or returns the existing one of that name unchanged
   * (Docker: options and labels of the request are then ignored).
   * Nothing is left behind when it fails.
   */
  async create(o: CreateVolumeOptions = {}): Promise<Volume> {
    const anonymous = !o.name || !!o.anonymous;
    const name = o.name || randomName();
    const driver = o.driver || 'local';
    try {
      validateVolumeName(name);
    } catch (e) {
      throw withOp('create', name, e);
    }
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin ${goQuote(driver)} not found`);
    return this.locks.run(name, async () => {
      const existing = this.entries.get(name);
      if (existing) return view(existing);
      let opts: LocalOptions;
      try {
        opts = parseLocalOptions(o.driverOpts);
      } catch (e) {
        throw withOp('create', name, e);
      }
      let labels: Record<string, string> | null = o.labels ? { ...o.labels } : null;
      if (anonymous) labels = { ...labels, [ANONYMOUS_LABEL]: '' };
      const rec: VolumeRecord = {
        v: 1,
        name,
        driver: 'local',
        createdAt: new Date().toISOString(),
        labels,
        options: o.driverOpts ? { ...o.driverOpts } : null,
      };
      const dir = join(this.dir, name);
      const tmp = join(this.dir, TMP_PREFIX + randomBytes(8).toString('hex'));
      try {
        await fs.mkdir(tmp, { mode: 0o701 });
        await fs.chmod(tmp, 0o701);
        await fs.mkdir(join(tmp, DATA), { mode: 0o755 });
        await applyOwner(join(tmp, DATA), opts, 0o755);
        await writeJsonAtomic(join(tmp, META), rec);
        await fs.rename(tmp, dir);
        await syncDir(this.dir);
      } catch (e) {
        await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
        const code = errnoCode(e);
        if (code === 'EEXIST' || code === 'ENOTEMPTY') throw conflict(`create ${name}: volume already exists under ${dir} (its record is unreadable; see the daemon log)`);
        throw withOp('create', name, e);
      }
      const e: Entry = { rec, opts, dir, data: join(dir, DATA), holders: new Set(), mounted: false };
      this.entries.set(name, e);
      this.log.debug('volume created', { volume: name });
      this.onEvent('create', name, { driver: 'local' });
      return view(e);
    });
  }

  /** The volume; NotFound `get NAME: no such volume`. */
  get(name: string): Volume {
    const e = this.entries.get(name);
    if (!e) throw notFound(`get ${name}: no such volume`);
    return view(e);
  }

  /**
   * All volumes, sorted by name; with filters, those matching Docker's list
   * filters (dangling, name, driver, label). dangling needs usersOf.
   */
  list(o: { filters?: VolumeFilters; usersOf?: UsersOf } = {}): Volume[] {
    const all = [...this.entries.values()].sort((a, b) => (a.rec.name < b.rec.name ? -1 : a.rec.name > b.rec.name ? 1 : 0));
    if (!o.filters || o.filters.size === 0) return all.map(view);
    const usersOf = o.usersOf ?? (() => []);
    const match = listFilter(o.filters, (n) => this.users(this.entries.get(n)!, usersOf).length > 0);
    return all.filter((e) => match(e.rec)).map(view);
  }

  /**
   * Removes a volume and its data. Refused (Conflict) while it is in use;
   * force only forgives a volume that does not exist.
   */
  async remove(name: string, o: { force: boolean }, usersOf: UsersOf): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (!e) {
        if (o.force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.users(e, usersOf);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.destroy(e);
    });
  }

  /**
   * Removes unused local volumes: anonymous ones only, unless all (or the
   * filter all=true); label / label! filters narrow it. Volumes with
   * type/device options are skipped, as Docker does. A volume that fails to
   * go is logged and skipped. reclaimed counts the bytes of deleted volumes.
   */
  async prune(o: { all?: boolean; filters?: VolumeFilters; usersOf: UsersOf }): Promise<{ deleted: string[]; reclaimed: number }> {
    if (this.pruning) throw conflict('a prune operation is already running');
    this.pruning = true;
    try {
      const { match } = pruneFilter(o.filters ?? new Map(), ANONYMOUS_LABEL, !!o.all);
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const e of [...this.entries.values()]) {
        if (e.opts.mount || !match(e.rec)) continue;
        const name = e.rec.name;
        await this.locks.run(name, async () => {
          if (this.entries.get(name) !== e || this.users(e, o.usersOf).length) return;
          let size = 0;
          try {
            size = await treeSize(e.data);
          } catch (err) {
            this.log.warn('volumes: could not determine size of volume', { volume: name, err: messageOf(err) });
          }
          try {
            await this.destroy(e);
          } catch (err) {
            this.log.warn('volumes: could not remove volume', { volume: name, err: messageOf(err) });
            return;
          }
          deleted.push(name);
          reclaimed += size;
        });
      }
      this.onEvent('prune', '', { reclaimed: String(reclaimed) });
      return { deleted, reclaimed };
    } finally {
      this.pruning = false;
    }
  }

  /**
   * The host path to bind into the container. A volume with type/device is
   * mounted on its first holder. Idempotent per container ID. NotFound when
   * the volume does not exist; Internal when the mount fails.
   */
  async acquire(name: string, containerId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (!e) throw notFound(`get ${name}: no such volume`);
      const m = e.opts.mount;
      if (m && !e.mounted) {
        try {
          this.host.mounts.mountAll([{ type: m.type, source: m.device, options: m.options }], e.data);
        } catch (err) {
          throw internal(`error while mounting volume '${e.data}': failed to mount local volume: ${messageOf(err)}`, err);
        }
        e.mounted = true;
        this.log.debug('volume mounted', { volume: name });
      }
      e.holders.add(containerId);
      return e.data;
    });
  }

  /**
   * Drops the container's hold; the last one unmounts a type/device volume
   * (lazily, as Docker does). Releasing a volume that is gone, or a hold that
   * was never taken, is not an error.
   */
  async release(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (!e) return;
      e.holders.delete(containerId);
      if (e.holders.size > 0 || !e.mounted) return;
      try {
        this.host.mounts.unmount(e.data, { detach: true });
      } catch (err) {
        throw internal(`error while unmounting volume path '${e.data}': ${messageOf(err)}`, err);
      }
      e.mounted = false;
      this.log.debug('volume unmounted', { volume: name });
    });
  }

  /**
   * Docker's copy-up: when the volume is empty, copies the content of the
   * directory source (a path in the container's root filesystem) into it,
   * keeping owners, modes, times, symbolic and hard links; _data takes
   * source's owner and mode, then the volume's own uid/gid/mode options win.
   * No-op when the volume has content or source is not a directory.
   * Staged and renamed over the empty _data in one step when nobody holds the
   * volume (so a crash leaves it empty, and copy-up happens at the next
   * start); copied in place when the volume is a mount or already held.
   * A type/device volume must be acquired first.
   */
  async copyUp(name: string, source: string): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (!e) throw notFound(`get ${name}: no such volume`);
      if (e.opts.mount && !e.mounted) throw internal(`copy-up into volume ${name}: the volume is not mounted; acquire it first`);
      try {
        if (!(await fs.lstat(source)).isDirectory()) return;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
        throw internal(`copy-up into volume ${name}: ${messageOf(err)}`, err);
      }
      if (!(await isEmptyDir(e.data))) return;
      if (e.mounted || e.holders.size > 0) {
        try {
          await copyTree(source, e.data);
          await applyOwner(e.data, e.opts);
        } catch (err) {
          throw internal(`copy-up into volume ${name}: ${messageOf(err)}`, err);
        }
        return;
      }
      const stage = join(e.dir, STAGE_PREFIX + randomBytes(8).toString('hex'));
      try {
        await fs.mkdir(stage, { mode: 0o700 });
        await copyTree(source, stage);
        await applyOwner(stage, e.opts);
        await fs.rename(stage, e.data);
        await syncDir(e.dir);
      } catch (err) {
        await fs.rm(stage, { recursive: true, force: true }).catch(() => {});
        throw internal(`copy-up into volume ${name}: ${messageOf(err)}`, err);
      }
    });
  }

  /** Bytes of the volume's content as Docker counts them (system df). NotFound when it does not exist. */
  async usage(name: string): Promise<number> {
    const e = this.entries.get(name);
    if (!e) throw notFound(`get ${name}: no such volume`);
    return treeSize(e.data);
  }

  /** Container IDs that use the volume: the caller's, then holders not among them. */
  private users(e: Entry, usersOf: UsersOf): string[] {
    return [...new Set([...usersOf(e.rec.name), ...e.holders])];
  }

  /** Unmounts, renames the volume directory away (the atomic step), forgets it, then deletes the data. */
  private async destroy(e: Entry): Promise<void> {
    const name = e.rec.name;
    if (e.mounted) {
      try {
        this.host.mounts.unmount(e.data, { detach: true });
      } catch (err) {
        throw internal(`remove ${name}: error while unmounting volume path '${e.data}': ${messageOf(err)}`, err);
      }
      e.mounted = false;
    }
    const still = mountsUnder(e.dir, this.host.mounts.table());
    if (still.length) throw internal(`remove ${name}: ${still[0]} is mounted; unmount it first`);
    const trash = join(this.dir, `${TRASH_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(e.dir, trash);
      await syncDir(this.dir);
    } catch (err) {
      throw internal(`remove ${name}: ${messageOf(err)}`, err);
    }
    this.entries.delete(name);
    this.log.debug('volume removed', { volume: name });
    this.onEvent('destroy', name, { driver: 'local' });
    await fs.rm(trash, { recursive: true, force: true }).catch((err: unknown) => this.log.warn('volumes: cannot delete removed volume data; retried at next start', { path: trash, err: messageOf(err) }));
  }
}

/** Sets _data's owner and mode from the uid/gid/mode options (mode defaults to dflt when given). */
async function applyOwner(path: string, opts: LocalOptions, dflt?: number): Promise<void> {
  if (opts.uid !== undefined || opts.gid !== undefined) await fs.chown(path, opts.uid ?? -1, opts.gid ?? -1);
  const mode = opts.mode ?? dflt;
  if (mode !== undefined) await fs.chmod(path, mode);
}

function view(e: Entry): Volume {
  const r = e.rec;
  return {
    name: r.name,
    driver: r.driver,
    mountpoint: e.data,
    createdAt: rfc3339(new Date(r.createdAt)),
    labels: r.labels ? { ...r.labels } : null,
    options: r.options ? { ...r.options } : null,
    scope: 'local',
    anonymous: !!r.labels && Object.hasOwn(r.labels, ANONYMOUS_LABEL),
  };
}

/** Docker's OpErr text (`create NAME: …`), keeping the error's kind. */
function withOp(op: string, name: string, e: unknown): EngineError {
  if (e instanceof EngineError) return new EngineError(e.kind, `${op} ${name}: ${e.message}`, { cause: e });
  return internal(`${op} ${name}: ${messageOf(e)}`, e);
}

/** stringid.GenerateRandomID: 64 hex digits whose 12-character prefix is not all digits. */
export function randomName(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d{12}$/.test(id.slice(0, 12))) return id;
  }
}

/** Go's time.RFC3339 in the local zone: `2024-01-02T15:04:05Z` or `…+01:00`. */
export function rfc3339(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const off = -d.getTimezoneOffset();
  if (off === 0) return base + 'Z';
  const a = Math.abs(off);
  return `${base}${off > 0 ? '+' : '-'}${p(Math.trunc(a / 60))}:${p(a % 60)}`;
}
