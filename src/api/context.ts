/**
 * One request as route handlers see it: path parameters, typed query
 * accessors with Docker's parsing rules, body readers with validation, and
 * the reply helpers (JSON, empty, JSON-lines progress streams, raw streams).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter } from '../errdefs/errdefs.js';
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
    url: URL,
    /** The API version of this request: from the path prefix, or ours. */
    readonly version: string,
    readonly hijack?: Hijack,
  ) {
    this.query = url.searchParams;
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

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw invalidParameter(`invalid integer value for query parameter ${name}: ${JSON.stringify(v)}`);
    return n;
  }

  filters(name = 'filters'): Filters {
    return parseFilters(this.query.get(name));
  }

  async bodyBuffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of this.req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Reads a JSON body and checks it against a schema. An empty body reads as
   * `dflt` when given (Docker accepts an absent body on many endpoints).
   */
  async jsonBody<T>(schema: BodySchema<T>, dflt?: T): Promise<T> {
    const buf = await this.bodyBuffer();
    if (buf.length === 0 || buf.toString('utf8').trim() === '') {
      if (dflt !== undefined) return dflt;
      throw invalidParameter('request body is empty: a JSON object is required');
    }
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw invalidParameter(`invalid JSON in request body: ${(e as Error).message}`);
    }
    return validateBody(schema, value);
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
   * inside the stream as `{"errorDetail":{"message"},"error"}`.
   */
  jsonStream(): JsonStream {
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
        if (!res.headersSent) {
          const body = JSON.stringify({ message }) + '\n';
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        if (!res.writableEnded) res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
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

export interface JsonStream {
  write(obj: unknown): void;
  fail(err: unknown): void;
  end(): void;
  readonly closed: boolean;
}
