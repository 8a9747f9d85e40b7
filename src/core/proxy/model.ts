// The proxy learner: a small conditional model (instruction n-grams + image features → answer
// tokens). Its forward pass, loss, analytic backward pass and the per-sample projected gradient
// factors (LoGra, docs/method.md §1.1) are ONNX graphs run by onnxruntime.
//
//   x      = [mean_j E[q_j], img, hasImage, 1]                    (E frozen, seeded)   [B, Din]
//   h      = tanh(x W1ᵀ);  h1 = [h, 1];  logits = h1 W2ᵀ                               [B, V]
//   loss_i = −Σ_v tgt_iv log softmax(logits_i)_v                   (mean CE over answer tokens)
//   δ2 = softmax − tgt;  δ1 = (δ2 W2[:, :H]) ⊙ (1 − h²);  ∇W2 = δ2ᵀh1;  ∇W1 = δ1ᵀx
import type { Pool } from '../features/types';
import { GraphBuilder } from '../ort/graph';
import { createSession, tensor } from '../ort/session';
import type { OrtTensor, Session } from '../ort/session';
import type { Rng } from '../util/rng';

export interface ProxyShape {
  questionBuckets: number;
  maxNgrams: number;
  embedDim: number;
  imageDim: number;
  hidden: number;
  vocab: number;
  /** Input width: embedDim + imageDim + hasImage + bias. */
  din: number;
}

export function proxyShape(pool: Pool, embedDim: number, hidden: number): ProxyShape {
  const d = pool.dims;
  return {
    questionBuckets: d.questionBuckets,
    maxNgrams: d.maxQuestionNgrams,
    embedDim,
    imageDim: d.imageDim,
    hidden,
    vocab: d.answerVocab,
    din: embedDim + d.imageDim + 2,
  };
}

/**
 * Frozen random embedding (Rademacher ±1/√E), with an all-zero padding row at the end. Entry k takes bit
 * k mod 32 of the ⌊k/32⌋-th draw (1: +1/√E). Written as the two values' float32 bit patterns, 32 entries
 * per draw. `into` (a buffer of the same size, e.g. the last proxy's) is filled instead of a fresh
 * array: on this VM the first touch of a fresh 33.5 MB table costs about twice its filling. With `rows`,
 * only those rows (and the padding row) are written, each from its own draws (Rng.peekU32), so they hold
 * exactly what the whole table would; the other rows are left as they are, for a proxy that only ever
 * reads the rows of its pool's n-grams. Either way the stream ends where the whole table leaves it.
 */
export function makeEmbedding(shape: ProxyShape, rng: Rng, into?: Float32Array, rows?: ArrayLike<number>): Float32Array {
  const { questionBuckets: Q, embedDim: E } = shape;
  const size = (Q + 1) * E;
  const out = into && into.length === size ? into : new Float32Array(size);
  const patterns = new Uint32Array(new Float32Array([1 / Math.sqrt(E), -1 / Math.sqrt(E)]).buffer);
  const plus = patterns[0];
  const minus = patterns[1];
  const bits32 = new Uint32Array(out.buffer, out.byteOffset, size);
  const total = Q * E;
  if (!rows) writeSigns(bits32, rng, 0, total, plus, minus);
  else
    for (let r = 0; r < rows.length; r++) {
      const b = rows[r];
      if (b >= 0 && b < Q) writeSigns(bits32, rng, b * E, (b + 1) * E, plus, minus); // the padding row is written below
    }
  rng.skip(Math.ceil(total / 32));
  out.fill(0, total);
  return out;
}

/** Entries [from, to) of the embedding's bit patterns: entry k from bit k mod 32 of draw ⌊k/32⌋ of the stream. */
function writeSigns(bits32: Uint32Array, rng: Rng, from: number, to: number, plus: number, minus: number): void {
  for (let k = from; k < to;) {
    let bits = rng.peekU32(k >>> 5) >>> (k & 31);
    const stop = Math.min(to, ((k >>> 5) + 1) << 5);
    for (; k < stop; k++) {
      bits32[k] = bits & 1 ? plus : minus;
      bits >>>= 1;
    }
  }
}

/** The embedding rows a pool's samples read: its distinct question n-gram buckets (padding left out), ascending. */
export function embeddingRowsOf(pool: Pool): Int32Array {
  const Q = pool.dims.questionBuckets;
  const seen = new Uint8Array(Q);
  for (const b of pool.questionNgrams) if (b < Q) seen[b] = 1;
  let count = 0;
  for (let b = 0; b < Q; b++) count += seen[b];
  const rows = new Int32Array(count);
  for (let b = 0, i = 0; b < Q; b++) if (seen[b]) rows[i++] = b;
  return rows;
}

