// Instruction-text vectors (docs/method.md §1.2, probe groups): the TF-IDF of a sample's hashed question
// n-grams (binary term frequency, smoothed idf), randomly projected to `dim` numbers by a seeded ±1/√dim
// table (Johnson–Lindenstrauss: cosines are kept up to ≈ 1/√dim) and L2-normalised. The projection is an
// ORT graph (Gather of the idf-scaled table, a sum over the n-grams, a row normalisation); nothing of size
// n × dim is kept: callers ask for the rows of a batch or of a sample.
import { GraphBuilder } from '../ort/graph';
import { createSession, tensor } from '../ort/session';
import type { Session } from '../ort/session';
import type { Rng } from '../util/rng';
import type { Pool } from './types';

/** Smoothed inverse document frequency per n-gram bucket, log((1 + n) / (1 + df)) + 1; the padding bucket gets 0. */
export function ngramIdf(pool: Pool): Float32Array {
  const Q = pool.dims.questionBuckets;
  const L = pool.dims.maxQuestionNgrams;
  const df = new Float64Array(Q + 1);
  for (let i = 0; i < pool.n; i++) {
    const c = pool.questionNgramCount[i];
    for (let j = 0; j < c; j++) df[pool.questionNgrams[i * L + j]]++;
  }
  const idf = new Float32Array(Q + 1);
  for (let b = 0; b < Q; b++) idf[b] = df[b] > 0 ? Math.log((1 + pool.n) / (1 + df[b])) + 1 : 0;
  return idf;
}

export class TextVectors {
  readonly dim: number;
  private readonly sessionP: Promise<Session>;

  constructor(
    private readonly pool: Pool,
    dim: number,
    rng: Rng,
  ) {
    this.dim = dim;
    const Q = pool.dims.questionBuckets;
    const idf = ngramIdf(pool);
    const table = new Float32Array((Q + 1) * dim);
    const s = 1 / Math.sqrt(dim);
    let bits = 0;
    let left = 0;
    for (let b = 0; b < Q; b++) {
      const w = idf[b] * s;
      for (let j = 0; j < dim; j++) {
        if (left === 0) {
          bits = rng.nextU32();
          left = 32;
        }
        table[b * dim + j] = bits & 1 ? w : -w;
        bits >>>= 1;
        left--;
      }
    }
    const g = new GraphBuilder('text_vectors');
    const q = g.input('q', ['B', pool.dims.maxQuestionNgrams], 'int32');
    const emb = g.constRaw(table, [Q + 1, dim], 'table');
    const summed = g.op('ReduceSum', [g.op('Gather', [emb, q], { axis: 0 }), g.constI([1])], { keepdims: 0 });
    g.rowNormalize(summed, 'y');
    g.output('y', ['B', dim]);
    this.sessionP = createSession(g.build());
  }

  /** Unit text vectors of the samples idx (row-major [idx.length, dim]); a sample without n-grams is a zero row. */
  async rowsOf(idx: ArrayLike<number>): Promise<Float32Array> {
    const L = this.pool.dims.maxQuestionNgrams;
    const m = idx.length;
    const out = new Float32Array(m * this.dim);
    const B = Math.max(64, Math.floor((2048 * 128) / this.dim)); // Gather holds B × L × dim floats (64 MB)
    const s = await this.sessionP;
    for (let start = 0; start < m; start += B) {
      const end = Math.min(m, start + B);
      const q = new Int32Array((end - start) * L);
      for (let r = start; r < end; r++) q.set(this.pool.questionNgrams.subarray(idx[r] * L, idx[r] * L + L), (r - start) * L);
      const y = await s.run({ q: tensor('int32', q, [end - start, L]) });
      out.set(y.y.data as Float32Array, start * this.dim);
    }
    return out;
  }

  /** Rows of the samples [start, end). */
  rows(start: number, end: number): Promise<Float32Array> {
    return this.rowsOf(Int32Array.from({ length: end - start }, (_, i) => start + i));
  }

  async release(): Promise<void> {
    await (await this.sessionP).release();
  }
}
