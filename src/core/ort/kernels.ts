// Generic dense kernels run by onnxruntime (native GEMM), used by k-means, group means and influence.
import { GraphBuilder } from './graph';
import { halfTable } from '../gradients/npy';
import { createSession, tensor } from './session';
import type { Session } from './session';

let matmulNTSession: Promise<Session> | undefined;
let normalizeSession: Promise<Session> | undefined;

function getMatmulNT(): Promise<Session> {
  if (!matmulNTSession) {
    const g = new GraphBuilder('matmulNT');
    const a = g.input('a', ['m', 'k']);
    const b = g.input('b', ['n', 'k']);
    g.matmulNT(a, b, 'y');
    g.output('y', ['m', 'n']);
    matmulNTSession = createSession(g.build());
  }
  return matmulNTSession;
}

function getNormalize(): Promise<Session> {
  if (!normalizeSession) {
    const g = new GraphBuilder('rowNormalize');
    const a = g.input('a', ['m', 'k']);
    g.rowNormalize(a, 'y');
    g.output('y', ['m', 'k']);
    normalizeSession = createSession(g.build());
  }
  return normalizeSession;
}

/** a [m,k] · b[n,k]ᵀ → [m,n], row-major. */
export async function matmulNT(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
  if (a.length !== m * k || b.length !== n * k) throw new Error(`matmulNT: shapes [${m},${k}]·[${n},${k}]ᵀ do not match the data`);
  if (m === 0 || n === 0) return new Float32Array(m * n);
  const s = await getMatmulNT();
  const r = await s.run({ a: tensor('float32', a, [m, k]), b: tensor('float32', b, [n, k]) });
  return r.y.data as Float32Array;
}

/** L2-normalises each row of a [m,k]; zero rows stay zero. */
export async function rowNormalize(a: Float32Array, m: number, k: number): Promise<Float32Array> {
  if (m === 0) return new Float32Array(0);
  const s = await getNormalize();
  const r = await s.run({ a: tensor('float32', a, [m, k]) });
  return r.y.data as Float32Array;
}

const sparseTableSessions: Partial<Record<'product' | 'argmax', Promise<Session>>> = {};

/**
 * The gather-and-sum graph; with `argmax`, each row is scaled column by column (input `scale` [n]) and the
 * graph ends in the row's ArgMax (the first maximum wins) instead of the row.
 */
function getSparseTable(kind: 'product' | 'argmax'): Promise<Session> {
  return (sparseTableSessions[kind] ??= (() => {
    const g = new GraphBuilder(kind === 'argmax' ? 'sparseRowsArgmax' : 'sparseRowsTimesTable');
    const ids = g.input('ids', ['m', 'l'], 'int32');
    const w = g.input('w', ['m', 'l']);
    const table = g.input('table', ['v', 'n']);
    // [m, 1, l] · [m, l, n] → [m, 1, n] (a batched MatMul over the gathered table rows), then [m, n].
    const rows = g.op('Gather', [table, ids], { axis: 0 });
    const y = g.matmul(g.unsqueeze(w, [1]), rows);
    if (kind === 'argmax') {
      const scale = g.input('scale', ['n']);
      g.op('ArgMax', [g.op('Mul', [g.op('Squeeze', [y, g.constI([1])]), scale])], { axis: 1, keepdims: 0 }, 'y');
      g.output('y', ['m'], 'int64');
    } else {
      g.op('Squeeze', [y, g.constI([1])], {}, 'y');
      g.output('y', ['m', 'n']);
    }
    return createSession(g.build());
  })());
}

/** Sparse rows ids, w [m, l] (column ids and weights, padding weight 0 after a row's pairs) and a table [v, n]. */
type SparseRowsAndTable = [ids: Int32Array, w: Float32Array, m: number, l: number, table: Float32Array, v: number, n: number];

/**
 * Runs the sparse-rows graph over rows given as at most l (column id, weight) pairs, ids [m, l] into table
 * [v, n], each row's pairs first and padding (weight 0) after them. Rows are batched by their number of pairs
 * (a counting sort), so a batch gathers only up to its longest row, and each gathered [batch, pairs, n] block
 * stays near 8 MB; `take(order, from, to, y)` receives each batch's result for rows order[from…to).
 * Rows without pairs are left out.
 */
