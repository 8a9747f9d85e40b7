// The backend's `compare` job: the CLI's comparison without files (json: true), its outcome codes
// turned into JSON-RPC errors like curate's.
import { ResponseError } from 'vscode-jsonrpc/node';
import { compareToFiles } from '../cli/compare';
import { EXIT } from '../cli/curate';
import type { Logger } from '../core/runtime/log';
import type { ProgressFn } from '../core/runtime/progress';
import type { Comparison } from '../core/report/types';
import type { CompareParams } from '../protocol/backend';

export async function compareForBackend(params: CompareParams, hooks: { signal?: AbortSignal; onProgress?: ProgressFn; log?: Logger }): Promise<Comparison> {
  const { strategies, ...curate } = params;
  const outcome = await compareToFiles({ strategies, curate: { ...curate, command: 'curate', json: true, quiet: true } }, hooks);
  if (outcome.code !== EXIT.ok || !outcome.comparison) throw new ResponseError(outcome.code, outcome.message ?? `failed with ${outcome.code}`);
  return outcome.comparison;
}
