// The extension ↔ curation backend protocol (JSON-RPC over the backend's stdio, vscode-jsonrpc).
// The backend is a child Node process; every request can be cancelled through JSON-RPC's
// cancellation, which the backend turns into an AbortSignal. Depends only on core types: the
// application layer (src/app) and the CLI take their request and result types from here.
import { NotificationType, ProgressType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { BalanceRule, BudgetUnit, StrategyName, WithinCapabilityRule } from '../core/config';
import type { ProblemSummary } from '../core/dataset/problems';
import type { DatasetFormat } from '../core/dataset/types';
import type { ProgressEvent } from '../core/runtime/progress';
import type { Comparison, QualityReport } from '../core/report/types';

/** What a curation produced: the CLI's `--json` object and the backend's `curate` result. */
export interface CurateSummary {
  manifest: string;
  attributions?: string;
  dataset: string;
  sha256: string;
  cacheDir: string | null;
  samples: number;
  selected: number;
  invalidLines: number;
  capabilities: { id: string; name: string; size: number; selected: number }[];
  stages: { id: string; kind: 'capability' | 'alignment'; capabilities: string[]; size: number }[];
  /** The strategy's remarks (e.g. that CADC's capabilities stood in for missing mmSSR scores). */
  notes: string[];
  timingsMs: Record<string, number>;
  cacheHit: boolean;
  diagnosticCounts: Record<string, number>;
  /** Per-line diagnostics, at most 100 per code (src/core/dataset/parser.ts DIAGNOSTICS_PER_CODE); the summaries count them all. */
  diagnostics: { line: number; severity: string; code: string; message: string }[];
  /** One summary per diagnostic code (count, first lines, cause, fix), errors first (src/core/dataset/problems.ts). */
  problems?: ProblemSummary[];
}

/**
 * A curation request: what `cadc curate`'s options and the extension's settings describe (the
 * option table in src/app/options.ts says which option fills which field).
 */
export interface CurateParams {
  dataset: string;
  budget: number;
  /** How `budget` reads ('count' for `--budget 1`, 'fraction' for `5%`, `0.05`, `1.0`). */
  budgetUnit?: BudgetUnit;
  out: string;
  seed: number;
  capabilities: number | 'auto';
  /** Proxies the capability graph averages: 'auto' (until reliable, within a budget) or a count from 1 to 32. */
  proxies?: number | 'auto';
  strategy: StrategyName;
  within?: WithinCapabilityRule;
  balance?: BalanceRule;
  /** Final alignment stage: auto (on for task-balanced), on or off; the rest shape it. */
  alignment?: 'auto' | 'on' | 'off';
  alignmentSize?: number;
  alignmentLabel?: { field: string; values: string[] };
  alignmentMinChars?: number;
  imageRoot?: string;
  probe?: string;
  /** mmSSR capability scores file (JSONL or CSV). */
  scores?: string;
  /** A cadc.gradients/v1 folder whose trajectories replace the built-in proxy's. */
  gradients?: string;
  taskField?: string;
  styleField?: string;
  lossBand?: [number, number];
  iconsPercentile?: number;
  /** Top share of self-influence left out: 'auto' (cadc 10%, others 0) or a fraction in [0, 1). */
  selfInfluenceDrop?: number | 'auto';
  /** Also select flagged samples (missing image, `<image>` token mismatch); default false. */
  includeFlagged?: boolean;
  format: DatasetFormat | 'auto';
  attributions: boolean;
  force: boolean;
  cache: string | null | undefined; // undefined = default user cache; null = no cache
}

/*
 * A failed job request is a ResponseError whose code is the exit code of the same failure in the
 * CLI: the EXIT table of src/app/outcome.ts (3 unreadable, 4 exists, 5 failed, 130 cancelled).
 */

/**
 * Every job request names the token its progress is reported under (JSON-RPC `$/progress`), so
 * progress reaches the job it belongs to, also while the backend refuses a second job.
 */
export interface JobParams {
  progressToken: string;
}
export const progressType = new ProgressType<ProgressEvent>();

export const curateRequest = new RequestType<CurateParams & JobParams, CurateSummary, void>('cadc/curate');

/** The VLIT quality report of a dataset and of a manifest's selection. */
export interface QualityParams {
  dataset: string;
  manifest?: string;
  imageRoot?: string;
  confineTo?: string;
  /** The run's cache: per-capability figures for the whole pool come from its attribution table. */
  cacheDir?: string | null;
  sha256?: string;
}
export const qualityRequest = new RequestType<QualityParams & JobParams, QualityReport, void>('cadc/quality');

/** Strategies compared at one budget on one run's features and trajectories (from the cache). */
export type CompareParams = CurateParams & { strategies: string[] };
export const compareRequest = new RequestType<CompareParams & JobParams, Comparison, void>('cadc/compare');
/** A committed manifest restored by re-running the engine with its config and seed (src/app/restore.ts). */
export interface RestoreParams {
  manifest: string;
  /** The dataset's curate parameters from the settings (cache, image root, format); the config comes from the manifest. */
  curate: CurateParams;
}
/** What the re-run gave: `same` when it selected exactly the manifest's samples, in the same stages. */
export interface RestoreResult {
  manifest: string;
  dataset: string;
  sha256: string;
  cacheDir: string | null;
  samples: number;
  selected: number;
  same: boolean;
  /** What differs, when not the same. */
  difference: string;
}
export const restoreRequest = new RequestType<RestoreParams & JobParams, RestoreResult, void>('cadc/restore');
export const logNotification = new NotificationType<{ level: 'info' | 'warn' | 'error'; message: string }>('cadc/log');
export const shutdownRequest = new RequestType0<void, void>('cadc/shutdown');
