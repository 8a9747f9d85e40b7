// Commands around a run: CADC: Cancel, CADC: Reveal Sample and CADC: Clear Cache.
import * as vscode from 'vscode';
import type { SampleDocuments } from '../sampleDocuments';
import type { CurationSession } from '../session';
import type { Command } from './command';

export class CancelCommand implements Command {
  readonly id = 'cadc.cancel';
  constructor(private readonly session: CurationSession) {}
  execute(): void {
    if (!this.session.cancel()) void vscode.window.showInformationMessage('CADC: nothing is running.');
  }
}

/** Reveals a sample of the current run's dataset (or of the active editor's file): its line, or a Parquet pool's preview document. */
export class RevealSampleCommand implements Command {
  readonly id = 'cadc.revealSample';
  constructor(
    private readonly session: CurationSession,
    private readonly samples: SampleDocuments,
  ) {}
  async execute(line?: number): Promise<void> {
    const target = this.session.dataset ?? vscode.window.activeTextEditor?.document.uri;
    if (!target) return void vscode.window.showInformationMessage('CADC: open a dataset first.');
    const n =
      line ??
      Number(
        await vscode.window.showInputBox({
          title: 'CADC: Reveal Sample',
          prompt: 'Line number',
          validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'A line number (1, 2, …)'),
        }),
      );
    if (!n) return;
    await this.samples.reveal(target.fsPath, n, vscode.ViewColumn.Active);
  }
}

/** Deletes the cache of features, trajectories and attributions (asks first unless `confirm: false`). */
export class ClearCacheCommand implements Command {
  readonly id = 'cadc.clearCache';
  constructor(
    private readonly session: CurationSession,
    private readonly cacheDir: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}
  async execute(opts?: { confirm?: boolean }): Promise<boolean> {
    if (opts?.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(
        'Delete CADC’s cache of features, trajectories and attributions? The next curation recomputes them.',
        { modal: true },
        'Delete',
      );
      if (ok !== 'Delete') return false;
    }
    this.session.annotations.clear();
    await vscode.workspace.fs.delete(this.cacheDir, { recursive: true, useTrash: false }).then(undefined, () => undefined);
    this.log.info('cache cleared');
    return true;
  }
}
