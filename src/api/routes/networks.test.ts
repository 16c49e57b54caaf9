/**
 * The network routes over a real ApiServer on a temp socket, with a fake
 * backend: body validation, query and filter parsing, status codes, and the
 * docker CLI's own requests (when it is installed).
 */
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { notFound } from '../../errdefs/errdefs.js';
import { createLogger } from '../../util/log.js';
import type { Filters } from '../filters.js';
import { ApiServer } from '../server.js';
import type { Network, NetworkCreateRequest, NetworkEndpointConfig } from '../types/networks.js';
import { filterNetworks, networkRoutes, type NetworkBackend } from './networks.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

function net(name: string, over: Partial<Network> = {}): Network {
  return {
    Name: name,
    Id: (name + '0123456789abcdef').repeat(8).slice(0, 64),
    Created: '2024-05-01T10:00:00.123456789Z',
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

const USED = { ['c'.repeat(64)]: { Name: 'web', EndpointID: 'e'.repeat(64), MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '' } };

const NETWORKS: Network[] = [
  net('bridge', { Id: 'b'.repeat(64), Options: { 'com.docker.network.bridge.default_bridge': 'true' }, Containers: USED }),
  net('host', { Id: 'a1'.repeat(32), Driver: 'host', IPAM: { Driver: 'default', Options: null, Config: [] } }),
  net('none', { Id: 'a2'.repeat(32), Driver: 'null', IPAM: { Driver: 'default', Options: null, Config: [] } }),
  net('front', { Id: 'f0'.repeat(32), Labels: { tier: 'web', env: 'prod' }, Containers: USED }),
  net('back', { Id: 'ba'.repeat(32), Labels: { tier: 'db' } }),
  net('backup', { Id: 'bb'.repeat(32), Driver: 'macvlan' }),
];

interface Call {
  op: string;
  args: unknown[];
}

class FakeBackend implements NetworkBackend {
  calls: Call[] = [];
  async list(): Promise<Network[]> {
    this.calls.push({ op: 'list', args: [] });
    return NETWORKS.map((n) => structuredClone(n));
  }
  async inspect(idOrName: string, opts: { verbose: boolean }): Promise<Network> {
    this.calls.push({ op: 'inspect', args: [idOrName, opts] });
    const n = NETWORKS.find((x) => x.Name === idOrName || x.Id.startsWith(idOrName));
    if (!n) throw notFound(`network ${idOrName} not found`);
    return n;
  }
  async create(req: NetworkCreateRequest) {
    this.calls.push({ op: 'create', args: [req] });
    return { Id: 'd'.repeat(64), Warning: '' };
  }
  async remove(idOrName: string) {
    this.calls.push({ op: 'remove', args: [idOrName] });
    if (idOrName === 'missing') throw notFound('network missing not found');
  }
  async connect(idOrName: string, container: string, endpoint: NetworkEndpointConfig | undefined) {
    this.calls.push({ op: 'connect', args: [idOrName, container, endpoint] });
  }
  async disconnect(idOrName: string, container: string, force: boolean) {
    this.calls.push({ op: 'disconnect', args: [idOrName, container, force] });
  }
  async prune(filters: Filters) {
    this.calls.push({ op: 'prune', args: [Object.fromEntries(filters)] });
    return { NetworksDeleted: filters.has('label') ? ['back'] : [] };
  }
}

let dir = '';
let sock = '';
let server: ApiServer;
const backend = new FakeBackend();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-netroutes-'));
  sock = join(dir, 'api.sock');
  server = new ApiServer({
    socketPath: sock,
    log: createLogger({ write: () => {} }),
    serverHeader: 'Docker/27.0.0 (linux)',
    routes: [
      // What the docker CLI asks first.
      { method: 'GET', pattern: '/_ping', handler: (ctx) => ctx.text(200, 'OK') },
      ...networkRoutes(backend),
    ],
  });
  await server.listen();
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  backend.calls = [];
});

interface Reply {
  status: number;
  body: string;
  json: unknown;
}

