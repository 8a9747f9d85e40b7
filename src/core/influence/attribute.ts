// Trajectory influence I_k(z) = Σ_t η_t cos(g(z,t), ḡ_k(t)) (ORT GEMMs per batch), self-influence,
// hard labels by z-scored argmax, and the capability descriptions that follow from the labels.
import type { CapabilityAssignment } from '../config';
import type { CapabilityModel } from '../capabilities/types';
import { STYLES } from '../features/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { matmulNT } from '../ort/kernels';
import type { Attribution } from './types';

/**
 * Σ_t η_t · ⟨g(z,t), a_t⟩ for every sample z and anchor a: `anchors` holds A unit rows per checkpoint,
 * row-major [T, A, D]; the n×A products run in ORT, 16,384 samples per batch. Returns [n, A].
 * Used for capability influence here and for per-group influence (LESS, ICONS).
 */
export async function trajectoryInfluence(traj: Trajectories, anchors: Float32Array, A: number): Promise<Float32Array> {
  const { n, T, D } = traj;
  const out = new Float32Array(n * A);
  const B = 16384;
  for (let t = 0; t < T; t++) {
    const eta = traj.eta[t];
    const anchorsT = anchors.subarray(t * A * D, (t + 1) * A * D);
    for (let s = 0; s < n; s += B) {
      const e = Math.min(n, s + B);
      const sims = await matmulNT(traj.slice(t, s, e), e - s, D, anchorsT, A);
      for (let i = 0; i < sims.length; i++) out[s * A + i] += eta * sims[i];
    }
  }
  return out;
}

export async function attribute(
  traj: Trajectories,
  model: CapabilityModel,
  assign: CapabilityAssignment = 'influence',
): Promise<Attribution> {
  const { n, T } = traj;
  const K = model.K;
  const influence = await trajectoryInfluence(traj, model.anchors, K);
  const selfInfluence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let si = 0;
    for (let t = 0; t < T; t++) si += traj.eta[t] * traj.gradNormSq[i * T + t];
    selfInfluence[i] = si;
  }
  const mean = new Float64Array(K);
  const std = new Float64Array(K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) mean[k] += influence[i * K + k];
  for (let k = 0; k < K; k++) mean[k] /= Math.max(1, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) std[k] += (influence[i * K + k] - mean[k]) ** 2;
  for (let k = 0; k < K; k++) std[k] = Math.sqrt(std[k] / Math.max(1, n)) || 1;
  const hard = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let k = 0; k < K; k++) {
      const z = (influence[i * K + k] - mean[k]) / std[k];
      if (z > bv) [bv, best] = [z, k];
    }
    hard[i] = best;
  }
  if (assign === 'group')
    for (let i = 0; i < n; i++) {
      const g = model.probe.of[i];
      if (g >= 0) hard[i] = model.groupCapability[g];
    }
  const child = await subCapabilityOf(traj, model, hard);
  return { K, influence, hard, child, selfInfluence, mean, std };
}

/**
 * Each sample's sub-capability within its capability: the one holding its probe group when that group
 * is in the capability, else the sub-capability whose anchor it is most influenced by.
 */
async function subCapabilityOf(traj: Trajectories, model: CapabilityModel, hard: Int32Array): Promise<Int32Array> {
  const child = new Int32Array(traj.n).fill(-1);
  const { T, D } = traj;
  for (const cap of model.capabilities) {
    const kids = cap.children ?? [];
    if (kids.length === 0) continue;
    const kidOf = new Map<number, number>();
    kids.forEach((kid) => kid.groups.forEach((g) => kidOf.set(g, kid.index)));
    const rest: number[] = [];
    for (let i = 0; i < traj.n; i++) {
      if (hard[i] !== cap.index) continue;
      const k = kidOf.get(model.probe.of[i]);
      if (k !== undefined) child[i] = k;
      else rest.push(i);
    }
    if (rest.length === 0) continue;
    const A = kids.length;
    const anchorsTAD = new Float32Array(T * A * D);
    kids.forEach((kid, j) => {
      for (let t = 0; t < T; t++) anchorsTAD.set(kid.anchor.subarray(t * D, (t + 1) * D), (t * A + j) * D);
    });
    const infl = await influenceOf(traj, Int32Array.from(rest), anchorsTAD, A);
    rest.forEach((i, r) => {
      let best = 0;
      for (let j = 1; j < A; j++) if (infl[r * A + j] > infl[r * A + best]) best = j;
      child[i] = best;
    });
  }
  return child;
}

