/**
 * Scenario 7: image build with the classic builder (issue 14). A
 * multi-stage Dockerfile with four RUN and four COPY steps over a context of
 * 300 small files and 4 MB of data, built cold (`--no-cache`: every step
 * runs) and fully cached (the same build again), through the docker CLI
 * with DOCKER_BUILDKIT=0 against both engines and through berth's CLI
 * against berthd, engines alternating per repetition.
 * Targets: cold ≤ 0.6× Docker's time, cached ≤ 0.5×.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, cliArgv, cliRows, cliVariants, statOf, type Ctx, type Variant } from '../lib/context.js';
import { runCmd } from '../lib/host.js';

export const S8 = '8. build (multi-stage, 4 RUN + 4 COPY, 300 files + 4 MB)';

const TAG = 'bench/build:latest';

const DOCKERFILE = `FROM busybox AS build
WORKDIR /src
COPY src/ ./src/
RUN mkdir -p /out && for i in $(seq 1 500); do echo "generated line $i" >> /out/gen.txt; done
COPY data/ ./data/
RUN cat data/* | md5sum > /out/data.md5 && wc -c data/* > /out/sizes.txt
RUN tar -cf /out/src.tar src && ls -R src | wc -l > /out/count.txt
FROM busybox
COPY --from=build /out /app
COPY app.conf /etc/app.conf
RUN sed -i 's/^mode=.*/mode=bench/' /etc/app.conf && mkdir -p /var/lib/app
ENV APP_HOME=/app
CMD ["ls", "/app"]
`;

/** The build context, made once per bench run. */
function makeContext(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'app.conf'), 'mode=default\nname=bench\n');
  writeFileSync(join(dir, '.dockerignore'), '*.log\n');
  for (let i = 0; i < 300; i++) {
    const sub = join(dir, 'src', `pkg${i % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `file${i}.txt`), `file ${i}\n`.repeat(100));
  }
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, 'data', `blob${i}.bin`), Buffer.alloc(1 << 20, i + 1));
  writeFileSync(join(dir, 'ignored.log'), 'not sent\n');
}

/** The docker CLI runs the classic builder, as the issue compares; berth's CLI has no other. */
function env(ctx: Ctx): NodeJS.ProcessEnv {
  return { ...ctx.env, DOCKER_BUILDKIT: '0' };
}

/** One timed build; a recorded cached build must run no step (the warm-up one fills the cache). */
async function build(ctx: Ctx, v: Variant, dir: string, extra: string[], recorded: boolean): Promise<number> {
  const client = v.client === 'API' ? 'docker CLI' : v.client;
  const r = await runCmd(cliArgv(ctx, client, v.engine, ['build', ...extra, '-t', TAG, dir]), env(ctx));
  if (r.code !== 0) throw new Error(`${v.key}: build ${extra.join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
  if (extra.includes('--no-cache')) {
    // Each cold build leaves the previous image's chain untagged: remove it now, outside the timing.
    await v.engine.api.removeImage(TAG);
  } else if (recorded && /Running in/.test(r.stdout)) throw new Error(`${v.key}: the cached build ran a step: ${r.stdout.slice(-400)}`);
  return r.ms;
}

export async function buildImage(ctx: Ctx): Promise<void> {
  const dir = join(ctx.tmp, 'build-context');
  makeContext(dir);
  const variants = cliVariants(ctx);
  const reps = Math.max(3, ctx.settings.imageReps);
  try {
    const measure = async (key: 'cold' | 'cached', name: string, extra: string[]): Promise<void> => {
      ctx.progress(`  ${name}`);
      const samples = await alternate(variants, reps, 1, (v, recorded) => build(ctx, v, dir, extra, recorded));
      ctx.rows.push(...cliRows(ctx, S8, name, samples));
      const docker = statOf(samples, 'docker CLI→docker');
      if (!docker) return;
      for (const client of ['docker CLI', 'berth CLI'] as const) {
        const berth = statOf(samples, `${client}→berth`);
        if (berth) ctx.facts[`build.${key}.ratio.${client}`] = berth.median / docker.median;
      }
    };
    await measure('cold', 'cold build (--no-cache)', ['--no-cache']);
    await measure('cached', 'fully cached rebuild', []);
  } finally {
    // The tag and, with it, the intermediate images of the build (rmi prunes untagged parents).
    for (const e of [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])]) await e.api.removeImage(TAG).catch(() => {});
  }
}
