// The extension ↔ curation backend protocol (JSON-RPC over the backend's stdio, vscode-jsonrpc).
// The backend is a child Node process; every request can be cancelled through JSON-RPC's
// cancellation, which the backend turns into an AbortSignal.
import { NotificationType, ProgressType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { CurateArgs } from '../cli/args';
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
  diagnostics: { line: number; severity: string; code: string; message: string }[];
}

export type CurateParams = Omit<CurateArgs, 'command' | 'json' | 'quiet'>;

/** Error codes of a failed `curate` request (ResponseError.code); the CLI's exit codes, offset. */
export const BackendError = { unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

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
export const logNotification = new NotificationType<{ level: 'info' | 'warn' | 'error'; message: string }>('cadc/log');
export const shutdownRequest = new RequestType0<void, void>('cadc/shutdown');
