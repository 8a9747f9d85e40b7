// CADC: Write Curriculum Manifest — takes the last curation's manifest, optionally writes one JSONL
// subset per stage (lines copied byte-exact from the dataset, in curriculum order), asks before
// replacing existing subsets, stages everything with the built-in git extension and pre-fills the
// commit message (git.ts). The user commits. What it may read and write is decided first by planManifestWrite
// (trusted workspace, valid manifest, every path inside the workspace folder).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commitMessage, ManifestRefused, planManifestWrite, writeStageSubsets } from '../../app/writeManifest';
import type { ManifestWritePlan } from '../../app/writeManifest';
import { stageForCommit } from '../git';
import type { CurationSession } from '../session';
import type { Command } from './command';

export async function writeManifest(
  log: vscode.LogOutputChannel,
  manifestUri: vscode.Uri | undefined,
  opts: { stageSubsets?: boolean; confirm?: boolean } = {},
): Promise<{ written: string[]; staged: boolean } | undefined> {
  if (!manifestUri) {
    void vscode.window.showInformationMessage('CADC: run CADC: Curate first; then write its manifest.');
    return undefined;
  }
  const subsets =
    opts.stageSubsets ?? vscode.workspace.getConfiguration('cadc', manifestUri).get<boolean>('manifest.writeStageSubsets', false);
  let plan: ManifestWritePlan;
  try {
    plan = planManifestWrite({
      trusted: vscode.workspace.isTrusted,
      workspaceRoot: vscode.workspace.getWorkspaceFolder(manifestUri)?.uri.fsPath,
      manifestPath: manifestUri.fsPath,
      stageSubsets: subsets,
    });
  } catch (e) {
    if (!(e instanceof ManifestRefused)) throw e;
    log.warn(`writeManifest: refused: ${e.message}`);
    void vscode.window.showErrorMessage(`CADC: ${e.message}`);
    return undefined;
  }
  const { manifest } = plan;
  const written = [manifestUri.fsPath];
  if (plan.targets.length) {
    const existing = plan.targets.filter((t) => existsSync(t.file)).map((t) => path.basename(t.file));
    if (existing.length && opts.confirm !== false) {
      const answer = await vscode.window.showWarningMessage(`Replace ${existing.join(', ')}?`, { modal: true }, 'Replace');
      if (answer !== 'Replace') return undefined;
    }
    written.push(...(await writeStageSubsets(plan)));
  }
  const staged = await stageForCommit(manifestUri, written, () =>
    commitMessage(manifest, vscode.workspace.asRelativePath(manifestUri), vscode.workspace.asRelativePath(plan.datasetPath)),
  );
  if (!staged) {
    log.info('writeManifest: no git repository; files written but not staged');
    void vscode.window.showInformationMessage(`CADC: wrote ${written.length} file(s); no git repository to stage them in.`);
    return { written, staged: false };
  }
  void vscode.window.showInformationMessage(`CADC: staged ${written.length} file(s); the commit message is ready in Source Control.`);
  return { written, staged: true };
}

export class WriteManifestCommand implements Command {
  readonly id = 'cadc.writeManifest';
  constructor(
    private readonly session: CurationSession,
    private readonly log: vscode.LogOutputChannel,
  ) {}
  async execute(
    uri?: vscode.Uri,
    opts?: { stageSubsets?: boolean; confirm?: boolean },
  ): Promise<{ written: string[]; staged: boolean } | undefined> {
    const given = uri instanceof vscode.Uri && uri.fsPath.endsWith('.cadc.json') ? uri : undefined;
    if (!given) await this.session.ensureRun();
    return writeManifest(this.log, given ?? this.session.manifest, opts);
  }
}
