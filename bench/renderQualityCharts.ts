// The quality benchmark's charts (quality.svg): every strategy over the full range, a zoom on those
// near random, and the paired difference against random on the same split; one function each.
import { grid, lineChart, PALETTE } from './plot';
import type { Chart, Series } from './plot';
import type { AggregateRow } from './aggregate';
import type { QualityView } from './renderQuality';
import { int, pct } from './renderText';

const STRATEGY_COLORS: Record<string, string> = {
  'cadc (default: proportional, sub-capability, top-10% self-influence dropped)': '#E41A1C',
  'cadc (proportional, sub-capability, no self-influence filter)': '#0072B2',
  'cadc (proportional, stratified, top-10% self-influence dropped)': '#8dd3c7',
  'random (top-10% self-influence dropped)': '#999999',
  'cadc (even, stratified; paper split)': '#56B4E9',
  'cadc (even, influence-weighted)': '#009E73',
  'cadc (even, top-influence; paper literal)': '#003f5c',
  mmssr: '#E69F00',
  'task-balanced': '#D55E00',
  less: '#CC79A7',
  icons: '#8c564b',
  length: '#9467bd',
  'loss-band': '#7a7a00',
};
const colorOf = (n: string, i: number) =>
  STRATEGY_COLORS[n.replace(/ \(label: [^)]*\)$/, '')] ?? (/self-influence dropped/.test(n) ? '#E41A1C' : PALETTE[i % PALETTE.length]);

/** Shorter names for chart legends (the tables keep the full ones). */
function chartName(n: string): string {
  return n
    .replace(
      /^cadc \(default: proportional, sub-capability, top-(\d+)% self-influence dropped\)$/,
      'cadc default (top-$1% self-infl. dropped)',
    )
    .replace(/^cadc \(proportional, sub-capability, no self-influence filter\)$/, 'cadc, no self-influence filter')
    .replace(/^cadc \(proportional, stratified, top-(\d+)% self-influence dropped\)$/, 'cadc, previous default (stratified)')
    .replace(/^random \(top-(\d+)% self-influence dropped\)$/, 'random, top-$1% self-infl. dropped');
}

function xAxis(v: QualityView) {
  return {
    xLabel: 'budget (% of the training pool, log scale)',
    xLog: true,
    xTicks: v.budgets.map((b) => 100 * b),
    xTickFormat: (x: number) => `${x}%`,
    yTickFormat: (y: number) => `${Math.round(y)}`,
  };
}

/** Random's mean with a band: its seed spread (one split) or the spread of its mean over splits. */
function randomSeries(v: QualityView): Series[] {
  const { N, rnd, seeds } = v;
  if (!rnd.length) return [];
  return [
    {
      name: N > 1 ? `random, ${seeds} seeds: mean ± sd over splits` : `random: mean ± sd (${seeds} seeds)`,
      color: '#444444',
      dashed: true,
      points: rnd.map((r) => [100 * r.budget, r.relative.mean]),
      band: rnd.map((r) => {
        const sd = N > 1 ? (r.relative.sd ?? 0) : (r.seedSd?.mean ?? 0);
        return [100 * r.budget, r.relative.mean - sd, r.relative.mean + sd];
      }),
    },
  ];
}

/** One strategy's line (relative performance or difference vs random), with error bars and split dots when asked. */
function strategySeries(v: QualityView, n: string, i: number, dx = 0, what: 'relative' | 'vsRandom' = 'relative', bars = false): Series {
  const rs = v.budgets.map((b) => v.get(n, b)).filter((r): r is AggregateRow => !!r && !!r[what]);
  return {
    name: v.usesLabel(n) ? `${chartName(n)} †` : chartName(n),
    color: colorOf(n, i),
    dashed: v.usesLabel(n),
    dx,
    points: rs.map((r) => [100 * r.budget, r[what]!.mean]),
    ...(bars && v.N > 1
      ? {
          errors: rs.map(
            (r) => [100 * r.budget, r[what]!.mean - (r[what]!.sd ?? 0), r[what]!.mean + (r[what]!.sd ?? 0)] as [number, number, number],
          ),
          dots: rs.flatMap((r) => r[what]!.perSplit.map((x) => [100 * r.budget, x] as [number, number])),
        }
      : {}),
  };
}

/** The strategies near random, spread sideways so their bars do not overlap. */
function nearSeries(v: QualityView, nearNames: string[], what: 'relative' | 'vsRandom'): Series[] {
  const spread = (k: number) => (k - (nearNames.length - 1) / 2) * 10;
  return nearNames.map((n) => strategySeries(v, n, v.others.indexOf(n), spread(nearNames.indexOf(n)), what, true));
}

