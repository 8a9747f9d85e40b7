// CADC: Curate — runs the curation engine in the backend process (so the editor never blocks) on a
// dataset file, with cancellable progress, Problems-panel diagnostics and a confirm before an
// existing manifest is replaced. The run it produces becomes the session's current run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { manifestPathFor } from '../core/curriculum/manifest';
import { STAGES } from '../core/runtime/progress';
import type { ProgressEvent } from '../core/runtime/progress';
import { settingsToCurateParams } from '../app/options';
import { parseBudget } from '../app/optionValues';
import { UsageError } from '../app/outcome';
import type { CurateParams, CurateSummary } from '../protocol/backend';
import { CancelledByUser } from './backendClient';
import { confinedDir, confinedFile, OutsideWorkspaceError } from '../app/confine';
import type { Command } from './commands/command';
import { offerFixes, seriousProblemsText, showDiagnostics } from './problems';
import type { CurationSession } from './session';

export interface CurateOptions {
  budget?: string;
  strategy?: string;
  capabilities?: string;
  /** Overwrite an existing manifest without asking (tests, automation). */
  force?: boolean;
  /** Skip quick picks and use settings/options. */
  noPrompt?: boolean;
  /** Recompute everything instead of using the cache. */
  noCache?: boolean;
}

export type CurateResult = CurateSummary;

export interface CurateDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  diagnostics: vscode.DiagnosticCollection;
  status: vscode.StatusBarItem;
  session: CurationSession;
}

export class CurateCommand implements Command {
  readonly id = 'cadc.curate';
  constructor(private readonly deps: CurateDeps) {}
  execute(arg?: unknown, options?: CurateOptions): Promise<CurateResult | undefined> {
    return curate(this.deps, arg, options);
  }
}

/** A backend progress event as one line: `trajectories 40% …`. */
export function progressText(e: ProgressEvent): string {
  return `${e.stage} ${Math.round(e.fraction * 100)}%${e.message ? ` ${e.message}` : ''}`;
}

const DATASET = /\.(jsonl|json|parquet)$/i;

/**
 * The dataset a command acts on: the Explorer's (or editor title's) Uri — a file, or a folder of
 * Parquet shards (the menu offers it only on folders that hold `.parquet` files) — else the active editor's
 * file, else the active tab's file — a file too large for the editor to open as text has a tab but
 * no text editor.
 */
export function datasetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc) return DATASET.test(doc.uri.fsPath) && !doc.uri.fsPath.endsWith('.cadc.json') ? doc.uri : undefined;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
  return uri && uri.scheme === 'file' && DATASET.test(uri.fsPath) && !uri.fsPath.endsWith('.cadc.json') ? uri : undefined;
}

/** What the budget box says about its text as it is typed: undefined when it is a budget (the CLI's parser decides). */
export function budgetProblem(text: string): string | undefined {
  try {
    parseBudget(text, 'Budget');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function pick(title: string, items: string[], remembered: string | undefined): Promise<string | undefined> {
  const ordered = remembered && items.includes(remembered) ? [remembered, ...items.filter((i) => i !== remembered)] : items;
  return vscode.window.showQuickPick(ordered, { title, ignoreFocusOut: true });
}

/** The strategies and their one-line descriptions, from the setting's enum in package.json. */
export function strategyItems(context: vscode.ExtensionContext): { label: string; detail: string }[] {
  const prop = (
    context.extension.packageJSON as {
      contributes: { configuration: { properties: Record<string, { enum?: string[]; enumDescriptions?: string[] }> } };
    }
  ).contributes.configuration.properties['cadc.curation.strategy'];
  return (prop.enum ?? ['cadc']).map((label, i) => ({ label, detail: prop.enumDescriptions?.[i] ?? '' }));
}

/** The strategy pick; "last used" marks a strategy only when a previous run in this workspace used it. */
async function pickStrategy(
  context: vscode.ExtensionContext,
  lastUsed: string | undefined,
  remembered: string,
): Promise<string | undefined> {
  const items = strategyItems(context).map((it) => ({
    ...it,
    description: it.label === lastUsed ? 'last used' : it.label === remembered ? 'from settings' : undefined,
  }));
  items.sort((a, b) => (b.label === remembered ? 1 : 0) - (a.label === remembered ? 1 : 0));
  return (await vscode.window.showQuickPick(items, { title: 'CADC: strategy', ignoreFocusOut: true, matchOnDetail: true }))?.label;
}

/** Budget, strategy and K from quick picks (remembered per workspace); undefined when the user backs out. */
async function pickOptions(
  context: vscode.ExtensionContext,
  current: { budget: string; strategy: string; capabilities: string },
): Promise<{ budget: string; strategy: string; capabilities: string; gradients?: string } | undefined> {
  const state = context.workspaceState;
  let { budget } = current;
  let gradients: string | undefined;
  let b: string | undefined;
  // "Use gradients from a folder…" picks a gradient job's output folder, then asks for the budget again.
  while (
    (b = await pick('CADC: budget', ['5%', '10%', '20%', 'Custom…', USE_GRADIENTS], state.get('cadc.last.budget') ?? budget)) ===
    USE_GRADIENTS
  ) {
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      title: 'CADC: gradient folder (index.json and shards)',
    });
    if (folder?.[0]) gradients = folder[0].fsPath;
  }
  if (!b) return undefined;
  if (b === 'Custom…') {
    const custom = await vscode.window.showInputBox({
      title: 'CADC: budget',
      prompt: 'A percentage (5%), a fraction (0.05) or a sample count (2000).',
      value: budget,
      validateInput: budgetProblem,
    });
    if (!custom) return undefined;
    budget = custom;
  } else budget = b;
  const last = state.get<string>('cadc.last.strategy');
  const strategy = await pickStrategy(context, last, last ?? current.strategy);
  if (!strategy) return undefined;
  const capabilities = await pick(
    'CADC: capabilities',
    ['auto', '2', '3', '4', '5', '6', '8'],
    state.get('cadc.last.capabilities') ?? current.capabilities,
  );
  if (!capabilities) return undefined;
  await state.update('cadc.last.budget', budget);
  await state.update('cadc.last.strategy', strategy);
  await state.update('cadc.last.capabilities', capabilities);
  return { budget, strategy, capabilities, ...(gradients ? { gradients } : {}) };
}

