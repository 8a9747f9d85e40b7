// Composition root: logger, diagnostics, status bar and command registrations.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { Annotations } from './annotations';
import { BackendClient } from './backendClient';
import { cancelCurrent, curate, isRunning, lastCurateParams, progressText, strategyItems } from './curateCommand';
import { writeManifest } from './manifestCommand';
import { CapabilityMapPanel, carryCapabilityNames, readCapabilityNames } from './capabilityMap/panel';
import type { CurateSummary } from '../protocol/backend';
import { budgetText } from '../core/config';
import { parseBudget } from '../app/optionValues';
import type { MapServices, MapSource } from './capabilityMap/panel';
import type { CurateOptions } from './curateCommand';

const execFileAsync = promisify(execFile);

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
  const annotations = new Annotations(log);
  const backend = new BackendClient(context.asAbsolutePath('dist/backend.js'), log);
  const deps = { context, log, diagnostics, status, annotations, backend };
  let lastManifest: vscode.Uri | undefined;
  let lastDataset: vscode.Uri | undefined;
  const mapSource = (): MapSource | undefined => {
    const table = lastDataset && annotations.tableFor(lastDataset.fsPath);
    return lastManifest && lastDataset && table ? { manifestUri: lastManifest, datasetUri: lastDataset, table } : undefined;
  };
  // The map's budget control: a re-run with the cache reuses features and trajectories.
  // Names the user gave capabilities are carried into the re-selected manifest. A manifest that is
  // committed and unmodified is not rewritten without asking (its committed version stays in git).
  const reselect = async (text: string) => {
    let budget: string;
    try {
      const parsed = parseBudget(text);
      budget = budgetText(parsed.budget, parsed.budgetUnit);
    } catch (e) {
      void vscode.window.showErrorMessage(`CADC: budget ${text.slice(0, 32)}: expected a share (5% or 0.05) or a count of samples (2000). ${(e as Error).message}`);
      return;
    }
    if (lastManifest && (await committedAndClean(lastManifest.fsPath))) {
      const rel = vscode.workspace.asRelativePath(lastManifest);
      const ok = await vscode.window.showWarningMessage(`${rel} is committed. Re-selecting at ${budget} rewrites it (the committed version stays in git).`, { modal: true }, 'Re-select');
      if (ok !== 'Re-select') return;
    }
    const names = lastManifest ? await readCapabilityNames(lastManifest).catch(() => []) : [];
    const result = await vscode.commands.executeCommand<CurateSummary | undefined>('cadc.curate', lastDataset, {
      noPrompt: true,
      force: true,
      budget,
    });
    if (!result || names.length === 0) return;
    const kept = await carryCapabilityNames(vscode.Uri.file(result.manifest), names);
    if (kept.length) {
      log.info(`re-select: kept the names of ${kept.join(', ')}`);
      CapabilityMapPanel.instance?.setSource(mapSource());
    }
  };
  const services: MapServices = {
    reselect: (budget) => void reselect(budget),
    strategies: () => strategyItems(context),
    quality: (source, token, progress) => {
      const params = lastCurateParams(source.datasetUri.fsPath);
      return backend.quality(
        {
          dataset: source.datasetUri.fsPath,
          manifest: source.manifestUri.fsPath,
          imageRoot: params?.imageRoot,
          confineTo: vscode.workspace.getWorkspaceFolder(source.datasetUri)?.uri.fsPath,
          cacheDir: params?.cache ?? null,
          sha256: annotations.shaFor(source.datasetUri.fsPath),
        },
        token,
        (e) => progress(`Reading every sample… ${Math.round(e.fraction * 100)}%`),
      );
    },
    compare: async (source, strategies, token, progress) => {
      const params = lastCurateParams(source.datasetUri.fsPath);
      if (!params) throw new Error('Curate this dataset in this window first: Compare re-uses that run’s settings and cache.');
      return backend.compare({ ...params, strategies }, token, (e) => progress(progressText(e)));
    },
  };
  const showMap = () => CapabilityMapPanel.show(context, log, mapSource(), services);
  context.subscriptions.push(
    log,
    backend,
    annotations,
    diagnostics,
    status,
    vscode.commands.registerCommand('cadc.curate', async (arg?: unknown, options?: CurateOptions) => {
      const result = await curate(deps, arg, options);
      if (result) {
        lastManifest = vscode.Uri.file(result.manifest);
        lastDataset = vscode.Uri.file(result.dataset);
        CapabilityMapPanel.instance?.setSource(mapSource());
      }
      return result;
    }),
    vscode.commands.registerCommand('cadc.revealSample', async (line?: number) => {
      const target = lastDataset ?? vscode.window.activeTextEditor?.document.uri;
      if (!target) return void vscode.window.showInformationMessage('CADC: open a dataset first.');
      const n = line ?? Number(await vscode.window.showInputBox({ title: 'CADC: Reveal Sample', prompt: 'Line number', validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'A line number (1, 2, …)') }));
      if (!n) return;
      const editor = await vscode.window.showTextDocument(target);
      const pos = new vscode.Position(n - 1, 0);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }),
    vscode.commands.registerCommand('cadc.clearCache', async (opts?: { confirm?: boolean }) => {
      if (opts?.confirm !== false) {
        const ok = await vscode.window.showWarningMessage('Delete CADC’s cache of features, trajectories and attributions? The next curation recomputes them.', { modal: true }, 'Delete');
        if (ok !== 'Delete') return false;
      }
      annotations.clear();
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(context.globalStorageUri, 'cache'), { recursive: true, useTrash: false }).then(undefined, () => undefined);
      log.info('cache cleared');
      return true;
    }),
    vscode.commands.registerCommand('cadc.showCapabilityMap', showMap),
    vscode.commands.registerCommand('cadc.qualityReport', () => {
      if (!mapSource()) return void vscode.window.showInformationMessage('CADC: run CADC: Curate first; the quality report compares the pool with its selection.');
      return showMap().runQuality();
    }),
    vscode.commands.registerCommand('cadc.compareStrategies', async (list?: string[]) => {
      if (!mapSource()) return void vscode.window.showInformationMessage('CADC: run CADC: Curate first; strategies are compared on that run’s features.');
      const picked =
        list ??
        (
          await vscode.window.showQuickPick(
            strategyItems(context).map((s) => ({ ...s, picked: s.label === 'cadc' || s.label === 'random' })),
            { title: 'CADC: strategies to compare', canPickMany: true, ignoreFocusOut: true, matchOnDetail: true },
          )
        )?.map((s) => s.label);
      if (!picked?.length) return;
      return showMap().runCompare(picked);
    }),
    vscode.window.registerWebviewPanelSerializer(CapabilityMapPanel.viewType, {
      deserializeWebviewPanel: async (panel) => void CapabilityMapPanel.revive(panel, context, log, mapSource(), services),
    }),
    vscode.commands.registerCommand('cadc.writeManifest', (uri?: vscode.Uri, opts?: { stageSubsets?: boolean; confirm?: boolean }) =>
      writeManifest(log, uri instanceof vscode.Uri && uri.fsPath.endsWith('.cadc.json') ? uri : lastManifest, opts),
    ),
    vscode.commands.registerCommand('cadc.cancel', () => {
      if (!cancelCurrent()) void vscode.window.showInformationMessage('CADC: nothing is running.');
    }),
  );
  log.info(`CADC activated (trusted workspace: ${vscode.workspace.isTrusted})`);
  return {
    version: String(context.extension.packageJSON.version),
    isRunning,
    capabilityMapMessage: async (message) => CapabilityMapPanel.instance?.receive(message),
  };
}

/** Whether git tracks the file and it has no changes, staged or not (false outside a repository). */
export async function committedAndClean(file: string): Promise<boolean> {
  const cwd = path.dirname(file);
  const name = path.basename(file);
  try {
    await execFileAsync('git', ['ls-files', '--error-unmatch', '--', name], { cwd });
    const { stdout } = await execFileAsync('git', ['status', '--porcelain', '--', name], { cwd });
    return stdout.trim() === '';
  } catch {
    return false;
  }
}

export function deactivate(): void {
  cancelCurrent();
}
