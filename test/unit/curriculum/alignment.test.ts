// The alignment stage (Vision-Flan's two-stage manifest): predicate, size, exclusions, placement,
// determinism and the manifest it produces, on small pools with hand-computable answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import type { AlignmentConfig, CurationConfig, DeepPartial, StrategyName } from '../../../src/core/config';
import type { CapabilityModel } from '../../../src/core/capabilities/types';
import {
  alignmentEnabled,
  alignmentMatches,
  alignmentTarget,
  appendAlignmentStage,
  combinedSelection,
  selectWithAlignment,
} from '../../../src/core/curriculum/alignment';
import { serializeManifest } from '../../../src/core/curriculum/manifest';
import type { ManifestV1 } from '../../../src/core/curriculum/types';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { STYLES } from '../../../src/core/features/types';
import type { Pool } from '../../../src/core/features/types';
import type { Attribution } from '../../../src/core/influence/types';
import type { CurationRun } from '../../../src/core/pipeline/api';
import { attributionOf } from '../../../src/core/pipeline/attribution';
import { reselect } from '../../../src/core/pipeline/reselect';
import { getStrategy } from '../../../src/core/selection/strategies';
import type { Duplicates, SelectionResult } from '../../../src/core/selection/types';
import { STRATEGIES } from '../../../src/core/config';
import { Rng } from '../../../src/core/util/rng';
import { plantedTrajectories, tinyPool } from '../helpers';

const bit = (s: (typeof STYLES)[number]) => 1 << STYLES.indexOf(s);

function cfgWith(al: DeepPartial<AlignmentConfig>, extra: DeepPartial<CurationConfig> = {}): CurationConfig {
  return resolveConfig({ ...extra, curriculum: { alignment: al } });
}

function singletons(n: number): Duplicates {
  return { rep: Int32Array.from({ length: n }, (_, i) => i), exactPairs: 0, nearPairs: 0 };
}

function attributionFor(n: number, K = 2): Attribution {
  const hard = Int32Array.from({ length: n }, (_, i) => i % K);
  const influence = new Float32Array(n * K);
  for (let i = 0; i < n; i++) influence[i * K + hard[i]] = 1 + i / 1000;
  return { K, influence, hard, selfInfluence: new Float32Array(n).fill(1), mean: new Float64Array(K), std: new Float64Array(K).fill(1) };
}

/** Pool of n samples; `long` ones get 500-character free-form answers, the rest 10 characters. */
function longAnswerPool(n: number, long: (i: number) => boolean): Pool {
  const pool = tinyPool(n);
  for (let i = 0; i < n; i++) {
    pool.answerChars[i] = long(i) ? 500 : 10;
    pool.styleMask[i] = long(i) ? bit('detailed-description') : bit('short-answer');
    pool.primaryStyle[i] = long(i) ? STYLES.indexOf('detailed-description') : STYLES.indexOf('short-answer');
  }
  return pool;
}

/** A deterministic stand-in strategy: the lowest-index duplicate representatives first. */
function lowestFirst(pool: Pool, dup: Duplicates, calls: number[] = []) {
  return (budget: number): SelectionResult => {
    calls.push(budget);
    const out: number[] = [];
    for (let i = 0; i < pool.n && out.length < budget; i++) if (dup.rep[i] === i) out.push(i);
    return { strategy: 'random', selected: Int32Array.from(out), notes: [] };
  };
}