/** The folders and files a run of `uri` uses, from the settings, each confined to the workspace folder. */
export interface RunSettings {
  root: string;
  outDir: string;
  imageRoot?: string;
  scores?: string;
}

/**
 * Settings that name files or folders may come from the workspace: each must stay inside its
 * folder (after following symlinks), or nothing runs (OutsideWorkspaceError).
 */
export function runSettings(uri: vscode.Uri, cfg: vscode.WorkspaceConfiguration): RunSettings {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  const outDir = confinedDir(root, cfg.get<string>('manifest.folder', 'curation') || 'curation', 'Setting cadc.manifest.folder');
  const imageSetting = cfg.get<string>('dataset.imageRoot', '').trim();
  const imageRoot = imageSetting ? confinedDir(root, imageSetting, 'Setting cadc.dataset.imageRoot') : undefined;
  const scoresSetting = cfg.get<string>('curation.scoresFile', '').trim();
  const scores = scoresSetting ? confinedFile(root, root, scoresSetting, 'Setting cadc.curation.scoresFile') : undefined;
  if (scoresSetting && !scores) throw new OutsideWorkspaceError(`Setting cadc.curation.scoresFile: ${scoresSetting} does not exist`);
  return { root, outDir, ...(imageRoot ? { imageRoot } : {}), ...(scores ? { scores } : {}) };
}

const USE_GRADIENTS = 'Use gradients from a folder…';

export async function curate(deps: CurateDeps, arg?: unknown, options: CurateOptions = {}): Promise<CurateResult | undefined> {
  const { context, log, session } = deps;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'CADC does not run curation in an untrusted workspace. Trust the workspace to curate; existing manifests stay readable.',
    );
    return undefined;
  }
  const uri = datasetUri(arg);
  if (!uri) {
    void vscode.window.showErrorMessage(
      'CADC: open a .jsonl or .json dataset, or pick one (or a .parquet file, or a folder of Parquet shards) in the Explorer, to curate it.',
    );
    return undefined;
  }
  if (session.isRunning) {
    void vscode.window.showWarningMessage('CADC: a curation is already running. Cancel it first (CADC: Cancel).');
    return undefined;
  }
  const cfg = vscode.workspace.getConfiguration('cadc', uri);
  let budget = options.budget ?? String(cfg.get('curation.budget', '5%'));
  let strategy = options.strategy ?? cfg.get<string>('curation.strategy', 'cadc');
  let capabilities = options.capabilities ?? String(cfg.get('curation.capabilities', 'auto'));
  let gradients: string | undefined;
  if (!options.noPrompt) {
    const picked = await pickOptions(context, { budget, strategy, capabilities });
    if (!picked) return undefined;
    ({ budget, strategy, capabilities, gradients } = picked);
  }
  let where: RunSettings;
  try {
    where = runSettings(uri, cfg);
    // Gradient folders usually live on cluster storage: not confined, only read (and checked file by file).
    const gradientsSetting = cfg.get<string>('gradients.directory', '').trim();
    gradients ??= gradientsSetting ? path.resolve(where.root, gradientsSetting) : undefined;
  } catch (e) {
    if (!(e instanceof OutsideWorkspaceError)) throw e;
    log.warn(`curate: refused: ${e.message}`);
    void vscode.window.showErrorMessage(`CADC: ${e.message}; nothing was run.`);
    return undefined;
  }
  const { outDir, imageRoot, scores } = where;
  const manifestUri = vscode.Uri.file(manifestPathFor(outDir, uri.fsPath));
  let force = !!options.force;
  if (!force) {
    try {
      await vscode.workspace.fs.stat(manifestUri);
      const answer = await vscode.window.showWarningMessage(
        `${vscode.workspace.asRelativePath(manifestUri)} exists. Replace it with a new curation?`,
        { modal: true },
        'Replace',
      );
      if (answer !== 'Replace') return undefined;
      force = true;
    } catch {
      // No manifest yet.
    }
  }
  let params: CurateParams;
  try {
    params = settingsToCurateParams(
      (key) => cfg.get(key.replace(/^cadc\./, '')),
      {
        dataset: uri.fsPath,
        out: outDir,
        force,
        cache: options.noCache ? null : path.join(context.globalStorageUri.fsPath, 'cache'),
        ...(imageRoot ? { imageRoot } : {}),
        ...(scores ? { scores } : {}),
        ...(gradients ? { gradients } : {}),
      },
      { 'cadc.curation.budget': budget, 'cadc.curation.strategy': strategy, 'cadc.curation.capabilities': capabilities },
    );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    void vscode.window.showErrorMessage(`CADC: ${e.message}`);
    return undefined;
  }
  log.info(`curate: ${JSON.stringify(params)}`);
  const result = await runWithProgress(deps, uri, params);
  if (!result) return undefined;
  showDiagnostics(deps.diagnostics, uri, result);
  announce(deps, result, manifestUri);
  offerFixes(uri, result.problems, log);
  if (result.cacheDir) {
    await session.annotations
      .attach(result.dataset, result.sha256, result.cacheDir, result.capabilities, result.stages)
      .catch((e: Error) => log.error(`annotations: ${e.message}`));
  }
  session.recordRun(result, params);
  return result;
}