async function forSparseBatches(
  kind: 'product' | 'argmax',
  [ids, w, m, l, table, v, n]: SparseRowsAndTable,
  take: (order: Int32Array, from: number, to: number, y: Float32Array | BigInt64Array) => void,
  scale?: Float32Array,
): Promise<void> {
  if (ids.length !== m * l || w.length !== m * l || table.length !== v * n)
    throw new Error(`sparse rows × table: shapes [${m},${l}] and [${v},${n}] do not match the data`);
  if (m === 0 || n === 0 || l === 0) return;
  // Pairs per row: up to the last non-zero weight.
  const len = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let c = l;
    while (c > 0 && w[i * l + c - 1] === 0) c--;
    len[i] = c;
  }
  const start = new Int32Array(l + 2);
  for (let i = 0; i < m; i++) start[len[i] + 1]++;
  for (let c = 0; c <= l; c++) start[c + 1] += start[c];
  const order = new Int32Array(m);
  const fill = start.slice(0, l + 1);
  for (let i = 0; i < m; i++) order[fill[len[i]]++] = i;
  const s = await getSparseTable(kind);
  const t = tensor('float32', table, [v, n]);
  const scaleTensor = scale ? tensor('float32', scale, [n]) : undefined;
  let r = start[1]; // rows without pairs are not run
  while (r < m) {
    // Grow the batch while its block (rows × its longest row × n floats) stays within 2M floats.
    let e = r + 1;
    while (e < m && (e - r + 1) * len[order[e]] * n <= 2 << 20) e++;
    const L = len[order[e - 1]];
    const bi = new Int32Array((e - r) * L);
    const bw = new Float32Array((e - r) * L);
    for (let k = r; k < e; k++) {
      const i = order[k];
      bi.set(ids.subarray(i * l, i * l + L), (k - r) * L);
      bw.set(w.subarray(i * l, i * l + L), (k - r) * L);
    }
    const feeds = { ids: tensor('int32', bi, [e - r, L]), w: tensor('float32', bw, [e - r, L]), table: t };
    const y = (await s.run(scaleTensor ? { ...feeds, scale: scaleTensor } : feeds)).y.data;
    take(order, r, e, y as Float32Array | BigInt64Array);
    r = e;
  }
}

/**
 * Sparse rows times a dense table: row i of the result is Σ_j w[i, j] · table[ids[i, j]], for rows given as
 * at most l (column id, weight) pairs, ids [m, l] into table [v, n] (batched as forSparseBatches says); a
 * row without pairs is zero.
 */
export async function sparseRowsTimesTable(...args: SparseRowsAndTable): Promise<Float32Array> {
  const [, , m, , , , n] = args;
  const out = new Float32Array(m * n);
  await forSparseBatches('product', args, (order, from, to, y) => {
    for (let k = from; k < to; k++) out.set((y as Float32Array).subarray((k - from) * n, (k - from + 1) * n), order[k] * n);
  });
  return out;
}

/**
 * The argmax of each row of sparseRowsTimesTable, its columns first multiplied by `scale` [n] (default 1):
 * the first maximum wins, as rowArgmax; 0 for a row without pairs. Computed in the same graph, so the
 * [m, n] products never cross into JavaScript: without a scale, the same answer as rowArgmax over
 * sparseRowsTimesTable, in about two thirds of the time (45K real rows × 256 columns).
 */
export async function sparseRowsArgmax(...args: [...SparseRowsAndTable, scale?: Float32Array]): Promise<Int32Array> {
  const [ids, w, m, l, table, v, n, scale = new Float32Array(n).fill(1)] = args;
  if (scale.length !== n) throw new Error(`sparseRowsArgmax: ${scale.length} scales for ${n} columns`);
  const out = new Int32Array(m);
  const take = (order: Int32Array, from: number, to: number, y: Float32Array | BigInt64Array) => {
    for (let k = from; k < to; k++) out[order[k]] = Number((y as BigInt64Array)[k - from]);
  };
  await forSparseBatches('argmax', [ids, w, m, l, table, v, n], take, scale);
  return out;
}

