// The strategies users compare CADC against (methods.md §2, §3, §5), behind the same interface:
// mmssr, task-balanced, less, icons, length, loss-band. Every one excludes duplicates with the shared
// eligibility rule, returns min(budget, eligible) unique samples, and draws randomness from ctx.rng only.
import type { CurationConfig, StrategyName } from '../config';
import { groupMeans } from '../capabilities/graph';
import { probeGroupsFromLabels } from '../capabilities/probeGroups';
import type { CapabilityModel, ProbeGroups } from '../capabilities/types';
import { STYLES } from '../features/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { trajectoryInfluence } from '../influence/attribute';
import { eligible, take, waterFill } from './helpers';
import { nearestRank } from '../util/stats';
import type { GroupInfluence, SelectionContext, SelectionResult, SelectionStrategy } from './types';

/** Task-label fields tried in order when config.selection.taskField is unset. */
export const TASK_FIELDS = ['task_name', 'task', 'source', 'category', 'dataset', 'ability'] as const;

export const NO_LABEL = '(none)';

/** Eligible indices, ascending. */
function eligibleList(ctx: SelectionContext, strategy: StrategyName): number[] {
  const ok = eligible(ctx, strategy);
  const out: number[] = [];
  for (let i = 0; i < ctx.pool.n; i++) if (ok[i]) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Task groups (task-balanced, LESS, ICONS)

export interface TaskGroups {
  source: 'label' | 'probe';
  field?: string;
  names: string[];
  /** Group of each sample, -1 = no label. */
  of: Int32Array;
}

/**
 * The task groups: labels[taskField] when set (an error if the pool has no such field), else the first
 * of TASK_FIELDS the pool has (with at least one labelled sample), else the probe groups.
 */
export function resolveTaskGroups(pool: Pool, config: CurationConfig, capabilities?: CapabilityModel): TaskGroups {
  const want = config.selection.taskField;
  if (want !== undefined) {
    const col = pool.labels[want];
    if (!col) throw new Error(`No label field '${want}' in the dataset (fields: ${Object.keys(pool.labels).join(', ') || 'none'}).`);
    return { source: 'label', field: want, names: col.values.slice(), of: col.codes };
  }
  for (const f of TASK_FIELDS) {
    const col = pool.labels[f];
    if (col && col.codes.some((c) => c >= 0)) return { source: 'label', field: f, names: col.values.slice(), of: col.codes };
  }
  if (!capabilities) throw new Error(`The dataset has no task-label field (${TASK_FIELDS.join(', ')}) and no probe groups are known.`);
  return { source: 'probe', names: capabilities.probe.names.slice(), of: capabilities.probe.of };
}

function describeGroups(g: { source: 'label' | 'probe'; field?: string; names: string[] }): string {
  return g.source === 'label' ? `the ${g.names.length} values of label field '${g.field}'` : `the ${g.names.length} probe groups (no task-label field in the dataset)`;
}

// ---------------------------------------------------------------------------------------------
// Per-group influence (LESS, ICONS), computed in onnxruntime before selection

function groupInfluenceKey(g: TaskGroups, capabilities?: CapabilityModel): string {
  return g.source === 'label' ? `label:${g.field}` : `probe:${capabilities?.probe.source}:${g.names.length}`;
}

/**
 * Influence of every sample on every target group: Σ_t η_t cos(g(z,t), ḡ_s(t)), ḡ_s(t) the group's
 * mean normalised gradient (graph.ts `groupMeans`, normalised here). The n×G products run in ORT
 * through `trajectoryInfluence`, as capability influence does. Samples without a label are scored but
 * are in no target group.
 */
export async function computeGroupInfluence(pool: Pool, config: CurationConfig, traj: Trajectories, capabilities?: CapabilityModel): Promise<GroupInfluence> {
  const tg = resolveTaskGroups(pool, config, capabilities);
  const groups: ProbeGroups =
    tg.source === 'label'
      ? probeGroupsFromLabels(pool, tg.field!)
      : { source: capabilities!.probe.source, names: tg.names, of: tg.of, sizes: capabilities!.probe.sizes };
  const { T, D } = traj;
  const G = groups.names.length;
  const { means } = groupMeans(traj, groups);
  // Each group's mean gradient per checkpoint, normalised: the anchors [T, G, D].
  const anchors = new Float32Array(T * G * D);
  for (let r = 0; r < T * G; r++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += means[r * D + j] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < D; j++) anchors[r * D + j] = means[r * D + j] * inv;
  }
  const values = await trajectoryInfluence(traj, anchors, G);
  return { key: groupInfluenceKey(tg, capabilities), source: tg.source, field: tg.field, names: groups.names.slice(), sizes: Int32Array.from(groups.sizes), G, values };
}

