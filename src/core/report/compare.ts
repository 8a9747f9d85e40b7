// Compare selection strategies on one curation run: each strategy re-selects from the same features
// and trajectories (reselect), then selections are compared by overlap, composition and quality.
import type { StrategyName } from '../config';
import { STYLES } from '../features/types';
import type { Pool } from '../features/types';
import { labelCandidates } from '../features/pool';
import type { CurationRun } from '../pipeline/api';
import { capabilityId } from '../capabilities/ids';
import { reselectAsync } from '../pipeline/reselect';
import { budgetCount } from '../selection/helpers';
import { getStrategy } from '../selection/strategies';
import { headlineDeltas } from './aggregate';
import { round } from './sketches';
import { reportDataset, scanQuality } from './report';
import { COMPARISON_SCHEMA } from './types';
import type { Comparison, CompositionEntry, StrategyResult } from './types';

/** A strategy name that is unknown or not available (yet). */
export class StrategyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrategyUnavailableError';
  }
}

/** Throws StrategyUnavailableError unless every strategy is registered. */
export function checkStrategies(names: string[]): StrategyName[] {
  if (names.length === 0) throw new StrategyUnavailableError('No strategies to compare.');
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new StrategyUnavailableError(`The strategy '${n}' is listed twice.`);
    seen.add(n);
    try {
      getStrategy(n as StrategyName);
    } catch (e) {
      throw new StrategyUnavailableError((e as Error).message);
    }
  }
  return names as StrategyName[];
}

/** Jaccard index |A ∩ B| / |A ∪ B| of two index sets (1 when both are empty). */
export function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sa = new Set<number>(Array.from(a));
  const sb = new Set<number>(Array.from(b));
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** The label field compositions are shown for: the pool's first label candidate, else the most present field with ≥ 2 values. */
export function mainLabelField(pool: Pool): string | undefined {
  const preferred = labelCandidates(pool)[0];
  if (preferred) return preferred;
  let best: string | undefined;
  let bestPresent = 0;
  for (const [field, col] of Object.entries(pool.labels)) {
    if (col.values.length < 2) continue;
    let present = 0;
    for (const c of col.codes) if (c >= 0) present++;
    if (present > bestPresent) [best, bestPresent] = [field, present];
  }
  return best;
}

function shares(counts: Map<string, number>, total: number): CompositionEntry[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, count]) => ({ key, count, share: total ? round(count / total) : 0 }));
}

/** Shares per capability, primary style and main-label value of a set of sample indices. */
export function composition(run: CurationRun, indices: ArrayLike<number>, labelField: string | undefined): StrategyResult['composition'] {
  const caps = new Map<string, number>();
  const styles = new Map<string, number>();
  const labels = new Map<string, number>();
  const col = labelField ? run.pool.labels[labelField] : undefined;
  const n = indices.length;
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    const c = capabilityId(run.attribution.hard[i]);
    caps.set(c, (caps.get(c) ?? 0) + 1);
    const s = STYLES[run.pool.primaryStyle[i]] ?? 'unknown';
    styles.set(s, (styles.get(s) ?? 0) + 1);
    if (col) {
      const code = col.codes[i];
      const v = code >= 0 ? col.values[code] : '(none)';
      labels.set(v, (labels.get(v) ?? 0) + 1);
    }
  }
  return { capabilities: shares(caps, n), styles: shares(styles, n), ...(col ? { labels: shares(labels, n) } : {}) };
}

/**
 * Re-selects `run` with each strategy at `budget` (features, trajectories, capabilities and
 * attribution are reused), then reports counts, pairwise Jaccard overlap, compositions and the
 * quality of each selection against the pool (one streaming pass over the dataset for all).
 */
export async function compareStrategies(
  run: CurationRun,
  opts: { budget: number; strategies: string[]; signal?: AbortSignal; onProgress?: (bytesRead: number, totalBytes: number) => void },
): Promise<Comparison> {
  const t0 = performance.now();
  const names = checkStrategies(opts.strategies);
  const timingsMs: Record<string, number> = {};
  const selections: { strategy: string; selected: Int32Array; notes: string[] }[] = [];
  for (const strategy of names) {
    const t = performance.now();
    // Async: LESS and ICONS compute their per-group influence (ORT) the first time they are asked for.
    const r = await reselectAsync(run, { budget: opts.budget, strategy });
    selections.push({ strategy, selected: Int32Array.from(r.selection.selected), notes: r.selection.notes });
    timingsMs[`select:${strategy}`] = Math.round(performance.now() - t);
  }
  const pool = run.pool;
  const labelField = mainLabelField(pool);
  const all = Int32Array.from({ length: pool.n }, (_, i) => i);
  const tq = performance.now();
  const scan = await scanQuality(run.input.datasetPath, {
    format: run.input.format,
    imageRoot: run.input.imageRoot,
    confineTo: run.input.confineTo,
    selections: selections.map((s) => ({ name: s.strategy, lines: new Set(Array.from(s.selected, (i) => pool.lines[i])) })),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  timingsMs.quality = Math.round(performance.now() - tq);
  const warnings: string[] = [];
  if (scan.summary.sha256 !== run.summary.sha256)
    warnings.push('The dataset changed on disk since the curation run; quality figures may not match the selections.');
  const strategies: StrategyResult[] = selections.map((s, j) => {
    const quality = scan.selections[j].section;
    return {
      strategy: s.strategy,
      selected: s.selected.length,
      notes: s.notes,
      composition: composition(run, s.selected, labelField),
      quality,
      deltas: headlineDeltas(quality.headline, scan.pool.headline),
    };
  });
  const overlap = selections.map((a) => selections.map((b) => round(jaccard(a.selected, b.selected))));
  const capabilityNames: Record<string, string> = {};
  run.capabilities.capabilities.forEach((c, k) => (capabilityNames[capabilityId(k)] = c.name));
  timingsMs.total = Math.round(performance.now() - t0);
  const s = scan.summary;
  return {
    schema: COMPARISON_SCHEMA,
    dataset: reportDataset(s),
    budget: {
      requested: opts.budget,
      count: budgetCount(opts.budget, pool.n, opts.budget === run.manifest.config.budget ? run.manifest.config.budgetUnit : undefined),
    },
    seed: run.manifest.config.seed,
    ...(labelField ? { labelField } : {}),
    capabilityNames,
    poolComposition: composition(run, all, labelField),
    pool: scan.pool,
    strategies,
    overlap,
    warnings,
    timingsMs,
  };
}
