// The extension's state in one place: the current run (dataset, manifest, the cache entry of its
// attribution table), the parameters of the last curation per dataset (Compare re-uses them), the
// running curation (so it can be cancelled), and the services that act on them: the backend
// client, the annotations and the Capability Map. Disposing the session disposes them, once.
import * as vscode from 'vscode';
import type { CurateParams, CurateSummary } from '../protocol/backend';
import type { MapRun } from '../protocol/mapData';
import type { Annotations } from './annotations';
import type { BackendClient } from './backendClient';
import type { CapabilityMap } from './capabilityMap/map';
import { Disposable, toDisposable } from './util/dispose';
import type { IDisposable } from './util/dispose';

interface CurrentRun {
  dataset: vscode.Uri;
  manifest: vscode.Uri;
  cacheDir: string | null;
  sha256: string;
  /** Counts the curations of this window: the backend keeps one run's table open, keyed by it. */
  run: number;
}

export class CurationSession extends Disposable {
  private current: CurrentRun | undefined;
  private runs = 0;
  /** The parameters of the last successful curation per dataset: Compare re-uses them (same cache keys). */
  private readonly params = new Map<string, CurateParams>();
  private job: { cancel(): void } | undefined;
  private mapService: CapabilityMap | undefined;

  constructor(
    readonly backend: BackendClient,
    readonly annotations: Annotations,
  ) {
    super();
    this._register(backend);
    this._register(annotations);
    this._register(toDisposable(() => this.cancel()));
  }

  /** The Capability Map, owned by the session from here on; it follows the current run. */
  attachMap(map: CapabilityMap): CapabilityMap {
    this.mapService = this._register(map);
    return map;
  }

  get map(): CapabilityMap | undefined {
    return this.mapService;
  }

  /** The dataset of the current run. */
  get dataset(): vscode.Uri | undefined {
    return this.current?.dataset;
  }

  /** The manifest of the current run. */
  get manifest(): vscode.Uri | undefined {
    return this.current?.manifest;
  }

  /** What the map shows: the current run, when its attribution table is in the cache and attached. */
  mapSource(): MapRun | undefined {
    const r = this.current;
    if (!r?.cacheDir || this.annotations.shaFor(r.dataset.fsPath) !== r.sha256) return undefined;
    return { manifest: r.manifest.fsPath, dataset: r.dataset.fsPath, cacheDir: r.cacheDir, sha256: r.sha256, run: r.run };
  }

  lastParams(datasetPath: string): CurateParams | undefined {
    return this.params.get(datasetPath);
  }

  /**
   * A committed manifest was restored: it becomes the current run. `cacheDir` is null when only the
   * manifest is available (no attribution table of its run): the map has nothing to show then.
   */
  recordRestored(r: { dataset: string; manifest: string; sha256: string; cacheDir: string | null; params?: CurateParams }): void {
    // Compare re-uses a run's parameters: those of the manifest's run, when its config can be expressed so.
    if (r.params && r.cacheDir) this.params.set(r.dataset, r.params);
    const same = this.current?.manifest.fsPath === r.manifest && this.current.sha256 === r.sha256 && this.current.cacheDir === r.cacheDir;
    if (same) return;
    this.makeCurrent(r);
  }

  /** The run at these paths becomes the current one (a new run number), and an open map shows it. */
  private makeCurrent(r: { dataset: string; manifest: string; cacheDir: string | null; sha256: string }): void {
    this.current = {
      dataset: vscode.Uri.file(r.dataset),
      manifest: vscode.Uri.file(r.manifest),
      cacheDir: r.cacheDir,
      sha256: r.sha256,
      run: ++this.runs,
    };
    this.mapService?.refresh();
  }

  /** Forgets the current run when it is this dataset's (its file changed since). */
  forget(dataset: string): void {
    if (this.current?.dataset.fsPath !== dataset) return;
    this.current = undefined;
    this.mapService?.refresh();
  }

  /** Set by the restorer: finds a committed curation to show when there is no current run. */
  restoreHook: (() => Promise<void>) | undefined;
  /** Set by the restorer: why there is no map to show (restoring, manifest only), when it knows. */
  restoreNote: (() => string | undefined) | undefined;

  /** What the map says while it has no run to show. */
  mapPlaceholder(): string {
    const note = this.restoreNote?.();
    if (note) return note;
    if (this.current && !this.current.cacheDir)
      return `${vscode.workspace.asRelativePath(this.current.manifest)} is shown from the manifest alone: the map needs the attribution table of its run (trust the workspace, or re-curate).`;
    return 'No curation yet. Run CADC: Curate on a dataset, or open a dataset whose manifest (*.cadc.json) is in the workspace.';
  }

  /** Makes sure there is a current run when one can be restored from a committed manifest. */
  async ensureRun(): Promise<void> {
    if (!this.current && this.restoreHook) await this.restoreHook();
  }

  /** A curation finished: it becomes the current run, and an open map shows it. */
  recordRun(result: CurateSummary, params: CurateParams): void {
    this.params.set(result.dataset, { ...params, force: false });
    this.makeCurrent(result);
  }

  get isRunning(): boolean {
    return this.job !== undefined;
  }

  /** Marks a curation as running until the returned handle is disposed; undefined when one already runs. */
  beginJob(cancel: () => void): IDisposable | undefined {
    if (this.job) return undefined;
    const job = { cancel };
    this.job = job;
    return toDisposable(() => {
      if (this.job === job) this.job = undefined;
    });
  }

  /** Cancels the running curation; false when nothing runs. */
  cancel(): boolean {
    if (!this.job) return false;
    this.job.cancel();
    return true;
  }
}
