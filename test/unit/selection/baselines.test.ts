// The baseline strategies (mmssr, task-balanced, less, icons, length, loss-band) on small pools
// whose right answers can be worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import type { DeepPartial, CurationConfig } from '../../../src/core/config';
import type { Pool } from '../../../src/core/features/types';
import type { Trajectories } from '../../../src/core/gradients/types';
import type { CapabilityModel } from '../../../src/core/capabilities/types';
import type { Attribution } from '../../../src/core/influence/types';
import { computeGroupInfluence, prepareSelection } from '../../../src/core/selection/strategies/groupInfluence';
import { lossBandRange } from '../../../src/core/selection/strategies/lossBand';
import { resolveStyles, styleBinPicks } from '../../../src/core/selection/strategies/mmssr';
import { nearestRank } from '../../../src/core/util/stats';
import { MMSSR_CAPABILITIES, parseScores } from '../../../src/core/selection/scores';
import type { CapabilityScores } from '../../../src/core/selection/scores';
import { getStrategy } from '../../../src/core/selection/strategies';
import type { GroupInfluence, SelectionContext } from '../../../src/core/selection/types';
import type { StrategyName } from '../../../src/core/config';
import { Rng } from '../../../src/core/util/rng';
import { plantedTrajectories, tinyPool, unit } from '../helpers';

function identity(n: number) {
  return { rep: Int32Array.from({ length: n }, (_, i) => i), exactPairs: 0, nearPairs: 0 };
}

function ctxOf(pool: Pool, extra: Partial<SelectionContext> = {}, config: DeepPartial<CurationConfig> = {}, seed = 1): SelectionContext {
  return { pool, config: resolveConfig(config), rng: new Rng(seed), duplicates: identity(pool.n), ...extra };
}

function label(pool: Pool, field: string, values: (string | null)[]): void {
  const distinct: string[] = [];
  const codes = values.map((v) => {
    if (v === null) return -1;
    let c = distinct.indexOf(v);
    if (c < 0) c = distinct.push(v) - 1;
    return c;
  });
  pool.labels[field] = { values: distinct, codes: Int32Array.from(codes) };
}

const C = MMSSR_CAPABILITIES.length;
const OSU = 0; // object-spatial-understanding
const OCR = MMSSR_CAPABILITIES.indexOf('ocr');

/**
 * 14 samples. Capability OSU: samples 0–7 (style yes/no: 0; multi-choice: 1, 2; short-answer: 3–7),
 * capability OCR: 8–12 (coordinate: 8; short-answer: 9–12), 13 unscored. 5 duplicates 4.
 */
function mmssrCase() {
  const pool = tinyPool(14);
  const style = [2, 0, 0, 3, 3, 3, 3, 3, 1, 3, 3, 3, 3, 3];
  pool.primaryStyle = Uint8Array.from(style);
  const values = new Float32Array(14 * C);
  const osu = [1, 3, 4, 2, 5, 5, 5, 3];
  osu.forEach((v, i) => (values[i * C + OSU] = v));
  const ocr = [2, 1, 4, 3, 4];
  ocr.forEach((v, j) => (values[(8 + j) * C + OCR] = v));
  const has = Uint8Array.from({ length: 14 }, (_, i) => (i < 13 ? 1 : 0));
  const scores: CapabilityScores = {
    sha256: 'x',
    capabilities: MMSSR_CAPABILITIES,
    C,
    n: 14,
    values,
    has,
    scored: 13,
    rows: 13,
    warnings: [],
  };
  const duplicates = identity(14);
  duplicates.rep[5] = 4;
  return { pool, scores, duplicates };
}