test('long-answer predicate: ≥ minAnswerChars and not yes/no, multi-choice or short-answer', () => {
  const pool = tinyPool(20);
  for (let i = 0; i < 20; i++) {
    pool.answerChars[i] = i * 50;
    pool.styleMask[i] = bit('detailed-description');
  }
  pool.styleMask[15] |= bit('yes/no');
  pool.styleMask[16] = bit('multi-choice');
  pool.styleMask[17] = bit('short-answer') | bit('chain-of-thought');
  pool.styleMask[18] = bit('chain-of-thought') | bit('comparison'); // free-form styles stay in
  const al = resolveConfig({}).curriculum.alignment;
  assert.equal(al.minAnswerChars, 400);
  const m = alignmentMatches(pool, { ...al, predicate: 'long-answer', minAnswerChars: 400 });
  // i·50 ≥ 400 ⇔ i ≥ 8; 15, 16, 17 are closed-form.
  assert.deepEqual(
    Array.from(m).flatMap((x, i) => (x ? [i] : [])),
    [8, 9, 10, 11, 12, 13, 14, 18, 19],
  );
  const m2 = alignmentMatches(pool, { ...al, predicate: 'long-answer', minAnswerChars: 900 });
  assert.deepEqual(
    Array.from(m2).flatMap((x, i) => (x ? [i] : [])),
    [18, 19],
  );
});

test('label predicate: labels[field] ∈ values; unlabeled rows never match; a missing field is an error', () => {
  const pool = tinyPool(9);
  pool.labels.task = { values: ['vqa', 'caption+detail', 'ocr'], codes: Int32Array.from([0, 1, 2, 1, -1, 2, 0, 1, 2]) };
  const al: AlignmentConfig = {
    ...resolveConfig({}).curriculum.alignment,
    predicate: 'label',
    field: 'task',
    values: ['caption+detail', 'ocr', 'absent'],
  };
  const m = alignmentMatches(pool, al);
  assert.deepEqual(Array.from(m), [0, 1, 1, 1, 0, 1, 0, 1, 1]);
  // Long answers are irrelevant to the label predicate.
  pool.answerChars.fill(5000);
  assert.deepEqual(Array.from(alignmentMatches(pool, al)), [0, 1, 1, 1, 0, 1, 0, 1, 1]);
  assert.throws(() => alignmentMatches(pool, { ...al, field: 'task_name' }), /'task_name' is not in the dataset \(label fields: task\)/);
  assert.throws(() => alignmentMatches(pool, { ...al, values: [] }), /at least one value/);
  assert.throws(() => alignmentMatches(pool, { ...al, maxShare: 1 }), /maxShare/);
});

test("'auto' is on for task-balanced only; true/false override it; off leaves the strategy the whole budget", () => {
  for (const s of STRATEGIES) {
    assert.equal(alignmentEnabled(cfgWith({}, { strategy: s as StrategyName })), s === 'task-balanced', s);
    assert.equal(alignmentEnabled(cfgWith({ enabled: true }, { strategy: s as StrategyName })), true);
    assert.equal(alignmentEnabled(cfgWith({ enabled: false }, { strategy: s as StrategyName })), false);
  }
  // A config recorded before the key existed: off.
  const old = resolveConfig({});
  delete (old.curriculum as Partial<CurationConfig['curriculum']>).alignment;
  assert.equal(alignmentEnabled({ ...old, strategy: 'task-balanced' }), false);

  const pool = longAnswerPool(50, (i) => i >= 25);
  const dup = singletons(50);
  const calls: number[] = [];
  const r = selectWithAlignment({
    pool,
    duplicates: dup,
    attribution: attributionFor(50),
    config: cfgWith({}, { strategy: 'cadc' }),
    budget: 20,
    rng: new Rng(1),
    select: lowestFirst(pool, dup, calls),
  });
  assert.deepEqual(calls, [20]);
  assert.equal(r.alignment.length, 0);
  assert.equal(r.info, undefined);
  assert.equal(combinedSelection(r), r.capability, 'off: the selection is the strategy’s, untouched');
});

