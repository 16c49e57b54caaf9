/**
 * The container and exec routes as a table, podman's habit: one line per
 * request with the status it must get, run through the real ApiServer on a
 * temp socket with the daemon's whole route table (apiRoutes) over an
 * in-memory fake backend. A line may also name the backend calls the request
 * must make: the arguments the route parsed, or none when the route itself
 * refuses the request. Error statuses come from the one table in errors.ts;
 * the fake throws the kinds the real backends throw in the same situations.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { conflict, notFound, notModified } from '../../errdefs/errdefs.js';
import { createLogger } from '../../util/log.js';
import { checkFilterNames, type Filters } from '../filters.js';
import type { HijackedStream } from '../hijack.js';
import { Router } from '../router.js';
import { ApiServer } from '../server.js';
import type { IdResponse } from '../types/common.js';
import type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerInspect,
  ContainerSummary,
  PathStat,
  Resources,
  RestartPolicy,
  StatsResponse,
} from '../types/containers.js';
import type { ExecCreateRequest, ExecInspect, ExecStartRequest } from '../types/exec.js';
import { containerRoutes, type AttachQuery, type CommitQuery, type ContainerBackend, type LogsQuery } from './containers.js';
import { execRoutes, type ExecBackend } from './exec.js';
import { apiRoutes, type Backends } from './index.js';

// --- the fake backends ---------------------------------------------------------------

type Status = 'created' | 'running' | 'paused' | 'exited';
interface Box {
  id: string;
  name: string;
  status: Status;
  tty: boolean;
}

const WEB = 'a1'.repeat(32);
const DB = 'b2'.repeat(32);
const TERM = 'c3'.repeat(32);
const FROZEN = 'd4'.repeat(32);
const BROKEN = 'e5'.repeat(32);
const EXEC = 'f6'.repeat(32);

const fixture = (): Box[] => [
  { id: WEB, name: 'web', status: 'running', tty: false },
  { id: DB, name: 'db', status: 'exited', tty: false },
  { id: TERM, name: 'term', status: 'running', tty: true },
  { id: FROZEN, name: 'frozen', status: 'paused', tty: false },
  // Its record cannot be read: any operation fails with a plain Error (500).
  { id: BROKEN, name: 'broken', status: 'exited', tty: false },
];

/** One backend call: the operation and the arguments the route passed. */
type Call = [op: string, ...args: unknown[]];

/** A session that says hello and ends (attach and attached exec). */
const helloSession = (tty: boolean) => ({
  tty,
  run(s: HijackedStream) {
    s.write(1, Buffer.from('hello\n'));
    s.end();
  },
});

/** An in-memory ContainerBackend (and its ExecBackend) with the error kinds of the real ones. */
class Fake implements ContainerBackend {
  calls: Call[] = [];
  boxes: Box[] = fixture();

  reset(): void {
    this.calls = [];
    this.boxes = fixture();
  }

  private find(ref: string): Box {
    const b = this.boxes.find((x) => x.name === ref || x.id.startsWith(ref));
    if (!b) throw notFound(`No such container: ${ref}`);
    if (b.id === BROKEN) throw new Error(`the record of container ${b.id} cannot be read`);
    return b;
  }

  private running(ref: string): Box {
    const b = this.find(ref);
    if (b.status !== 'running') throw conflict(`Container ${b.id} is not running`);
    return b;
  }

  // ContainerBackend

