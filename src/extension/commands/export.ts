// CADC: Export Curriculum — a manifest's stages written for a training framework (src/app/export.ts):
// a quick pick of the format, a folder picker for the export folder (the user's choice of output,
// default beside the manifest), a modal confirmation before replacing existing files. The manifest
// and its dataset must be inside the workspace folder of a trusted workspace.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { confinedDir, OutsideWorkspaceError } from '../../app/confine';
import { ExportRefused, planExport, runExport } from '../../app/export';
import type { ExportResult } from '../../app/export';
import { EXPORT_FORMATS } from '../../core/export/formats';
import type { ExportFormat } from '../../core/export/formats';
import { FileExistsError } from '../../core/util/atomicFile';
import type { CurationSession } from '../session';
import type { Command } from './command';

const FORMAT_ITEMS: Record<ExportFormat, string> = {
  llava: "LLaVA's train.py: a JSON array per stage, image paths relative to --image_folder",
  sharegpt: 'ShareGPT: conversations [{from, value}], a JSON array per stage',
  openai: 'ms-swift / OpenAI messages: JSONL per stage with messages and images',
  'llama-factory': 'LLaMA-Factory: a file per stage and dataset_info.json entries in stage order',
};

/** Options tests and automation pass instead of the pickers. */
export interface ExportOptions {
  format?: ExportFormat;
  /** The export folder (absolute, or relative to the manifest's workspace folder). */
  out?: string;
  /** false: replace existing files without asking. */
  confirm?: boolean;
}

export async function exportCurriculum(
  log: vscode.LogOutputChannel,
  manifestUri: vscode.Uri | undefined,
  opts: ExportOptions = {},
): Promise<ExportResult | undefined> {
  if (!manifestUri) {
    void vscode.window.showInformationMessage('CADC: run CADC: Curate first, or pick a .cadc.json manifest to export.');
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('CADC: export writes files; trust the workspace first.');
    return undefined;
  }
  const root = vscode.workspace.getWorkspaceFolder(manifestUri)?.uri.fsPath;
  if (!root) {
    void vscode.window.showErrorMessage(`CADC: ${manifestUri.fsPath} is not inside a workspace folder.`);
    return undefined;
  }
  let format = opts.format;
  if (!format) {
    const pick = await vscode.window.showQuickPick(
      EXPORT_FORMATS.map((f) => ({ label: f, detail: FORMAT_ITEMS[f] })),
      { title: 'CADC: Export Curriculum — training framework' },
    );
    if (!pick) return undefined;
    format = pick.label as ExportFormat;
  }
  let out = opts.out;
  if (out === undefined) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(path.dirname(manifestUri.fsPath)),
      openLabel: 'Export here',
      title: 'CADC: Export Curriculum — folder (a subfolder is created in it)',
    });
    if (!picked?.[0]) return undefined;
    const stem = path.basename(manifestUri.fsPath).replace(/\.cadc\.json$/, '');
    out = path.join(picked[0].fsPath, `${stem}.${format}`);
  }
  try {
    const plan = planExport({ manifest: manifestUri.fsPath, format, out: path.resolve(root, out) });
    // The dataset is read from inside the workspace only (a file or a folder of shards).
    confinedDir(root, plan.dataset, 'The manifest’s dataset');
    if (!existsSync(plan.dataset)) throw new ExportRefused(`the manifest’s dataset ${plan.manifest.dataset.path} does not exist`);
    let force = false;
    if (plan.existing.length) {
      if (opts.confirm !== false) {
        const names = plan.existing.map((f) => path.basename(f)).join(', ');
        const answer = await vscode.window.showWarningMessage(`Replace ${names} in ${plan.out}?`, { modal: true }, 'Replace');
        if (answer !== 'Replace') return undefined;
      }
      force = true;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `CADC: exporting for ${format}…` },
      () => runExport({ manifest: manifestUri.fsPath, format: format!, out: plan.out, force }),
    );
    const total = result.stages.reduce((a, s) => a + s.samples, 0);
    log.info(`export: ${total} samples in ${result.stages.length} stages (${format}) → ${result.out}`);
    void vscode.window.showInformationMessage(`CADC: exported ${total} samples in ${result.stages.length} stages to ${result.out}.`);
    return result;
  } catch (e) {
    if (e instanceof ExportRefused || e instanceof OutsideWorkspaceError || e instanceof FileExistsError) {
      log.warn(`export: refused: ${e.message}`);
      void vscode.window.showErrorMessage(`CADC: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

export class ExportCurriculumCommand implements Command {
  readonly id = 'cadc.exportCurriculum';
  constructor(
    private readonly session: CurationSession,
    private readonly log: vscode.LogOutputChannel,
  ) {}
  execute(uri?: vscode.Uri, opts?: ExportOptions): Promise<ExportResult | undefined> {
    return exportCurriculum(this.log, uri instanceof vscode.Uri && uri.fsPath.endsWith('.cadc.json') ? uri : this.session.manifest, opts);
  }
}
