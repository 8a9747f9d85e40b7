// The quality benchmark's section, from quality.json: the view every piece reads (QualityView), the
// Markdown tables (relative performance, paired difference, per split, per group) one function each,
// and `quality`, which puts them together with the charts of renderQualityCharts.ts.
import { aggregate } from './aggregate';
import type { Aggregate, AggregateRow } from './aggregate';
import { int, loadLine, num, pct, sign, table } from './renderText';
import type { Json } from './renderText';
import { qualityCharts } from './renderQualityCharts';

/** The results as splits + aggregate; a results file from before --splits becomes one split. */
function qualitySplits(j: Json): { splits: Json[]; agg: Aggregate } {
  const splits: Json[] = j.splits ?? [
    { split: 0, rows: j.rows, heldOut: j.heldOut, trainPool: j.trainPool, capabilities: j.capabilities, nmi: j.nmi, ari: j.ari },
  ];
  return { splits, agg: j.aggregate ?? aggregate(splits) };
}

/** What every chart and table of the section reads: the splits, the budgets and strategies, and lookups. */
export interface QualityView {
  j: Json;
  splits: Json[];
  /** Number of held-out splits. */
  N: number;
  budgets: number[];
  names: string[];
  /** Every strategy but random. */
  others: string[];
  get: (n: string, b: number) => AggregateRow | undefined;
  /** The strategy was selected with the evaluation's own label field. */
  usesLabel: (n: string) => boolean;
  /** A strategy's name in a table: with † when it used the evaluation label. */
  rowName: (n: string) => string;
  /** Random's seeds per split. */
  seeds: number;
  /** Random's aggregate row at each budget it has. */
  rnd: AggregateRow[];
}

function qualityView(j: Json): QualityView {
  const { splits, agg } = qualitySplits(j);
  const A: AggregateRow[] = agg.rows;
  const budgets: number[] = [...new Set(A.map((r) => r.budget))].sort((a, b) => a - b);
  const names: string[] = [...new Set(A.map((r) => r.strategy))];
  const get = (n: string, b: number) => A.find((r) => r.strategy === n && r.budget === b);
  const usesLabel = (n: string) => A.some((r) => r.strategy === n && r.usesEvaluationLabel);
  return {
    j,
    splits,
    N: splits.length,
    budgets,
    names,
    others: names.filter((n) => n !== 'random'),
    get,
    usesLabel,
    rowName: (n) => (usesLabel(n) ? `${n} †` : n),
    seeds: get('random', budgets[0])?.seedSd?.seeds ?? 0,
    rnd: budgets.map((b) => get('random', b)).filter((r): r is AggregateRow => !!r),
  };
}

const pm = (m: { mean: number; sd: number | null }, signed = false) =>
  `${signed && m.mean > 0 ? '+' : ''}${sign(m.mean)}${m.sd === null ? '' : ` ± ${num(m.sd)}`}`;

// ---------------------------------------------------------------- tables

/** The section heading and the paragraph on the dataset, the splits and the capabilities found. */
function qualityIntro(v: QualityView): string[] {
  const { j, N, splits } = v;
  const perSplit = (f: (s: Json) => string) => splits.map(f).join(' / ');
  return [
    '## Quality (`npm run bench:quality` → `quality.json`)',
    '',
    loadLine(j),
    '',
    `Dataset ${j.dataset}: ${int(j.trainPool)} training rows, ${int(j.heldOut)} held out (stratified by \`${j.label}\`)${N > 1 ? ` on each of ${N} held-out splits (${String(j.splitMethod ?? '').replace(/\.$/, '')})` : ''}. Probe groups: ${j.probe}. ${j.groupsForSelection ? `${j.groupsForSelection} ` : ''}K = ${perSplit((s) => `${s.capabilities}`)}; capabilities vs \`${j.label}\`: NMI ${perSplit((s) => `${s.nmi.capabilitiesVsLabel}`)} (random partition of the same sizes ${perSplit((s) => `${s.nmi.randomPartitionSameSizes}`)})${splits[0].ari ? `, ARI ${perSplit((s) => `${s.ari.capabilitiesVsLabel}`)} (random ${perSplit((s) => `${s.ari.randomPartitionSameSizes}`)})` : ''}${N > 1 ? ' (per split)' : ''}. Relative performance = share of the full pool's held-out improvement over an answer-prior baseline, macro over the ${j.groups.length} groups (100% = as good as all training rows).`,
    '',
  ];
}

