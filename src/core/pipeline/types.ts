// Progress, cancellation and results of a curation run, shared by the CLI, the backend and tests.
// Every run reports every stage of STAGES once, in this order: it runs (fraction 0 … 1) or it is
// reported as cached.

export const STAGES = [
  'read',
  'featurise',
  'warm-up',
  'trajectories',
  'capabilities',
  'influence',
  'select',
  'sequence',
] as const;
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

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/** Thrown when an AbortSignal fires; callers treat it as a clean stop, not a failure. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
