// The attribution table: one row per sample (what the attributions JSONL holds and a hover shows),
// stored in the cache beside the run's features and trajectories.

/** One line of the attributions JSONL, also what a hover shows. */
export interface AttributionRow {
  line: number;
  id: string;
  /** Hard label, as capability id `c<k>`. */
  capability: string;
  /** I_k(z) per capability id. */
  influence: Record<string, number>;
  selfInfluence: number;
  /** Loss at the last checkpoint. */
  loss: number;
  style: string;
  selected: boolean;
  /** Stage id `s<k>` or null when not selected. */
  stage: string | null;
}
