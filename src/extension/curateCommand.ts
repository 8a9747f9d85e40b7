// CADC: Curate — runs the curation engine (the bundled `cadc` CLI in a child Node process, so the
// editor never blocks) on a dataset file, with cancellable progress, Problems-panel diagnostics and
// a confirm before an existing manifest is replaced.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { STAGES } from '../core/pipeline/types';
import type { Annotations } from './annotations';

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

export interface CurateResult {
  manifest: string;
  dataset: string;
  sha256: string;
  cacheDir: string | null;
  samples: number;
  selected: number;
  invalidLines: number;
  capabilities: { id: string; name: string; size: number; selected: number }[];
  stages: { id: string; capabilities: string[]; size: number }[];
  diagnostics: { line: number; severity: string; code: string; message: string }[];
}

export interface CurateDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  diagnostics: vscode.DiagnosticCollection;
  status: vscode.StatusBarItem;
  annotations: Annotations;
}

let current: { cancel(): void } | undefined;

export function isRunning(): boolean {
  return current !== undefined;
}

export function cancelCurrent(): boolean {
  if (!current) return false;
  current.cancel();
  return true;
}

function datasetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  return doc && /\.(jsonl|json)$/i.test(doc.uri.fsPath) ? doc.uri : undefined;
}

async function pick(title: string, items: string[], remembered: string | undefined): Promise<string | undefined> {
  const ordered = remembered && items.includes(remembered) ? [remembered, ...items.filter((i) => i !== remembered)] : items;
  return vscode.window.showQuickPick(ordered, { title, ignoreFocusOut: true });
}