  async list(o: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<ContainerSummary[]> {
    this.calls.push(['list', { ...o, filters: Object.fromEntries(o.filters) }]);
    checkFilterNames(o.filters, ['name', 'status', 'label']);
    return this.boxes.filter((b) => o.all || b.status === 'running').map((b) => summary(b));
  }
  async create(body: ContainerCreateRequest, name: string | undefined, platform: string | undefined) {
    this.calls.push(['create', body, name, platform]);
    const taken = this.boxes.find((b) => b.name === name);
    if (taken) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    if (body.Image === 'missing') throw notFound('No such image: missing:latest');
    const id = randomBytes(32).toString('hex');
    this.boxes.push({ id, name: name ?? 'random_name', status: 'created', tty: !!body.Tty });
    return { Id: id, Warnings: [] };
  }
  async inspect(id: string, size: boolean): Promise<ContainerInspect> {
    this.calls.push(['inspect', id, size]);
    const b = this.find(id);
    // The routes pass inspect through untouched; only its identity matters here.
    return { Id: b.id, Name: `/${b.name}` } as ContainerInspect;
  }
  async top(id: string, psArgs: string | undefined) {
    this.calls.push(['top', id, psArgs]);
    this.running(id);
    return { Titles: ['PID', 'CMD'], Processes: [['1', 'sleep 1d']] };
  }
  async logs(id: string, q: LogsQuery, _signal: AbortSignal) {
    this.calls.push(['logs', id, q]);
    const b = this.find(id);
    return { tty: b.tty, body: Readable.from([Buffer.from('log line\n')]) };
  }
  async changes(id: string) {
    this.calls.push(['changes', id]);
    this.find(id);
    return [{ Path: '/tmp', Kind: 1 as const }];
  }
  async export(id: string) {
    this.calls.push(['export', id]);
    this.find(id);
    return Readable.from([Buffer.alloc(1024)]);
  }
  async stats(id: string, stream: boolean, oneShot: boolean, _signal: AbortSignal): Promise<AsyncIterable<StatsResponse>> {
    this.calls.push(['stats', id, stream, oneShot]);
    const b = this.find(id);
    const sample = { id: b.id, name: `/${b.name}` } as StatsResponse;
    return Readable.from(stream ? [sample, sample] : [sample]);
  }
  async resize(id: string, h: number, w: number) {
    this.calls.push(['resize', id, h, w]);
    this.running(id);
  }
  async start(id: string, detachKeys: string | undefined) {
    this.calls.push(['start', id, detachKeys]);
    const b = this.find(id);
    if (b.status === 'running') throw notModified('container already started');
    if (b.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
    b.status = 'running';
  }
  async stop(id: string, timeout: number | undefined, signal: string | undefined) {
    this.calls.push(['stop', id, timeout, signal]);
    const b = this.find(id);
    if (b.status !== 'running' && b.status !== 'paused') throw notModified('container already stopped');
    b.status = 'exited';
  }
  async restart(id: string, timeout: number | undefined, signal: string | undefined) {
    this.calls.push(['restart', id, timeout, signal]);
    this.find(id).status = 'running';
  }
  async kill(id: string, signal: string | undefined) {
    this.calls.push(['kill', id, signal]);
    const b = this.find(id);
    if (b.status !== 'running') throw conflict(`Cannot kill container: ${id}: Container ${b.id} is not running`);
    b.status = 'exited';
  }
  async update(id: string, body: Resources & { RestartPolicy?: RestartPolicy }) {
    this.calls.push(['update', id, body]);
    this.find(id);
    return { Warnings: [] };
  }
  async rename(id: string, name: string) {
    this.calls.push(['rename', id, name]);
    const b = this.find(id);
    if (this.boxes.some((x) => x.name === name)) throw conflict(`Conflict. The container name "/${name}" is already in use`);
    b.name = name;
  }
  async pause(id: string) {
    this.calls.push(['pause', id]);
    this.running(id).status = 'paused';
  }
  async unpause(id: string) {
    this.calls.push(['unpause', id]);
    const b = this.find(id);
    if (b.status !== 'paused') throw conflict(`Container ${b.id} is not paused`);
    b.status = 'running';
  }
  async attach(id: string, q: AttachQuery) {
    this.calls.push(['attach', id, q]);
    return helloSession(this.find(id).tty);
  }
  async wait(id: string, condition: string) {
    this.calls.push(['wait', id, condition]);
    this.find(id);
    return { ready: Promise.resolve({ StatusCode: 3, Error: null }) };
  }
  async remove(id: string, opts: { force: boolean; volumes: boolean; link: boolean }) {
    this.calls.push(['remove', id, opts]);
    if (opts.link) return; // a link's name (parent/alias): the route passes it whole
    const b = this.find(id);
    if (b.status === 'running' && !opts.force) {
      throw conflict(`You cannot remove a running container ${b.id}. Stop the container before attempting removal or force remove`);
    }
    this.boxes = this.boxes.filter((x) => x !== b);
  }
  private stat(id: string, path: string): PathStat {
    const b = this.find(id);
    if (path === '/missing') throw notFound(`Could not find the file ${path} in container ${b.name}`);
    return { name: path.split('/').pop() ?? '', size: 4096, mode: 0o20000000755, mtime: '2024-05-01T10:00:00Z', linkTarget: '' };
  }
  async archiveStat(id: string, path: string) {
    this.calls.push(['archiveStat', id, path]);
    return this.stat(id, path);
  }
  async archiveGet(id: string, path: string) {
    this.calls.push(['archiveGet', id, path]);
    return { stat: this.stat(id, path), body: Readable.from([Buffer.alloc(1024)]) };
  }
  async archivePut(id: string, path: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }) {
    this.find(id);
    let bytes = 0;
    for await (const c of body) bytes += (c as Buffer).length;
    this.calls.push(['archivePut', id, path, opts, bytes]);
  }
  async prune(filters: Filters) {
    this.calls.push(['prune', Object.fromEntries(filters)]);
    checkFilterNames(filters, ['until', 'label', 'label!']);
    return { ContainersDeleted: [DB], SpaceReclaimed: 0 };
  }
  async commit(q: CommitQuery, config: ContainerConfig | undefined): Promise<IdResponse> {
    this.calls.push(['commit', q, config]);
    this.find(q.container);
    return { Id: `sha256:${'9'.repeat(64)}` };
  }

  // The ExecBackend: its own object, as its `create` differs from the container's.

  readonly exec: ExecBackend = {
    create: async (container: string, body: ExecCreateRequest) => {
      this.calls.push(['exec.create', container, body]);
      this.running(container);
      return { Id: EXEC };
    },
    start: async (id: string, body: ExecStartRequest) => {
      this.calls.push(['exec.start', id, body]);
      this.execInstance(id);
      return body.Detach ? undefined : helloSession(!!body.Tty);
    },
    resize: async (id: string, h: number, w: number) => {
      this.calls.push(['exec.resize', id, h, w]);
      this.execInstance(id);
    },
    inspect: async (id: string): Promise<ExecInspect> => {
      this.calls.push(['exec.inspect', id]);
      this.execInstance(id);
      return { ID: EXEC, ContainerID: WEB } as ExecInspect;
    },
  };

  private execInstance(id: string): void {
    if (id !== EXEC) throw notFound(`No such exec instance: ${id}`);
  }
}

function summary(b: Box): ContainerSummary {
  return {
    Id: b.id,
    Names: [`/${b.name}`],
    Image: 'busybox',
    ImageID: `sha256:${'0'.repeat(64)}`,
    Command: 'sleep 1d',
    Created: 1714557600,
    Ports: [],
    Labels: {},
    State: b.status,
    Status: b.status,
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

// --- the server and a client --------------------------------------------------------

const fake = new Fake();
/** The other backends: a call to any of them is a routing mistake. */
const elsewhere = new Proxy(
  {},
  {
    get: (_t, prop) => () => {
      throw new Error(`a container route reached another backend (${String(prop)})`);
    },
  },
);
const backends: Backends = {
  system: elsewhere as Backends['system'],
  images: elsewhere as Backends['images'],
  registry: elsewhere as Backends['registry'],
  containers: fake,
  exec: fake.exec,
  events: elsewhere as Backends['events'],
  networks: elsewhere as Backends['networks'],
  volumes: elsewhere as Backends['volumes'],
  build: elsewhere as Backends['build'],
};

let dir = '';
let sock = '';
let server: ApiServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ctrtable-'));
  sock = join(dir, 'api.sock');
  server = new ApiServer({ socketPath: sock, routes: apiRoutes(backends), log: createLogger({ write: () => {} }), serverHeader: 'Docker/27.0.0 (linux)' });
  await server.listen();
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request with its own headers (upgrades) and raw body. */
class Raw {
  constructor(
    readonly headers: Record<string, string>,
    readonly data?: string | Buffer,
  ) {}
}

const upgradeTcp = (body?: unknown) => new Raw({ Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
const upgradeWs = new Raw({ Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' });
/** Bytes that are not a JSON document. */
const text = (s: string) => new Raw({ 'Content-Type': 'application/json' }, s);
const bytes = (b: Buffer) => new Raw({ 'Content-Type': 'application/x-tar' }, b);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function call(method: string, path: string, body: unknown): Promise<Reply> {
  const raw = body instanceof Raw ? body : new Raw({ 'Content-Type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
  const headers: Record<string, string | number> = { ...raw.headers };
  if (raw.data !== undefined) headers['Content-Length'] = Buffer.byteLength(raw.data);
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // A hijacked stream: read until the server ends it.
    req.on('upgrade', (res, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => {
        socket.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
      });
      socket.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply within 10 s`)));
    req.on('error', reject);
    req.end(raw.data);
  });
}

// --- the table ---------------------------------------------------------------------

/** What a line expects besides its status: the backend calls, or a check of the reply. */
type Expect = Call[] | ((r: Reply) => void);
type Row = [method: string, path: string, body: unknown, status: number, expect?: Expect];

/** The route refused the request itself: the backend was never called. */
const NONE: Call[] = [];
const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));
const json = (want: unknown) => (r: Reply) => assert.deepEqual(JSON.parse(r.body.toString()), want);
const contentType = (want: string) => (r: Reply) => assert.equal(r.headers['content-type'], want);
const allStreams = { stream: true, logs: false, stdin: true, stdout: true, stderr: true };
const noRm = { force: false, volumes: false, link: false };
const noCopy = { noOverwriteDirNonDir: false, copyUIDGID: false };
const commitQ = (over: Partial<CommitQuery>): CommitQuery => ({ container: 'web', pause: true, changes: [], ...over });
/** The 8-byte multiplexing header of stdout then "hello\n". */
const helloFramed = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 6]), Buffer.from('hello\n')]);
const hasBytes = (want: Buffer) => (r: Reply) => assert.ok(r.body.includes(want), `reply ${JSON.stringify(r.body.toString('latin1'))} lacks ${JSON.stringify(want.toString('latin1'))}`);

const ROWS: Row[] = [
  // version prefix and routing
  ['GET', '/containers/json', undefined, 200, [['list', { all: false, size: false, filters: {} }]]],
  ['GET', '/v1.24/containers/json', undefined, 200],
  ['GET', '/v1.47/containers/json', undefined, 200],
  ['GET', '/v1.48/containers/json', undefined, 400, NONE],
  ['GET', '/v1.23/containers/json', undefined, 400, NONE],
  ['PUT', '/containers/json', undefined, 404, NONE],
  ['GET', '/containers/web/nope', undefined, 404, NONE],
  ['GET', '/containers/%zz/json', undefined, 400, NONE],
  ['GET', '/containers/json?all=%zz', undefined, 400, NONE],

  // GET /containers/json
  ['GET', `/containers/json?all=1&limit=2&size=true&filters=${q({ status: ['exited'] })}`, undefined, 200, [['list', { all: true, limit: 2, size: true, filters: { status: ['exited'] } }]]],
  ['GET', '/containers/json?all=True', undefined, 200, (r) => assert.equal((JSON.parse(r.body.toString()) as unknown[]).length, 5)],
  ['GET', '/containers/json?all=maybe', undefined, 400, NONE],
  ['GET', '/containers/json?limit=two', undefined, 400, NONE],
  ['GET', '/containers/json?filters=nope', undefined, 400, NONE],
  ['GET', `/containers/json?filters=${q({ color: ['red'] })}`, undefined, 400],

  // POST /containers/create
  ['POST', '/containers/create?name=x', { Image: 'busybox', Cmd: ['true'] }, 201, [['create', { Image: 'busybox', Cmd: ['true'] }, 'x', undefined]]],
  ['POST', '/v1.41/containers/create?platform=linux/amd64', { Image: 'busybox', Frobnicate: 1 }, 201, [['create', { Image: 'busybox', Frobnicate: 1 }, undefined, 'linux/amd64']]],
  ['POST', '/containers/create', { Image: 'busybox', Cmd: 'echo hi', HostConfig: { Memory: 2 ** 53 - 1, ConsoleSize: [24, 80], Mounts: [{ Type: 'tmpfs', Target: '/t' }] } }, 201],
  ['POST', '/containers/create?name=web', { Image: 'busybox' }, 409],
  ['POST', '/containers/create', { Image: 'missing' }, 404],
  ['POST', '/containers/create', undefined, 400, NONE],
  ['POST', '/containers/create', text('{"Image": '), 400, NONE],
  ['POST', '/containers/create', text('[]'), 400, NONE],
  ['POST', '/containers/create', new Raw({ 'Content-Type': 'application/json' }, Buffer.from([0x7b, 0xff, 0x7d])), 400, NONE],
  ['POST', '/containers/create', { Image: 5 }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', Env: 'A=1' }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', HostConfig: { Memory: 1e30 } }, 400, json({ message: 'invalid request body: HostConfig.Memory is out of range for int64: 1e+30' })],
  ['POST', '/containers/create', { Image: 'busybox', HostConfig: { BlkioWeight: 70000 } }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', HostConfig: { ConsoleSize: [1, 2, 3] } }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/x' }] } }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', Healthcheck: { Interval: 1.5 } }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', ExposedPorts: { '80/tcp': 'yes' } }, 400, NONE],
  ['POST', '/containers/create', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { n: { Aliases: 'a' } } } }, 400, NONE],
  ['POST', '/containers/create', text(JSON.stringify({ Image: 'busybox', Env: ['X='.padEnd(5 * 1024 * 1024, 'x')] })), 413, NONE],

  // GET /containers/{id}/json
  ['GET', '/containers/web/json', undefined, 200, [['inspect', 'web', false]]],
  ['GET', '/v1.30/containers/a1a1/json?size=1', undefined, 200, [['inspect', 'a1a1', true]]],
  ['GET', '/containers/nope/json', undefined, 404, json({ message: 'No such container: nope' })],
  ['GET', '/containers/broken/json', undefined, 500],
  ['GET', '/containers/web/json?size=big', undefined, 400, NONE],

  // top, logs, changes, export, stats
  ['GET', '/containers/web/top?ps_args=aux', undefined, 200, [['top', 'web', 'aux']]],
  ['GET', '/containers/db/top', undefined, 409],
  ['GET', '/containers/nope/top', undefined, 404],
  ['GET', '/containers/web/logs?stdout=1&tail=10&timestamps=1', undefined, 200, [['logs', 'web', { details: false, follow: false, stdout: true, stderr: false, timestamps: true, tail: '10' }]]],
  ['GET', '/containers/term/logs?stderr=1', undefined, 200, contentType('application/vnd.docker.raw-stream')],
  ['GET', '/containers/web/logs?stdout=1', undefined, 200, contentType('application/vnd.docker.multiplexed-stream')],
  ['GET', '/containers/web/logs', undefined, 400, NONE],
  ['GET', '/containers/web/logs?stdout=1&follow=perhaps', undefined, 400, NONE],
  ['GET', '/containers/nope/logs?stdout=1', undefined, 404],
  ['GET', '/containers/web/changes', undefined, 200, json([{ Path: '/tmp', Kind: 1 }])],
  ['GET', '/containers/nope/changes', undefined, 404],
  ['GET', '/containers/web/export', undefined, 200, contentType('application/x-tar')],
  ['GET', '/containers/nope/export', undefined, 404],
  ['GET', '/containers/web/stats?stream=false', undefined, 200, [['stats', 'web', false, false]]],
  ['GET', '/containers/web/stats?one-shot=1', undefined, 200, [['stats', 'web', true, true]]],
  ['GET', '/containers/web/stats?stream=sometimes', undefined, 400, NONE],
  ['GET', '/containers/nope/stats', undefined, 404],

  // resize
  ['POST', '/containers/web/resize?h=24&w=80', undefined, 200, [['resize', 'web', 24, 80]]],
  ['POST', '/containers/web/resize?h=24', undefined, 400, NONE],
  ['POST', '/containers/web/resize?h=70000&w=80', undefined, 400, NONE],
  ['POST', '/containers/web/resize?h=tall&w=80', undefined, 400, NONE],
  ['POST', '/containers/db/resize?h=24&w=80', undefined, 409],
  ['POST', '/containers/nope/resize?h=24&w=80', undefined, 404],

  // start, stop, restart, kill
  ['POST', '/containers/db/start', undefined, 204, [['start', 'db', undefined]]],
  ['POST', '/containers/db/start?detachKeys=ctrl-x', undefined, 204, [['start', 'db', 'ctrl-x']]],
  ['POST', '/containers/web/start', undefined, 304, [['start', 'web', undefined]]],
  ['POST', '/containers/frozen/start', undefined, 409],
  ['POST', '/containers/nope/start', undefined, 404],
  ['POST', '/containers/web/stop?t=5&signal=SIGINT', undefined, 204, [['stop', 'web', 5, 'SIGINT']]],
  ['POST', '/containers/db/stop', undefined, 304],
  ['POST', '/containers/web/stop?t=soon', undefined, 400, NONE],
  ['POST', '/containers/nope/stop', undefined, 404],
  ['POST', '/containers/db/restart?t=0', undefined, 204, [['restart', 'db', 0, undefined]]],
  ['POST', '/containers/nope/restart', undefined, 404],
  ['POST', '/containers/web/kill?signal=SIGUSR1', undefined, 204, [['kill', 'web', 'SIGUSR1']]],
  ['POST', '/containers/db/kill', undefined, 409],
  ['POST', '/containers/nope/kill', undefined, 404],

  // update, rename, pause, unpause
  ['POST', '/containers/web/update', { Memory: 1e8, RestartPolicy: { Name: 'always' } }, 200, [['update', 'web', { Memory: 1e8, RestartPolicy: { Name: 'always' } }]]],
  ['POST', '/containers/web/update', undefined, 200, [['update', 'web', {}]]],
  ['POST', '/containers/web/update', { Memory: 'lots' }, 400, NONE],
  ['POST', '/containers/web/update', { BlkioWeight: 70000 }, 400, NONE],
  ['POST', '/containers/web/update', { CpuShares: 2 ** 64 }, 400, NONE],
  ['POST', '/containers/nope/update', {}, 404],
  ['POST', '/containers/web/rename?name=site', undefined, 204, [['rename', 'web', 'site']]],
  ['POST', '/containers/web/rename', undefined, 400, NONE],
  ['POST', '/containers/web/rename?name=db', undefined, 409],
  ['POST', '/containers/nope/rename?name=x', undefined, 404],
  ['POST', '/containers/web/pause', undefined, 204, [['pause', 'web']]],
  ['POST', '/containers/db/pause', undefined, 409],
  ['POST', '/containers/nope/pause', undefined, 404],
  ['POST', '/containers/frozen/unpause', undefined, 204, [['unpause', 'frozen']]],
  ['POST', '/containers/web/unpause', undefined, 409],
  ['POST', '/containers/nope/unpause', undefined, 404],

  // attach (a response body, or a hijacked connection), attach over a websocket
  ['POST', '/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1', undefined, 200, hasBytes(helloFramed)],
  ['POST', '/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-q', upgradeTcp(), 101, [['attach', 'web', { ...allStreams, detachKeys: 'ctrl-q' }]]],
  ['POST', '/v1.47/containers/web/attach?stream=1&stdout=1', upgradeTcp(), 101, hasBytes(helloFramed)],
  ['POST', '/containers/term/attach?stream=1&stdout=1', upgradeTcp(), 101, (r) => assert.ok(r.body.includes('hello\n') && !r.body.includes(helloFramed))],
  ['POST', '/containers/web/attach?stdin=maybe', undefined, 400, NONE],
  ['POST', '/containers/nope/attach?stream=1', upgradeTcp(), 404],
  ['GET', '/containers/web/attach/ws?stream=1', upgradeWs, 101, [['attach', 'web', { stream: true, logs: false, stdin: false, stdout: false, stderr: false }]]],
  ['GET', '/v1.41/containers/web/attach/ws?stream=1', upgradeWs, 101, [['attach', 'web', allStreams]]],
  ['GET', '/containers/web/attach/ws?stream=1', undefined, 400, NONE],
  ['GET', '/containers/nope/attach/ws?stream=1', upgradeWs, 404],

  // wait
  ['POST', '/containers/web/wait', undefined, 200, [['wait', 'web', 'not-running']]],
  ['POST', '/containers/web/wait?condition=removed', undefined, 200, json({ StatusCode: 3, Error: null })],
  ['POST', '/containers/web/wait?condition=whenever', undefined, 400, NONE],
  ['POST', '/containers/nope/wait', undefined, 404],

  // DELETE /containers/{id}
  ['DELETE', '/containers/db', undefined, 204, [['remove', 'db', noRm]]],
  ['DELETE', '/containers/web?force=1&v=true&link=0', undefined, 204, [['remove', 'web', { force: true, volumes: true, link: false }]]],
  ['DELETE', '/containers/web', undefined, 409],
  ['DELETE', '/containers/nope', undefined, 404],
  ['DELETE', '/containers/db?force=perhaps', undefined, 400, NONE],
  // DELETE /containers/{parent}/{alias}: a legacy link's name, only with link=1
  ['DELETE', '/containers/web/db?link=1', undefined, 204, [['remove', 'web/db', { force: false, volumes: false, link: true }]]],
  ['DELETE', '/containers/web/db', undefined, 404, NONE],

  // archive: stat, get, put
  ['HEAD', '/containers/web/archive?path=/etc', undefined, 200, (r) => assert.ok(r.headers['x-docker-container-path-stat'])],
  ['HEAD', '/containers/web/archive?path=/missing', undefined, 404],
  ['HEAD', '/containers/web/archive', undefined, 400, NONE],
  ['HEAD', '/containers/nope/archive?path=/etc', undefined, 404],
  ['GET', '/containers/web/archive?path=/etc', undefined, 200, [['archiveGet', 'web', '/etc']]],
  ['GET', '/containers/web/archive?path=/missing', undefined, 404],
  ['GET', '/containers/web/archive', undefined, 400, NONE],
  ['PUT', '/containers/web/archive?path=/tmp', bytes(Buffer.alloc(3000)), 200, [['archivePut', 'web', '/tmp', noCopy, 3000]]],
  ['PUT', '/containers/web/archive?path=/tmp&noOverwriteDirNonDir=1&copyUIDGID=true', bytes(Buffer.alloc(10)), 200, [['archivePut', 'web', '/tmp', { noOverwriteDirNonDir: true, copyUIDGID: true }, 10]]],
  ['PUT', '/containers/web/archive', bytes(Buffer.alloc(10)), 400, NONE],
  ['PUT', '/containers/web/archive?path=/tmp&copyUIDGID=kinda', bytes(Buffer.alloc(10)), 400, NONE],
  ['PUT', '/containers/nope/archive?path=/tmp', bytes(Buffer.alloc(10)), 404],

  // prune
  ['POST', '/containers/prune', undefined, 200, [['prune', {}]]],
  ['POST', `/containers/prune?filters=${q({ label: ['a=b'], until: ['1h'] })}`, undefined, 200, [['prune', { label: ['a=b'], until: ['1h'] }]]],
  ['POST', `/containers/prune?filters=${q({ status: ['exited'] })}`, undefined, 400],
  ['POST', '/containers/prune?filters={', undefined, 400, NONE],

  // POST /commit
  ['POST', '/commit?container=web&repo=img&tag=v1&comment=c&author=me&changes=CMD%20x&changes=ENV%20A%3D1&pause=0', undefined, 201, [
    ['commit', commitQ({ repo: 'img', tag: 'v1', comment: 'c', author: 'me', pause: false, changes: ['CMD x', 'ENV A=1'] }), undefined],
  ]],
  ['POST', '/commit?container=web', { Env: ['A=1'], Labels: { l: 'v' } }, 201, [['commit', commitQ({}), { Env: ['A=1'], Labels: { l: 'v' } }]]],
  ['POST', '/commit?container=web', { Env: 'A=1' }, 400, NONE],
  ['POST', '/commit?container=web', { StopTimeout: 1e20 }, 400, NONE],
  ['POST', '/commit', undefined, 400, NONE],
  ['POST', '/commit?container=web&pause=halfway', undefined, 400, NONE],
  ['POST', '/commit?container=nope', undefined, 404],

  // exec: create, start (detached, as a body, hijacked), resize, inspect
  ['POST', '/containers/web/exec', { Cmd: ['ls', '-l'], Tty: true, Env: ['A=1'] }, 201, [['exec.create', 'web', { Cmd: ['ls', '-l'], Tty: true, Env: ['A=1'] }]]],
  ['POST', '/containers/web/exec', { Cmd: [] }, 400, NONE],
  ['POST', '/containers/web/exec', { Cmd: 'ls' }, 400, NONE],
  ['POST', '/containers/web/exec', { Cmd: ['ls'], ConsoleSize: [24, 70000] }, 400, NONE],
  ['POST', '/containers/db/exec', { Cmd: ['ls'] }, 409],
  ['POST', '/containers/nope/exec', { Cmd: ['ls'] }, 404],
  ['POST', `/exec/${EXEC}/start`, { Detach: true }, 200, [['exec.start', EXEC, { Detach: true }]]],
  ['POST', `/exec/${EXEC}/start`, undefined, 200, hasBytes(helloFramed)],
  ['POST', `/exec/${EXEC}/start`, upgradeTcp({ Detach: false, Tty: true }), 101, [['exec.start', EXEC, { Detach: false, Tty: true }]]],
  ['POST', `/exec/${EXEC}/start`, upgradeTcp({ Detach: true }), 200],
  ['POST', `/exec/${EXEC}/start`, upgradeTcp({ Detach: 'yes' }), 400, NONE],
  ['POST', `/exec/${EXEC}/start`, { Detach: 'yes' }, 400, NONE],
  ['POST', '/exec/nope/start', { Detach: true }, 404],
  ['POST', `/exec/${EXEC}/resize?h=30&w=100`, undefined, 200, [['exec.resize', EXEC, 30, 100]]],
  ['POST', `/exec/${EXEC}/resize?w=100`, undefined, 400, NONE],
  ['POST', '/exec/nope/resize?h=30&w=100', undefined, 404],
  ['GET', `/exec/${EXEC}/json`, undefined, 200, [['exec.inspect', EXEC]]],
  ['GET', '/exec/nope/json', undefined, 404],
];

describe('container and exec routes, one line per request', () => {
  for (const [method, path, body, status, expect] of ROWS) {
    const short = path.replaceAll(EXEC, '<exec id>');
    const shown = short.length > 110 ? `${short.slice(0, 110)}…` : short;
    it(`${method} ${shown} → ${status}`, async () => {
      fake.reset();
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${r.body.toString().slice(0, 500)}`);
      if (status >= 400 && method !== 'HEAD') {
        const message = (JSON.parse(r.body.toString()) as { message?: unknown }).message;
        assert.ok(typeof message === 'string' && message.length > 0, `an error reply carries a message: ${r.body.toString()}`);
      }
      if (status === 304) assert.equal(r.body.length, 0);
      if (typeof expect === 'function') expect(r);
      else if (expect) assert.deepEqual(fake.calls, expect);
    });
  }

  it('has a line for every container and exec route', () => {
    const router = new Router();
    const routes = [...containerRoutes(fake), ...execRoutes(fake.exec)];
    router.add(routes);
    const hit = new Set<string>();
    for (const [method, path] of ROWS) {
      const bare = path.split('?')[0]!.replace(/^\/v\d+\.\d+\//, '/');
      let m: ReturnType<Router['match']>;
      try {
        m = router.match(method, bare);
      } catch {
        continue; // a path the router refuses (a bad escape) reaches no route
      }
      if (m) hit.add(`${m.route.method} ${m.route.pattern}`);
    }
    const missing = routes.map((r) => `${r.method} ${r.pattern}`).filter((k) => !hit.has(k));
    assert.deepEqual(missing, []);
  });
});