/** Runs the curation in the backend under a cancellable notification; undefined when cancelled or failed (both reported). */
async function runWithProgress(deps: CurateDeps, uri: vscode.Uri, params: CurateParams): Promise<CurateSummary | undefined> {
  const { log, status, session } = deps;
  status.text = '$(sync~spin) CADC: curating…';
  status.tooltip = 'CADC: click to cancel the curation';
  status.command = 'cadc.cancel';
  status.show();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `CADC: curating ${path.basename(uri.fsPath)}`, cancellable: true },
    async (progress, token) => {
      const source = new vscode.CancellationTokenSource();
      const sub = token.onCancellationRequested(() => source.cancel());
      const job = session.beginJob(() => source.cancel());
      let lastFraction = 0;
      try {
        return await session.backend.curate(params, source.token, (e) => {
          const overall = (STAGES.indexOf(e.stage) + e.fraction) / STAGES.length;
          progress.report({ message: progressText(e), increment: Math.max(0, (overall - lastFraction) * 100) });
          lastFraction = Math.max(lastFraction, overall);
        });
      } catch (e) {
        status.hide();
        if (e instanceof CancelledByUser) {
          log.info('curate: cancelled; nothing was written');
          void vscode.window.showInformationMessage('CADC: curation cancelled; nothing was written.');
        } else {
          log.error(`curate: ${(e as Error).message}`);
          void vscode.window.showErrorMessage(`CADC: ${(e as Error).message.split('\n')[0]}`, 'Show Log').then((a) => a && log.show());
        }
        return undefined;
      } finally {
        job?.dispose();
        sub.dispose();
        source.dispose();
      }
    },
  );
}

/** The result in the log, the status bar and a notification (with the notes that change how to read it). */
function announce(deps: Pick<CurateDeps, 'log' | 'status'>, result: CurateSummary, manifestUri: vscode.Uri): void {
  const { log, status } = deps;
  const caps = result.capabilities.map((c) => `${c.id} ${c.name} (${c.selected}/${c.size})`).join('; ');
  log.info(`curate: ${result.selected} of ${result.samples} selected; ${caps}`);
  status.text = `$(check) CADC: ${result.selected} selected, ${result.capabilities.length} capabilities`;
  status.tooltip = `CADC: ${vscode.workspace.asRelativePath(manifestUri)} — click to show the Capability Map`;
  status.command = 'cadc.showCapabilityMap';
  status.show();
  for (const note of result.notes) log.info(`curate: ${note}`);
  // Notes change how to read the result (e.g. CADC's capabilities standing in for mmSSR scores): show them.
  const noteText = result.notes.length ? ` Note: ${result.notes.join(' ')}` : '';
  const problemText = seriousProblemsText(result.problems);
  if (problemText) log.warn(`curate: ${problemText}`);
  void vscode.window
    .showInformationMessage(
      `CADC: selected ${result.selected} of ${result.samples} samples across ${result.capabilities.length} capabilities in ${result.stages.length} stages.${noteText}${problemText ? ` ${problemText}` : ''}`,
      'Show Map',
      'Open Manifest',
    )
    .then((a) =>
      a === 'Show Map'
        ? vscode.commands.executeCommand('cadc.showCapabilityMap')
        : a === 'Open Manifest'
          ? vscode.window.showTextDocument(manifestUri)
          : undefined,
    );
}
