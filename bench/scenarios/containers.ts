/** Scenarios 1–4: run --rm, exec, ps/inspect and the API under load, many containers, memory. */
import { loadTest, sequentialGets } from '../lib/api.js';
import { bareRunc } from '../lib/bare-runc.js';
import { alternate, cliArgv, cliRows, cliVariants, engineVariants, statOf, timeCli, type Ctx, type Engine, type Variant } from '../lib/context.js';
import { ppidOf, processes, pssKb, rssKb, sleep, steadyMemAvailableKb } from '../lib/host.js';
import { stat } from '../lib/stats.js';

export const S1 = '1. run --rm busybox true';
export const S2 = '2. exec true';
export const S3 = '3. ps / inspect / API load';
export const S4 = '4. many containers';

/**
 * `run --rm busybox true` with `--network none` and on the default bridge,
 * every client, and bare `runc run` of the same bundle, all interleaved in
 * one loop (round i rotates the order), so that load changes during the run
 * hit every series alike: the ratios bridge / none and none / runc are the
 * issue's targets.
 */
export async function runRm(ctx: Ctx): Promise<void> {
  const { reps, warmup } = ctx.settings;
  const nets = [
    ['--network none', ['--network', 'none']],
    ['default bridge', []],
  ] as const;
  const bare = ctx.berth.execRoot ? await bareRunc(ctx.berth, ctx.berth.execRoot, ctx.tmp) : undefined;
  try {
    const variants: Variant[] = nets.flatMap(([name]) => cliVariants(ctx).map((v) => ({ ...v, key: `${name}|${v.key}` })));
    if (bare) variants.push({ key: BARE, client: 'API', engine: ctx.berth });
    ctx.progress(`  run --rm: ${variants.length} series interleaved`);
    const samples = await alternate(variants, reps, warmup, async (v, recorded) => {
      if (v.key === BARE) return bare!.run();
      const [name] = v.key.split('|');
      const net = nets.find(([n]) => n === name)![1];
      const r = await timeCli(ctx, cliArgv(ctx, v.client as 'berth CLI' | 'docker CLI', v.engine, ['run', '--rm', ...net, v.engine.busybox, 'true']));
      if (recorded && v.engine.kind === 'berth') ctx.windows.push({ series: `${v.client}, ${net.length ? '--network none' : 'bridge'}`, t0: r.t0, t1: r.t1 });
      return r.ms;
    });
    for (const [name] of nets) {
      const mine = new Map([...samples].filter(([k]) => k.startsWith(`${name}|`)).map(([k, x]) => [k.slice(name.length + 1), x]));
      ctx.rows.push(...cliRows(ctx, S1, name, mine));
    }
    const med = (key: string) => statOf(samples, key)?.median;
    const ratioFact = (fact: string, a: string, b: string) => {
      const x = med(a);
      const y = med(b);
      if (x !== undefined && y !== undefined && y > 0) ctx.facts[fact] = x / y;
    };
    ratioFact('run.bridgeOverNone', 'default bridge|docker CLI→berth', '--network none|docker CLI→berth');
    ratioFact('run.bridgeOverNone.docker', 'default bridge|docker CLI→docker', '--network none|docker CLI→docker');
    if (bare) {
      const b = statOf(samples, BARE)!;
      ctx.rows.push({ scenario: S1, name: 'bare `runc run` of the same bundle (the floor)', client: 'runc', unit: 'ms', better: 'lower', berth: b, note: 'no engine, monitor or client' });
      ratioFact('run.noneOverRunc', '--network none|docker CLI→berth', BARE);
      ratioFact('run.noneOverRunc.docker', '--network none|docker CLI→docker', BARE);
    }
  } finally {
    await bare?.cleanup();
  }
}

const BARE = 'bare runc run';

async function startSleeper(e: Engine, name: string, network = 'none'): Promise<string> {
  await e.api.remove(name).catch(() => {});
  const id = await e.api.createContainer(name, ['sleep', '3600'], { image: e.busybox, network });
  await e.api.start(id);
  return id;
}

