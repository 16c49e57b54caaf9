/**
 * Where `run --rm … true` spends its time, from berthd's `--debug` log: the
 * `debug api method=… url=… ms=…` line of every request and the
 * `debug span name=start.* ms=…` / `exit.cleanup` spans, aligned with the
 * wall-clock window of each CLI run the bench timed. Every phase is a slice
 * of the critical path, so the phases of one run add up to its wall time.
 */
import { median } from './stats.js';

export interface LogEvent {
  kind: 'api' | 'span';
  /** span name, or "METHOD /normalised/path". */
  name: string;
  /** Epoch ms when the event ended (the log line's time) and when it began. */
  end: number;
  start: number;
  ms: number;
}

const FIELD = /(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g;

/** Strips the version prefix, ids and the query: `POST /containers/{id}/wait`. */
export function normaliseUrl(url: string): string {
  const path = url.replace(/^\/v\d+\.\d+/, '').split('?')[0]!;
  return path.replace(/\/containers\/(?!create|json|prune)[^/]+/, '/containers/{id}').replace(/\/exec\/[^/]+/, '/exec/{id}');
}

export function parseBerthdLog(text: string): LogEvent[] {
  const out: LogEvent[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+Z) debug (api|span) (.*)$/.exec(line);
    if (!m) continue;
    const end = Date.parse(m[1]!);
    const f: Record<string, string> = {};
    for (const x of m[3]!.matchAll(FIELD)) f[x[1]!] = x[2]!.startsWith('"') ? (JSON.parse(x[2]!) as string) : x[2]!;
    const ms = Number(f.ms);
    if (!Number.isFinite(end) || !Number.isFinite(ms)) continue;
    const name = m[2] === 'api' ? `${f.method} ${normaliseUrl(f.url ?? '')}` : (f.name ?? '?');
    out.push({ kind: m[2] as 'api' | 'span', name, end, start: end - ms, ms });
  }
  return out;
}

export interface RunWindow {
  /** Which series (column) this run belongs to. */
  series: string;
  t0: number;
  t1: number;
}

/** The phases in critical-path order. */
export const PHASES = [
  ['cli.start', 'CLI start-up (spawn → first API request)'],
  ['client.pre', 'requests before create (/_ping, …)'],
  ['api.create', 'POST /containers/create (record, snapshot prepare)'],
  ['client.between', 'client: create → start (attach, wait requests)'],
  ['start.cleanup', 'start: runtime leftovers check'],
  ['start.mount', 'start: mount the overlay snapshot'],
  ['start.spec', 'start: build + write config.json'],
  ['start.monitor', 'start: conmon + runc create'],
  ['start.network', 'start: network (veth, addresses, hosts)'],
  ['start.runtime', 'start: runc start'],
  ['start.save', 'start: save the record'],
  ['start.other', 'start: rest of the request'],
  ['run.exit', 'container runs `true`, exit noticed'],
  ['exit.cleanup', 'exit: runc delete + unmount'],
  ['teardown.remove', '--rm: remove container, wait returns'],
  ['cli.exit', 'CLI exit (wait answered → process gone)'],
] as const;

export type Phase = (typeof PHASES)[number][0];

/** Splits one run into phases; undefined when its log lines are incomplete. */
export function phasesOf(events: LogEvent[], w: RunWindow): Record<Phase | 'total', number> | undefined {
  const inRun = events.filter((e) => e.start >= w.t0 - 2 && e.end <= w.t1 + 2);
  const api = inRun.filter((e) => e.kind === 'api').sort((a, b) => a.start - b.start);
  const find = (name: string): LogEvent | undefined => inRun.find((e) => e.name === name);
  const create = find('POST /containers/create');
  const start = find('POST /containers/{id}/start');
  const wait = find('POST /containers/{id}/wait');
  const exit = find('exit.cleanup');
  if (!create || !start || !wait || !exit || api.length === 0) return undefined;
  const spans: Record<string, number> = {};
  for (const s of ['start.cleanup', 'start.mount', 'start.spec', 'start.monitor', 'start.network', 'start.runtime', 'start.save']) spans[s] = find(s)?.ms ?? 0;
  const spanSum = Object.values(spans).reduce((a, b) => a + b, 0);
  const first = api[0]!;
  // Boundaries on the critical path, forced monotonic: the exit can be noticed (and cleaned up)
  // before the start request has returned; that overlap is not counted twice.
  const b = [w.t0, first.start, create.start, create.end, start.start, start.end, exit.start, exit.end, wait.end, w.t1];
  for (let i = 1; i < b.length; i++) b[i] = Math.max(b[i]!, b[i - 1]!);
  const d = (i: number): number => b[i + 1]! - b[i]!;
  return {
    'cli.start': d(0),
    'client.pre': d(1),
    'api.create': d(2),
    'client.between': d(3),
    'start.cleanup': spans['start.cleanup']!,
    'start.mount': spans['start.mount']!,
    'start.spec': spans['start.spec']!,
    'start.monitor': spans['start.monitor']!,
    'start.network': spans['start.network']!,
    'start.runtime': spans['start.runtime']!,
    'start.save': spans['start.save']!,
    'start.other': Math.max(0, d(4) - spanSum),
    'run.exit': d(5),
    'exit.cleanup': d(6),
    'teardown.remove': d(7),
    'cli.exit': d(8),
    total: w.t1 - w.t0,
  };
}

export interface ProfileColumn {
  series: string;
  runs: number;
  /** phase → { median, mean } in ms. */
  phases: Record<string, { median: number; mean: number }>;
}

export function profile(events: LogEvent[], windows: RunWindow[]): ProfileColumn[] {
  const bySeries = new Map<string, Record<string, number>[]>();
  for (const w of windows) {
    const p = phasesOf(events, w);
    if (!p) continue;
    const list = bySeries.get(w.series) ?? [];
    list.push(p);
    bySeries.set(w.series, list);
  }
  return [...bySeries].sort((a, b) => a[0].localeCompare(b[0])).map(([series, runs]) => {
    const phases: ProfileColumn['phases'] = {};
    for (const key of [...PHASES.map((p) => p[0]), 'total']) {
      const vals = runs.map((r) => r[key]!);
      phases[key] = { median: median(vals), mean: vals.reduce((a, b) => a + b, 0) / vals.length };
    }
    return { series, runs: runs.length, phases };
  });
}

/** Markdown table: one row per phase, per column median ms and share of the mean total. */
export function profileMarkdown(cols: ProfileColumn[]): string {
  if (cols.length === 0) return '_no profile: berthd logged no complete runs_\n';
  const head = `| phase | ${cols.map((c) => `${c.series} (n=${c.runs}): median ms · share`).join(' | ')} |`;
  const sep = `|---|${cols.map(() => '---:').join('|')}|`;
  const rows = [...PHASES, ['total', '**total (wall time)**'] as const].map(([key, label]) => {
    const cells = cols.map((c) => {
      const v = c.phases[key]!;
      const share = key === 'total' ? '' : ` · ${((100 * v.mean) / c.phases.total!.mean).toFixed(0)} %`;
      return `${v.median.toFixed(1)}${share}`;
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n') + '\n\nShares are of the mean wall time (means add up; medians need not).\n';
}