function call(method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      { socketPath: sock, method, path, headers: data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, body: text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const q = (filters: Record<string, string[]>) => `filters=${encodeURIComponent(JSON.stringify(filters))}`;
const names = (r: Reply) => (r.json as Network[]).map((n) => n.Name).sort();

describe('GET /networks', () => {
  it('lists every network without their containers (API ≥ 1.28)', async () => {
    const r = await call('GET', '/v1.47/networks');
    assert.equal(r.status, 200);
    const list = r.json as Network[];
    assert.deepEqual(names(r), ['back', 'backup', 'bridge', 'front', 'host', 'none']);
    for (const n of list) assert.deepEqual(n.Containers, {});
    assert.equal(list.find((n) => n.Name === 'bridge')!.Options['com.docker.network.bridge.default_bridge'], 'true');
  });

  it('keeps the containers for clients older than 1.28', async () => {
    const r = await call('GET', '/v1.27/networks');
    const bridge = (r.json as Network[]).find((n) => n.Name === 'bridge')!;
    assert.deepEqual(Object.keys(bridge.Containers), ['c'.repeat(64)]);
  });

  const cases: [string, Record<string, string[]>, string[]][] = [
    ['driver (exact)', { driver: ['bridge'] }, ['back', 'bridge', 'front']],
    ['driver (several)', { driver: ['host', 'null'] }, ['host', 'none']],
    ['name (substring/regexp)', { name: ['back'] }, ['back', 'backup']],
    ['name (anchored regexp)', { name: ['^back$'] }, ['back']],
    ['id (prefix)', { id: ['f0f0'] }, ['front']],
    ['label key', { label: ['tier'] }, ['back', 'front']],
    ['label key=value', { label: ['tier=web'] }, ['front']],
    ['labels all match', { label: ['tier=web', 'env'] }, ['front']],
    ['scope', { scope: ['local'] }, ['back', 'backup', 'bridge', 'front', 'host', 'none']],
    ['scope (other)', { scope: ['swarm'] }, []],
    ['type=custom', { type: ['custom'] }, ['back', 'backup', 'front']],
    ['type=builtin', { type: ['builtin'] }, ['bridge', 'host', 'none']],
    ['dangling=true', { dangling: ['true'] }, ['back', 'backup']],
    ['dangling=1', { dangling: ['1'] }, ['back', 'backup']],
    ['dangling=false', { dangling: ['false'] }, ['bridge', 'front', 'host', 'none']],
    ['combined', { driver: ['bridge'], type: ['custom'], dangling: ['0'] }, ['front']],
  ];
  for (const [what, filters, want] of cases) {
    it(`filters by ${what}`, async () => {
      const r = await call('GET', `/networks?${q(filters)}`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(names(r), want);
    });
  }

  it('accepts the legacy {"name":{"value":true}} filter form the docker CLI sends', async () => {
    const r = await call('GET', `/networks?filters=${encodeURIComponent('{"driver":{"bridge":true},"type":{"custom":true}}')}`);
    assert.deepEqual(names(r), ['back', 'front']);
  });

  const bad: [string, string, string][] = [
    ['an unknown filter', q({ color: ['red'] }), "invalid filter 'color'"],
    ['a bad type', q({ type: ['other'] }), "invalid filter: 'type'='other'"],
    ['a bad dangling value', q({ dangling: ['maybe'] }), `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`],
    ['two dangling values', q({ dangling: ['true', 'false'] }), 'got more than one value for filter key "dangling"'],
    ['filters that are not JSON', 'filters=nope', 'invalid filter: nope is not valid JSON'],
  ];
  for (const [what, query, message] of bad) {
    it(`rejects ${what} with 400`, async () => {
      const r = await call('GET', `/networks?${query}`);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json, { message });
    });
  }
});

describe('GET /networks/{id}', () => {
  it('returns the network and passes verbose', async () => {
    const r = await call('GET', '/v1.47/networks/front?verbose=1');
    assert.equal(r.status, 200);
    assert.equal((r.json as Network).Name, 'front');
    assert.deepEqual(backend.calls, [{ op: 'inspect', args: ['front', { verbose: true }] }]);
  });

  it('answers 404 with the backend message', async () => {
    const r = await call('GET', '/networks/nope');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { message: 'network nope not found' });
  });

  it('answers 404 when the scope does not match', async () => {
    assert.equal((await call('GET', '/networks/front?scope=local')).status, 200);
    const r = await call('GET', '/networks/front?scope=swarm');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { message: 'network front not found' });
  });

  it('rejects a bad verbose value', async () => {
    assert.equal((await call('GET', '/networks/front?verbose=perhaps')).status, 400);
  });
});

