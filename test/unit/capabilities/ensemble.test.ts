// The capability graph's proxy ensemble (capabilities/ensemble.ts, discover.ts proxyEnsemble): the
// Spearman–Brown rule on known answers, the budget, and the discovery asking for exactly the proxies the
// rule wants, averaging them, and reporting their agreement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { discoverCapabilities } from '../../../src/core/capabilities/discover';
import {
  meanReliability,
  PROXY_ENSEMBLE,
  proxiesForReliability,
  proxyAgreement,
  proxyCap,
  seedReliability,
  upperTriangle,
} from '../../../src/core/capabilities/ensemble';
import type { Trajectories } from '../../../src/core/gradients/types';
import { proxySeed } from '../../../src/core/pipeline/proxies';
import { Rng } from '../../../src/core/util/rng';
import { plantedTrajectories, tinyPool, unit } from '../helpers';

test('Spearman–Brown: the mean of R measurements, and the R a target needs (known answers)', () => {
  // 2 · 0.5 / (1 + 0.5) = 2/3; 9 · 0.5 / (1 + 8 · 0.5) = 0.9
  assert.ok(Math.abs(meanReliability(0.5, 2) - 2 / 3) < 1e-12);
  assert.ok(Math.abs(meanReliability(0.5, 9) - 0.9) < 1e-12);
  assert.equal(meanReliability(0.3, 1), 0.3);
  // Inverted: 0.9 · 0.5 / (0.5 · 0.1) = 9 exactly (no rounding up on a floating-point hair).
  assert.equal(proxiesForReliability(0.5, 0.9), 9);
  // 0.95 · 0.463 / (0.537 · 0.05) = 16.38 → 17
  assert.equal(proxiesForReliability(0.537, 0.95), 17);
  assert.equal(proxiesForReliability(0.96, 0.95), 1);
  assert.equal(proxiesForReliability(0, 0.95), Infinity);
  assert.equal(proxiesForReliability(-0.2, 0.95), Infinity);
  assert.equal(proxiesForReliability(NaN, 0.95), Infinity);
  // The smallest R that reaches the target, over a grid of reliabilities.
  for (let rho = 0.05; rho < 0.95; rho += 0.05) {
    const R = proxiesForReliability(rho, 0.95);
    assert.ok(meanReliability(rho, R) >= 0.95 - 1e-9, `rho ${rho}: R ${R}`);
    assert.ok(R === 1 || meanReliability(rho, R - 1) < 0.95, `rho ${rho}: R − 1 = ${R - 1} already reaches it`);
  }
});

test('the budget: at most 32 proxies and n·R ≤ 16,384 sample-proxies; a fixed count as set', () => {
  assert.deepEqual(PROXY_ENSEMBLE, { target: 0.95, max: 32, budget: 16_384 });
  assert.equal(proxyCap('auto', 205), 32); // 79 by the budget, capped
  assert.equal(proxyCap('auto', 414), 32);
  assert.equal(proxyCap('auto', 1054), 15);
  assert.equal(proxyCap('auto', 4096), 4);
  assert.equal(proxyCap('auto', 8193), 1);
  assert.equal(proxyCap('auto', 16_384), 1);
  assert.equal(proxyCap('auto', 665_000), 1);
  assert.equal(proxyCap(5, 665_000), 5);
  assert.equal(proxyCap(1, 10), 1);
  assert.equal(proxyCap(0, 10), 1);
});

test('proxy agreement: the mean pairwise correlation of the cosine vectors; upper triangles', () => {
  assert.deepEqual(Array.from(upperTriangle([1, 2, 3, 2, 1, 4, 3, 4, 1], 3)), [2, 3, 4]);
  const a = Float64Array.from([1, 2, 3, 4]);
  const b = Float64Array.from([2, 4, 6, 8]);
  const c = Float64Array.from([4, 3, 2, 1]);
  assert.equal(proxyAgreement([a]), undefined);
  assert.equal(proxyAgreement([a, b]), 1);
  // pairs (a, b) 1, (a, c) −1, (b, c) −1: mean −1/3
  assert.ok(Math.abs(proxyAgreement([a, b, c])! + 1 / 3) < 1e-12);
  // A constant vector has no correlation: its pairs are left out.
  assert.equal(proxyAgreement([a, Float64Array.from([1, 1, 1, 1])]), undefined);
});

