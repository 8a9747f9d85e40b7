// Starts the curation backend (dist/backend.js) on demand as a child Node process, talks JSON-RPC
// to it, restarts it on the next request if it died, and shuts it down with the extension.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
// Types only: this module does not load `vscode`, so it runs (and is unit-tested) in plain Node.
import type * as vscode from 'vscode';
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { MessageConnection, RequestType } from 'vscode-jsonrpc/node';
import type { ProgressEvent } from '../core/runtime/progress';
import type { Comparison, QualityReport } from '../core/report/types';
import { EXIT } from '../app/outcome';
import {
  compareRequest,
  curateRequest,
  logNotification,
  progressType,
  qualityRequest,
  restoreRequest,
  shutdownRequest,
} from '../protocol/backend';
import type {
  CompareParams,
  CurateParams,
  CurateSummary,
  JobParams,
  QualityParams,
  RestoreParams,
  RestoreResult,
} from '../protocol/backend';
import { checkComparison, checkCurateSummary, checkLog, checkProgress, checkQualityReport, checkRestoreResult } from '../protocol/guards';
import type { Check } from '../protocol/guards';
import type { MapLayout, MapOverview, MapSamplePage } from '../protocol/capabilityMap';
import {
  checkMapLayout,
  checkMapLayoutProgress,
  checkMapOverview,
  checkMapSamplePage,
  mapLayoutProgress,
  mapLayoutRequest,
  mapOverviewRequest,
  mapReleaseNotification,
  mapSamplesRequest,
} from '../protocol/mapData';
import type { MapLayoutProgress, MapRun, SampleQuery } from '../protocol/mapData';
import { checkSamplePreview, sampleRequest } from '../protocol/sample';
import type { SampleParams, SamplePreview } from '../protocol/sample';
import { Disposable, toDisposable } from './util/dispose';

/** What the client needs of a log (the extension's LogOutputChannel). */
export type BackendLog = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;

export class CancelledByUser extends Error {}

export class BackendClient extends Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private jobs = 0;

  constructor(
    private readonly script: string,
    private readonly log: BackendLog,
  ) {
    super();
    // Asks the backend to exit, and kills it if it has not after half a second.
    this._register(
      toDisposable(() => {
        const child = this.child;
        if (this.connection) void this.connection.sendRequest(shutdownRequest).catch(() => undefined);
        setTimeout(() => child?.kill(), 500);
        this.connection?.dispose();
        this.connection = undefined;
      }),
    );
  }

  private start(): MessageConnection {
    if (this.isDisposed) throw new Error('The CADC backend is shut down.');
    if (this.connection && this.child && this.child.exitCode === null && !this.child.killed) return this.connection;
    const child = spawn(process.execPath, [this.script], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ORT_DISABLE_TELEMETRY: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.log.info(`[backend] ${line}`);
    });
    child.on('exit', (code, signal) => {
      this.log.info(`backend exited (${code ?? signal})`);
      if (this.child === child) {
        this.connection?.dispose();
        this.connection = undefined;
        this.child = undefined;
      }
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification(logNotification, (raw: unknown) => {
      const m = this.checked(checkLog, raw);
      if (m) this.log[m.level](m.message);
    });
    connection.listen();
    this.child = child;
    this.connection = connection;
    this.log.info(`backend started (pid ${child.pid})`);
    return connection;
  }

  /** Runs a curation; rejects with CancelledByUser when the token fires. */
  curate(params: CurateParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<CurateSummary> {
    return this.request(curateRequest, params, checkCurateSummary, token, onProgress);
  }

  /** The quality report of a dataset and of a manifest's selection. */
  quality(params: QualityParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<QualityReport> {
    return this.request(qualityRequest, params, checkQualityReport, token, onProgress);
  }

  /** Strategies compared at one budget (features and trajectories from the cache). */
  compare(params: CompareParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<Comparison> {
    return this.request(compareRequest, params, checkComparison, token, onProgress);
  }

  /** Re-runs a manifest's curation (its config and seed) and compares the selection; writes no manifest. */
  restore(params: RestoreParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<RestoreResult> {
    return this.request(restoreRequest, params, checkRestoreResult, token, onProgress);
  }

  /** The Capability Map's overview of a run (the PCA layout is computed in the backend). */
  async mapOverview(run: MapRun): Promise<MapOverview> {
    return checkMapOverview(await this.start().sendRequest(mapOverviewRequest, run));
  }

  /** The map's sample layout (UMAP of the trajectories, computed or read from the cache in the backend), with its progress. */
  async mapLayout(run: MapRun, onProgress: (p: MapLayoutProgress) => void): Promise<MapLayout> {
    const connection = this.start();
    const progressToken = `layout-${++this.jobs}`;
    const sub = connection.onProgress(mapLayoutProgress, progressToken, (raw: unknown) => {
      const p = this.checked(checkMapLayoutProgress, raw);
      if (p) onProgress(p);
    });
    try {
      return checkMapLayout(await connection.sendRequest(mapLayoutRequest, { source: run, progressToken }));
    } finally {
      sub.dispose();
    }
  }

  /** A page of the map's sample table (read from the run's attribution table in the backend). */
  async mapSamples(run: MapRun, query: SampleQuery): Promise<MapSamplePage> {
    return checkMapSamplePage(await this.start().sendRequest(mapSamplesRequest, { source: run, query }));
  }

  /** One sample as the editor shows it (turns, labels, a thumbnail), read by line in the backend. */
  async sample(params: SampleParams): Promise<SamplePreview> {
    return checkSamplePreview(await this.start().sendRequest(sampleRequest, params));
  }

  /** The map closed: a running backend frees the run's table (a stopped one is not started for this). */
  mapRelease(): void {
    if (this.connection && this.running) void this.connection.sendNotification(mapReleaseNotification).catch(() => undefined);
  }

  /** A backend message checked against its protocol shape; logged and dropped when it is not. */
  private checked<T>(check: Check<T>, raw: unknown): T | undefined {
    try {
      return check(raw);
    } catch (e) {
      this.log.warn(`backend: ignored a malformed message (${(e as Error).message})`);
      return undefined;
    }
  }

  /**
   * One job at a time: the backend refuses a second one, so a caller sees a clear error. Each job's
   * progress arrives under its own token, so a refused job neither receives nor silences another's.
   */
  private async request<P, R>(
    type: RequestType<P & JobParams, R, void>,
    params: P,
    check: Check<R>,
    token: vscode.CancellationToken,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<R> {
    const connection = this.start();
    const source = new CancellationTokenSource();
    const sub = token.onCancellationRequested(() => source.cancel());
    const progressToken = `job-${++this.jobs}`;
    const progress = connection.onProgress(progressType, progressToken, (raw: unknown) => {
      const e = this.checked(checkProgress, raw);
      if (e) onProgress(e);
    });
    try {
      // A reply that lacks what the extension relies on fails the job (ProtocolError).
      return check(await connection.sendRequest(type, { ...params, progressToken }, source.token));
    } catch (e) {
      if (token.isCancellationRequested || (e instanceof ResponseError && e.code === EXIT.cancelled))
        throw new CancelledByUser('cancelled');
      throw e;
    } finally {
      sub.dispose();
      source.dispose();
      progress.dispose();
    }
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null;
  }
}