export async function exec(ctx: Ctx): Promise<void> {
  const { reps, warmup } = ctx.settings;
  for (const e of [ctx.berth, ctx.docker]) if (e) await startSleeper(e, 'bench-exec');
  const samples = await alternate(cliVariants(ctx), reps, warmup, async (v) => (await timeCli(ctx, cliArgv(ctx, v.client as 'berth CLI' | 'docker CLI', v.engine, ['exec', 'bench-exec', 'true']))).ms);
  ctx.rows.push(...cliRows(ctx, S2, 'exec true in a running container', samples));
}

/** ps and inspect through the CLIs and the API, and GET /containers/json under concurrent clients. */
export async function psInspect(ctx: Ctx, count: number, inspectName: string): Promise<void> {
  const { cliReps, apiReps, loadClients, loadSeconds } = ctx.settings;
  const label = `${count} container${count === 1 ? '' : 's'}`;
  for (const [what, args] of [
    ['ps', ['ps']],
    ['inspect', ['inspect', inspectName]],
  ] as const) {
    const samples = await alternate(cliVariants(ctx), cliReps, 1, async (v) => (await timeCli(ctx, cliArgv(ctx, v.client as 'berth CLI' | 'docker CLI', v.engine, [...args]))).ms);
    ctx.rows.push(...cliRows(ctx, S3, `${what}, ${label}`, samples));
  }
  for (const [what, path] of [
    ['GET /containers/json (ps)', '/containers/json'],
    ['GET /containers/{id}/json (inspect)', `/containers/${inspectName}/json`],
  ] as const) {
    const samples = new Map<string, number[]>();
    for (const v of engineVariants(ctx, 'API')) samples.set(v.key, await sequentialGets(v.engine.socket, path, apiReps));
    const berth = statOf(samples, 'API→berth');
    const docker = statOf(samples, 'API→docker');
    ctx.rows.push({ scenario: S3, name: `${what}, ${label}`, client: 'API (1 keep-alive client)', unit: 'ms', better: 'lower', ...(berth ? { berth } : {}), ...(docker ? { docker } : {}) });
    if (what.startsWith('GET /containers/json') && berth) ctx.facts[`api.ps.${count}`] = berth.median;
  }
  const load = new Map<string, Awaited<ReturnType<typeof loadTest>>>();
  for (const v of engineVariants(ctx, 'API')) load.set(v.engine.kind, await loadTest(v.engine.socket, '/containers/json', loadClients, loadSeconds * 1000));
  const one = (k: 'berth' | 'docker', f: 'rps' | 'p50' | 'p99') => {
    const r = load.get(k);
    return r ? stat([r[f]]) : undefined;
  };
  const client = `${loadClients} concurrent clients, ${loadSeconds} s`;
  for (const [f, name, unit, better] of [
    ['rps', 'GET /containers/json rate', 'req/s', 'higher'],
    ['p50', 'GET /containers/json latency p50', 'ms', 'lower'],
    ['p99', 'GET /containers/json latency p99', 'ms', 'lower'],
  ] as const) {
    const b = one('berth', f);
    const d = one('docker', f);
    const errors = [...load.values()].reduce((a, r) => a + r.errors, 0);
    ctx.rows.push({ scenario: S3, name: `${name}, ${label}`, client, unit, better, ...(b ? { berth: b } : {}), ...(d ? { docker: d } : {}), ...(errors && f === 'rps' ? { note: `${errors} errors` } : {}) });
  }
}

export async function psOne(ctx: Ctx): Promise<void> {
  for (const e of [ctx.berth, ctx.docker]) {
    if (!e) continue;
    // Exactly one container: the exec scenario's sleeper (started here when that scenario was skipped).
    const list = await e.api.json<{ Names: string[] }[]>('GET', '/containers/json');
    if (!list.some((c) => c.Names.includes('/bench-exec'))) await startSleeper(e, 'bench-exec');
  }
  await psInspect(ctx, 1, 'bench-exec');
}

