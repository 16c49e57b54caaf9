/**
 * POST /build end to end: the docker CLI's classic builder (DOCKER_BUILDKIT=0)
 * and dockerode against a real berthd. Every instruction, Docker's history
 * and config, the cache (warm rebuild gives the same image, --no-cache,
 * cache-from), COPY/ADD rules, multi-stage and --target, .dockerignore,
 * compressed contexts, build args, a failing step (message, exit code,
 * nothing left running or mounted), a client that goes away mid-build, bad
 * parameters, and the build cache in df and prune.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { docker, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';

let d: TestDaemon;
let work: string;
let n = 0;

/** A context directory with these files. */
function context(files: Record<string, string | { body: string; mode: number }>): string {
  const dir = join(work, `ctx${n++}`);
  for (const [name, f] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, typeof f === 'string' ? f : f.body, typeof f === 'string' ? {} : { mode: f.mode });
  }
  return dir;
}

const build = (args: string[], opts: { input?: string } = {}) =>
  docker(d, ['build', ...args], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });

async function ok(args: string[]): Promise<string> {
  const r = await docker(d, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** POST /build with a raw body; the JSON lines of the reply. */
function rawBuild(query: string, body: Buffer, opts: { abortOn?: RegExp } = {}): Promise<{ status: number; lines: Record<string, unknown>[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, path: `/v1.41/build?${query}`, method: 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (opts.abortOn?.test(text)) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, lines: [], text });
        }
      });
      res.on('end', () => {
        const lines = res.statusCode === 200 ? text.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
        resolve({ status: res.statusCode ?? 0, lines, text });
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => (opts.abortOn ? undefined : reject(e)));
    req.end(body);
  });
}

function mountsUnder(prefix: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(prefix));
}

before(async () => {
  d = await startDaemon();
  work = join(d.base, 'work');
  mkdirSync(work);
  await loadBusybox(d);
});
after(async () => {
  await d?.cleanup();
});

