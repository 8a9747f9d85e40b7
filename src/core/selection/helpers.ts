// Helpers shared by the selection strategies (strategies/): budgets, quota splits, the eligibility
// rule (one sample per duplicate cluster, no flagged sample), seeded draws, and the task groups of
// task-balanced, LESS, ICONS.
import type { CapabilityModel } from '../capabilities/types';
import { FLAG_CODES } from '../dataset/problems';
import type { DiagnosticCode } from '../dataset/types';
import { TASK_LABEL_FIELDS } from '../features/labels';
import type { Pool } from '../features/types';
import { thousands } from '../util/format';
import type { Rng } from '../util/rng';
import type { SelectionContext } from './types';
import { budgetText, budgetUnitOf, requestedCount, selfInfluenceDrop } from '../config';
import type { BudgetUnit, CurationConfig, StrategyName } from '../config';

/** The number of samples a budget selects from a pool of n: what it asks for, at most the pool. */
export function budgetCount(budget: number, n: number, unit?: BudgetUnit): number {
  return Math.min(n, requestedCount(budget, n, unit));
}

/**
 * The note a selection carries when it holds fewer samples than its budget asked for: the budget is
 * above the pool, or above the samples a strategy may take (one per duplicate cluster, without the
 * self-influence outliers it leaves out). Empty when the budget was met.
 */
export function budgetShortNote(
  ctx: Pick<SelectionContext, 'pool' | 'duplicates' | 'config' | 'attribution'>,
  strategy: StrategyName,
  selected: number,
): string[] {
  const { budget, budgetUnit } = ctx.config;
  const n = ctx.pool.n;
  const asked = requestedCount(budget, n, budgetUnit);
  if (selected >= asked) return [];
  let unique = 0;
  for (let i = 0; i < n; i++) if (ctx.duplicates.rep[i] === i) unique++;
  let clean = 0;
  for (const v of selectable(ctx)) clean += v;
  let open = 0;
  for (const v of eligible(ctx, strategy)) open += v;
  const why = [
    asked > n ? `the pool has ${thousands(n)}` : '',
    unique < n ? `${thousands(unique)} are unique (exact and near duplicates count once)` : '',
    clean < unique
      ? `${thousands(unique - clean)} hold only flagged samples (missing image, <image> token mismatch; --include-flagged)`
      : '',
    open < clean ? `${thousands(clean - open)} self-influence outliers are left out (--self-influence-drop)` : '',
  ].filter(Boolean);
  const text = budgetText(budget, budgetUnit);
  const wanted =
    budgetUnitOf(budget, budgetUnit) === 'fraction'
      ? `The budget ${text} (${thousands(asked)} samples)`
      : `The budget of ${thousands(asked)} samples`;
  return [
    `${wanted} is more than the ${thousands(open)} samples that qualify (${why.join('; ') || 'see the strategy notes'}): ` +
      `${selected === open ? `all ${thousands(selected)} are selected` : `${thousands(selected)} are selected`}.`,
  ];
}

/**
 * Splits `total` over bins with the given capacities as evenly as possible (water-filling):
 * every bin gets min(capacity, level); leftover units go to the lowest-index bins with room.
 */
export function waterFill(total: number, capacity: number[]): number[] {
  const out = capacity.map(() => 0);
  let left = Math.min(
    total,
    capacity.reduce((a, b) => a + b, 0),
  );
  let open = capacity.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  while (left > 0 && open.length > 0) {
    const share = Math.floor(left / open.length);
    if (share === 0) {
      for (const i of open) {
        if (left === 0) break;
        out[i]++;
        left--;
      }
    } else {
      for (const i of open) {
        const take = Math.min(share, capacity[i] - out[i]);
        out[i] += take;
        left -= take;
      }
    }
    open = open.filter((i) => out[i] < capacity[i]);
  }
  return out;
}

/** Quotas proportional to sizes (largest remainder, ties by index), capped by size, total ≤ Σ sizes. */
export function proportionalQuotas(total: number, sizes: number[]): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum === 0) return sizes.map(() => 0);
  const t = Math.min(total, sum);
  const exact = sizes.map((s) => (t * s) / sum);
  return withLargestRemainders(
    exact.map((x, i) => Math.min(sizes[i], Math.floor(x))),
    exact,
    sizes,
    t,
  );
}

