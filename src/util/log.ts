/**
 * The daemon's log: one line per event on stderr, `time level msg key=value`.
 * Debug lines (and timing spans) appear only with --debug.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

/** Ends a timing span, logging its duration at debug level. */
export type SpanEnd = (fields?: Record<string, unknown>) => void;

export interface Logger {
  /** Starts a timing span (recorded only with --debug): where the time of an operation goes. */
  span(name: string): SpanEnd;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  readonly debugEnabled: boolean;
}

function fmt(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  let s = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const str = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
    s += ` ${k}=${/[\s"=]/.test(str) ? JSON.stringify(str) : str}`;
  }
  return s;
}

export function createLogger(opts: { debug?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const out = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    write(`${new Date().toISOString()} ${level} ${msg}${fmt(fields)}\n`);
  };
  const debug = opts.debug ? out('debug') : () => {};
  return {
    span: opts.debug
      ? (name) => {
          const t0 = process.hrtime.bigint();
          return (fields) => debug('span', { name, ms: (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2), ...fields });
        }
      : () => () => {},
    debug,
    info: out('info'),
    warn: out('warn'),
    error: out('error'),
    debugEnabled: !!opts.debug,
  };
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = {
  span: () => () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  debugEnabled: false,
};
