import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { computeTrajectories, fromHalf, toHalf, toHalves } from '../../../src/core/gradients/trajectories';
import {
  BatchBuffers,
  batchFeeds,
  buildTrainGraph,
  buildTrajectoryGraph,
  initWeights,
  makeEmbedding,
  makeProjections,
  proxyShape,
  session,
  weightFeeds,
  embeddingFeed,
} from '../../../src/core/proxy/model';
import type { ProxyShape } from '../../../src/core/proxy/model';
import { warmUp } from '../../../src/core/proxy/warmup';
import { tensor } from '../../../src/core/ort/session';
import { CancelledError } from '../../../src/core/runtime/cancel';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

/** Float64 JS reference of the proxy: mean loss over the given samples. */
function refLoss(
  pool: ReturnType<typeof tinyPool>,
  shape: ProxyShape,
  emb: Float32Array,
  w1: Float64Array,
  w2: Float64Array,
  idx: number[],
): number {
  const { embedDim: E, imageDim: F, hidden: H, vocab: V, din, maxNgrams: L } = shape;
  let total = 0;
  for (const i of idx) {
    const x = new Float64Array(din);
    const cnt = Math.max(1, pool.questionNgramCount[i]);
    for (let j = 0; j < L; j++) {
      const b = pool.questionNgrams[i * L + j];
      for (let e = 0; e < E; e++) x[e] += emb[b * E + e] / cnt;
    }
    if (pool.hasImage[i]) for (let f = 0; f < F; f++) x[E + f] = pool.imageFeatures![i * F + f];
    x[E + F] = pool.hasImage[i];
    x[E + F + 1] = 1;
    const h1 = new Float64Array(H + 1);
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let k = 0; k < din; k++) s += w1[h * din + k] * x[k];
      h1[h] = Math.tanh(s);
    }
    h1[H] = 1;
    const logits = new Float64Array(V);
    for (let v = 0; v < V; v++) for (let h = 0; h <= H; h++) logits[v] += w2[v * (H + 1) + h] * h1[h];
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
    const a0 = pool.answerPtr[i],
      a1 = pool.answerPtr[i + 1];
    let l = 0;
    for (let j = a0; j < a1; j++) l -= (logits[pool.answerTokens[j]] - lse) / (a1 - a0);
    total += l;
  }
  return total / idx.length;
}

test('training-graph gradients match central finite differences of a float64 reference', async () => {
  const pool = tinyPool(6);
  const shape = proxyShape(pool, 6, 5);
  const rng = new Rng(1);
  const emb = makeEmbedding(shape, rng);
  const { w1, w2 } = initWeights(shape, rng);
  for (let i = 0; i < w2.length; i++) w2[i] += rng.normal() * 0.5; // non-trivial output layer
  const idx = [0, 1, 2, 3, 4, 5];
  const s = await session(buildTrainGraph(shape));
  const r = await s.run({
    ...batchFeeds(pool, shape, idx, 0, 6),
    ...weightFeeds(shape, w1, w2),
    ...embeddingFeed(shape, emb),
    scale: tensor('float32', new Float32Array([1 / 6]), [1]),
  });
  const gw1 = r.gw1.data as Float32Array,
    gw2 = r.gw2.data as Float32Array;
  const W1 = Float64Array.from(w1),
    W2 = Float64Array.from(w2);
  assert.ok(Math.abs((r.loss.data as Float32Array)[0] - refLoss(pool, shape, emb, W1, W2, idx)) < 1e-5, 'loss matches');
  const eps = 1e-5;
  const check = (W: Float64Array, g: Float32Array, name: string) => {
    for (let k = 0; k < W.length; k += Math.max(1, Math.floor(W.length / 25))) {
      const orig = W[k];
      W[k] = orig + eps;
      const up = refLoss(pool, shape, emb, W1, W2, idx);
      W[k] = orig - eps;
      const down = refLoss(pool, shape, emb, W1, W2, idx);
      W[k] = orig;
      const fd = (up - down) / (2 * eps);
      assert.ok(Math.abs(fd - g[k]) <= 1e-4 + 1e-3 * Math.abs(fd), `${name}[${k}] fd ${fd} vs graph ${g[k]}`);
    }
  };
  check(W1, gw1, 'gW1');
  check(W2, gw2, 'gW2');
});