describe('POST /networks/create', () => {
  it('creates with 201 {Id, Warning} and fills the default drivers', async () => {
    const r = await call('POST', '/networks/create', { Name: 'n1', Labels: { a: 'b' } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { Id: 'd'.repeat(64), Warning: '' });
    assert.deepEqual(backend.calls, [
      { op: 'create', args: [{ Name: 'n1', Labels: { a: 'b' }, Driver: 'bridge', IPAM: { Driver: 'default', Options: {}, Config: [] }, Options: {} }] },
    ]);
  });

  it('passes the full request through', async () => {
    const body = {
      Name: 'isolated',
      CheckDuplicate: true,
      Driver: 'bridge',
      Internal: true,
      Attachable: true,
      EnableIPv6: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '172.20.0.0/16', IPRange: '172.20.10.0/24', Gateway: '172.20.10.11' }], Options: {} },
      Options: { 'com.docker.network.bridge.name': 'br-x' },
      Labels: { 'com.example.some-label': 'some-value' },
    };
    const r = await call('POST', '/networks/create', body);
    assert.equal(r.status, 201, r.body);
    assert.deepEqual(backend.calls[0]!.args[0], body);
  });

  it('reads null fields as unset, as Go\'s decoder (docker-compose sends IPRange: null)', async () => {
    const body = { Name: 'n', Driver: null, Labels: null, IPAM: { Driver: null, Config: [{ Subnet: '172.20.0.0/16', IPRange: null, Gateway: null, AuxiliaryAddresses: null }] } };
    const r = await call('POST', '/networks/create', body);
    assert.equal(r.status, 201, r.body);
    const req = backend.calls[0]!.args[0] as NetworkCreateRequest;
    assert.deepEqual(req.IPAM?.Config, [{ Subnet: '172.20.0.0/16' }]);
    assert.equal(req.Driver, 'bridge');
  });

  const bad: [string, unknown, number, string][] = [
    ['no body', undefined, 400, 'request body is empty: a JSON object is required'],
    ['invalid JSON', '{"Name":', 400, 'invalid JSON in request body'],
    ['no Name', { Driver: 'bridge' }, 400, "invalid request body: body must have required property 'Name'"],
    ['an empty Name', { Name: ' ' }, 400, 'network name is required'],
    ['a Name of the wrong type', { Name: 5 }, 400, 'invalid request body: Name must be of type string'],
    ['Internal not boolean', { Name: 'x', Internal: 'yes' }, 400, 'invalid request body: Internal must be of type boolean'],
    ['CheckDuplicate not boolean', { Name: 'x', CheckDuplicate: 1 }, 400, 'invalid request body: CheckDuplicate must be of type boolean'],
    ['Labels with a number', { Name: 'x', Labels: { a: 1 } }, 400, 'invalid request body: Labels.a must be of type string'],
    ['Options not an object', { Name: 'x', Options: ['a'] }, 400, 'invalid request body: Options must be of type object or null'],
    ['an IPAM config entry of the wrong type', { Name: 'x', IPAM: { Config: ['172.20.0.0/16'] } }, 400, 'invalid request body: IPAM.Config.0 must be of type object'],
    ['an IPAM subnet of the wrong type', { Name: 'x', IPAM: { Config: [{ Subnet: 17 }] } }, 400, 'invalid request body: IPAM.Config.0.Subnet must be of type string'],
    ['a body that is an array', [], 400, 'invalid request body: body must be of type object'],
    ['a predefined name', { Name: 'bridge' }, 403, 'operation is not permitted on predefined bridge network '],
    ['the host name', { Name: 'host' }, 403, 'operation is not permitted on predefined host network '],
    ['a swarm Scope', { Name: 'x', Scope: 'swarm' }, 400, 'network Scope "swarm" needs swarm mode'],
    ['an Ingress network', { Name: 'x', Ingress: true }, 400, 'an Ingress network needs swarm mode'],
    ['a ConfigOnly network', { Name: 'x', ConfigOnly: true }, 400, 'configuration-only networks (ConfigOnly, ConfigFrom) are not supported'],
    ['an IPv6-only network', { Name: 'x', EnableIPv4: false }, 400, 'EnableIPv4 false (an IPv6-only network) is not supported'],
    ['another IPAM driver', { Name: 'x', IPAM: { Driver: 'dhcp' } }, 400, 'IPAM driver "dhcp" is not supported'],
    ['IPAM options', { Name: 'x', IPAM: { Options: { foo: 'bar' } } }, 400, 'IPAM option foo is not supported'],
  ];
  for (const [what, body, status, message] of bad) {
    it(`rejects ${what} (${status})`, async () => {
      const r = await call('POST', '/networks/create', body);
      assert.equal(r.status, status, r.body);
      assert.ok((r.json as { message: string }).message.startsWith(message), r.body);
      assert.deepEqual(backend.calls, []);
    });
  }
});