/**
 * The asynchronous part of selection, run before `select`: the per-group influence when the
 * strategy needs it (reusing `existing` when it was computed for the same target groups).
 */
export async function prepareSelection(args: {
  pool: Pool;
  config: CurationConfig;
  strategy: SelectionStrategy;
  trajectories?: Trajectories;
  capabilities?: CapabilityModel;
  existing?: GroupInfluence;
}): Promise<GroupInfluence | undefined> {
  const { pool, config, strategy, trajectories, capabilities, existing } = args;
  if (!strategy.needs.includes('groupInfluence')) return existing;
  const key = groupInfluenceKey(resolveTaskGroups(pool, config, capabilities), capabilities);
  if (existing?.key === key) return existing;
  if (!trajectories) throw new Error(`The ${strategy.name} strategy needs learning trajectories.`);
  return computeGroupInfluence(pool, config, trajectories, capabilities);
}

function needGroupInfluence(ctx: SelectionContext, name: string): GroupInfluence {
  const gi = ctx.groupInfluence;
  if (!gi) throw new Error(`The ${name} strategy needs the per-group influence: compute it first with prepareSelection (the pipeline does; reselectAsync for a re-selection).`);
  if (gi.values.length !== ctx.pool.n * gi.G) throw new Error(`The per-group influence is for another pool (${gi.values.length / Math.max(1, gi.G)} samples, not ${ctx.pool.n}).`);
  return gi;
}

// ---------------------------------------------------------------------------------------------
// mmSSR (methods.md §2)

/** Style of each sample: labels[styleField] when it names one of STYLES, else the rule-based primary style. */
export function resolveStyles(pool: Pool, styleField: string | undefined): { style: Uint8Array; overridden: number; invalid: number } {
  const style = Uint8Array.from(pool.primaryStyle);
  if (styleField === undefined) return { style, overridden: 0, invalid: 0 };
  const col = pool.labels[styleField];
  if (!col) throw new Error(`No label field '${styleField}' in the dataset for the interaction style (fields: ${Object.keys(pool.labels).join(', ') || 'none'}).`);
  const code = col.values.map((v) => (STYLES as readonly string[]).indexOf(v.trim().toLowerCase()));
  let overridden = 0;
  let invalid = 0;
  for (let i = 0; i < pool.n; i++) {
    const c = col.codes[i];
    if (c < 0) continue;
    if (code[c] >= 0) {
      style[i] = code[c];
      overridden++;
    } else invalid++;
  }
  return { style, overridden, invalid };
}

/**
 * mmSSR's within-capability rule: `quota` split over style bins, smallest bin first (ties by style
 * index); bin j of the m non-empty bins gets ⌊left/(m−j)⌋ (the last bin all that is left), capped by
 * its size, and what a bin cannot use is carried to the next. Inside a bin the highest scores win,
 * ties by index. Returns the picks in bin order.
 */
export function styleBinPicks(members: number[], style: ArrayLike<number>, score: (i: number) => number, quota: number): number[] {
  const bins: number[][] = Array.from({ length: STYLES.length }, () => []);
  for (const i of members) bins[style[i]].push(i);
  const order = bins
    .map((b, s) => ({ b, s }))
    .filter(({ b }) => b.length > 0)
    .sort((x, y) => x.b.length - y.b.length || x.s - y.s);
  for (const { b } of order) b.sort((x, y) => score(y) - score(x) || x - y);
  const out: number[] = [];
  const used = order.map(() => 0);
  let left = quota;
  order.forEach(({ b }, j) => {
    const share = j === order.length - 1 ? left : Math.floor(left / (order.length - j));
    const k = Math.min(share, b.length);
    out.push(...b.slice(0, k));
    used[j] = k;
    left -= k;
  });
  // Only reachable when quota exceeds the members; kept so the rule never silently under-fills.
  for (let j = 0; j < order.length && left > 0; j++) {
    const more = order[j].b.slice(used[j], used[j] + left);
    out.push(...more);
    left -= more.length;
  }
  return out;
}