async function createStart(e: Engine, name: string, network: string, cmd: string[]): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const id = await e.api.createContainer(name, cmd, { image: e.busybox, network });
  await e.api.start(id);
  return { id, ms: performance.now() - t0 };
}

async function removeAll(e: Engine, ids: string[], workers = 4): Promise<number> {
  const t0 = performance.now();
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await e.api.remove(id);
    }),
  );
  return performance.now() - t0;
}

/** Start N detached containers sequentially (engines alternating per container), ps/inspect with N, then N with 10 concurrent starters. */
export async function manyContainers(ctx: Ctx): Promise<void> {
  const n = ctx.settings.containers;
  const engines = [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])];
  for (const e of engines) await e.api.remove('bench-exec').catch(() => {});
  const ids = new Map<string, string[]>(engines.map((e) => [e.kind, []]));
  const lat = new Map<string, number[]>(engines.map((e) => [e.kind, []]));
  const total = new Map<string, number>(engines.map((e) => [e.kind, 0]));
  ctx.progress(`  ${n} sequential starts`);
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? engines : [...engines].reverse();
    for (const e of order) {
      const r = await createStart(e, `bench-seq-${i}`, 'bridge', ['sleep', '3600']);
      ids.get(e.kind)!.push(r.id);
      lat.get(e.kind)!.push(r.ms);
      total.set(e.kind, total.get(e.kind)! + r.ms);
    }
  }
  const pair = (m: Map<string, number[]>) => ({ berth: stat(m.get('berth')!), ...(ctx.docker ? { docker: stat(m.get('docker')!) } : {}) });
  ctx.rows.push({ scenario: S4, name: `start ${n} detached (bridge), sequential: per container`, client: 'API (create + start)', unit: 'ms', better: 'lower', ...pair(lat) });
  ctx.rows.push({
    scenario: S4,
    name: `start ${n} detached, sequential: total`,
    client: 'API (create + start)',
    unit: 's',
    better: 'lower',
    berth: stat([total.get('berth')! / 1000]),
    ...(ctx.docker ? { docker: stat([total.get('docker')! / 1000]) } : {}),
  });
  ctx.progress(`  ps / inspect with ${n}`);
  try {
    await psInspect(ctx, n, `bench-seq-${n - 1}`);
  } catch (e) {
    ctx.rows.push({ scenario: S3, name: `ps / inspect, ${n} containers`, client: '—', unit: 'ms', better: 'lower', skipped: (e as Error).message.split('\n')[0]!.slice(0, 300) });
  }
  ctx.progress(`  removing ${n}`);
  const rm = new Map<string, number>();
  for (const e of engines) rm.set(e.kind, await removeAll(e, ids.get(e.kind)!));
  ctx.rows.push({
    scenario: S4,
    name: `rm -f ${n} running containers (4 clients)`,
    client: 'API',
    unit: 's',
    better: 'lower',
    berth: stat([rm.get('berth')! / 1000]),
    ...(ctx.docker ? { docker: stat([rm.get('docker')! / 1000]) } : {}),
  });
  ctx.progress(`  ${n} starts, 10 concurrent`);
  const conc = new Map<string, { total: number; lat: number[] }>();
  for (const e of engines) {
    const made: string[] = [];
    const l: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = next++; i < n; i = next++) {
          const r = await createStart(e, `bench-conc-${i}`, 'bridge', ['sleep', '3600']);
          made.push(r.id);
          l.push(r.ms);
        }
      }),
    );
    conc.set(e.kind, { total: performance.now() - t0, lat: l });
    await removeAll(e, made);
  }
  ctx.rows.push({
    scenario: S4,
    name: `start ${n} detached, 10 concurrent: total`,
    client: 'API (create + start)',
    unit: 's',
    better: 'lower',
    berth: stat([conc.get('berth')!.total / 1000]),
    ...(ctx.docker ? { docker: stat([conc.get('docker')!.total / 1000]) } : {}),
  });
  ctx.rows.push({
    scenario: S4,
    name: `start ${n} detached, 10 concurrent: per container`,
    client: 'API (create + start)',
    unit: 'ms',
    better: 'lower',
    berth: stat(conc.get('berth')!.lat),
    ...(ctx.docker ? { docker: stat(conc.get('docker')!.lat) } : {}),
  });
}