test('per-sample projected gradient equals (P_o ⊗ P_i) applied to the explicit gradient', async () => {
  const pool = tinyPool(3);
  const shape = proxyShape(pool, 6, 5);
  const rng = new Rng(2);
  const emb = makeEmbedding(shape, rng);
  const { w1, w2 } = initWeights(shape, rng);
  const d = 3;
  const proj = makeProjections(shape, d, rng);
  const sTraj = await session(buildTrajectoryGraph(shape, proj));
  const sTrain = await session(buildTrainGraph(shape));
  for (const i of [0, 1, 2]) {
    const feeds = { ...batchFeeds(pool, shape, [i], 0, 1), ...weightFeeds(shape, w1, w2), ...embeddingFeed(shape, emb) };
    const t = await sTraj.run(feeds);
    const full = await sTrain.run({ ...feeds, scale: tensor('float32', new Float32Array([1]), [1]) });
    const G2 = full.gw2.data as Float32Array,
      G1 = full.gw1.data as Float32Array;
    const V = shape.vocab,
      H1 = shape.hidden + 1,
      H = shape.hidden,
      din = shape.din;
    const expect: number[] = [];
    // vec((P2o G2 P2iᵀ)) then vec(P1o G1 P1iᵀ), row-major over (a, b).
    const projLayer = (G: Float32Array, Po: Float32Array, Pi: Float32Array, rows: number, cols: number) => {
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) {
          let s = 0;
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) s += Po[a * rows + r] * G[r * cols + c] * Pi[b * cols + c];
          expect.push(s);
        }
    };
    projLayer(G2, proj.p2o, proj.p2i, V, H1);
    projLayer(G1, proj.p1o, proj.p1i, H, din);
    const norm = Math.sqrt(expect.reduce((a, x) => a + x * x, 0));
    const g = t.g.data as Float32Array;
    expect.forEach((x, j) => assert.ok(Math.abs(x / norm - g[j]) < 1e-4, `g[${j}] ${g[j]} vs ${x / norm}`));
    const exactNorm = Array.from(G1).reduce((a, x) => a + x * x, 0) + Array.from(G2).reduce((a, x) => a + x * x, 0);
    assert.ok(Math.abs((t.gnorm2.data as Float32Array)[0] - exactNorm) < 1e-4 * Math.max(1, exactNorm), 'exact gradient norm');
  }
});

test('warm-up lowers the loss, and the same seed gives byte-identical trajectories', async () => {
  const pool = tinyPool(300);
  const cfg = resolveConfig({
    proxy: { embedDim: 8, hiddenDim: 8, minWarmup: 200, checkpoints: 3, learningRate: 0.02 },
    gradients: { projectionDim: 2, batchSize: 64 },
  });
  const a = await warmUp(pool, cfg, new Rng(9));
  assert.equal(a.checkpoints.length, 3);
  assert.ok(a.checkpoints[2].trainLoss < a.checkpoints[0].trainLoss, `loss ${a.checkpoints.map((c) => c.trainLoss)}`);
  assert.ok(a.checkpoints[0].eta > a.checkpoints[2].eta, 'learning rate decays');
  const ta = await computeTrajectories(pool, a, cfg);
  const tb = await computeTrajectories(pool, await warmUp(pool, cfg, new Rng(9)), cfg);
  assert.equal(ta.D, 8);
  assert.deepEqual(Buffer.from(ta.slice(2, 0, 300).buffer), Buffer.from(tb.slice(2, 0, 300).buffer));
  const row = ta.slice(0, 5, 6);
  // float16 storage (the default) keeps about 3 significant digits per entry.
  assert.ok(Math.abs(Math.hypot(...row) - 1) < (ta.storage === 'float16' ? 2e-3 : 1e-5), 'rows are unit vectors');
  const ctrl = new AbortController();
  ctrl.abort();
  await assert.rejects(() => computeTrajectories(pool, a, cfg, { signal: ctrl.signal }), CancelledError);
});

