// Curations live in the repository: the committed manifests (`*.cadc.json`) of the workspace, found
// on activation and followed with a FileSystemWatcher, are matched to their datasets (path relative
// to the manifest, then sha256) and restored as the session's run — line tags, hovers, the status
// item and the Capability Map. Lazily: a manifest is read at once, its dataset hashed and restored
// when the dataset is opened (an editor or a tab) or the map asks for a run. From the cache's
// attribution table when it holds exactly the manifest's selection; otherwise, in a trusted
// workspace, by re-running the engine in the backend with the manifest's config and seed and
// checking the selection; otherwise (untrusted, or a re-run that disagrees) from the manifest alone.
// A dataset whose sha256 differs from its manifest is stale: said in the status item, a
// notification and a CodeLens, each with a one-click Re-curate.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManifestV1 } from '../core/curriculum/types';
import { fileSha256 } from '../core/pipeline/fileHash';
import { settingsToCurateParams } from '../app/options';
import { OutsideWorkspaceError } from '../app/confine';
import { curateParamsFromManifest, findDataset, readManifestFile } from '../app/restore';
import type { CurateParams } from '../protocol/backend';
import { CancelledByUser } from './backendClient';
import { progressText, runSettings } from './curateCommand';
import type { CurationSession } from './session';
import { Disposable } from './util/dispose';

const DATASET = /\.(jsonl|json)$/i;

export type RestoreState =
  /** Read, not yet matched to its dataset (nothing opened it yet). */
  | 'indexed'
  | 'checking'
  /** Restored with the attribution table (from the cache, or from a re-run that matched). */
  | 'restored'
  /** Restored from the manifest alone (selected samples; no map). */
  | 'manifest-only'
  /** The dataset changed since the manifest. */
  | 'stale'
  | 'no-dataset'
  | 'invalid'
  /** A re-run with the manifest's config and seed selected other samples. */
  | 'mismatch'
  | 'failed';

export interface RestoreStatus {
  manifest: string;
  dataset?: string;
  state: RestoreState;
  /** Where the shown curation came from. */
  source?: 'cache' | 'rerun' | 'manifest';
  detail?: string;
}

interface Entry extends RestoreStatus {
  parsed?: ManifestV1;
  pending?: Promise<void>;
  /** Set when the entry's dataset was opened or its run asked for: only those are restored. */
  wanted: boolean;
}

export interface RestorerDeps {
  session: CurationSession;
  log: vscode.LogOutputChannel;
  status: vscode.StatusBarItem;
  cacheDir: string;
}