test('A = min(size, ⌊maxShare·B⌋, matching): each of the three bounds binds in turn', () => {
  assert.equal(alignmentTarget({ ...resolveConfig({}).curriculum.alignment, size: 1000, maxShare: 0.2 }, 124), 24);
  assert.equal(alignmentTarget({ ...resolveConfig({}).curriculum.alignment, size: 7, maxShare: 0.2 }, 124), 7);
  assert.equal(
    alignmentTarget({ ...resolveConfig({}).curriculum.alignment, size: 1000, maxShare: 0.29 }, 100),
    29,
    '0.29·100 is 28.999… in floating point',
  );
  // Matching samples at 60..99 (40 of them); the stand-in strategy takes the lowest indices, so it never touches them.
  const n = 100;
  const pool = longAnswerPool(n, (i) => i >= 60);
  const dup = singletons(n);
  const run = (al: DeepPartial<AlignmentConfig>, budget: number) => {
    const calls: number[] = [];
    const r = selectWithAlignment({
      pool,
      duplicates: dup,
      attribution: attributionFor(n),
      config: cfgWith({ enabled: true, ...al }),
      budget,
      rng: new Rng(5),
      select: lowestFirst(pool, dup, calls),
    });
    return { r, calls };
  };
  const bySize = run({ size: 5 }, 50); // ⌊0.2·50⌋ = 10, 40 match → 5
  assert.equal(bySize.r.alignment.length, 5);
  assert.deepEqual(bySize.calls, [45]);
  const byShare = run({}, 50); // size 1000 → ⌊0.2·50⌋ = 10
  assert.equal(byShare.r.alignment.length, 10);
  assert.deepEqual(byShare.calls, [40]);
  assert.equal(byShare.r.info?.target, 10);
  assert.equal(byShare.r.info?.matched, 40);
  const byMatches = run({ maxShare: 0.9 }, 60); // ⌊0.9·60⌋ = 54, only 40 match → 40
  assert.equal(byMatches.r.alignment.length, 40);
  assert.deepEqual(byMatches.calls, [20]);
  assert.deepEqual(
    Array.from(byMatches.r.alignment).sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, j) => 60 + j),
  );
  for (const { r } of [bySize, byShare, byMatches]) {
    const all = Array.from(combinedSelection(r).selected);
    assert.equal(all.length, r === bySize.r ? 50 : r === byShare.r ? 50 : 60, 'total = budget');
    assert.equal(new Set(all).size, all.length);
    assert.ok(
      Array.from(r.alignment).every((i) => i >= 60),
      'every alignment sample matches the predicate',
    );
  }
});

test('the strategy has first claim: overlap shrinks A until what is left covers it, total stays = budget', () => {
  // Matches: 0..4 and 90..99 (15). B = 40, maxShare 0.5 → target 20, A₀ = 15.
  // Round 1: strategy(25) takes 0..24 (incl. 0..4) → 10 left < 15 → A = 10.
  // Round 2: strategy(30) takes 0..29 → 10 left ≥ 10 → done: alignment = 90..99.
  const n = 100;
  const pool = longAnswerPool(n, (i) => i < 5 || i >= 90);
  const dup = singletons(n);
  const calls: number[] = [];
  const r = selectWithAlignment({
    pool,
    duplicates: dup,
    attribution: attributionFor(n),
    config: cfgWith({ enabled: true, maxShare: 0.5 }),
    budget: 40,
    rng: new Rng(2),
    select: lowestFirst(pool, dup, calls),
  });
  assert.deepEqual(calls, [25, 30]);
  assert.deepEqual(
    Array.from(r.alignment).sort((a, b) => a - b),
    [90, 91, 92, 93, 94, 95, 96, 97, 98, 99],
  );
  assert.equal(r.capability.selected.length, 30);
  assert.equal(combinedSelection(r).selected.length, 40);
  assert.ok(
    r.notes.some((x) => /short by 10/.test(x)),
    r.notes.join('\n'),
  );
  // Everything matching taken by the strategy: no stage, a note, and the strategy gets the whole budget.
  const none = selectWithAlignment({
    pool: longAnswerPool(n, (i) => i < 5),
    duplicates: dup,
    attribution: attributionFor(n),
    config: cfgWith({ enabled: true }),
    budget: 40,
    rng: new Rng(2),
    select: lowestFirst(pool, dup),
  });
  assert.equal(none.alignment.length, 0);
  assert.equal(none.capability.selected.length, 40);
  assert.ok(none.notes.some((x) => /omitted: the strategy took every unique sample/.test(x)));
});

