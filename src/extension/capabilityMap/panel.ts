// The Capability Map panel (host side): one webview panel, its lifecycle and the dispatch of the
// webview's messages (checked against the protocol's schema first). The data comes from the
// backend (MapServices.overview/samples); HTML in html.ts, renames in src/app/rename.ts, the long
// jobs in jobs.ts.
import * as vscode from 'vscode';
import { cleanCapabilityName } from '../../core/capabilities/ids';
import type { Comparison, QualityReport } from '../../core/report/types';
import type { HostToMap, MapLayout, MapOverview, MapSamplePage, MapStrategy, MapToHost } from '../../protocol/capabilityMap';
import { checkMapMessage } from '../../protocol/guards';
import type { MapRun, SampleQuery } from '../../protocol/mapData';
import { Disposable } from '../util/dispose';
import { mapHtml } from './html';
import { MapJobs } from './jobs';
import { renameInManifest } from '../../app/rename';

/** What the panel asks of the rest of the extension (the backend does the work). */
export interface MapServices {
  /** The run's overview, with the layout of every sample (computed in the backend). */
  overview(source: MapRun): Promise<MapOverview>;
  /** The sample map's layout (computed, or read from the cache, in the backend), with its progress. */
  layout(source: MapRun, progress: (fraction: number, message: string) => void): Promise<MapLayout>;
  /** A page of the sample table (read in the backend). */
  samples(source: MapRun, query: SampleQuery): Promise<MapSamplePage>;
  /** Shows a sample: its line, or a Parquet pool's read-only preview document. */
  reveal(source: MapRun, line: number): Promise<void>;
  /** A sample's image as a thumbnail (a checked data URI), or why there is none. */
  image(source: MapRun, line: number): Promise<{ dataUri?: string; width?: number; height?: number; note?: string }>;
  /** No map is open any more: the backend may free the run's table. */
  release(): void;
  /** Re-select at a new budget (a cached re-run). */
  reselect(budget: string): void;
  /** Strategies the Compare view offers. */
  strategies(): MapStrategy[];
  /** What the map says while it has no run to show (restoring, manifest only, nothing yet). */
  placeholder(): string;
  /** Asks for a run when there is none (a committed manifest is restored). */
  ensureRun(): Promise<void>;
  /** Quality report of the pool and of the source's selection. */
  quality(source: MapRun, token: vscode.CancellationToken, progress: (message: string) => void): Promise<QualityReport>;
  /** The strategies compared at the source's budget. */
  compare(source: MapRun, strategies: string[], token: vscode.CancellationToken, progress: (message: string) => void): Promise<Comparison>;
}