test('mmssr: round-robin capability shares, style bins smallest first, carry-over, top score, ties by index, no duplicate', () => {
  const { pool, scores, duplicates } = mmssrCase();
  const r = getStrategy('mmssr').select({ ...ctxOf(pool, { scores }), duplicates }, 8);
  // Shares: waterFill(8, [7 OSU, 5 OCR]) = [4, 4].
  // OSU bins by size: yes/no {0} → ⌊4/3⌋ = 1 → 0; multi-choice {1, 2} → ⌊3/2⌋ = 1 → 2 (score 4 > 3);
  //   short-answer {3, 4, 6, 7} (5 is a duplicate of 4) → 2 → 4, 6 (both 5: index order).
  // OCR bins: coordinate {8} → ⌊4/2⌋ = 2 but holds 1, the unused 1 carries over; short-answer
  //   {9..12} → 3 → 10, 12 (both 4: index order), 11 (3).
  assert.deepEqual(Array.from(r.selected), [0, 2, 4, 6, 8, 10, 12, 11]);
  assert.ok(r.notes.some((n) => /imported capability scores/.test(n)));
  assert.equal(r.perCapability, undefined, 'imported capabilities are not CADC capabilities');
});

test('mmssr: unscored samples only fill a budget the scored ones cannot meet', () => {
  const { pool, scores, duplicates } = mmssrCase();
  const r = getStrategy('mmssr').select({ ...ctxOf(pool, { scores }), duplicates }, 20);
  assert.equal(r.selected.length, 13, 'min(budget, eligible) = 13 (14 samples, one duplicate)');
  assert.equal(new Set(r.selected).size, 13);
  assert.ok(!r.selected.includes(5));
  assert.equal(r.selected[r.selected.length - 1], 13, 'the unscored sample comes last');
  assert.ok(r.notes.some((n) => /unscored samples were drawn at random/.test(n)));
});

