// The curation backend: a child Node process the extension talks to over JSON-RPC on stdio. It runs
// one job at a time, turns JSON-RPC cancellation into an AbortSignal, streams progress, and never
// dies of a job's error (the error goes back as a ResponseError with the CLI's exit code).
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { curateToFiles, EXIT } from '../cli/curate';
import { configureOrt } from '../core/ort/session';
import type { Logger } from '../core/pipeline/types';
import { curateRequest, logNotification, progressNotification, shutdownRequest } from '../protocol/backend';

configureOrt({ telemetry: false });
const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const log: Logger = {
  info: (message) => void connection.sendNotification(logNotification, { level: 'info', message }),
  warn: (message) => void connection.sendNotification(logNotification, { level: 'warn', message }),
  error: (message) => void connection.sendNotification(logNotification, { level: 'error', message }),
  debug: () => undefined,
};
let busy = false;

connection.onRequest(curateRequest, async (params, token) => {
  if (busy) throw new ResponseError(EXIT.failed, 'A curation is already running in this backend.');
  busy = true;
  const controller = new AbortController();
  const sub = token.onCancellationRequested(() => controller.abort());
  try {
    const outcome = await curateToFiles(params, {
      signal: controller.signal,
      onProgress: (e) => void connection.sendNotification(progressNotification, e),
      log,
    });
    if (outcome.code !== EXIT.ok || !outcome.result) throw new ResponseError(outcome.code, outcome.message ?? `failed with ${outcome.code}`);
    return outcome.result;
  } finally {
    sub.dispose();
    busy = false;
  }
});
connection.onRequest(shutdownRequest, () => {
  setTimeout(() => process.exit(0), 10);
});
// Stdout carries the protocol; anything else printed goes to stderr.
console.log = (...a: unknown[]) => process.stderr.write(`${a.join(' ')}\n`);
connection.onClose(() => process.exit(0));
connection.listen();
