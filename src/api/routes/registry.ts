/**
 * Registry endpoints: push, login (`POST /auth`), distribution inspect, and
 * the streaming helper pull (in routes/images.ts) shares with push.
 *
 * Streams start with their first message, as dockerd's: a failure before
 * any progress (unknown image, registry refused or unreachable) is an HTTP
 * error status the clients act on; after that, failures are reported in the
 * stream. A client that goes away cancels the operation (the signal).
 */
import type { JsonStream, RequestContext } from '../context.js';
import type { Route } from '../router.js';
import type { AuthResponse, DistributionInspect } from '../types/registry.js';
import { bodySchema } from '../validate.js';

export interface PushParams {
  name: string;
  tag?: string;
  /** The X-Registry-Auth header, base64url JSON. */
  auth?: string;
  signal: AbortSignal;
}

export interface RegistryBackend {
  push(p: PushParams, out: JsonStream): Promise<void>;
  /** Checks credentials against the registry (`docker login`). */
  auth(body: Record<string, unknown>): Promise<AuthResponse>;
  distributionInspect(name: string, auth: string | undefined, signal: AbortSignal): Promise<DistributionInspect>;
}

/** Aborts when the client disconnects before the response is complete. */
export function requestSignal(ctx: RequestContext): AbortSignal {
  const ac = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) ac.abort();
  });
  return ac.signal;
}

/**
 * Runs a streaming operation with dockerd's semantics: the JSON-lines reply
 * starts with the first message; an error before it is thrown (the router
 * turns it into a status), an error after it ends the stream as
 * `{"errorDetail":…,"error":…}`.
 */
export async function streamWithStatus(ctx: RequestContext, run: (out: JsonStream, signal: AbortSignal) => Promise<void>): Promise<void> {
  let stream: JsonStream | undefined;
  const start = (): JsonStream => (stream ??= ctx.jsonStream());
  const out: JsonStream = {
    write: (obj) => start().write(obj),
    fail: (err) => start().fail(err),
    end: () => start().end(),
    get closed() {
      return stream ? stream.closed : ctx.res.destroyed;
    },
  };
  const signal = requestSignal(ctx);
  try {
    await run(out, signal);
  } catch (e) {
    if (!stream) throw e;
    stream.fail(e);
  }
  start().end();
}

function opt<K extends string>(k: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined || v === '' ? {} : { [k]: v }) as { [P in K]?: string };
}

/** AuthConfig: string fields only (keys are matched without case by the backend); null stands for absent. */
const AUTH_SCHEMA = bodySchema<Record<string, unknown>>({ type: 'object', additionalProperties: { type: ['string', 'null'] } });

export function registryRoutes(b: RegistryBackend): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/images/{name:.*}/push',
      handler: (ctx) =>
        streamWithStatus(ctx, (out, signal) =>
          b.push({ name: ctx.param('name'), ...opt('tag', ctx.str('tag')), ...opt('auth', ctx.req.headers['x-registry-auth'] as string | undefined), signal }, out),
        ),
    },
    {
      method: 'POST',
      pattern: '/auth',
      body: 'json',
      handler: async (ctx) => {
        ctx.json(200, await b.auth(await ctx.jsonBody(AUTH_SCHEMA, {})));
      },
    },
    {
      method: 'GET',
      pattern: '/distribution/{name:.*}/json',
      handler: async (ctx) =>
        ctx.json(200, await b.distributionInspect(ctx.param('name'), ctx.req.headers['x-registry-auth'] as string | undefined, requestSignal(ctx))),
    },
  ];
}
