/**
 * The volume commands end to end: berth's CLI and the real docker CLI against
 * one API server that serves the volume routes over a real VolumeService
 * (temporary root, real filesystem). Where both print, the outputs must be
 * identical (with "berth" for "docker"). The docker comparisons are skipped
 * when no docker CLI is installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiServer } from '../../api/server.js';
import type { Route } from '../../api/router.js';
import { volumeRoutes, type VolumeBackend } from '../../api/routes/volumes.js';
import type { Volume } from '../../api/types/volumes.js';
import { ApiError, Client, ConnectError } from '../../client/client.js';
import { silentLogger } from '../../util/log.js';
import { VolumeService } from '../../volume/service.js';
import { realHost } from '../../sys/host.js';
import { Cli, CliError, PROG } from '../command.js';
import type { CliContext } from '../context.js';
import { registerVolumeCommands, renderVolumes } from './volumes.js';
import { naturalLess } from '../format/sort.js';
import { fakeStreams } from '../../../test/fakes/cli.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;
const SRC = resolve(fileURLToPath(import.meta.url), '../../..');

let dir = '';
let sock = '';
let server: ApiServer;
let volumes: VolumeService;
const users = new Map<string, string[]>();
const usersOf = (n: string): string[] => users.get(n) ?? [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'volcli-'));
  sock = join(dir, 'api.sock');
  volumes = await VolumeService.open(join(dir, 'root'), silentLogger, realHost());
  const backend: VolumeBackend = {
    list: (filters) => volumes.list({ filters, usersOf }),
    get: (name) => volumes.get(name),
    create: (req) => volumes.create(req),
    remove: (name, o) => volumes.remove(name, o, usersOf),
    prune: (filters) => volumes.prune({ filters, usersOf }),
  };
  const ping: Route['handler'] = (ctx) => {
    ctx.res.setHeader('API-Version', '1.47');
    ctx.text(200, 'OK');
  };
  server = new ApiServer({
    socketPath: sock,
    log: silentLogger,
    serverHeader: 'Docker/27.0.0 (linux)',
    routes: [{ method: 'GET', pattern: '/_ping', handler: ping }, { method: 'HEAD', pattern: '/_ping', handler: ping }, ...volumeRoutes(backend)],
  });
  await server.listen();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

/** berth in-process, with main.ts's error handling. */
async function berth(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const client = new Client(`unix://${sock}`);
  const ctx: CliContext = {
    host: `unix://${sock}`,
    client: () => client,
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    ...fakeStreams((s) => (stdout += s), (s) => (stderr += s)),
  };
  const cli = new Cli<CliContext>(ctx, () => '');
  registerVolumeCommands(cli);
  let code: number;
  try {
    code = await cli.run(() => ctx, argv);
  } catch (e) {
    if (e instanceof ApiError) ctx.err(`Error response from daemon: ${e.message}\n`);
    else if (e instanceof ConnectError) ctx.err(`${e.message}\n`);
    else if (e instanceof CliError) {
      if (e.message) ctx.err(`${e.message}\n`);
      code = e.status;
      return { stdout, stderr, code };
    } else throw e;
    code = 1;
  } finally {
    client.close();
  }
  return { stdout, stderr, code };
}

/** berth as its own process, for the prompt (stdin). */
function berthProcess(input: string, ...argv: string[]): Promise<Run> {
  const script = `
import { Cli } from '${SRC}/cli/command.js';
import { registerVolumeCommands } from '${SRC}/cli/commands/volumes.js';
import { makeContext } from '${SRC}/cli/context.js';
const ctx = makeContext(${JSON.stringify(`unix://${sock}`)});
const cli = new Cli(ctx, () => '');
registerVolumeCommands(cli);
let code = 1;
try { code = await cli.run(() => ctx, process.argv.slice(1)); } catch (e) { ctx.err('Error response from daemon: ' + e.message + '\\n'); }
ctx.dispose();
process.exit(code);
`;
  return spawnRun(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...argv], input, { ...process.env }, resolve(SRC, '..'));
}

function docker(input: string, ...argv: string[]): Promise<Run> {
  return spawnRun('docker', ['-H', `unix://${sock}`, ...argv], input, {
    PATH: process.env['PATH'],
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker-config'),
    ...(process.env['TZ'] ? { TZ: process.env['TZ'] } : {}),
  });
}