export class ManifestRestorer extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly hashes = new Map<string, { key: string; sha: string }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lensChange = this._register(new vscode.EventEmitter<void>());
  private readonly changed = this._register(new vscode.EventEmitter<RestoreStatus>());
  /** A manifest's state changed (tests and automation wait on it). */
  readonly onDidChange = this.changed.event;
  private readonly notified = new Set<string>();
  private indexing: Promise<void> | undefined;
  /** Open datasets a manifest was looked for after the first scan. */
  private readonly lookedFor = new Set<string>();

  constructor(private readonly deps: RestorerDeps) {
    super();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher('**/*.cadc.json'));
    this._register(watcher.onDidCreate((u) => this.schedule(u)));
    this._register(watcher.onDidChange((u) => this.schedule(u)));
    this._register(watcher.onDidDelete((u) => this.remove(u)));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.restoreOpen()));
    this._register(vscode.window.onDidChangeActiveTextEditor((e) => e && this.follow(e.document.uri.fsPath)));
    this._register(vscode.window.tabGroups.onDidChangeTabs(() => this.restoreOpen()));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.retryUntrusted()));
    this._register(
      vscode.workspace.onDidSaveTextDocument((d) => {
        // A dataset saved in the editor: its hash (and so its match) may have changed.
        for (const e of this.entries.values()) if (e.dataset === d.uri.fsPath && e.wanted) this.schedule(vscode.Uri.file(e.manifest));
      }),
    );
    this._register(
      vscode.languages.registerCodeLensProvider([{ scheme: 'file', pattern: '**/*.{jsonl,json}' }], {
        onDidChangeCodeLenses: this.lensChange.event,
        provideCodeLenses: (doc) => this.lenses(doc),
      }),
    );
    deps.session.restoreHook = () => this.ensureCurrent();
    deps.session.restoreNote = () => this.note();
  }

  /** What the map says while there is no run: a restore under way, or a stale dataset. */
  private note(): string | undefined {
    const all = [...this.entries.values()];
    const busy = all.find((e) => e.pending || e.state === 'checking');
    if (busy) return `Restoring the curation of ${vscode.workspace.asRelativePath(busy.manifest)}…`;
    const stale = all.find((e) => e.wanted && e.state === 'stale');
    if (stale && !this.deps.session.manifest) return `${stale.detail}. Re-curate it (CADC: Curate) to see its map.`;
    return undefined;
  }

  /** Finds the workspace's manifests (in the background) and restores those whose datasets are open. */
  start(): Promise<void> {
    this.indexing = (async () => {
      const found = await vscode.workspace.findFiles('**/*.cadc.json', '**/node_modules/**', 1000);
      await Promise.all(found.map((u) => this.index(u)));
      this.restoreOpen();
    })().catch((e: Error) => this.deps.log.error(`restore: ${e.message}`));
    return this.indexing;
  }

  /** Every known manifest's state (tests and automation). */
  statuses(): RestoreStatus[] {
    return [...this.entries.values()].map(({ manifest, dataset, state, source, detail }) => ({ manifest, dataset, state, source, detail }));
  }

  /** Restores the manifest of a dataset (or a manifest itself) now; resolves with its state. */
  async restore(uri: vscode.Uri): Promise<RestoreStatus | undefined> {
    await this.indexing;
    const find = () => this.entries.get(uri.fsPath) ?? [...this.entries.values()].find((e) => e.dataset === uri.fsPath);
    if (!find()) await (uri.fsPath.endsWith('.cadc.json') ? this.index(uri) : this.start());
    const known = find();
    if (!known) return undefined;
    // Read afresh: the manifest may have changed since it was indexed (the watcher is debounced).
    await this.index(vscode.Uri.file(known.manifest));
    const entry = find();
    if (!entry) return undefined;
    entry.wanted = true;
    await this.run(entry, true);
    return this.statuses().find((s) => s.manifest === entry.manifest);
  }

  private schedule(uri: vscode.Uri): void {
    clearTimeout(this.timers.get(uri.fsPath));
    this.timers.set(
      uri.fsPath,
      setTimeout(() => {
        this.timers.delete(uri.fsPath);
        void this.index(uri).then(() => {
          const e = this.entries.get(uri.fsPath);
          if (e && (e.wanted || this.isOpen(e.dataset))) void this.run(e);
        });
      }, 300),
    );
  }

  private remove(uri: vscode.Uri): void {
    const e = this.entries.get(uri.fsPath);
    this.entries.delete(uri.fsPath);
    if (e?.dataset && this.deps.session.manifest?.fsPath === uri.fsPath) {
      this.deps.session.annotations.detach(e.dataset);
      this.deps.session.forget(e.dataset);
    }
    this.lensChange.fire();
  }

  /** Reads and validates a manifest, and finds its dataset (no hashing yet). */
  private async index(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file') return;
    const read = await readManifestFile(uri.fsPath);
    // The same object when it is known (a restore under way finishes on it), read afresh.
    const entry: Entry = this.entries.get(uri.fsPath) ?? { manifest: uri.fsPath, state: 'indexed', wanted: false };
    Object.assign(entry, { state: 'indexed', parsed: undefined, dataset: undefined, detail: undefined, source: undefined });
    if (!read.manifest) {
      entry.state = 'invalid';
      entry.detail = read.errors.join('; ');
      this.deps.log.warn(`restore: ${vscode.workspace.asRelativePath(uri)} is not a valid manifest: ${entry.detail}`);
    } else {
      entry.parsed = read.manifest;
      const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
      entry.dataset = findDataset(uri.fsPath, read.manifest.dataset.path, root);
      if (!entry.dataset) {
        entry.state = 'no-dataset';
        entry.detail = `${read.manifest.dataset.path} (relative to ${vscode.workspace.asRelativePath(path.dirname(uri.fsPath))}) is not in the workspace`;
        this.deps.log.info(`restore: ${vscode.workspace.asRelativePath(uri)}: its dataset ${entry.detail}`);
      }
    }
    this.entries.set(uri.fsPath, entry);
    this.fire(entry);
  }

  /** The files open in an editor or a tab (a tab without a text editor: a file too large to open as text). */
  private openFiles(): Set<string> {
    const out = new Set<string>();
    for (const e of vscode.window.visibleTextEditors) out.add(e.document.uri.fsPath);
    for (const g of vscode.window.tabGroups.all)
      for (const t of g.tabs) if (t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'file') out.add(t.input.uri.fsPath);
    return out;
  }

  private isOpen(file: string | undefined): boolean {
    return !!file && this.openFiles().has(file);
  }

  private restoreOpen(): void {
    const open = this.openFiles();
    const known = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.dataset) known.add(e.dataset);
      if (e.dataset && open.has(e.dataset) && e.state === 'indexed') {
        e.wanted = true;
        void this.run(e);
      }
    }
    // A dataset opened without a known manifest: look again, once per file (a file watcher can drop
    // events in a burst, e.g. a checkout or a copied folder of images, and miss a manifest).
    const unknown = [...open].filter((f) => DATASET.test(f) && !f.endsWith('.cadc.json') && !known.has(f) && !this.lookedFor.has(f));
    if (!unknown.length) return;
    for (const f of unknown) this.lookedFor.add(f);
    void (async () => {
      await this.indexing;
      const found = await vscode.workspace.findFiles('**/*.cadc.json', '**/node_modules/**', 1000);
      const fresh = found.filter((u) => !this.entries.has(u.fsPath));
      if (!fresh.length) return;
      await Promise.all(fresh.map((u) => this.index(u)));
      this.restoreOpen();
    })().catch((e: Error) => this.deps.log.error(`restore: ${e.message}`));
  }

  /**
   * The active editor shows another restored dataset: its run becomes the current one (status item
   * and map follow). Curations of this window are left alone: they are current until another is shown.
   */
  private follow(file: string): void {
    if (this.deps.session.isRunning || this.deps.session.dataset?.fsPath === file) return;
    const e = [...this.entries.values()].find((x) => x.dataset === file && !x.pending);
    if (e?.state === 'restored') this.restored(e, e.source === 'rerun' ? 'rerun' : 'cache');
    else if (e?.state === 'manifest-only') this.manifestOnly(e, e.detail ?? 'the manifest’s selection only');
  }

  private retryUntrusted(): void {
    for (const e of this.entries.values()) if (e.wanted && (e.state === 'manifest-only' || e.state === 'indexed')) void this.run(e, true);
  }

  /**
   * No current run (the map, Quality, Write Manifest ask): restores the manifest of the active
   * dataset, else of an open one, else the most recently written manifest.
   */
  private async ensureCurrent(): Promise<void> {
    await this.indexing;
    const candidates = [...this.entries.values()].filter((e) => e.dataset && e.parsed);
    if (!candidates.length) return;
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    const open = this.openFiles();
    const mtime = (f: string) => {
      try {
        return statSync(f).mtimeMs;
      } catch {
        return 0;
      }
    };
    const pick =
      candidates.find((e) => e.dataset === active) ??
      candidates.find((e) => open.has(e.dataset!)) ??
      candidates.sort((a, b) => mtime(b.manifest) - mtime(a.manifest))[0];
    pick.wanted = true;
    await this.run(pick, true);
  }

  private run(entry: Entry, again = false): Promise<void> {
    // One restore of a manifest at a time; a request during one runs after it (the manifest may have changed).
    if (entry.pending) return entry.pending.then(() => (entry.state === 'indexed' || again ? this.run(entry, again) : undefined));
    if (!again && entry.state !== 'indexed') return Promise.resolve();
    entry.pending = this.restoreEntry(entry)
      .catch((e: Error) => {
        entry.state = 'failed';
        entry.detail = e.message;
        this.deps.log.error(`restore: ${vscode.workspace.asRelativePath(entry.manifest)}: ${e.message}`);
      })
      .finally(() => {
        entry.pending = undefined;
        this.fire(entry);
      });
    return entry.pending;
  }

  private fire(entry: Entry): void {
    this.lensChange.fire();
    // An open map without a run follows what the restore says.
    const map = this.deps.session.map;
    if (map?.current && !this.deps.session.mapSource()) map.refresh();
    this.changed.fire({ manifest: entry.manifest, dataset: entry.dataset, state: entry.state, source: entry.source, detail: entry.detail });
  }

  private async restoreEntry(entry: Entry): Promise<void> {
    const m = entry.parsed;
    const dataset = entry.dataset;
    if (!m || !dataset) return;
    const { session, log } = this.deps;
    const rel = vscode.workspace.asRelativePath(entry.manifest);
    entry.state = 'checking';
    this.fire(entry);
    const sha = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `CADC: checking ${path.basename(dataset)} against ${rel}` },
      () => this.hash(dataset),
    );
    if (sha !== m.dataset.sha256) {
      entry.state = 'stale';
      entry.source = undefined;
      entry.detail = `${path.basename(dataset)} changed since ${rel} (sha256 ${sha.slice(0, 12)}…, the manifest has ${m.dataset.sha256.slice(0, 12)}…)`;
      log.info(`restore: ${entry.detail}`);
      if (session.annotations.shaFor(dataset) !== sha) session.annotations.detach(dataset);
      session.forget(dataset);
      this.showStale(entry, sha);
      return;
    }
    // The cache's table, when it is this manifest's run.
    const cached = await session.annotations.attachManifestRun(dataset, this.deps.cacheDir, m);
    if (cached === 'attached') return this.restored(entry, 'cache');
    if (cached !== 'missing') log.info(`restore: the cached run of ${path.basename(dataset)} is another selection (${cached.message})`);
    if (!vscode.workspace.isTrusted) {
      log.info(`restore: ${rel}: untrusted workspace, the engine does not run; showing the manifest's selection`);
      return this.manifestOnly(entry, 'untrusted workspace: the manifest’s selection only');
    }
    if (session.isRunning) return this.manifestOnly(entry, 'a curation was running; the manifest’s selection only');
    const rerun = await this.rerun(entry, m, dataset);
    if (rerun === undefined) return this.manifestOnly(entry, 're-run cancelled; the manifest’s selection only');
    if (!rerun.same) {
      entry.state = 'mismatch';
      entry.detail = `re-running ${rel} (seed ${m.config.seed}) selected other samples: ${rerun.difference}`;
      log.warn(`restore: ${entry.detail}`);
      session.annotations.attachManifest(dataset, m);
      session.recordRestored({ dataset, manifest: entry.manifest, sha256: m.dataset.sha256, cacheDir: null });
      entry.source = 'manifest';
      this.setStatus(`$(warning) CADC: ${path.basename(dataset)} — re-run differs`, entry.detail, 'cadc.curate', [
        vscode.Uri.file(dataset),
      ]);
      void vscode.window
        .showWarningMessage(
          `CADC: ${entry.detail}. The tags show the manifest's own selection; the map and the other capabilities' influence need a matching run.`,
          'Re-curate',
        )
        .then((a) => a && vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(dataset)));
      return;
    }
    const again = await session.annotations.attachManifestRun(dataset, this.deps.cacheDir, m);
    if (again === 'attached') return this.restored(entry, 'rerun');
    return this.manifestOnly(entry, 'the re-run left no attribution table in the cache');
  }

  private async rerun(entry: Entry, m: ManifestV1, dataset: string) {
    const { session, log } = this.deps;
    const uri = vscode.Uri.file(dataset);
    const cfg = vscode.workspace.getConfiguration('cadc', uri);
    let params;
    try {
      const where = runSettings(uri, cfg);
      params = settingsToCurateParams((key) => cfg.get(key.replace(/^cadc\./, '')), {
        dataset,
        out: path.dirname(entry.manifest),
        force: false,
        cache: this.deps.cacheDir,
        ...(where.imageRoot ? { imageRoot: where.imageRoot } : {}),
      });
    } catch (e) {
      if (!(e instanceof OutsideWorkspaceError)) throw e;
      log.warn(`restore: ${e.message}`);
      return undefined;
    }
    const rel = vscode.workspace.asRelativePath(entry.manifest);
    log.info(`restore: ${rel}: no attribution table of its run in the cache; re-running with its config (seed ${m.config.seed})`);
    this.setStatus(`$(sync~spin) CADC: restoring ${path.basename(entry.manifest)}…`, `Re-running ${rel} — click to cancel`, 'cadc.cancel');
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `CADC: restoring ${rel}`, cancellable: true },
      async (progress, token) => {
        const source = new vscode.CancellationTokenSource();
        const sub = token.onCancellationRequested(() => source.cancel());
        const job = session.beginJob(() => source.cancel());
        try {
          return await session.backend.restore({ manifest: entry.manifest, curate: params }, source.token, (e) =>
            progress.report({ message: progressText(e) }),
          );
        } catch (e) {
          if (e instanceof CancelledByUser) return undefined;
          throw e;
        } finally {
          job?.dispose();
          sub.dispose();
          source.dispose();
        }
      },
    );
  }

  private restored(entry: Entry, source: 'cache' | 'rerun'): void {
    const m = entry.parsed!;
    entry.state = 'restored';
    entry.source = source;
    entry.detail = undefined;
    this.deps.session.recordRestored({
      dataset: entry.dataset!,
      manifest: entry.manifest,
      sha256: m.dataset.sha256,
      cacheDir: this.deps.cacheDir,
      params: this.paramsOf(entry, m),
    });
    this.deps.log.info(
      `restore: ${vscode.workspace.asRelativePath(entry.manifest)} restored (${source === 'cache' ? 'from the cache' : 're-run, same selection'})`,
    );
    this.setStatus(
      `$(check) CADC: ${m.budget.selected} selected, ${m.capabilities.length} capabilities`,
      `CADC: ${vscode.workspace.asRelativePath(entry.manifest)} — click to show the Capability Map`,
      'cadc.showCapabilityMap',
    );
  }

  /** The parameters of the manifest's run (Compare re-uses them); undefined when untrusted or not expressible. */
  private paramsOf(entry: Entry, m: ManifestV1): CurateParams | undefined {
    if (!vscode.workspace.isTrusted) return undefined;
    const uri = vscode.Uri.file(entry.dataset!);
    const cfg = vscode.workspace.getConfiguration('cadc', uri);
    try {
      const where = runSettings(uri, cfg);
      const fromSettings = settingsToCurateParams((key) => cfg.get(key.replace(/^cadc\./, '')), {
        dataset: uri.fsPath,
        out: path.dirname(entry.manifest),
        force: false,
        cache: this.deps.cacheDir,
      });
      return curateParamsFromManifest(entry.manifest, m, {
        dataset: uri.fsPath,
        format: fromSettings.format,
        cache: this.deps.cacheDir,
        ...(where.imageRoot ? { imageRoot: where.imageRoot } : {}),
      });
    } catch (e) {
      if (e instanceof OutsideWorkspaceError) return undefined;
      throw e;
    }
  }

  private manifestOnly(entry: Entry, why: string): void {
    const m = entry.parsed!;
    this.deps.session.annotations.attachManifest(entry.dataset!, m);
    this.deps.session.recordRestored({ dataset: entry.dataset!, manifest: entry.manifest, sha256: m.dataset.sha256, cacheDir: null });
    entry.state = 'manifest-only';
    entry.source = 'manifest';
    entry.detail = why;
    this.setStatus(
      `$(book) CADC: ${m.budget.selected} selected (manifest)`,
      `CADC: ${vscode.workspace.asRelativePath(entry.manifest)} — ${why}`,
      'cadc.showCapabilityMap',
    );
  }

  private showStale(entry: Entry, sha: string): void {
    const dataset = vscode.Uri.file(entry.dataset!);
    this.setStatus(`$(warning) CADC: ${path.basename(dataset.fsPath)} changed`, `${entry.detail} — click to re-curate`, 'cadc.curate', [
      dataset,
    ]);
    const key = `${entry.manifest}:${sha}`;
    if (this.notified.has(key)) return;
    this.notified.add(key);
    void vscode.window
      .showWarningMessage(
        `CADC: ${path.basename(dataset.fsPath)} changed since its manifest ${vscode.workspace.asRelativePath(entry.manifest)}; the curation is not shown.`,
        'Re-curate',
      )
      .then((a) => a && vscode.commands.executeCommand('cadc.curate', dataset));
  }

  private setStatus(text: string, tooltip: string, command: string, args?: unknown[]): void {
    const { status } = this.deps;
    status.text = text;
    status.tooltip = tooltip;
    status.command = args ? { title: text, command, arguments: args } : command;
    status.show();
  }

  /** sha256 of a dataset, remembered by size and mtime (a change to either hashes again; a folder of shards: its shards'). */
  private async hash(file: string): Promise<string> {
    const st = statSync(file);
    const key = st.isDirectory()
      ? readdirSync(file)
          .filter((n) => n.endsWith('.parquet'))
          .sort()
          .map((n) => {
            const s = statSync(path.join(file, n));
            return `${n}:${s.size}:${s.mtimeMs}`;
          })
          .join('/')
      : `${st.size}:${st.mtimeMs}`;
    const known = this.hashes.get(file);
    if (known?.key === key) return known.sha;
    const sha = await fileSha256(file);
    this.hashes.set(file, { key, sha });
    return sha;
  }

  /** A stale dataset (and its manifest) get a Re-curate lens on their first line. */
  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const file = doc.uri.fsPath;
    const range = new vscode.Range(0, 0, 0, 0);
    const out: vscode.CodeLens[] = [];
    for (const e of this.entries.values()) {
      if (e.state !== 'stale' && e.state !== 'mismatch') continue;
      if (e.dataset !== file && e.manifest !== file) continue;
      const what =
        e.state === 'stale'
          ? `changed since ${vscode.workspace.asRelativePath(e.manifest)}`
          : `a re-run of ${vscode.workspace.asRelativePath(e.manifest)} differs`;
      out.push(
        new vscode.CodeLens(range, {
          title: `$(warning) CADC: ${path.basename(e.dataset!)} ${what} — Re-curate`,
          command: 'cadc.curate',
          arguments: [vscode.Uri.file(e.dataset!)],
        }),
      );
    }
    return out;
  }
}
