/**
 * The builder against recording fakes of its contracts: history texts and
 * empty layers, the cache (hits, no-cache, cache-from), build args, stages
 * and --target, COPY's destination rules, failing steps and intermediate
 * containers, platforms. No root needed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import type { LayerRecord } from '../image/image-store.js';
import type { ImageConfigFile } from '../image/oci.js';
import { Builder, StepFailed } from './builder.js';
import { goDuration, goQuoteList, healthcheckText, parseGoDuration } from './config.js';
import type { BuildContainers, BuildImage, BuildImages, StepSpec } from './contracts.js';
import type { BuildOptions } from './options.js';

interface FakeContainer {
  spec: StepSpec;
  files: string[];
  ran: boolean;
  removed: boolean;
}

class Fakes {
  readonly images = new Map<string, BuildImage>();
  readonly containers = new Map<string, FakeContainer>();
  readonly journal: string[] = [];
  exitCode = 0;
  private next = 0;

  constructor() {
    this.images.set('sha256:base', { id: 'sha256:base', config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: ['sha256:l0'] }, history: [{ created_by: 'base' }] }, layers: [layer('l0')] });
  }

  containersApi(): BuildContainers {
    const c = (id: string) => this.containers.get(id)!;
    return {
      create: async (spec) => {
        const id = `c${String(this.next++).padStart(63, '0')}`;
        this.containers.set(id, { spec, files: [], ran: false, removed: false });
        this.journal.push(`create ${spec.cmd.join(' ')}`);
        return id;
      },
      run: async (id, output) => {
        c(id).ran = true;
        output(1, Buffer.from(`ran ${c(id).spec.cmd.at(-1)}\n`));
        output(2, Buffer.from('oops\n'));
        return this.exitCode;
      },
      putFiles: async (id, dir, tar) => {
        for (const name of await tarNames(tar)) c(id).files.push(`${dir}|${name}`);
      },
      mkdir: async (id, path) => {
        c(id).files.push(`${path}/`);
      },
      isDir: async (_id, path) => path === '/existing',
      list: async () => [],
      owner: async (_id, chown) => ({ uid: Number(chown.split(':')[0]), gid: Number(chown.split(':')[1] ?? chown.split(':')[0]) }),
      archive: async () => {
        throw new Error('not used');
      },
      commitLayer: async (id) => (c(id).files.length || c(id).ran ? layer(id.slice(-6)) : undefined),
      remove: async (id) => {
        c(id).removed = true;
        this.journal.push(`remove ${id.slice(-4)}`);
      },
    };
  }

  imagesApi(): BuildImages {
    return {
      find: (ref) => this.images.get(ref === 'busybox' ? 'sha256:base' : ref),
      get: (id) => this.images.get(id),
      children: (id) => [...this.images.values()].filter((i) => (i.parent ?? '') === id),
      pull: async (ref) => {
        throw new Error(`pull ${ref}`);
      },
      create: async (config, layers, parent) => {
        const id = `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
        this.images.set(id, { id, config, layers, ...(parent ? { parent } : {}) });
        return id;
      },
      tag: async () => {},
    };
  }
}

function layer(name: string): LayerRecord {
  return { diffID: `sha256:${name}`, chainID: `sha256:chain-${name}`, size: 1, tarSize: 1024, blob: { mediaType: 'x', digest: `sha256:${name}`, size: 1 } };
}

async function tarNames(tar: Readable): Promise<string[]> {
  const ex = extract();
  tar.pipe(ex);
  const names: string[] = [];
  for await (const e of ex) {
    names.push(`${e.header.name}:${e.header.uid}:${(e.header.mode ?? 0).toString(8)}`);
    e.resume();
  }
  return names;
}

const OPTS: BuildOptions = {
  dockerfile: 'Dockerfile',
  tags: [],
  buildArgs: {},
  labels: {},
  noCache: false,
  pull: false,
  rm: true,
  forceRm: false,
  quiet: false,
  networkMode: 'default',
  extraHosts: [],
  resources: { memory: 0, memorySwap: 0, cpuShares: 0, cpuPeriod: 0, cpuQuota: 0, cpusetCpus: '', cpusetMems: '', ulimits: [] },
  cacheFrom: [],
};

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function ctxDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-'));
  dirs.push(dir);
  for (const [n, body] of Object.entries(files)) {
    mkdirSync(join(dir, n, '..'), { recursive: true });
    writeFileSync(join(dir, n), body);
  }
  return dir;
}

async function runBuild(f: Fakes, dockerfile: string, opts: Partial<BuildOptions> = {}, files: Record<string, string> = {}) {
  const lines: string[] = [];
  const b = new Builder(
    { containers: f.containersApi(), images: f.imagesApi(), platform: { os: 'linux', architecture: 'amd64' }, signal: new AbortController().signal },
    { ...OPTS, ...opts },
    { stream: (t) => lines.push(t), aux: () => {}, message: () => {} },
    ctxDir(files),
    dockerfile,
    ctxDir(),
  );
  const id = await b.build();
  return { id, out: lines.join(''), config: f.images.get(id)!.config };
}

const historyOf = (c: ImageConfigFile) => (c.history ?? []).map((h) => `${h.created_by}${h.empty_layer ? ' (empty)' : ''}`);

describe('the builder', () => {
  it('writes Docker\'s history: #(nop) entries for config steps, layers for RUN', async () => {
    const f = new Fakes();
    const { config, out } = await runBuild(f, 'FROM busybox\nENV A=1 B="x y"\nRUN echo hi\nCMD ["a", "b c"]\nEXPOSE 80\n');
    assert.deepEqual(historyOf(config).slice(1), [
      '/bin/sh -c #(nop)  ENV A=1 B=x y (empty)',
      '/bin/sh -c echo hi',
      '/bin/sh -c #(nop)  CMD ["a" "b c"] (empty)',
      '/bin/sh -c #(nop)  EXPOSE 80 (empty)',
    ]);
    assert.deepEqual(config.rootfs.diff_ids.length, 2);
    assert.deepEqual(config.config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=x y']);
    assert.match(out, /Step 3\/5 : RUN echo hi\n ---> Running in c0+\d\n/);
    assert.match(out, /ran echo hi\n\u001b\[91moops\n\u001b\[0mRemoving intermediate container/);
    const run = [...f.containers.values()].find((c) => c.ran)!;
    assert.deepEqual(run.spec.cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.equal(run.removed, true);
  });

  it('reuses the cache for the same steps, and not with noCache', async () => {
    const f = new Fakes();
    const df = 'FROM busybox\nRUN echo hi\nLABEL a=b\n';
    const first = await runBuild(f, df);
    const second = await runBuild(f, df);
    assert.equal(second.id, first.id);
    assert.equal((second.out.match(/Using cache/g) ?? []).length, 2);
    const creates = f.journal.filter((j) => j.startsWith('create')).length;
    const third = await runBuild(f, df, { noCache: true });
    assert.doesNotMatch(third.out, /Using cache/);
    assert.equal(f.journal.filter((j) => j.startsWith('create')).length, creates + 1);
  });

  it('looks only at the cacheFrom chains when given', async () => {
    const f = new Fakes();
    const df = 'FROM busybox\nENV X=1\n';
    const first = await runBuild(f, df);
    assert.match((await runBuild(f, df, { cacheFrom: [first.id] })).out, /Using cache/);
    assert.doesNotMatch((await runBuild(f, df, { cacheFrom: ['nosuch'] })).out, /Using cache/);
  });

  it('passes declared build args to RUN and its history, warns about unused ones', async () => {
    const f = new Fakes();
    const { config, out } = await runBuild(f, 'ARG TAG=busybox\nFROM $TAG\nARG V=1\nARG W\nRUN echo $V\n', { buildArgs: { V: '2', UNUSED: 'x', HTTP_PROXY: 'http://p' } });
    assert.equal(historyOf(config).at(-1), '|1 V=2 /bin/sh -c echo $V');
    const run = [...f.containers.values()].find((c) => c.ran)!;
    assert.ok(run.spec.env.includes('V=2') && run.spec.env.includes('HTTP_PROXY=http://p'), run.spec.env.join(' '));
    assert.match(out, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
  });

  it('builds up to --target and adds the labels option as a last LABEL step', async () => {
    const f = new Fakes();
    const { config, out } = await runBuild(f, 'FROM busybox AS a\nENV S=a\nFROM busybox AS b\nENV S=b\n', { target: 'a', labels: { 'x.y': 'v w' } });
    assert.match(out, /Step 3\/3 : LABEL x\.y="v w"/);
    assert.deepEqual(config.config?.Labels, { 'x.y': 'v w' });
    assert.ok(config.config?.Env?.includes('S=a'));
    await assert.rejects(runBuild(f, 'FROM busybox AS a\n', { target: 'zz' }), /failed to reach build target zz/);
  });

  it('copies by Docker\'s destination rules, owned by root or --chown, with --chmod', async () => {
    const f = new Fakes();
    await runBuild(
      f,
      'FROM busybox\nWORKDIR /w\nCOPY a.txt rel\nCOPY a.txt /existing\nCOPY d /dd/\nCOPY --chown=5:6 --chmod=600 *.txt /t/\n',
      {},
      { 'a.txt': 'a', 'b.txt': 'b', 'd/x': 'x' },
    );
    const files = [...f.containers.values()].flatMap((c) => c.files);
    assert.deepEqual(files, ['/w/', '/w|rel:0:644', '/existing|a.txt:0:644', '/dd/|x:0:644', '/t/|a.txt:5:600', '/t/|b.txt:5:600']);
    await assert.rejects(runBuild(new Fakes(), 'FROM busybox\nCOPY a.txt b.txt /nodir\n', {}, { 'a.txt': '', 'b.txt': '' }), /must be a directory and end with a \//);
  });

  it('fails a non-zero RUN with Docker\'s message and code, keeping the container unless forceRm', async () => {
    const f = new Fakes();
    f.exitCode = 3;
    const err = await runBuild(f, 'FROM busybox\nRUN exit 3\n').catch((e: unknown) => e);
    assert.ok(err instanceof StepFailed);
    assert.equal(err.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    assert.equal(err.exitCode, 3);
    assert.equal([...f.containers.values()].filter((c) => c.removed).length, 0);
    await runBuild(f, 'FROM busybox\nRUN exit 3\n', { forceRm: true }).catch(() => {});
    assert.equal([...f.containers.values()].filter((c) => c.removed).length, 1);
  });

  it('builds only for the host\'s platform', async () => {
    await assert.rejects(runBuild(new Fakes(), 'FROM busybox\n', { platform: 'foobar' }), /unknown operating system/);
    await assert.rejects(runBuild(new Fakes(), 'FROM --platform=linux/arm64 busybox\n'), /only for the host's platform/);
    await runBuild(new Fakes(), 'FROM --platform=linux/amd64 busybox\n');
  });

  it('refuses instructions before FROM and unknown flags', async () => {
    await assert.rejects(runBuild(new Fakes(), 'RUN x\nFROM busybox\n'), /no build stage in current context/);
    await assert.rejects(runBuild(new Fakes(), 'FROM busybox\nCOPY --link a b\n', {}, { a: '' }), /unknown flag: --link/);
    await assert.rejects(runBuild(new Fakes(), 'FROM busybox\nSHELL /bin/bash\n'), /SHELL requires the arguments to be in JSON form/);
  });
});

describe('builder text helpers', () => {
  it('formats as Go does', () => {
    assert.equal(goQuoteList(['/bin/sh', '-c', 'echo "hi"']), '["/bin/sh" "-c" "echo \\"hi\\""]');
    assert.deepEqual([0, 5e9, 90e9, 3600e9 + 1e9, 1.5e9, 2e6].map(goDuration), ['0s', '5s', '1m30s', '1h0m1s', '1.5s', '2ms']);
    assert.equal(parseGoDuration('interval', '1m30s'), 90e9);
    assert.throws(() => parseGoDuration('interval', '5x'), /invalid duration "5x" for --interval/);
    assert.equal(healthcheckText({ Test: ['CMD', 'true'], Interval: 5e9, Retries: 3 }), '&{["CMD" "true"] "5s" "0s" "0s" \'\\x03\'}');
  });
});
