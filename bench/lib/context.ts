/** What every scenario gets: the engines, the clients, the settings, and helpers to time them fairly. */
import type { Api } from './api.js';
import { runCmd } from './host.js';
import type { RunWindow } from './profile.js';
import type { Row } from './report.js';
import { stat, type Stat } from './stats.js';

export interface Engine {
  kind: 'berth' | 'docker';
  label: string;
  socket: string;
  /** unix://… for -H */
  host: string;
  api: Api;
  /** The busybox image reference on this engine. */
  busybox: string;
  /** berthd's --exec-root (where it writes bundles), for the bare runc baseline. */
  execRoot?: string;
}

export interface Settings {
  quick: boolean;
  /** run --rm / exec repetitions (after warm-up runs). */
  reps: number;
  warmup: number;
  /** CLI ps/inspect repetitions. */
  cliReps: number;
  /** Repetitions per command of the berth CLI vs docker CLI scenario. */
  cliStartReps: number;
  /** Sequential API requests per latency series. */
  apiReps: number;
  /** Concurrent load: clients and seconds. */
  loadClients: number;
  loadSeconds: number;
  /** Containers for the start/ps scenario, and for the memory scenario. */
  containers: number;
  memContainers: number;
  /** Memory measurements per engine (engines alternate; the median is reported). */
  memRounds: number;
  iperfSeconds: number;
  iperfReps: number;
  imageReps: number;
  pushReps: number;
}

export interface Ctx {
  repo: string;
  /** The berth CLI to run: a copy of dist/berth taken at the start, so a rebuild meanwhile cannot break it. */
  berthCli: string;
  tmp: string;
  settings: Settings;
  berth: Engine;
  docker: Engine | undefined;
  /** Environment for CLI runs: its own DOCKER_CONFIG, no DOCKER_HOST/BERTH_HOST. */
  env: NodeJS.ProcessEnv;
  rows: Row[];
  /** Wall-clock windows of CLI runs against berthd, for the profile. */
  windows: RunWindow[];
  /** Extra figures the targets need (e.g. memory per container). */
  facts: Record<string, number>;
  progress(msg: string): void;
}

export type ClientName = 'berth CLI' | 'docker CLI';

export function cliArgv(ctx: Ctx, client: ClientName, e: Engine, args: string[]): string[] {
  return client === 'berth CLI' ? [ctx.berthCli, '-H', e.host, ...args] : ['docker', '-H', e.host, ...args];
}

export function cliEnv(tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: `${tmp}/docker-config`, DOCKER_CLI_HINTS: 'false' };
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'BERTH_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[k];
  return env;
}

/** Runs a CLI command, returns its wall time in ms (and its window); throws when it fails. */
export async function timeCli(ctx: Ctx, argv: string[]): Promise<{ ms: number; t0: number; t1: number; stdout: string }> {
  const t0 = performance.timeOrigin + performance.now();
  const r = await runCmd(argv, ctx.env);
  const t1 = performance.timeOrigin + performance.now();
  if (r.code !== 0) throw new Error(`${argv.slice(0, 1).concat(argv.slice(3)).join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  return { ms: r.ms, t0, t1, stdout: r.stdout };
}

export interface Variant {
  key: string;
  client: ClientName | 'API';
  engine: Engine;
}

/** The CLI variants: berth CLI → berthd, docker CLI → berthd, docker CLI → Docker (when present). */
export function cliVariants(ctx: Ctx): Variant[] {
  const v: Variant[] = [
    { key: 'berth CLI→berth', client: 'berth CLI', engine: ctx.berth },
    { key: 'docker CLI→berth', client: 'docker CLI', engine: ctx.berth },
  ];
  if (ctx.docker) v.push({ key: 'docker CLI→docker', client: 'docker CLI', engine: ctx.docker });
  return v;
}

export function engineVariants(ctx: Ctx, client: ClientName | 'API'): Variant[] {
  return [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])].map((engine) => ({ key: `${client}→${engine.kind}`, client, engine }));
}

/**
 * Measures every variant `reps` times, alternating: round i runs the variants
 * in an order rotated by i, so neither engine always goes first. Warm-up
 * rounds are not recorded.
 */
export async function alternate(variants: Variant[], reps: number, warmup: number, fn: (v: Variant, recorded: boolean) => Promise<number>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  for (let i = 0; i < warmup + reps; i++) {
    const order = variants.map((_, j) => variants[(i + j) % variants.length]!);
    for (const v of order) {
      const x = await fn(v, i >= warmup);
      if (i >= warmup) out.get(v.key)!.push(x);
    }
  }
  return out;
}

export function statOf(samples: Map<string, number[]>, key: string): Stat | undefined {
  const s = samples.get(key);
  return s && s.length ? stat(s) : undefined;
}

/** The rows of a CLI scenario: one per client against berthd, each compared with docker CLI → Docker. */
export function cliRows(ctx: Ctx, scenario: string, name: string, samples: Map<string, number[]>): Row[] {
  const docker = statOf(samples, 'docker CLI→docker');
  const mk = (client: ClientName): Row => ({
    scenario,
    name,
    client,
    unit: 'ms',
    better: 'lower',
    berth: statOf(samples, `${client}→berth`),
    ...(docker ? { docker, dockerClient: client === 'berth CLI' ? 'docker CLI' : undefined } : {}),
  });
  void ctx;
  return [mk('berth CLI'), mk('docker CLI')];
}

/** Runs a scenario; a failure becomes a skipped row instead of ending the bench. */
export async function guarded(ctx: Ctx, scenario: string, fn: () => Promise<void>): Promise<void> {
  ctx.progress(`scenario ${scenario}`);
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.slice(0, 300);
    ctx.progress(`  failed: ${msg}`);
    ctx.rows.push({ scenario, name: 'scenario failed', client: '—', unit: 'ms', better: 'lower', skipped: msg });
  }
  ctx.progress(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
