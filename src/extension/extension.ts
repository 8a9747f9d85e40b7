// Composition root: creates the services (log, diagnostics, status bar, backend client, annotations,
// the curation session and its Capability Map), registers the command classes, and owns nothing else.
import * as vscode from 'vscode';
import { Annotations } from './annotations';
import { BackendClient } from './backendClient';
import { CapabilityMap } from './capabilityMap/map';
import { mapServices } from './capabilityMap/services';
import { registerCommands } from './commands/command';
import { ExportCurriculumCommand } from './commands/export';
import { CompareStrategiesCommand, QualityReportCommand, ShowMapCommand } from './commands/map';
import { CancelCommand, ClearCacheCommand, RevealSampleCommand } from './commands/run';
import { WriteManifestCommand } from './commands/writeManifest';
import { CurateCommand, strategyItems } from './curateCommand';
import { SetImageRootCommand } from './problems';
import { ManifestRestorer } from './restore';
import { watchParquetFolders } from './parquetFolders';
import { SampleDocuments } from './sampleDocuments';
import type { RestoreStatus } from './restore';
import { CurationSession } from './session';

export interface CadcApi {
  version: string;
  /** Whether a curation is running (tests and automation). */
  isRunning(): boolean;
  /**
   * Hands a message to the open Capability Map exactly as if its webview had posted it (tests send
   * hostile ones): resolves with whether it was accepted, undefined when no map is open.
   */
  capabilityMapMessage(message: unknown): Promise<boolean | undefined>;
  /** The workspace's committed manifests and how far each was restored. */
  restoreStatuses(): RestoreStatus[];
  /** Restores the manifest of a dataset (or a manifest) now, as opening the dataset would; resolves with its state. */
  restore(uri: vscode.Uri): Promise<RestoreStatus | undefined>;
  /** The line tag drawn on a dataset's line (1-based), if any. */
  lineTag(file: string, line: number): string | undefined;
  /** Whether the backend process (the engine) is running. */
  backendRunning(): boolean;
  /** The current run's manifest and whether the map has a run to show. */
  currentRun(): { manifest?: string; dataset?: string; map: boolean };
}

export function activate(context: vscode.ExtensionContext): CadcApi {
  const log = vscode.window.createOutputChannel('CADC', { log: true });
  const diagnostics = vscode.languages.createDiagnosticCollection('cadc');
  const status = vscode.window.createStatusBarItem('cadc.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'CADC';
  status.command = 'cadc.showCapabilityMap';
  const s = new CurationSession(
    new BackendClient(context.asAbsolutePath('dist/backend.js'), log),
    new Annotations(log, vscode.Uri.joinPath(context.extensionUri, 'media', 'annotations', 'selected.svg')),
  );
  const restorer = new ManifestRestorer({
    session: s,
    log,
    status,
    cacheDir: vscode.Uri.joinPath(context.globalStorageUri, 'cache').fsPath,
  });
  const samples = new SampleDocuments(s.backend, s.annotations, (dataset) => s.lastParams(dataset)?.imageRoot);
  const map = s.attachMap(new CapabilityMap(context.extensionUri, log, mapServices(context, s, log, samples), () => s.mapSource()));
  context.subscriptions.push(
    s,
    samples,
    watchParquetFolders(),
    restorer,
    diagnostics,
    status,
    ...registerCommands([
      new CurateCommand({ context, log, diagnostics, status, session: s }),
      new RevealSampleCommand(s, samples),
      new ClearCacheCommand(s, vscode.Uri.joinPath(context.globalStorageUri, 'cache'), log),
      new ShowMapCommand(map),
      new QualityReportCommand(s, map),
      new CompareStrategiesCommand(s, map, () => strategyItems(context)),
      new WriteManifestCommand(s, log),
      new ExportCurriculumCommand(s, log),
      new CancelCommand(s),
      new SetImageRootCommand(log),
    ]),
    // Last: the session logs while it shuts the backend down.
    log,
  );
  log.info(`CADC activated (trusted workspace: ${vscode.workspace.isTrusted})`);
  // In the background: activation does not wait for the manifests to be found or restored.
  void restorer.start();
  return {
    version: String(context.extension.packageJSON.version),
    isRunning: () => s.isRunning,
    capabilityMapMessage: async (message) => map.current?.receive(message),
    restoreStatuses: () => restorer.statuses(),
    restore: (uri) => restorer.restore(uri),
    lineTag: (file, line) => s.annotations.tagAt(file, line),
    backendRunning: () => s.backend.running,
    currentRun: () => ({ manifest: s.manifest?.fsPath, dataset: s.dataset?.fsPath, map: !!s.mapSource() }),
  };
}

/** Nothing to do: disposing the session (a subscription) cancels a running curation and stops the backend. */
export function deactivate(): void {}
