import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { findDuplicates } from '../../../src/core/selection/dedup';
import { budgetCount, proportionalQuotas, temperedQuotas, waterFill } from '../../../src/core/selection/helpers';
import { getStrategy } from '../../../src/core/selection/strategies';
import { difficultyBands } from '../../../src/core/selection/strategies/cadc';
import type { Trajectories } from '../../../src/core/gradients/types';
import type { CapabilityModel } from '../../../src/core/capabilities/types';
import type { Attribution } from '../../../src/core/influence/types';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

test('budgetCount reads fractions and counts', () => {
  assert.equal(budgetCount(0.05, 1000), 50);
  assert.equal(budgetCount(1, 7), 7);
  assert.equal(budgetCount(120, 100), 100);
  assert.equal(budgetCount(30, 100), 30);
  assert.throws(() => budgetCount(0, 10));
});

test('waterFill splits evenly and passes a short bin’s rest on', () => {
  assert.deepEqual(waterFill(30, [100, 100, 100]), [10, 10, 10]);
  assert.deepEqual(waterFill(30, [4, 100, 100]), [4, 13, 13]);
  assert.deepEqual(waterFill(31, [100, 100, 100]), [11, 10, 10]);
  assert.deepEqual(waterFill(50, [5, 6, 7]), [5, 6, 7]);
});

test('proportionalQuotas uses largest remainders, ties by index, capped by size', () => {
  assert.deepEqual(proportionalQuotas(10, [50, 30, 20]), [5, 3, 2]);
  assert.deepEqual(proportionalQuotas(4, [1, 1, 1, 1, 1, 1]), [1, 1, 1, 1, 0, 0]);
  assert.deepEqual(proportionalQuotas(7, [10, 5, 1]), [4, 2, 1]);
  assert.deepEqual(proportionalQuotas(100, [3, 2]), [3, 2]);
});

test('temperedQuotas: shares ∝ size^alpha, capped by size with the rest split again; alpha 1 / 0 = proportional / even', () => {
  // √100 : √25 : √4 = 10 : 5 : 2 of 30 → 17.6, 8.8, 3.5 → largest remainders.
  assert.deepEqual(temperedQuotas(30, [100, 25, 4], 0.5), [18, 9, 3]);
  // The 1-sample bin is capped at 1; the other 29 are split 14.5 / 14.5, the tie to the lower index.
  assert.deepEqual(temperedQuotas(30, [100, 100, 1], 0.5), [15, 14, 1]);
  assert.deepEqual(temperedQuotas(10, [50, 30, 20], 1), proportionalQuotas(10, [50, 30, 20]));
  assert.deepEqual(temperedQuotas(7, [10, 5, 1], 1), proportionalQuotas(7, [10, 5, 1]));
  assert.deepEqual(temperedQuotas(30, [4, 100, 100], 0), [4, 13, 13]);
  assert.deepEqual(temperedQuotas(50, [5, 6, 7], 0.5), [5, 6, 7]);
  assert.deepEqual(temperedQuotas(5, [0, 9, 0, 16], 0.5), [0, 2, 0, 3]);
  assert.deepEqual(temperedQuotas(0, [3, 4], 0.5), [0, 0]);
});

test('dedup finds exact and 1-bit near duplicates but not 10-bit-apart hashes', () => {
  const pool = tinyPool(5);
  pool.exactHash.set([7, 7], 2 * 3); // sample 3 exactly equals sample 1 below
  pool.exactHash.set([7, 7], 2 * 1);
  pool.simHash.set([0xffff0000, 0x0000ffff], 0);
  pool.simHash.set([0xffff0000, 0x0000fffe], 2 * 2); // 1 bit from sample 0
  pool.simHash.set([0xffff03ff, 0x0000ffff], 2 * 4); // 10 bits from sample 0
  const d = findDuplicates(pool, 3);
  assert.deepEqual(Array.from(d.rep), [0, 1, 0, 1, 4]);
  assert.equal(d.exactPairs, 1);
  assert.equal(d.nearPairs, 1);
});

