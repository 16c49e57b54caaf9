/**
 * The one error type of the engine. Every subsystem throws EngineError with a
 * kind; the API layer maps kinds to HTTP status codes in one table
 * (api/errors.ts). Messages are for people: what failed, on which object, and
 * what to do. Where Docker clients parse a message ("No such container: x"),
 * ours matches Docker's text.
 */
export type ErrorKind =
  | 'NotFound'
  | 'InvalidParameter'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  | 'NotModified'
  | 'TooLarge'
  | 'Internal';

export class EngineError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `EngineError(${kind})`;
  }
}

export const notFound = (msg: string, cause?: unknown): EngineError => new EngineError('NotFound', msg, { cause });
export const invalidParameter = (msg: string, cause?: unknown): EngineError =>
  new EngineError('InvalidParameter', msg, { cause });
export const conflict = (msg: string, cause?: unknown): EngineError => new EngineError('Conflict', msg, { cause });
export const unauthorized = (msg: string, cause?: unknown): EngineError =>
  new EngineError('Unauthorized', msg, { cause });
export const forbidden = (msg: string, cause?: unknown): EngineError => new EngineError('Forbidden', msg, { cause });
export const unavailable = (msg: string, cause?: unknown): EngineError =>
  new EngineError('Unavailable', msg, { cause });
export const notImplemented = (msg: string, cause?: unknown): EngineError =>
  new EngineError('NotImplemented', msg, { cause });
export const notModified = (msg: string): EngineError => new EngineError('NotModified', msg);
/** A request (body) over a limit: 413, and the connection is closed rather than read to its end. */
export const tooLarge = (msg: string): EngineError => new EngineError('TooLarge', msg);
export const internal = (msg: string, cause?: unknown): EngineError => new EngineError('Internal', msg, { cause });

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof EngineError && err.kind === kind;
}

/**
 * The kind an error carries: an EngineError's, or that of a lower-level error
 * that declares one (sys/'s SysError and CommandError are Internal) without
 * being an EngineError, so that callers still add their context to it.
 */
export function kindOf(err: unknown): ErrorKind | undefined {
  if (err instanceof EngineError) return err.kind;
  const k = (err as { kind?: unknown } | null)?.kind;
  return typeof k === 'string' && KINDS.has(k as ErrorKind) ? (k as ErrorKind) : undefined;
}

const KINDS = new Set<ErrorKind>(['NotFound', 'InvalidParameter', 'Conflict', 'Unauthorized', 'Forbidden', 'Unavailable', 'NotImplemented', 'NotModified', 'TooLarge', 'Internal']);

/** The errno code of a Node system error ("ENOENT"), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
