/**
 * A counting semaphore whose waiters are served lowest priority number
 * first (layer order: the layer the unpacker needs next gets the next free
 * transfer slot). Waiting can be cancelled through an AbortSignal.
 */
import { AbortedError } from './http.js';

interface Waiter {
  priority: number;
  grant: (release: () => void) => void;
}

export class Slots {
  private free: number;
  private readonly waiters: Waiter[] = [];

  constructor(n: number) {
    this.free = Math.max(1, n);
  }

  /** A slot at once, or undefined when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.free <= 0) return undefined;
    this.free--;
    return this.releaser();
  }

  acquire(priority: number, signal?: AbortSignal): Promise<() => void> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError());
      const w: Waiter = {
        priority,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let i = this.waiters.findIndex((x) => x.priority > priority);
      if (i < 0) i = this.waiters.length;
      this.waiters.splice(i, 0, w);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.free++;
    };
  }
}
