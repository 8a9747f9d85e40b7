// Starts the curation backend (dist/backend.js) on demand as a child Node process, talks JSON-RPC
// to it, restarts it on the next request if it died, and shuts it down with the extension.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { CancellationTokenSource, createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { MessageConnection, RequestType } from 'vscode-jsonrpc/node';
import type { ProgressEvent } from '../core/pipeline/types';
import type { Comparison, QualityReport } from '../core/report/types';
import { BackendError, compareRequest, curateRequest, logNotification, progressNotification, qualityRequest, shutdownRequest } from '../protocol/backend';
import type { CompareParams, CurateParams, CurateSummary, QualityParams } from '../protocol/backend';

export class CancelledByUser extends Error {}

export class BackendClient implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private onProgress: ((e: ProgressEvent) => void) | undefined;

  constructor(
    private readonly script: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private start(): MessageConnection {
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
    connection.onNotification(progressNotification, (e) => this.onProgress?.(e));
    connection.onNotification(logNotification, (m) => this.log[m.level](m.message));
    connection.listen();
    this.child = child;
    this.connection = connection;
    this.log.info(`backend started (pid ${child.pid})`);
    return connection;
  }

  /** Runs a curation; rejects with CancelledByUser when the token fires. */
  curate(params: CurateParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<CurateSummary> {
    return this.request(curateRequest, params, token, onProgress);
  }

  /** The quality report of a dataset and of a manifest's selection. */
  quality(params: QualityParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<QualityReport> {
    return this.request(qualityRequest, params, token, onProgress);
  }

  /** Strategies compared at one budget (features and trajectories from the cache). */
  compare(params: CompareParams, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<Comparison> {
    return this.request(compareRequest, params, token, onProgress);
  }

  /** One job at a time: the backend refuses a second one, so a caller sees a clear error. */
  private async request<P, R>(type: RequestType<P, R, void>, params: P, token: vscode.CancellationToken, onProgress: (e: ProgressEvent) => void): Promise<R> {
    const connection = this.start();
    const source = new CancellationTokenSource();
    const sub = token.onCancellationRequested(() => source.cancel());
    this.onProgress = onProgress;
    try {
      return await connection.sendRequest(type, params, source.token);
    } catch (e) {
      if (token.isCancellationRequested || (e instanceof ResponseError && e.code === BackendError.cancelled)) throw new CancelledByUser('cancelled');
      throw e;
    } finally {
      sub.dispose();
      source.dispose();
      this.onProgress = undefined;
    }
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null;
  }

  dispose(): void {
    const child = this.child;
    if (this.connection) void this.connection.sendRequest(shutdownRequest).catch(() => undefined);
    setTimeout(() => child?.kill(), 500);
    this.connection?.dispose();
  }
}