/**
 * Hands the units `floors` leaves of `total` out one by one, largest remainder (exact − floor) first,
 * ties by index, never past a bin's size; in place.
 */
function withLargestRemainders(floors: number[], exact: number[], sizes: number[], total: number): number[] {
  let left = total - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - floors[i], i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  while (left > 0) {
    let moved = false;
    for (const [, i] of order) {
      if (left === 0) break;
      if (floors[i] < sizes[i]) {
        floors[i]++;
        left--;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return floors;
}

/**
 * Quotas in proportion to size^alpha, capped by size (water-filling: a bin whose share exceeds its size
 * takes its size and the rest is split again over the others), then largest remainder (ties by index).
 * alpha = 1 is the proportional split, alpha = 0 the even one; between them, temperature-scaled mixing
 * (XLM's language sampling uses alpha = 0.5): small bins get more than their proportional share.
 */
export function temperedQuotas(total: number, sizes: number[], alpha: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const t = Math.min(total, sum);
  const exact = sizes.map(() => 0);
  const capped = sizes.map((s) => s <= 0);
  for (;;) {
    let left = t;
    let weight = 0;
    sizes.forEach((s, i) => {
      if (capped[i]) left -= Math.max(0, s);
      else weight += s ** alpha;
    });
    let changed = false;
    sizes.forEach((s, i) => {
      if (capped[i]) return (exact[i] = Math.max(0, s));
      exact[i] = weight > 0 ? (left * s ** alpha) / weight : 0;
      if (exact[i] >= s) {
        capped[i] = true;
        changed = true;
      }
    });
    if (!changed) break;
  }
  return withLargestRemainders(
    exact.map((x, i) => Math.min(sizes[i], Math.floor(x + 1e-9))),
    exact,
    sizes,
    t,
  );
}

/**
 * The one exclusion filter, before any strategy: one sample per duplicate cluster and, unless
 * `config.selection.includeFlagged`, no flagged sample (Pool.flags: an image that does not resolve
 * or leaves the root, a real `<image>` token mismatch). A cluster stands for itself through its
 * first unflagged member (its representative when that one is clean; a cluster of flagged samples
 * only is left out). With nothing flagged, or flagged samples included, it is the representatives.
 * `eligible` (every strategy) and the alignment stage both start from it.
 */
export function selectable(ctx: Pick<SelectionContext, 'pool' | 'duplicates' | 'config'>): Uint8Array {
  const { n, flags } = ctx.pool;
  const rep = ctx.duplicates.rep;
  const ok = new Uint8Array(n);
  if (ctx.config.selection.includeFlagged) {
    for (let i = 0; i < n; i++) ok[i] = rep[i] === i ? 1 : 0;
    return ok;
  }
  // rep[i] ≤ i: walking up, a cluster's first clean member is met before any other.
  const covered = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (flags[i] || covered[rep[i]]) continue;
    ok[i] = 1;
    covered[rep[i]] = 1;
  }
  return ok;
}

/** The pool's flagged samples a selection leaves out, by problem (undefined when none are, or they are included). */
export function exclusionOf(
  pool: Pick<SelectionContext['pool'], 'n' | 'flags'>,
  config: CurationConfig,
): { total: number; reasons: { code: DiagnosticCode; count: number }[] } | undefined {
  if (config.selection.includeFlagged) return undefined;
  let total = 0;
  const counts = FLAG_CODES.map(() => 0);
  for (let i = 0; i < pool.n; i++) {
    const f = pool.flags[i];
    if (!f) continue;
    total++;
    FLAG_CODES.forEach(({ bit }, k) => {
      if (f & bit) counts[k]++;
    });
  }
  if (total === 0) return undefined;
  return { total, reasons: FLAG_CODES.map(({ code }, k) => ({ code, count: counts[k] })).filter((r) => r.count > 0) };
}

/**
 * Samples eligible for selection: `selectable` (one per duplicate cluster, no flagged sample unless
 * included), minus the top `dropTopSelfInfluence` fraction of self-influence when attributions are
 * known ('auto': only for cadc). Every strategy uses it, naming itself.
 */
export function eligible(
  ctx: Pick<SelectionContext, 'pool' | 'duplicates' | 'config' | 'attribution'>,
  strategy: StrategyName,
): Uint8Array {
  const ok = selectable(ctx);
  const drop = selfInfluenceDrop(ctx.config.selection.dropTopSelfInfluence, strategy);
  if (drop > 0 && ctx.attribution) {
    const si = ctx.attribution.selfInfluence;
    const sorted = Float32Array.from(si).sort();
    const cut = sorted[Math.max(0, Math.floor(sorted.length * (1 - drop)) - 1)];
    for (let i = 0; i < ctx.pool.n; i++) if (si[i] > cut) ok[i] = 0;
  }
  return ok;
}

/**
 * Coverage-protecting bins: `members` grouped by `keyOf` (bins in ascending key order, members in
 * their given order), each bin with its share of `count` in proportion to its size (largest remainder).
 */
export function stratify(members: number[], keyOf: (i: number) => number, count: number): { list: number[]; quota: number }[] {
  const bins = new Map<number, number[]>();
  for (const i of members) {
    const key = keyOf(i);
    const b = bins.get(key);
    if (b) b.push(i);
    else bins.set(key, [i]);
  }
  const keys = [...bins.keys()].sort((a, b) => a - b);
  const quotas = proportionalQuotas(
    count,
    keys.map((key) => bins.get(key)!.length),
  );
  return keys.map((key, j) => ({ list: bins.get(key)!, quota: quotas[j] }));
}

/** `count` members drawn uniformly at random (seeded), in draw order. */
export function take(members: number[], count: number, rng: Rng): number[] {
  const a = members.slice();
  rng.shuffle(a);
  return a.slice(0, count);
}

/** Eligible indices, ascending. */
export function eligibleList(ctx: SelectionContext, strategy: StrategyName): number[] {
  const ok = eligible(ctx, strategy);
  const out: number[] = [];
  for (let i = 0; i < ctx.pool.n; i++) if (ok[i]) out.push(i);
  return out;
}

/** Top `count` of the eligible samples by key descending, ties by index. */
export function topBy(list: number[], key: (i: number) => number, count: number): number[] {
  return list
    .slice()
    .sort((a, b) => key(b) - key(a) || a - b)
    .slice(0, count);
}

export const NO_LABEL = '(none)';

export interface TaskGroups {
  source: 'label' | 'probe';
  field?: string;
  names: string[];
  /** Group of each sample, -1 = no label. */
  of: Int32Array;
}

/**
 * The task groups: labels[taskField] when set (an error if the pool has no such field), else the first
 * of TASK_LABEL_FIELDS the pool has (with at least one labelled sample), else the probe groups.
 */
export function resolveTaskGroups(pool: Pool, config: CurationConfig, capabilities?: CapabilityModel): TaskGroups {
  const want = config.selection.taskField;
  if (want !== undefined) {
    const col = pool.labels[want];
    if (!col) throw new Error(`No label field '${want}' in the dataset (fields: ${Object.keys(pool.labels).join(', ') || 'none'}).`);
    return { source: 'label', field: want, names: col.values.slice(), of: col.codes };
  }
  for (const f of TASK_LABEL_FIELDS) {
    const col = pool.labels[f];
    if (col && col.codes.some((c) => c >= 0)) return { source: 'label', field: f, names: col.values.slice(), of: col.codes };
  }
  if (!capabilities)
    throw new Error(`The dataset has no task-label field (${TASK_LABEL_FIELDS.join(', ')}) and no probe groups are known.`);
  return { source: 'probe', names: capabilities.probe.names.slice(), of: capabilities.probe.of };
}

export function describeGroups(g: { source: 'label' | 'probe'; field?: string; names: string[] }): string {
  return g.source === 'label'
    ? `the ${g.names.length} values of label field '${g.field}'`
    : `the ${g.names.length} probe groups (no task-label field in the dataset)`;
}