test('duplicates: one per cluster, never a cluster the strategy used, and matched counts representatives only', () => {
  const n = 40;
  const pool = longAnswerPool(n, (i) => i >= 20);
  const rep = Int32Array.from({ length: n }, (_, i) => i);
  rep[21] = 20; // 20, 21 one cluster (both match)
  rep[23] = 22; // 22, 23 one cluster
  rep[25] = 2; // 25 matches but is a duplicate of 2 (which does not match)
  const dup: Duplicates = { rep, exactPairs: 3, nearPairs: 0 };
  // A strategy that (against the rules) hands back the non-representative 23: its cluster is used up.
  const select = (budget: number): SelectionResult => ({
    strategy: 'random',
    selected: Int32Array.from([23, ...Array.from({ length: budget - 1 }, (_, j) => j)]),
    notes: [],
  });
  const r = selectWithAlignment({
    pool,
    duplicates: dup,
    attribution: attributionFor(n),
    config: cfgWith({ enabled: true, maxShare: 0.5 }),
    budget: 40,
    rng: new Rng(3),
    select,
  });
  // Matching representatives: 20, 22, 24, 26..39 = 17; target ⌊0.5·40⌋ = 20 → A₀ = 17, strategy(23) takes 23 and 0..21 (incl. 20)
  // → left: 24, 26..39 = 15 → A = 15 → strategy(25) takes 23 and 0..23 → left 24, 26..39 = 15 ≥ 15.
  assert.equal(r.info?.matched, 17);
  assert.deepEqual(
    Array.from(r.alignment).sort((a, b) => a - b),
    [24, ...Array.from({ length: 14 }, (_, j) => 26 + j)],
  );
  assert.equal(combinedSelection(r).selected.length, 40);
  // The stand-in strategy breaks the duplicate rule itself (20 and 21, 22 and 23); the alignment stage
  // must neither repeat a cluster nor reuse one of the strategy's.
  const mine = Array.from(r.alignment, (i) => rep[i]);
  assert.equal(new Set(mine).size, mine.length, 'no two alignment samples from one duplicate cluster');
  const theirs = new Set(Array.from(r.capability.selected, (i) => rep[i]));
  assert.ok(
    mine.every((c) => !theirs.has(c)),
    'no alignment sample from a cluster the strategy used',
  );
});

test('the stage is a stratified draw (label value × capability × style) and a seeded shuffle', () => {
  // 60 candidates with task=a (40) or b (20), all one capability and style: A = 12 → 8 from a, 4 from b.
  const n = 80;
  const pool = tinyPool(n);
  pool.labels.task = { values: ['a', 'b', 'z'], codes: Int32Array.from({ length: n }, (_, i) => (i < 40 ? 0 : i < 60 ? 1 : 2)) };
  const att = attributionFor(n, 1);
  const dup = singletons(n);
  const cfg = cfgWith({ enabled: true, predicate: 'label', field: 'task', values: ['a', 'b'], size: 12, maxShare: 0.5 });
  const draw = (seed: number) =>
    selectWithAlignment({
      pool,
      duplicates: dup,
      attribution: att,
      config: cfg,
      budget: 30,
      rng: new Rng(seed),
      select: (b) => ({ strategy: 'random', selected: Int32Array.from({ length: b }, (_, j) => 60 + j), notes: [] }),
    });
  const r = draw(7);
  assert.equal(r.alignment.length, 12);
  assert.equal(Array.from(r.alignment).filter((i) => i < 40).length, 8);
  assert.equal(Array.from(r.alignment).filter((i) => i >= 40 && i < 60).length, 4);
  assert.deepEqual(r.info, { predicate: 'label', field: 'task', values: ['a', 'b'], matched: 60, target: 12 });
  assert.deepEqual(Array.from(draw(7).alignment), Array.from(r.alignment), 'same seed, same stage in the same order');
  assert.notDeepEqual(Array.from(draw(8).alignment), Array.from(r.alignment), 'another seed, another draw');
  // Two capabilities: bins split by capability too (hard = i % 2 → 20/20 of a, 10/10 of b → 4,4,2,2).
  const r2 = selectWithAlignment({
    pool,
    duplicates: dup,
    attribution: attributionFor(n, 2),
    config: cfg,
    budget: 30,
    rng: new Rng(7),
    select: (b) => ({ strategy: 'random', selected: Int32Array.from({ length: b }, (_, j) => 60 + j), notes: [] }),
  });
  const count = (pred: (i: number) => boolean) => Array.from(r2.alignment).filter(pred).length;
  assert.deepEqual(
    [
      count((i) => i < 40 && i % 2 === 0),
      count((i) => i < 40 && i % 2 === 1),
      count((i) => i >= 40 && i % 2 === 0),
      count((i) => i >= 40 && i % 2 === 1),
    ],
    [4, 4, 2, 2],
  );
});

