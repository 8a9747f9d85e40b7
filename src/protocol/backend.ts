// The extension ↔ curation backend protocol (JSON-RPC over the backend's stdio, vscode-jsonrpc).
// The backend is a child Node process; every request can be cancelled through JSON-RPC's
// cancellation, which the backend turns into an AbortSignal.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { CurateArgs } from '../cli/args';
import type { ProgressEvent } from '../core/pipeline/types';

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
  stages: { id: string; capabilities: string[]; size: number }[];
  timingsMs: Record<string, number>;
  cacheHit: boolean;
  diagnosticCounts: Record<string, number>;
  diagnostics: { line: number; severity: string; code: string; message: string }[];
}

export type CurateParams = Omit<CurateArgs, 'command' | 'json' | 'quiet'>;

/** Error codes of a failed `curate` request (ResponseError.code); the CLI's exit codes, offset. */
export const BackendError = { unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

export const curateRequest = new RequestType<CurateParams, CurateSummary, void>('cadc/curate');
export const progressNotification = new NotificationType<ProgressEvent>('cadc/progress');
export const logNotification = new NotificationType<{ level: 'info' | 'warn' | 'error'; message: string }>('cadc/log');
export const shutdownRequest = new RequestType0<void, void>('cadc/shutdown');