export class CapabilityMapPanel extends Disposable {
  private source: MapRun | undefined;
  private readonly jobs: MapJobs;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly services: MapServices,
  ) {
    super();
    this.jobs = this._register(new MapJobs(services, log, (m) => this.post(m)));
    panel.webview.html = mapHtml(panel.webview, extensionUri);
    // The panel's own close and our dispose() meet here: whichever comes first, the other is a no-op.
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    this._register(panel);
  }

  setSource(source: MapRun | undefined): void {
    const sameRun = source?.manifest === this.source?.manifest && source?.dataset === this.source?.dataset;
    this.jobs.sourceChanged(sameRun);
    this.source = source;
    if (!source) this.post({ type: 'busy', busy: true, message: this.services.placeholder() });
    void this.sendOverview();
  }

  /** Scrolls the map to one of its sections (Quality Report and Compare from the palette). */
  revealSection(section: 'quality' | 'compare'): void {
    this.post({ type: 'reveal', section });
  }

  reveal(): void {
    this.panel.reveal();
  }

  runQuality(): Promise<QualityReport | undefined> {
    return this.jobs.quality(this.source);
  }

  runCompare(strategies: string[]): Promise<Comparison | undefined> {
    return this.jobs.compare(this.source, strategies);
  }

  private post(m: HostToMap): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(m);
  }

  private async sendOverview(): Promise<void> {
    const source = this.source;
    if (!source) return;
    try {
      this.post({ type: 'busy', busy: true, message: 'Loading the run…' });
      const data = await this.services.overview(source);
      // The dataset as the curator sees it in the Explorer: relative to its workspace folder.
      const display = vscode.workspace.asRelativePath(source.dataset, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
      this.post({ type: 'overview', data: { ...data, dataset: { ...data.dataset, display } } });
    } catch (e) {
      this.post({ type: 'error', message: `Could not load the run: ${(e as Error).message}` });
      return;
    } finally {
      this.post({ type: 'busy', busy: false });
    }
    void this.sendLayout(source);
  }

  /** The sample map follows the overview: computed in the backend (progress shown in the map), never blocking the host. */
  private async sendLayout(source: MapRun): Promise<void> {
    try {
      const data = await this.services.layout(source, (fraction, message) => {
        if (this.source === source) this.post({ type: 'layoutProgress', fraction, message });
      });
      if (this.source === source) this.post({ type: 'layout', data });
    } catch (e) {
      this.log.warn(`capability map: no sample map (${(e as Error).message})`);
      if (this.source === source)
        this.post({ type: 'error', message: `The sample map could not be laid out: ${(e as Error).message.split('\n')[0]}` });
    }
  }

  /**
   * Handles one message from the webview. Untrusted input: anything that is not a message of the
   * protocol (checked against its schema) is rejected with a log line; a failing handler is logged
   * and reported to the panel, never left as an unhandled rejection. Resolves with whether the
   * message was accepted (tests send hostile messages through here).
   */
  async receive(raw: unknown): Promise<boolean> {
    let m: MapToHost;
    try {
      m = checkMapMessage(raw);
    } catch (e) {
      this.log.warn(`capability map: rejected a message from the webview (${(e as Error).message})`);
      return false;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.log.error(`capability map ${m.type}: ${(e as Error).message}`);
      this.post({
        type: 'error',
        ...(m.type === 'getSamples' ? { requestId: m.requestId } : {}),
        message: (e as Error).message.split('\n')[0],
      });
    }
    return true;
  }

  private async handle(m: MapToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.post({ type: 'strategies', items: this.services.strategies() });
        // No run (yet): a placeholder in place of "Loading…", not an error under a map loaded later.
        if (!this.source) return void this.post({ type: 'busy', busy: true, message: this.services.placeholder() });
        await this.sendOverview();
        this.jobs.replay();
        return;
      case 'getSamples': {
        if (!this.source) return;
        const { type: _type, requestId, ...query } = m;
        this.post({ type: 'samples', requestId, page: await this.services.samples(this.source, query) });
        return;
      }
      case 'reveal':
        if (this.source) await this.services.reveal(this.source, m.line);
        return;
      case 'getImage':
        if (this.source) this.post({ type: 'image', line: m.line, ...(await this.services.image(this.source, m.line)) });
        return;
      case 'reselect':
        this.services.reselect(m.budget);
        return;
      case 'runQuality':
        await this.runQuality();
        return;
      case 'runCompare':
        await this.runCompare(m.strategies);
        return;
      case 'cancelJob':
        this.jobs.cancel();
        return;
      case 'openMarkdown': {
        // An untitled document: nothing is written until the user saves it where they choose.
        const content = this.jobs.markdown(m.what);
        if (content)
          await vscode.window.showTextDocument(
            await vscode.workspace.openTextDocument({ language: 'markdown', content }),
            vscode.ViewColumn.One,
          );
        return;
      }
      case 'rename': {
        if (!this.source) return;
        const name = cleanCapabilityName(m.name);
        if (!name) return;
        await renameInManifest(this.source.manifest, new Map([[m.capability, name]]));
        this.log.info(`capability ${m.capability} renamed to ${JSON.stringify(name)}`);
        await this.sendOverview();
        return;
      }
    }
  }
}