describe('docker build (classic builder) against berthd', () => {
  const full = [
    'ARG BASE=busybox',
    'FROM $BASE AS base',
    'LABEL maintainer.note="x y" other=1',
    'MAINTAINER someone <a@b.c>',
    'ARG VERSION=1.0',
    'ENV APP_HOME=/srv/app \\',
    '    GREETING="hello world"',
    'WORKDIR $APP_HOME',
    'COPY a.txt b.txt ./',
    'COPY dir /copied/',
    'COPY --chown=12:34 --chmod=640 a.txt /owned',
    'ADD archive.tar.gz /extracted/',
    'RUN echo "v=$VERSION g=$GREETING" > /run.txt && echo to-stderr >&2',
    'USER 1000:1000',
    'EXPOSE 8080 53/udp',
    'VOLUME ["/data"]',
    'STOPSIGNAL SIGINT',
    'HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD test -f /run.txt',
    'SHELL ["/bin/sh", "-ec"]',
    'ONBUILD RUN echo triggered > /tmp/onbuild.txt',
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'CMD ["cat /run.txt"]',
  ].join('\n');

  let id = '';
  let ctx = '';

  before(async () => {
    const archive = gzipSync(await tarOf({ 'inner/x.txt': 'from the archive\n' }));
    ctx = context({ Dockerfile: full, 'a.txt': 'A\n', 'b.txt': 'B\n', 'dir/sub/c.txt': 'C\n', 'dir/d.txt': 'D\n' });
    writeFileSync(join(ctx, 'archive.tar.gz'), archive);
  });

  it('builds every instruction with docker\'s step output', async () => {
    const r = await build(['-t', 'full:1', '-t', 'full:2', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^Step 1\/21 : ARG BASE=busybox$/m);
    assert.match(r.stdout, /^Step 2\/21 : FROM \$BASE AS base$/m);
    assert.match(r.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
    assert.match(r.stdout, /^Removing intermediate container [0-9a-f]{12}$/m);
    assert.match(r.stdout, /to-stderr/);
    const built = /^Successfully built ([0-9a-f]{12})$/m.exec(r.stdout);
    assert.ok(built, r.stdout);
    assert.match(r.stdout, /^Successfully tagged full:1$/m);
    assert.match(r.stdout, /^Successfully tagged full:2$/m);
    id = await ok(['image', 'inspect', '-f', '{{.Id}}', 'full:1']);
    assert.equal(id.slice(7, 19), built[1]);
    assert.equal(await ok(['ps', '-aq']), '', 'rm removes the intermediate containers');
  });

  it('makes the image config from the instructions', async () => {
    const cfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'full:1'])) as Record<string, unknown>;
    assert.deepEqual(cfg['Env'], ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP_HOME=/srv/app', 'GREETING=hello world']);
    assert.equal(cfg['WorkingDir'], '/srv/app');
    assert.equal(cfg['User'], '1000:1000');
    assert.deepEqual(cfg['ExposedPorts'], { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(cfg['Volumes'], { '/data': {} });
    assert.equal(cfg['StopSignal'], 'SIGINT');
    assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'test -f /run.txt'], Interval: 5e9, Timeout: 2e9, Retries: 4 });
    assert.deepEqual(cfg['Shell'], ['/bin/sh', '-ec']);
    assert.deepEqual(cfg['OnBuild'], ['RUN echo triggered > /tmp/onbuild.txt']);
    assert.deepEqual(cfg['Entrypoint'], ['/bin/sh', '-c']);
    assert.deepEqual(cfg['Cmd'], ['cat /run.txt']);
    assert.deepEqual(cfg['Labels'], { 'maintainer.note': 'x y', other: '1' });
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Author}}', 'full:1']), 'someone <a@b.c>');
  });

  it('writes docker\'s history: a layer per file-changing step, #(nop) entries for the rest', async () => {
    const h = (await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'full:1'])).split('\n');
    // After SHELL, the #(nop) lines are written with that shell, as Docker's are.
    assert.equal(h[0], '/bin/sh -ec #(nop)  CMD ["cat /run.txt"]|0B');
    assert.ok(h.includes('/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/sh" "-c"]|0B'), h.join('\n'));
    assert.ok(h.includes('/bin/sh -c #(nop)  ENV APP_HOME=/srv/app GREETING=hello world|0B'), h.join('\n'));
    assert.ok(h.includes('/bin/sh -c #(nop)  EXPOSE 8080 53/udp|0B'), h.join('\n'));
    assert.ok(h.includes('/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "test -f /run.txt"] "5s" "2s" "0s" \'\\x04\'}|0B'), h.join('\n'));
    assert.ok(h.some((l) => /^\|1 VERSION=1\.0 \/bin\/sh -c echo "v=\$VERSION g=\$GREETING" > \/run\.txt && echo to-stderr >&2\|\d+B$/.test(l)), h.join('\n'));
    assert.ok(h.some((l) => /^\/bin\/sh -c #\(nop\) WORKDIR \/srv\/app\|0B$/.test(l)), h.join('\n'));
    assert.ok(h.some((l) => /^\/bin\/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in \.\/ \|\d+B$/.test(l)), h.join('\n'));
    assert.ok(h.some((l) => /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \/copied\/ \|\d+B$/.test(l)), h.join('\n'));
    // busybox's layer + WORKDIR (a new dir) + 3 COPY + ADD + RUN.
    assert.equal(await ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'full:1']), '7');
  });

  it('puts the files where docker\'s COPY and ADD rules say', async () => {
    const out = await ok([
      'run', '--rm', '--user', '0', 'full:1',
      'cat /srv/app/a.txt /srv/app/b.txt /copied/sub/c.txt /copied/d.txt /extracted/inner/x.txt /run.txt; stat -c "%u:%g %a" /owned; ls /copied; test -e /extracted/archive.tar.gz || echo not-copied',
    ]);
    assert.equal(out, ['A', 'B', 'C', 'D', 'from the archive', 'v=1.0 g=hello world', '12:34 640', 'd.txt', 'sub', 'not-copied'].join('\n'));
  });

  it('reuses every step on a warm cache: the same image', async () => {
    const r = await build(['-t', 'full:again', ctx]);
    assert.equal(r.code, 0, r.stderr);
    // Every step but the ARG before FROM and the FROM.
    assert.equal((r.stdout.match(/^ ---> Using cache$/gm) ?? []).length, 19);
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', 'full:again']), id);
  });

  it('misses from the changed step on: a changed file, a build arg', async () => {
    const changed = context({ Dockerfile: 'FROM busybox\nCOPY a.txt /\nRUN cat /a.txt\n', 'a.txt': '1' });
    const first = await build([changed]);
    assert.equal(first.code, 0, first.stderr);
    writeFileSync(join(changed, 'a.txt'), '2');
    const second = await build([changed]);
    assert.equal((second.stdout.match(/Using cache/g) ?? []).length, 0, second.stdout);
    const args = context({ Dockerfile: 'FROM busybox\nARG X=1\nRUN echo $X\n' });
    await build([args]);
    const withArg = await build(['--build-arg', 'X=2', args]);
    assert.match(withArg.stdout, /Step 2\/3 : ARG X=1\n ---> Using cache/);
    assert.match(withArg.stdout, /Step 3\/3 : RUN echo \$X\n ---> Running in/);
    assert.match(withArg.stdout, /^2$/m);
  });

  it('rebuilds everything with --no-cache', async () => {
    const r = await build(['--no-cache', '-t', 'full:nocache', ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Using cache/);
    assert.notEqual(await ok(['image', 'inspect', '-f', '{{.Id}}', 'full:nocache']), id);
  });

  it('runs ONBUILD triggers in a child build', async () => {
    const child = context({ Dockerfile: 'FROM full:1\nCMD ["cat /tmp/onbuild.txt"]\n' });
    const r = await build(['-t', 'child', child]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /# Executing 1 build trigger/);
    assert.equal(await ok(['run', '--rm', 'child']), 'triggered');
    assert.equal(await ok(['image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'child']), 'null');
  });

  it('builds multi-stage with COPY --from and stops at --target', async () => {
    const ms = context({
      Dockerfile: [
        'FROM busybox AS one',
        'RUN echo one > /one && mkdir /w && echo a > /w/a.txt && echo b > /w/b.txt && echo c > /w/c.log',
        'FROM busybox AS two',
        'COPY --from=one /one /from-one',
        'COPY --from=0 /w/*.txt /globbed/',
        'RUN cat /from-one',
        'FROM scratch',
        'COPY --from=two /from-one /',
      ].join('\n'),
    });
    const r = await build(['-t', 'ms', ms]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'ms']), '1');
    const t = await build(['--target', 'two', '-t', 'ms:two', ms]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /Step 6\/6 :/);
    assert.equal(await ok(['run', '--rm', 'ms:two', 'cat', '/from-one']), 'one');
    assert.equal(await ok(['run', '--rm', 'ms:two', 'ls', '/globbed']), 'a.txt\nb.txt');
    const bad = await build(['--target', 'nope', ms]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
  });

  it('reports a failing step with its exit code and leaves nothing running or mounted', async () => {
    const f = context({ Dockerfile: 'FROM busybox\nRUN echo before\nRUN exit 3\n' });
    const r = await build(['--force-rm', f]);
    assert.equal(r.code, 3, 'the docker CLI exits with the step\'s code from errorDetail');
    assert.match(r.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
    assert.equal(await ok(['ps', '-aq']), '', '--force-rm removes the failed step\'s container');
    const kept = await build([f]);
    assert.notEqual(kept.code, 0);
    const left = await ok(['ps', '-a', '--no-trunc', '--format', '{{.Command}} {{.State}}']);
    assert.equal(left, '"/bin/sh -c exit 3" exited', 'without --force-rm the failed container stays, as Docker keeps it');
    assert.deepEqual(mountsUnder(d.execRoot), []);
    await ok(['container', 'prune', '-f']);
  });

  it('applies .dockerignore, with exceptions', async () => {
    const ig = context({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort\n',
      '.dockerignore': '*.log\nsecret\n!keep.log\nsub/**/*.tmp\n',
      'a.log': 'x',
      'keep.log': 'x',
      secret: 'x',
      'sub/x/y.tmp': 'x',
      'sub/x/z.txt': 'x',
    });
    const r = await build(['--no-cache', ig]);
    assert.equal(r.code, 0, r.stderr);
    const files = r.stdout.split('\n').filter((l) => l.startsWith('/ctx/'));
    assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.log', '/ctx/sub/x/z.txt']);
  });

  it('ADDs a file from a URL: named by its path, mode 0600, not extracted', async () => {
    const archive = gzipSync(await tarOf({ inside: 'x' }));
    const server = http.createServer((req, res) => {
      if (req.url === '/files/data.tar.gz') res.end(archive);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const c = context({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/files/data.tar.gz /dl/\nRUN stat -c "%a %s" /dl/data.tar.gz\n` });
      const r = await build(['--no-cache', c]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`^600 ${archive.length}$`, 'm'));
      const missing = await build([context({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/nope.txt /x\n` })]);
      assert.match(missing.stderr, /ADD failed: cannot download .*nope\.txt: HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('refuses a Dockerfile error with docker\'s message', async () => {
    const r = await build([context({ Dockerfile: 'FROM busybox\nFOO bar\n' })]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown instruction: FOO/);
    const e = await build([context({ Dockerfile: 'FROM busybox\nCOPY missing /x\n' })]);
    assert.match(e.stderr, /COPY failed: file not found in build context/);
  });

  it('honours -q, --label, --add-host and --network none', async () => {
    const c = context({ Dockerfile: 'FROM busybox\nRUN grep myhost /etc/hosts > /hosts\n' });
    const q = await build(['-q', '--no-cache', '--label', 'from=cli', '--add-host', 'myhost:10.9.8.7', c]);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    const img = q.stdout.trim();
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Config.Labels.from}}', img]), 'cli');
    assert.match(await ok(['run', '--rm', img, 'cat', '/hosts']), /^10\.9\.8\.7\s+myhost$/);
    const none = await build(['--network', 'none', '--no-cache', context({ Dockerfile: 'FROM busybox\nRUN ip link | grep -c "^[0-9]*: eth0" || exit 9\n' })]);
    assert.match(none.stderr, /returned a non-zero code: 9/);
    await ok(['container', 'prune', '-f']);
  });
});

describe('POST /build through dockerode and raw requests', () => {
  it('builds a context tar with dockerode, streaming docker\'s JSON lines and aux ID', async () => {
    const body = await tarOf({ Dockerfile: 'FROM busybox\nCOPY f /f\nRUN cat /f\n', f: 'from dockerode\n' });
    const stream = await sdk(d).buildImage(body as unknown as NodeJS.ReadableStream, { t: 'sdk:1' });
    const lines = await new Promise<Record<string, unknown>[]>((resolve, reject) => sdk(d).modem.followProgress(stream, (err: Error | null, res: Record<string, unknown>[]) => (err ? reject(err) : resolve(res))));
    const aux = lines.find((l) => l['aux']) as { aux: { ID: string } } | undefined;
    assert.ok(aux, JSON.stringify(lines));
    assert.equal(aux.aux.ID, (await sdk(d).getImage('sdk:1').inspect()).Id);
    assert.ok(lines.some((l) => l['stream'] === 'from dockerode\n'));
    assert.equal(lines.at(-1)!['stream'], 'Successfully tagged sdk:1\n');
  });

  for (const [name, compress] of [
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['bzip2', (b: Buffer) => spawnSync('bzip2', ['-c'], { input: b }).stdout],
    ['xz', (b: Buffer) => spawnSync('xz', ['-c'], { input: b }).stdout],
  ] as const) {
    it(`accepts a ${name}-compressed context`, async () => {
      const r = await rawBuild('nocache=1', compress(await tarOf({ Dockerfile: 'FROM busybox\nCOPY x /x\n', x: name })));
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.lines.at(-1)!['stream']), /^Successfully built [0-9a-f]{12}\n$/);
    });
  }

  it('reads the Dockerfile from a subdirectory and applies .dockerignore for clients that do not', async () => {
    const r = await rawBuild(
      'dockerfile=build/app.Dockerfile&t=sub:1',
      await tarOf({ 'build/app.Dockerfile': 'FROM busybox\nCOPY . /c\n', '.dockerignore': 'ignored\nbuild\n', ignored: 'x', kept: 'y' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(await ok(['run', '--rm', 'sub:1', 'ls', '-A', '/c']), '.dockerignore\nkept');
  });

  it('reports a failed RUN\'s exit code in errorDetail', async () => {
    const r = await rawBuild('forcerm=1', await tarOf({ Dockerfile: 'FROM busybox\nRUN exit 7\n' }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.lines.at(-1), { errorDetail: { code: 7, message: "The command '/bin/sh -c exit 7' returned a non-zero code: 7" }, error: "The command '/bin/sh -c exit 7' returned a non-zero code: 7" });
  });

  it('stops the build when the client goes away, leaving nothing running or mounted', async () => {
    const r = await rawBuild('forcerm=1', await tarOf({ Dockerfile: 'FROM busybox\nRUN sleep 60\n' }), { abortOn: /Running in/ });
    assert.match(r.text, /Running in/);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const left = await ok(['ps', '-aq']);
      if (left === '' && mountsUnder(d.execRoot).length === 0) break;
      assert.ok(Date.now() < deadline, `still there after the client left: ${left} ${mountsUnder(d.execRoot).join(' ')}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  });

  it('refuses unknown and unsupported parameters with 400 naming them', async () => {
    const ctx = await tarOf({ Dockerfile: 'FROM busybox\n' });
    for (const [q, re] of [
      ['bogus=1', /unknown query parameter for POST \/build: bogus/],
      ['remote=https://example.com/ctx.tar', /remote build contexts/],
      ['platform=foobar', /unknown operating system/],
      ['platform=linux/s390x', /berth builds only for the host's platform/],
      ['t=Bad:Tag', /invalid tag/],
      ['dockerfile=nope', /Cannot locate specified Dockerfile: nope/],
      ['buildargs=notjson', /invalid JSON in query parameter buildargs/],
      ['squash=1', /squash/],
      ['version=2', /BuildKit/],
    ] as const) {
      const r = await rawBuild(q, ctx);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.match(r.text, re);
    }
  });

  it('lists the build cache in system df and removes it with build prune', async () => {
    await rawBuild('', await tarOf({ Dockerfile: 'FROM busybox\nRUN echo cached > /c\nENV A=1\n' }));
    const df = (await sdk(d).df()) as { BuildCache: { ID: string; Description: string; Size: number; InUse: boolean }[] };
    assert.ok(df.BuildCache.some((e) => e.Description === '/bin/sh -c echo cached > /c' && e.Size > 0), JSON.stringify(df.BuildCache));
    const pruned = await new Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, path: '/build/prune', method: 'POST' }, (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(t) as never) : reject(new Error(t))));
      });
      req.end();
    });
    assert.ok((pruned.CachesDeleted ?? []).length > 0);
    assert.ok(pruned.SpaceReclaimed > 0);
    const after = (await sdk(d).df()) as { BuildCache: { Description: string }[] };
    assert.ok(!after.BuildCache.some((e) => e.Description === '/bin/sh -c echo cached > /c'));
    // Tagged images and their chains stay.
    assert.ok(await ok(['image', 'inspect', '-f', '{{.Id}}', 'full:1']));
  });
});

describe('FROM an image in a registry that needs credentials (X-Registry-Config)', () => {
  let reg: TestRegistry;
  const user = 'builder';
  const pass = 'b-pa55';
  before(async () => {
    reg = await startRegistry({ auth: { user, pass } });
    await ok(['tag', 'busybox', `${reg.host}/private/base:1`]);
    const l = await docker(d, ['login', '-u', user, '--password-stdin', reg.host], { input: `${pass}\n` });
    assert.equal(l.code, 0, l.stderr);
    await ok(['push', `${reg.host}/private/base:1`]);
    await ok(['rmi', `${reg.host}/private/base:1`]);
  });
  after(async () => {
    await reg?.stop();
  });

  it('pulls the base image with the client\'s credentials, and again with --pull', async () => {
    const c = context({ Dockerfile: `FROM ${reg.host}/private/base:1\nRUN echo pulled\n` });
    const r = await build(['-t', 'from-reg', c]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Pulling from private\/base|Status: Downloaded newer image/);
    assert.ok(await ok(['image', 'inspect', '-f', '{{.Id}}', `${reg.host}/private/base:1`]));
    const again = await build(['--pull', '-t', 'from-reg', c]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Status: Image is up to date|Pulling from/);
    await ok(['logout', reg.host]);
    await ok(['rmi', `${reg.host}/private/base:1`]);
    const denied = await build(['--pull', c]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /no basic auth credentials|unauthorized|denied/);
  });
});
