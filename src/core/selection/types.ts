// One interface for every selection strategy (CADC and the baselines of docs/method.md §2–§5).
import type { CurationConfig, StrategyName } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import type { CapabilityModel } from '../capabilities/types';
import type { Attribution } from '../influence/types';
import type { Rng } from '../util/rng';
import type { CapabilityScores } from './scores';

export interface Duplicates {
  /** Representative (smallest index) of each sample's duplicate cluster; rep[i] === i for singletons. */
  rep: Int32Array;
  exactPairs: number;
  nearPairs: number;
}

export interface SelectionContext {
  pool: Pool;
  config: CurationConfig;
  /** Seeded generator; strategies must draw from it only. */
  rng: Rng;
  duplicates: Duplicates;
  trajectories?: Trajectories;
  capabilities?: CapabilityModel;
  attribution?: Attribution;
  /** Imported per-sample mmSSR capability scores (scores.ts), when the user gave a scores file. */
  scores?: CapabilityScores;
  /** Per-target-group influence for LESS and ICONS (strategies/groupInfluence.ts `computeGroupInfluence`, ORT GEMMs). */
  groupInfluence?: GroupInfluence;
}

/**
 * Influence of every sample on every target group s (a task label value, or a probe group):
 * Σ_t η_t cos(g(z,t), ḡ_s(t)) with ḡ_s(t) the group's mean normalised gradient (LESS, ICONS; §5).
 */
export interface GroupInfluence {
  /** Identifies the target groups it was computed for (e.g. `label:task_name`, `probe`), for reuse. */
  key: string;
  source: 'label' | 'probe';
  /** Label field when source = 'label'. */
  field?: string;
  names: string[];
  /** Pool samples per group. */
  sizes: Int32Array;
  G: number;
  /** Row-major [n, G]; a group with no samples has a column of zeros. */
  values: Float32Array;
}

export interface SelectionResult {
  strategy: StrategyName;
  /** Selected sample indices (unique, no two from one duplicate cluster). */
  selected: Int32Array;
  /** Per capability (when the strategy knows capabilities): quota and count taken. */
  perCapability?: { quota: number; taken: number }[];
  /** Human-readable remarks (e.g. "capability c3 ran short by 120, passed on"). */
  notes: string[];
}

export interface SelectionStrategy {
  name: StrategyName;
  /**
   * What the strategy needs beyond the pool. 'groupInfluence' must be computed (asynchronously, in
   * onnxruntime) before select is called: strategies/groupInfluence.ts `prepareSelection` does it.
   */
  needs: ('trajectories' | 'capabilities' | 'attribution' | 'groupInfluence')[];
  select(ctx: SelectionContext, budget: number): SelectionResult;
}
