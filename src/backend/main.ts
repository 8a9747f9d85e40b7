// The curation backend: a child Node process the extension talks to over JSON-RPC on stdio. A thin
// adapter over the application layer (src/app): it runs one job at a time, turns JSON-RPC
// cancellation into an AbortSignal, streams progress, and never dies of a job's error (the error
// goes back as a ResponseError whose code is the app's exit code, src/app/outcome.ts).
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { CancellationToken, RequestType } from 'vscode-jsonrpc/node';
import { compareToFiles } from '../app/compare';
import { curateToFiles } from '../app/curate';
import type { RunHooks } from '../app/curate';
import { EXIT, failureOutcome } from '../app/outcome';
import type { Failure } from '../app/outcome';
import { qualityReport } from '../app/quality';
import { restoreByRerun, RestoreRefused } from '../app/restore';
import { configureOrt } from '../core/ort/session';
import { CancelledError } from '../core/runtime/cancel';
import type { Logger } from '../core/runtime/log';
import {
  compareRequest,
  curateRequest,
  logNotification,
  progressType,
  qualityRequest,
  restoreRequest,
  shutdownRequest,
} from '../protocol/backend';
import type { JobParams } from '../protocol/backend';
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

/** A use case's failed outcome as the JSON-RPC error the extension receives. */
function replyError(outcome: Partial<Failure> & { code: number }): ResponseError<void> {
  return new ResponseError(outcome.code, outcome.message ?? `failed with ${outcome.code}`);
}

/** Runs one job: refuses a second, maps cancellation to an AbortSignal and errors to ResponseErrors. */
async function job<T>(params: JobParams, token: CancellationToken, work: (hooks: Required<RunHooks>) => Promise<T>): Promise<T> {
  if (typeof params?.progressToken !== 'string') throw new ResponseError(EXIT.failed, 'A job request needs a progressToken.');
  if (busy) throw new ResponseError(EXIT.failed, 'The backend is busy with another job; cancel it first.');
  busy = true;
  const controller = new AbortController();
  const sub = token.onCancellationRequested(() => controller.abort());
  try {
    return await work({
      signal: controller.signal,
      onProgress: (e) => void connection.sendProgress(progressType, params.progressToken, e),
      log,
    });
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

/** Registers a job request: its parameters (without the progress token) and the job's hooks go to `run`. */
function onJob<P, R>(type: RequestType<P & JobParams, R, void>, run: (params: P, hooks: Required<RunHooks>) => Promise<R>): void {
  connection.onRequest(type, ({ progressToken, ...params }, token) => job({ progressToken }, token, (hooks) => run(params as P, hooks)));
}

// The jobs: one line each, a use case of src/app and how its outcome becomes the reply.
onJob(curateRequest, async (params, hooks) => {
  const outcome = await curateToFiles(params, hooks);
  if (outcome.code !== EXIT.ok || !outcome.result) throw replyError(outcome);
  return outcome.result;
});
onJob(qualityRequest, (params, hooks) => qualityReport(params, hooks));
onJob(compareRequest, async ({ strategies, ...curate }, hooks) => {
  const outcome = await compareToFiles({ strategies, curate, json: true }, hooks);
  if (outcome.code !== EXIT.ok || !outcome.comparison) throw replyError(outcome);
  return outcome.comparison;
});

onJob(restoreRequest, async (params, hooks) => {
  try {
    return await restoreByRerun(params, hooks);
  } catch (e) {
    if (e instanceof RestoreRefused) throw new ResponseError(EXIT.usage, e.message);
    throw e;
  }
});

registerMapData(connection, log);

connection.onRequest(shutdownRequest, () => {
  setTimeout(() => process.exit(0), 10);
});
// Stdout carries the protocol; anything else printed goes to stderr.
console.log = (...a: unknown[]) => process.stderr.write(`${a.join(' ')}\n`);
connection.onClose(() => process.exit(0));
connection.listen();