test('float16 conversion round-trips unit-vector entries', () => {
  for (const x of [0, 1, -1, 0.5, 0.1234, -0.0078125, 3e-5, 65504])
    assert.ok(Math.abs(fromHalf(toHalf(x)) - x) <= Math.abs(x) * 1e-3 + 1e-7, `${x}`);
});

test('reused batch buffers give the same feeds as fresh ones, batch after batch (targets cleared, image rows zeroed)', () => {
  const pool = tinyPool(40);
  const shape = proxyShape(pool, 6, 5);
  const order = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
  const buffers = new BatchBuffers();
  // Batches of several sizes in turn, so a smaller batch follows a larger one and rows change between
  // samples with and without an image; every feed must equal the one built in fresh arrays.
  const spans: [number, number][] = [
    [0, 16],
    [16, 20],
    [20, 36],
    [36, 40],
    [0, 40],
    [3, 4],
  ];
  for (const [idx, label] of [
    [order, 'shuffled'],
    [null, 'identity'],
  ] as const)
    for (const [start, end] of spans) {
      const fresh = batchFeeds(pool, shape, idx, start, end);
      const reused = batchFeeds(pool, shape, idx, start, end, buffers);
      for (const key of Object.keys(fresh)) {
        assert.deepEqual(reused[key].dims, fresh[key].dims, `${label} ${start}-${end} ${key} dims`);
        assert.deepEqual(
          Array.from(reused[key].data as Float32Array),
          Array.from(fresh[key].data as Float32Array),
          `${label} ${start}-${end} ${key}`,
        );
      }
    }
  // null means samples start..end-1.
  const a = batchFeeds(pool, shape, null, 5, 9);
  const b = batchFeeds(pool, shape, [5, 6, 7, 8], 0, 4);
  assert.deepEqual(Array.from(a.tgt.data as Float32Array), Array.from(b.tgt.data as Float32Array));
});

/** Round to nearest even to half precision, spelled out case by case: the definition toHalf and toHalves must meet. */
function halfReference(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

test('toHalves and toHalf round to nearest even bit for bit: every float32 exponent and sign, the rounding ties, carries into the exponent and to infinity', () => {
  const mantissas = [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x5000, 0x7fffff, 0x7fe000, 0x7ff000, 0x7ff001, 0x7fefff];
  const rng = new Rng(5);
  const bits: number[] = [];
  for (let sign = 0; sign < 2; sign++)
    for (let exp = 0; exp < 256; exp++) {
      for (const m of mantissas) bits.push(((sign << 31) | (exp << 23) | m) >>> 0);
      for (let k = 0; k < 64; k++) bits.push(((sign << 31) | (exp << 23) | rng.int(1 << 23)) >>> 0);
    }
  const values = new Float32Array(Uint32Array.from(bits).buffer);
  const fast = toHalves(values, new Uint16Array(values.length));
  let normal = 0;
  for (let i = 0; i < values.length; i++) {
    assert.equal(fast[i], halfReference(bits[i]), `bits 0x${bits[i].toString(16)}`);
    assert.equal(toHalf(values[i]), fast[i], `bits 0x${bits[i].toString(16)}`);
    const exp = (bits[i] >>> 23) & 0xff;
    if (exp > 112 && exp < 143) normal++;
  }
  assert.ok(normal > 2000, 'the normal range was covered');
  // 65504 (largest half) rounds up to infinity past its midpoint, as toHalf does.
  assert.deepEqual(
    Array.from(toHalves(Float32Array.from([65504, 65519, 65520, -65520]), new Uint16Array(4))),
    [0x7bff, 0x7bff, 0x7c00, 0xfc00],
  );
});