export async function curate(deps: CurateDeps, arg?: unknown, options: CurateOptions = {}): Promise<CurateResult | undefined> {
  const { context, log, diagnostics, status, annotations } = deps;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('CADC does not run curation in an untrusted workspace. Trust the workspace to curate; existing manifests stay readable.');
    return undefined;
  }
  const uri = datasetUri(arg);
  if (!uri) {
    void vscode.window.showErrorMessage('CADC: open a .jsonl or .json dataset (or pick one in the Explorer) to curate it.');
    return undefined;
  }
  if (current) {
    void vscode.window.showWarningMessage('CADC: a curation is already running. Cancel it first (CADC: Cancel).');
    return undefined;
  }
  const cfg = vscode.workspace.getConfiguration('cadc', uri);
  const state = context.workspaceState;
  let budget = options.budget ?? String(cfg.get('curation.budget', '5%'));
  let strategy = options.strategy ?? cfg.get<string>('curation.strategy', 'cadc');
  let capabilities = options.capabilities ?? String(cfg.get('curation.capabilities', 'auto'));
  if (!options.noPrompt) {
    const b = await pick('CADC: budget', ['5%', '10%', '20%', 'Custom…'], state.get('cadc.last.budget') ?? budget);
    if (!b) return undefined;
    if (b === 'Custom…') {
      const custom = await vscode.window.showInputBox({ title: 'CADC: budget', prompt: 'A percentage (5%), a fraction (0.05) or a sample count (2000).', value: budget });
      if (!custom) return undefined;
      budget = custom;
    } else budget = b;
    const s = await pick('CADC: strategy', ['cadc', 'random'], state.get('cadc.last.strategy') ?? strategy);
    if (!s) return undefined;
    strategy = s;
    const k = await pick('CADC: capabilities', ['auto', '2', '3', '4', '5', '6', '8'], state.get('cadc.last.capabilities') ?? capabilities);
    if (!k) return undefined;
    capabilities = k;
    await state.update('cadc.last.budget', budget);
    await state.update('cadc.last.strategy', strategy);
    await state.update('cadc.last.capabilities', capabilities);
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  const outDir = path.join(root, cfg.get<string>('manifest.folder', 'curation'));
  const stem = path.basename(uri.fsPath).replace(/\.(jsonl|json)$/i, '');
  const manifestUri = vscode.Uri.file(path.join(outDir, `${stem}.cadc.json`));
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
  const imageRoot = cfg.get<string>('dataset.imageRoot', '');
  const args = [
    context.asAbsolutePath('dist/cli.js'),
    'curate',
    uri.fsPath,
    '--out',
    outDir,
    '--budget',
    budget,
    '--strategy',
    strategy,
    '--capabilities',
    capabilities,
    '--seed',
    String(cfg.get<number>('curation.seed', 42)),
    '--json',
    ...(options.noCache ? ['--no-cache'] : ['--cache', path.join(context.globalStorageUri.fsPath, 'cache')]),
    ...(imageRoot ? ['--image-root', path.resolve(root, imageRoot)] : []),
    ...(force ? ['--force'] : []),
  ];
  log.info(`curate: ${args.slice(1).join(' ')}`);
  status.text = '$(sync~spin) CADC: curating…';
  status.show();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `CADC: curating ${path.basename(uri.fsPath)}`, cancellable: true },
    (progress, token) =>
      new Promise<CurateResult | undefined>((resolve) => {
        const child = spawn(process.execPath, args, {
          cwd: root,
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let cancelled = false;
        const cancel = () => {
          cancelled = true;
          child.kill('SIGINT');
        };
        current = { cancel };
        token.onCancellationRequested(cancel);
        let stdout = '';
        let lastFraction = 0;
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          for (const line of d.toString().split('\n')) {
            if (!line.trim()) continue;
            const m = /^\[(\d+)\/(\d+)\] (\S+) (\d+)%(.*)$/.exec(line);
            if (m) {
              const overall = (Number(m[1]) - 1 + Number(m[4]) / 100) / STAGES.length;
              progress.report({ message: `${m[3]} ${m[4]}%${m[5]}`, increment: Math.max(0, (overall - lastFraction) * 100) });
              lastFraction = Math.max(lastFraction, overall);
            } else log.info(line);
          }
        });
        child.on('close', (code) => {
          current = undefined;
          status.hide();
          if (cancelled || code === 130) {
            log.info('curate: cancelled; nothing was written');
            void vscode.window.showInformationMessage('CADC: curation cancelled; nothing was written.');
            resolve(undefined);
            return;
          }
          if (code !== 0) {
            log.error(`curate: exited with ${code}`);
            void vscode.window.showErrorMessage(`CADC: curation failed (exit ${code}). See the CADC output for details.`, 'Show Log').then((a) => a && log.show());
            resolve(undefined);
            return;
          }
          let result: CurateResult;
          try {
            result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as CurateResult;
          } catch (e) {
            log.error(`curate: unreadable result: ${(e as Error).message}`);
            resolve(undefined);
            return;
          }
          diagnostics.set(
            uri,
            result.diagnostics.map((d) => {
              const line = Math.max(0, d.line - 1);
              const diag = new vscode.Diagnostic(
                new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
                d.message,
                d.severity === 'error' ? vscode.DiagnosticSeverity.Error : d.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information,
              );
              diag.source = 'cadc';
              diag.code = d.code;
              return diag;
            }),
          );
          const caps = result.capabilities.map((c) => `${c.id} ${c.name} (${c.selected}/${c.size})`).join('; ');
          log.info(`curate: ${result.selected} of ${result.samples} selected; ${caps}`);
          status.text = `$(check) CADC: ${result.selected} selected, ${result.capabilities.length} capabilities`;
          status.show();
          void vscode.window.showInformationMessage(
            `CADC: selected ${result.selected} of ${result.samples} samples across ${result.capabilities.length} capabilities in ${result.stages.length} stages.`,
            'Open Manifest',
          ).then((a) => a && vscode.window.showTextDocument(manifestUri));
          const attached = result.cacheDir ? annotations.attach(result.dataset, result.sha256, result.cacheDir, result.capabilities) : Promise.resolve(false);
          void attached.then(() => resolve(result), (e) => {
            log.error(`annotations: ${(e as Error).message}`);
            resolve(result);
          });
        });
      }),
  );
}