test('appendAlignmentStage: the last stage, kind alignment, its capabilities those of its samples', () => {
  const n = 30;
  const pool = longAnswerPool(n, (i) => i >= 20);
  const dup = singletons(n);
  const att = attributionFor(n, 3);
  const r = selectWithAlignment({
    pool,
    duplicates: dup,
    attribution: att,
    config: cfgWith({ enabled: true, size: 4 }),
    budget: 20,
    rng: new Rng(1),
    select: lowestFirst(pool, dup),
  });
  const caps = [{ index: 0, name: 'x', kind: 'capability' as const, capabilities: [0], samples: Int32Array.from([0, 3]) }];
  const stages = appendAlignmentStage(caps, r, att);
  assert.equal(stages.length, 2);
  const last = stages[1];
  assert.equal(last.kind, 'alignment');
  assert.equal(last.index, 1);
  assert.equal(last.name, 'Alignment');
  assert.deepEqual(last.capabilities, [...new Set(Array.from(last.samples, (i) => i % 3))].sort());
  assert.equal(appendAlignmentStage(caps, { ...r, alignment: new Int32Array(0) }, att), caps, 'nothing to append');
});

/** A whole CurationRun over a tiny pool, so `reselect` runs the real selectAndSequence wiring. */
function fakeRun(n: number, config: CurationConfig): CurationRun {
  const pool = longAnswerPool(n, (i) => i % 4 === 0);
  const K = 2;
  const attribution = attributionFor(n, K);
  const rows = (t: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? [1, 0] : [0, 1]).map((x) => x * (t + 1)));
  const gradNormSq = [Array.from({ length: n }, () => 1), Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0.2 : 0.9))];
  const trajectories = plantedTrajectories([rows(0), rows(1)], [1, 0.5], gradNormSq);
  const capabilities = {
    K,
    probe: {
      source: 'clusters',
      names: ['g0', 'g1'],
      of: Int32Array.from({ length: n }, (_, i) => i % 2),
      sizes: Int32Array.from([n / 2, n / 2]),
    },
    capabilities: [0, 1].map((k) => ({
      index: k,
      name: `cap ${k}`,
      groups: [k],
      size: n / 2,
      terms: ['t'],
      labels: [],
      styles: [{ style: 'short-answer', share: 1 }],
    })),
    groupCapability: Int32Array.from([0, 1]),
    anchors: new Float32Array(0),
    graph: { edges: [], threshold: 0, resolution: 1, modularity: 0 },
  } as CapabilityModel;
  return {
    input: { datasetPath: '/tmp/cadc-al/data.jsonl', config, cacheDir: null, manifestBase: '/tmp/cadc-al' },
    summary: {
      path: '/tmp/cadc-al/data.jsonl',
      container: 'jsonl',
      format: 'llava',
      sha256: 'a'.repeat(64),
      bytes: 100,
      lines: n,
      records: n,
      samples: n,
      invalid: 0,
      diagnosticCounts: {},
      diagnostics: [],
      labelFields: [],
    },
    pool,
    trajectories,
    warmup: {
      samples: 10,
      checkpoints: [
        { t: 1, eta: 1, trainLoss: 2 },
        { t: 2, eta: 0.5, trainLoss: 1 },
      ],
    },
    capabilities,
    attribution,
    duplicates: singletons(n),
    selection: { strategy: 'random', selected: new Int32Array(0), notes: [] },
    stages: [],
    stageOf: new Int32Array(n).fill(-1),
    manifest: { config } as ManifestV1,
    timingsMs: {},
    cacheHit: false,
  };
}

