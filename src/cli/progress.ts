/**
 * Showing a JSON-lines progress stream (pull, push, load) as docker does: on
 * a terminal, one line per layer ID, rewritten in place; otherwise only the
 * status changes, one line each, without progress bars.
 */
import type { JsonMessage } from '../client/client.js';

export class ProgressDisplay {
  private readonly lines = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  show(m: JsonMessage): void {
    if (m.stream !== undefined) {
      this.write(m.stream);
      return;
    }
    if (m.aux !== undefined) return; // push's result: for callers, not for the display
    // docker's jsonmessage: a progress bar exists when current or total is positive.
    const d = m.progressDetail;
    const hasProgress = d !== undefined ? (d.current ?? 0) > 0 || (d.total ?? 0) > 0 : m.progress !== undefined;
    if (!this.tty) {
      if (hasProgress) return;
      this.write(`${m.id ? `${m.id}: ` : ''}${m.status ?? ''}\n`);
      return;
    }
    const text = `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}${hasProgress && m.progress ? ` ${m.progress}` : ''}`;
    if (!m.id) {
      this.write(`${text}\n`);
      this.count++;
      return;
    }
    const at = this.lines.get(m.id);
    if (at === undefined) {
      this.lines.set(m.id, this.count);
      this.count++;
      this.write(`${text}\n`);
      return;
    }
    const up = this.count - at;
    // Move up to the layer's line, rewrite it, come back down.
    this.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }
}
