// mmSSR (docs/method.md §2): a budget spread over capabilities (imported scores, or CADC's
// attributions standing in), and inside each capability over interaction-style bins, best scores first.
import { STYLES } from '../../features/types';
import type { Pool } from '../../features/types';
import { eligibleList, take, waterFill } from '../helpers';
import type { SelectionResult, SelectionStrategy } from '../types';

/** Style of each sample: labels[styleField] when it names one of STYLES, else the rule-based primary style. */
export function resolveStyles(pool: Pool, styleField: string | undefined): { style: Uint8Array; overridden: number; invalid: number } {
  const style = Uint8Array.from(pool.primaryStyle);
  if (styleField === undefined) return { style, overridden: 0, invalid: 0 };
  const col = pool.labels[styleField];
  if (!col)
    throw new Error(
      `No label field '${styleField}' in the dataset for the interaction style (fields: ${Object.keys(pool.labels).join(', ') || 'none'}).`,
    );
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

export const mmssr: SelectionStrategy = {
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
      notes.push(
        `mmSSR over the ${C} imported capability scores (${s.scored} of ${pool.n} samples scored); a sample counts for the capability it scores highest on.`,
      );
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
    const quotas = waterFill(
      budget,
      members.map((m) => m.length),
    );
    const chosen: number[] = [];
    for (let c = 0; c < C; c++) if (quotas[c] > 0) chosen.push(...styleBinPicks(members[c], style, (i) => score(i, c), quotas[c]));
    const short = members.filter((m, c) => m.length < Math.floor(budget / C) && quotas[c] === m.length).length;
    if (short)
      notes.push(
        `${short} of ${C} capabilities had fewer samples than an even share (${Math.floor(budget / C)}); their rest went to the others.`,
      );
    if (chosen.length < budget && unscored.length) {
      const fill = take(unscored, budget - chosen.length, ctx.rng.fork('unscored'));
      chosen.push(...fill);
      notes.push(
        `Only ${chosen.length - fill.length} unique scored samples for a budget of ${budget}: ${fill.length} unscored samples were drawn at random to fill it.`,
      );
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
