// Learning trajectories: every sample's normalised projected gradient, loss and exact gradient norm
// at each warm-up checkpoint, computed in ORT batches and stored per checkpoint (float32 or float16).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import { BatchBuffers, batchFeeds, buildTrajectoryGraph, embeddingFeed, makeProjections, session, weightFeeds } from '../proxy/model';
import type { WarmupResult } from '../proxy/warmup';
import { throwIfCancelled } from '../runtime/cancel';
import { Rng } from '../util/rng';
import { halvesToFloat32 } from './npy';
import { SKETCH_LAYERS, sketchDim } from './sketch';
import { MemoryRowStore, openRowStore } from './store';
import type { RowStore, RowStoreOptions } from './store';
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

/**
 * The half-precision bits of the float32 with bits b. In the normal half range (float32 exponents
 * 113–142) rounding to nearest even is one add of 0xfff plus the kept lowest bit before the shift, a
 * carry moving into the exponent as it should (up to infinity); subnormals, overflow and NaN apart.
 */
function halfOfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  if (exp > 112 && exp < 143) return sign | ((((b & 0x7fffffff) + 0xfff + ((b >>> 13) & 1)) >>> 13) - (112 << 10));
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e < -10) return sign;
  mant |= 0x800000;
  const shift = 14 - e;
  let half = mant >>> shift;
  const rem = mant & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  if (rem > mid || (rem === mid && half & 1)) half++;
  return sign | half;
}

export function toHalf(x: number): number {
  f32[0] = x;
  return halfOfBits(u32[0]);
}

/** toHalf over a whole array of float32 values, read as their bits. */
export function toHalves(src: Float32Array, out: Uint16Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfOfBits(bits[i]);
  return out;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Trajectories over a row store (memory or a temporary file) and their per-sample loss and norms. */
export function trajectoriesFromStore(
  store: RowStore,
  a: Pick<TrajectoryArrays, 'n' | 'T' | 'D' | 'loss' | 'gradNormSq' | 'eta'>,
): Trajectories {
  const { n, T, D } = a;
  const storage = store.storage;
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
      const src = store.read(t, start, end);
      // A view of float32 storage held in memory; a copy otherwise (a disk store's buffer is reused).
      if (src instanceof Float32Array) return store.residence === 'memory' ? src : src.slice();
      return halvesToFloat32(src);
    },
    rows: (t, start, end) => store.read(t, start, end),
    ...(store.arrays ? { stored: store.arrays } : {}),
    residence: store.residence,
  };
}

export function trajectoriesFromArrays(a: TrajectoryArrays): Trajectories {
  return trajectoriesFromStore(new MemoryRowStore(a.storage, a.D, a.g), a);
}

export async function computeTrajectories(
  pool: Pool,
  warm: WarmupResult,
  cfg: CurationConfig,
  opts: { onProgress?: (fraction: number, message?: string) => void; signal?: AbortSignal } & RowStoreOptions = {},
): Promise<Trajectories> {
  const { n } = pool;
  const T = warm.checkpoints.length;
  const d = sketchDim(cfg.gradients.projectionDim, n, T);
  const D = SKETCH_LAYERS * d * d;
  const storage = cfg.gradients.storage;
  const proj = makeProjections(warm.shape, d, new Rng(cfg.seed).fork('projection'));
  const sess = await session(buildTrajectoryGraph(warm.shape, proj));
  const emb = embeddingFeed(warm.shape, warm.embedding);
  // In memory up to the resident limit, else in a temporary file: rows are written batch by batch.
  const store = openRowStore(n, T, D, storage, opts);
  const loss = new Float32Array(n * T);
  const gradNormSq = new Float32Array(n * T);
  const buffers = new BatchBuffers();
  const B = cfg.gradients.batchSize;
  const batches = Math.ceil(n / B);
  const halves = storage === 'float16' ? new Uint16Array(B * D) : undefined;
  try {
    for (let t = 0; t < T; t++) {
      const ck = warm.checkpoints[t];
      const w = { ...weightFeeds(warm.shape, ck.w1, ck.w2), ...emb };
      for (let b = 0; b < batches; b++) {
        throwIfCancelled(opts.signal);
        const start = b * B;
        const end = Math.min(n, start + B);
        const r = await sess.run({ ...batchFeeds(pool, warm.shape, null, start, end, buffers), ...w });
        const gb = r.g.data as Float32Array;
        if (halves) {
          const h = halves.subarray(0, gb.length);
          toHalves(gb, h);
          store.write(t, start, h);
        } else store.write(t, start, gb);
        const lb = r.loss.data as Float32Array;
        const nb = r.gnorm2.data as Float32Array;
        for (let i = start; i < end; i++) {
          loss[i * T + t] = lb[i - start];
          gradNormSq[i * T + t] = nb[i - start];
        }
        opts.onProgress?.((t * batches + b + 1) / (T * batches), `checkpoint ${t + 1}/${T}`);
      }
    }
  } catch (e) {
    store.close();
    throw e;
  } finally {
    await sess.release();
  }
  return trajectoriesFromStore(store, { n, T, D, loss, gradNormSq, eta: Float64Array.from(warm.checkpoints, (c) => c.eta) });
}
