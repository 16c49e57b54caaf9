/**
 * The API server against a real berthd: ping headers, version negotiation,
 * versioned and unversioned paths, Docker's error shapes and status codes.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker } from '../harness/clients.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(d: TestDaemon, method: string, path: string, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('API server', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('answers GET and HEAD /_ping with the headers clients read', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await call(d, method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.47');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
    }
  });

  it('serves versioned and unversioned paths', async () => {
    for (const p of ['/version', '/v1.24/version', '/v1.41/version', '/v1.47/version']) {
      const r = await call(d, 'GET', p);
      assert.equal(r.status, 200, p);
      const v = JSON.parse(r.body) as { ApiVersion: string; MinAPIVersion: string; Os: string };
      assert.equal(v.ApiVersion, '1.47');
      assert.equal(v.MinAPIVersion, '1.24');
      assert.equal(v.Os, 'linux');
    }
  });

  it('rejects a client version above ours or below the minimum, with Docker\'s messages', async () => {
    const high = await call(d, 'GET', '/v1.48/version');
    assert.equal(high.status, 400);
    assert.deepEqual(JSON.parse(high.body), { message: 'client version 1.48 is too new. Maximum supported API version is 1.47' });
    const low = await call(d, 'GET', '/v1.12/info');
    assert.equal(low.status, 400);
    assert.match((JSON.parse(low.body) as { message: string }).message, /client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  });

  it('answers unknown paths with 404 page not found, as JSON', async () => {
    const r = await call(d, 'GET', '/v1.47/nothing/here');
    assert.equal(r.status, 404);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.deepEqual(JSON.parse(r.body), { message: 'page not found' });
  });

  it('maps errors to Docker status codes with {"message"} bodies', async () => {
    const nf = await call(d, 'GET', '/images/nosuch/json');
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(nf.body), { message: 'No such image: nosuch:latest' });
    const badFilter = await call(d, 'GET', '/images/json?filters=%7Bnot-json');
    assert.equal(badFilter.status, 400);
    assert.match((JSON.parse(badFilter.body) as { message: string }).message, /invalid filter/);
    const unknownFilter = await call(d, 'GET', `/images/json?filters=${encodeURIComponent('{"colour":["red"]}')}`);
    assert.equal(unknownFilter.status, 400);
    assert.deepEqual(JSON.parse(unknownFilter.body), { message: "invalid filter 'colour'" });
    const badBool = await call(d, 'GET', '/images/json?all=maybe');
    assert.equal(badBool.status, 400);
    assert.match((JSON.parse(badBool.body) as { message: string }).message, /invalid boolean value for query parameter all/);
    const badRef = await call(d, 'POST', '/images/nosuch/tag?repo=UPPER');
    assert.equal(badRef.status, 400);
    assert.match((JSON.parse(badRef.body) as { message: string }).message, /must be lowercase/);
  });

  it('answers a load of a broken archive with its error in the stream, as dockerd does', async () => {
    const r = await call(d, 'POST', '/images/load', Buffer.from('this is not a tar archive'));
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body) as { error?: string; errorDetail?: { message?: string } };
    assert.match(body.errorDetail?.message ?? '', /archive|tar/i, `expected a clear message in ${r.body}`);
  });

  it('works with the real docker CLI: version and info', async () => {
    const v = await docker(d, ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0 1.47');
    const i = await docker(d, ['info', '--format', '{{.Driver}} {{.OSType}} {{.LiveRestoreEnabled}} {{.DockerRootDir}}']);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout.trim(), `overlay2 linux true ${d.root}`);
  });
});
