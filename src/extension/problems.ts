// A curation's dataset problems in VS Code: the per-line diagnostics (at most 100 per code, as the
// reader keeps them) plus one summary diagnostic per code at its first line; one notification per
// problem that a setting fixes, with a button that runs the fix (a folder picker that stores
// `cadc.dataset.imageRoot` for the dataset's workspace folder); and the serious problems in one
// sentence for the result message (src/core/dataset/problems.ts `seriousProblemsText`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { confinedDir, OutsideWorkspaceError } from '../app/confine';
import type { ProblemSummary } from '../core/dataset/problems';
import type { CurateSummary } from '../protocol/backend';
import type { Command } from './commands/command';

export { seriousProblemsText } from '../core/dataset/problems';

function severityOf(s: string): vscode.DiagnosticSeverity {
  return s === 'error'
    ? vscode.DiagnosticSeverity.Error
    : s === 'warning'
      ? vscode.DiagnosticSeverity.Warning
      : vscode.DiagnosticSeverity.Information;
}

function lineRange(line: number): vscode.Range {
  const l = Math.max(0, line - 1);
  return new vscode.Range(l, 0, l, Number.MAX_SAFE_INTEGER);
}

/** The message of a code's summary diagnostic: the numbers, the fix, and how many lines are not listed. */
export function summaryMessage(p: ProblemSummary): string {
  const unlisted = p.count - p.shown;
  return `${p.headline}. Likely cause: ${p.cause}. Fix: ${p.fix}.${unlisted > 0 ? ` (${unlisted.toLocaleString('en-US')} more not listed.)` : ''}`;
}

/** The run's problems in the Problems panel: a summary per code (repeated ones) and the per-line ones kept. */
export function showDiagnostics(diagnostics: vscode.DiagnosticCollection, uri: vscode.Uri, result: CurateSummary): void {
  const make = (line: number, message: string, severity: string, code: string) => {
    const diag = new vscode.Diagnostic(lineRange(line), message, severityOf(severity));
    diag.source = 'cadc';
    diag.code = code;
    return diag;
  };
  const summaries = (result.problems ?? [])
    .filter((p) => p.count > 1 && p.lines.length > 0)
    .map((p) => make(p.lines[0], summaryMessage(p), p.severity, `${p.code} (summary)`));
  diagnostics.set(uri, [...summaries, ...result.diagnostics.map((d) => make(d.line, d.message, d.severity, d.code))]);
}

/**
 * One notification per problem a setting fixes (e.g. no image path resolving), with a button that
 * runs the fix; "Curate Again" afterwards. Resolves when the notifications are shown, not answered.
 */
export function offerFixes(dataset: vscode.Uri, problems: readonly ProblemSummary[] | undefined, log: vscode.LogOutputChannel): void {
  for (const p of problems ?? []) {
    if (p.action?.action !== 'pickFolder') continue;
    void vscode.window
      .showWarningMessage(`CADC: ${p.headline}. ${capitalise(p.cause)}.`, 'Set Image Root…', 'Show Problems')
      .then(async (a) => {
        if (a === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
        if (a !== 'Set Image Root…') return;
        const value = await setImageRoot(dataset, undefined, log);
        if (!value) return;
        const again = await vscode.window.showInformationMessage(
          `CADC: image paths now resolve against ${value} (cadc.dataset.imageRoot, this workspace folder). Curate again to use it.`,
          'Curate Again',
        );
        if (again) await vscode.commands.executeCommand('cadc.curate', dataset);
      });
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** CADC: Set Image Root… — the fix of the image problems as a command (the notification's button runs the same). */
export class SetImageRootCommand implements Command {
  readonly id = 'cadc.setImageRoot';
  constructor(private readonly log: vscode.LogOutputChannel) {}
  /** `dataset`: the dataset (default: the active editor's file); `folder`: the image root, skipping the picker (tests, automation). */
  execute(dataset?: unknown, folder?: unknown): Promise<string | undefined> {
    const uri = dataset instanceof vscode.Uri ? dataset : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      void vscode.window.showErrorMessage('CADC: open the dataset whose image paths do not resolve, then set its image root.');
      return Promise.resolve(undefined);
    }
    return setImageRoot(uri, folder instanceof vscode.Uri ? folder : undefined, this.log);
  }
}

/**
 * Stores a dataset's image root: `folder`, or one picked in a folder dialog, inside the dataset's
 * workspace folder (after following symlinks), in `cadc.dataset.imageRoot` at workspace-folder
 * scope (the setting's scope is `resource`), relative to that folder ('.' for the folder itself).
 * Refused in an untrusted workspace (the setting is restricted there). Returns the stored value.
 */
export async function setImageRoot(
  dataset: vscode.Uri,
  folder: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('CADC does not change workspace settings in an untrusted workspace. Trust the workspace first.');
    return undefined;
  }
  const ws = vscode.workspace.getWorkspaceFolder(dataset);
  if (!ws) {
    void vscode.window.showErrorMessage(
      'CADC: cadc.dataset.imageRoot is relative to a workspace folder; open the folder that holds the dataset.',
    );
    return undefined;
  }
  const picked = folder
    ? [folder]
    : await vscode.window.showOpenDialog({
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        defaultUri: vscode.Uri.file(path.dirname(dataset.fsPath)),
        openLabel: 'Use as Image Root',
        title: 'CADC: the folder the image paths are relative to',
      });
  const chosen = picked?.[0];
  if (!chosen) return undefined;
  const root = ws.uri.fsPath;
  const rel = path.relative(root, chosen.fsPath);
  try {
    confinedDir(root, rel === '' ? '.' : rel, 'Image root');
  } catch (e) {
    if (!(e instanceof OutsideWorkspaceError)) throw e;
    log.warn(`image root: refused: ${e.message}`);
    void vscode.window.showErrorMessage(`CADC: ${e.message}; the setting was not changed.`);
    return undefined;
  }
  const value = rel === '' ? '.' : rel.split(path.sep).join('/');
  await vscode.workspace.getConfiguration('cadc', ws.uri).update('dataset.imageRoot', value, vscode.ConfigurationTarget.WorkspaceFolder);
  log.info(`image root: cadc.dataset.imageRoot = ${value} for ${ws.name}`);
  return value;
}
