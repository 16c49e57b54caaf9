/** Image endpoints: list, inspect, history, tag, delete, prune, import/pull, load, save. */
import type { Readable } from 'node:stream';
import { invalidParameter } from '../../errdefs/errdefs.js';
import type { JsonStream } from '../context.js';
import type { Filters } from '../filters.js';
import type { Route } from '../router.js';
import { streamWithStatus } from './registry.js';
import type { DeleteResponseItem, HistoryItem, ImageInspect, ImagePruneResponse, ImageSummary } from '../types/images.js';

export interface ImportParams {
  /** `-` (the request body) or a URL. */
  fromSrc: string;
  repo?: string;
  tag?: string;
  message?: string;
  changes: string[];
  platform?: string;
}

export interface PullParams {
  fromImage: string;
  tag?: string;
  platform?: string;
  /** The X-Registry-Auth header, base64url JSON. */
  auth?: string;
  /** Fires when the client goes away: the pull stops and cleans up. */
  signal?: AbortSignal;
}

/** What the image routes need from the daemon. */
export interface ImageBackend {
  list(opts: { all: boolean; filters: Filters; digests: boolean; version: string }): ImageSummary[];
  inspect(name: string, version: string): Promise<ImageInspect>;
  history(name: string): HistoryItem[];
  tag(name: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<DeleteResponseItem[]>;
  prune(filters: Filters): Promise<ImagePruneResponse>;
  importImage(body: Readable, params: ImportParams, out: JsonStream): Promise<void>;
  pull(params: PullParams, out: JsonStream): Promise<void>;
  load(body: Readable, quiet: boolean, out: JsonStream): Promise<void>;
  /** Resolves every name first (NotFound before any byte is sent), then streams. */
  save(names: string[]): Readable;
}

export function imageRoutes(b: ImageBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/images/json',
      handler: (ctx) =>
        ctx.json(200, b.list({ all: ctx.bool('all'), filters: ctx.filters(), digests: ctx.bool('digests'), version: ctx.version })),
    },
    {
      method: 'POST',
      pattern: '/images/create',
      body: 'stream',
      handler: async (ctx) => {
        const fromSrc = ctx.str('fromSrc');
        const fromImage = ctx.str('fromImage');
        if (fromSrc === undefined && fromImage === undefined) throw invalidParameter('either fromSrc or fromImage must be given');
        // Registry pull: the stream starts with its first message, so a failure before it gets an HTTP status (as dockerd's).
        if (fromSrc === undefined) {
          await streamWithStatus(ctx, (out, signal) =>
            b.pull(
              {
                fromImage: fromImage!,
                ...opt('tag', ctx.str('tag')),
                ...opt('platform', ctx.str('platform')),
                ...opt('auth', ctx.req.headers['x-registry-auth'] as string | undefined),
                signal,
              },
              out,
            ),
          );
          return;
        }
        const out = ctx.jsonStream();
        try {
          await b.importImage(
            ctx.bodyStream(),
            {
              fromSrc,
              changes: ctx.strs('changes'),
              ...opt('repo', ctx.str('repo')),
              ...opt('tag', ctx.str('tag')),
              ...opt('message', ctx.str('message')),
              ...opt('platform', ctx.str('platform')),
            },
            out,
          );
        } catch (e) {
          out.fail(e);
        } finally {
          out.end();
        }
      },
    },
    {
      method: 'POST',
      pattern: '/images/load',
      body: 'stream',
      handler: async (ctx) => {
        const out = ctx.jsonStream({ errorsInStream: true });
        try {
          await b.load(ctx.bodyStream(), ctx.bool('quiet'), out);
        } catch (e) {
          out.fail(e);
        } finally {
          out.end();
        }
      },
    },
    {
      method: 'GET',
      pattern: '/images/get',
      handler: (ctx) => ctx.sendStream(200, 'application/x-tar', b.save(ctx.strs('names'))),
    },
    {
      method: 'POST',
      pattern: '/images/prune',
      handler: async (ctx) => ctx.json(200, await b.prune(ctx.filters())),
    },
    {
      method: 'GET',
      pattern: '/images/{name:.*}/json',
      handler: async (ctx) => ctx.json(200, await b.inspect(ctx.param('name'), ctx.version)),
    },
    {
      method: 'GET',
      pattern: '/images/{name:.*}/history',
      handler: (ctx) => ctx.json(200, b.history(ctx.param('name'))),
    },
    {
      method: 'GET',
      pattern: '/images/{name:.*}/get',
      handler: (ctx) => ctx.sendStream(200, 'application/x-tar', b.save([ctx.param('name')])),
    },
    {
      method: 'POST',
      pattern: '/images/{name:.*}/tag',
      handler: async (ctx) => {
        await b.tag(ctx.param('name'), ctx.str('repo') ?? '', ctx.str('tag'));
        ctx.noContent(201);
      },
    },
    {
      method: 'DELETE',
      pattern: '/images/{name:.*}',
      handler: async (ctx) =>
        ctx.json(200, await b.remove(ctx.param('name'), { force: ctx.bool('force'), noprune: ctx.bool('noprune') })),
    },
  ];
}

function opt<K extends string>(k: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined || v === '' ? {} : { [k]: v }) as { [P in K]?: string };
}
