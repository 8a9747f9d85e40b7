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
