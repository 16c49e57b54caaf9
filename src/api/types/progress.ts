/**
 * Progress messages of the JSON-lines streams (pull, push, load), as Docker's
 * jsonmessage: `{"status","progressDetail":{"current","total"},"progress","id"}`.
 * `progress` is the rendered bar that old clients print verbatim.
 */
export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

const WIDTH = 50;

/** Decimal sizes with four significant digits, as go-units HumanSize. */
function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** Docker's JSONProgress.String() at the daemon's default width. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return human(current).padStart(8);
  const filled = Math.min(WIDTH, Math.floor(Math.floor((current / total) * 100) / 2));
  return `[${'='.repeat(filled)}>${' '.repeat(WIDTH - filled)}] ${human(current).padStart(8)}/${human(total)}`;
}

export function progressMessage(id: string, status: string, current: number, total: number): ProgressMessage {
  return { status, id, progressDetail: { current, total }, progress: progressBar(current, total) };
}
