// The one place onnxruntime-node is loaded and sessions are created. ORT is loaded lazily so that
// configureOrt() can switch its telemetry off first: ORT reads ORT_DISABLE_TELEMETRY when its
// environment is created, and otherwise writes a device id and an event queue under
// $XDG_CACHE_HOME (or ~/.cache)/Microsoft/DeveloperTools/.onnxruntime/.
import { availableParallelism } from 'node:os';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
let telemetry = false;
let threads = Math.max(1, availableParallelism());

/** Call before the first session. Telemetry stays off unless explicitly enabled. */
export function configureOrt(opts: { telemetry?: boolean; threads?: number }): void {
  if (opts.telemetry !== undefined) {
    if (ort && opts.telemetry !== telemetry) throw new Error('configureOrt: telemetry must be set before onnxruntime is loaded.');
    telemetry = opts.telemetry;
  }
  if (opts.threads !== undefined) threads = Math.max(1, Math.floor(opts.threads));
}

export function loadOrt(): Ort {
  if (!ort) {
    if (!telemetry) process.env.ORT_DISABLE_TELEMETRY = '1';
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, after the telemetry switch
    ort = require('onnxruntime-node') as Ort;
  }
  return ort;
}

export type Session = import('onnxruntime-node').InferenceSession;
export type OrtTensor = import('onnxruntime-node').Tensor;

export async function createSession(model: Uint8Array): Promise<Session> {
  const o = loadOrt();
  return o.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
}

export function tensor(type: 'float32' | 'int64' | 'int32', data: Float32Array | BigInt64Array | Int32Array, dims: number[]): OrtTensor {
  const o = loadOrt();
  return new o.Tensor(type, data, dims);
}

export function threadCount(): number {
  return threads;
}
