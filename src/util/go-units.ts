/**
 * docker/go-units, shared by the daemon and the CLI: durations (container
 * status text, CREATED columns) and the decimal size syntax of log options.
 */

/** HumanDuration with go-units' thresholds; ms is a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Hours round to nearest; days and above count whole hours.
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}


const DECIMAL: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** strconv.ParseFloat's syntax and errors for decimal literals. */
function parseFloat64(num: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  const size = Number(num);
  if (!Number.isFinite(size)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: value out of range`);
  return size;
}

/**
 * go-units' parseSize: a number, an optional space, and a suffix (b, k, kb,
 * kib… case-insensitive) scaled by `multipliers` (decimal for FromHumanSize,
 * binary for RAMInBytes). Throws go-units' errors: `invalid size: '…'`,
 * `invalid suffix: '…'`, or strconv's (from parseNum).
 */
export function parseGoUnitsSize(sizeStr: string, multipliers: Readonly<Record<string, number>>, parseNum: (num: string) => number = parseFloat64): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(sizeStr[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${sizeStr}'`);
  const num = sizeStr[sep] === ' ' ? sizeStr.slice(0, sep) : sizeStr.slice(0, sep + 1);
  let sfx = sizeStr.slice(sep + 1);
  let size = parseNum(num);
  if (size < 0) throw new Error(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = multipliers[sfx[0]!];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size);
}

/**
 * FromHumanSize of go-units v0.5 (what dockerd's json-file and local log
 * drivers parse max-size with): "10m" = 10,000,000, "100k", "1g", "1.5MB",
 * "512kib" (still decimal), "42", "42b", "10 m"; case-insensitive.
 */
export function fromHumanSize(sizeStr: string): number {
  return parseGoUnitsSize(sizeStr, DECIMAL);
}
