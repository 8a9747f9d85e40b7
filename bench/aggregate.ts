// Aggregation of the quality benchmark over held-out splits (bench/quality.ts --splits N). Pure: it
// reads the per-split rows and returns, for each strategy and budget, the mean ± sd over splits of
// relative performance and — the comparison that matters — the paired difference against random on
// the same split (strategy − mean of random's seeds on that split), its mean ± sd over splits and
// the number of splits in which the strategy beat random's mean. Used by quality.ts (to write the
// `aggregate` section) and by render.ts (for results files written before splits existed).

export interface QualityRow {
  budget: number;
  strategy: string;
  seed?: number;
  usesEvaluationLabel: boolean;
  relative: number;
  perGroup: number[];
  /** The random row with the same exclusions as this strategy (its filter's control), when the bench names one. */
  control?: string;
}

export interface SplitRows {
  split: number;
  rows: QualityRow[];
}

export interface MeanSd {
  mean: number;
  /** Sample standard deviation over splits; null with a single split. */
  sd: number | null;
  n: number;
  perSplit: number[];
}

export interface AggregateRow {
  strategy: string;
  budget: number;
  usesEvaluationLabel: boolean;
  /** Relative performance (random: the mean over its seeds on each split), over splits. */
  relative: MeanSd;
  /** Random only: its seed standard deviation within each split, and their mean. */
  seedSd?: { perSplit: (number | null)[]; mean: number | null; seeds: number };
  /** Paired difference vs random's seed mean on the same split (absent for random itself). */
  vsRandom?: Paired;
  /**
   * Paired difference vs the random row with the same exclusions as the strategy (its `control`, e.g.
   * random with the same self-influence filter), when the rows name one; absent for random rows.
   */
  vsControl?: Paired & { control: string };
}

/** A paired difference against a random row on the same split. */
export type Paired = MeanSd & {
  /** Splits in which the strategy's value exceeded the random row's seed mean. */
  wins: number;
  /** The same per-split differences in units of the random row's seed sd on that split (null if undefined). */
  perSplitInRandomSd: (number | null)[];
};

export interface Aggregate {
  splits: number;
  definition: string;
  rows: AggregateRow[];
}

const r2 = (v: number) => +v.toFixed(2);

export function meanSd(v: number[]): MeanSd {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
  return { mean: r2(mean), sd: sd === null ? null : r2(sd), n, perSplit: v.map(r2) };
}

export function aggregate(splits: SplitRows[], randomName = 'random'): Aggregate {
  const budgets = [...new Set(splits.flatMap((s) => s.rows.map((r) => r.budget)))].sort((a, b) => a - b);
  const names = [...new Set(splits.flatMap((s) => s.rows.map((r) => r.strategy)))];
  const value = (s: SplitRows, name: string, b: number) => {
    const v = s.rows.filter((r) => r.strategy === name && r.budget === b).map((r) => r.relative);
    return v.length ? v.reduce((a, c) => a + c, 0) / v.length : undefined;
  };
  // Unrounded (the ratios below divide by it); rounded where it is reported.
  const seedSd = (s: SplitRows, b: number, of = randomName) => {
    const v = s.rows.filter((r) => r.strategy === of && r.budget === b).map((r) => r.relative);
    if (v.length < 2) return null;
    const m = v.reduce((a, c) => a + c, 0) / v.length;
    return Math.sqrt(v.reduce((a, c) => a + (c - m) ** 2, 0) / (v.length - 1));
  };
  const paired = (usable: SplitRows[], name: string, b: number, against: string): Paired | undefined => {
    const both = usable.filter((s) => value(s, against, b) !== undefined);
    if (!both.length) return undefined;
    const d = both.map((s) => value(s, name, b)! - value(s, against, b)!);
    return {
      ...meanSd(d),
      wins: d.filter((x) => x > 0).length,
      perSplitInRandomSd: both.map((s, i) => {
        const sd = seedSd(s, b, against);
        return sd ? r2(d[i] / sd) : null;
      }),
    };
  };
  const rows: AggregateRow[] = [];
  for (const name of names) {
    for (const b of budgets) {
      // Only splits where both the strategy and random have a value (a strategy may fail on one).
      const usable = splits.filter((s) => value(s, name, b) !== undefined);
      if (!usable.length) continue;
      const row: AggregateRow = {
        strategy: name,
        budget: b,
        usesEvaluationLabel: splits.some((s) => s.rows.some((r) => r.strategy === name && r.usesEvaluationLabel)),
        relative: meanSd(usable.map((s) => value(s, name, b)!)),
      };
      const control = splits.flatMap((s) => s.rows).find((r) => r.strategy === name && r.control)?.control;
      const isControl = splits.some((s) => s.rows.some((r) => r.control === name));
      if (name === randomName || isControl) {
        const sds = usable.map((s) => seedSd(s, b, name));
        const known = sds.filter((x): x is number => x !== null);
        row.seedSd = {
          perSplit: sds.map((x) => (x === null ? null : r2(x))),
          mean: known.length ? r2(known.reduce((a, c) => a + c, 0) / known.length) : null,
          seeds: usable[0].rows.filter((r) => r.strategy === name && r.budget === b).length,
        };
      }
      if (name !== randomName) {
        const vs = paired(usable, name, b, randomName);
        if (vs) row.vsRandom = vs;
      }
      if (control && control !== name) {
        const vs = paired(usable, name, b, control);
        if (vs) row.vsControl = { control, ...vs };
      }
      rows.push(row);
    }
  }
  return {
    splits: splits.length,
    definition:
      "Per strategy and budget, over held-out splits: relative = mean ± sd (sample sd, n − 1) of the split's relative performance (random: the mean over its seeds on that split); vsRandom = the paired difference strategy − random's seed mean on the same split, its mean ± sd over splits, and wins = splits where the difference is > 0; perSplitInRandomSd = each split's difference divided by random's seed sd on that split; vsControl = the same against the strategy's control, the random row with the same exclusions (e.g. the same self-influence filter), with that row's seed sd; control rows get their own seedSd.",
    rows,
  };
}