test('pipeline wiring (any strategy): alignment last, total = budget, attribution rows name it, manifest valid and byte-identical per seed', () => {
  const n = 200;
  for (const strategy of ['random', 'cadc'] as const) {
    const cfg = cfgWith({ enabled: true, size: 8 }, { seed: 11 });
    const run = reselect(fakeRun(n, cfg), { budget: 60, strategy });
    const m = run.manifest;
    assert.deepEqual(validateManifest(JSON.parse(serializeManifest(m))), { valid: true, errors: [] }, strategy);
    const last = m.stages[m.stages.length - 1];
    assert.equal(last.kind, 'alignment');
    assert.equal(last.name, 'Alignment');
    assert.equal(last.id, `s${m.stages.length}`);
    assert.deepEqual(last.alignment, {
      predicate: 'long-answer',
      minAnswerChars: 400,
      excludedStyles: ['multi-choice', 'yes/no', 'short-answer'],
      matched: 50,
      target: 8,
    });
    assert.equal(last.samples.length, 8);
    assert.ok(m.stages.slice(0, -1).every((s) => s.kind === 'capability'));
    assert.ok(
      last.samples.every((x) => (x.line - 1) % 4 === 0),
      'alignment samples match the predicate',
    );
    // Samples keep their capability (hard label) and influence.
    for (const x of last.samples) {
      const i = x.line - 1;
      assert.equal(x.capability, `c${(i % 2) + 1}`);
      assert.equal(x.influence, Number((1 + i / 1000).toPrecision(6)));
    }
    const lines = m.stages.flatMap((s) => s.samples.map((x) => x.line));
    assert.equal(lines.length, 60, 'total = budget');
    assert.equal(new Set(lines).size, 60, 'no overlap between the strategy’s picks and the alignment stage');
    assert.equal(m.budget.selected, 60);
    assert.equal(run.selection.selected.length, 60);
    assert.equal(
      m.capabilities.reduce((a, c) => a + c.selected, 0),
      60,
    );
    const row = attributionOf(run, last.samples[0].line - 1);
    assert.equal(row.stage, last.id);
    assert.equal(row.selected, true);
    assert.equal(
      serializeManifest(reselect(fakeRun(n, cfg), { budget: 60, strategy }).manifest),
      serializeManifest(m),
      'byte-identical per seed',
    );
    const other = reselect(fakeRun(n, cfgWith({ enabled: true, size: 8 }, { seed: 12 })), { budget: 60, strategy });
    assert.notDeepEqual(
      other.manifest.stages.at(-1)!.samples.map((x) => x.line),
      last.samples.map((x) => x.line),
      'another seed, another alignment draw',
    );
  }
  // Off (the default for cadc): no alignment stage, every stage is a capability stage.
  const off = reselect(fakeRun(n, resolveConfig({ seed: 11 })), { budget: 60, strategy: 'cadc' }).manifest;
  assert.ok(off.stages.every((s) => s.kind === 'capability' && s.alignment === undefined));
  assert.equal(
    off.stages.reduce((a, s) => a + s.samples.length, 0),
    60,
  );
});

