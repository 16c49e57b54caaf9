/**
 * berth vs Docker, side by side, on this machine (`npm run bench`).
 *
 *   node --import tsx bench/run.ts [--quick] [--with-docker | --docker-host unix:///path | --no-docker]
 *                                  [--reps N] [--only run,exec,ps,many,memory,net,image,cli,build] [--out DIR]
 *
 * Starts its own berthd (test/harness/daemon.ts: own root, socket, bridge and
 * subnet, removed afterwards even on failure) and, when a Docker daemon is
 * reachable (--docker-host, DOCKER_HOST, /var/run/docker.sock) or
 * --with-docker starts Debian's dockerd for the run (bench/lib/dockerd.ts),
 * measures the same scenarios on both, alternating between engines. Prints
 * the results table (median and spread per engine, berth/Docker), the time
 * breakdown of `run --rm true` from berthd's debug log, and the targets of the
 * issues; writes JSON, Markdown and an SVG chart of the ratios to bench/results/.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBusyboxArchive } from '../test/fixtures/busybox.js';
import { startDaemon, type TestDaemon } from '../test/harness/daemon.js';
import { Api } from './lib/api.js';
import { cliEnv, guarded, type Ctx, type Engine, type Settings } from './lib/context.js';
import { runCmd, sleep } from './lib/host.js';
import { startOwnDocker, type OwnDocker } from './lib/dockerd.js';
import { machineInfo, machineMarkdown } from './lib/machine.js';
import { parseBerthdLog, profile, profileMarkdown } from './lib/profile.js';
import { markdownTable, ratio, ratioChartSvg, targetsMarkdown, type Row, type Target } from './lib/report.js';
import { cliCommands, cliVsCli, S7 } from './scenarios/cli.js';
import { exec, manyContainers, memory, psOne, runRm, S1, S2, S3, S4 } from './scenarios/containers.js';
import { imageOps, S6 } from './scenarios/images.js';
import { S5, throughput } from './scenarios/network.js';
import { buildImage, S8 } from './scenarios/build.js';

const REPO = resolve(import.meta.dirname, '..');
const SCENARIOS = ['run', 'exec', 'ps', 'many', 'memory', 'net', 'image', 'cli', 'build'] as const;

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'with-docker': { type: 'boolean', default: false },
    'docker-host': { type: 'string' },
    'no-docker': { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
    chart: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  process.stdout.write(
    `usage: npm run bench -- [--quick] [--with-docker | --docker-host unix:///path | --no-docker] [--reps N] [--only ${SCENARIOS.join(',')}] [--out DIR]\n` +
      '       npm run bench -- --chart bench/results/latest.json   (only redraw the SVG chart of a results file)\n',
  );
  process.exit(0);
}

if (opt.chart) {
  const saved = JSON.parse(readFileSync(opt.chart, 'utf8')) as { machine: { date: string; cpus: number; docker?: { version: string } }; rows: Row[] };
  const svg = opt.chart.replace(/\.json$/, '') + '.svg';
  const docker = saved.machine.docker ? `Docker ${saved.machine.docker.version.split('+')[0]}` : 'Docker';
  writeFileSync(svg, ratioChartSvg(saved.rows, `berth vs ${docker} — ${saved.machine.date.slice(0, 10)}, ${saved.machine.cpus} cores`));
  process.stdout.write(`written: ${svg}\n`);
  process.exit(0);
}

const settings: Settings = opt.quick
  ? { quick: true, reps: 5, warmup: 1, cliReps: 3, cliStartReps: 5, apiReps: 50, loadClients: 10, loadSeconds: 2, containers: 30, memContainers: 20, memRounds: 1, iperfSeconds: 2, iperfReps: 1, imageReps: 1, pushReps: 1 }
  : { quick: false, reps: 15, warmup: 2, cliReps: 10, cliStartReps: 20, apiReps: 200, loadClients: 10, loadSeconds: 5, containers: 100, memContainers: 50, memRounds: 3, iperfSeconds: 5, iperfReps: 2, imageReps: 3, pushReps: 2 };
if (opt.reps) settings.reps = Math.max(1, Number(opt.reps));
const only = new Set((opt.only ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()));
for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);

const progress = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

if (process.getuid?.() !== 0) {
  process.stderr.write('bench: must run as root (it starts berthd, containers and bridges)\n');
  process.exit(1);
}

const tmp = mkdtempSync(join(os.tmpdir(), 'berth-bench-'));
let ownDocker: OwnDocker | undefined;
let berthd: TestDaemon | undefined;

/** Synchronous last-resort cleanup (signals, crashes); the harness's own exit hook removes berthd. */
function cleanupSync(): void {
  if (ownDocker) {
    const problems = ownDocker.stop(berthd ? [berthd.bridgeName] : []);
    if (problems.length) process.stderr.write(`bench: docker cleanup:\n  ${problems.join('\n  ')}\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}, cleaning up\n`);
    process.exit(130); // the exit hooks below (and the harness's) clean up
  });
}
process.on('exit', () => {
  if (berthd?.pid) {
    try {
      process.kill(berthd.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  cleanupSync();
});

async function loadArchive(api: Api, archive: Buffer): Promise<void> {
  const r = await api.request('POST', '/images/load?quiet=1', archive, { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200 || r.body.toString().includes('"error"')) throw new Error(`load busybox: ${r.status} ${r.body.toString().slice(0, 300)}`);
}

/** Which Docker daemon to compare with, if any. */
async function findDocker(): Promise<{ socket: string; source: string } | undefined> {
  if (opt['no-docker']) return undefined;
  const fromUrl = (u: string) => (u.startsWith('unix://') ? u.slice('unix://'.length) : undefined);
  if (opt['docker-host']) {
    const s = fromUrl(opt['docker-host']);
    if (!s) throw new Error('--docker-host must be unix:///path');
    return { socket: s, source: `existing daemon at ${opt['docker-host']}` };
  }
  if (opt['with-docker']) {
    progress('starting dockerd (--with-docker)');
    ownDocker = await startOwnDocker(join(tmp, 'docker'));
    return { socket: ownDocker.socket, source: `dockerd started by the bench (bridge ${ownDocker.bridge}, ${ownDocker.subnet}), defaults otherwise (iptables, userland proxy)` };
  }
  for (const cand of [process.env.DOCKER_HOST ? fromUrl(process.env.DOCKER_HOST) : undefined, '/var/run/docker.sock']) {
    if (!cand || !existsSync(cand)) continue;
    const api = new Api(cand);
    const ok = await api.ping();
    api.close();
    if (ok) return { socket: cand, source: `existing daemon at unix://${cand}` };
  }
  return undefined;
}

/**
 * A private copy of the berth CLI (the single executable dist/berth), so that a rebuild
 * during the run cannot change or break it midway.
 */
async function snapshotCli(): Promise<string> {
  const cli = join(tmp, 'berth');
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      copyFileSync(join(REPO, 'dist/berth'), cli);
      const r = await runCmd([cli, '--help']);
      const p = await runCmd([cli, 'ps', '--help']);
      if (r.code === 0 && p.code === 0) return cli;
      last = r.stderr || p.stderr;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(2000); // a build is probably running: try again
  }
  throw new Error(`cannot take a working copy of the berth CLI: ${last.slice(0, 300)}`);
}

async function main(): Promise<number> {
  const started = performance.now();
  const berthCli = await snapshotCli();
  const found = await findDocker();
  // berthd after dockerd, so it sees Docker's iptables filter table and installs its compat chain.
  progress('starting berthd');
  berthd = await startDaemon();
  const berthApi = new Api(berthd.socket);
  const busy = await buildBusyboxArchive('busybox:latest');
  await loadArchive(berthApi, busy.archive);
  const berth: Engine = { kind: 'berth', label: 'berthd', socket: berthd.socket, host: berthd.host, api: berthApi, busybox: 'busybox:latest', execRoot: berthd.execRoot };
  let docker: Engine | undefined;
  let dockerLoadedOwnBusybox = false;
  if (found) {
    const api = new Api(found.socket);
    if (!(await api.ping())) throw new Error(`no Docker daemon answers on ${found.socket}`);
    // On a daemon the bench did not start, keep clear of the user's own busybox tag.
    const tag = ownDocker ? 'busybox:latest' : 'berth-bench/busybox:latest';
    dockerLoadedOwnBusybox = !ownDocker && (await api.request('GET', `/images/${tag}/json`)).status === 404;
    await loadArchive(api, (await buildBusyboxArchive(tag)).archive);
    docker = { kind: 'docker', label: 'Docker', socket: found.socket, host: `unix://${found.socket}`, api, busybox: tag };
  }
  const machine = await machineInfo(REPO, berthApi, docker?.api, found?.source);
  progress(`berthd ${berthd.socket}${docker ? `; Docker ${machine.docker?.version} on ${docker.socket}` : '; no Docker daemon: berth only'}; ${settings.quick ? 'quick' : 'full'} run`);

  const ctx: Ctx = { repo: REPO, berthCli, tmp, settings, berth, docker, env: cliEnv(tmp), rows: [], windows: [], facts: {}, progress };
  try {
    if (only.has('run')) await guarded(ctx, S1, () => runRm(ctx));
    if (only.has('exec')) await guarded(ctx, S2, () => exec(ctx));
    if (only.has('ps')) await guarded(ctx, S3, () => psOne(ctx));
    if (only.has('many')) await guarded(ctx, S4, () => manyContainers(ctx));
    if (only.has('memory')) await guarded(ctx, S4, () => memory(ctx));
    if (only.has('net')) await guarded(ctx, S5, () => throughput(ctx));
    if (only.has('image')) await guarded(ctx, S6, () => imageOps(ctx));
    if (only.has('cli')) await guarded(ctx, S7, () => cliVsCli(ctx));
    if (only.has('build')) await guarded(ctx, S8, () => buildImage(ctx));
  } finally {
    for (const e of [berth, docker]) {
      if (!e) continue;
      // Anything a failed scenario left behind (the daemons we started are removed whole anyway).
      const left = await e.api.json<{ Id: string; Names: string[] }[]>('GET', '/containers/json?all=1').catch(() => []);
      for (const c of left) if (c.Names.some((n) => n.startsWith('/bench-'))) await e.api.remove(c.Id).catch(() => {});
    }
    if (docker && dockerLoadedOwnBusybox) await docker.api.removeImage(docker.busybox).catch(() => {});
  }

  // Scenario order (the ps rows with many containers are measured during scenario 4).
  const num = (r: Row): number => Number.parseInt(r.scenario, 10) || 99;
  ctx.rows.sort((a, b) => num(a) - num(b));
  const events = parseBerthdLog(berthd.log());
  const prof = profile(events, ctx.windows);
  machine.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const minutes = (performance.now() - started) / 60000;
  const targets = computeTargets(ctx);

  const dockerLabel = machine.docker ? `Docker ${machine.docker.version.split('+')[0]}` : undefined;
  const md = [
    `# berth bench — ${machine.date}`,
    '',
    machineMarkdown(machine),
    `- run: ${settings.quick ? 'quick' : 'full'} (${settings.reps} reps after ${settings.warmup} warm-up for run/exec, ${settings.containers} containers), ${minutes.toFixed(1)} min`,
    '',
    '## Results',
    '',
    markdownTable(ctx.rows, dockerLabel),
    '## Where `run --rm busybox true` spends its time (berthd debug spans and API timings)',
    '',
    profileMarkdown(prof),
    '## Targets (from the issues)',
    '',
    targetsMarkdown(targets),
  ].join('\n');

  mkdirSync(opt.out!, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const base = join(opt.out!, `bench-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify({ machine, settings, rows: ctx.rows.map((r) => ({ ...r, ratio: ratio(r) })), profile: prof, targets, facts: ctx.facts, minutes }, null, 2));
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.svg`, ratioChartSvg(ctx.rows, `berth vs ${dockerLabel ?? 'Docker'} — ${machine.date.slice(0, 10)}, ${machine.cpus} cores`));
  for (const ext of ['json', 'md', 'svg']) copyFileSync(`${base}.${ext}`, join(opt.out!, `latest.${ext}`));

  process.stdout.write(`\n${md}\nwritten: ${base}.{json,md,svg} (and latest.*)\n`);

  berthApi.close();
  docker?.api.close();
  return 0;
}

function computeTargets(ctx: Ctx): Target[] {
  const find = (scenario: string, name: string, client: string): Row | undefined => ctx.rows.find((r) => r.scenario === scenario && r.name === name && r.client === client);
  const ms = (r: Row | undefined) => r?.berth?.median;
  const t: Target[] = [];
  const runTarget = (name: string, limit: number, label: string) => {
    for (const client of ['berth CLI', 'docker CLI']) {
      const r = find(S1, name, client);
      const v = ms(r);
      t.push({
        target: `${label} ≤ ${limit} ms (${client} → berthd)`,
        figure: v === undefined ? 'not measured' : `${v.toFixed(0)} ms${r?.docker ? ` (Docker: ${r.docker.median.toFixed(0)} ms)` : ''}`,
        met: v === undefined ? undefined : v <= limit,
      });
    }
  };
  runTarget('--network none', 80, '`run --rm --network none busybox true`');
  runTarget('default bridge', 100, '`run --rm busybox true` on the default bridge');
  const ratioTarget = (fact: string, limit: number, label: string) => {
    const v = ctx.facts[fact];
    const d = ctx.facts[`${fact}.docker`];
    t.push({
      target: `${label} ≤ ${limit}× (docker CLI → berthd, medians of one interleaved loop; load average ${os.loadavg()[0]!.toFixed(1)} at the end)`,
      figure: v === undefined ? 'not measured' : `${v.toFixed(2)}×${d !== undefined ? ` (Docker: ${d.toFixed(2)}×)` : ''}`,
      met: v === undefined ? undefined : v <= limit,
    });
  };
  ratioTarget('run.bridgeOverNone', 1.1, 'issue 15: `run --rm` on the bridge / `--network none`');
  ratioTarget('run.noneOverRunc', 2, 'issue 15: `run --rm --network none` / bare `runc run` of the same bundle');
  const mem = ctx.facts['mem.perContainerMB'];
  const memRow = ctx.rows.find((r) => r.scenario === S4 && r.name.startsWith('host memory per idle container'));
  const pss = ctx.rows.find((r) => r.scenario === S4 && r.name.startsWith('monitor + container processes'))?.berth?.median;
  t.push({
    target: 'idle container ≤ 1.5 MB host memory',
    figure:
      mem === undefined
        ? 'not measured'
        : `MemAvailable Δ ${mem.toFixed(2)} MB per container (spread ${memRow?.berth ? `${memRow.berth.min.toFixed(2)}…${memRow.berth.max.toFixed(2)}` : '?'} MB: host noise)` +
          (pss !== undefined ? `; conmon + container processes PSS ${pss.toFixed(2)} MB` : '') +
          (memRow?.docker ? `; Docker ${memRow.docker.median.toFixed(2)} MB` : ''),
    met: mem === undefined ? undefined : mem <= 1.5 && (pss === undefined || pss <= 1.5),
  });
  for (const k of ['127.0.0.1', 'host address']) {
    const v = ctx.facts[`net.pct.${k}`];
    t.push({ target: `published port (${k}) ≥ 95 % of direct throughput`, figure: v === undefined ? 'not measured' : `${v.toFixed(1)} %`, met: v === undefined ? undefined : v >= 95 });
  }
  const ps = ctx.facts[`api.ps.${ctx.settings.containers}`];
  const psCli = find(S3, `ps, ${ctx.settings.containers} containers`, 'docker CLI');
  t.push({
    target: `\`ps\` with ${ctx.settings.containers} containers ≤ 15 ms (GET /containers/json, daemon side)`,
    figure: ps === undefined ? 'not measured' : `${ps.toFixed(1)} ms${psCli?.berth ? ` (whole \`docker ps\` command: ${psCli.berth.median.toFixed(0)} ms)` : ''}`,
    met: ps === undefined ? undefined : ps <= 15,
  });
  for (const [k, label] of [
    ['img.pull.ratio', 'pull'],
    ['img.load.ratio', 'load'],
  ] as const) {
    const v = ctx.facts[k];
    const row = ctx.rows.find((r) => r.scenario.startsWith('6.') && r.name.startsWith(label));
    t.push({
      target: `${label} ≥ 2× as fast as Docker`,
      figure: v === undefined || !Number.isFinite(v) ? (row?.skipped ? `skipped: ${row.skipped}` : 'no Docker figure') : `${v.toFixed(2)}× (berth ${row?.berth?.median.toFixed(2)} s, Docker ${row?.docker?.median.toFixed(2)} s)`,
      met: v === undefined || !Number.isFinite(v) ? undefined : v >= 2,
    });
  }
  for (const [name, key, limit] of [
    ['cold build (--no-cache)', 'cold', 0.6],
    ['fully cached rebuild', 'cached', 0.5],
  ] as const) {
    for (const client of ['docker CLI', 'berth CLI']) {
      const v = ctx.facts[`build.${key}.ratio.${client}`];
      const r = find(S8, name, client);
      t.push({
        target: `${name} ≤ ${limit}× Docker's classic builder (${client} → berthd vs docker CLI → Docker)`,
        figure: v === undefined || !Number.isFinite(v) ? (r?.skipped ? `skipped: ${r.skipped}` : 'no Docker figure') : `${v.toFixed(2)}× (berth ${((r?.berth?.median ?? NaN) / 1000).toFixed(2)} s, Docker ${((r?.docker?.median ?? NaN) / 1000).toFixed(2)} s)`,
        met: v === undefined || !Number.isFinite(v) ? undefined : v <= limit,
      });
    }
  }
  for (const [name] of cliCommands('busybox')) {
    const r = find(S7, name, 'berth CLI → berthd');
    const q = ctx.facts[`cli.ratio.${name}`];
    t.push({
      target: `\`${name}\`: berth CLI ≤ 1.1× the docker CLI, both → berthd (issue 15)`,
      figure: q === undefined ? 'not measured' : `${q.toFixed(2)}× (berth CLI ${r?.berth?.median.toFixed(0)} ms, docker CLI ${r?.docker?.median.toFixed(0)} ms)`,
      met: q === undefined ? undefined : q <= 1.1,
    });
  }
  for (const client of ['berth CLI', 'docker CLI']) {
    const r = find(S2, 'exec true in a running container', client);
    const v = ms(r);
    t.push({
      target: `\`exec true\` latency (${client} → berthd); issue 4 sets no number (Docker 20.10 there: ~62 ms), so: at most Docker's`,
      figure: v === undefined ? 'not measured' : `${v.toFixed(0)} ms${r?.docker ? ` (Docker: ${r.docker.median.toFixed(0)} ms)` : ''}`,
      met: v === undefined || !r?.docker ? undefined : v <= r.docker.median,
    });
  }
  return t;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  code = 1;
} finally {
  if (berthd) await berthd.cleanup().catch((e: unknown) => process.stderr.write(`bench: berthd cleanup: ${(e as Error).message}\n`));
  cleanupSync();
  ownDocker = undefined;
}
process.exit(code);