export function initWeights(shape: ProxyShape, rng: Rng): { w1: Float32Array; w2: Float32Array } {
  const { hidden: H, din, vocab: V } = shape;
  const w1 = new Float32Array(H * din);
  const s1 = 1 / Math.sqrt(din);
  for (let i = 0; i < w1.length; i++) w1[i] = rng.normal() * s1;
  const w2 = new Float32Array(V * (H + 1));
  const s2 = 0.1 / Math.sqrt(H);
  for (let v = 0; v < V; v++) for (let j = 0; j < H; j++) w2[v * (H + 1) + j] = rng.normal() * s2;
  return { w1, w2 };
}

/**
 * Shared forward part; returns the names of x, h, h1, logits-derived tensors. The frozen embedding is an
 * input (embeddingFeed), not a constant of the graph: as a constant its 33.5 MB (65,537 × 128 floats)
 * were serialised into the model, parsed and copied by onnxruntime for each of the two sessions; fed,
 * the session reads the array in place.
 */
function forward(g: GraphBuilder, shape: ProxyShape) {
  const { maxNgrams: L, embedDim: E, imageDim: F, hidden: H, vocab: V, din } = shape;
  const q = g.input('q', ['B', L], 'int32');
  const qcnt = g.input('qcnt', ['B', 1]);
  const img = g.input('img', ['B', F]);
  const hasImg = g.input('hasimg', ['B', 1]);
  const tgt = g.input('tgt', ['B', V]);
  const w1 = g.input('w1', [H, din]);
  const w2 = g.input('w2', [V, H + 1]);
  const emb = g.input('embedding', [shape.questionBuckets + 1, E]);
  const gathered = g.op('Gather', [emb, q], { axis: 0 }); // [B, L, E]
  const summed = g.op('ReduceSum', [gathered, g.constI([1])], { keepdims: 0 }); // [B, E]
  const cnt = g.op('Max', [qcnt, g.constF([1], [])]);
  const embMean = g.div(summed, cnt);
  const ones = g.add(g.mul(qcnt, g.constF([0], [])), g.constF([1], [])); // [B,1]
  const x = g.concat([embMean, img, hasImg, ones], 1); // [B, din]
  const h = g.op('Tanh', [g.matmulNT(x, w1)]); // [B, H]
  const h1 = g.concat([h, ones], 1); // [B, H+1]
  const logits = g.matmulNT(h1, w2); // [B, V]
  const logp = g.op('LogSoftmax', [logits], { axis: 1 });
  const p = g.op('Exp', [logp]);
  const loss = g.op('Neg', [g.op('ReduceSum', [g.mul(tgt, logp), g.constI([1])], { keepdims: 0 })]); // [B]
  const d2 = g.sub(p, tgt); // [B, V]
  const w2h = g.op('Slice', [w2, g.constI([0]), g.constI([H]), g.constI([1])]); // [V, H]
  const dh = g.matmul(d2, w2h); // [B, H]
  const d1 = g.mul(dh, g.sub(g.constF([1], []), g.mul(h, h))); // [B, H]
  return { x, h1, loss, d2, d1 };
}

/** Training step graph: mean loss and mean gradients of W1, W2 over the batch. */
export function buildTrainGraph(shape: ProxyShape): Uint8Array {
  const g = new GraphBuilder('proxy_train');
  const { x, h1, loss, d2, d1 } = forward(g, shape);
  const scale = g.input('scale', [1]); // 1/B
  g.op('ReduceMean', [loss], { keepdims: 0 }, 'loss');
  g.mul(g.matmulTN(d2, h1), scale, 'gw2');
  g.mul(g.matmulTN(d1, x), scale, 'gw1');
  g.output('loss', []);
  g.output('gw1', [shape.hidden, shape.din]);
  g.output('gw2', [shape.vocab, shape.hidden + 1]);
  return g.build();
}

export interface Projections {
  d: number;
  p2o: Float32Array; // [d, V]
  p2i: Float32Array; // [d, H+1]
  p1o: Float32Array; // [d, H]
  p1i: Float32Array; // [d, Din]
}

export function makeProjections(shape: ProxyShape, d: number, rng: Rng): Projections {
  const gauss = (rows: number, cols: number) => {
    const a = new Float32Array(rows * cols);
    const s = 1 / Math.sqrt(d);
    for (let i = 0; i < a.length; i++) a[i] = rng.normal() * s;
    return a;
  };
  return { d, p2o: gauss(d, shape.vocab), p2i: gauss(d, shape.hidden + 1), p1o: gauss(d, shape.hidden), p1i: gauss(d, shape.din) };
}

/**
 * Per-sample trajectory graph: loss [B], the normalised projected gradient g [B, 2d²] and the
 * exact squared gradient norm [B] (‖δ⊗h‖² = ‖δ‖²‖h‖², so no outer product is formed).
 */