/** The previous findDuplicates (string keys, Map buckets, pairs through hamming64), kept as the reference. */
function findDuplicatesReference(pool: ReturnType<typeof tinyPool>, nearBits: number) {
  const n = pool.n;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return false;
    if (ra < rb) parent[rb] = ra;
    else parent[ra] = rb;
    return true;
  };
  const pop = (x: number) => {
    let c = 0;
    for (let v = x >>> 0; v; v >>>= 1) c += v & 1;
    return c;
  };
  let exactPairs = 0;
  let nearPairs = 0;
  const exact = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${pool.exactHash[2 * i]}:${pool.exactHash[2 * i + 1]}`;
    const j = exact.get(key);
    if (j === undefined) exact.set(key, i);
    else if (union(j, i)) exactPairs++;
  }
  const bands = nearBits + 1;
  const len = Math.floor(64 / bands);
  const bit = (i: number, b: number) => (pool.simHash[2 * i + (b < 32 ? 0 : 1)] >>> (31 - (b % 32))) & 1;
  for (let b = 0; b < bands; b++) {
    const start = b * len;
    const width = b === bands - 1 ? 64 - start : len;
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let k = start; k < start + width; k++) v = v * 2 + bit(i, k);
      const list = buckets.get(v);
      if (list) list.push(i);
      else buckets.set(v, [i]);
    }
    for (const list of buckets.values()) {
      if (list.length < 2 || list.length > 2000) continue;
      for (let x = 0; x < list.length; x++)
        for (let y = x + 1; y < list.length; y++) {
          const [p, q] = [list[x], list[y]];
          const d = pop(pool.simHash[2 * p] ^ pool.simHash[2 * q]) + pop(pool.simHash[2 * p + 1] ^ pool.simHash[2 * q + 1]);
          if (d <= nearBits && union(p, q)) nearPairs++;
        }
    }
  }
  return { rep: Array.from({ length: n }, (_, i) => find(i)), exactPairs, nearPairs };
}

test('dedup agrees with the reference on planted near duplicates, exact keys sharing a first word, and a giant bucket', () => {
  const n = 6000;
  const pool = tinyPool(n);
  const rng = new Rng(11);
  for (let i = 0; i < n; i++) {
    pool.simHash[2 * i] = rng.nextU32();
    pool.simHash[2 * i + 1] = rng.nextU32();
    pool.exactHash[2 * i] = rng.int(400); // first words collide often
    pool.exactHash[2 * i + 1] = rng.int(3);
  }
  // Near-duplicate families: copies of a sample with 0–5 bits flipped.
  for (let f = 0; f < 400; f++) {
    const src = rng.int(n);
    for (let c = 0; c < 1 + rng.int(6); c++) {
      const dst = rng.int(n);
      let a = pool.simHash[2 * src];
      let b = pool.simHash[2 * src + 1];
      for (let k = rng.int(6); k > 0; k--) {
        const at = rng.int(64);
        if (at < 32) a ^= 1 << at;
        else b ^= 1 << (at - 32);
      }
      pool.simHash[2 * dst] = a >>> 0;
      pool.simHash[2 * dst + 1] = b >>> 0;
    }
  }
  // 2,100 samples share the first 16 bits: that bucket is skipped, the other bands still compare them.
  for (let i = 0; i < 2100; i++) pool.simHash[2 * i] = (0xabcd0000 | (pool.simHash[2 * i] & 0xffff)) >>> 0;
  for (const bits of [0, 1, 3, 5]) {
    const got = findDuplicates(pool, bits);
    const want = findDuplicatesReference(pool, bits);
    assert.deepEqual(Array.from(got.rep), want.rep, `${bits} bits: the same clusters`);
    assert.equal(got.exactPairs, want.exactPairs);
    assert.equal(got.nearPairs, want.nearPairs, `${bits} bits: the same number of near unions`);
    assert.ok(want.nearPairs > 0 && want.exactPairs > 0);
  }
});

/** 3 capabilities over 60 samples: c0 has 30, c1 has 24, c2 only 6; probe group = i % 2. */
function planted() {
  const n = 60;
  const pool = tinyPool(n);
  const K = 3;
  const hard = Int32Array.from({ length: n }, (_, i) => (i < 30 ? 0 : i < 54 ? 1 : 2));
  const influence = new Float32Array(n * K);
  for (let i = 0; i < n; i++) influence[i * K + hard[i]] = 1 + i / 100;
  const attribution: Attribution = {
    K,
    influence,
    hard,
    selfInfluence: Float32Array.from({ length: n }, (_, i) => i),
    mean: new Float64Array(K).fill(0.3),
    std: new Float64Array(K).fill(0.5),
  };
  pool.primaryStyle = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : 3));
  const capabilities = {
    K,
    probe: {
      source: 'clusters',
      names: ['g0', 'g1'],
      of: Int32Array.from({ length: n }, (_, i) => i % 2),
      sizes: Int32Array.from([30, 30]),
    },
    capabilities: [],
    groupCapability: new Int32Array(2),
    anchors: new Float32Array(0),
    graph: { edges: [], threshold: 0, resolution: 1, modularity: 0 },
  } as unknown as CapabilityModel;
  const rep = Int32Array.from({ length: n }, (_, i) => i);
  rep[31] = 30; // 30 and 31 are duplicates
  return { pool, attribution, capabilities, duplicates: { rep, exactPairs: 1, nearPairs: 0 } };
}

test('cadc selection: even split with carry-over, bins by group×style, no duplicate twice, seeded', () => {
  const p = planted();
  const cfg = resolveConfig({});
  const run = (seed: number, within: 'stratified' | 'top-influence' = 'stratified') =>
    getStrategy('cadc').select(
      { ...p, config: resolveConfig({ selection: { within, balance: 'even', dropTopSelfInfluence: 0 } }), rng: new Rng(seed) },
      30,
    );
  const a = run(1);
  assert.equal(a.selected.length, 30);
  assert.deepEqual(
    a.perCapability!.map((c) => c.quota),
    [12, 12, 6],
    'c2 is short (6): its rest is passed on evenly',
  );
  assert.equal(new Set(a.selected).size, 30);
  assert.ok(!(a.selected.includes(30) && a.selected.includes(31)), 'one per duplicate cluster');
  assert.ok(!a.selected.includes(31), 'non-representatives are never selected');
  // Bins of c0: group (i%2) × style (i%3==0): sizes 5,10,5,10 over 30 → quota 12 → 2,4,2,4.
  const c0 = Array.from(a.selected).filter((i) => i < 30);
  const bin = (i: number) => `${i % 2}:${i % 3 === 0}`;
  const counts: Record<string, number> = {};
  for (const i of c0) counts[bin(i)] = (counts[bin(i)] ?? 0) + 1;
  assert.deepEqual(counts, { '0:true': 2, '0:false': 4, '1:true': 2, '1:false': 4 });
  assert.deepEqual(Array.from(run(1).selected), Array.from(a.selected), 'same seed, same selection');
  assert.notDeepEqual(Array.from(run(2).selected), Array.from(a.selected), 'another seed, another selection');
  const top = run(1, 'top-influence');
  assert.deepEqual(
    Array.from(top.selected)
      .filter((i) => i < 30)
      .sort((x, y) => x - y),
    [18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
  );
  void cfg;
});

test('cadc with balance=proportional splits the budget by capability size', () => {
  const p = planted();
  const r = getStrategy('cadc').select(
    { ...p, config: resolveConfig({ selection: { balance: 'proportional', dropTopSelfInfluence: 0 } }), rng: new Rng(1) },
    30,
  );
  // Unique members per capability: 30, 23 (31 is a duplicate of 30), 6 → 30·(30, 23, 6)/59.
  assert.deepEqual(
    r.perCapability!.map((c) => c.quota),
    [15, 12, 3],
  );
  assert.equal(r.selected.length, 30);
});

test('cadc with balance=sqrt splits the budget by the square root of capability size, capped by it', () => {
  const p = planted();
  const quotas = (budget: number) =>
    getStrategy('cadc')
      .select({ ...p, config: resolveConfig({ selection: { balance: 'sqrt', dropTopSelfInfluence: 0 } }), rng: new Rng(1) }, budget)
      .perCapability!.map((c) => c.quota);
  // √30 : √23 : √6 of 30 → 12.9, 11.3, 5.8 → largest remainders.
  assert.deepEqual(quotas(30), [13, 11, 6]);
  // Of 40, c2's share (7.7) exceeds its 6 samples: it keeps 6, the other 34 go √30 : √23 → 18.1, 15.9.
  assert.deepEqual(quotas(40), [18, 16, 6]);
});

test('random selection respects the budget and duplicates', () => {
  const p = planted();
  const r = getStrategy('random').select({ ...p, config: resolveConfig({}), rng: new Rng(3) }, 59);
  assert.equal(r.selected.length, 59);
  assert.ok(!r.selected.includes(31));
  // All eight StrategyNames are registered now (baselines.test.ts); an unknown name still throws.
  assert.throws(() => getStrategy('coincide' as Parameters<typeof getStrategy>[0]), /not available yet/);
});

test("the default self-influence filter ('auto') drops cadc's top 10% only; a number applies to every strategy", async () => {
  const { CADC_SELF_INFLUENCE_DROP, selfInfluenceDrop } = await import('../../../src/core/config');
  assert.equal(CADC_SELF_INFLUENCE_DROP, 0.1);
  assert.equal(selfInfluenceDrop('auto', 'cadc'), 0.1);
  assert.equal(selfInfluenceDrop('auto', 'random'), 0);
  assert.equal(selfInfluenceDrop(0.25, 'random'), 0.25);
  const p = planted();
  // Self-influence is the sample index here, so the top 10% of 60 are samples 54–59.
  const top = (sel: Int32Array) => Array.from(sel).filter((i) => i >= 54).length;
  const cadc = getStrategy('cadc').select({ ...p, config: resolveConfig({}), rng: new Rng(1) }, 30);
  assert.equal(cadc.selected.length, 30);
  assert.equal(top(cadc.selected), 0, 'cadc never picks the top 10% by default');
  const rnd = getStrategy('random').select({ ...p, config: resolveConfig({}), rng: new Rng(1) }, 59);
  assert.equal(top(rnd.selected), 6, 'random keeps them by default');
  const rndDrop = getStrategy('random').select(
    { ...p, config: resolveConfig({ selection: { dropTopSelfInfluence: 0.1 } }), rng: new Rng(1) },
    59,
  );
  assert.equal(top(rndDrop.selected), 0, 'an explicit 0.1 applies to random too');
});

test('cadc within style, sub-capability and difficulty: the bins each rule names', () => {
  const p = planted();
  const n = p.pool.n;
  // Sub-capabilities of c0: 0–14 and 15–29; the proxy's final loss rises with the index (T = 2).
  const attribution = { ...p.attribution, child: Int32Array.from({ length: n }, (_, i) => (i < 30 ? (i < 15 ? 0 : 1) : -1)) };
  const loss = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) loss[i * 2 + 1] = i;
  const trajectories = { n, T: 2, loss } as unknown as Trajectories;
  const run = (within: 'style' | 'sub-capability' | 'difficulty') =>
    Array.from(
      getStrategy('cadc').select(
        {
          ...p,
          attribution,
          trajectories,
          config: resolveConfig({ selection: { within, balance: 'even', dropTopSelfInfluence: 0 } }),
          rng: new Rng(1),
        },
        30,
      ).selected,
    ).filter((i) => i < 30);
  const tally = (sel: number[], bin: (i: number) => string) => {
    const c: Record<string, number> = {};
    for (const i of sel) c[bin(i)] = (c[bin(i)] ?? 0) + 1;
    return c;
  };
  // c0's quota is 12. Style only: 10 samples of style 2 and 20 others → 4 and 8, whatever the group.
  assert.deepEqual(
    tally(run('style'), (i) => `${i % 3 === 0}`),
    { true: 4, false: 8 },
  );
  // Sub-capability × style: (0–14 | 15–29) × style, sizes 5, 10, 5, 10 → 2, 4, 2, 4.
  assert.deepEqual(
    tally(run('sub-capability'), (i) => `${i < 15}:${i % 3 === 0}`),
    {
      'true:true': 2,
      'true:false': 4,
      'false:true': 2,
      'false:false': 4,
    },
  );
  // Difficulty: the loss tertiles of c0 are 0–9, 10–19, 20–29. Group (i % 2) × style 2 (i % 3 = 0) bins
  // inside them hold 2, 3, 2, 3 | 2, 3, 1, 4 | 1, 4, 2, 3 samples; 12 of 30 by largest remainder:
  // sizes 1 → 0, 2 → 1, 3 → 1, 4 → 2, so every band gets 4.
  const d = run('difficulty');
  assert.deepEqual(
    tally(d, (i) => `${Math.floor(i / 10)}`),
    { 0: 4, 1: 4, 2: 4 },
  );
  assert.deepEqual(
    tally(d, (i) => `${i % 2}:${i % 3 === 0}:${Math.floor(i / 10)}`),
    {
      '0:true:0': 1,
      '0:false:0': 1,
      '1:true:0': 1,
      '1:false:0': 1,
      '0:true:1': 1,
      '0:false:1': 1,
      '1:false:1': 2,
      '0:false:2': 2,
      '1:true:2': 1,
      '1:false:2': 1,
    },
  );
});

test('difficultyBands: tertiles of the final-checkpoint loss by rank, ties by index', () => {
  // T = 1; losses of samples 0..5: 5, 1, 1, 9, 0, 3 → ranks 4, 1, 2, 5, 0, 3 of 6 → bands ⌊3r/6⌋.
  const loss = Float32Array.from([5, 1, 1, 9, 0, 3]);
  const bands = difficultyBands(loss, 1, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((i) => bands.get(i)),
    [2, 0, 1, 2, 0, 1],
  );
  // Only the members count, and the last checkpoint is read (T = 2: index 2i + 1).
  const two = Float32Array.from([9, 3, 9, 1, 9, 2]);
  const b2 = difficultyBands(two, 2, [0, 1, 2]);
  assert.deepEqual(
    [0, 1, 2].map((i) => b2.get(i)),
    [2, 0, 1],
  );
});