const mmssr: SelectionStrategy = {
  name: 'mmssr',
  needs: ['attribution'],
  select(ctx, budget) {
    const { pool } = ctx;
    const notes: string[] = [];
    const list = eligibleList(ctx, 'mmssr');
    const { style, overridden, invalid } = resolveStyles(pool, ctx.config.selection.styleField);
    if (ctx.config.selection.styleField !== undefined) {
      notes.push(
        `Interaction styles: label field '${ctx.config.selection.styleField}' replaced the rule-based style of ${overridden} samples` +
          (invalid ? `; ${invalid} samples had a value that is not one of ${STYLES.join(', ')} and kept the rule-based style.` : '.'),
      );
    }
    let C: number;
    let score: (i: number, c: number) => number;
    let member: (i: number) => number;
    let scored: (i: number) => boolean;
    const s = ctx.scores;
    if (s) {
      if (s.n !== pool.n) throw new Error(`The capability scores were matched to a pool of ${s.n} samples, not ${pool.n}.`);
      C = s.C;
      score = (i, c) => s.values[i * C + c];
      // A sample belongs to the capability it scores highest on (ties: the first in MMSSR_CAPABILITIES order).
      member = (i) => {
        let best = 0;
        for (let c = 1; c < C; c++) if (s.values[i * C + c] > s.values[i * C + best]) best = c;
        return best;
      };
      scored = (i) => s.has[i] === 1;
      notes.push(`mmSSR over the ${C} imported capability scores (${s.scored} of ${pool.n} samples scored); a sample counts for the capability it scores highest on.`);
    } else {
      const a = ctx.attribution;
      if (!a) throw new Error('The mmssr strategy needs imported capability scores (--scores) or CADC attributions.');
      C = a.K;
      score = (i, c) => (a.influence[i * C + c] - a.mean[c]) / a.std[c];
      member = (i) => a.hard[i];
      scored = () => true;
      notes.push(
        `No capability scores were imported, so CADC's ${C} discovered capabilities stand in for mmSSR's 14: ` +
          `a sample's score on a capability is its z-scored influence on it, and it counts for its CADC capability.`,
      );
    }
    const members: number[][] = Array.from({ length: C }, () => []);
    const unscored: number[] = [];
    for (const i of list) {
      if (scored(i)) members[member(i)].push(i);
      else unscored.push(i);
    }
    // Round-robin over capabilities, one sample each turn, skipping exhausted ones: the same counts as
    // water-filling (leftover units to the first capabilities).
    const quotas = waterFill(budget, members.map((m) => m.length));
    const chosen: number[] = [];
    for (let c = 0; c < C; c++) if (quotas[c] > 0) chosen.push(...styleBinPicks(members[c], style, (i) => score(i, c), quotas[c]));
    const short = members.filter((m, c) => m.length < Math.floor(budget / C) && quotas[c] === m.length).length;
    if (short) notes.push(`${short} of ${C} capabilities had fewer samples than an even share (${Math.floor(budget / C)}); their rest went to the others.`);
    if (chosen.length < budget && unscored.length) {
      const fill = take(unscored, budget - chosen.length, ctx.rng.fork('unscored'));
      chosen.push(...fill);
      notes.push(`Only ${chosen.length - fill.length} unique scored samples for a budget of ${budget}: ${fill.length} unscored samples were drawn at random to fill it.`);
    }
    const result: SelectionResult = { strategy: 'mmssr', selected: Int32Array.from(chosen), notes };
    if (!s && ctx.attribution) {
      const taken = new Array<number>(C).fill(0);
      for (const i of chosen) taken[ctx.attribution.hard[i]]++;
      result.perCapability = quotas.map((quota, c) => ({ quota, taken: taken[c] }));
    }
    return result;
  },
};

// ---------------------------------------------------------------------------------------------
// Task-balanced (Vision-Flan §3)

