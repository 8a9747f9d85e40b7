// The write-manifest use case ("Write Curriculum Manifest"): what may be read and written is decided
// before anything is touched (planManifestWrite), then the stage subsets are copied byte-exact from
// the dataset, atomically (writeStageSubsets), and the commit message is composed. A
// manifest is untrusted input (it sits in the workspace, anyone can commit one): it must pass the
// manifest schema and its invariants (so stage ids are s1..sN and dataset.path is relative), the
// command refuses in untrusted workspaces, and the manifest, its dataset and every stage subset
// resolve inside the manifest's workspace folder after following symlinks. Pure Node (no `vscode`).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { budgetText } from '../core/config';
import type { BudgetUnit } from '../core/config';
import type { ManifestV1 } from '../core/curriculum/types';
import { validateManifest } from '../core/curriculum/validate';
import { buildLineIndex, readLines } from '../core/dataset/lineIndex';
import { writeFileAtomic } from '../core/util/atomicFile';
import { confinedFile, OutsideWorkspaceError } from './confine';

/** The command will not act on this manifest here; the message says why. */
export class ManifestRefused extends Error {
  override name = 'ManifestRefused';
}

export interface ManifestWritePlan {
  manifest: ManifestV1;
  /** The manifest as addressed (inside the workspace folder). */
  manifestPath: string;
  /** The dataset's real path inside the workspace folder (undefined when it is missing and no subset is written). */
  dataset: string | undefined;
  /** The dataset as the manifest names it, resolved against the manifest's folder (for the commit message). */
  datasetPath: string;
  /** One JSONL file per stage, beside the manifest, in stage order (empty without stage subsets). */
  targets: { stage: string; file: string }[];
}

const STAGE_ID = /^s[1-9][0-9]*$/;

export function planManifestWrite(opts: {
  trusted: boolean;
  workspaceRoot: string | undefined;
  manifestPath: string;
  stageSubsets: boolean;
}): ManifestWritePlan {
  if (!opts.trusted)
    throw new ManifestRefused('CADC does not write manifests or stage subsets in an untrusted workspace. Trust the workspace first.');
  const root = opts.workspaceRoot;
  if (!root) throw new ManifestRefused(`${opts.manifestPath} is not inside a workspace folder; open its folder to write it.`);
  try {
    const manifestReal = confinedFile(root, root, opts.manifestPath, 'The manifest');
    if (!manifestReal) throw new ManifestRefused(`${opts.manifestPath} does not exist.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(manifestReal, 'utf8'));
    } catch (e) {
      throw new ManifestRefused(`${path.basename(opts.manifestPath)} is not JSON: ${(e as Error).message}`);
    }
    const { valid, errors } = validateManifest(parsed);
    if (!valid)
      throw new ManifestRefused(`${path.basename(opts.manifestPath)} is not a valid cadc.manifest/v1: ${errors.slice(0, 3).join('; ')}`);
    const manifest = parsed as ManifestV1;
    if (opts.stageSubsets && manifest.dataset.container === 'parquet')
      throw new ManifestRefused('stage subsets copy lines of a text dataset; for a Parquet dataset use CADC: Export Curriculum.');
    const dir = path.dirname(opts.manifestPath);
    // The dataset is read only to copy stage lines; its path must stay inside the workspace either way.
    const dataset = confinedFile(root, path.dirname(manifestReal), manifest.dataset.path, 'The manifest’s dataset');
    if (!dataset && opts.stageSubsets) throw new ManifestRefused(`The manifest’s dataset ${manifest.dataset.path} does not exist.`);
    const stem = path.basename(opts.manifestPath).replace(/\.cadc\.json$/, '');
    const targets = opts.stageSubsets
      ? manifest.stages.map((s) => {
          // The schema already holds stage ids to s1..sN; checked again here because a file name is built from it.
          if (!STAGE_ID.test(s.id)) throw new ManifestRefused(`stage id ${JSON.stringify(s.id)} is not of the form s1, s2, …`);
          return { stage: s.id, file: path.join(dir, `${stem}.${s.id}.jsonl`) };
        })
      : [];
    return { manifest, manifestPath: opts.manifestPath, dataset, datasetPath: path.resolve(dir, manifest.dataset.path), targets };
  } catch (e) {
    if (e instanceof OutsideWorkspaceError) throw new ManifestRefused(e.message);
    throw e;
  }
}

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

/**
 * Writes the plan's stage subsets: each stage's lines copied from the dataset in curriculum order.
 * Atomic: a crash mid-write leaves the old subset (or none), never a truncated one; a symlink in the
 * target's place is replaced, never written through. Returns the files written.
 */
export async function writeStageSubsets(plan: ManifestWritePlan): Promise<string[]> {
  if (!plan.targets.length) return [];
  if (!plan.dataset)
    throw new ManifestRefused(`the dataset ${plan.manifest.dataset.path} is missing: no stage subset can be copied from it.`);
  const { manifest } = plan;
  // The lines as the engine numbered them (split at \n only, as the reader does), whole.
  const index = await buildLineIndex(plan.dataset);
  const lines = await readLines(
    index,
    manifest.stages.flatMap((s) => s.samples.map((x) => x.line)),
    Number.POSITIVE_INFINITY,
  );
  const written: string[] = [];
  for (const [k, s] of manifest.stages.entries()) {
    writeFileAtomic(plan.targets[k].file, s.samples.map((x) => lines.get(x.line) ?? '').join('\n') + '\n');
    written.push(plan.targets[k].file);
  }
  return written;
}
