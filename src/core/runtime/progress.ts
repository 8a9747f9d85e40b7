// Progress of a curation run, shared by the engine, the CLI, the backend and the webview's protocol.
// Every run reports every stage of STAGES once, in this order: it runs (fraction 0 … 1) or it is
// reported as cached.

export const STAGES = ['read', 'featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'sequence'] as const;
export type StageName = (typeof STAGES)[number];

export interface ProgressEvent {
  stage: StageName;
  /** Fraction of this stage done, 0..1. */
  fraction: number;
  message?: string;
  /** The stage's result came from the cache: it is reported once, with fraction 1, and did not run. */
  cached?: boolean;
}

export type ProgressFn = (e: ProgressEvent) => void;
