// Small synthetic pools and trajectories with planted structure, for tests with known answers.
import { Rng } from '../../src/core/util/rng';
import { resolve } from 'node:path';
import type { Pool } from '../../src/core/features/types';
import { trajectoriesFromArrays } from '../../src/core/gradients/trajectories';
import type { Trajectories } from '../../src/core/gradients/types';
import type { Logger } from '../../src/core/runtime/log';

/**
 * The real-data fixtures inside the repository (test/fixtures; what each holds, where it comes from
 * and how it was cut: test/fixtures/PROVENANCE.md, rebuilt by scripts/makeFixtures.mjs).
 */
export const FIXTURES = resolve(__dirname, '../fixtures');

/** A logger that keeps the warnings it is given (the rest is dropped), for tests that assert on them. */
export function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { log: { info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined, debug: () => undefined }, warnings };
}

export function tinyPool(n: number, opts: { L?: number; Q?: number; V?: number; F?: number } = {}): Pool {
  const L = opts.L ?? 4,
    Q = opts.Q ?? 16,
    V = opts.V ?? 8,
    F = opts.F ?? 4;
  const q = new Uint32Array(n * L).fill(Q);
  const answerPtr = new Int32Array(n + 1);
  const answerTokens: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 2; j++) q[i * L + j] = (i * 3 + j * 5) % Q;
    answerTokens.push(i % V, (i * 7 + 1) % V);
    answerPtr[i + 1] = answerTokens.length;
  }
  const img = new Float32Array(n * F);
  for (let i = 0; i < n * F; i++) img[i] = ((i * 37) % 11) / 11;
  return {
    n,
    ids: Array.from({ length: n }, (_, i) => `s${i}`),
    lines: Int32Array.from({ length: n }, (_, i) => i + 1),
    offsets: new Float64Array(n),
    lengths: new Int32Array(n),
    labels: {},
    styleMask: new Uint16Array(n),
    primaryStyle: new Uint8Array(n),
    flags: new Uint8Array(n),
    questionNgrams: q,
    questionNgramCount: Uint16Array.from({ length: n }, () => 2),
    answerPtr,
    answerTokens: Uint32Array.from(answerTokens),
    imageFeatures: img,
    hasImage: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1)),
    turns: new Uint16Array(n).fill(2),
    questionChars: new Int32Array(n),
    answerChars: new Int32Array(n),
    exactHash: Uint32Array.from({ length: 2 * n }, (_, i) => i),
    simHash: Uint32Array.from({ length: 2 * n }, (_, i) => (i * 2654435761) >>> 0),
    termOf: new Map(),
    termPtr: new Int32Array(n + 1),
    termIds: new Uint32Array(0),
    dims: { questionBuckets: Q, maxQuestionNgrams: L, answerVocab: V, imageDim: F },
  };
}

/** Trajectories whose rows are given directly (normalised by the caller), T checkpoints. */
export function plantedTrajectories(rows: number[][][], eta: number[], gradNormSq?: number[][]): Trajectories {
  const T = rows.length;
  const n = rows[0].length;
  const D = rows[0][0].length;
  return trajectoriesFromArrays({
    n,
    T,
    D,
    storage: 'float32',
    g: rows.map((r) => Float32Array.from(r.flat())),
    loss: new Float32Array(n * T).fill(1),
    gradNormSq: gradNormSq
      ? Float32Array.from({ length: n * T }, (_, k) => gradNormSq[k % T][Math.floor(k / T)])
      : new Float32Array(n * T).fill(1),
    eta: Float64Array.from(eta),
  });
}

export function unit(v: number[]): number[] {
  const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / s);
}

/**
 * Block cosine matrix of probe groups: B blocks of m groups, cosine `inside` within a block and `across`
 * between; with `jitter` (a seed), the across-block cosines get symmetric noise of ±0.02, so no two
 * merges tie exactly.
 */
export function blockCosines(B: number, m: number, inside = 0.9, across = 0.05, jitter?: number): { G: number; cos: Float32Array } {
  const G = B * m;
  const cos = new Float32Array(G * G);
  const rng = jitter === undefined ? undefined : new Rng(jitter);
  for (let a = 0; a < G; a++)
    for (let b = a; b < G; b++) {
      const same = Math.floor(a / m) === Math.floor(b / m);
      const v = a === b ? 1 : same ? inside : across + (rng ? 0.04 * (rng.next() - 0.5) : 0);
      cos[a * G + b] = cos[b * G + a] = v;
    }
  return { G, cos };
}
