/**
 * Container records in memory, written through to
 * `<root>/containers/<id>/container.json`. Owns the name index and ID
 * resolution (full ID, unique prefix, name), with Docker's messages.
 *
 * Lifecycle: open() loads every record; add() reserves the name and writes
 * the record; save() rewrites one record; remove() forgets it and deletes its
 * directory. Errors: NotFound "No such container: x"; Conflict for a name in
 * use or an ambiguous prefix.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidParameter, notFound } from '../errdefs/errdefs.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import type { ContainerRecord } from './types.js';

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<ContainerStore> {
    const s = new ContainerStore(dir);
    await fs.mkdir(dir, { recursive: true, mode: 0o710 });
    for (const id of await fs.readdir(dir)) {
      const rec = await readJsonIfExists<ContainerRecord>(join(dir, id, 'container.json'));
      if (!rec) {
        // A directory without a record is what a crash during create leaves.
        await fs.rm(join(dir, id), { recursive: true, force: true });
        continue;
      }
      rec.mountPoints ??= [];
      s.byId.set(rec.id, rec);
      s.byName.set(rec.name, rec.id);
    }
    return s;
  }

  containerDir(id: string): string {
    return join(this.dir, id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  nameTaken(name: string): string | undefined {
    return this.byName.get(name);
  }

  /** Resolves a name, full ID or unique ID prefix, as Docker does. */
  resolve(ref: string): ContainerRecord {
    const r = this.tryResolve(ref);
    if (!r) throw notFound(`No such container: ${ref}`);
    return r;
  }

  tryResolve(ref: string): ContainerRecord | undefined {
    if (ref === '') return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.replace(/^\//, ''));
    if (byName) return this.byId.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidParameter(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.byId.get(matches[0]) : undefined;
  }

  /** Adds a new record; the name must be free (checked atomically with the insert). */
  async add(rec: ContainerRecord): Promise<void> {
    const holder = this.byName.get(rec.name);
    if (holder) {
      throw conflict(
        `Conflict. The container name "/${rec.name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.byName.set(rec.name, rec.id);
    this.byId.set(rec.id, rec);
    try {
      await fs.mkdir(this.containerDir(rec.id), { mode: 0o710 });
      await this.save(rec);
    } catch (e) {
      this.byName.delete(rec.name);
      this.byId.delete(rec.id);
      await fs.rm(this.containerDir(rec.id), { recursive: true, force: true });
      throw e;
    }
  }

  async save(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(join(this.containerDir(rec.id), 'container.json'), rec);
  }

  async rename(rec: ContainerRecord, newName: string): Promise<void> {
    const holder = this.byName.get(newName);
    if (holder && holder !== rec.id) {
      throw conflict(
        `Conflict. The container name "/${newName}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const old = rec.name;
    this.byName.delete(old);
    this.byName.set(newName, rec.id);
    rec.name = newName;
    try {
      await this.save(rec);
    } catch (e) {
      this.byName.delete(newName);
      this.byName.set(old, rec.id);
      rec.name = old;
      throw e;
    }
  }

  async remove(rec: ContainerRecord): Promise<void> {
    this.byId.delete(rec.id);
    if (this.byName.get(rec.name) === rec.id) this.byName.delete(rec.name);
    await fs.rm(this.containerDir(rec.id), { recursive: true, force: true });
  }
}
