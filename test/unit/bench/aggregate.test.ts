// The quality benchmark's aggregation over held-out splits (bench/aggregate.ts), on hand-made rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from '../../../bench/aggregate';
import type { QualityRow, SplitRows } from '../../../bench/aggregate';

const row = (strategy: string, budget: number, relative: number, seed?: number): QualityRow => ({
  strategy,
  budget,
  relative,
  usesEvaluationLabel: / \(label: /.test(strategy),
  perGroup: [relative],
  ...(seed === undefined ? {} : { seed }),
});

// Three splits; random has two seeds per split. cadc beats random's mean on splits 0 and 2 only.
const splits: SplitRows[] = [
  { split: 0, rows: [row('random', 0.1, 10, 100), row('random', 0.1, 12, 101), row('cadc', 0.1, 13)] },
  { split: 1, rows: [row('random', 0.1, 20, 100), row('random', 0.1, 22, 101), row('cadc', 0.1, 20)] },
  { split: 2, rows: [row('random', 0.1, 14, 100), row('random', 0.1, 18, 101), row('cadc', 0.1, 19), row('x (label: source)', 0.1, 30)] },
];

test('aggregate: mean ± sd over splits, paired differences against random, wins', () => {
  const agg = aggregate(splits);
  assert.equal(agg.splits, 3);
  const get = (s: string) => agg.rows.find((r) => r.strategy === s && r.budget === 0.1)!;
  const r = get('random');
  // random's per-split seed means 11, 21, 16 → mean 16, sd 5.
  assert.deepEqual(r.relative.perSplit, [11, 21, 16]);
  assert.equal(r.relative.mean, 16);
  assert.equal(r.relative.sd, 5);
  assert.equal(r.seedSd!.seeds, 2);
  assert.deepEqual(r.seedSd!.perSplit, [1.41, 1.41, 2.83]);
  assert.ok(!r.vsRandom);
  const c = get('cadc');
  assert.deepEqual(c.relative.perSplit, [13, 20, 19]);
  // Differences 13 − 11, 20 − 21, 19 − 16 = 2, −1, 3 → mean 1.33, sd 2.08, 2 wins of 3.
  assert.deepEqual(c.vsRandom!.perSplit, [2, -1, 3]);
  assert.equal(c.vsRandom!.mean, 1.33);
  assert.equal(c.vsRandom!.sd, 2.08);
  assert.equal(c.vsRandom!.wins, 2);
  assert.equal(c.vsRandom!.n, 3);
  assert.deepEqual(c.vsRandom!.perSplitInRandomSd, [1.41, -0.71, 1.06]);
  // A strategy present on one split only is paired on that split only.
  const x = get('x (label: source)');
  assert.equal(x.usesEvaluationLabel, true);
  assert.equal(x.relative.n, 1);
  assert.equal(x.relative.sd, null);
  assert.deepEqual(x.vsRandom!.perSplit, [14]);
  assert.equal(x.vsRandom!.wins, 1);
});

test('aggregate: a row that names its control is paired against it, and the control gets its seed sd', () => {
  const ctl = 'random (filtered)';
  const withControl = (r: QualityRow): QualityRow => ({ ...r, control: ctl });
  const two: SplitRows[] = [
    {
      split: 0,
      rows: [
        row('random', 0.1, 10, 100),
        row('random', 0.1, 12, 101),
        row(ctl, 0.1, 14, 100),
        row(ctl, 0.1, 18, 101),
        withControl(row('cadc', 0.1, 17)),
      ],
    },
    {
      split: 1,
      rows: [
        row('random', 0.1, 20, 100),
        row('random', 0.1, 20, 101),
        row(ctl, 0.1, 21, 100),
        row(ctl, 0.1, 23, 101),
        withControl(row('cadc', 0.1, 21)),
      ],
    },
  ];
  const agg = aggregate(two);
  const get = (s: string) => agg.rows.find((r) => r.strategy === s && r.budget === 0.1)!;
  // The control: seed means 16, 22; seed sd 2.83, 1.41; it is also paired against plain random (+5, +2).
  const c = get(ctl);
  assert.deepEqual(c.seedSd!.perSplit, [2.83, 1.41]);
  assert.deepEqual(c.vsRandom!.perSplit, [5, 2]);
  assert.ok(!c.vsControl);
  // cadc: against random +6, +1; against its control +1, −1 (one win), in control seed sd 0.35, −0.71.
  const d = get('cadc');
  assert.deepEqual(d.vsRandom!.perSplit, [6, 1]);
  assert.equal(d.vsControl!.control, ctl);
  assert.deepEqual(d.vsControl!.perSplit, [1, -1]);
  assert.equal(d.vsControl!.wins, 1);
  assert.deepEqual(d.vsControl!.perSplitInRandomSd, [0.35, -0.71]);
  // Rows without a control have no vsControl.
  assert.ok(!get('random').vsControl);
});
