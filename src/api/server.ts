/**
 * The Engine API over a unix socket. Strips the optional `/v1.NN` prefix and
 * checks it against the versions we support, dispatches to the route table,
 * and turns thrown EngineErrors into `{"message": …}` replies with Docker's
 * status codes. Requests that ask to upgrade (attach, exec start) arrive on
 * the `upgrade` event and reach hijack routes with the raw socket.
 *
 * Lifecycle: listen() once; close() stops accepting, ends idle keep-alive
 * connections and resolves when the socket file is removed. Hijacked
 * connections belong to their handlers and are not closed here.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { promises as fs, existsSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { errnoCode, messageOf, notFound, invalidParameter, EngineError } from '../errdefs/errdefs.js';
import type { Logger } from '../util/log.js';
import { RequestContext } from './context.js';
import { errorReply, parserErrorReply } from './errors.js';
import { Router, type Route } from './router.js';
import { API_VERSION, MIN_API_VERSION, compareVersions } from './version.js';

export interface ApiServerOptions {
  socketPath: string;
  routes: readonly Route[];
  log: Logger;
  /** Sent as the `Server` header, as dockerd does (`Docker/27.0.0 (linux)`). */
  serverHeader: string;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

export class ApiServer {
  private readonly router = new Router();
  private readonly server: http.Server;

  constructor(private readonly opts: ApiServerOptions) {
    this.router.add(opts.routes);
    this.server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
      void this.dispatch(req, res);
    });
    // Every connection keeps an error listener for its whole life. Node's own
    // goes away when a request upgrades (attach, exec start), and a write to a
    // client that has gone then fails with EPIPE: without a listener, that
    // 'error' event would end the daemon.
    this.server.on('connection', (socket: net.Socket) => socket.on('error', (err) => this.connectionError(err)));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as net.Socket);
      res.on('finish', () => {
        res.detachSocket(socket as net.Socket);
        socket.end();
      });
      void this.dispatch(req, res, { socket, head });
    });
    // Requests Node cannot parse: a JSON message like every other error, then the connection closes.
    this.server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const { status, reason, message } = parserErrorReply(err.code, err.message);
      const body = JSON.stringify({ message }) + '\n';
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  /** A client that goes away makes reads and writes fail: expected, not worth more than a debug line. */
  private connectionError(err: Error): void {
    const code = errnoCode(err);
    if (code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') {
      this.opts.log.debug('client connection closed', { err: code });
    } else {
      this.opts.log.warn('client connection failed', { err: err.stack ?? err.message });
    }
  }

  async listen(): Promise<void> {
    const path = this.opts.socketPath;
    await fs.mkdir(dirname(path), { recursive: true });
    if (existsSync(path)) {
      if (await socketInUse(path)) {
        throw new EngineError('Conflict', `another daemon is already listening on ${path}; stop it or choose another --socket`);
      }
      await fs.rm(path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(path, 0o660);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, hijack?: { socket: Duplex; head: Buffer }): Promise<void> {
    const started = process.hrtime.bigint();
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', this.opts.serverHeader);
    let version = API_VERSION;
    try {
      const target = parseTarget(req.url ?? '/');
      let path = target.path;
      const m = VERSION_PREFIX.exec(path);
      if (m) {
        version = m[1]!;
        path = m[2]!;
        if (compareVersions(version, API_VERSION) > 0) {
          throw invalidParameter(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (compareVersions(version, MIN_API_VERSION) < 0) {
          throw invalidParameter(
            `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
          );
        }
      }
      const method = req.method ?? 'GET';
      const found = this.router.match(method, path);
      // A known path with another method is "page not found" too, as dockerd answers.
      if (!found) throw notFound('page not found');
      const ctx = new RequestContext(req, res, found.params, target.query, version, found.route.body, found.route.hijack ? hijack : undefined);
      await found.route.handler(ctx);
    } catch (err) {
      // Node detaches the socket from a request whose reply is complete: no socket, nobody to answer either.
      const socket = (req.socket ?? res.socket) as net.Socket | null;
      if (!socket || socket.destroyed) {
        // The client went away (mid-body, mid-stream): nobody to answer, nothing wrong here.
        this.opts.log.debug('client went away', { method: req.method, url: req.url, err: messageOf(err) });
      } else {
        this.replyError(req, res, err);
      }
    } finally {
      if (this.opts.log.debugEnabled) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        this.opts.log.debug('api', { method: req.method, url: req.url, status: res.statusCode, ms: ms.toFixed(2) });
      }
    }
  }

  private replyError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const { status, message } = errorReply(err);
    if (status >= 500) this.opts.log.error('request failed', { method: req.method, url: req.url, err: message });
    if (res.headersSent) {
      // Too late for a status: the stream carries what it can, then ends.
      if (!res.writableEnded) res.end();
      return;
    }
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    const body = JSON.stringify({ message }) + '\n';
    if (!req.complete) {
      // A body not read to its end (over a limit, a bad archive) is not read on: the connection
      // closes after the reply. What still arrives is discarded, and the close lingers (as Go's
      // server does): closing at once with unread data resets the connection, and a client still
      // busy sending would lose the reply.
      res.setHeader('Connection', 'close');
      req.resume();
      const socket = req.socket as net.Socket | null;
      if (socket) lingeringClose(socket);
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** How long a connection closed after an unread body keeps discarding what the client still sends. */
const LINGER_MS = 2000;

/**
 * Makes the close Node does after this reply (destroySoon) a lingering one:
 * the write side ends (FIN) once the reply is out, the read side keeps
 * draining until the client closes or LINGER_MS pass.
 */
function lingeringClose(socket: net.Socket): void {
  socket.destroySoon = function lingering(this: net.Socket): void {
    this.end();
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
  };
}

/**
 * The request target: origin-form only (`/path?query`), as a unix-socket API
 * gets. The path stays percent-encoded (routes decode their parameters); the
 * query must use valid escapes, as Go's url.ParseQuery demands.
 */
function parseTarget(raw: string): { path: string; query: URLSearchParams } {
  if (!raw.startsWith('/')) throw invalidParameter(`invalid request target ${JSON.stringify(raw.slice(0, 200))}: expected a path starting with /`);
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  const bad = /%(?![0-9a-fA-F]{2})/.exec(query);
  if (bad) throw invalidParameter(`invalid URL escape ${JSON.stringify(query.slice(bad.index, bad.index + 3))} in the query`);
  return { path, query: new URLSearchParams(query) };
}

function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
