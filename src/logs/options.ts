/**
 * Log options (`--log-opt`, HostConfig.LogConfig.Config) with the semantics
 * of dockerd's json-file driver (daemon/logger/jsonfilelog), checked at
 * create so that bad values are a 400 that names the option, not a failed
 * start:
 *
 *   max-size  go-units FromHumanSize, decimal: "100k" = 100,000 bytes,
 *             "10m", "1g", "1.5MB", plain bytes; must be positive. Unset:
 *             the log is not limited (Docker's default).
 *   max-file  integer >= 1 (default 1); without max-size it has no effect,
 *             as in Docker.
 *   compress  a boolean, only with max-size and max-file >= 2 (Docker's
 *             rule); berth keeps rotated files uncompressed.
 *
 * Whatever the driver is called, berth writes the same file log (conmon's
 * k8s-file), so the limits apply to all drivers; `none` keeps a 1 MiB window
 * (attach reads the file). The `local`
 * driver gets Docker's defaults for it (20 MiB × 5). Unknown keys are
 * refused for the file drivers, as Docker refuses them.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import { fromHumanSize } from '../util/go-units.js';

export interface LogLimits {
  /** Bytes per file; undefined = unlimited. */
  maxSize?: number;
  /** Files kept, the one being written included. */
  maxFile: number;
}

/** Drivers whose options berth knows: the file drivers (the empty type is the daemon's default). */
const FILE_DRIVERS = new Set(['', 'json-file', 'k8s-file', 'local']);
const KNOWN_KEYS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);
const LOCAL_DEFAULTS: Required<LogLimits> = { maxSize: 20 * 1024 * 1024, maxFile: 5 };
/** The `none` driver's file: only what attached clients are still reading. */
const NONE_WINDOW = 1024 * 1024;

/** The limits a container's log config asks for. Throws InvalidParameter naming the bad option. */
export function parseLogOptions(driver: string, config: Readonly<Record<string, string>>): LogLimits {
  // No log for the user, but attach follows the file: keep only a small window of it.
  if (driver === 'none') return { maxSize: NONE_WINDOW, maxFile: 1 };
  if (FILE_DRIVERS.has(driver)) {
    for (const key of Object.keys(config)) {
      if (!KNOWN_KEYS.has(key)) throw invalidParameter(`unknown log opt '${key}' for ${driver || 'json-file'} log driver`);
    }
  }
  const defaults: LogLimits = driver === 'local' ? LOCAL_DEFAULTS : { maxFile: 1 };
  let maxSize = defaults.maxSize;
  const size = config['max-size'];
  if (size !== undefined) {
    try {
      maxSize = fromHumanSize(size);
    } catch (e) {
      throw invalidParameter(`invalid value for max-size: ${size}: ${(e as Error).message} (use a size such as 100k, 10m or 1g)`);
    }
    if (maxSize <= 0) throw invalidParameter('max-size must be a positive number');
  }
  let maxFile = defaults.maxFile;
  const files = config['max-file'];
  if (files !== undefined) {
    maxFile = atoi(files, 'max-file');
    if (maxFile < 1) throw invalidParameter('max-file cannot be less than 1');
  }
  const compress = config['compress'];
  if (compress !== undefined && parseBool(compress, 'compress') && (maxFile === 1 || maxSize === undefined)) {
    throw invalidParameter('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  return maxSize === undefined ? { maxFile } : { maxSize, maxFile };
}

/** strconv.Atoi, with the option named in the error. */
function atoi(s: string, key: string): number {
  if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw invalidParameter(`invalid value for ${key}: ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: ${/^[+-]?\d+$/.test(s) ? 'value out of range' : 'invalid syntax'}`);
  }
  return Number(s);
}

/** strconv.ParseBool. */
function parseBool(s: string, key: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw invalidParameter(`invalid boolean value for ${key}: strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}
