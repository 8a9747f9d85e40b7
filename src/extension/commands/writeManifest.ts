// CADC: Write Curriculum Manifest — takes the last curation's manifest, optionally writes one JSONL
// subset per stage (lines copied byte-exact from the dataset, in curriculum order), asks before
// replacing existing subsets, stages everything with the built-in git extension and pre-fills the
// commit message (git.ts). The user commits. What it may read and write is decided first by planManifestWrite
// (trusted workspace, valid manifest, every path inside the workspace folder).
import { createReadStream, existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/util/atomicFile';
import { budgetText } from '../../core/config';
import type { BudgetUnit } from '../../core/config';
import { stageForCommit } from '../git';
import { ManifestRefused, planManifestWrite } from '../manifestPlan';
import type { ManifestWritePlan } from '../manifestPlan';
import type { CurationSession } from '../session';
import type { Command } from './command';

interface ManifestLike {
  dataset: { path: string; samples: number };
  config: { seed: number; budget: number; budgetUnit?: BudgetUnit; strategy: string };
  budget: { selected: number };
  capabilities: { id: string; name: string; size: number; selected: number }[];
  stages: { id: string; name: string; kind?: string; samples: { line: number }[] }[];
}

/** The commit message: `datasetRel` and `manifestRel` are workspace-relative, as a reader of the log expects. */
export function commitMessage(m: ManifestLike, manifestRel: string, datasetRel = m.dataset.path): string {
  const budget = budgetText(m.config.budget, m.config.budgetUnit);
  const caps = m.capabilities.map((c) => `- ${c.id} ${c.name}: ${c.selected} of ${c.size}`).join('\n');
  const align = m.stages.find((s) => s.kind === 'alignment');
  const alignText = align ? ` (${align.id}: alignment, ${align.samples.length} samples)` : '';
  return `CADC curriculum for ${datasetRel}: ${m.budget.selected} of ${m.dataset.samples} samples (budget ${budget}, seed ${m.config.seed}, ${m.config.strategy})\n\n${m.capabilities.length} capabilities, ${m.stages.length} stages${alignText}; manifest ${manifestRel}\n\n${caps}\n`;
}

/** Lines (1-based) of a file, streamed; only the wanted ones are kept. */
async function readLines(file: string, wanted: Set<number>): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    if (wanted.has(n)) out.set(n, line);
  }
  return out;
}

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
    const lines = await readLines(plan.dataset!, new Set(manifest.stages.flatMap((s) => s.samples.map((x) => x.line))));
    for (const [k, s] of manifest.stages.entries()) {
      // Atomic: a crash mid-write leaves the old subset (or none), never a truncated one; a
      // symlink in the target's place is replaced, never written through.
      writeFileAtomic(plan.targets[k].file, s.samples.map((x) => lines.get(x.line) ?? '').join('\n') + '\n');
      written.push(plan.targets[k].file);
    }
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
  execute(
    uri?: vscode.Uri,
    opts?: { stageSubsets?: boolean; confirm?: boolean },
  ): Promise<{ written: string[]; staged: boolean } | undefined> {
    return writeManifest(this.log, uri instanceof vscode.Uri && uri.fsPath.endsWith('.cadc.json') ? uri : this.session.manifest, opts);
  }
}
