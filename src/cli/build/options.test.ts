/** docker build's flags → the POST /build query, and the build stream's display. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { MessageDisplay, StreamError } from './display.js';
import { buildSettings, registryConfigHeader, withProxyArgs } from './options.js';
import { uploadLine } from './upload.js';

const HOST = 'unix:///run/berth/berth.sock';

describe('build flags → query', () => {
  it('sends only what differs from the defaults (docker sends version=1 always)', () => {
    const s = buildSettings({ rm: true, network: 'default', tag: [], label: [], buildArg: [], addHost: [], ulimit: [], cacheFrom: [], securityOpt: [] }, {}, {}, HOST);
    assert.deepEqual(
      Object.entries(s.query).filter(([, v]) => v !== undefined),
      [['version', '1']],
    );
  });

  it('maps every flag to its query parameter', () => {
    const s = buildSettings(
      {
        tag: ['app:1', 'localhost:5000/app'],
        label: ['a=1', 'b'],
        buildArg: ['X=1', 'FROM_ENV', 'UNSET'],
        addHost: ['db:10.0.0.2', 'gw=host-gateway'],
        ulimit: ['nofile=1024:2048'],
        cacheFrom: ['img:a,img:b'],
        securityOpt: ['seccomp=unconfined'],
        noCache: true,
        pull: true,
        quiet: true,
        rm: false,
        forceRm: true,
        network: 'host',
        target: 'build',
        memory: '256m',
        memorySwap: '-1',
        shmSize: '64m',
        cpusetCpus: '0',
        cpuShares: 512,
        platform: 'Linux/AMD64',
        file: 'build/Dockerfile',
        iidfile: '/tmp/id',
      },
      { FROM_ENV: 'from-env' },
      {},
      HOST,
    );
    const q = s.query;
    assert.deepEqual(q['t'], ['app:1', 'localhost:5000/app']);
    assert.equal(q['labels'], JSON.stringify({ a: '1', b: '' }));
    assert.equal(q['buildargs'], JSON.stringify({ X: '1', FROM_ENV: 'from-env', UNSET: null }));
    assert.deepEqual(q['extrahosts'], ['db:10.0.0.2', 'gw:host-gateway']);
    assert.equal(q['ulimits'], JSON.stringify([{ Name: 'nofile', Hard: 2048, Soft: 1024 }]));
    assert.equal(q['cachefrom'], JSON.stringify(['img:a', 'img:b']));
    assert.deepEqual(q['securityopt'], ['seccomp=unconfined']);
    assert.equal(q['nocache'], true);
    assert.equal(q['pull'], true);
    assert.equal(q['q'], true);
    assert.equal(q['rm'], false);
    assert.equal(q['forcerm'], true);
    assert.equal(q['networkmode'], 'host');
    assert.equal(q['target'], 'build');
    assert.equal(q['memory'], 256 * 1024 * 1024);
    assert.equal(q['memswap'], -1);
    assert.equal(q['shmsize'], 64 * 1024 * 1024);
    assert.equal(q['cpusetcpus'], '0');
    assert.equal(q['cpushares'], 512);
    assert.equal(q['platform'], 'linux/amd64');
    assert.equal(s.dockerfile, 'build/Dockerfile');
    assert.equal(s.iidfile, '/tmp/id');
    assert.equal(s.quiet, true);
  });

  it("refuses bad values with docker's flag errors", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ tag: ['Bad:tag'] }, /^invalid argument "Bad:tag" for "-t, --tag" flag: invalid reference format: repository name \(library\/Bad\) must be lowercase$/],
      [{ label: ['=x'] }, /^invalid argument "=x" for "--label" flag: invalid label '=x': empty name$/],
      [{ buildArg: ['=x'] }, /^invalid argument "=x" for "--build-arg" flag: invalid environment variable: =x$/],
      [{ addHost: ['nohost'] }, /^invalid argument "nohost" for "--add-host" flag: bad format for add-host: "nohost"$/],
      [{ memory: '12x' }, /^invalid argument "12x" for "-m, --memory" flag: invalid suffix: 'x'$/],
      [{ ulimit: ['bogus=1'] }, /^invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus$/],
    ];
    for (const [o, re] of cases) assert.throws(() => buildSettings(o, {}, {}, HOST), (e: Error) => re.test(e.message));
  });

  it("adds the config file's proxies as build args the user did not set (ParseProxyConfig)", () => {
    const cfg = { proxies: { default: { httpProxy: 'http://p:3128', noProxy: 'localhost' }, [HOST]: { httpsProxy: 'http://own:1' } } };
    assert.deepEqual(withProxyArgs({ HTTP_PROXY: null }, cfg, 'unix:///other.sock'), { HTTP_PROXY: null, http_proxy: 'http://p:3128', NO_PROXY: 'localhost', no_proxy: 'localhost' });
    assert.deepEqual(withProxyArgs({}, cfg, HOST), { HTTPS_PROXY: 'http://own:1', https_proxy: 'http://own:1' });
  });

  it('sends stored credentials as X-Registry-Config (base64url JSON with padding)', () => {
    const cfg = { auths: { 'localhost:5000': { auth: Buffer.from('u:p').toString('base64') } } };
    const decoded = JSON.parse(Buffer.from(registryConfigHeader(cfg), 'base64').toString()) as unknown;
    assert.deepEqual(decoded, { 'localhost:5000': { serveraddress: 'localhost:5000', username: 'u', password: 'p' } });
    assert.equal(registryConfigHeader({}), 'e30=');
  });
});

describe('build stream display', () => {
  const stream = (msgs: object[]): Readable => Readable.from([msgs.map((m) => JSON.stringify(m)).join('\r\n') + '\r\n']);

  it('prints stream text verbatim, status lines, hands aux over, drops progress bars off a terminal', async () => {
    let out = '';
    let aux: unknown;
    const d = new MessageDisplay((s) => (out += s), false, (a) => (aux = a));
    await d.consume(
      stream([
        { stream: 'Step 1/2 : FROM busybox\n' },
        { status: 'Pulling from library/busybox', id: 'latest' },
        { status: 'Downloading', progressDetail: { current: 5, total: 10 }, progress: '[==>  ]', id: 'abc' },
        { status: 'Pull complete', progressDetail: {}, id: 'abc' },
        { stream: ' ---> 0123456789ab\n' },
        { aux: { ID: 'sha256:feed' } },
        { stream: 'Successfully built 0123456789ab\n' },
      ]),
    );
    assert.equal(out, 'Step 1/2 : FROM busybox\nlatest: Pulling from library/busybox\nabc: Pull complete\n ---> 0123456789ab\nSuccessfully built 0123456789ab\n');
    assert.deepEqual(aux, { ID: 'sha256:feed' });
  });

  it("ends with the daemon's error and the step's exit code", async () => {
    let out = '';
    const d = new MessageDisplay((s) => (out += s), false);
    const err = await d.consume(stream([{ stream: 'Step 2/2 : RUN exit 3\n' }, { errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" }, error: 'x' }])).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof StreamError);
    assert.equal(err.code, 3);
    assert.equal(err.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    assert.equal(out, 'Step 2/2 : RUN exit 3\n');
  });

  it('on a terminal, rewrites a layer line in place', () => {
    let out = '';
    const d = new MessageDisplay((s) => (out += s), true);
    d.show({ status: 'Downloading', progressDetail: { current: 5, total: 10 }, progress: '[==>  ]', id: 'abc' });
    d.show({ status: 'Downloading', progressDetail: { current: 9, total: 10 }, progress: '[====>]', id: 'abc' });
    assert.equal(out, '\n\x1b[1A\x1b[2K\rabc: Downloading [==>  ]\r\x1b[1B\x1b[1A\x1b[2K\rabc: Downloading [====>]\r\x1b[1B');
  });

  it("prints the upload line as docker's raw progress formatter", () => {
    assert.equal(uploadLine(2048), 'Sending build context to Docker daemon  2.048kB\r');
    assert.equal(uploadLine(10_485_760), 'Sending build context to Docker daemon  10.49MB\r');
  });
});
