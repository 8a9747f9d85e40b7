// The Capability Map's long jobs (quality report, strategy comparison): one at a time per panel,
// cancellable from the panel, errors shown in the panel; the last results are kept so a restored
// view, or "Open as Markdown", gets them back.
import * as vscode from 'vscode';
import { comparisonToMarkdown, reportToMarkdown } from '../../core/report/markdown';
import type { Comparison, QualityReport } from '../../core/report/types';
import type { HostToMap } from '../../protocol/capabilityMap';
import type { MapRun } from '../../protocol/mapData';
import { Disposable, toDisposable } from '../util/dispose';
import type { MapServices } from './panel';

type JobKind = 'quality' | 'compare';
type Work = (token: vscode.CancellationToken, progress: (message: string) => void) => Promise<void>;

export class MapJobs extends Disposable {
  private job: { kind: JobKind; cts: vscode.CancellationTokenSource } | undefined;
  private lastQuality: QualityReport | undefined;
  private lastComparison: Comparison | undefined;

  constructor(
    private readonly services: MapServices,
    private readonly log: vscode.LogOutputChannel,
    private readonly post: (m: HostToMap) => void,
  ) {
    super();
    this._register(toDisposable(() => this.cancel()));
  }

  cancel(): void {
    this.job?.cts.cancel();
  }

  /** The map shows another run or selection: a running job is cancelled and earlier results no longer describe it. */
  sourceChanged(sameRun: boolean): void {
    this.cancel();
    if (!sameRun) this.lastComparison = undefined;
    this.lastQuality = undefined;
  }

  /** A (re)loaded view gets the results and the job state it would otherwise have missed. */
  replay(): void {
    if (this.lastQuality) this.post({ type: 'quality', report: this.lastQuality });
    if (this.lastComparison) this.post({ type: 'comparison', data: this.lastComparison });
    if (this.job) this.post({ type: 'job', job: this.job.kind, running: true });
  }

  /** The last result of a kind as Markdown, or undefined when there is none. */
  markdown(what: JobKind): string | undefined {
    return what === 'quality'
      ? this.lastQuality && reportToMarkdown(this.lastQuality)
      : this.lastComparison && comparisonToMarkdown(this.lastComparison);
  }

  /** The quality report of the pool and the source's selection, shown in the panel and returned. */
  async quality(source: MapRun | undefined): Promise<QualityReport | undefined> {
    let result: QualityReport | undefined;
    await this.run(source, 'quality', 'Reading every sample…', async (token, progress) => {
      result = this.lastQuality = await this.services.quality(source!, token, progress);
      this.post({ type: 'quality', report: result });
    });
    return result;
  }

  /** Strategies compared at the source's budget, shown in the panel and returned. */
  async compare(source: MapRun | undefined, strategies: string[]): Promise<Comparison | undefined> {
    let result: Comparison | undefined;
    await this.run(source, 'compare', `Selecting with ${strategies.join(', ')}…`, async (token, progress) => {
      result = this.lastComparison = await this.services.compare(source!, strategies, token, progress);
      this.post({ type: 'comparison', data: result });
    });
    return result;
  }

  private async run(source: MapRun | undefined, kind: JobKind, message: string, work: Work): Promise<void> {
    if (!source) return void this.post({ type: 'error', message: 'No curation yet. Run CADC: Curate on a dataset.' });
    if (this.job) return void this.post({ type: 'error', message: 'Another job of this panel is running; cancel it first.' });
    const cts = new vscode.CancellationTokenSource();
    const job = (this.job = { kind, cts });
    this.post({ type: 'job', job: kind, running: true, message });
    try {
      await work(cts.token, (msg) => this.post({ type: 'job', job: kind, running: true, message: msg }));
    } catch (e) {
      if (!cts.token.isCancellationRequested) {
        this.log.error(`capability map ${kind}: ${(e as Error).message}`);
        this.post({
          type: 'error',
          message: `${kind === 'quality' ? 'Quality report' : 'Compare'} failed: ${(e as Error).message.split('\n')[0]}`,
        });
      }
    } finally {
      if (this.job === job) this.job = undefined;
      cts.dispose();
      this.post({ type: 'job', job: kind, running: false });
    }
  }
}