test('seed reliability: across proxies by Spearman–Brown when there are several, else the split-half one', () => {
  // 17 proxies agreeing at 0.53: 17 · 0.53 / (1 + 16 · 0.53) = 9.01 / 9.48
  assert.ok(Math.abs(seedReliability({ reliability: 0.59, proxies: 17, proxyAgreement: 0.53 })! - 9.01 / 9.48) < 1e-12);
  assert.equal(seedReliability({ reliability: 0.59, proxies: 1 }), 0.59);
  assert.equal(seedReliability({ reliability: 0.59 }), 0.59);
  // Proxies that disagree count as unreliable, not negatively reliable.
  assert.equal(seedReliability({ reliability: 0.3, proxies: 4, proxyAgreement: -0.2 }), 0);
  assert.equal(seedReliability({}), undefined);
});

test('proxy seeds: proxy 0 is the run itself, the others distinct and in range', () => {
  assert.equal(proxySeed(42, 0), 42);
  assert.equal(proxySeed(42, 1), 10_042);
  assert.equal(proxySeed(4_294_967_295, 1), 9_999);
  assert.equal(new Set(Array.from({ length: 32 }, (_, r) => proxySeed(7, r))).size, 32);
});

/**
 * A pool of G label groups of m samples, and a proxy's trajectories of it: each sample is its group's
 * planted direction (the same for every proxy) plus this proxy's own noise of size `noise`.
 */
function labelledPool(G: number, m: number) {
  const n = G * m;
  const pool = tinyPool(n);
  pool.labels = {
    task: { values: Array.from({ length: G }, (_, g) => `task-${g}`), codes: Int32Array.from({ length: n }, (_, i) => i % G) },
  };
  const D = 12;
  const dirs = Array.from({ length: G }, (_, g) => {
    const r = new Rng(100 + g);
    return unit(Array.from({ length: D }, () => r.normal()));
  });
  const proxy = (seed: number, noise: number): Trajectories => {
    const r = new Rng(seed);
    const rows = Array.from({ length: n }, (_, i) => unit(dirs[i % G].map((x) => x + noise * r.normal())));
    return plantedTrajectories([rows, rows], [1, 0.5]);
  };
  return { pool, n, proxy };
}

const cfgWith = (proxies: number | 'auto') => resolveConfig({ capabilities: { probe: 'label', labelField: 'task', proxies } });

test('discovery: identical proxies agree perfectly, so auto stops at two and the partition is the one proxy’s', async () => {
  const { pool, proxy } = labelledPool(8, 6);
  const traj = proxy(1, 0.3);
  const asked: number[] = [];
  const more = async (r: number) => {
    asked.push(r);
    return traj;
  };
  const one = await discoverCapabilities(pool, traj, cfgWith(1), new Rng(5), { labelCandidates: ['task'], moreProxies: more });
  assert.deepEqual(asked, [], 'a fixed count of 1 asks for no proxy');
  assert.equal(one.graph.proxies, 1);
  assert.equal(one.graph.proxyAgreement, undefined);
  const auto = await discoverCapabilities(pool, traj, cfgWith('auto'), new Rng(5), { labelCandidates: ['task'], moreProxies: more });
  assert.deepEqual(asked, [1]);
  assert.equal(auto.graph.proxies, 2);
  assert.ok(Math.abs(auto.graph.proxyAgreement! - 1) < 1e-6);
  assert.equal(auto.K, one.K);
  assert.deepEqual(Array.from(auto.groupCapability), Array.from(one.groupCapability));
});

