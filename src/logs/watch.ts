/**
 * Wake-ups for a follower of one file: an fs.watch on the file's directory
 * (inotify reports appends to, creation of and renames onto children of a
 * watched directory, so a file replaced by rename is still seen) plus a
 * fallback timer, because inotify can be unavailable (watch limit, some
 * filesystems) and events can be coalesced. A wake-up only means "look
 * again": the follower re-checks the file itself.
 */
import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';

export class FileWaker {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wakeUp: (() => void) | undefined;
  private readonly onAbort = () => this.wake();
  private closed = false;

  constructor(
    file: string,
    private readonly signal?: AbortSignal,
  ) {
    const dir = path.dirname(file);
    const base = path.basename(file);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        // conmon's rotation writes "<log>.tmp" then renames it onto "<log>"
        if (name === null || name === base || String(name).startsWith(base)) this.wake();
      });
      this.watcher.on('error', () => {
        // e.g. the directory was removed: fall back to polling
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined; // ENOENT, ENOSPC (inotify limit): poll only
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** True when fs.watch is active (otherwise only the timer wakes us). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Wakes a waiter now (something else changed, e.g. the container stopped). */
  poke(): void {
    this.wake();
  }

  private wake(): void {
    this.dirty = true;
    const r = this.wakeUp;
    this.wakeUp = undefined;
    r?.();
  }

  /** Resolves on the next change (or one seen since the last wait), after `ms`, or on abort. */
  wait(ms: number): Promise<void> {
    if (this.dirty || this.closed || this.signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.dirty = false;
        resolve();
      };
    });
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.wake();
  }
}
