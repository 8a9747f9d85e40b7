// One interface for every selection strategy (CADC and the baselines of methods.md §2–§5).
import type { CurationConfig, StrategyName } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import type { CapabilityModel } from '../capabilities/types';
import type { Attribution } from '../influence/types';
import type { Rng } from '../util/rng';

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
  /** What the strategy needs beyond the pool. */
  needs: ('trajectories' | 'capabilities' | 'attribution')[];
  select(ctx: SelectionContext, budget: number): SelectionResult;
}
