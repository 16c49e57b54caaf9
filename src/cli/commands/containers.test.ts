/**
 * Container verbs run against a recording client and a captured context:
 * the requests each sends, what it prints on stdout and stderr, its status.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../client/client.js';
import { frame } from '../../stream/mux.js';
import { captureContext, recordingClient } from '../../../test/fakes/cli.js';
import { CliError } from '../command.js';
import { logs, prune, rm, stop, update, updateBody } from './containers.js';

const noSuch = (path: string): never => {
  throw new ApiError(404, `No such container: ${decodeURIComponent(path.split('/')[2]!)}`);
};

describe('stop', () => {
  test('sends each name its request with -t and -s, prints the names done', async () => {
    const client = recordingClient(() => undefined);
    const { ctx, stdout, stderr } = captureContext(client);
    const status = await stop(ctx, ['web', 'db'], { timeout: 3, signal: 'SIGINT' });
    assert.equal(status, 0);
    assert.equal(stdout(), 'web\ndb\n');
    assert.equal(stderr(), '');
    assert.deepEqual(
      client.calls.map((c) => [c.method, c.path, c.opts.query]),
      [
        ['POST', '/containers/web/stop', { t: 3, signal: 'SIGINT' }],
        ['POST', '/containers/db/stop', { t: 3, signal: 'SIGINT' }],
      ],
    );
  });

  test('a container the daemon does not know is reported on stderr, the others still stop, status 1', async () => {
    const client = recordingClient(({ path }) => (path.includes('gone') ? noSuch(path) : undefined));
    const { ctx, stdout, stderr } = captureContext(client);
    assert.equal(await stop(ctx, ['gone', 'db'], {}), 1);
    assert.equal(stdout(), 'db\n');
    assert.equal(stderr(), 'Error response from daemon: No such container: gone\n');
    assert.equal(client.calls.length, 2);
  });
});

test('rm sends DELETE with force, volumes and link only when asked', async () => {
  const client = recordingClient(() => undefined);
  const { ctx, stdout } = captureContext(client);
  assert.equal(await rm(ctx, ['a b'], { force: true, volumes: false }), 0);
  assert.equal(stdout(), 'a b\n');
  assert.deepEqual(client.calls[0], { method: 'DELETE', path: '/containers/a%20b', opts: { query: { force: true, v: undefined, link: undefined } } });
});

describe('update', () => {
  test('flags → the update body', () => {
    assert.deepEqual(updateBody({ memory: '1g', memorySwap: '-1', cpus: '1.5', restart: 'on-failure:3', pidsLimit: 50 }), {
      NanoCpus: 1_500_000_000,
      Memory: 1024 ** 3,
      MemorySwap: -1,
      PidsLimit: 50,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    });
  });

  test('no flag, or a size that does not parse, is refused before any request', async () => {
    const client = recordingClient(() => undefined);
    const { ctx } = captureContext(client);
    await assert.rejects(update(ctx, ['a'], {}), (e: unknown) => e instanceof CliError && e.status === 1 && /you must provide one or more flags/.test(e.message));
    await assert.rejects(
      update(ctx, ['a'], { memoryReservation: '12q' }),
      (e: unknown) => e instanceof CliError && e.status === 125 && e.message.startsWith('invalid argument "12q" for "--memory-reservation" flag: '),
    );
    assert.equal(client.calls.length, 0);
  });
});

describe('logs', () => {
  test('without a TTY, each frame goes to the stream it came from', async () => {
    const client = recordingClient(({ path }) =>
      path.endsWith('/json') ? { Id: 'abc', Config: { Tty: false } } : Buffer.concat([frame(1, Buffer.from('out 1\n')), frame(2, Buffer.from('err 1\n')), frame(1, Buffer.from('out 2\n'))]),
    );
    const { ctx, stdout, stderr } = captureContext(client);
    assert.equal(await logs(ctx, ['web'], { tail: '2', timestamps: true }), 0);
    assert.equal(stdout(), 'out 1\nout 2\n');
    assert.equal(stderr(), 'err 1\n');
    assert.equal(client.calls[1]!.path, '/containers/abc/logs');
    assert.deepEqual(client.calls[1]!.opts.query, { stdout: true, stderr: true, follow: undefined, timestamps: true, since: undefined, until: undefined, tail: '2' });
  });

  test('with a TTY, the log is copied as it is to stdout', async () => {
    const client = recordingClient(({ path }) => (path.endsWith('/json') ? { Id: 'abc', Config: { Tty: true } } : Buffer.from('raw\r\nbytes')));
    const { ctx, stdout, stderr } = captureContext(client);
    assert.equal(await logs(ctx, ['web'], { tail: 'all' }), 0);
    assert.equal(stdout(), 'raw\r\nbytes');
    assert.equal(stderr(), '');
  });
});

describe('container prune', () => {
  const reply = () => ({ ContainersDeleted: ['c1', 'c2'], SpaceReclaimed: 2000 });

  test('asks on stdout, reads the answer from stdin, prunes on yes', async () => {
    const client = recordingClient(reply);
    const { ctx, stdout } = captureContext(client, { stdin: 'y\n' });
    assert.equal(await prune(ctx, [], { filter: ['until=10m'] }), 0);
    assert.equal(stdout(), 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\nc1\nc2\n\nTotal reclaimed space: 2kB\n');
    assert.deepEqual(client.calls[0]!.opts.query, { filters: '{"until":["10m"]}' });
  });

  test('anything but yes prunes nothing', async () => {
    const client = recordingClient(reply);
    const { ctx, stdout } = captureContext(client, { stdin: 'n\n' });
    assert.equal(await prune(ctx, [], {}), 0);
    assert.equal(stdout(), 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    assert.equal(client.calls.length, 0);
  });
});