function spawnRun(cmd: string, argv: string[], input: string, env: NodeJS.ProcessEnv, cwd = dir): Promise<Run> {
  return new Promise((done, reject) => {
    const p = spawn(cmd, argv, { env, cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => done({ stdout, stderr, code: code ?? -1 }));
    p.stdin.end(input);
  });
}

const asDocker = (r: Run): Run => ({ ...r, stdout: r.stdout.replaceAll(PROG, 'docker'), stderr: r.stderr.replaceAll(PROG, 'docker') });

/** Runs both CLIs with the same arguments (state must not change in between) and compares everything. */
async function same(...argv: string[]): Promise<Run> {
  const b = asDocker(await berth(...argv));
  if (HAVE_DOCKER) assert.deepEqual(b, await docker('', ...argv), `berth and docker differ for: ${argv.join(' ')}`);
  return b;
}

async function reset(): Promise<void> {
  users.clear();
  for (const v of volumes.list()) await volumes.remove(v.name, { force: true }, () => []);
}

describe('volume ls', () => {
  before(async () => {
    await reset();
    for (const n of ['v10', 'v2', 'V1', 'a-1', 'a-01', 'db_data']) await volumes.create({ name: n, labels: {} });
    await volumes.create({ name: 'web', labels: { 'com.example.app': 'web', tier: 'front' } });
    await volumes.create({ name: 'nolabels' });
    users.set('db_data', ['c1']);
  });

  test('default table, sorted in natural order', async () => {
    const r = await same('volume', 'ls');
    assert.equal(
      r.stdout,
      'DRIVER    VOLUME NAME\nlocal     V1\nlocal     a-1\nlocal     a-01\nlocal     db_data\nlocal     nolabels\nlocal     v2\nlocal     v10\nlocal     web\n',
    );
    assert.equal(r.code, 0);
    await same('volume', 'list');
  });

  test('quiet, formats, json, raw, labels', async () => {
    assert.equal((await same('volume', 'ls', '-q')).stdout, 'V1\na-1\na-01\ndb_data\nnolabels\nv2\nv10\nweb\n');
    // docker 28 joins .Labels in map order (random with two labels): compare those formats without "web".
    const notWeb = ['-f', 'name=^[^w]'];
    await same('volume', 'ls', ...notWeb, '--format', '{{.Name}} {{.Driver}} {{.Scope}} [{{.Labels}}] [{{.Label "tier"}}] {{.Links}} {{.Size}} {{.Mountpoint}}');
    await same('volume', 'ls', '--format', '{{.Name}} [{{.Label "tier"}}] [{{.Label "com.example.app"}}]');
    await same('volume', 'ls', ...notWeb, '--format', 'table {{.Name}}\t{{.Labels}}\t{{.Label "com.example.app"}}\t{{.Scope}}\t{{.Mountpoint}}');
    await same('volume', 'ls', '--format', 'table {{.Name}}\t{{.Label "com.example.app"}}\t{{.Scope}}\t{{.Mountpoint}}');
    await same('volume', 'ls', ...notWeb, '--format', 'json');
    await same('volume', 'ls', ...notWeb, '--format', '{{json .}}');
    await same('volume', 'ls', '--format', 'raw');
    await same('volume', 'ls', '-q', '--format', 'raw');
    await same('volume', 'ls', '-q', '--format', '{{.Driver}}');
    await same('volume', 'ls', '--format', 'table');
    await same('volume', 'ls', '--format', 'table {{.Group}}\t{{.Availability}}\t{{.Status}}');
    await same('volume', 'ls', '--cluster');
    await same('volume', 'ls', '--cluster', '-q');
    // berth sorts the labels (as docker's current source does).
    const web = await berth('volume', 'ls', '-f', 'name=web', '--format', '{{.Labels}}|{{json .}}');
    assert.equal(
      web.stdout,
      'com.example.app=web,tier=front|{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"com.example.app=web,tier=front","Links":"N/A","Mountpoint":"' +
        volumes.get('web').mountpoint +
        '","Name":"web","Scope":"local","Size":"N/A","Status":"N/A"}\n',
    );
  });

  test('filters', async () => {
    assert.equal((await same('volume', 'ls', '-q', '-f', 'dangling=false')).stdout, 'db_data\n');
    assert.equal((await same('volume', 'ls', '-q', '-f', 'dangling=true', '-f', 'name=v')).stdout, 'v2\nv10\n');
    assert.equal((await same('volume', 'ls', '-q', '--filter', 'label=tier=front')).stdout, 'web\n');
    assert.equal((await same('volume', 'ls', '-q', '--filter', 'name=^a-')).stdout, 'a-1\na-01\n');
    assert.equal((await same('volume', 'ls', '-q', '--filter', 'driver=local', '-f', 'label=com.example.app')).stdout, 'web\n');
    const bad = await same('volume', 'ls', '-f', 'nonsense');
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^invalid argument "nonsense" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n\nUsage: {2}docker volume ls \[OPTIONS\]/);
    const unknown = await same('volume', 'ls', '-f', 'color=red');
    assert.equal(unknown.stderr, "Error response from daemon: invalid filter 'color'\n");
    assert.equal((await same('volume', 'ls', '-f', 'dangling=maybe')).stderr, "Error response from daemon: invalid filter 'dangling=[maybe]'\n");
  });
});

