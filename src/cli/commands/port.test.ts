/**
 * `port` against a fake daemon: berth's lines, errors and exit status, and
 * the docker CLI's for the same container (when docker is installed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PortMap } from '../../api/types/containers.js';
import { ApiError, Client } from '../../client/client.js';
import { Cli, CliError } from '../command.js';
import type { CliContext } from '../context.js';
import { dockerAgainst } from '../views/docker-harness.test.js';
import { portLines, registerPortCommand } from './port.js';
import { fakeStreams } from '../../../test/fakes/cli.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

let dir = '';
let seq = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-port-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const PORTS: PortMap = {
  '8080/tcp': [
    { HostIp: '0.0.0.0', HostPort: '8000' },
    { HostIp: '::', HostPort: '8000' },
  ],
  '80/tcp': null,
  '443/tcp': [],
  '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
  '9/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }],
  '10/tcp': [{ HostIp: '', HostPort: '10' }],
  '7/sctp': [{ HostIp: 'fd00::1', HostPort: '7007' }],
};

/** GET path → JSON (undefined: 404 "No such container"). */
function routes(path: string): unknown {
  const m = /^\/containers\/([^/]+)\/json$/.exec(path);
  if (!m) return undefined;
  switch (m[1]) {
    case 'web':
      return { Id: 'a'.repeat(64), NetworkSettings: { Ports: PORTS } };
    case 'bare':
      return { Id: 'b'.repeat(64), NetworkSettings: { Ports: {} } };
    case 'nulls':
      return { Id: 'c'.repeat(64), NetworkSettings: { Ports: null } };
    default:
      return undefined;
  }
}

async function berth(argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const sock = join(dir, `b${seq++}.sock`);
  const srv = createServer((req, res) => {
    const body = routes(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/v[\d.]+/, ''));
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body ?? { message: 'not found' }));
  });
  await new Promise<void>((r) => srv.listen(sock, r));
  let stdout = '';
  let stderr = '';
  const client = new Client(`unix://${sock}`);
  const ctx: CliContext = { host: '', client: () => client, out: (s) => (stdout += s), err: (s) => (stderr += s), stdoutIsTTY: false, stdinIsTTY: false, ...fakeStreams((s) => (stdout += s), (s) => (stderr += s)) };
  const cli = new Cli<CliContext>(ctx, () => '');
  registerPortCommand(cli);
  let code: number;
  try {
    code = await cli.run(() => ctx, argv);
  } catch (e) {
    if (e instanceof ApiError) {
      stderr += `Error response from daemon: ${e.message}\n`;
      code = 1;
    } else if (e instanceof CliError) {
      stderr += `${e.message}\n`;
      code = e.status;
    } else throw e;
  } finally {
    client.close();
    await new Promise<void>((r) => srv.close(() => r()));
  }
  return { stdout, stderr, code };
}

/** berth's result, checked against docker's when docker is installed. */
async function same(argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const b = await berth(argv);
  if (HAVE_DOCKER) {
    const d = await dockerAgainst(dir, argv, routes);
    const asBerth = (s: string) => s.replaceAll('docker', 'berth');
    assert.equal(b.stdout, d.stdout, `stdout of ${argv.join(' ')}`);
    assert.equal(b.stderr, asBerth(d.stderr), `stderr of ${argv.join(' ')}`);
    assert.equal(b.code, d.code, `exit status of ${argv.join(' ')}`);
  }
  return b;
}

describe('port', () => {
  it('lists every published port, sorted naturally, IPv6 hosts in brackets', async () => {
    const r = await same(['port', 'web']);
    assert.equal(
      r.stdout,
      '7/sctp -> [fd00::1]:7007\n9/tcp -> 0.0.0.0:32768\n10/tcp -> :10\n53/udp -> 127.0.0.1:5353\n8080/tcp -> 0.0.0.0:8000\n8080/tcp -> [::]:8000\n',
    );
    assert.equal(r.code, 0);
  });

  it('prints only the host addresses for one port (tcp by default)', async () => {
    assert.equal((await same(['port', 'web', '8080'])).stdout, '0.0.0.0:8000\n[::]:8000\n');
    assert.equal((await same(['port', 'web', '8080/tcp'])).stdout, '0.0.0.0:8000\n[::]:8000\n');
    assert.equal((await same(['port', 'web', '53/udp'])).stdout, '127.0.0.1:5353\n');
    assert.equal((await same(['container', 'port', 'web', '9'])).stdout, '0.0.0.0:32768\n');
  });

  it('fails for a port that is not published', async () => {
    for (const [p, shown] of [
      ['80/tcp', '80/tcp'],
      ['80', '80'],
      ['443', '443'],
      ['53', '53'],
      ['8080/udp', '8080/udp'],
    ]) {
      const r = await same(['port', 'web', p!]);
      assert.equal(r.stderr, `Error: No public port '${shown}' published for web\n`);
      assert.equal(r.stdout, '');
      assert.equal(r.code, 1);
    }
  });

  it('rejects a port that is not a 16-bit number', async () => {
    let r = await same(['port', 'web', 'abc']);
    assert.equal(r.stderr, 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax\n');
    assert.equal(r.code, 1);
    r = await same(['port', 'web', '70000/tcp']);
    assert.equal(r.stderr, 'Error: invalid port (70000): strconv.ParseUint: parsing "70000": value out of range\n');
    await same(['port', 'web', '/tcp']);
    await same(['port', 'web', '+1']);
  });

  it('prints nothing for a container without published ports', async () => {
    assert.deepEqual(await same(['port', 'bare']), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await same(['port', 'nulls']), { stdout: '', stderr: '', code: 0 });
  });

  it('shows the daemon error for a missing container', async () => {
    const r = await same(['port', 'nope']);
    assert.equal(r.stderr, 'Error response from daemon: not found\n');
    assert.equal(r.code, 1);
  });

  it('takes one or two arguments', async () => {
    // berth's Cli says "requires at least 1 argument" where docker says "requires at least 1 and at most 2 arguments".
    assert.equal((await berth(['port'])).code, 1);
    assert.equal((await berth(['port', 'a', 'b', 'c'])).code, 1);
  });
});

describe('portLines', () => {
  it('treats an empty port argument as none', () => {
    assert.equal(portLines(PORTS, 'web', '').length, 6);
  });
  it('does not read inherited properties as ports', () => {
    assert.throws(() => portLines({}, 'web', 'constructor'), /invalid port/);
    assert.throws(() => portLines({}, 'web', '1/__proto__'), /No public port '1\/__proto__'/);
  });
});