/** Σ_t η_t ⟨g(z,t), a_t⟩ for some samples (rows of [T, A, D] anchors); [idx.length, A]. */
async function influenceOf(traj: Trajectories, idx: Int32Array, anchorsTAD: Float32Array, A: number): Promise<Float32Array> {
  const { T, D } = traj;
  const out = new Float32Array(idx.length * A);
  for (let t = 0; t < T; t++) {
    const rows = new Float32Array(idx.length * D);
    idx.forEach((i, r) => rows.set(traj.slice(t, i, i + 1), r * D));
    const sims = await matmulNT(rows, idx.length, D, anchorsTAD.subarray(t * A * D, (t + 1) * A * D), A);
    for (let j = 0; j < sims.length; j++) out[j] += traj.eta[t] * sims[j];
  }
  return out;
}

const TOP_LABELS = 3;
/** Label values that name nothing (never used in a capability's name). */
export const PLACEHOLDER_LABEL = /^(default|none|null|unknown|other|others|misc|n\/?a|-|)$/i;
const TOP_TERMS = 8;

/** Sizes, distinctive terms (class-based TF-IDF), dominant labels, styles and a readable name. */
export function describeCapabilities(pool: Pool, model: CapabilityModel, attribution: Attribution): void {
  const K = model.K;
  const sizes = new Int32Array(K);
  for (let i = 0; i < pool.n; i++) sizes[attribution.hard[i]]++;
  // Distinctive terms: a term's share of the class's samples p_c against its share of the pool p,
  // scored p_c·log(p_c/p) (its contribution to the KL divergence), so pool-wide template words drop out.
  const tfClass: Map<number, number>[] = Array.from({ length: K }, () => new Map());
  const tfAll = new Map<number, number>();
  for (let i = 0; i < pool.n; i++) {
    const m = tfClass[attribution.hard[i]];
    for (let j = pool.termPtr[i]; j < pool.termPtr[i + 1]; j++) {
      const id = pool.termIds[j];
      m.set(id, (m.get(id) ?? 0) + 1);
      tfAll.set(id, (tfAll.get(id) ?? 0) + 1);
    }
  }
  for (let k = 0; k < K; k++) {
    const cap = model.capabilities[k];
    cap.size = sizes[k];
    const scored: [string, number][] = [];
    for (const [id, tf] of tfClass[k]) {
      if (tf < 2) continue;
      const term = pool.termOf.get(id);
      const pc = tf / Math.max(1, sizes[k]);
      const p = (tfAll.get(id) ?? 1) / pool.n;
      if (term && pc > p) scored.push([term, pc * Math.log(pc / p)]);
    }
    scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    cap.terms = scored.slice(0, TOP_TERMS).map(([t]) => t);
    cap.labels = [];
    for (const [field, col] of Object.entries(pool.labels)) {
      if (col.values.length > 5000) continue;
      const counts = new Map<number, number>();
      for (let i = 0; i < pool.n; i++)
        if (attribution.hard[i] === k && col.codes[i] >= 0) counts.set(col.codes[i], (counts.get(col.codes[i]) ?? 0) + 1);
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP_LABELS);
      for (const [code, c] of top) cap.labels.push({ field, value: col.values[code], share: round3(c / Math.max(1, sizes[k])) });
    }
    const styleCounts = new Int32Array(STYLES.length);
    for (let i = 0; i < pool.n; i++) if (attribution.hard[i] === k) styleCounts[pool.primaryStyle[i]]++;
    cap.styles = STYLES.map((style, s) => ({ style, share: round3(styleCounts[s] / Math.max(1, sizes[k])) }))
      .filter((x) => x.share > 0)
      .sort((a, b) => b.share - a.share || (a.style < b.style ? -1 : 1));
    // A label names the capability only when it covers a real share of it (≥ 10%) and says
    // something: placeholder values such as "default" or "other" stay in the labels list only.
    const byShare = [...cap.labels].filter((l) => !PLACEHOLDER_LABEL.test(l.value.trim())).sort((a, b) => b.share - a.share);
    const label = (model.probe.source === 'label' ? byShare.find((l) => l.field === model.probe.field) : byShare[0]) ?? undefined;
    const parts = [cap.styles[0]?.style, label && label.share >= 0.1 ? label.value : undefined, cap.terms[0]];
    cap.name = parts.filter((p): p is string => !!p).join(' · ') || `capability ${k + 1}`;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