test('mmssr style bins: a share a small bin cannot use is carried to the next bin', () => {
  const style = [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2];
  const members = style.map((_, i) => i);
  // Bins by size: {0} (1), {1..5} (5), {6..11} (6); quota 9: ⌊9/3⌋ = 3 → 1 taken, 2 carried;
  // next ⌊8/2⌋ = 4 of 5; last all 4 left.
  const picks = styleBinPicks(members, style, (i) => -i, 9);
  assert.deepEqual(picks, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
});

test('mmssr: a style label field overrides the rule-based style where it names one of the 9', () => {
  const pool = tinyPool(4);
  pool.primaryStyle = Uint8Array.from([3, 3, 3, 3]);
  label(pool, 'style', ['yes/no', 'not-a-style', null, 'Coordinate']);
  const r = resolveStyles(pool, 'style');
  assert.deepEqual(Array.from(r.style), [2, 3, 3, 1]);
  assert.equal(r.overridden, 2);
  assert.equal(r.invalid, 1);
  assert.throws(() => resolveStyles(pool, 'nope'), /No label field 'nope'/);
});

test('mmssr without imported scores: CADC capabilities stand in, by z-scored influence, and the notes say so', () => {
  const n = 10;
  const pool = tinyPool(n);
  const K = 2;
  const hard = Int32Array.from({ length: n }, (_, i) => (i < 6 ? 0 : 1));
  const influence = new Float32Array(n * K);
  const inf0 = [0.1, 0.9, 0.3, 0.8, 0.2, 0.4];
  inf0.forEach((v, i) => (influence[i * K] = v));
  [0.5, 0.7, 0.6, 0.2].forEach((v, j) => (influence[(6 + j) * K + 1] = v));
  const attribution: Attribution = {
    K,
    influence,
    hard,
    selfInfluence: new Float32Array(n),
    mean: Float64Array.from([0.3, 0.2]),
    std: Float64Array.from([0.5, 2]),
  };
  const r = getStrategy('mmssr').select(ctxOf(pool, { attribution }), 4);
  // waterFill(4, [6, 4]) = [2, 2]; one style bin each: c0 top 2 by z → 1, 3; c1 → 7, 8.
  assert.deepEqual(Array.from(r.selected), [1, 3, 7, 8]);
  assert.ok(r.notes.some((x) => /No capability scores were imported, so CADC's 2 discovered capabilities stand in/.test(x)));
  assert.deepEqual(r.perCapability, [
    { quota: 2, taken: 2 },
    { quota: 2, taken: 2 },
  ]);
});

test('task-balanced: cap = B / #tasks with the unused quota of small tasks redistributed (2, 10, 10 → 2, 5, 5)', () => {
  const pool = tinyPool(22);
  label(
    pool,
    'task_name',
    pool.ids.map((_, i) => (i < 2 ? 'small' : i < 12 ? 'big1' : 'big2')),
  );
  const r = getStrategy('task-balanced').select(ctxOf(pool), 12);
  const count = (lo: number, hi: number) => Array.from(r.selected).filter((i) => i >= lo && i < hi).length;
  assert.deepEqual([count(0, 2), count(2, 12), count(12, 22)], [2, 5, 5]);
  assert.equal(new Set(r.selected).size, 12);
  assert.ok(r.notes[0].includes("label field 'task_name'"));
  // Seeded random within a task: same seed, same picks; another seed, other picks.
  assert.deepEqual(getStrategy('task-balanced').select(ctxOf(pool), 12).selected, r.selected);
  const other = getStrategy('task-balanced').select(ctxOf(pool, {}, {}, 2), 12).selected;
  assert.notDeepEqual(Array.from(other).sort(), Array.from(r.selected).sort());
});

test('task-balanced: unlabelled samples form their own task; taskField picks the field; probe groups as a fallback', () => {
  const pool = tinyPool(12);
  label(
    pool,
    'source',
    pool.ids.map((_, i) => (i < 8 ? 'a' : null)),
  );
  label(
    pool,
    'kind',
    pool.ids.map((_, i) => (i % 2 ? 'odd' : 'even')),
  );
  const r = getStrategy('task-balanced').select(ctxOf(pool), 6);
  assert.equal(Array.from(r.selected).filter((i) => i >= 8).length, 3, "'(none)' is a task of its own: 6 → 3 + 3");
  assert.ok(r.notes.some((x) => x.includes("'(none)'")));
  const byKind = getStrategy('task-balanced').select(ctxOf(pool, {}, { selection: { taskField: 'kind' } }), 6);
  assert.equal(Array.from(byKind.selected).filter((i) => i % 2 === 1).length, 3);
  assert.throws(
    () => getStrategy('task-balanced').select(ctxOf(pool, {}, { selection: { taskField: 'nope' } }), 6),
    /No label field 'nope'/,
  );
  const bare = tinyPool(9);
  const capabilities = {
    probe: {
      source: 'clusters',
      names: ['g0', 'g1', 'g2'],
      of: Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2]),
      sizes: Int32Array.from([7, 1, 1]),
    },
  } as unknown as CapabilityModel;
  const p = getStrategy('task-balanced').select(ctxOf(bare, { capabilities }), 6);
  assert.deepEqual(
    [0, 1, 2].map((g) => Array.from(p.selected).filter((i) => capabilities.probe.of[i] === g).length),
    [4, 1, 1],
  );
  assert.ok(p.notes[0].includes('probe groups'));
});

/**
 * 9 samples, 2 checkpoints (η = 1, 0.5), D = 2. task_name: A = {0, 1} along x, B = {2, 3} along y;
 * 4–8 unlabelled: 4 at 30°, 5 = (0.6, 0.8), 6 = −x, 7 = (0.28, 0.96), 8 at 45°.
 */
function lessCase() {
  const rows = [[1, 0], [1, 0], [0, 1], [0, 1], [Math.cos(Math.PI / 6), 0.5], [0.6, 0.8], [-1, 0], [0.28, 0.96], unit([1, 1])];
  const traj = plantedTrajectories([rows, rows], [1, 0.5]);
  const pool = tinyPool(9);
  label(pool, 'task_name', ['A', 'A', 'B', 'B', null, null, null, null, null]);
  return { pool, traj };
}

test('less: per-group influence in ORT matches the hand values; max over groups, top-k, ties by index', async () => {
  const { pool, traj } = lessCase();
  const config = resolveConfig({});
  const gi = await computeGroupInfluence(pool, config, traj);
  assert.equal(gi.key, 'label:task_name');
  assert.deepEqual(gi.names, ['A', 'B']);
  const expect = [
    [1, 0],
    [1, 0],
    [0, 1],
    [0, 1],
    [Math.cos(Math.PI / 6), 0.5],
    [0.6, 0.8],
    [-1, 0],
    [0.28, 0.96],
    [Math.SQRT1_2, Math.SQRT1_2],
  ];
  expect.forEach((e, i) => e.forEach((v, s) => assert.ok(Math.abs(gi.values[i * 2 + s] - 1.5 * v) < 1e-5, `sample ${i} group ${s}`)));
  const less = getStrategy('less');
  // Max over groups: 4 (0.866) > 5 (0.8) > 8 (0.707); a mean over groups would rank 8 first.
  assert.deepEqual(Array.from(less.select(ctxOf(pool, { groupInfluence: gi, trajectories: traj }), 6).selected), [0, 1, 2, 3, 7, 4]);
  assert.deepEqual(Array.from(less.select(ctxOf(pool, { groupInfluence: gi, trajectories: traj }), 8).selected), [0, 1, 2, 3, 7, 4, 5, 8]);
  const dup = { ...ctxOf(pool, { groupInfluence: gi, trajectories: traj }), duplicates: identity(9) };
  dup.duplicates.rep[1] = 0;
  assert.deepEqual(Array.from(less.select(dup, 3).selected), [0, 2, 3]);
  assert.throws(() => less.select(ctxOf(pool, { trajectories: traj }), 3), /needs the per-group influence/);
  // prepareSelection computes it for less/icons, reuses a matching one, and skips other strategies.
  const prepared = await prepareSelection({ pool, config, strategy: less, trajectories: traj });
  assert.deepEqual(prepared?.values, gi.values);
  assert.equal(await prepareSelection({ pool, config, strategy: less, trajectories: traj, existing: gi }), gi);
  assert.equal(await prepareSelection({ pool, config, strategy: getStrategy('random'), trajectories: traj }), undefined);
});

test('less: without a task label the probe groups are the targets', async () => {
  const { pool, traj } = lessCase();
  delete pool.labels.task_name;
  const capabilities = {
    probe: { source: 'clusters', names: ['x', 'y'], of: Int32Array.from([0, 0, 1, 1, -1, -1, -1, -1, -1]), sizes: Int32Array.from([2, 2]) },
  } as unknown as CapabilityModel;
  const gi = await computeGroupInfluence(pool, resolveConfig({}), traj, capabilities);
  assert.equal(gi.source, 'probe');
  assert.deepEqual(
    Array.from(getStrategy('less').select(ctxOf(pool, { groupInfluence: gi, capabilities }), 6).selected),
    [0, 1, 2, 3, 7, 4],
  );
});

function iconsInfluence(): GroupInfluence {
  const A = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  const B = [7, 0, 1, 2, 3, 4, 5, 6, 8, 9];
  const values = new Float32Array(20);
  for (let i = 0; i < 10; i++) [values[2 * i], values[2 * i + 1]] = [A[i], B[i]];
  return { key: 'label:task_name', source: 'label', field: 'task_name', names: ['A', 'B'], sizes: Int32Array.from([5, 5]), G: 2, values };
}

test('icons: votes above the 80th percentile of each group column, top-k by votes, ties by mean influence then index', () => {
  assert.equal(nearestRank([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.8), 7);
  const pool = tinyPool(10);
  const icons = getStrategy('icons');
  // Cut at the 8th smallest (7): A votes for 0 (9) and 1 (8); B for 9 (9) and 8 (8); sample 0 sits
  // exactly at B's cut (7) and gets no second vote. Sums: 0 → 16, 8 → 9, 9 → 9, 1 → 8.
  const r = icons.select(ctxOf(pool, { groupInfluence: iconsInfluence() }), 5);
  assert.deepEqual(Array.from(r.selected), [0, 8, 9, 1, 2]);
  assert.ok(r.notes.some((x) => x.includes('4 eligible samples got at least one vote')));
  // At the median (cut = 5th smallest = 4): A votes for 0–4, B for 0 and 6–9, so 0 has 2 votes;
  // of the one-vote samples 8 and 9 have the largest sum (9), 8 first by index.
  const half = icons.select(ctxOf(pool, { groupInfluence: iconsInfluence() }, { selection: { iconsPercentile: 0.5 } }), 2);
  assert.deepEqual(Array.from(half.selected), [0, 8]);
  assert.throws(
    () => icons.select(ctxOf(pool, { groupInfluence: iconsInfluence() }, { selection: { iconsPercentile: 1 } }), 2),
    /iconsPercentile/,
  );
});

test('length: longest answers first, ties by index; shortest on request', () => {
  const pool = tinyPool(6);
  pool.answerChars = Int32Array.from([5, 50, 20, 50, 1, 20]);
  assert.deepEqual(Array.from(getStrategy('length').select(ctxOf(pool), 4).selected), [1, 3, 2, 5]);
  assert.deepEqual(
    Array.from(getStrategy('length').select(ctxOf(pool, {}, { selection: { lengthOrder: 'shortest' } }), 3).selected),
    [4, 0, 2],
  );
  const d = ctxOf(pool);
  d.duplicates.rep[3] = 1;
  assert.deepEqual(Array.from(getStrategy('length').select(d, 2).selected), [1, 2]);
});

function lossCase(): { pool: Pool; traj: Trajectories; loss: number[] } {
  const n = 20;
  const rows = Array.from({ length: n }, () => [1, 0]);
  const traj = plantedTrajectories([rows, rows], [1, 1]);
  // Last-checkpoint loss: a permutation of 0..19 (loss rank r belongs to sample (7r) mod 20).
  const loss = Array.from({ length: n }, (_, i) => (i * 3) % 20);
  for (let i = 0; i < n; i++) traj.loss[i * 2 + 1] = loss[i];
  return { pool: tinyPool(n), traj, loss };
}

test('loss-band: only samples in the middle quantile band, widened symmetrically when short', () => {
  const { pool, traj, loss } = lossCase();
  const s = getStrategy('loss-band');
  const r = s.select(ctxOf(pool, { trajectories: traj }), 6);
  assert.equal(r.selected.length, 6);
  // [0.25, 0.75] of 20: ranks 5..14, i.e. loss 5..14.
  assert.ok(Array.from(r.selected).every((i) => loss[i] >= 5 && loss[i] <= 14));
  assert.deepEqual(lossBandRange(20, 0.25, 0.75, 14), { a: 3, b: 17, widened: true });
  const wide = s.select(ctxOf(pool, { trajectories: traj }), 14);
  assert.deepEqual(
    Array.from(wide.selected, (i) => loss[i]).sort((a, b) => a - b),
    Array.from({ length: 14 }, (_, k) => k + 3),
  );
  assert.ok(wide.notes.some((x) => /widened symmetrically to quantiles \[0.15, 0.85\]/.test(x)));
  assert.deepEqual(lossBandRange(10, 0.8, 1, 5), { a: 5, b: 10, widened: true }, 'no room above: the rest widens below');
  const narrow = s.select(ctxOf(pool, { trajectories: traj }, { selection: { lossBand: [0.5, 0.6] } }), 2);
  assert.deepEqual(
    Array.from(narrow.selected, (i) => loss[i]).sort((a, b) => a - b),
    [10, 11],
  );
});

/** A pool on which every strategy can run: labels, styles, answer lengths, trajectories, attributions. */
async function everything(n = 60) {
  const pool = tinyPool(n);
  const rng = new Rng(7);
  label(
    pool,
    'task_name',
    pool.ids.map((_, i) => (i % 7 === 0 ? null : `t${i % 4}`)),
  );
  pool.primaryStyle = Uint8Array.from({ length: n }, (_, i) => (i * 5) % 9);
  pool.answerChars = Int32Array.from({ length: n }, () => rng.int(50));
  const rows = [0, 1].map(() => Array.from({ length: n }, () => unit([rng.normal(), rng.normal(), rng.normal()])));
  const traj = plantedTrajectories(rows, [1, 0.5]);
  for (let i = 0; i < traj.loss.length; i++) traj.loss[i] = rng.next();
  const K = 3;
  const influence = Float32Array.from({ length: n * K }, () => rng.normal());
  const hard = Int32Array.from({ length: n }, (_, i) => i % K);
  const attribution: Attribution = {
    K,
    influence,
    hard,
    selfInfluence: new Float32Array(n),
    mean: new Float64Array(K),
    std: new Float64Array(K).fill(1),
  };
  const capabilities = {
    K,
    probe: {
      source: 'clusters',
      names: ['g0', 'g1'],
      of: Int32Array.from({ length: n }, (_, i) => i % 2),
      sizes: Int32Array.from([n / 2, n / 2]),
    },
  } as unknown as CapabilityModel;
  const duplicates = identity(n);
  for (const [d, r] of [
    [11, 10],
    [12, 10],
    [31, 30],
    [45, 44],
  ])
    duplicates.rep[d] = r;
  const config = resolveConfig({});
  const groupInfluence = await computeGroupInfluence(pool, config, traj, capabilities);
  return { pool, traj, attribution, capabilities, duplicates, groupInfluence };
}

const NAMES: StrategyName[] = ['mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];

test('every baseline: budget respected, unique, never a duplicate, deterministic per seed, notes filled', async () => {
  const e = await everything();
  const eligible = 60 - 4;
  for (const name of NAMES) {
    const s = getStrategy(name);
    assert.equal(s.name, name);
    const run = (budget: number, seed: number) =>
      s.select(
        {
          pool: e.pool,
          config: resolveConfig({ strategy: name }),
          rng: new Rng(seed),
          duplicates: e.duplicates,
          trajectories: e.traj,
          capabilities: e.capabilities,
          attribution: e.attribution,
          groupInfluence: e.groupInfluence,
        },
        budget,
      );
    for (const budget of [1, 7, 30, eligible, 100]) {
      const r = run(budget, 3);
      assert.equal(r.strategy, name);
      assert.equal(r.selected.length, Math.min(budget, eligible), `${name} @ ${budget}`);
      assert.equal(new Set(r.selected).size, r.selected.length, `${name}: unique`);
      assert.ok(
        Array.from(r.selected).every((i) => e.duplicates.rep[i] === i),
        `${name}: one per duplicate cluster`,
      );
      assert.ok(r.notes.length > 0, `${name}: notes`);
      assert.deepEqual(run(budget, 3).selected, r.selected, `${name}: same seed, same selection`);
    }
    if (budgetDependsOnSeed(name))
      assert.notDeepEqual(Array.from(run(20, 4).selected).sort(), Array.from(run(20, 3).selected).sort(), `${name}: the seed matters`);
  }
});

function budgetDependsOnSeed(name: StrategyName): boolean {
  return name === 'task-balanced' || name === 'loss-band';
}

test('getStrategy finds all eight strategies; needs are declared', () => {
  for (const name of ['cadc', 'random', ...NAMES] as StrategyName[]) assert.equal(getStrategy(name).name, name);
  assert.deepEqual(getStrategy('less').needs, ['trajectories', 'groupInfluence']);
  assert.deepEqual(getStrategy('icons').needs, ['trajectories', 'groupInfluence']);
  assert.deepEqual(getStrategy('loss-band').needs, ['trajectories']);
  assert.deepEqual(getStrategy('length').needs, []);
});

test('mmssr with scores parsed from a file selects from the scored capabilities', () => {
  const pool = tinyPool(6);
  const text = [
    '{"id": "s0", "scores": {"ocr": 5}}',
    '{"id": "s1", "ocr": 2}',
    '{"line": 3, "humanities": 4}',
    '{"line": 4, "humanities": 1}',
    '{"id": "s4", "stem-knowledge": 3}',
  ].join('\n');
  const scores = parseScores(text, pool, { file: 'x.jsonl' });
  const r = getStrategy('mmssr').select(ctxOf(pool, { scores }), 3);
  // waterFill(3, [humanities 2, stem 1, ocr 2]) in capability order: humanities 1, stem 1, ocr 1.
  assert.deepEqual(Array.from(r.selected), [2, 4, 0]);
});
