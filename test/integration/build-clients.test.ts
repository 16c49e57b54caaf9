/**
 * The same Dockerfiles built through every client Docker users build with,
 * against berthd's `POST /build` (the classic builder): berth's CLI, the
 * docker CLI 28 with DOCKER_BUILDKIT=0 and without it (no buildx plugin is
 * installed, so it warns and falls back to the classic builder),
 * docker-compose 1.29 (`build` and `up --build`), dockerode's buildImage
 * and docker-py's images.build(). Each builds a multi-stage Dockerfile with
 * ARG, COPY (with .dockerignore), RUN and COPY --from, runs the result,
 * rebuilds it from the cache, and builds one whose RUN step fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cli, runCmd, sdk, type CmdOptions, type CmdResult } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';

const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS builder
ARG MSG=default
WORKDIR /src
COPY . .
RUN echo "built:$MSG" > /out.txt && cat app.txt >> /out.txt && ls -A /src | sort > /listing.txt
FROM busybox
LABEL stage=final
COPY --from=builder /out.txt /listing.txt /
ENV GREETING=hello
CMD ["cat", "/out.txt", "/listing.txt"]
`;

const FAILING = `FROM busybox
RUN echo before > /before.txt
RUN echo failing-step && exit 3
RUN echo never
`;

/** The context: what .dockerignore keeps out must not reach the image. */
function writeContext(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const files: Record<string, string> = {
    Dockerfile: DOCKERFILE,
    'Dockerfile.fail': FAILING,
    '.dockerignore': '*.log\nsecrets\n**/*.tmp\ndocs\n!docs/keep.md\n',
    'app.txt': 'app-content\n',
    'sub/nested.txt': 'nested\n',
    'sub/cache.tmp': 'tmp\n',
    'debug.log': 'log\n',
    'secrets/key': 'key\n',
    'docs/keep.md': 'keep\n',
    'docs/drop.md': 'drop\n',
  };
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), body);
  }
}

/** What `cat /out.txt /listing.txt` prints for an image built with MSG=msg. */
const expectedRun = (msg: string): string => `built:${msg}\napp-content\n.dockerignore\nDockerfile\nDockerfile.fail\napp.txt\ndocs\nsub\n`;

const FAIL_MESSAGE = "The command '/bin/sh -c echo failing-step && exit 3' returned a non-zero code: 3";

/** A build through one CLI-like client: its result and the ID it reports. */
type BuildFn = (args: { tag: string; msg: string; dockerfile?: string }) => Promise<CmdResult>;

