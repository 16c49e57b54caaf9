/**
 * Watches the directory where monitors write exit files (`<dir>/<id>`, the
 * exit status as text) and reports each one once. Exit files stay until the
 * owner consumes them, so an exit that happened while berthd was down is
 * still there at start (see pending()).
 */
import { watch, type FSWatcher, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { ExitSource } from './monitor.js';
import { join } from 'node:path';

export type ExitHandler = (id: string, exitCode: number) => void;

export class ExitWatcher implements ExitSource {
  private watcher: FSWatcher | undefined;
  private readonly seen = new Set<string>();
  private onExit: ExitHandler = () => {};

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  start(onExit: ExitHandler): void {
    this.onExit = onExit;
    this.watcher = watch(this.dir, (_ev, name) => {
      if (name) this.check(name.toString());
    });
    // Files that appeared before the watch started.
    for (const id of this.pending()) this.check(id);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Ids with an exit file present. */
  pending(): string[] {
    try {
      return readdirSync(this.dir).filter(isExitFileName);
    } catch {
      return [];
    }
  }

  /** The exit code recorded for id, or undefined when it has not exited. */
  read(id: string): number | undefined {
    try {
      const text = readFileSync(join(this.dir, id), 'utf8').trim();
      if (text === '') return undefined;
      const n = Number.parseInt(text, 10);
      return Number.isNaN(n) ? undefined : n;
    } catch {
      return undefined;
    }
  }

  /** Reports id's exit if its file is complete and not reported yet. */
  check(id: string): void {
    if (this.seen.has(id) || !isExitFileName(id)) return;
    const code = this.read(id);
    if (code === undefined) return;
    this.seen.add(id);
    this.onExit(id, code);
  }

  /** Removes id's exit file (after its exit has been recorded) and forgets it. */
  consume(id: string): void {
    rmSync(join(this.dir, id), { force: true });
    this.seen.delete(id);
  }
}

/**
 * conmon writes exit files with glib's g_file_set_contents: into a temporary
 * `<id>.XXXXXX` first, then renamed to `<id>`. The temporary file is not an
 * exit: reporting it (and consuming it, which deletes it) made conmon's rename
 * fail and the container's real exit was lost.
 */
function isExitFileName(name: string): boolean {
  return !name.includes('.');
}
