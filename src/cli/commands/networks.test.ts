/**
 * `network` commands against a fake daemon on a unix socket: berth's output,
 * exit status and requests, compared with the real docker CLI's against the
 * same canned replies (when docker is installed), plus fixed expectations.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Network } from '../../api/types/networks.js';
import { ApiError, Client, ConnectError } from '../../client/client.js';
import { Cli, CliError } from '../command.js';
import type { CliContext } from '../context.js';
import { createIPAMConfig, goTimeRFC3339, ipBytes, registerNetworkCommands } from './networks.js';
import { naturalLess } from '../format/sort.js';
import { registerPortCommand } from './port.js';
import { fakeStreams } from '../../../test/fakes/cli.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

// ---------------------------------------------------------------------------
// Fake daemon + the two CLIs

export interface Reply {
  status?: number;
  body?: unknown;
}

export interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** "METHOD /path" (no version prefix) → reply. */
export type Routes = Record<string, Reply>;

export interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  seen: Seen[];
}

let dir = '';
let seq = 0;

export function fakeDaemon(routes: Routes): Promise<{ sock: string; seen: Seen[]; close(): Promise<void> }> {
  const sock = join(dir, `d${seq++}.sock`);
  const seen: Seen[] = [];
  const srv: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/v[\d.]+/, '');
      if (path === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.47', OSType: 'linux', 'Content-Type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      seen.push({ method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), body: text ? JSON.parse(text) : undefined });
      const r = routes[`${req.method} ${path}`];
      if (!r) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `no route ${req.method} ${path}` }));
        return;
      }
      const status = r.status ?? 200;
      if (r.body === undefined) {
        res.writeHead(status);
        res.end();
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  return new Promise((resolve, reject) => {
    srv.on('error', reject);
    srv.listen(sock, () => resolve({ sock, seen, close: () => new Promise<void>((r) => srv.close(() => r())) }));
  });
}

