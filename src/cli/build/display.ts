/**
 * The build's JSON-message stream shown as docker's
 * jsonmessage.DisplayJSONMessagesStream shows it: `stream` text verbatim,
 * status lines (`id: status`), progress bars only on a terminal (each layer
 * ID on its own line, rewritten in place; the history of lines is dropped
 * whenever a line without progress is printed), `aux` to the caller,
 * `errorDetail` as the build's failure.
 */
import type { Readable } from 'node:stream';
import type { JsonMessage } from '../../client/client.js';

/** A failure the daemon reported inside the stream (a failing step): its message and code (the step's exit code, docker's exit status). */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export class MessageDisplay {
  private ids = new Map<string, number>();

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
    private readonly onAux: (aux: unknown) => void = () => {},
  ) {}

  show(m: JsonMessage): void {
    if (m.errorDetail || m.error) throw new StreamError(m.errorDetail?.message ?? m.error ?? 'unknown error', m.errorDetail?.code ?? 0);
    if (m.aux !== undefined) {
      this.onAux(m.aux);
      return;
    }
    const hasProgress = m.progressDetail !== undefined || m.progress !== undefined;
    let diff = 0;
    if (m.id && hasProgress) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        if (this.tty) this.write('\n');
      }
      diff = this.ids.size - line;
      if (this.tty && diff > 0) this.write(`\x1b[${diff}A`);
    } else this.ids = new Map();
    this.line(m, hasProgress);
    if (m.id && this.tty && diff > 0) this.write(`\x1b[${diff}B`);
  }

  private line(m: JsonMessage, hasProgress: boolean): void {
    let endl = '';
    if (this.tty && m.stream === undefined && hasProgress) {
      endl = '\r';
      this.write(`\x1b[2K${endl}`);
    } else if (hasProgress && progressText(m) !== '') return; // no progress bars off a terminal
    let s = m.id ? `${m.id}: ` : '';
    if (hasProgress && this.tty) s += `${m.status ?? ''} ${progressText(m)}${endl}`;
    else if (m.stream) s += `${m.stream}${endl}`;
    else s += `${m.status ?? ''}${endl}\n`;
    this.write(s);
  }

  /** Reads the daemon's stream to its end; throws StreamError at the first error message. */
  async consume(res: Readable): Promise<void> {
    let buf = '';
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.show(JSON.parse(line) as JsonMessage);
      }
    }
    if (buf.trim()) this.show(JSON.parse(buf) as JsonMessage);
  }
}

/** What docker's JSONProgress.String() yields: empty when there is nothing to show. */
function progressText(m: JsonMessage): string {
  const d = m.progressDetail;
  if (d && (d.current ?? 0) <= 0 && (d.total ?? 0) <= 0) return '';
  return m.progress ?? '';
}
