// Selection and sequencing of a run whose trajectories and capabilities are fixed: used by the run
// itself and by re-selection at another budget or strategy without recomputing anything else.
import * as path from 'node:path';
import type { CurationConfig } from '../config';
import { budgetCount, budgetShortNote } from '../selection/helpers';
import { getStrategy } from '../selection/strategies';
import { prepareSelection } from '../selection/strategies/groupInfluence';
import type { SelectionResult } from '../selection/types';
import { buildStages } from '../curriculum/stages';
import { appendAlignmentStage, combinedSelection, selectWithAlignment } from '../curriculum/alignment';
import { buildManifest } from '../curriculum/manifest';
import type { Stage } from '../curriculum/types';
import { Rng } from '../util/rng';
import { TOOL_VERSION } from '../runtime/version';
import type { CurationInput, CurationRun, ReselectOptions } from './api';

type RunBase = Omit<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest' | 'timingsMs'>;

/** Selection, stages and manifest for a run's fixed trajectories/capabilities and a config. */
function selectAndSequence(base: RunBase, cfg: CurationConfig): Pick<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest'> {
  return sequenceFor(base, cfg, selectFor(base, cfg));
}

interface Picked {
  rng: Rng;
  aligned: ReturnType<typeof selectWithAlignment>;
  selection: SelectionResult;
}

/** The selection for a config: the strategy's picks (and the alignment stage's), with a note when the budget was not met. */
export function selectFor(base: RunBase, cfg: CurationConfig): Picked {
  const rng = new Rng(cfg.seed);
  const strategy = getStrategy(cfg.strategy);
  // The strategy gets B − A; the alignment stage (if enabled) takes A of the samples it left.
  const aligned = selectWithAlignment({
    pool: base.pool,
    duplicates: base.duplicates,
    attribution: base.attribution,
    config: cfg,
    budget: budgetCount(cfg.budget, base.pool.n, cfg.budgetUnit),
    rng: rng.fork('alignment'),
    select: (budget): SelectionResult =>
      strategy.select(
        {
          pool: base.pool,
          config: cfg,
          rng: rng.fork(`select:${cfg.strategy}`),
          duplicates: base.duplicates,
          trajectories: base.trajectories,
          capabilities: base.capabilities,
          attribution: base.attribution,
          scores: base.scores,
          groupInfluence: base.groupInfluence,
        },
        budget,
      ),
  });
  const combined = combinedSelection(aligned);
  const short = budgetShortNote(
    { pool: base.pool, duplicates: base.duplicates, config: cfg, attribution: base.attribution },
    cfg.strategy,
    combined.selected.length,
  );
  const selection = short.length ? { ...combined, notes: [...combined.notes, ...short] } : combined;
  return { rng, aligned, selection };
}

/** The curriculum stages and the manifest of a selection. */
export function sequenceFor(
  base: RunBase,
  cfg: CurationConfig,
  { rng, aligned, selection }: Picked,
): Pick<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest'> {
  const stages: Stage[] = appendAlignmentStage(
    buildStages(aligned.capability, base.attribution, base.capabilities, base.trajectories, cfg, rng.fork('sequence')),
    aligned,
    base.attribution,
  );
  const stageOf = new Int32Array(base.pool.n).fill(-1);
  for (const s of stages) for (const i of s.samples) stageOf[i] = s.index;
  const manifest = buildManifest({
    toolVersion: TOOL_VERSION,
    summary: base.summary,
    datasetPath: manifestDatasetPath(base.input),
    config: cfg,
    pool: base.pool,
    warmup: base.warmup,
    trajectories: base.trajectories,
    capabilities: base.capabilities,
    attribution: base.attribution,
    selection,
    stages,
    probeFile: base.input.probeFile ? relativeTo(base.input, base.input.probeFile) : undefined,
    scoresFile:
      base.scores && base.input.scoresFile
        ? { file: relativeTo(base.input, base.input.scoresFile), sha256: base.scores.sha256, samples: base.scores.scored }
        : undefined,
    gradients: base.gradients ? { ...base.gradients, index: relativeTo(base.input, base.gradients.index) } : undefined,
  });
  return { selection, stages, stageOf, manifest };
}

function relativeTo(input: CurationInput, file: string): string {
  const base = input.manifestBase ? path.resolve(input.manifestBase) : path.dirname(path.resolve(input.datasetPath));
  return path.relative(base, path.resolve(file)).split(path.sep).join('/');
}

function manifestDatasetPath(input: CurationInput): string {
  return relativeTo(input, input.datasetPath);
}

/**
 * New selection at another budget/strategy without recomputing features or trajectories. Synchronous:
 * LESS / ICONS need per-group influence (ORT GEMMs, asynchronous), which the run carries when it was
 * curated with one of them; otherwise use `reselectAsync`, which computes it first. Imported scores are reused.
 */
export function reselect(run: CurationRun, opts: ReselectOptions): CurationRun {
  const cfg: CurationConfig = structuredClone(run.manifest.config);
  cfg.budget = opts.budget;
  // The unit given; the run's own for the run's own budget; otherwise none (≤ 1 a share, above a count).
  if (opts.budgetUnit) cfg.budgetUnit = opts.budgetUnit;
  else if (opts.budget !== run.manifest.config.budget) delete cfg.budgetUnit;
  if (opts.strategy) cfg.strategy = opts.strategy;
  if (opts.within) cfg.selection.within = opts.within;
  if (opts.balance) cfg.selection.balance = opts.balance;
  const t = performance.now();
  const names = run.capabilities.capabilities.map((c) => c.name);
  const chosen = selectAndSequence(run, cfg);
  // Names may have been edited by the user; keep them.
  names.forEach((n, k) => (run.capabilities.capabilities[k].name = n));
  return { ...run, ...chosen, timingsMs: { ...run.timingsMs, reselect: Math.round(performance.now() - t) } };
}

/** `reselect` for any strategy: computes (and keeps on the run) the per-group influence LESS / ICONS need. */
export async function reselectAsync(run: CurationRun, opts: ReselectOptions): Promise<CurationRun> {
  const cfg: CurationConfig = structuredClone(run.manifest.config);
  if (opts.strategy) cfg.strategy = opts.strategy;
  const groupInfluence = await prepareSelection({
    pool: run.pool,
    config: cfg,
    strategy: getStrategy(cfg.strategy),
    trajectories: run.trajectories,
    capabilities: run.capabilities,
    existing: run.groupInfluence,
  });
  return reselect({ ...run, groupInfluence }, opts);
}