describe('DELETE /networks/{id}', () => {
  it('answers 204', async () => {
    const r = await call('DELETE', '/networks/back');
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.deepEqual(backend.calls, [{ op: 'remove', args: ['back'] }]);
  });
  it('answers 404 for a missing network', async () => {
    const r = await call('DELETE', '/networks/missing');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { message: 'network missing not found' });
  });
});

describe('POST /networks/{id}/connect and /disconnect', () => {
  it('connects with the endpoint config and answers 200', async () => {
    const ep = { IPAMConfig: { IPv4Address: '172.18.0.5' }, Aliases: ['db'], Links: ['web:w'] };
    const r = await call('POST', '/networks/front/connect', { Container: 'c1', EndpointConfig: ep });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, '');
    assert.deepEqual(backend.calls, [{ op: 'connect', args: ['front', 'c1', ep] }]);
  });

  it('connects without an endpoint config (absent or null)', async () => {
    await call('POST', '/networks/front/connect', { Container: 'c1' });
    await call('POST', '/networks/front/connect', { Container: 'c1', EndpointConfig: null });
    assert.deepEqual(
      backend.calls.map((c) => c.args[2]),
      [undefined, undefined],
    );
  });

  it('disconnects, Force defaulting to false', async () => {
    assert.equal((await call('POST', '/networks/front/disconnect', { Container: 'c1' })).status, 200);
    assert.equal((await call('POST', '/networks/front/disconnect', { Container: 'c1', Force: true })).status, 200);
    assert.deepEqual(backend.calls, [
      { op: 'disconnect', args: ['front', 'c1', false] },
      { op: 'disconnect', args: ['front', 'c1', true] },
    ]);
  });

  const bad: [string, string, unknown, string][] = [
    ['connect', 'no Container', { EndpointConfig: {} }, "invalid request body: body must have required property 'Container'"],
    ['connect', 'an empty Container', { Container: '' }, 'the Container field is required'],
    ['connect', 'Aliases not a list', { Container: 'c', EndpointConfig: { Aliases: 'db' } }, 'invalid request body: EndpointConfig.Aliases must be of type array or null'],
    ['connect', 'an IPv4Address of the wrong type', { Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: 1 } } }, 'invalid request body: EndpointConfig.IPAMConfig.IPv4Address must be of type string'],
    ['connect', 'no body', undefined, 'request body is empty'],
    ['disconnect', 'no Container', { Force: true }, "invalid request body: body must have required property 'Container'"],
    ['disconnect', 'Force not boolean', { Container: 'c', Force: 'yes' }, 'invalid request body: Force must be of type boolean'],
  ];
  for (const [op, what, body, message] of bad) {
    it(`${op} rejects ${what} with 400`, async () => {
      const r = await call('POST', `/networks/front/${op}`, body);
      assert.equal(r.status, 400, r.body);
      assert.ok((r.json as { message: string }).message.startsWith(message), r.body);
      assert.deepEqual(backend.calls, []);
    });
  }
});