const taskBalanced: SelectionStrategy = {
  name: 'task-balanced',
  needs: [],
  select(ctx, budget) {
    const tg = resolveTaskGroups(ctx.pool, ctx.config, ctx.capabilities);
    const names = [...tg.names, NO_LABEL];
    const members: number[][] = names.map(() => []);
    for (const i of eligibleList(ctx, 'task-balanced')) members[tg.of[i] >= 0 ? tg.of[i] : names.length - 1].push(i);
    const sizes = members.map((m) => m.length);
    const tasks = sizes.filter((x) => x > 0).length;
    const quotas = waterFill(budget, sizes);
    const chosen: number[] = [];
    quotas.forEach((q, j) => {
      if (q > 0) chosen.push(...take(members[j], q, ctx.rng.fork(`task:${j}`)));
    });
    const cap = tasks ? Math.floor(budget / tasks) : 0;
    const notes = [`Task-balanced over ${describeGroups(tg)}: ${tasks} non-empty tasks, cap ⌊${budget}/${tasks}⌋ = ${cap} each, seeded random within a task.`];
    if (sizes[names.length - 1] > 0) notes.push(`${sizes[names.length - 1]} unique samples without a label form their own task '${NO_LABEL}'.`);
    const short = sizes.filter((x) => x > 0 && x < cap).length;
    if (short) notes.push(`${short} tasks had fewer samples than the cap; their unused quota was redistributed to the others (water-filling).`);
    return { strategy: 'task-balanced', selected: Int32Array.from(chosen), notes };
  },
};

// ---------------------------------------------------------------------------------------------
// LESS and ICONS (methods.md §5)

/** Top `count` of the eligible samples by key descending, ties by index. */
function topBy(list: number[], key: (i: number) => number, count: number): number[] {
  return list
    .slice()
    .sort((a, b) => key(b) - key(a) || a - b)
    .slice(0, count);
}

const less: SelectionStrategy = {
  name: 'less',
  needs: ['trajectories', 'groupInfluence'],
  select(ctx, budget) {
    const gi = needGroupInfluence(ctx, 'less');
    const { G, values } = gi;
    const live: number[] = [];
    for (let s = 0; s < G; s++) if (gi.sizes[s] > 0) live.push(s);
    if (live.length === 0) throw new Error('LESS needs at least one non-empty target group.');
    const score = new Float64Array(ctx.pool.n);
    for (let i = 0; i < ctx.pool.n; i++) {
      let best = -Infinity;
      for (const s of live) if (values[i * G + s] > best) best = values[i * G + s];
      score[i] = best;
    }
    const chosen = topBy(eligibleList(ctx, 'less'), (i) => score[i], budget);
    const notes = [
      `LESS: target groups are ${describeGroups(gi)}; score = max over groups of Σ_t η_t·cos(g(z,t), group mean gradient); top ${budget} by score.`,
      'Ranking by influence alone collapsed coverage in the reference experiment (methods.md §7); this is a baseline, not a recommendation.',
    ];
    return { strategy: 'less', selected: Int32Array.from(chosen), notes };
  },
};

const icons: SelectionStrategy = {
  name: 'icons',
  needs: ['trajectories', 'groupInfluence'],
  select(ctx, budget) {
    const gi = needGroupInfluence(ctx, 'icons');
    const p = ctx.config.selection.iconsPercentile;
    if (!(p > 0 && p < 1)) throw new Error(`selection.iconsPercentile must be in (0, 1), got ${p}.`);
    const { G, values } = gi;
    const list = eligibleList(ctx, 'icons');
    const votes = new Int32Array(ctx.pool.n);
    const mean = new Float64Array(ctx.pool.n);
    let live = 0;
    const col = new Float64Array(list.length);
    for (let s = 0; s < G; s++) {
      if (gi.sizes[s] === 0) continue;
      live++;
      list.forEach((i, r) => (col[r] = values[i * G + s]));
      const cut = nearestRank(Float64Array.from(col).sort(), p);
      for (const i of list) {
        if (values[i * G + s] > cut) votes[i]++;
        mean[i] += values[i * G + s];
      }
    }
    if (live === 0) throw new Error('ICONS needs at least one non-empty target group.');
    const chosen = sortIcons(list, votes, mean, budget);
    let voted = 0;
    for (const i of list) if (votes[i] > 0) voted++;
    const notes = [
      `ICONS: target groups are ${describeGroups(gi)}; a sample gets a vote from each group whose influence column (over the eligible samples) it exceeds at the ${p} quantile; top ${budget} by votes, ties by mean influence over the groups, then pool order.`,
      `${voted} eligible samples got at least one vote.`,
    ];
    return { strategy: 'icons', selected: Int32Array.from(chosen), notes };
  },
};

