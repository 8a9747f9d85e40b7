// Learning trajectories: every sample's normalised projected gradient, loss and exact gradient norm
// at each warm-up checkpoint, computed in ORT batches and stored per checkpoint (float32 or float16).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import { batchFeeds, buildTrajectoryGraph, makeProjections, session, weightFeeds } from '../proxy/model';
import type { WarmupResult } from '../proxy/warmup';
import { throwIfCancelled } from '../runtime/cancel';
import { Rng } from '../util/rng';
import type { Trajectories } from './types';

export interface TrajectoryArrays {
  n: number;
  T: number;
  D: number;
  storage: 'float32' | 'float16';
  g: (Float32Array | Uint16Array)[];
  loss: Float32Array;
  gradNormSq: Float32Array;
  eta: Float64Array;
}

// IEEE half-precision conversion (round to nearest even), enough for unit-vector entries.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
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

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Every half-precision bit pattern as a float32 (256 KB), so reading float16 storage is one lookup per entry. */
let halfTable: Float32Array | undefined;
function halfToFloat(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalf(h);
  }
  return halfTable;
}

export function trajectoriesFromArrays(a: TrajectoryArrays): Trajectories {
  const { n, T, D, storage, g } = a;
  return {
    n,
    T,
    D,
    storage,
    loss: a.loss,
    gradNormSq: a.gradNormSq,
    eta: a.eta,
    bytesPerSample: T * D * (storage === 'float16' ? 2 : 4) + T * 8,
    slice(t: number, start: number, end: number): Float32Array {
      const src = g[t];
      if (src instanceof Float32Array) return src.subarray(start * D, end * D);
      const out = new Float32Array((end - start) * D);
      const table = halfToFloat();
      const base = start * D;
      for (let i = 0; i < out.length; i++) out[i] = table[src[base + i]];
      return out;
    },
    stored: g,
  };
}

/** The arrays behind a Trajectories object (for the cache). */
export function trajectoriesToArrays(traj: Trajectories): TrajectoryArrays {
  // The stored arrays themselves when the object has them: no second copy of a run's trajectories.
  if (traj.stored)
    return {
      n: traj.n,
      T: traj.T,
      D: traj.D,
      storage: traj.storage,
      g: traj.stored,
      loss: traj.loss,
      gradNormSq: traj.gradNormSq,
      eta: traj.eta,
    };
  const g: (Float32Array | Uint16Array)[] = [];
  for (let t = 0; t < traj.T; t++) {
    const f = traj.slice(t, 0, traj.n);
    g.push(traj.storage === 'float16' ? Uint16Array.from(f, toHalf) : f);
  }
  return { n: traj.n, T: traj.T, D: traj.D, storage: traj.storage, g, loss: traj.loss, gradNormSq: traj.gradNormSq, eta: traj.eta };
}

export async function computeTrajectories(
  pool: Pool,
  warm: WarmupResult,
  cfg: CurationConfig,
  opts: { onProgress?: (fraction: number, message?: string) => void; signal?: AbortSignal } = {},
): Promise<Trajectories> {
  const { n } = pool;
  const T = warm.checkpoints.length;
  const d = cfg.gradients.projectionDim;
  const D = 2 * d * d;
  const storage = cfg.gradients.storage;
  const proj = makeProjections(warm.shape, d, new Rng(cfg.seed).fork('projection'));
  const sess = await session(buildTrajectoryGraph(warm.shape, warm.embedding, proj));
  const g: (Float32Array | Uint16Array)[] = [];
  const loss = new Float32Array(n * T);
  const gradNormSq = new Float32Array(n * T);
  const all = { length: n } as ArrayLike<number>;
  const identity = new Proxy(all, {
    get: (target, key) => (typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : Reflect.get(target, key)),
  });
  const B = cfg.gradients.batchSize;
  const batches = Math.ceil(n / B);
  try {
    for (let t = 0; t < T; t++) {
      const ck = warm.checkpoints[t];
      const w = weightFeeds(warm.shape, ck.w1, ck.w2);
      const out = storage === 'float16' ? new Uint16Array(n * D) : new Float32Array(n * D);
      for (let b = 0; b < batches; b++) {
        throwIfCancelled(opts.signal);
        const start = b * B;
        const end = Math.min(n, start + B);
        const r = await sess.run({ ...batchFeeds(pool, warm.shape, identity, start, end), ...w });
        const gb = r.g.data as Float32Array;
        if (out instanceof Float32Array) out.set(gb, start * D);
        else for (let i = 0; i < gb.length; i++) out[start * D + i] = toHalf(gb[i]);
        const lb = r.loss.data as Float32Array;
        const nb = r.gnorm2.data as Float32Array;
        for (let i = start; i < end; i++) {
          loss[i * T + t] = lb[i - start];
          gradNormSq[i * T + t] = nb[i - start];
        }
        opts.onProgress?.((t * batches + b + 1) / (T * batches), `checkpoint ${t + 1}/${T}`);
      }
      g.push(out);
    }
  } finally {
    await sess.release();
  }
  return trajectoriesFromArrays({ n, T, D, storage, g, loss, gradNormSq, eta: Float64Array.from(warm.checkpoints, (c) => c.eta) });
}
