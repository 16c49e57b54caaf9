/** Results: the row model, the Markdown table, the SVG bar chart of ratios, the targets. */
import type { Stat } from './stats.js';

export type Unit = 'ms' | 's' | 'req/s' | 'Gbit/s' | 'MB' | '%';

export interface Row {
  /** Scenario number and title, e.g. "1. run --rm busybox true". */
  scenario: string;
  /** What was measured within the scenario. */
  name: string;
  /** The client that drove both engines (or "API", or "berth CLI" for the berth side only). */
  client: string;
  unit: Unit;
  better: 'lower' | 'higher';
  berth?: Stat;
  docker?: Stat;
  /** How the Docker figure was obtained when it differs from `client`. */
  dockerClient?: string;
  note?: string;
  /** Why the berth (or whole) measurement was skipped. */
  skipped?: string;
  dockerSkipped?: string;
}

export function ratio(r: Row): number | undefined {
  // A ratio only means something between two positive figures (a noisy memory delta can go negative).
  if (!r.berth || !r.docker || !(r.docker.median > 0) || !(r.berth.median > 0)) return undefined;
  return r.berth.median / r.docker.median;
}

function num(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return '—';
  switch (unit) {
    case 'ms':
      return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
    case 's':
      return v.toFixed(2);
    case 'req/s':
      return v.toFixed(0);
    case 'Gbit/s':
      return v.toFixed(2);
    case 'MB':
      return v.toFixed(2);
    case '%':
      return v.toFixed(1);
  }
}

export function fmtStat(s: Stat | undefined, unit: Unit): string {
  if (!s) return '—';
  const u = unit === '%' ? ' %' : ` ${unit}`;
  if (s.n === 1) return `${num(s.median, unit)}${u}`;
  const [lo, hi] = s.n >= 10 ? [s.p10, s.p90] : [s.min, s.max];
  return `${num(s.median, unit)}${u} (${num(lo, unit)}–${num(hi, unit)})`;
}

export function markdownTable(rows: Row[], dockerLabel: string | undefined): string {
  const lines = [
    `| scenario | measure | client | berth | ${dockerLabel ?? 'Docker'} | berth/Docker |`,
    '|---|---|---|---:|---:|---:|',
  ];
  let last = '';
  for (const r of rows) {
    const q = ratio(r);
    const better = r.better === 'lower' ? '↓' : '↑';
    const berth = r.skipped ? `skipped: ${r.skipped}` : fmtStat(r.berth, r.unit);
    const docker = r.dockerSkipped ? `skipped: ${r.dockerSkipped}` : r.docker ? fmtStat(r.docker, r.unit) + (r.dockerClient ? ` [${r.dockerClient}]` : '') : '—';
    lines.push(
      `| ${r.scenario === last ? '' : r.scenario} | ${r.name} ${better}${r.note ? ` (${r.note})` : ''} | ${r.client} | ${berth} | ${docker} | ${q === undefined ? '—' : `${q.toFixed(2)}×`} |`,
    );
    last = r.scenario;
  }
  return `${lines.join('\n')}\n\nValues: median (p10–p90 when n ≥ 10, else min–max). ↓ lower is better, ↑ higher is better; berth/Docker is the ratio of medians.\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars of berth/Docker on a log₂ axis (¼× … 4×, clamped), green where berth is better. */
export function ratioChartSvg(rows: Row[], title: string): string {
  const data = rows.map((r) => ({ r, q: ratio(r) })).filter((x): x is { r: Row; q: number } => x.q !== undefined && Number.isFinite(x.q));
  const labelW = 430;
  const plotW = 420;
  const rowH = 22;
  const top = 56;
  const height = top + data.length * rowH + 50;
  const width = labelW + plotW + 80;
  const maxLog = 2; // 4×
  const x = (q: number): number => Math.round((labelW + plotW / 2 + (Math.max(-maxLog, Math.min(maxLog, Math.log2(q))) / maxLog) * (plotW / 2)) * 10) / 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">berth / Docker (median), log scale; green: berth better (lower time, or higher rate), red: Docker better</text>`,
  ];
  for (const t of [0.25, 0.5, 1, 2, 4]) {
    const gx = x(t);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + data.length * rowH}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    out.push(`<text x="${gx}" y="${top + data.length * rowH + 16}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  data.forEach(({ r, q }, i) => {
    const y = top + i * rowH;
    const good = r.better === 'lower' ? q <= 1 : q >= 1;
    const x0 = x(1);
    const x1 = x(q);
    const label = `${r.scenario.split('.')[0]}. ${r.name} — ${r.client}`;
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(label.length > 70 ? `${label.slice(0, 67)}…` : label)}</text>`);
    out.push(`<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.round(Math.abs(x1 - x0) * 10) / 10)}" height="${rowH - 8}" fill="${good ? '#2e9d4c' : '#d0453a'}"/>`);
    out.push(`<text x="${x1 + (x1 >= x0 ? 4 : -4)}" y="${y + 15}" text-anchor="${x1 >= x0 ? 'start' : 'end'}" fill="#222">${q.toFixed(2)}×</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface Target {
  target: string;
  figure: string;
  met: boolean | undefined;
}

export function targetsMarkdown(targets: Target[]): string {
  return [
    '| target | figure | met? |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.figure} | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**'} |`),
  ].join('\n') + '\n';
}
