/** Exec endpoints: create, start (hijacked), resize, inspect. */
import { invalidParameter, tooLarge } from '../../errdefs/errdefs.js';
import { MAX_JSON_BODY, parseJson, utf8Text, type RequestContext } from '../context.js';
import { hijack, type HijackedStream } from '../hijack.js';
import type { Route } from '../router.js';
import type { IdResponse } from '../types/common.js';
import type { ExecCreateRequest, ExecInspect, ExecStartRequest } from '../types/exec.js';
import { bodySchema, UINT16, validateBody } from '../validate.js';
import { checkTerminalSize } from './containers.js';

export interface ExecBackend {
  create(container: string, body: ExecCreateRequest): Promise<IdResponse>;
  /** Detached: starts and resolves. Attached: resolves with the session to run over the stream. */
  start(id: string, body: ExecStartRequest): Promise<{ tty: boolean; run(stream: HijackedStream): void } | undefined>;
  resize(id: string, h: number, w: number): Promise<void>;
  inspect(id: string): Promise<ExecInspect>;
}

const CREATE = bodySchema<ExecCreateRequest>({
  type: 'object',
  properties: {
    AttachStdin: { type: 'boolean' },
    AttachStdout: { type: 'boolean' },
    AttachStderr: { type: 'boolean' },
    Tty: { type: 'boolean' },
    DetachKeys: { type: 'string' },
    Env: { type: ['array', 'null'], items: { type: 'string' } },
    Cmd: { type: ['array', 'null'], items: { type: 'string' } },
    Privileged: { type: 'boolean' },
    User: { type: 'string' },
    WorkingDir: { type: 'string' },
    ConsoleSize: { type: ['array', 'null'], maxItems: 2, items: UINT16 },
  },
});

const START = bodySchema<ExecStartRequest>({
  type: 'object',
  properties: { Detach: { type: 'boolean' }, Tty: { type: 'boolean' }, ConsoleSize: { type: ['array', 'null'], maxItems: 2, items: UINT16 } },
});

/**
 * The start body of a hijacked request arrives in the upgrade head, followed
 * by whatever stdin the client already sent: split them by Content-Length.
 * The socket is left paused, so no stdin is lost before the session reads it.
 */
async function hijackedBody(ctx: RequestContext): Promise<{ body: unknown; rest: Buffer }> {
  const h = ctx.hijack!;
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(len) || len < 0) throw invalidParameter('invalid Content-Length');
  if (len > MAX_JSON_BODY) throw tooLarge(`request body is too large: JSON bodies are limited to ${MAX_JSON_BODY} bytes`);
  let buf = h.head;
  if (buf.length < len) {
    buf = await new Promise<Buffer>((resolve, reject) => {
      const chunks = [buf];
      let have = buf.length;
      const finish = (err?: Error) => {
        h.socket.off('data', onData).off('end', onGone).off('close', onGone);
        h.socket.pause();
        if (err) reject(err);
        else resolve(Buffer.concat(chunks));
      };
      const onData = (c: Buffer) => {
        chunks.push(c);
        have += c.length;
        if (have >= len) finish();
      };
      const onGone = () => finish(invalidParameter(`request body ended after ${have} of ${len} bytes`));
      h.socket.on('data', onData).on('end', onGone).on('close', onGone);
    });
  }
  const text = utf8Text(buf.subarray(0, len)).trim();
  return { body: text ? parseJson(text) : {}, rest: buf.subarray(len) };
}

export function execRoutes(b: ExecBackend): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/containers/{id}/exec',
      body: 'json',
      handler: async (ctx) => {
        const body = await ctx.jsonBody(CREATE);
        if (!body.Cmd || body.Cmd.length === 0) throw invalidParameter('No exec command specified');
        ctx.json(201, await b.create(ctx.param('id'), body));
      },
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/start',
      body: 'json',
      hijack: true,
      handler: async (ctx) => {
        let body: ExecStartRequest;
        let rest: Buffer = Buffer.alloc(0);
        if (ctx.hijack) {
          const r = await hijackedBody(ctx);
          body = validateBody(START, r.body);
          rest = r.rest;
        } else body = await ctx.jsonBody(START, {});
        const session = await b.start(ctx.param('id'), body);
        if (!session) {
          if (ctx.hijack) ctx.hijack.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
          else ctx.text(200, '');
          return;
        }
        session.run(hijack(ctx, session.tty, rest));
      },
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/resize',
      handler: async (ctx) => {
        const h = ctx.int('h');
        const w = ctx.int('w');
        if (h === undefined || w === undefined) throw invalidParameter('resize requires the h and w query parameters');
        checkTerminalSize(h, w);
        await b.resize(ctx.param('id'), h, w);
        ctx.text(200, '');
      },
    },
    { method: 'GET', pattern: '/exec/{id}/json', handler: async (ctx) => ctx.json(200, await b.inspect(ctx.param('id'))) },
  ];
}