/**
 * The per-container processes: the monitor (conmon for berth, found by `-c <id>`;
 * containerd-shim-runc-v2 for Docker, by `-id <id>`) and its children (the container's init).
 * Returns the monitors' RSS and the PSS of monitors plus children, in kB.
 */
function perContainerProcesses(ids: string[]): { monitors: number; rssKb: number; pssKb: number } {
  const want = new Set(ids);
  const all = processes();
  const monitors = all.filter((p) => {
    if (!/conmon$|containerd-shim/.test(p.cmdline[0] ?? '')) return false;
    const flag = p.cmdline.findIndex((a) => a === '-c' || a === '-id');
    return flag >= 0 && want.has(p.cmdline[flag + 1] ?? '');
  });
  const monitorPids = new Set(monitors.map((p) => p.pid));
  const children = all.filter((p) => monitorPids.has(ppidOf(p.pid)));
  return {
    monitors: monitors.length,
    rssKb: monitors.reduce((a, p) => a + rssKb(p.pid), 0),
    pssKb: [...monitors, ...children].reduce((a, p) => a + pssKb(p.pid), 0),
  };
}

/** Host memory per idle container: MemAvailable before and after N `sleep` containers (--network none), one engine at a time. */
export async function memory(ctx: Ctx): Promise<void> {
  const n = ctx.settings.memContainers;
  const engines = [ctx.berth, ...(ctx.docker ? [ctx.docker] : [])];
  const perCtr = new Map<string, number[]>(engines.map((e) => [e.kind, []]));
  const monitor = new Map<string, number[]>(engines.map((e) => [e.kind, []]));
  const pss = new Map<string, number[]>(engines.map((e) => [e.kind, []]));
  for (let round = 0; round < ctx.settings.memRounds; round++) {
    for (const e of round % 2 === 0 ? engines : [...engines].reverse()) {
      ctx.progress(`  ${n} idle containers on ${e.label}${ctx.settings.memRounds > 1 ? ` (round ${round + 1})` : ''}`);
      await sleep(1500);
      const before = await steadyMemAvailableKb();
      const ids: string[] = [];
      let during = NaN;
      try {
        for (let i = 0; i < n; i++) ids.push((await createStart(e, `bench-mem-${i}`, 'none', ['sleep', '3600'])).id);
        await sleep(3000);
        during = await steadyMemAvailableKb();
        const m = perContainerProcesses(ids);
        if (m.monitors) {
          monitor.get(e.kind)!.push(m.rssKb / m.monitors / 1024);
          pss.get(e.kind)!.push(m.pssKb / m.monitors / 1024);
        }
      } finally {
        await removeAll(e, ids);
      }
      // Baseline = mean of the readings before the containers and after their removal, which cancels
      // a steady drift of the host's other memory use (the daemon keeps what its heap grew meanwhile).
      await sleep(3000);
      const afterRm = await steadyMemAvailableKb();
      perCtr.get(e.kind)!.push(((before + afterRm) / 2 - during) / n / 1024);
    }
  }
  const row = (name: string, m: Map<string, number[]>, note?: string) => {
    const b = m.get('berth')!;
    const d = m.get('docker') ?? [];
    ctx.rows.push({ scenario: S4, name, client: 'API', unit: 'MB', better: 'lower', ...(b.length ? { berth: stat(b) } : {}), ...(d.length ? { docker: stat(d) } : {}), ...(note ? { note } : {}) });
  };
  row(`host memory per idle container (MemAvailable Δ over ${n} \`sleep\`, --network none)`, perCtr);
  row('monitor RSS per container', monitor, 'berth: conmon; Docker: containerd-shim-runc-v2');
  row('monitor + container processes, PSS per container', pss);
  const b = perCtr.get('berth')!;
  if (b.length) ctx.facts['mem.perContainerMB'] = stat(b).median;
}