test('discovery: noisy proxies make auto ask for more, up to the budget; a fixed count asks for exactly that many', async () => {
  // Noise only (no shared direction): proxies disagree, no number reaches the target, so auto takes the cap.
  const { pool, n, proxy } = labelledPool(8, 6);
  const noiseOnly = (seed: number) => {
    const r = new Rng(seed);
    const rows = Array.from({ length: n }, () => unit(Array.from({ length: 12 }, () => r.normal())));
    return plantedTrajectories([rows, rows], [1, 0.5]);
  };
  const asked: number[] = [];
  const model = await discoverCapabilities(pool, noiseOnly(0), cfgWith('auto'), new Rng(5), {
    labelCandidates: ['task'],
    moreProxies: async (r) => {
      asked.push(r);
      return noiseOnly(r);
    },
  });
  const cap = proxyCap('auto', n);
  assert.equal(cap, 32);
  assert.deepEqual(
    asked,
    Array.from({ length: cap - 1 }, (_, i) => i + 1),
  );
  assert.equal(model.graph.proxies, cap);
  assert.ok(Math.abs(model.graph.proxyAgreement!) < 0.2, `noise agrees little: ${model.graph.proxyAgreement}`);
  // A fixed count: exactly that many, whatever they agree.
  const fixed: number[] = [];
  const five = await discoverCapabilities(pool, proxy(0, 2), cfgWith(5), new Rng(5), {
    labelCandidates: ['task'],
    moreProxies: async (r) => {
      fixed.push(r);
      return proxy(r, 2);
    },
  });
  assert.deepEqual(fixed, [1, 2, 3, 4]);
  assert.equal(five.graph.proxies, 5);
});

test('discovery: averaging noisy proxies makes the graph more reliable than one proxy (split-half, same samples)', async () => {
  // Each proxy sees the planted group directions under noise of its own.
  const { pool, proxy } = labelledPool(10, 8);
  const noise = 0.6;
  const run = (proxies: number | 'auto') =>
    discoverCapabilities(pool, proxy(0, noise), cfgWith(proxies), new Rng(5), {
      labelCandidates: ['task'],
      moreProxies: async (r) => proxy(r, noise),
    });
  const one = await run(1);
  const many = await run(24);
  assert.equal(many.graph.proxies, 24);
  // Measured here: 0.42 with one proxy, 0.92 with 24 (their agreement 0.47).
  assert.ok(one.graph.reliability! < 0.6, `one proxy: ${one.graph.reliability}`);
  assert.ok(many.graph.reliability! > 0.85, `24 proxies: ${many.graph.reliability}`);
  assert.ok(many.graph.proxyAgreement! > 0.2 && many.graph.proxyAgreement! < 0.8, `agreement ${many.graph.proxyAgreement}`);
  // Auto stops at the first count that reaches what the agreement measured so far asks for.
  const auto = await run('auto');
  const want = Math.min(proxyCap('auto', pool.n), proxiesForReliability(auto.graph.proxyAgreement!, PROXY_ENSEMBLE.target));
  assert.ok(
    auto.graph.proxies! >= Math.max(2, want) && auto.graph.proxies! <= proxyCap('auto', pool.n),
    `${auto.graph.proxies} vs ${want}`,
  );
  assert.ok(auto.graph.proxies! > 2, 'noisy proxies ask for more than two');
});

test('discovery: with two groups auto has no agreement to measure and keeps one proxy; a fixed count is still honoured', async () => {
  const { pool, proxy } = labelledPool(2, 10);
  const asked: number[] = [];
  const more = async (r: number) => {
    asked.push(r);
    return proxy(r, 0.5);
  };
  const auto = await discoverCapabilities(pool, proxy(0, 0.5), cfgWith('auto'), new Rng(5), {
    labelCandidates: ['task'],
    moreProxies: more,
  });
  assert.deepEqual(asked, []);
  assert.equal(auto.graph.proxies, 1);
  const three = await discoverCapabilities(pool, proxy(0, 0.5), cfgWith(3), new Rng(5), { labelCandidates: ['task'], moreProxies: more });
  assert.deepEqual(asked, [1, 2]);
  assert.equal(three.graph.proxies, 3);
  assert.equal(three.graph.proxyAgreement, undefined, 'one pair of groups: no correlation to measure');
});

test('discovery: no extra proxies with a probe file (its trajectories are the probe samples’)', async () => {
  const { pool, proxy } = labelledPool(6, 5);
  const traj = proxy(1, 0.3);
  const asked: number[] = [];
  const groups = {
    source: 'file' as const,
    names: Array.from({ length: 6 }, (_, g) => `task-${g}`),
    of: Int32Array.from({ length: pool.n }, (_, i) => i % 6),
    sizes: new Int32Array(6).fill(5),
  };
  const model = await discoverCapabilities(pool, traj, resolveConfig({ capabilities: { probe: 'file', proxies: 'auto' } }), new Rng(5), {
    labelCandidates: [],
    probe: { groups, traj },
    moreProxies: async (r) => {
      asked.push(r);
      return traj;
    },
  });
  assert.deepEqual(asked, []);
  assert.equal(model.graph.proxies, 1);
});