test('validator: an alignment stage must be last, carry its predicate, and only it may', () => {
  const run = reselect(fakeRun(200, cfgWith({ enabled: true, size: 8 })), { budget: 60, strategy: 'random' });
  const good = JSON.parse(serializeManifest(run.manifest));
  assert.deepEqual(validateManifest(good), { valid: true, errors: [] });
  const notLast = structuredClone(good);
  notLast.stages.reverse();
  notLast.stages.forEach((s: { id: string }, j: number) => (s.id = `s${j + 1}`));
  assert.match(validateManifest(notLast).errors.join('\n'), /is not the last stage/);
  const noInfo = structuredClone(good);
  delete noInfo.stages.at(-1).alignment;
  assert.equal(validateManifest(noInfo).valid, false);
  const infoOnCapability = structuredClone(good);
  infoOnCapability.stages[0].alignment = good.stages.at(-1).alignment;
  assert.equal(validateManifest(infoOnCapability).valid, false);
  const tooMany = structuredClone(good);
  tooMany.stages.at(-1).alignment.target = 3;
  assert.match(validateManifest(tooMany).errors.join('\n'), /more than min\(target 3/);
  const badPredicate = structuredClone(good);
  badPredicate.stages.at(-1).alignment = { predicate: 'label', matched: 1, target: 1 };
  assert.equal(validateManifest(badPredicate).valid, false, 'a label predicate needs field and values');
  // Old manifests without kind stay valid.
  const old = structuredClone(good);
  old.stages.pop();
  for (const s of old.stages) delete s.kind;
  old.budget.selected = old.stages.reduce((a: number, s: { samples: unknown[] }) => a + s.samples.length, 0);
  assert.deepEqual(validateManifest(old), { valid: true, errors: [] });
});

test('real strategies through selectWithAlignment: cadc and random never pick what alignment picks', () => {
  const n = 120;
  const pool = longAnswerPool(n, (i) => i % 3 === 0);
  const dup = singletons(n);
  const att = attributionFor(n, 2);
  const capabilities = {
    K: 2,
    probe: { source: 'clusters', names: ['g0'], of: new Int32Array(n), sizes: Int32Array.from([n]) },
    capabilities: [],
    groupCapability: new Int32Array(1),
    anchors: new Float32Array(0),
    graph: { edges: [], threshold: 0, resolution: 1, modularity: 0 },
  } as unknown as CapabilityModel;
  for (const s of ['cadc', 'random'] as const) {
    const config = cfgWith({ enabled: true }, { strategy: s });
    const r = selectWithAlignment({
      pool,
      duplicates: dup,
      attribution: att,
      config,
      budget: 60,
      rng: new Rng(9).fork('alignment'),
      select: (b) =>
        getStrategy(s).select({ pool, config, rng: new Rng(9).fork(`select:${s}`), duplicates: dup, attribution: att, capabilities }, b),
    });
    assert.equal(r.alignment.length, 12, '⌊0.2·60⌋');
    assert.equal(r.capability.selected.length, 48);
    const picked = new Set(r.capability.selected);
    assert.ok(Array.from(r.alignment).every((i) => !picked.has(i) && i % 3 === 0));
  }
});

test("'auto' through the pipeline: task-balanced ends with an alignment stage, cadc and random do not", () => {
  const n = 200;
  const stagesOf = (strategy: StrategyName) => reselect(fakeRun(n, resolveConfig({ seed: 3 })), { budget: 50, strategy }).manifest;
  const tb = stagesOf('task-balanced');
  assert.deepEqual(validateManifest(JSON.parse(serializeManifest(tb))), { valid: true, errors: [] });
  assert.equal(tb.config.curriculum.alignment.enabled, 'auto');
  assert.equal(tb.stages.at(-1)!.kind, 'alignment');
  assert.equal(tb.stages.at(-1)!.samples.length, 10, '⌊0.2·50⌋ = 10 of 50 matching');
  assert.equal(tb.stages.flatMap((s) => s.samples).length, 50);
  for (const s of ['cadc', 'random'] as const)
    assert.ok(
      stagesOf(s).stages.every((st) => st.kind === 'capability'),
      s,
    );
});