describe('volume create, inspect, rm', () => {
  before(reset);

  test('create prints the name; inspect shows what docker shows', async () => {
    const r = await same('volume', 'create', '--label', 'a=b', '--label', 'flag', '-o', 'uid=1000', '-o', 'mode=0750', 'cvol');
    assert.equal(r.stdout, 'cvol\n');
    const st = await fs.stat(volumes.get('cvol').mountpoint);
    assert.deepEqual([st.uid, st.mode & 0o7777], [1000, 0o750]);
    const i = await same('volume', 'inspect', 'cvol');
    const [v] = JSON.parse(i.stdout) as Volume[];
    assert.deepEqual(Object.keys(v!), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.deepEqual(v!.Labels, { a: 'b', flag: '' });
    assert.deepEqual(Object.entries(v!.Options!), [['mode', '0750'], ['uid', '1000']]);
    assert.equal(v!.Mountpoint, volumes.get('cvol').mountpoint);
    await same('volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{json .Labels}} {{.Options.uid}}', 'cvol');
    await same('volume', 'inspect', '-f', 'json', 'cvol');
    await same('volume', 'create', '--name', 'byflag');
    await same('volume', 'create', 'plain');
    const p = await same('volume', 'inspect', 'plain');
    const [pv] = JSON.parse(p.stdout) as Volume[];
    assert.deepEqual([pv!.Labels, pv!.Options], [{}, {}]);
  });

  test('an anonymous volume', async () => {
    const r = await berth('volume', 'create');
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    const [v] = JSON.parse((await same('volume', 'inspect', r.stdout.trim())).stdout) as Volume[];
    assert.deepEqual(v!.Labels, { 'com.docker.volume.anonymous': '' });
  });

  test('create errors', async () => {
    assert.equal(
      (await same('volume', 'create', 'x/y')).stderr,
      'Error response from daemon: create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n',
    );
    assert.equal((await same('volume', 'create', '-o', 'colour=red', 'zz')).stderr, 'Error response from daemon: create zz: invalid option: "colour"\n');
    assert.equal((await same('volume', 'create', '-o', 'type=tmpfs', 'zz')).stderr, 'Error response from daemon: create zz: missing required option: "device"\n');
    assert.equal((await same('volume', 'create', '-d', 'nfs', 'zz')).stderr, 'Error response from daemon: create zz: error looking up volume plugin nfs: plugin "nfs" not found\n');
    const conflict = await same('volume', 'create', '--name', 'a1', 'a2');
    assert.deepEqual([conflict.stderr, conflict.code], ['conflicting options: cannot specify a volume-name through both --name and as a positional arg\n', 1]);
    const label = await same('volume', 'create', '--label', '=x', 'zz');
    assert.equal(label.code, 125);
    assert.match(label.stderr, /^invalid argument "=x" for "--label" flag: invalid label '=x': empty name\n\nUsage: {2}docker volume create \[OPTIONS\] \[VOLUME\]\n/);
    await same('volume', 'create', '--limit-bytes', 'lots', 'zz');
    const swarm = await same('volume', 'create', '--group', 'g', 'zz');
    assert.equal(swarm.code, 1);
    assert.throws(() => volumes.get('zz'));
  });

  test('inspect errors', async () => {
    const r = await same('volume', 'inspect', 'cvol', 'nope', 'nope2');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: get nope: no such volume\nError response from daemon: get nope2: no such volume\n');
    const bad = await same('volume', 'inspect', '-f', '{{.Name', 'cvol');
    assert.deepEqual([bad.stdout, bad.stderr, bad.code], ['', 'template parsing error: template: :1: unclosed action\n', 64]);
    assert.equal((await same('volume', 'inspect', 'nope')).stdout, '[]\n');
  });

  test('rm: removed names, missing ones, in use', async () => {
    await volumes.create({ name: 'r1' });
    await volumes.create({ name: 'r2' });
    users.set('r2', ['0123456789ab', 'ba9876543210']);
    const r = await berth('volume', 'rm', 'r1', 'nope', 'r2');
    assert.deepEqual(r, {
      stdout: 'r1\n',
      stderr: 'Error response from daemon: get nope: no such volume\nError response from daemon: remove r2: volume is in use - [0123456789ab, ba9876543210]\n',
      code: 1,
    });
    await same('volume', 'rm', 'nope', 'r2');
    await same('volume', 'rm', '-f', 'r2');
    assert.deepEqual(await same('volume', 'rm', '-f', 'nope'), { stdout: 'nope\n', stderr: '', code: 0 });
    users.delete('r2');
    assert.deepEqual(await berth('volume', 'remove', 'r2'), { stdout: 'r2\n', stderr: '', code: 0 });
    assert.throws(() => volumes.get('r2'));
  });

  test('update needs a cluster volume', async () => {
    await same('volume', 'update', 'cvol');
    await same('volume', 'update', 'nope');
  });
});

describe('volume prune', () => {
  /** Two identical setups, one for each CLI: anonymous volumes with content, named ones, one in use. */
  async function setup(): Promise<{ anon: string[] }> {
    await reset();
    const anon: string[] = [];
    for (const size of [1500, 250_000]) {
      const v = await volumes.create({ labels: { grp: '1' } });
      await fs.writeFile(join(v.mountpoint, 'f'), Buffer.alloc(size));
      anon.push(v.name);
    }
    const used = await volumes.create({});
    users.set(used.name, ['c1']);
    const named = await volumes.create({ name: 'named', labels: { grp: '2' } });
    await fs.writeFile(join(named.mountpoint, 'f'), Buffer.alloc(10));
    return { anon };
  }

  async function both(input: string, ...argv: string[]): Promise<{ b: Run; d?: Run; anon: string[] }> {
    const { anon } = await setup();
    const b = asDocker(input ? await berthProcess(input, ...argv) : await berth(...argv));
    if (input) assert.equal(b.stderr, '', 'berth process failed');
    b.stdout = anon.reduce((s, n, i) => s.replaceAll(n, `ANON${i}`), b.stdout);
    if (!HAVE_DOCKER) return { b, anon };
    const again = await setup();
    const d = await docker(input, ...argv);
    d.stdout = again.anon.reduce((s, n, i) => s.replaceAll(n, `ANON${i}`), d.stdout);
    return { b, d, anon };
  }

  test('only unused anonymous volumes; docker output', async () => {
    const { b, d } = await both('', 'volume', 'prune', '-f');
    const lines = b.stdout.split('\n');
    assert.equal(lines[0], 'Deleted Volumes:');
    assert.deepEqual(lines.slice(1, 3).sort(), ['ANON0', 'ANON1']);
    assert.deepEqual(lines.slice(3), ['', 'Total reclaimed space: 251.5kB', '']);
    if (d) assert.deepEqual({ ...b, stdout: lines.slice(3).join('\n') }, { ...d, stdout: d.stdout.split('\n').slice(3).join('\n') });
    assert.deepEqual(volumes.list().map((v) => v.name).sort(), [...users.keys(), 'named'].sort());
  });

  test('--all and filters', async () => {
    let r = await both('', 'volume', 'prune', '-f', '-a', '--filter', 'label=grp=2');
    assert.equal(r.b.stdout, 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 10B\n');
    if (r.d) assert.deepEqual(r.b, r.d);
    r = await both('', 'volume', 'prune', '-f', '--filter', 'label!=grp');
    assert.equal(r.b.stdout, 'Total reclaimed space: 0B\n');
    if (r.d) assert.deepEqual(r.b, r.d);
    r = await both('', 'volume', 'prune', '-f', '--filter', 'all=true', '--filter', 'label=grp=2');
    assert.equal(r.b.stdout, 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 10B\n');
    const conflict = await same('volume', 'prune', '-f', '-a', '--filter', 'all=1');
    assert.deepEqual([conflict.stderr, conflict.code], ['conflicting options: cannot specify both --all and --filter all=1\n', 1]);
    const bad = await same('volume', 'prune', '-f', '--filter', 'dangling=true');
    assert.deepEqual([bad.stderr, bad.code], ["Error response from daemon: invalid filter 'dangling'\n", 1]);
  });

  test('the prompt: no keeps everything, yes prunes', async () => {
    let r = await both('n\n', 'volume', 'prune');
    assert.equal(r.b.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    assert.equal(r.b.code, 0);
    if (r.d) assert.deepEqual(r.b, r.d);
    assert.equal(volumes.list().length, 4);
    r = await both('y\n', 'volume', 'prune', '--all');
    assert.match(r.b.stdout, /^WARNING! This will remove all local volumes not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\] Deleted Volumes:\n/);
    if (r.d) {
      const norm = (s: string) => s.split('\n').sort().join('\n');
      assert.equal(norm(r.b.stdout), norm(r.d.stdout));
    }
  });
});

describe('API shapes (dockerode-style clients)', () => {
  before(reset);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const client = new Client(`unix://${sock}`);
    try {
      const res = await client.request(method, path, body === undefined ? {} : { body });
      let text = '';
      for await (const c of res) text += String(c);
      return { status: res.statusCode!, json: text ? (JSON.parse(text) as unknown) : undefined };
    } finally {
      client.close();
    }
  };

  test('create without a body makes an anonymous volume; list and inspect shapes', async () => {
    const c = await api('POST', '/v1.47/volumes/create');
    assert.equal(c.status, 201);
    const v = c.json as Volume;
    assert.match(v.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
    assert.equal(v.Options, null);
    const l = await api('GET', '/volumes');
    assert.deepEqual(l, { status: 200, json: { Volumes: [v], Warnings: [] } });
    assert.deepEqual(await api('GET', `/volumes/${v.Name}`), { status: 200, json: v });
    assert.deepEqual(await api('GET', '/volumes/nope'), { status: 404, json: { message: 'get nope: no such volume' } });
    assert.deepEqual(await api('POST', '/volumes/create', { Name: 'x', DriverOpts: { a: 1 } }), { status: 400, json: { message: 'invalid request body: DriverOpts.a must be of type string' } });
  });

  test('prune: API < 1.42 prunes named volumes too (Docker)', async () => {
    await reset();
    await volumes.create({ name: 'named' });
    assert.deepEqual(await api('POST', '/v1.47/volumes/prune'), { status: 200, json: { VolumesDeleted: [], SpaceReclaimed: 0 } });
    assert.deepEqual(await api('POST', '/v1.41/volumes/prune'), { status: 200, json: { VolumesDeleted: ['named'], SpaceReclaimed: 0 } });
  });

  test('remove: 204, 404, 409; swarm-only requests: 503', async () => {
    await volumes.create({ name: 'del' });
    users.set('del', ['c1']);
    assert.equal((await api('DELETE', '/volumes/del')).status, 409);
    users.clear();
    assert.deepEqual(await api('DELETE', '/volumes/del'), { status: 204, json: undefined });
    assert.equal((await api('DELETE', '/volumes/del')).status, 404);
    assert.equal((await api('DELETE', '/volumes/del?force=1')).status, 204);
    assert.equal((await api('POST', '/volumes/create', { Name: 'cv', ClusterVolumeSpec: {} })).status, 503);
    assert.equal((await api('PUT', '/volumes/cv?version=1', {})).status, 503);
  });
});

describe('help matches docker', () => {
  for (const argv of [['volume', 'create', '--help'], ['volume', 'ls', '--help'], ['volume', 'inspect', '--help'], ['volume', 'rm', '--help'], ['volume', 'prune', '--help'], ['volume', 'update', '--help'], ['volume', '--help']]) {
    test(argv.join(' '), { skip: !HAVE_DOCKER }, async () => {
      const b = asDocker(await berth(...argv));
      const d = await docker('', ...argv);
      // Known differences of the shared Cli class (command.ts), not of these commands: a leading
      // blank line, aliases listed with the canonical path last, and one description for both
      // the group list and the command's help (docker's rm has a longer one there).
      const norm = (s: string) =>
        s
          .replace(/^\n/, '')
          .replace('Remove one or more volumes. You cannot remove a volume that is in use by a container.', 'Remove one or more volumes').replace(/\nAliases:\n {2}(.*)\n/, (_m, a: string) => `\nAliases:\n  ${a.split(', ').sort().join(', ')}\n`);
      assert.equal(norm(b.stdout), norm(d.stdout));
    });
  }
});

test('naturalLess orders as sortorder.NaturalLess', () => {
  const names = ['v10', 'v2', 'v02', 'a', 'A', 'v1a', 'v1', '10', '9', 'x0001', 'x1'];
  const sorted = [...names].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  assert.deepEqual(sorted, ['9', '10', 'A', 'a', 'v1', 'v1a', 'v2', 'v02', 'v10', 'x1', 'x0001']);
});

test('renderVolumes: sizes and links from UsageData (system df -v style)', () => {
  const v: Volume = { Name: 'x', Driver: 'local', Mountpoint: '/m', Labels: null, Options: null, Scope: 'local', UsageData: { Size: 123_456_789, RefCount: 2 } };
  assert.equal(renderVolumes([v], { format: '{{.Name}} {{.Links}} {{.Size}} [{{.Labels}}]' }), 'x 2 123.5MB []\n');
});