/** Relative performance per strategy and budget; the best row that did not see the evaluation label in bold. */
function relativeTable(v: QualityView): string[] {
  const { budgets, names, get, usesLabel, N, seeds } = v;
  const overSplits = N > 1 ? `mean ± sd over ${N} splits` : 'one split';
  const blindNames = names.filter((n) => !usesLabel(n));
  const best = (b: number) => Math.max(...blindNames.map((m) => get(m, b)?.relative.mean ?? -Infinity));
  const cell = (n: string, b: number) => {
    const r = get(n, b);
    if (!r) return '—';
    let c = N > 1 ? pm(r.relative) : n === 'random' ? `${sign(r.relative.mean)} ± ${num(r.seedSd?.mean ?? 0)}` : sign(r.relative.mean);
    if (n === 'random' && N > 1 && r.seedSd?.mean !== null && r.seedSd?.mean !== undefined) c += ` (seed sd ${num(r.seedSd.mean)})`;
    return !usesLabel(n) && r.relative.mean === best(b) ? `**${c}**` : c;
  };
  return [
    `Relative performance (%), ${overSplits}${N > 1 ? " (random: its seed mean on each split, then mean ± sd of those over splits; in brackets random's seed sd within a split, averaged)" : ''}:`,
    '',
    table(
      ['strategy', ...budgets.map(pct)],
      names.map((n) => [
        n === 'random' ? `random (${seeds} seeds: mean ± sd${N > 1 ? ` over ${N} splits` : ''})` : v.rowName(n),
        ...budgets.map((b) => cell(n, b)),
      ]),
    ),
    '',
    '**Bold**: best mean among rows that did not see the evaluation label. † selected with the evaluation label field (training rows only): not a fair comparison, shown for reference.',
    '',
  ];
}

