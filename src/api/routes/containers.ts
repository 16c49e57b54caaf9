/** Container endpoints. Each handler parses the request and calls the backend. */
import type { Readable } from 'node:stream';
import { invalidParameter, notFound } from '../../errdefs/errdefs.js';
import type { RequestContext } from '../context.js';
import type { Filters } from '../filters.js';
import { hijack, type HijackedStream } from '../hijack.js';
import type { Route } from '../router.js';
import { COMMIT_CONFIG_SCHEMA, CREATE_SCHEMA, UPDATE_SCHEMA } from '../schemas/containers.js';
import type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  FilesystemChange,
  PathStat,
  Resources,
  StatsResponse,
  RestartPolicy,
} from '../types/containers.js';
import type { IdResponse } from '../types/common.js';
import { versionAtLeast } from '../version.js';
import { requireWebSocket, upgradeWebSocket } from '../websocket.js';

export interface LogsQuery {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  since?: string;
  until?: string;
  timestamps: boolean;
  tail?: string;
  /** Each line's log attributes first (`logs --details`). */
  details: boolean;
}

export interface AttachQuery {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export interface CommitQuery {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
}

/** What the container routes need from the daemon. */
export interface ContainerBackend {
  list(opts: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<ContainerSummary[]>;
  create(body: ContainerCreateRequest, name: string | undefined, platform: string | undefined): Promise<ContainerCreateResponse>;
  /** `version`: the request's API version (fields come and go with it, as in dockerd). */
  inspect(id: string, size: boolean, version: string): Promise<ContainerInspect>;
  top(id: string, psArgs: string | undefined): Promise<ContainerTopResponse>;
  /** Resolves the container (NotFound before any byte), then streams log entries. */
  logs(id: string, q: LogsQuery, signal: AbortSignal): Promise<{ tty: boolean; body: AsyncIterable<Buffer> }>;
  changes(id: string): Promise<FilesystemChange[]>;
  export(id: string): Promise<Readable>;
  stats(id: string, stream: boolean, oneShot: boolean, signal: AbortSignal): Promise<AsyncIterable<StatsResponse>>;
  resize(id: string, h: number, w: number): Promise<void>;
  start(id: string, detachKeys: string | undefined): Promise<void>;
  stop(id: string, timeout: number | undefined, signal: string | undefined): Promise<void>;
  restart(id: string, timeout: number | undefined, signal: string | undefined): Promise<void>;
  kill(id: string, signal: string | undefined): Promise<void>;
  update(id: string, body: Resources & { RestartPolicy?: RestartPolicy }): Promise<ContainerUpdateResponse>;
  rename(id: string, name: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Resolves the container and whether it has a TTY, then runs the session over the stream. */
  attach(id: string, q: AttachQuery): Promise<{ tty: boolean; run(stream: HijackedStream): void }>;
  wait(id: string, condition: string): Promise<{ ready: Promise<ContainerWaitResponse> }>;
  remove(id: string, opts: { force: boolean; volumes: boolean; link: boolean }): Promise<void>;
  archiveStat(id: string, path: string): Promise<PathStat>;
  archiveGet(id: string, path: string): Promise<{ stat: PathStat; body: Readable }>;
  archivePut(id: string, path: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void>;
  prune(filters: Filters): Promise<ContainerPruneResponse>;
  commit(q: CommitQuery, config: ContainerConfig | undefined): Promise<IdResponse>;
}

const statHeader = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

function aborter(ctx: RequestContext): AbortSignal {
  const ac = new AbortController();
  ctx.res.on('close', () => ac.abort());
  return ac.signal;
}

export function containerRoutes(b: ContainerBackend): Route[] {
  const id = (ctx: RequestContext) => ctx.param('id');
  return [
    {
      method: 'GET',
      pattern: '/containers/json',
      handler: async (ctx) =>
        ctx.json(200, await b.list({ all: ctx.bool('all'), ...(ctx.int('limit') !== undefined ? { limit: ctx.int('limit')! } : {}), size: ctx.bool('size'), filters: ctx.filters() })),
    },
    {
      method: 'POST',
      pattern: '/containers/create',
      body: 'json',
      handler: async (ctx) => {
        const body = await ctx.jsonBody(CREATE_SCHEMA);
        ctx.json(201, await b.create(body, ctx.str('name'), ctx.str('platform')));
      },
    },
    {
      method: 'POST',
      pattern: '/containers/prune',
      handler: async (ctx) => ctx.json(200, await b.prune(ctx.filters())),
    },
    { method: 'GET', pattern: '/containers/{id}/json', handler: async (ctx) => ctx.json(200, await b.inspect(id(ctx), ctx.bool('size'), ctx.version)) },
    { method: 'GET', pattern: '/containers/{id}/top', handler: async (ctx) => ctx.json(200, await b.top(id(ctx), ctx.str('ps_args'))) },
    {
      method: 'GET',
      pattern: '/containers/{id}/logs',
      handler: async (ctx) => {
        const q: LogsQuery = {
          follow: ctx.bool('follow'),
          stdout: ctx.bool('stdout'),
          stderr: ctx.bool('stderr'),
          timestamps: ctx.bool('timestamps'),
          details: ctx.bool('details'),
          ...(ctx.str('since') ? { since: ctx.str('since')! } : {}),
          ...(ctx.str('until') ? { until: ctx.str('until')! } : {}),
          ...(ctx.str('tail') ? { tail: ctx.str('tail')! } : {}),
        };
        if (!q.stdout && !q.stderr) throw invalidParameter('Bad parameters: you must choose at least one stream');
        const { tty, body } = await b.logs(id(ctx), q, aborter(ctx));
        ctx.res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        ctx.res.flushHeaders();
        for await (const chunk of body) if (!(await ctx.write(chunk))) break;
        ctx.res.end();
      },
    },
    { method: 'GET', pattern: '/containers/{id}/changes', handler: async (ctx) => ctx.json(200, await b.changes(id(ctx))) },
    { method: 'GET', pattern: '/containers/{id}/export', handler: async (ctx) => ctx.sendStream(200, 'application/x-tar', await b.export(id(ctx))) },
    {
      method: 'GET',
      pattern: '/containers/{id}/stats',
      handler: async (ctx) => {
        const stream = ctx.bool('stream', true);
        const samples = await b.stats(id(ctx), stream, ctx.bool('one-shot'), aborter(ctx));
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        for await (const s of samples) if (!(await ctx.write(JSON.stringify(s) + '\n'))) break;
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/resize',
      handler: async (ctx) => {
        const h = ctx.int('h');
        const w = ctx.int('w');
        if (h === undefined || w === undefined) throw invalidParameter('resize requires the h and w query parameters');
        checkTerminalSize(h, w);
        await b.resize(id(ctx), h, w);
        ctx.text(200, '');
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/start',
      handler: async (ctx) => {
        await b.start(id(ctx), ctx.str('detachKeys'));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/stop',
      handler: async (ctx) => {
        await b.stop(id(ctx), ctx.int('t'), ctx.str('signal'));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/restart',
      handler: async (ctx) => {
        await b.restart(id(ctx), ctx.int('t'), ctx.str('signal'));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/kill',
      handler: async (ctx) => {
        await b.kill(id(ctx), ctx.str('signal'));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/update',
      body: 'json',
      handler: async (ctx) => ctx.json(200, await b.update(id(ctx), await ctx.jsonBody(UPDATE_SCHEMA, {}))),
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/rename',
      handler: async (ctx) => {
        const name = ctx.str('name');
        if (!name) throw invalidParameter('rename requires the name query parameter');
        await b.rename(id(ctx), name);
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/pause',
      handler: async (ctx) => {
        await b.pause(id(ctx));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/unpause',
      handler: async (ctx) => {
        await b.unpause(id(ctx));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/attach',
      hijack: true,
      handler: async (ctx) => {
        const q: AttachQuery = {
          stream: ctx.bool('stream'),
          logs: ctx.bool('logs'),
          stdin: ctx.bool('stdin'),
          stdout: ctx.bool('stdout'),
          stderr: ctx.bool('stderr'),
          ...(ctx.str('detachKeys') ? { detachKeys: ctx.str('detachKeys')! } : {}),
        };
        const session = await b.attach(id(ctx), q);
        session.run(hijack(ctx, session.tty, ctx.hijack?.head));
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/attach/ws',
      hijack: true,
      handler: async (ctx) => {
        requireWebSocket(ctx);
        // Before 1.42 the websocket always attached all three streams.
        const all = !versionAtLeast(ctx.version, '1.42');
        const q: AttachQuery = {
          stream: ctx.bool('stream'),
          logs: ctx.bool('logs'),
          stdin: all || ctx.bool('stdin'),
          stdout: all || ctx.bool('stdout'),
          stderr: all || ctx.bool('stderr'),
          ...(ctx.str('detachKeys') ? { detachKeys: ctx.str('detachKeys')! } : {}),
        };
        const session = await b.attach(id(ctx), q);
        session.run(upgradeWebSocket(ctx, versionAtLeast(ctx.version, '1.28')));
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/wait',
      handler: async (ctx) => {
        const condition = ctx.str('condition') ?? 'not-running';
        if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw invalidParameter(`invalid condition: "${condition}"`);
        const { ready } = await b.wait(id(ctx), condition);
        // Headers go out at once: clients wait on them before starting the container.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        const result = await ready;
        if (!ctx.res.destroyed) ctx.res.end(JSON.stringify(result) + '\n');
      },
    },
    {
      method: 'DELETE',
      pattern: '/containers/{id}',
      handler: async (ctx) => {
        await b.remove(id(ctx), { force: ctx.bool('force'), volumes: ctx.bool('v'), link: ctx.bool('link') });
        ctx.noContent();
      },
    },
    {
      // A legacy link's name, /parent/alias: only link removal names a container so.
      method: 'DELETE',
      pattern: '/containers/{parent}/{alias}',
      handler: async (ctx) => {
        const name = `${ctx.param('parent')}/${ctx.param('alias')}`;
        if (!ctx.bool('link')) throw notFound(`No such container: ${name}`);
        await b.remove(name, { force: ctx.bool('force'), volumes: ctx.bool('v'), link: true });
        ctx.noContent();
      },
    },
    {
      method: 'HEAD',
      pattern: '/containers/{id}/archive',
      handler: async (ctx) => {
        const st = await b.archiveStat(id(ctx), requirePath(ctx));
        ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(st) });
        ctx.res.end();
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/archive',
      handler: async (ctx) => {
        const { stat, body } = await b.archiveGet(id(ctx), requirePath(ctx));
        ctx.res.setHeader('X-Docker-Container-Path-Stat', statHeader(stat));
        await ctx.sendStream(200, 'application/x-tar', body);
      },
    },
    {
      method: 'PUT',
      pattern: '/containers/{id}/archive',
      body: 'stream',
      handler: async (ctx) => {
        await b.archivePut(id(ctx), requirePath(ctx), ctx.bodyStream(), {
          noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'),
          copyUIDGID: ctx.bool('copyUIDGID'),
        });
        ctx.text(200, '');
      },
    },
    {
      method: 'POST',
      pattern: '/commit',
      body: 'json',
      handler: async (ctx) => {
        const container = ctx.str('container');
        if (!container) throw invalidParameter('commit requires the container query parameter');
        const config = await ctx.jsonBody(COMMIT_CONFIG_SCHEMA, {});
        ctx.json(
          201,
          await b.commit(
            {
              container,
              pause: ctx.bool('pause', true),
              changes: ctx.strs('changes'),
              ...(ctx.str('repo') ? { repo: ctx.str('repo')! } : {}),
              ...(ctx.str('tag') ? { tag: ctx.str('tag')! } : {}),
              ...(ctx.str('comment') ? { comment: ctx.str('comment')! } : {}),
              ...(ctx.str('author') ? { author: ctx.str('author')! } : {}),
            },
            Object.keys(config).length ? config : undefined,
          ),
        );
      },
    },
  ];
}

/** Terminal sizes are 16-bit (struct winsize). */
export function checkTerminalSize(h: number, w: number): void {
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw invalidParameter(`invalid terminal size ${h}x${w}: height and width must be between 0 and 65535`);
}

function requirePath(ctx: RequestContext): string {
  const p = ctx.str('path');
  if (!p) throw invalidParameter('the path query parameter is required');
  return p;
}