export function buildTrajectoryGraph(shape: ProxyShape, proj: Projections): Uint8Array {
  const g = new GraphBuilder('proxy_trajectory');
  const { x, h1, loss, d2, d1 } = forward(g, shape);
  const d = proj.d;
  const { vocab: V, hidden: H, din } = shape;
  const outer = (a: string, b: string) => g.reshape(g.mul(g.unsqueeze(a, [2]), g.unsqueeze(b, [1])), [-1, d * d]);
  const a2 = g.matmulNT(d2, g.constRaw(proj.p2o, [d, V]));
  const b2 = g.matmulNT(h1, g.constRaw(proj.p2i, [d, H + 1]));
  const a1 = g.matmulNT(d1, g.constRaw(proj.p1o, [d, H]));
  const b1 = g.matmulNT(x, g.constRaw(proj.p1i, [d, din]));
  const gvec = g.concat([outer(a2, b2), outer(a1, b1)], 1);
  g.rowNormalize(gvec, 'g');
  const sq = (t: string) => g.op('ReduceSumSquare', [t], { axes: [1], keepdims: 0 });
  g.add(g.mul(sq(d2), sq(h1)), g.mul(sq(d1), sq(x)), 'gnorm2');
  g.op('Identity', [loss], {}, 'loss');
  g.output('loss', ['B']);
  g.output('g', ['B', 2 * d * d]);
  g.output('gnorm2', ['B']);
  return g.build();
}

/**
 * Input buffers that batchFeeds fills in place from batch to batch, for a caller that awaits each run
 * before building the next batch (its feeds are consumed by then). Without them every batch allocated
 * its inputs afresh, the answer-target table [B, V] above all: 8 MB per batch of 2,048, 745 MB over a
 * 45,480-row pool's trajectories, all of it zero-filled and collected again.
 */
export class BatchBuffers {
  q = new Int32Array(0);
  qcnt = new Float32Array(0);
  img = new Float32Array(0);
  hasimg = new Float32Array(0);
  tgt = new Float32Array(0);
  /** Entries of `tgt` the last batch wrote (the rest of it is zero). */
  readonly written: number[] = [];
  /** Buffers for up to B rows (grown when needed; the target table cleared where the last batch wrote). */
  reserve(B: number, shape: ProxyShape): void {
    const { maxNgrams: L, imageDim: F, vocab: V } = shape;
    if (this.qcnt.length < B) {
      this.q = new Int32Array(B * L);
      this.qcnt = new Float32Array(B);
      this.img = new Float32Array(B * F);
      this.hasimg = new Float32Array(B);
      this.tgt = new Float32Array(B * V);
      this.written.length = 0;
    }
    for (const j of this.written) this.tgt[j] = 0;
    this.written.length = 0;
  }
}

/**
 * Batch inputs for samples idx[start, end) of a pool (`idx` null: samples start..end-1), in `buffers`
 * when given (see BatchBuffers), else in fresh arrays.
 */
export function batchFeeds(
  pool: Pool,
  shape: ProxyShape,
  idx: ArrayLike<number> | null,
  start: number,
  end: number,
  buffers: BatchBuffers = new BatchBuffers(),
): Record<string, OrtTensor> {
  const B = end - start;
  const { maxNgrams: L, imageDim: F, vocab: V } = shape;
  buffers.reserve(B, shape);
  const q = buffers.q.subarray(0, B * L);
  const qcnt = buffers.qcnt.subarray(0, B);
  const img = buffers.img.subarray(0, B * F);
  const hasimg = buffers.hasimg.subarray(0, B);
  const tgt = buffers.tgt.subarray(0, B * V);
  const written = buffers.written;
  for (let r = 0; r < B; r++) {
    const i = idx ? idx[start + r] : start + r;
    q.set(pool.questionNgrams.subarray(i * L, i * L + L), r * L);
    qcnt[r] = pool.questionNgramCount[i];
    if (pool.imageFeatures && pool.hasImage[i]) {
      img.set(pool.imageFeatures.subarray(i * F, i * F + F), r * F);
      hasimg[r] = 1;
    } else {
      img.fill(0, r * F, r * F + F);
      hasimg[r] = 0;
    }
    const a0 = pool.answerPtr[i];
    const a1 = pool.answerPtr[i + 1];
    const w = 1 / Math.max(1, a1 - a0);
    for (let j = a0; j < a1; j++) {
      const at = r * V + pool.answerTokens[j];
      tgt[at] += w;
      written.push(at);
    }
  }
  return {
    q: tensor('int32', q, [B, L]),
    qcnt: tensor('float32', qcnt, [B, 1]),
    img: tensor('float32', img, [B, F]),
    hasimg: tensor('float32', hasimg, [B, 1]),
    tgt: tensor('float32', tgt, [B, V]),
  };
}

/** The frozen embedding [buckets + 1, E] as the graphs' `embedding` input (one tensor for every run). */
export function embeddingFeed(shape: ProxyShape, embedding: Float32Array): Record<string, OrtTensor> {
  return { embedding: tensor('float32', embedding, [shape.questionBuckets + 1, shape.embedDim]) };
}

export function weightFeeds(shape: ProxyShape, w1: Float32Array, w2: Float32Array): Record<string, OrtTensor> {
  return {
    w1: tensor('float32', w1, [shape.hidden, shape.din]),
    w2: tensor('float32', w2, [shape.vocab, shape.hidden + 1]),
  };
}

export async function session(model: Uint8Array): Promise<Session> {
  return createSession(model);
}
