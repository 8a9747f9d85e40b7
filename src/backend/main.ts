// The curation backend: a child Node process the extension talks to over JSON-RPC on stdio. It runs
// one job at a time (curate, quality, compare), turns JSON-RPC cancellation into an AbortSignal,
// streams progress, and never dies of a job's error (the error goes back as a ResponseError with the
// CLI's exit code).
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { CancellationToken } from 'vscode-jsonrpc/node';
import { curateToFiles, EXIT, failureOutcome } from '../cli/curate';
import { configureOrt } from '../core/ort/session';
import { CancelledError } from '../core/runtime/cancel';
import type { Logger } from '../core/runtime/log';
import { buildQualityReport } from '../core/report/report';
import { openCurationCache } from '../core/store/cache';
import { capabilityId } from '../core/capabilities/ids';
import { compareRequest, curateRequest, logNotification, progressType, qualityRequest, shutdownRequest } from '../protocol/backend';
import type { JobParams } from '../protocol/backend';
import type { ProgressFn } from '../core/runtime/progress';
import { compareForBackend } from './compare';
import { registerMapData } from './mapData';

configureOrt({ telemetry: false });
const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const log: Logger = {
  info: (message) => void connection.sendNotification(logNotification, { level: 'info', message }),
  warn: (message) => void connection.sendNotification(logNotification, { level: 'warn', message }),
  error: (message) => void connection.sendNotification(logNotification, { level: 'error', message }),
  debug: () => undefined,
};
let busy = false;

/** Runs one job: refuses a second, maps cancellation to an AbortSignal and errors to ResponseErrors. */
async function job<T>(params: JobParams, token: CancellationToken, work: (signal: AbortSignal, onProgress: ProgressFn) => Promise<T>): Promise<T> {
  if (typeof params?.progressToken !== 'string') throw new ResponseError(EXIT.failed, 'A job request needs a progressToken.');
  if (busy) throw new ResponseError(EXIT.failed, 'The backend is busy with another job; cancel it first.');
  busy = true;
  const controller = new AbortController();
  const sub = token.onCancellationRequested(() => controller.abort());
  try {
    return await work(controller.signal, (e) => void connection.sendProgress(progressType, params.progressToken, e));
  } catch (e) {
    if (e instanceof ResponseError) throw e;
    if (e instanceof CancelledError || controller.signal.aborted) throw new ResponseError(EXIT.cancelled, 'cancelled');
    const f = failureOutcome(e, 'job', 'cannot read the dataset'); // a DatasetReadError is exit 3, like the CLI's
    throw new ResponseError(f.code, f.code === EXIT.failed ? (e as Error).message : f.message);
  } finally {
    sub.dispose();
    busy = false;
  }
}

connection.onRequest(curateRequest, ({ progressToken, ...params }, token) =>
  job({ progressToken }, token, async (signal, onProgress) => {
    const outcome = await curateToFiles(params, { signal, onProgress, log });
    if (outcome.code !== EXIT.ok || !outcome.result) throw new ResponseError(outcome.code, outcome.message ?? `failed with ${outcome.code}`);
    return outcome.result;
  }),
);

connection.onRequest(qualityRequest, ({ progressToken, ...params }, token) =>
  job({ progressToken }, token, async (signal, onProgress) => {
    // Per-capability figures over the whole pool need every sample's capability: the run's table.
    let capabilities: { ofLine: Map<number, string> } | undefined;
    if (params.cacheDir && params.sha256) {
      const cache = await openCurationCache(params.cacheDir, log);
      try {
        const table = await cache.openAttributions(params.sha256);
        if (table) {
          const ofLine = new Map<number, string>();
          for (const r of table.scan()) ofLine.set(r.line, capabilityId(r.cap));
          capabilities = { ofLine };
        }
      } finally {
        cache.close();
      }
    }
    return buildQualityReport(params.dataset, {
      manifest: params.manifest,
      imageRoot: params.imageRoot,
      confineTo: params.confineTo,
      ...(capabilities ? { capabilities } : {}),
      signal,
      onProgress: (read, totalBytes) => onProgress({ stage: 'read', fraction: totalBytes ? read / totalBytes : 0 }),
    });
  }),
);

connection.onRequest(compareRequest, ({ progressToken, ...params }, token) =>
  job({ progressToken }, token, (signal, onProgress) => compareForBackend(params, { signal, onProgress, log })),
);

registerMapData(connection, log);

connection.onRequest(shutdownRequest, () => {
  setTimeout(() => process.exit(0), 10);
});
// Stdout carries the protocol; anything else printed goes to stderr.
console.log = (...a: unknown[]) => process.stderr.write(`${a.join(' ')}\n`);
connection.onClose(() => process.exit(0));
connection.listen();