describe('image build through every client', () => {
  let d: TestDaemon;
  let work: string;
  let ctxDir: string;
  const run = (args: string[], opts: CmdOptions = {}) => cli('berth', d, args, { timeoutMs: 120_000, ...opts });
  const imageId = async (ref: string): Promise<string> => {
    const r = await run(['image', 'inspect', '-f', '{{.Id}}', ref]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const runImage = async (ref: string): Promise<string> => {
    const r = await run(['run', '--rm', ref]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  /** The containers left behind (intermediate ones must all be gone after rm). */
  const containers = async (): Promise<string> => (await run(['ps', '-aq'])).stdout.trim();

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    work = join(d.base, 'build-work');
    ctxDir = join(work, 'ctx');
    writeContext(ctxDir);
  });
  after(async () => {
    await d?.cleanup();
  });

  /** The CLI scenario, identical for berth and both docker CLI modes. */
  function cliScenario(label: string, build: BuildFn, warns: RegExp | undefined): void {
    describe(label, () => {
      const tag = `build-${label.replace(/[^a-z0-9]+/g, '-')}:latest`;
      let firstId = '';

      it('builds a multi-stage Dockerfile with ARG, COPY, RUN and COPY --from, printing the classic output', async () => {
        const r = await build({ tag, msg: label });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        if (warns) assert.match(r.stderr, warns);
        assert.match(r.stdout, /^Sending build context to Docker daemon +\d+(\.\d+)?[kM]?B\r\r\n/);
        assert.match(r.stdout, /\nStep 1\/11 : ARG BASE=busybox\n/);
        assert.match(r.stdout, /\nStep 2\/11 : FROM \$BASE AS builder\n/);
        assert.match(r.stdout, /\nStep 11\/11 : CMD \["cat", "\/out.txt", "\/listing.txt"\]\n/);
        assert.match(r.stdout, / ---> Running in [0-9a-f]{12}\n/);
        const built = /\nSuccessfully built ([0-9a-f]{12})\n/.exec(r.stdout);
        assert.ok(built, r.stdout);
        assert.match(r.stdout, new RegExp(`\\nSuccessfully tagged ${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
        firstId = await imageId(tag);
        assert.equal(firstId.replace('sha256:', '').slice(0, 12), built[1]);
        assert.equal(await runImage(tag), expectedRun(label));
        assert.equal(await containers(), '', 'intermediate containers removed');
      });

      it('rebuilds from the cache: every step "Using cache", the same image', async () => {
        const r = await build({ tag, msg: label });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        // WORKDIR, COPY, RUN, LABEL, COPY --from, ENV, CMD (and ARG MSG) come from the cache.
        const cached = r.stdout.match(/ ---> Using cache\n/g) ?? [];
        assert.ok(cached.length >= 7, r.stdout);
        assert.doesNotMatch(r.stdout, /Running in/);
        assert.equal(await imageId(tag), firstId);
      });

      it("a failing RUN step: the daemon's message, the step's exit code, only the failed step's container kept (rm without force-rm)", async () => {
        const before = await containers();
        const r = await build({ tag: `${tag.split(':')[0]}-fail`, msg: label, dockerfile: 'Dockerfile.fail' });
        assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /\nStep 3\/4 : RUN echo failing-step && exit 3\n/);
        assert.match(r.stdout, /failing-step\n/);
        assert.doesNotMatch(r.stdout, /Step 4\/4/);
        assert.ok(r.stderr.trimEnd().endsWith(FAIL_MESSAGE), r.stderr);
        const left = (await containers()).split('\n').filter((id) => id && !before.includes(id));
        assert.equal(left.length, 1, 'Docker keeps the failed step\'s container unless --force-rm');
        assert.equal((await run(['rm', ...left])).code, 0);
        const gone = await run(['image', 'inspect', `${tag.split(':')[0]}-fail`]);
        assert.equal(gone.code, 1);
      });
    });
  }

  const viaCli = (which: 'berth' | 'docker', env: Record<string, string>): BuildFn => {
    return ({ tag, msg, dockerfile }) => cli(which, d, ['build', '-t', tag, '--build-arg', `MSG=${msg}`, ...(dockerfile ? ['-f', join(ctxDir, dockerfile)] : []), ctxDir], { timeoutMs: 180_000, env });
  };
  cliScenario('berth', viaCli('berth', {}), undefined);
  cliScenario('docker-legacy', viaCli('docker', { DOCKER_BUILDKIT: '0' }), /BuildKit is currently disabled/);
  cliScenario('docker-default', viaCli('docker', {}), /Install the buildx component to build images with BuildKit/);

  describe('berth build options', () => {
    it('-q prints only the image ID; --iidfile writes it', async () => {
      const iid = join(work, 'iid');
      const r = await run(['build', '-q', '--iidfile', iid, '-t', 'quiet:1', ctxDir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal(readFileSync(iid, 'utf8').trim(), r.stdout.trim());
      assert.equal(await imageId('quiet:1'), r.stdout.trim());
    });

    it('--target stops at a stage; --label and several -t are applied', async () => {
      const r = await run(['build', '--target', 'builder', '--label', 'team=core', '--label', 'empty', '-t', 'stage:a', '-t', 'stage:b', ctxDir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Successfully tagged stage:a\nSuccessfully tagged stage:b\n$/);
      assert.doesNotMatch(r.stdout, /Step \d+\/\d+ : FROM busybox\n/);
      const labels = JSON.parse((await run(['image', 'inspect', '-f', '{{json .Config.Labels}}', 'stage:b'])).stdout) as Record<string, string>;
      assert.deepEqual(labels, { team: 'core', empty: '' });
      assert.equal((await run(['run', '--rm', 'stage:a', 'cat', '/out.txt'])).stdout, 'built:default\napp-content\n');
    });

    it('-f - reads the Dockerfile from stdin, with the directory as context', async () => {
      const r = await run(['build', '-f', '-', '-t', 'stdin-df', ctxDir], { input: 'FROM busybox\nCOPY app.txt /\nCMD ["cat", "/app.txt"]\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await runImage('stdin-df'), 'app-content\n');
      // The hidden Dockerfile is listed in .dockerignore, so COPY . does not take it.
      const all = await run(['build', '-f', '-', '-t', 'stdin-all', ctxDir], { input: 'FROM busybox\nCOPY . /c/\nCMD ["ls", "-A", "/c"]\n' });
      assert.equal(all.code, 0, all.stderr);
      assert.doesNotMatch(await runImage('stdin-all'), /\.dockerfile\./);
    });

    it('- takes a Dockerfile or a tar (plain or gzip) on stdin', async () => {
      const df = await run(['build', '-t', 'from-stdin', '-'], { input: 'FROM busybox\nCMD ["echo", "from-stdin"]\n' });
      assert.equal(df.code, 0, df.stderr);
      assert.equal(await runImage('from-stdin'), 'from-stdin\n');
      const pack = tar.pack();
      pack.entry({ name: 'build/Dockerfile.x' }, 'FROM busybox\nCOPY hello /\nCMD ["cat", "/hello"]\n');
      pack.entry({ name: 'hello' }, 'from tar\n');
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack) chunks.push(c as Buffer);
      const archive = Buffer.concat(chunks);
      const t = await run(['build', '-f', 'build/Dockerfile.x', '-t', 'from-tar', '-'], { input: archive });
      assert.equal(t.code, 0, t.stderr);
      assert.equal(await runImage('from-tar'), 'from tar\n');
      const gz = spawnSync('gzip', ['-c'], { input: archive }).stdout;
      const g = await run(['build', '-f', 'build/Dockerfile.x', '-t', 'from-tgz', '-'], { input: gz });
      assert.equal(g.code, 0, g.stderr);
      assert.equal(await runImage('from-tgz'), 'from tar\n');
    });

    it('--force-rm removes the failed step\'s container too', async () => {
      const before = await containers();
      const r = await run(['build', '--force-rm', '-f', join(ctxDir, 'Dockerfile.fail'), ctxDir]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(await containers(), before);
    });

    it('--no-cache runs every step again', async () => {
      const r = await run(['build', '--no-cache', '--build-arg', 'MSG=berth', '-t', 'nocache', ctxDir]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Using cache/);
      assert.match(r.stdout, /Running in/);
    });

    it('refuses bad input locally, as docker does', async () => {
      const badTag = await run(['build', '-t', 'Bad', ctxDir]);
      assert.equal(badTag.code, 125);
      assert.match(badTag.stderr, /^invalid argument "Bad" for "-t, --tag" flag: invalid reference format: repository name \(library\/Bad\) must be lowercase\n\nUsage:  berth build \[OPTIONS\] PATH \| URL \| -\n/);
      const missing = await run(['build', join(work, 'nope')]);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `unable to prepare context: path "${join(work, 'nope')}" not found\n`);
      const both = await run(['build', '-f', '-', '-'], { input: 'FROM busybox\n' });
      assert.equal(both.stderr, "invalid argument: can't use stdin for both build context and dockerfile\n");
      const noDf = await run(['build', join(ctxDir, 'sub')]);
      assert.match(noDf.stderr, /^unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat .*\/sub\/Dockerfile: no such file or directory\n$/);
      const squash = await run(['build', '--squash', ctxDir]);
      assert.equal(squash.code, 1);
      assert.equal(squash.stderr, '"--squash" is only supported on a Docker daemon with experimental features enabled\n');
      const trust = await run(['build', ctxDir], { env: { DOCKER_CONTENT_TRUST: '1' } });
      assert.equal(trust.code, 1);
      assert.match(trust.stderr, /content trust is not supported/);
    });

    it('builder prune -a -f removes the build cache and reports it as docker does', async () => {
      const r = await run(['builder', 'prune', '-a', '-f']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^(Deleted build cache objects:\n([0-9a-z]+\n)+\n)?Total reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
      const again = await run(['builder', 'prune', '-a', '-f']);
      assert.equal(again.stdout, 'Total reclaimed space: 0B\n');
      const build = await run(['build', '-q', '--build-arg', 'MSG=berth', ctxDir]);
      assert.equal(build.code, 0, build.stderr);
    });

    it('image build and builder build are the same command', async () => {
      for (const path of [['image', 'build'], ['builder', 'build']]) {
        const r = await run([...path, '-q', ctxDir]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
      }
    });
  });

  describe('dockerode buildImage', () => {
    const files = ['Dockerfile', 'Dockerfile.fail', '.dockerignore', 'app.txt', 'sub/nested.txt', 'docs/keep.md'];
    type Message = { stream?: string; aux?: { ID: string }; errorDetail?: { code?: number; message: string } };
    const follow = async (stream: NodeJS.ReadableStream): Promise<{ err: Error | null; out: Message[] }> => {
      const docker = sdk(d);
      return new Promise((resolve) => docker.modem.followProgress(stream, (err: Error | null, out: Message[]) => resolve({ err, out })));
    };

    it('builds, tags, and rebuilds from the cache', async () => {
      const docker = sdk(d);
      const first = await follow(await docker.buildImage({ context: ctxDir, src: files }, { t: 'sdk-built:1', buildargs: { MSG: 'dockerode' } }));
      assert.equal(first.err, null);
      assert.ok(!first.out.some((m) => m.errorDetail), JSON.stringify(first.out));
      const aux = first.out.find((m) => m.aux)?.aux;
      assert.ok(aux && aux.ID.startsWith('sha256:'), JSON.stringify(first.out));
      assert.equal((await docker.getImage('sdk-built:1').inspect()).Id, aux.ID);
      assert.equal(await runImage('sdk-built:1'), expectedRun('dockerode'));
      const again = await follow(await docker.buildImage({ context: ctxDir, src: files }, { t: 'sdk-built:1', buildargs: { MSG: 'dockerode' } }));
      assert.ok(again.out.some((m) => m.stream?.includes(' ---> Using cache\n')), JSON.stringify(again.out));
      assert.equal(again.out.find((m) => m.aux)?.aux?.ID, aux.ID);
    });

    it('a failing step ends the stream with errorDetail and the exit code', async () => {
      const docker = sdk(d);
      const r = await follow(await docker.buildImage({ context: ctxDir, src: files }, { t: 'sdk-fail', dockerfile: 'Dockerfile.fail', forcerm: true }));
      assert.equal(r.err, null);
      const last = r.out[r.out.length - 1];
      assert.deepEqual(last?.errorDetail, { code: 3, message: FAIL_MESSAGE });
    });
  });

  describe('docker-py images.build()', () => {
    const py = (code: string) => runCmd(['python3', '-c', code], { env: { PYTHONPATH: '/work/shared/conformance/docker-py/src', DOCKER_HOST: d.host }, timeoutMs: 180_000 });

    it('builds with buildargs, returns the image and its log, and raises BuildError on a failing step', async () => {
      const r = await py(`
import docker, json
c = docker.from_env()
img, logs = c.images.build(path=${JSON.stringify(ctxDir)}, tag='py-built:1', buildargs={'MSG': 'docker-py'}, rm=True)
streams = ''.join(l.get('stream', '') for l in logs)
print(json.dumps({'id': img.id, 'tags': img.tags, 'successfully': 'Successfully built' in streams}))
img2, logs2 = c.images.build(path=${JSON.stringify(ctxDir)}, tag='py-built:1', buildargs={'MSG': 'docker-py'})
print(json.dumps({'same': img2.id == img.id, 'cached': any('Using cache' in l.get('stream', '') for l in logs2)}))
try:
    c.images.build(path=${JSON.stringify(ctxDir)}, dockerfile='Dockerfile.fail', forcerm=True)
    print(json.dumps({'raised': False}))
except docker.errors.BuildError as e:
    print(json.dumps({'raised': True, 'msg': e.msg}))
`);
      assert.equal(r.code, 0, r.stderr);
      const [first, second, failed] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(first!['id'], await imageId('py-built:1'));
      assert.deepEqual(first!['tags'], ['py-built:1']);
      assert.equal(first!['successfully'], true);
      assert.deepEqual(second, { same: true, cached: true });
      assert.deepEqual(failed, { raised: true, msg: FAIL_MESSAGE });
      assert.equal(await runImage('py-built:1'), expectedRun('docker-py'));
    });
  });

  describe('docker-compose 1.29', { skip: existsSync('/usr/bin/docker-compose') ? false : 'docker-compose is not installed (apt-get install docker-compose)' }, () => {
    let project: string;
    // COMPOSE_DOCKER_CLI_BUILD picks compose's builder: docker-py's API call (0) or `docker build` (1).
    const compose = (args: string[], cliBuild: '0' | '1') =>
      runCmd(['docker-compose', '-p', 'bt', ...args], { env: { DOCKER_HOST: d.host, COMPOSE_INTERACTIVE_NO_CLI: '1', COMPOSE_DOCKER_CLI_BUILD: cliBuild, DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000 });
    before(() => {
      project = join(work, 'compose');
      mkdirSync(project, { recursive: true });
      writeFileSync(
        join(project, 'docker-compose.yml'),
        `version: "3"\nservices:\n  app:\n    build:\n      context: ${ctxDir}\n      args:\n        MSG: compose\n    image: compose-built:latest\n  broken:\n    build:\n      context: ${ctxDir}\n      dockerfile: Dockerfile.fail\n    image: compose-broken:latest\n`,
      );
    });
    const inProject = (args: string[], cliBuild: '0' | '1' = '0') => compose(['-f', join(project, 'docker-compose.yml'), ...args], cliBuild);

    it('build (through docker-py): the service image is built and tagged, a failing service fails the command', async () => {
      const r = await inProject(['build', 'app']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /Successfully tagged compose-built:latest/);
      assert.equal(await runImage('compose-built:latest'), expectedRun('compose'));
      const broken = await inProject(['build', '--force-rm', 'broken']);
      assert.notEqual(broken.code, 0);
      assert.match(broken.stdout + broken.stderr, /returned a non-zero code: 3/);
    });

    it('up --build (through `docker build`) rebuilds from the cache and runs the service', async () => {
      const r = await inProject(['up', '--no-color', '--build', '--abort-on-container-exit', 'app'], '1');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /Using cache/);
      assert.match(r.stdout, /app_1 +\| built:compose/);
      const down = await inProject(['down']);
      assert.equal(down.code, 0, down.stderr);
    });
  });
});
