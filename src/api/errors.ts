/**
 * The one table from error kinds to HTTP status codes. Docker clients act on
 * the status (404 on create makes `docker run` pull; 409 is a name conflict;
 * 304 is "already started/stopped"), so this table is part of the protocol.
 */
import { EngineError, type ErrorKind } from '../errdefs/errdefs.js';

const STATUS: Record<ErrorKind, number> = {
  InvalidParameter: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  NotModified: 304,
  TooLarge: 413,
  NotImplemented: 501,
  Unavailable: 503,
  Internal: 500,
};

export interface ErrorReply {
  status: number;
  message: string;
}

export function errorReply(err: unknown): ErrorReply {
  if (err instanceof EngineError) return { status: STATUS[err.kind], message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message };
}
