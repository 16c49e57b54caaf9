/**
 * The one table from error kinds to HTTP status codes. Docker clients act on
 * the status (404 on create makes `docker run` pull; 409 is a name conflict;
 * 304 is "already started/stopped"), so this table is part of the protocol.
 * Requests Node's HTTP parser refuses, which never reach a route, get their
 * status here too.
 */
import { kindOf, type ErrorKind } from '../errdefs/errdefs.js';

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
  const message = err instanceof Error ? err.message : String(err);
  const kind = kindOf(err);
  // An error without a kind is a bug of ours: still a 500, with its message.
  return { status: kind ? STATUS[kind] : 500, message };
}

/** The status line and message for a request Node's parser refused (its `clientError` code). */
export function parserErrorReply(code: string | undefined, detail: string): ErrorReply & { reason: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'Request Header Fields Too Large', message: 'request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'Request Timeout', message: 'the request headers did not arrive in time' };
  return { status: 400, reason: 'Bad Request', message: `malformed HTTP request: ${detail}` };
}