function sortIcons(list: number[], votes: Int32Array, mean: Float64Array, budget: number): number[] {
  return list
    .slice()
    .sort((a, b) => votes[b] - votes[a] || mean[b] - mean[a] || a - b)
    .slice(0, budget);
}

// ---------------------------------------------------------------------------------------------
// Length and loss band (methods.md §5)

const length: SelectionStrategy = {
  name: 'length',
  needs: [],
  select(ctx, budget) {
    const order = ctx.config.selection.lengthOrder;
    const sign = order === 'shortest' ? -1 : 1;
    const chars = ctx.pool.answerChars;
    const chosen = topBy(eligibleList(ctx, 'length'), (i) => sign * chars[i], budget);
    const notes = [`Length: the ${order} answers first (characters of all assistant turns), ties by pool order.`];
    return { strategy: 'length', selected: Int32Array.from(chosen), notes };
  },
};

/**
 * The band of ranks [a, b) of the loss-sorted eligible samples for quantiles [lo, hi]:
 * a = ⌊lo·m⌋, b = ⌈hi·m⌉; widened symmetrically (one more below, one more above, …, the rest on the
 * side that still has room) until it holds `budget` samples.
 */
export function lossBandRange(m: number, lo: number, hi: number, budget: number): { a: number; b: number; widened: boolean } {
  let a = Math.max(0, Math.floor(lo * m));
  let b = Math.min(m, Math.ceil(hi * m));
  if (b < a) b = a;
  const want = Math.min(budget, m);
  const widened = b - a < want;
  let below = true;
  while (b - a < want) {
    if ((below && a > 0) || b >= m) a--;
    else b++;
    below = !below;
  }
  return { a, b, widened };
}

const lossBand: SelectionStrategy = {
  name: 'loss-band',
  needs: ['trajectories'],
  select(ctx, budget) {
    const traj = ctx.trajectories;
    if (!traj) throw new Error('The loss-band strategy needs learning trajectories (the proxy loss).');
    const [lo, hi] = ctx.config.selection.lossBand;
    if (!(lo >= 0 && hi <= 1 && lo < hi)) throw new Error(`selection.lossBand must be [low, high] with 0 ≤ low < high ≤ 1, got [${lo}, ${hi}].`);
    const T = traj.T;
    const loss = (i: number) => traj.loss[i * T + T - 1];
    const sorted = eligibleList(ctx, 'loss-band').sort((x, y) => loss(x) - loss(y) || x - y);
    const m = sorted.length;
    const { a, b, widened } = lossBandRange(m, lo, hi, budget);
    const band = sorted.slice(a, b);
    const chosen = take(band, budget, ctx.rng);
    const q = (r: number) => +(r / Math.max(1, m)).toFixed(4);
    const notes = [
      `Loss band (perplexity-mid): last-checkpoint proxy loss between the ${lo} and ${hi} quantiles (ranks ${Math.floor(lo * m) + 1}–${Math.min(m, Math.ceil(hi * m))} of ${m} unique samples by loss), seeded random within the band.`,
    ];
    if (widened) notes.push(`The band held fewer than ${budget} samples, so it was widened symmetrically to quantiles [${q(a)}, ${q(b)}] (${band.length} samples).`);
    if (m) notes.push(`Loss range of the band: ${loss(band[0]).toFixed(4)}–${loss(band[band.length - 1]).toFixed(4)}.`);
    return { strategy: 'loss-band', selected: Int32Array.from(chosen), notes };
  },
};

/** The strategies of this file, registered by strategies.ts. */
export const BASELINES: readonly SelectionStrategy[] = [mmssr, taskBalanced, less, icons, length, lossBand];
