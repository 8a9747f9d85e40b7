// Composition root: logger, diagnostics, status bar and command registrations.
import * as vscode from 'vscode';
import { cancelCurrent, curate, isRunning } from './curateCommand';
import type { CurateOptions } from './curateCommand';

export interface CadcApi {
  version: string;
  /** Whether a curation is running (tests and automation). */
  isRunning(): boolean;
}

export function activate(context: vscode.ExtensionContext): CadcApi {
  const log = vscode.window.createOutputChannel('CADC', { log: true });
  const diagnostics = vscode.languages.createDiagnosticCollection('cadc');
  const status = vscode.window.createStatusBarItem('cadc.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'CADC';
  status.command = 'cadc.cancel';
  const deps = { context, log, diagnostics, status };
  context.subscriptions.push(
    log,
    diagnostics,
    status,
    vscode.commands.registerCommand('cadc.curate', (arg?: unknown, options?: CurateOptions) => curate(deps, arg, options)),
    vscode.commands.registerCommand('cadc.cancel', () => {
      if (!cancelCurrent()) void vscode.window.showInformationMessage('CADC: nothing is running.');
    }),
  );
  log.info(`CADC activated (trusted workspace: ${vscode.workspace.isTrusted})`);
  return { version: String(context.extension.packageJSON.version), isRunning };
}

export function deactivate(): void {
  cancelCurrent();
}
