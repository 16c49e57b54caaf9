/**
 * One request as route handlers see it: path parameters, typed query
 * accessors with Docker's parsing rules, body readers with validation, and
 * the reply helpers (JSON, empty, JSON-lines progress streams, raw streams).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, tooLarge, type EngineError } from '../errdefs/errdefs.js';
import { errorReply } from './errors.js';
import { parseFilters, type Filters } from './filters.js';
import { validateBody, type BodySchema } from './validate.js';

/** What a hijacked (upgraded) request hands to its handler. */
export interface Hijack {
  socket: Duplex;
  /** Bytes the client sent after the request head (body first, then stream data). */
  head: Buffer;
}

export class RequestContext {
  readonly query: URLSearchParams;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Record<string, string>,
    query: URLSearchParams,
    /** The API version of this request: from the path prefix, or ours. */
    readonly version: string,
    /** What the route declared its body to be (Route.body). */
    private readonly bodyKind: 'json' | 'stream' | undefined,
    readonly hijack?: Hijack,
  ) {
    this.query = query;
  }

  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new Error(`route has no parameter ${name}`);
    return v;
  }

  str(name: string): string | undefined {
    const v = this.query.get(name);
    return v === null ? undefined : v;
  }

  /** All values of a repeated query parameter (`names=a&names=b`). */
  strs(name: string): string[] {
    return this.query.getAll(name);
  }

  /** Docker's boolean query values: 1/true/True are true, 0/false/"" false. */
  bool(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null) return dflt;
    const s = v.toLowerCase();
    if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
    if (s === '1' || s === 'true' || s === 'yes') return true;
    throw invalidParameter(`invalid boolean value for query parameter ${name}: ${JSON.stringify(v)}`);
  }

  /** A decimal integer (as Go's strconv.Atoi reads it), within the safe integer range. */
  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = /^[+-]?\d{1,16}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw invalidParameter(`invalid integer value for query parameter ${name}: ${JSON.stringify(v)}`);
    return n;
  }

  filters(name = 'filters'): Filters {
    return parseFilters(this.query.get(name));
  }

  /**
   * The whole request body, at most MAX_JSON_BODY bytes: a larger one is
   * refused (413) without reading it to its end. Only for small bodies
   * (JSON); streams (load, import, archive upload) read ctx.req themselves.
   */
  async bodyBuffer(): Promise<Buffer> {
    if (this.bodyKind !== 'json') throw new Error(`the route of ${this.req.method} ${this.req.url} reads a JSON body but does not declare body: 'json'`);
    const declared = Number(this.req.headers['content-length'] ?? 0);
    if (declared > MAX_JSON_BODY) throw bodyTooLarge();
    // Listeners, not for-await: leaving a for-await loop early would destroy the request and its connection, which still carries the reply.
    const req = this.req;
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (err: Error | undefined) => {
        req.off('data', onData).off('end', onEnd).off('error', done).off('close', onClose);
        if (err) {
          req.pause();
          reject(err);
        } else resolve(Buffer.concat(chunks));
      };
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > MAX_JSON_BODY) done(bodyTooLarge());
        else chunks.push(c);
      };
      const onEnd = () => done(undefined);
      const onClose = () => done(new Error('the client closed the connection before the end of the request body'));
      req.on('data', onData).on('end', onEnd).on('error', done).on('close', onClose);
    });
  }

  /**
   * The body of a streaming route (Route.body 'stream'), unlimited. Consumers
   * may destroy it when they give up (a bad archive): that must not destroy
   * the request, whose connection still carries the error reply. A client
   * that leaves mid-body makes it fail.
   */
  bodyStream(): Readable {
    if (this.bodyKind !== 'stream') throw new Error(`the route of ${this.req.method} ${this.req.url} streams its body but does not declare body: 'stream'`);
    const req = this.req;
    const body = new PassThrough();
    req.pipe(body);
    req.once('error', (e) => body.destroy(e));
    req.once('close', () => {
      if (!req.complete) body.destroy(new Error('the client closed the connection before the end of the request body'));
    });
    return body;
  }

  /**
   * Reads a JSON body and checks it against a schema. An empty body reads as
   * `dflt` when given (Docker accepts an absent body on many endpoints).
   */
  async jsonBody<T>(schema: BodySchema<T>, dflt?: T): Promise<T> {
    const text = utf8Text(await this.bodyBuffer());
    if (text.trim() === '') {
      if (dflt !== undefined) return dflt;
      throw invalidParameter('request body is empty: a JSON object is required');
    }
    return validateBody(schema, parseJson(text));
  }

  /**
   * Writes a chunk of a streamed reply, waiting while the client's buffer is
   * full. Resolves false once the client has gone (never waits for a drain
   * that cannot come).
   */
  async write(chunk: Buffer | string): Promise<boolean> {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return false;
    if (res.write(chunk)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
    return !res.destroyed;
  }

  json(status: number, body: unknown): void {
    const data = JSON.stringify(body) + '\n';
    this.res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(data),
    });
    this.res.end(data);
  }

  noContent(status = 204): void {
    this.res.writeHead(status);
    this.res.end();
  }

  text(status: number, body: string, type = 'text/plain; charset=utf-8'): void {
    this.res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    this.res.end(body);
  }

  /**
   * A JSON-lines stream (pull/load/import progress). The 200 goes out with
   * the first message: a failure before any message is a plain HTTP error
   * (as dockerd answers `pull` of an unknown image), a later one is reported
   * inside the stream as `{"errorDetail":{"message"},"error"}`. With
   * `errorsInStream`, every failure is in the stream after a 200, as dockerd's
   * `load` answers (docker-py raises ImageLoadError only from the stream).
   */
  jsonStream(opts: { errorsInStream?: boolean } = {}): JsonStream {
    const res = this.res;
    const head = () => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
    };
    return {
      write(obj: unknown): void {
        head();
        if (!res.writableEnded) res.write(JSON.stringify(obj) + '\r\n');
      },
      fail(err: unknown): void {
        const { status, message } = errorReply(err);
        if (opts.errorsInStream) head();
        if (!res.headersSent) {
          const body = JSON.stringify({ message }) + '\n';
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        // A failed build step carries its exit code, as dockerd's JSONError does.
        const code = (err as { exitCode?: unknown } | null)?.exitCode;
        const detail = typeof code === 'number' ? { code, message } : { message };
        if (!res.writableEnded) res.write(JSON.stringify({ errorDetail: detail, error: message }) + '\r\n');
      },
      end(): void {
        head();
        if (!res.writableEnded) res.end();
      },
      get closed(): boolean {
        return res.writableEnded || res.destroyed;
      },
    };
  }

  /** Streams a body (e.g. a tar archive) with the given content type. */
  async sendStream(status: number, type: string, body: Readable): Promise<void> {
    this.res.writeHead(status, { 'Content-Type': type });
    await pipeline(body, this.res);
  }
}

/**
 * The largest JSON request body read (4 MiB). The biggest legitimate ones
 * (container create with its Env and Cmd) cannot usefully exceed the kernel's
 * 2 MiB limit on a process's arguments and environment.
 */
export const MAX_JSON_BODY = 4 * 1024 * 1024;

function bodyTooLarge(): EngineError {
  return tooLarge(`request body is too large: JSON bodies are limited to ${MAX_JSON_BODY} bytes`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; bytes that are not UTF-8 are refused rather than replaced. */
export function utf8Text(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw invalidParameter('invalid request body: not valid UTF-8');
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalidParameter(`invalid JSON in request body: ${(e as Error).message}`);
  }
}

export interface JsonStream {
  write(obj: unknown): void;
  fail(err: unknown): void;
  end(): void;
  readonly closed: boolean;
}