/** Each strategy minus random on the same split, in points and in units of random's seed sd. */
function pairedTable(v: QualityView): string[] {
  const { budgets, others, get, N, seeds } = v;
  const inSeedSd = (n: string, b: number) => {
    const z = (get(n, b)?.vsRandom?.perSplitInRandomSd ?? []).filter((x): x is number => x !== null);
    if (!z.length) return '—';
    const m = z.reduce((a, c) => a + c, 0) / z.length;
    return `${m > 0 ? '+' : ''}${sign(m)}`;
  };
  return [
    `Paired difference against random on the same split (strategy − random's mean over its ${seeds} seeds on that split), in points of relative performance: ${N > 1 ? `mean ± sd over ${N} splits (wins = splits where the strategy beat random's mean)` : 'one split'}; last columns: the same difference in units of random's seed sd on that split, averaged over splits:`,
    '',
    table(
      ['strategy', ...budgets.map((b) => `${pct(b)}: Δ (wins/N)`), ...budgets.map((b) => `${pct(b)}: Δ / seed sd`)],
      others.map((n) => [
        v.rowName(n),
        ...budgets.map((b) => {
          const d = get(n, b)?.vsRandom;
          return d ? `${pm(d, true)} (${d.wins}/${d.n})` : '—';
        }),
        ...budgets.map((b) => inSeedSd(n, b)),
      ]),
    ),
    '',
  ];
}

/** Each CADC row against its control, random with the same exclusions (e.g. the same self-influence filter). */
function controlTable(v: QualityView): string[] {
  const { budgets, others, get, N } = v;
  const rows = others.filter((n) => budgets.some((b) => get(n, b)?.vsControl));
  if (!rows.length) return [];
  const controlSd = (n: string, b: number) => get(get(n, b)?.vsControl?.control ?? '', b)?.seedSd?.mean ?? null;
  return [
    `Against random with the same filter (each row's control: random with the same exclusions; flagged samples are included and duplicates excluded for every row alike, so the self-influence filter is the only exclusion that differs). Δ = row − control's seed mean on the same split, ${N > 1 ? `mean ± sd over ${N} splits (wins/N)` : 'one split'}; in brackets the control's seed sd:`,
    '',
    table(
      ['strategy', 'control', ...budgets.map((b) => `${pct(b)}: Δ (wins/N) [seed sd]`)],
      rows.map((n) => [
        v.rowName(n),
        budgets.map((b) => get(n, b)?.vsControl?.control).find((c) => c) ?? '—',
        ...budgets.map((b) => {
          const d = get(n, b)?.vsControl;
          const sd = controlSd(n, b);
          return d ? `${pm(d, true)} (${d.wins}/${d.n})${sd === null ? '' : ` [${num(sd)}]`}` : '—';
        }),
      ]),
    ),
    '',
    ...goalLines(v),
  ];
}

/**
 * The issue's goals for the default rule: beat random with the same filter by more than that random's
 * seed sd at every budget, and close half the gap between random and task balancing over the true label.
 */
function goalLines(v: QualityView): string[] {
  const { budgets, names, get, j } = v;
  const def = names.find((n) => n.startsWith('cadc (default'));
  const tb = names.find((n) => n === `task-balanced (label: ${j.label})`);
  if (!def) return [];
  const out = ['Goals for the default rule:', ''];
  const beat = budgets.map((b) => {
    const d = get(def, b)?.vsControl;
    const sd = get(d?.control ?? '', b)?.seedSd?.mean ?? null;
    if (!d || sd === null) return `${pct(b)} —`;
    return `${pct(b)} ${pm(d, true)} vs seed sd ${num(sd)}: ${d.mean > sd ? 'met' : 'not met'}`;
  });
  out.push(`- Beats random with the same filter by more than its seed sd: ${beat.join('; ')}.`);
  if (tb) {
    const half = budgets.map((b) => {
      const d = get(def, b)?.vsRandom;
      const t = get(tb, b)?.vsRandom;
      if (!d || !t) return `${pct(b)} —`;
      if (t.mean <= 0) return `${pct(b)} ${pm(d, true)}; task-balanced ${pm(t, true)}: no gap to close`;
      return `${pct(b)} ${pm(d, true)} of ${pm(t, true)} (${Math.round((100 * d.mean) / t.mean)}%): ${d.mean >= t.mean / 2 ? 'met' : 'not met'}`;
    });
    out.push(
      `- Closes half the gap to task-balanced over the true \`${j.label}\` (gain over random, default vs ${tb} †): ${half.join('; ')}.`,
    );
  }
  out.push('');
  return out;
}

/** Per split: random's seed mean ± seed sd, and each strategy's difference from it. */
function perSplitTable(v: QualityView): string[] {
  const { budgets, names, get, splits } = v;
  // The splits that have a budget (a split may have been run at some budgets only); per-split values
  // are in that order.
  const at = (b: number) => splits.filter((s) => s.rows.some((r: Json) => r.budget === b));
  const cell = (n: string, r: AggregateRow | undefined, k: number) => {
    if (!r) return '—';
    if (n === 'random') {
      const sd = r.seedSd?.perSplit[k];
      return `${sign(r.relative.perSplit[k])}${sd === null || sd === undefined ? '' : ` ± ${num(sd)}`}`;
    }
    const d = r.vsRandom?.perSplit[k];
    return d === undefined ? '—' : `${d > 0 ? '+' : ''}${sign(d)}`;
  };
  return [
    'Per split: relative performance of random (seed mean ± seed sd) and each strategy’s difference from it:',
    '',
    table(
      ['strategy', ...budgets.flatMap((b) => at(b).map((s) => `${pct(b)} split ${s.split}`))],
      names.map((n) => [v.rowName(n), ...budgets.flatMap((b) => at(b).map((_, k) => cell(n, get(n, b), k)))]),
    ),
    '',
  ];
}

/** Per-group relative performance at the middle budget, averaged over seeds and splits (empty without groups). */
function perGroupTable(v: QualityView): string[] {
  const { j, budgets, names, splits, N } = v;
  const mid = budgets[Math.floor(budgets.length / 2)];
  const allRows: Json[] = splits.flatMap((s) => s.rows);
  if (!(j.groups && allRows[0]?.perGroup)) return [];
  return [
    `Per-group relative performance at ${pct(mid)} (mean over ${N > 1 ? 'splits and random seeds' : 'random seeds'}):`,
    '',
    table(
      ['strategy', ...j.groups],
      names.map((n) => {
        // Mean over splits of each split's mean over rows (seeds), so every split weighs the same.
        const per = splits.map((s) => s.rows.filter((r: Json) => r.strategy === n && r.budget === mid)).filter((rs: Json[]) => rs.length);
        return [
          v.rowName(n),
          ...j.groups.map((_: string, g: number) =>
            per.length
              ? sign(
                  per.reduce((a: number, rs: Json[]) => a + rs.reduce((x: number, r: Json) => x + r.perGroup[g], 0) / rs.length, 0) /
                    per.length,
                )
              : '—',
          ),
        ];
      }),
    ),
    '',
  ];
}

/** The quality section: quality.svg into `out`, its tables onto `md`. */
export function quality(j: Json, out: Map<string, string>, md: string[]): void {
  const v = qualityView(j);
  out.set('quality.svg', qualityCharts(v));
  md.push(...qualityIntro(v), ...relativeTable(v));
  if (v.rnd.length) {
    md.push(...pairedTable(v), ...controlTable(v));
    if (v.N > 1) md.push(...perSplitTable(v));
  }
  if (j.notes?.length) md.push(...j.notes.map((n: string) => `- ${n}`), '');
  md.push(...perGroupTable(v));
}