describe('POST /networks/prune', () => {
  it('passes the filters and answers {NetworksDeleted}', async () => {
    const r = await call('POST', `/networks/prune?${q({ label: ['tier'], until: ['10m'] })}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { NetworksDeleted: ['back'] });
    assert.deepEqual(backend.calls, [{ op: 'prune', args: [{ label: ['tier'], until: ['10m'] }] }]);
  });
  it('answers NetworksDeleted null when nothing was removed', async () => {
    const r = await call('POST', '/networks/prune');
    assert.deepEqual(r.json, { NetworksDeleted: null });
  });
  it('rejects filters other than until, label, label!', async () => {
    assert.equal((await call('POST', `/networks/prune?${q({ 'label!': ['x'] })}`)).status, 200);
    const r = await call('POST', `/networks/prune?${q({ driver: ['bridge'] })}`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { message: "invalid filter 'driver'" });
  });
});

describe('filterNetworks', () => {
  it('ignores a name filter that is not a valid regexp unless it matches exactly', () => {
    const nets = [net('a('), net('b')];
    assert.deepEqual(
      filterNetworks(nets, new Map([['name', ['a(']]])).map((n) => n.Name),
      ['a('],
    );
    assert.deepEqual(filterNetworks(nets, new Map([['name', ['(']]])), []);
  });
  it('lists all networks once per type value', () => {
    const all = filterNetworks(NETWORKS, new Map([['type', ['builtin', 'custom']]]));
    assert.equal(all.length, NETWORKS.length);
  });
});

/** The docker CLI against these routes: its requests must pass validation and reach the backend. */
describe('docker CLI requests', { skip: !HAVE_DOCKER && 'docker CLI not installed' }, () => {
  function docker(...argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve) => {
      const p = spawn('docker', ['-H', `unix://${sock}`, ...argv], { env: { PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: join(dir, 'cfg') } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ stdout, stderr, code }));
    });
  }

  it('network create sends a body the schema accepts', async () => {
    const r = await docker('network', 'create', '--subnet', '10.9.0.0/16', '--gateway', '10.9.0.1', '--ip-range', '10.9.1.0/24', '--internal', '--attachable', '--ipv6', '--label', 'a=b', '-o', 'mtu=1400', 'n1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${'d'.repeat(64)}\n`);
    const req = backend.calls[0]!.args[0] as NetworkCreateRequest;
    assert.equal(req.Name, 'n1');
    assert.equal(req.Driver, 'bridge');
    assert.equal(req.Internal, true);
    assert.equal(req.Attachable, true);
    assert.equal(req.EnableIPv6, true);
    assert.deepEqual(req.IPAM?.Config, [{ Subnet: '10.9.0.0/16', IPRange: '10.9.1.0/24', Gateway: '10.9.0.1' }]);
    assert.deepEqual(req.Labels, { a: 'b' });
    assert.deepEqual(req.Options, { mtu: '1400' });
  });

  it('network create of a predefined name shows dockerd\'s error', async () => {
    const r = await docker('network', 'create', 'bridge');
    assert.equal(r.code, 1);
    // The docker client trims the message.
    assert.equal(r.stderr, 'Error response from daemon: operation is not permitted on predefined bridge network\n');
  });

  it('network connect and disconnect send bodies the schemas accept', async () => {
    let r = await docker('network', 'connect', '--alias', 'x,y', '--ip', '172.18.0.9', '--link', 'web:w', 'front', 'c1');
    assert.equal(r.code, 0, r.stderr);
    r = await docker('network', 'disconnect', '-f', 'front', 'c1');
    assert.equal(r.code, 0, r.stderr);
    const [connect, disconnect] = backend.calls;
    assert.deepEqual(connect!.args.slice(0, 2), ['front', 'c1']);
    const ep = connect!.args[2] as NetworkEndpointConfig;
    assert.deepEqual(ep.Aliases, ['x', 'y']);
    assert.deepEqual(ep.Links, ['web:w']);
    assert.equal(ep.IPAMConfig?.IPv4Address, '172.18.0.9');
    assert.deepEqual(disconnect, { op: 'disconnect', args: ['front', 'c1', true] });
  });

  it('network ls filters and renders what the routes return', async () => {
    const r = await docker('network', 'ls', '--filter', 'type=custom', '--filter', 'driver=bridge');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'NETWORK ID     NAME      DRIVER    SCOPE\nbabababababa   back      bridge    local\nf0f0f0f0f0f0   front     bridge    local\n');
  });

  it('network ls with a bad filter shows the 400 message', async () => {
    const r = await docker('network', 'ls', '--filter', 'type=x');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error response from daemon: invalid filter: 'type'='x'\n");
  });

  it('network rm, inspect and prune', async () => {
    let r = await docker('network', 'rm', 'missing');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: network missing not found\n/);
    r = await docker('network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'front');
    assert.equal(r.stdout, 'front bridge\n');
    r = await docker('network', 'prune', '-f', '--filter', 'label=tier');
    assert.equal(r.stdout, 'Deleted Networks:\nback\n\n');
  });
});
