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
}

export function activate(context: vscode.ExtensionContext): CadcApi {
  const log = vscode.window.createOutputChannel('CADC', { log: true });
  const diagnostics = vscode.languages.createDiagnosticCollection('cadc');
  const status = vscode.window.createStatusBarItem('cadc.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'CADC';
  status.command = 'cadc.cancel';
  const s = new CurationSession(new BackendClient(context.asAbsolutePath('dist/backend.js'), log), new Annotations(log));
  const map = s.attachMap(new CapabilityMap(context.extensionUri, log, mapServices(context, s, log), () => s.mapSource()));
  context.subscriptions.push(
    s,
    diagnostics,
    status,
    ...registerCommands([
      new CurateCommand({ context, log, diagnostics, status, session: s }),
      new RevealSampleCommand(s),
      new ClearCacheCommand(s, vscode.Uri.joinPath(context.globalStorageUri, 'cache'), log),
      new ShowMapCommand(map),
      new QualityReportCommand(s, map),
      new CompareStrategiesCommand(s, map, () => strategyItems(context)),
      new WriteManifestCommand(s, log),
      new ExportCurriculumCommand(s, log),
      new CancelCommand(s),
    ]),
    // Last: the session logs while it shuts the backend down.
    log,
  );
  log.info(`CADC activated (trusted workspace: ${vscode.workspace.isTrusted})`);
  return {
    version: String(context.extension.packageJSON.version),
    isRunning: () => s.isRunning,
    capabilityMapMessage: async (message) => map.current?.receive(message),
  };
}

/** Nothing to do: disposing the session (a subscription) cancels a running curation and stops the backend. */
export function deactivate(): void {}