export async function runDocker(routes: Routes, argv: string[], stdin = ''): Promise<Run> {
  const d = await fakeDaemon(routes);
  try {
    return await new Promise<Run>((resolve) => {
      const p = spawn('docker', ['-H', `unix://${d.sock}`, ...argv], {
        env: { PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: join(dir, 'cfg'), ...(process.env['TZ'] ? { TZ: process.env['TZ'] } : {}) },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (x: Buffer) => (stdout += x.toString()));
      p.stderr.on('data', (x: Buffer) => (stderr += x.toString()));
      p.stdin.end(stdin);
      p.on('close', (code) => resolve({ stdout, stderr, code, seen: d.seen }));
    });
  } finally {
    await d.close();
  }
}

/** berth in process: the commands under test, and main's handling of what they throw. */
export async function runBerth(routes: Routes, argv: string[]): Promise<Run> {
  const d = await fakeDaemon(routes);
  let stdout = '';
  let stderr = '';
  const client = new Client(`unix://${d.sock}`);
  const ctx: CliContext = {
    host: `unix://${d.sock}`,
    client: () => client,
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    ...fakeStreams((s) => (stdout += s), (s) => (stderr += s)),
  };
  const cli = new Cli<CliContext>(ctx, () => 'help\n');
  registerNetworkCommands(cli);
  registerPortCommand(cli);
  let code: number;
  try {
    code = await cli.run(() => ctx, argv);
  } catch (e) {
    if (e instanceof ApiError) {
      stderr += `Error response from daemon: ${e.message}\n`;
      code = 1;
    } else if (e instanceof ConnectError) {
      stderr += `${e.message}\n`;
      code = 1;
    } else if (e instanceof CliError) {
      if (e.message) stderr += `${e.message}\n`;
      code = e.status;
    } else throw e;
  } finally {
    client.close();
    await d.close();
  }
  return { stdout, stderr, code, seen: d.seen };
}

/** docker's texts as berth prints them. */
export const asBerth = (s: string): string =>
  s.replaceAll('docker: ', 'berth: ').replace(/(['"\s]|^)docker (network|port|container)\b/g, '$1berth $2');

/** Filters in the query as name → sorted values, whichever form the client sent. */
function filtersOf(q: Record<string, string>): Record<string, string[]> | undefined {
  if (!q['filters']) return undefined;
  const raw = JSON.parse(q['filters']) as Record<string, string[] | Record<string, boolean>>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, (Array.isArray(v) ? v : Object.keys(v)).sort()]));
}

/** What a request means, for comparing berth's with docker's. */
function requestOf(s: Seen, bodyKeys?: (body: Record<string, unknown>) => unknown): unknown {
  const { filters: _f, ...rest } = s.query;
  return {
    method: s.method,
    path: s.path,
    query: rest,
    filters: filtersOf(s.query),
    body: s.body === undefined ? undefined : bodyKeys ? bodyKeys(s.body as Record<string, unknown>) : sortPools(s.body),
  };
}

/** docker builds IPAM.Config from a Go map: its order is random. */
function sortPools(body: unknown): unknown {
  const ipam = (body as { IPAM?: { Config?: { Subnet: string }[] } }).IPAM;
  if (!ipam?.Config) return body;
  return { ...(body as object), IPAM: { ...ipam, Config: [...ipam.Config].sort((a, b) => (a.Subnet < b.Subnet ? -1 : 1)) } };
}

/**
 * Runs both CLIs on the same replies; berth must print what docker prints
 * (with its own name), exit the same way and send the same requests.
 */
async function same(routes: Routes, argv: string[], opts: { bodyKeys?: (b: Record<string, unknown>) => unknown } = {}): Promise<Run> {
  const b = await runBerth(routes, argv);
  if (!HAVE_DOCKER) return b;
  const d = await runDocker(routes, argv);
  assert.equal(b.stdout, asBerth(d.stdout), `stdout of ${argv.join(' ')}`);
  assert.equal(b.stderr, asBerth(d.stderr), `stderr of ${argv.join(' ')}`);
  assert.equal(b.code, d.code, `exit status of ${argv.join(' ')}`);
  // docker asks for each network before removing it (ingress check); berth does not need to.
  const relevant = (r: Run) => r.seen.filter((s) => !((argv[1] === 'rm' || argv[1] === 'remove') && s.method === 'GET'));
  assert.deepEqual(
    relevant(b).map((s) => requestOf(s, opts.bodyKeys)),
    relevant(d).map((s) => requestOf(s, opts.bodyKeys)),
    `requests of ${argv.join(' ')}`,
  );
  return b;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-netcli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Fixtures

function net(name: string, id: string, over: Partial<Network> = {}): Network {
  return {
    Name: name,
    Id: id,
    Created: '2024-01-02T03:04:05Z',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
    ...over,
  };
}

const LIST: Network[] = [
  net('net10', '13e871235c677f196c4e1ecebb9dc733b9b2d2ab589e30c539efeda84a24215e', {
    Created: '2024-01-02T03:04:05.123456789+01:00',
    EnableIPv6: true,
    Internal: true,
  }),
  net('bridge', 'f2de39df4171b0dc801e8002d1d999b77256983dfc63041c0f34030aa3977566', {
    Created: '2016-10-19T06:21:00.416543526Z',
    // One label: docker prints labels in Go's random map order.
    Labels: { 'com.example.tier': 'front' },
    Options: { 'com.docker.network.bridge.default_bridge': 'true' },
  }),
  net('none', 'e086a3893b05ab69242d3c44e49483a3bbbd3a26b46baa8f61ab797c1088d794', { Created: '0001-01-01T00:00:00Z', Driver: 'null' }),
  net('net9', '23e871235c677f196c4e1ecebb9dc733b9b2d2ab589e30c539efeda84a24215e', { Created: '2024-01-02T03:04:05.100Z' }),
  net('Net-a', '33e871235c677f196c4e1ecebb9dc733b9b2d2ab589e30c539efeda84a24215e', { Driver: 'macvlan' }),
];

const FRONT = net('front', 'aa86d31b1478e7cca9ebed7e73aa0fdeec46c5ca29497431d3007d2d9e15ed99', {
  Created: '2024-05-01T10:00:00.123456789Z',
  IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.19.0.0/16', Gateway: '172.19.0.1' }, { Subnet: 'fd00::/64', IPRange: 'fd00::/80' }] },
  Containers: {
    '19a4d5d687db25203351ed79d478946f861258f018fe384f229f2efa4b23513c': {
      Name: 'web',
      EndpointID: '628cadb8bcb92de107b2a1e516cbffe463e321f548feb37697cce00ad694f21a',
      MacAddress: '02:42:ac:13:00:02',
      IPv4Address: '172.19.0.2/16',
      IPv6Address: '',
    },
  },
  Options: { 'com.docker.network.bridge.name': 'br-front' },
  Labels: { tier: '<web> & co' },
});

const ROUTES: Routes = {
  'GET /networks': { body: LIST },
  'GET /networks/front': { body: FRONT },
  'GET /networks/missing': { status: 404, body: { message: 'network missing not found' } },
  'GET /networks/bridge': { body: LIST[1] },
  'GET /networks/net9': { body: LIST[3] },
  'GET /networks/net10': { body: LIST[0] },
  'DELETE /networks/front': { status: 204 },
  'DELETE /networks/missing': { status: 404, body: { message: 'network missing not found' } },
  'DELETE /networks/bridge': { status: 403, body: { message: 'bridge is a pre-defined network and cannot be removed' } },
  'DELETE /networks/busy': { status: 409, body: { message: 'error while removing network: network busy id 1234 has active endpoints' } },
  'POST /networks/create': { status: 201, body: { Id: '22be93d5babb089c5aab8dbc369042fad48ff791584ca2da2100db837a1c7c30', Warning: '' } },
  'POST /networks/front/connect': { status: 200 },
  'POST /networks/front/disconnect': { status: 200 },
  'POST /networks/missing/connect': { status: 404, body: { message: 'network missing not found' } },
  'POST /networks/missing/disconnect': { status: 404, body: { message: 'network missing not found' } },
  'POST /networks/prune': { body: { NetworksDeleted: ['net9', 'net10'] } },
};

// ---------------------------------------------------------------------------

describe('network ls', () => {
  it("prints docker's table, sorted naturally by name, with 12-character IDs", async () => {
    const r = await same(ROUTES, ['network', 'ls']);
    assert.equal(
      r.stdout,
      'NETWORK ID     NAME      DRIVER    SCOPE\n' +
        '33e871235c67   Net-a     macvlan   local\n' +
        'f2de39df4171   bridge    bridge    local\n' +
        '23e871235c67   net9      bridge    local\n' +
        '13e871235c67   net10     bridge    local\n' +
        'e086a3893b05   none      null      local\n',
    );
    assert.equal(r.code, 0);
  });

  it('--no-trunc shows full IDs', async () => {
    const r = await same(ROUTES, ['network', 'ls', '--no-trunc']);
    assert.match(r.stdout, /^f2de39df4171b0dc801e8002d1d999b77256983dfc63041c0f34030aa3977566 {3}bridge {4}bridge {4}local$/m);
  });

  it('-q prints IDs only', async () => {
    const r = await same(ROUTES, ['network', 'ls', '-q']);
    assert.equal(r.stdout, '33e871235c67\nf2de39df4171\n23e871235c67\n13e871235c67\ne086a3893b05\n');
    await same(ROUTES, ['network', 'ls', '-q', '--no-trunc']);
  });

  it('--format json: one object per network, sorted keys', async () => {
    const r = await same(ROUTES, ['network', 'ls', '--format', 'json']);
    const first = r.stdout.split('\n')[1];
    assert.equal(
      first,
      '{"CreatedAt":"2016-10-19 06:21:00.416543526 +0000 UTC","Driver":"bridge","ID":"f2de39df4171","IPv4":"false","IPv6":"false","Internal":"false","Labels":"com.example.tier=front","Name":"bridge","Scope":"local"}',
    );
  });

  it('custom templates see every field, and Label', async () => {
    await same(ROUTES, ['network', 'ls', '--format', '{{.ID}} {{.Name}} {{.IPv4}} {{.IPv6}} {{.Internal}} {{.Labels}} {{.Label "com.example.tier"}}']);
    // Several labels: key=value pairs joined by commas.
    const two = await runBerth({ 'GET /networks': { body: [net('x', 'a'.repeat(64), { Labels: { b: '2', a: '1' } })] } }, ['network', 'ls', '--format', '{{.Labels}}|{{.Label "b"}}|{{.Label "c"}}']);
    assert.equal(two.stdout, 'b=2,a=1|2|\n');
    await same(ROUTES, ['network', 'ls', '--format', '{{.Name}}: {{.CreatedAt}}']);
  });

  it('table templates get docker headers', async () => {
    const r = await same(ROUTES, ['network', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}\t{{.Label "com.example.tier"}}\t{{.IPv6}}\t{{.Internal}}\t{{.CreatedAt}}']);
    assert.match(r.stdout, /^NAME {6}DRIVER {4}tier {6}IPV6 {6}INTERNAL {3}CREATED AT/);
  });

  it('raw format, and -q with it', async () => {
    await same(ROUTES, ['network', 'ls', '--format', 'raw']);
    await same(ROUTES, ['network', 'ls', '--format', 'raw', '-q']);
  });

  it('a custom format wins over -q', async () => {
    const r = await same(ROUTES, ['network', 'ls', '-q', '--format', '{{.Name}}']);
    assert.equal(r.stdout, 'Net-a\nbridge\nnet9\nnet10\nnone\n');
  });

  it('sends --filter values to the daemon', async () => {
    const r = await same(ROUTES, ['network', 'ls', '-f', 'driver=bridge', '--filter', 'label=a=1', '-f', 'driver=null']);
    assert.deepEqual(JSON.parse(r.seen[0]!.query['filters']!), { driver: ['bridge', 'null'], label: ['a=1'] });
  });

  it('rejects a filter without "=" like pflag', async () => {
    const r = await same(ROUTES, ['network', 'ls', '--filter', 'foo']);
    assert.equal(r.code, 125);
    assert.equal(
      r.stderr,
      'invalid argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth network ls [OPTIONS]\n\nRun \'berth network ls --help\' for more information\n',
    );
  });

  it('accepts no arguments; list is an alias', async () => {
    const r = await same(ROUTES, ['network', 'ls', 'x']);
    assert.equal(r.code, 1);
    await same(ROUTES, ['network', 'list', '-q']);
  });

  it('shows a template error', async () => {
    const r = await runBerth(ROUTES, ['network', 'ls', '--format', '{{.Name']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^template parsing error: /);
  });
});

describe('network inspect', () => {
  it('prints the objects as an indented JSON array', async () => {
    const r = await same(ROUTES, ['network', 'inspect', 'front']);
    assert.ok(r.stdout.startsWith('[\n    {\n        "Name": "front",\n        "Id": "aa86d31b'));
    assert.match(r.stdout, /"tier": "<web> & co"/);
  });

  it('prints what it found, then the errors, and exits 1', async () => {
    const r = await same(ROUTES, ['network', 'inspect', 'missing', 'front']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: network missing not found\n');
    assert.equal((await same(ROUTES, ['network', 'inspect', 'missing'])).stdout, '[]\n');
  });

  it('-f runs templates, with docker\'s field names and errors', async () => {
    let r = await same(ROUTES, ['network', 'inspect', '-f', '{{.Name}} {{.Id}} {{.Driver}} {{.Scope}} {{.Internal}} {{.EnableIPv6}}', 'front', 'bridge']);
    assert.equal(r.stdout, `front ${FRONT.Id} bridge local false false\nbridge ${LIST[1]!.Id} bridge local false false\n`);
    // The Go struct's field name works too.
    r = await same(ROUTES, ['network', 'inspect', '-f', '{{.ID}} {{.Name}}', 'front']);
    assert.equal(r.stdout, `${FRONT.Id} front\n`);
    r = await same(ROUTES, ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}|{{.Gateway}}|{{.IPRange}};{{end}}', 'front']);
    assert.equal(r.stdout, '172.19.0.0/16|172.19.0.1|;fd00::/64||fd00::/80;\n');
    await same(ROUTES, ['network', 'inspect', '-f', '{{range $id, $c := .Containers}}{{$id}} {{$c.Name}} {{$c.IPv4Address}}{{end}}', 'front']);
    await same(ROUTES, ['network', 'inspect', '-f', '{{json .IPAM}} {{json .Labels}} {{.Options}}', 'front']);
    await same(ROUTES, ['network', 'inspect', '-f', '{{json .}}', 'front']);
    // Times as Go re-encodes them (no trailing zeros), offsets kept.
    r = await same(ROUTES, ['network', 'inspect', '-f', '{{json .}}', 'net9', 'net10']);
    assert.match(r.stdout, /"Created":"2024-01-02T03:04:05.1Z"/);
    assert.match(r.stdout, /"Created":"2024-01-02T03:04:05.123456789\+01:00"/);
    await same(ROUTES, ['network', 'inspect', '-f', 'json', 'front', 'missing']);
    await same(ROUTES, ['network', 'inspect', '-f', '{{.EnableIPv4}} {{.ConfigFrom.Network}}|{{index .Labels "tier"}}', 'front']);
    r = await same(ROUTES, ['network', 'inspect', '-f', '{{.Nope}}', 'front']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '\n');
  });

  it('a template that does not parse fails first, with status 64', async () => {
    const r = await same(ROUTES, ['network', 'inspect', '-f', '{{.Name', 'front']);
    assert.equal(r.code, 64);
    assert.deepEqual(r.seen, []);
  });

  it('-v asks for verbose output', async () => {
    const r = await same(ROUTES, ['network', 'inspect', '-v', 'front']);
    assert.equal(r.seen[0]!.query['verbose'], 'true');
  });
});

describe('network rm', () => {
  it('prints each removed name, the errors as they come, then "exit status 1"', async () => {
    const r = await same(ROUTES, ['network', 'rm', 'front', 'missing', 'bridge', 'busy']);
    assert.equal(r.stdout, 'front\n');
    assert.equal(
      r.stderr,
      'Error response from daemon: network missing not found\n' +
        'Error response from daemon: bridge is a pre-defined network and cannot be removed\n' +
        'Error response from daemon: error while removing network: network busy id 1234 has active endpoints\n' +
        'exit status 1\n',
    );
    assert.equal(r.code, 1);
  });

  it('-f ignores networks that do not exist; remove is an alias', async () => {
    const r = await same(ROUTES, ['network', 'remove', '-f', 'missing', 'front']);
    assert.equal(r.stdout, 'front\n');
    assert.equal(r.code, 0);
  });
});

describe('network create', () => {
  const create = (...a: string[]) => ['network', 'create', ...a];

  it('prints the new ID and sends docker\'s body', async () => {
    const r = await same(ROUTES, create('n1'));
    assert.equal(r.stdout, '22be93d5babb089c5aab8dbc369042fad48ff791584ca2da2100db837a1c7c30\n');
    assert.deepEqual(r.seen[0]!.body, {
      Driver: 'bridge',
      Scope: '',
      IPAM: { Driver: 'default', Options: {}, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigOnly: false,
      ConfigFrom: null,
      Options: {},
      Labels: {},
      Name: 'n1',
    });
  });

  it('sends every option', async () => {
    const r = await same(
      ROUTES,
      create('-d', 'bridge', '--subnet', '172.20.0.0/16', '--gateway', '172.20.0.1', '--ip-range', '172.20.10.0/24', '--internal', '--attachable', '--ipv6', '--label', 'x=y', '--label', 'z', '--label', 'a=b=c', '-o', 'foo=bar', '--opt', 'flag', '--ipam-driver', 'default', '--ipam-opt', 'k=v', 'n1'),
    );
    const body = r.seen[0]!.body as Record<string, unknown>;
    assert.deepEqual(body['IPAM'], { Driver: 'default', Options: { k: 'v' }, Config: [{ Subnet: '172.20.0.0/16', IPRange: '172.20.10.0/24', Gateway: '172.20.0.1' }] });
    assert.deepEqual(body['Labels'], { x: 'y', z: '', a: 'b=c' });
    assert.deepEqual(body['Options'], { foo: 'bar', flag: '' });
    assert.equal(body['EnableIPv6'], true);
    assert.equal(body['Internal'], true);
    assert.equal(body['Attachable'], true);
  });

  it('matches gateways and ranges to their subnets', async () => {
    await same(ROUTES, create('--subnet', '10.1.0.0/16,10.2.0.0/16', '--gateway', '10.2.0.1,10.1.0.1', 'n1'));
    await same(ROUTES, create('--subnet', '10.1.0.0/16', '--gateway', '10.1.0.1', '--subnet', '10.2.0.0/16', 'n1'));
    await same(ROUTES, create('--subnet', '10.0.0.0/8', '--subnet', 'fd00::/64', '--gateway', 'fd00::1', '--gateway', '10.0.0.1', '--ip-range', '10.1.0.0/16', 'n1'));
    await same(ROUTES, create('--subnet', '10.0.0.0/8', '--gateway', '::ffff:10.0.0.1', 'n1'));
    await same(ROUTES, create('--subnet', '10.0.0.0/8', '--gateway', '10.0.0.1/8', 'n1'));
    await same(ROUTES, create('--subnet', '10.1.0.5/16', '--ip-range', '10.1.1.5/24', 'n1'));
    await same(ROUTES, create('--subnet', 'foo', 'n1'));
    await same(ROUTES, create('--ipv6=false', 'n1'));
  });

  const failures: [string[], string][] = [
    [['--gateway', '10.1.0.1'], 'every ip-range or gateway must have a corresponding subnet'],
    [['--subnet', '10.1.0.0/16', '--gateway', '10.1.0.1', '--gateway', '10.1.0.2'], 'every ip-range or gateway must have a corresponding subnet'],
    [['--subnet', '10.1.0.0/16', '--gateway', '10.2.0.1'], 'no matching subnet for gateway 10.2.0.1'],
    [['--subnet', '10.1.0.0/16', '--gateway', 'foo'], 'no matching subnet for gateway foo'],
    [['--subnet', '10.1.0.0/16', '--ip-range', '10.2.0.0/24'], 'no matching subnet for range 10.2.0.0/24'],
    [['--subnet', '10.1.0.0/16', '--ip-range', 'foo'], 'invalid CIDR address: foo'],
    [['--subnet', '10.1.0.0/16', '--ip-range', '10.1.0.0/33'], 'invalid CIDR address: 10.1.0.0/33'],
    [['--subnet', 'foo', '--ip-range', 'bar'], 'invalid CIDR address: bar'],
    [['--subnet', 'foo', '--subnet', '10.0.0.0/8'], 'invalid subnet: invalid CIDR address: foo'],
    [['--subnet', '10.0.0.0/8', '--subnet', 'foo'], 'invalid subnet: invalid CIDR address: foo'],
    [['--subnet', '10.0.0.0/8', '--subnet', '10.1.0.0/16'], 'multiple overlapping subnet configuration is not supported'],
    [['--subnet', '10.1.0.0/16,10.2.0.0/16', '--gateway', '10.1.0.1', '--gateway', '10.1.0.2'], 'cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet (10.1.0.0/16)'],
    [['--subnet', '10.1.0.0/16,10.2.0.0/16', '--ip-range', '10.1.1.0/24', '--ip-range', '10.1.2.0/24'], 'cannot configure multiple ranges (10.1.2.0/24, 10.1.1.0/24) on the same subnet (10.1.0.0/16)'],
  ];
  for (const [flags, message] of failures) {
    it(`fails with "${message}" for ${flags.join(' ')}`, async () => {
      const r = await same(ROUTES, create(...flags, 'n1'));
      assert.equal(r.stderr, `${message}\n`);
      assert.equal(r.code, 1);
      assert.deepEqual(r.seen, []);
    });
  }

  it('rejects bad labels as flag errors', async () => {
    let r = await same(ROUTES, create('--label', '=x', 'n1'));
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `invalid argument "=x" for "--label" flag: invalid label '=x': empty name\n\nUsage:  berth network create [OPTIONS] NETWORK\n\nRun 'berth network create --help' for more information\n`);
    r = await same(ROUTES, create('--label', 'a\tb=1', 'n1'));
    assert.equal(r.code, 125);
  });

  it('needs exactly one name', async () => {
    assert.equal((await same(ROUTES, create())).code, 1);
    assert.equal((await same(ROUTES, create('a', 'b'))).code, 1);
  });

  it('shows the daemon error', async () => {
    const routes = { ...ROUTES, 'POST /networks/create': { status: 409, body: { message: 'network with name n1 already exists' } } };
    const r = await same(routes, create('n1'));
    assert.equal(r.stderr, 'Error response from daemon: network with name n1 already exists\n');
    assert.equal(r.code, 1);
  });
});

describe('network connect / disconnect', () => {
  /** docker also sends Go's zero values; compare what matters. */
  const endpoint = (b: Record<string, unknown>) => {
    const ep = (b['EndpointConfig'] ?? {}) as Record<string, unknown>;
    return {
      Container: b['Container'],
      IPAMConfig: ep['IPAMConfig'],
      Links: ep['Links'],
      Aliases: ep['Aliases'],
      DriverOpts: ep['DriverOpts'],
    };
  };

  it('connects with aliases, addresses and links', async () => {
    const r = await same(
      ROUTES,
      ['network', 'connect', '--alias', 'x', '--alias', 'y,z', '--ip', '172.19.0.5', '--ip6', 'fd00::5', '--link', 'web:w', '--link', 'db', '--link-local-ip', '169.254.0.5', '--driver-opt', 'a=b', 'front', 'c1'],
      { bodyKeys: endpoint },
    );
    assert.equal(r.stdout, '');
    assert.equal(r.code, 0);
    assert.deepEqual(r.seen[0]!.body, {
      Container: 'c1',
      EndpointConfig: {
        IPAMConfig: { IPv4Address: '172.19.0.5', IPv6Address: 'fd00::5', LinkLocalIPs: ['169.254.0.5'] },
        Links: ['web:w', 'db'],
        Aliases: ['x', 'y', 'z'],
        DriverOpts: { a: 'b' },
      },
    });
  });

  it('connects with no options', async () => {
    await same(ROUTES, ['network', 'connect', 'front', 'c1'], { bodyKeys: endpoint });
  });

  it('rejects bad links as flag errors', async () => {
    let r = await same(ROUTES, ['network', 'connect', '--link', 'a:b:c', 'front', 'c1'], { bodyKeys: endpoint });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c\n\nUsage: {2}berth network connect/);
    r = await same(ROUTES, ['network', 'connect', '--link', '', 'front', 'c1'], { bodyKeys: endpoint });
    assert.equal(r.code, 125);
  });

  it('shows daemon errors and usage errors', async () => {
    const r = await same(ROUTES, ['network', 'connect', 'missing', 'c1'], { bodyKeys: endpoint });
    assert.equal(r.stderr, 'Error response from daemon: network missing not found\n');
    assert.equal(r.code, 1);
    assert.equal((await same(ROUTES, ['network', 'connect', 'front'])).code, 1);
  });

  it('disconnects, with -f as Force', async () => {
    let r = await same(ROUTES, ['network', 'disconnect', 'front', 'c1']);
    assert.deepEqual(r.seen[0]!.body, { Container: 'c1', Force: false });
    r = await same(ROUTES, ['network', 'disconnect', '-f', 'front', 'c1']);
    assert.deepEqual(r.seen[0]!.body, { Container: 'c1', Force: true });
    r = await same(ROUTES, ['network', 'disconnect', 'missing', 'c1']);
    assert.equal(r.code, 1);
    assert.equal((await same(ROUTES, ['network', 'disconnect', 'front'])).code, 1);
  });
});

describe('network prune', () => {
  it('-f prints the deleted networks', async () => {
    const r = await same(ROUTES, ['network', 'prune', '-f']);
    assert.equal(r.stdout, 'Deleted Networks:\nnet9\nnet10\n\n');
  });

  it('prints nothing when nothing was deleted', async () => {
    for (const NetworksDeleted of [[], null]) {
      const r = await same({ 'POST /networks/prune': { body: { NetworksDeleted } } }, ['network', 'prune', '-f']);
      assert.equal(r.stdout, '');
    }
  });

  it('sends --filter values', async () => {
    const r = await same(ROUTES, ['network', 'prune', '-f', '--filter', 'until=10m', '--filter', 'label=a']);
    assert.deepEqual(JSON.parse(r.seen[0]!.query['filters']!), { until: ['10m'], label: ['a'] });
    const bad = await same(ROUTES, ['network', 'prune', '--filter', 'foo']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^invalid argument "foo" for "--filter" flag: bad format of filter/);
  });

  it('asks first, and does nothing unless told yes', async () => {
    // confirm() reads the process's stdin, so run the CLI in a child process.
    const script = `
      import { Cli } from './src/cli/command.ts';
      import { Client, ApiError } from './src/client/client.ts';
      import { registerNetworkCommands } from './src/cli/commands/networks.ts';
      const client = new Client(process.env.SOCK);
      const ctx = { host: '', client: () => client, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), stdoutIsTTY: false, stdinIsTTY: false, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
      const cli = new Cli(ctx, () => '');
      registerNetworkCommands(cli);
      const code = await cli.run(() => ctx, ['network', 'prune']);
      client.close();
      process.exit(code);
    `;
    for (const [answer, wantOut, wantRequests] of [
      ['n\n', '', 0],
      ['y\n', 'Deleted Networks:\nnet9\nnet10\n\n', 1],
      ['', '', 0],
    ] as const) {
      const d = await fakeDaemon(ROUTES);
      const r = await new Promise<{ out: string; code: number | null }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../../..'), env: { ...process.env, SOCK: `unix://${d.sock}` } });
        let out = '';
        p.stdout.on('data', (x: Buffer) => (out += x.toString()));
        p.stdin.end(answer);
        p.on('close', (code) => resolve({ out, code }));
      });
      await d.close();
      assert.equal(r.out, `WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ${wantOut}`);
      assert.equal(r.code, 0);
      assert.equal(d.seen.length, wantRequests);
      if (HAVE_DOCKER) {
        const dk = await runDocker(ROUTES, ['network', 'prune'], answer);
        assert.equal(r.out, dk.stdout);
        assert.equal(r.code, dk.code);
      }
    }
  });
});

describe('helpers', () => {
  it('naturalLess orders like sortorder.NaturalLess', () => {
    const sorted = ['net10', 'net9', 'a', 'B', 'net09', 'net1', '10', '9', 'net', '8080/tcp -> [::]:80', '8080/tcp -> 0.0.0.0:80'].sort((a, b) =>
      naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0,
    );
    assert.deepEqual(sorted, ['9', '10', '8080/tcp -> 0.0.0.0:80', '8080/tcp -> [::]:80', 'B', 'a', 'net', 'net1', 'net9', 'net09', 'net10']);
  });

  it("goTimeRFC3339 prints Go's time.Time.String()", () => {
    assert.equal(goTimeRFC3339('2016-10-19T06:21:00.416543526Z'), '2016-10-19 06:21:00.416543526 +0000 UTC');
    assert.equal(goTimeRFC3339('0001-01-01T00:00:00Z'), '0001-01-01 00:00:00 +0000 UTC');
    assert.equal(goTimeRFC3339('2024-01-02T03:04:05.100Z'), '2024-01-02 03:04:05.1 +0000 UTC');
    if (new Date('2024-01-02T03:04:05Z').getTimezoneOffset() === 0) {
      assert.equal(goTimeRFC3339('2024-01-02T03:04:05.123456789+01:00'), '2024-01-02 03:04:05.123456789 +0100 +0100');
      assert.equal(goTimeRFC3339('2024-01-02T03:04:05-05:30'), '2024-01-02 03:04:05 -0530 -0530');
    }
  });

  it('ipBytes parses like net.ParseIP', () => {
    assert.deepEqual(ipBytes('10.0.0.1'), [10, 0, 0, 1]);
    assert.deepEqual(ipBytes('::ffff:10.0.0.1'), [10, 0, 0, 1]);
    assert.deepEqual(ipBytes('fd00::1'), [0xfd, 0, ...new Array(13).fill(0), 1]);
    assert.deepEqual(ipBytes('::'), new Array(16).fill(0));
    assert.equal(ipBytes('010.0.0.1'), null);
    assert.equal(ipBytes('fe80::1%eth0'), null);
    assert.equal(ipBytes('foo'), null);
  });

  it('createIPAMConfig keeps the subnets in order', () => {
    assert.deepEqual(createIPAMConfig(['10.2.0.0/16', '10.1.0.0/16'], ['10.1.5.0/24'], ['10.2.0.1']), [
      { Subnet: '10.2.0.0/16', Gateway: '10.2.0.1' },
      { Subnet: '10.1.0.0/16', IPRange: '10.1.5.0/24' },
    ]);
  });
});
