/**
 * Detach key sequences (`--detach-keys`, default ctrl-p,ctrl-q): typed on an
 * attached stdin, they end the session and leave the container running.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's syntax: comma-separated `a`-style letters or `ctrl-<key>` (ctrl-a … ctrl-z, ctrl-@, ctrl-[ … ctrl-_). */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const k of spec.split(',')) {
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (!m) throw invalidParameter(`Invalid detach keys (${spec}) provided`);
    const c = m[1]!.toLowerCase();
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c >= '[' && c <= '_') out.push(c.charCodeAt(0) - 64);
    else throw invalidParameter(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Scans input for the sequence. Bytes that could start the sequence are held
 * back until it is clear they do not complete it, then passed on.
 */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward, and whether the sequence was typed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) {
          this.held = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
