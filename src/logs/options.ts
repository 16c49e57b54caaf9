/**
 * Log drivers and their options (`--log-driver`, `--log-opt`,
 * HostConfig.LogConfig), with the names and semantics of dockerd's drivers,
 * checked at create so that a bad value is a 400 that names it, not a failed
 * start. Whatever the driver, berth stores the log the same way underneath
 * (conmon's k8s-file, rotated by size); what clients see is Docker's:
 *
 *   json-file  the default (an empty type means it, and records made
 *              before drivers were named show as it). Options: max-size
 *              (go-units FromHumanSize, decimal: "100k" = 100,000 bytes),
 *              max-file (>= 1, default 1; no effect without max-size, as in
 *              Docker), compress (only with max-size and max-file >= 2),
 *              labels, labels-regex, env, env-regex, tag (attributes shown by
 *              `logs --details`).
 *   local      max-size, max-file, compress; Docker's defaults 20 MiB x 5.
 *   none       no options; `logs` answers that the driver cannot be read
 *              (attach still works: a 1 MiB window is kept for it).
 *
 * `mode` (blocking/non-blocking) and `max-buffer-size` are the daemon-wide
 * options every Docker driver takes; berth's monitor never blocks the
 * container on its log file, which is what non-blocking promises.
 * Rotated files are kept uncompressed: `compress` is checked, and the logs
 * read back are the same either way.
 * Any other driver (syslog, journald, gelf, ...) is refused at create.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import { fromHumanSize } from '../util/go-units.js';
import { checkAttributeOptions } from './attrs.js';

export interface LogLimits {
  /** Bytes per file; undefined = unlimited. */
  maxSize?: number;
  /** Files kept, the one being written included. */
  maxFile: number;
}

/** The drivers berth has, as Docker names them. */
export const LOG_DRIVERS: readonly string[] = ['json-file', 'local', 'none'];
export const DEFAULT_LOG_DRIVER = 'json-file';
/** Docker's other built-in drivers: refused with a message that says berth lacks them (not that they do not exist). */
const DOCKER_ONLY = new Set(['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries']);
const COMMON_KEYS = ['mode', 'max-buffer-size'];
const KEYS: Record<string, ReadonlySet<string>> = {
  'json-file': new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', ...COMMON_KEYS]),
  local: new Set(['max-size', 'max-file', 'compress', ...COMMON_KEYS]),
};
const LOCAL_DEFAULTS: Required<LogLimits> = { maxSize: 20 * 1024 * 1024, maxFile: 5 };
/** The `none` driver's file: only what attached clients are still reading. */
const NONE_WINDOW = 1024 * 1024;

/**
 * The driver a stored or requested type stands for: '' is the default, and
 * `k8s-file` is what records made before drivers were named carry.
 */
export function logDriverName(type: string | undefined): string {
  return !type || type === 'k8s-file' ? DEFAULT_LOG_DRIVER : type;
}

/** Refuses a driver berth does not have, with Docker's message for names Docker does not know either. */
export function checkLogDriver(type: string | undefined): string {
  const name = logDriverName(type);
  if (LOG_DRIVERS.includes(name)) return name;
  if (DOCKER_ONLY.has(name)) throw invalidParameter(`logging driver '${name}' is not supported by berth: use one of ${LOG_DRIVERS.join(', ')}`);
  throw invalidParameter(`logger: no log driver named '${name}' is registered`);
}

/** The limits a container's log config asks for. Throws InvalidParameter naming the bad option. */
export function parseLogOptions(type: string, config: Readonly<Record<string, string>>): LogLimits {
  const driver = checkLogDriver(type);
  if (driver === 'none') {
    const key = Object.keys(config)[0];
    if (key !== undefined) throw invalidParameter(`unknown log opt '${key}': the none log driver takes no options`);
    // No log for the user, but attach follows the file: keep only a small window of it.
    return { maxSize: NONE_WINDOW, maxFile: 1 };
  }
  for (const key of Object.keys(config)) {
    if (!KEYS[driver]!.has(key)) throw invalidParameter(`unknown log opt '${key}' for ${driver} log driver`);
  }
  checkMode(config);
  checkAttributeOptions(config);
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

/** The options every Docker driver takes (logger.ValidateLogOpts). */
function checkMode(config: Readonly<Record<string, string>>): void {
  const mode = config['mode'] ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw invalidParameter(`logger: logging mode not supported: ${mode}`);
  const buf = config['max-buffer-size'];
  if (buf === undefined) return;
  if (mode !== 'non-blocking') throw invalidParameter("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  try {
    fromHumanSize(buf);
  } catch (e) {
    throw invalidParameter(`logger: could not parse value of option max-buffer-size: ${(e as Error).message}`);
  }
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
