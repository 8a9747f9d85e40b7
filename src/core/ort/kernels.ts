// Generic dense kernels run by onnxruntime (native GEMM), used by k-means, group means and influence.
import { GraphBuilder } from './graph';
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
