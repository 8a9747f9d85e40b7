// The map's budget control: a re-run at another budget with the cache (features and trajectories
// are reused). Names the user gave capabilities are carried into the re-selected manifest; a
// manifest that is committed and unmodified is not rewritten without asking (its version stays in git).
import * as vscode from 'vscode';
import { parseBudget } from '../../app/optionValues';
import { budgetText } from '../../core/config';
import type { CurateSummary } from '../../protocol/backend';
import { carryCapabilityNames, readCapabilityNames } from '../../app/rename';
import { committedAndClean } from '../git';
import type { CurationSession } from '../session';

export async function reselect(session: CurationSession, log: vscode.LogOutputChannel, text: string): Promise<void> {
  let budget: string;
  try {
    const parsed = parseBudget(text);
    budget = budgetText(parsed.budget, parsed.budgetUnit);
  } catch (e) {
    void vscode.window.showErrorMessage(
      `CADC: budget ${text.slice(0, 32)}: expected a share (5% or 0.05) or a count of samples (2000). ${(e as Error).message}`,
    );
    return;
  }
  const manifest = session.manifest;
  if (manifest && (await committedAndClean(manifest.fsPath))) {
    const rel = vscode.workspace.asRelativePath(manifest);
    const ok = await vscode.window.showWarningMessage(
      `${rel} is committed. Re-selecting at ${budget} rewrites it (the committed version stays in git).`,
      { modal: true },
      'Re-select',
    );
    if (ok !== 'Re-select') return;
  }
  const names = manifest ? await readCapabilityNames(manifest.fsPath).catch(() => []) : [];
  const result = await vscode.commands.executeCommand<CurateSummary | undefined>('cadc.curate', session.dataset, {
    noPrompt: true,
    force: true,
    budget,
  });
  if (!result || names.length === 0) return;
  const kept = await carryCapabilityNames(result.manifest, names);
  if (kept.length) {
    log.info(`re-select: kept the names of ${kept.join(', ')}`);
    session.map?.refresh();
  }
}
