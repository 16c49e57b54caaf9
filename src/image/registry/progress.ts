/**
 * Progress of pulls and pushes, in docker's vocabulary but free of wire
 * types: the daemon turns each event into a JSON-lines message
 * (`{"status","id","progressDetail","progress"}`).
 *
 *   { status: 'Pulling from library/busybox', id: 'latest' }     a header line
 *   { status: 'Pulling fs layer', id: 'a3ed95caeb02', layer: true } a layer's state
 *   { status: 'Downloading', id, current, total }                  a layer's bytes
 *   { status: 'Digest: sha256:…' }                                a plain line
 *   { aux: { Tag, Digest, Size } }                                 push's result
 */
export interface ProgressEvent {
  status?: string;
  id?: string;
  /** A per-layer state line (docker sends an empty progressDetail with these). */
  layer?: boolean;
  current?: number;
  total?: number;
  aux?: unknown;
}

export type ProgressSink = (e: ProgressEvent) => void;

/** Bytes progress of one layer, at most every 100 ms (and always the last update). */
export class ByteProgress {
  private last = 0;
  private lastCurrent = -1;

  constructor(
    private readonly sink: ProgressSink,
    private readonly id: string,
    private readonly status: string,
    private readonly total: number,
    private readonly everyMs = 100,
  ) {}

  update(current: number): void {
    const now = Date.now();
    if (current === this.lastCurrent) return;
    if (current < this.total && now - this.last < this.everyMs) return;
    this.last = now;
    this.lastCurrent = current;
    this.sink({ status: this.status, id: this.id, current, total: this.total });
  }
}

/** docker's short ID of a digest: 12 hex digits. */
export function shortDigest(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}
