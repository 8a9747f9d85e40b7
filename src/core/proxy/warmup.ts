// Warm-up training of the proxy on a seeded random slice of the pool (LESS-style: 5%, one
// checkpoint per epoch, T epochs), with Adam (or SGD) on a linearly decaying learning rate.
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import { throwIfCancelled } from '../runtime/cancel';
import type { Rng } from '../util/rng';
import {
  BatchBuffers,
  batchFeeds,
  buildTrainGraph,
  embeddingFeed,
  initWeights,
  makeEmbedding,
  proxyShape,
  session,
  weightFeeds,
} from './model';
import type { ProxyShape } from './model';
import { tensor } from '../ort/session';

export interface ProxyCheckpoint {
  t: number;
  /** Learning rate of the checkpoint: mean over its epoch. */
  eta: number;
  w1: Float32Array;
  w2: Float32Array;
  /** Mean training loss over the epoch. */
  trainLoss: number;
}

export interface WarmupResult {
  shape: ProxyShape;
  /** Sample indices of the warm-up slice. */
  indices: Int32Array;
  embedding: Float32Array;
  checkpoints: ProxyCheckpoint[];
}

export function warmupSize(n: number, cfg: CurationConfig): number {
  return Math.min(n, Math.max(cfg.proxy.minWarmup, Math.round(cfg.proxy.warmupFraction * n)));
}

class Adam {
  private m: Float32Array;
  private v: Float32Array;
  private step = 0;
  constructor(
    size: number,
    private readonly b1 = 0.9,
    private readonly b2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }
  update(w: Float32Array, g: Float32Array, lr: number): void {
    this.step++;
    const { m, v, b1, b2, eps } = this;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

export async function warmUp(
  pool: Pool,
  cfg: CurationConfig,
  rng: Rng,
  opts: {
    onProgress?: (fraction: number, message?: string) => void;
    signal?: AbortSignal;
    indices?: Int32Array;
    /** A buffer for the embedding table (an earlier proxy's, no longer needed), filled instead of a fresh one. */
    embeddingInto?: Float32Array;
    /**
     * Only these rows of the embedding are written (makeEmbedding): for a proxy that only ever sees the
     * pool's samples, the rows of their n-grams (embeddingRowsOf). Its table is then not a whole one.
     */
    embeddingRows?: ArrayLike<number>;
  } = {},
): Promise<WarmupResult> {
  const shape = proxyShape(pool, cfg.proxy.embedDim, cfg.proxy.hiddenDim);
  const embedding = makeEmbedding(shape, rng.fork('embedding'), opts.embeddingInto, opts.embeddingRows);
  const { w1, w2 } = initWeights(shape, rng.fork('init'));
  // The warm-up slice, or exactly the given samples (a downstream learner trained on a selection).
  const indices = opts.indices ? Int32Array.from(opts.indices) : rng.fork('slice').sample(pool.n, warmupSize(pool.n, cfg));
  indices.sort();
  const sess = await session(buildTrainGraph(shape));
  const emb = embeddingFeed(shape, embedding);
  const T = cfg.proxy.checkpoints;
  const B = cfg.proxy.batchSize;
  const stepsPerEpoch = Math.ceil(indices.length / B);
  const totalSteps = stepsPerEpoch * T;
  const lr0 = cfg.proxy.learningRate;
  const opt1 = cfg.proxy.optimizer === 'adam' ? new Adam(w1.length) : undefined;
  const opt2 = cfg.proxy.optimizer === 'adam' ? new Adam(w2.length) : undefined;
  const order = Int32Array.from(indices);
  const buffers = new BatchBuffers();
  const shuffle = rng.fork('order');
  const checkpoints: ProxyCheckpoint[] = [];
  let step = 0;
  for (let t = 0; t < T; t++) {
    shuffle.shuffle(order);
    let lossSum = 0;
    let lrSum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      throwIfCancelled(opts.signal);
      const start = s * B;
      const end = Math.min(order.length, start + B);
      const lr = lr0 * (1 - (0.9 * step) / totalSteps);
      const r = await sess.run({
        ...batchFeeds(pool, shape, order, start, end, buffers),
        ...weightFeeds(shape, w1, w2),
        ...emb,
        scale: tensor('float32', new Float32Array([1 / (end - start)]), [1]),
      });
      const gw1 = r.gw1.data as Float32Array;
      const gw2 = r.gw2.data as Float32Array;
      if (opt1 && opt2) {
        opt1.update(w1, gw1, lr);
        opt2.update(w2, gw2, lr);
      } else {
        for (let i = 0; i < w1.length; i++) w1[i] -= lr * gw1[i];
        for (let i = 0; i < w2.length; i++) w2[i] -= lr * gw2[i];
      }
      lossSum += (r.loss.data as Float32Array)[0] * (end - start);
      lrSum += lr;
      step++;
      if (step % 8 === 0) opts.onProgress?.(step / totalSteps, `epoch ${t + 1}/${T}`);
    }
    checkpoints.push({
      t: t + 1,
      eta: lrSum / stepsPerEpoch,
      w1: Float32Array.from(w1),
      w2: Float32Array.from(w2),
      trainLoss: lossSum / order.length,
    });
  }
  await sess.release();
  return { shape, indices, embedding, checkpoints };
}