const segmentSumSessions: Partial<Record<'float32' | 'float16', Promise<Session>>> = {};

/**
 * ScatterND with reduction 'add'. Float16 rows come in as their bit patterns in a uint16 tensor and are
 * decoded in the graph by a Gather from the 65,536-entry float16 table: a 'float16' tensor cannot be
 * used, because where the runtime has Float16Array (Node 24, as code-server's extension host)
 * onnxruntime-common wraps the data in one and onnxruntime-node then reads no bytes from it ("not enough
 * space: expected …, got 0"). On one thread: with two, ORT's add-reduction lets threads update the same
 * output row at once, and the sums came out different from run to run (measured on 45K × 128 float16
 * rows); on one they are reproducible. Speed, 45K × 128 float16 rows × 4 checkpoints: with a 'float16'
 * input 24 ms against the JavaScript table loop's 93 ms; with the uint16 Gather decode this needs, about
 * 90 ms against 65–79 ms: no faster than the loop (it stays for its exactness tests and float32 rows).
 * The race is known upstream (microsoft/onnxruntime#18048, #23396: ScatterND
 * gives different outputs run to run unless on one thread).
 */
function getSegmentSums(type: 'float32' | 'float16'): Promise<Session> {
  return (segmentSumSessions[type] ??= (() => {
    const g = new GraphBuilder(`segmentSums_${type}`);
    const x = g.input('x', ['m', 'd'], type === 'float16' ? 'uint16' : 'float32');
    const seg = g.input('seg', ['m', 1], 'int64');
    const base = g.input('base', ['s', 'd']);
    const rows = type === 'float16' ? g.op('Gather', [g.constRaw(halfTable(), [65536]), g.op('Cast', [x], { to: 6 })], { axis: 0 }) : x;
    g.op('ScatterND', [base, seg, rows], { reduction: 'add' }, 'y');
    g.output('y', ['s', 'd']);
    return createSession(g.build(), { threads: 1 });
  })());
}

/**
 * Segment ids for addSegmentSums: seg[i] in [0, s), or < 0 to skip row i (sent to row s, which is dropped).
 * Made once and sliced per batch of rows.
 */
export function segmentIndex(seg: ArrayLike<number>, s: number): BigInt64Array {
  const idx = new BigInt64Array(seg.length);
  for (let i = 0; i < seg.length; i++) {
    if (seg[i] >= s) throw new Error(`segment sums: segment ${seg[i]} of row ${i} is outside [0, ${s})`);
    idx[i] = BigInt(seg[i] < 0 ? s : seg[i]);
  }
  return idx;
}

/**
 * Adds each row of x [m, d] (float32, or float16 bit patterns) into `into` [s, d] at row idx[i] (from
 * segmentIndex; rows sent to s are skipped). The sums run in float32 inside ORT, one call's rows at a time,
 * and are then added to `into`, which may be float64.
 */
export async function addSegmentSums(
  x: Float32Array | Uint16Array,
  m: number,
  d: number,
  idx: BigInt64Array,
  s: number,
  into: Float64Array | Float32Array,
): Promise<void> {
  if (x.length !== m * d || idx.length !== m || into.length !== s * d)
    throw new Error(`segment sums: [${m},${d}] rows, ${idx.length} segments, [${s},${d}] output do not match the data`);
  if (m === 0 || d === 0 || s === 0) return;
  const type = x instanceof Uint16Array ? 'float16' : 'float32';
  const session = await getSegmentSums(type);
  const r = await session.run({
    x: x instanceof Uint16Array ? tensor('uint16', x, [m, d]) : tensor('float32', x, [m, d]),
    seg: tensor('int64', idx, [m, 1]),
    base: tensor('float32', new Float32Array((s + 1) * d), [s + 1, d]),
  });
  const y = r.y.data as Float32Array;
  for (let j = 0; j < s * d; j++) into[j] += y[j];
}