function fullRangeChart(v: QualityView, random: Series[]): Chart {
  const { j, N } = v;
  const note = `${j.dataset} · ${int(j.trainPool)} training rows, ${int(j.heldOut)} held out by '${j.label}' on each of ${N} split(s) · downstream learner ≠ proxy · 0% = answer-prior baseline, 100% = all training rows. Dashed, †: selected with the evaluation's own label field (training rows only) — not a fair comparison, for reference.`;
  return lineChart({
    ...xAxis(v),
    title: N > 1 ? `All strategies, mean over ${N} splits (full range)` : 'All strategies (full range)',
    yLabel: 'relative performance (%), macro over label groups',
    series: [...random, ...v.others.map((n, i) => strategySeries(v, n, i))],
    width: 820,
    height: 560,
    note,
  });
}

/** The strategies within reach of random at every budget (above its band's low edge − 25), and the rest. */
function splitNearFar(v: QualityView, random: Series[]): { nearNames: string[]; far: string[] } {
  const rv = (random[0]?.band ?? []).flatMap((b) => [b[1], b[2]]);
  const lo = Math.min(...rv) - 25;
  const nearNames = v.others.filter((n) => v.budgets.every((b) => (v.get(n, b)?.relative.mean ?? -Infinity) >= lo));
  const far = v.others.filter((n) => !nearNames.includes(n)).map(v.rowName);
  return { nearNames, far };
}

/** Zoom: the strategies near random, so the band and the small differences are visible. */
function zoomChart(v: QualityView, random: Series[], nearNames: string[], far: string[]): Chart {
  const near = nearSeries(v, nearNames, 'relative');
  const shown = [...near, ...random];
  const hiNear =
    Math.max(
      ...shown.flatMap((s) => [
        ...s.points.map((p) => p[1]),
        ...(s.errors ?? []).map((e) => e[2]),
        ...(s.dots ?? []).map((d) => d[1]),
        ...(s.band ?? []).map((e) => e[2]),
      ]),
    ) + 5;
  const loNear =
    Math.min(
      ...shown.flatMap((s) => [
        ...s.points.map((p) => p[1]),
        ...(s.errors ?? []).map((e) => e[1]),
        ...(s.dots ?? []).map((d) => d[1]),
        ...(s.band ?? []).map((e) => e[1]),
      ]),
    ) - 5;
  return lineChart({
    ...xAxis(v),
    title: `Zoom: the strategies near random (${v.N > 1 ? 'bars ± sd over splits, circles: splits' : "band: random's seed sd"})`,
    yLabel: 'relative performance (%)',
    yRange: [loNear, hiNear],
    series: [...random, ...near],
    width: 820,
    height: 560,
    note: far.length ? `Below this range at some budget (left panel): ${far.join(', ')}.` : undefined,
  });
}

/** Each near strategy minus random's seed mean on the same split, around random's seed band. */
function pairedChart(v: QualityView, nearNames: string[]): Chart {
  const { budgets, get, N, rnd, seeds } = v;
  const seedBand: Series = {
    name: `random ± its seed sd within a split`,
    color: '#444444',
    dashed: true,
    points: rnd.map((r) => [100 * r.budget, 0]),
    band: rnd.map((r) => [100 * r.budget, -(r.seedSd?.mean ?? 0), r.seedSd?.mean ?? 0]),
  };
  const wins = (n: string) =>
    budgets.map((b) => (get(n, b)?.vsRandom ? `${get(n, b)!.vsRandom!.wins}/${get(n, b)!.vsRandom!.n}` : '—')).join(' / ');
  return lineChart({
    ...xAxis(v),
    title: `Paired difference vs random, same split${N > 1 ? ' (bars ± sd over splits, circles: splits)' : ''}`,
    yLabel: 'strategy − random seed mean (points of relative perf.)',
    series: [seedBand, ...nearSeries(v, nearNames, 'vsRandom')],
    width: 820,
    height: 560,
    note: `Above 0: better than random's mean over its ${seeds} seeds on that split. Wins per strategy (${budgets.map(pct).join(' / ')}): ${nearNames
      .map((n) => `${v.rowName(n)} ${wins(n)}`)
      .join('; ')}.`,
  });
}

/** quality.svg: full range, zoom near random, and (when random ran) the paired difference. */
export function qualityCharts(v: QualityView): string {
  const random = randomSeries(v);
  const { nearNames, far } = splitNearFar(v, random);
  const charts = [fullRangeChart(v, random), zoomChart(v, random, nearNames, far)];
  if (v.rnd.length) charts.push(pairedChart(v, nearNames));
  return grid(charts, 2, `Does the curation help? Held-out relative performance vs budget${v.N > 1 ? ` (${v.N} held-out splits)` : ''}`);
}
