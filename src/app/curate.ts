// The curate use case: a dataset into manifest (and attributions) files, for the CLI and the backend
// alike. Returns an outcome instead of printing, so each adapter reports it its own way.
import * as path from 'node:path';
import { resolveConfig } from '../core/config';
import type { AlignmentConfig, DeepPartial } from '../core/config';
import { attributionsPathFor, manifestPathFor, serializeManifest } from '../core/curriculum/manifest';
import { summariseProblems } from '../core/dataset/problems';
import { configureOrt } from '../core/ort/session';
import type { CurationInput, CurationRun } from '../core/pipeline/api';
import { attributionOf } from '../core/pipeline/attribution';
import { runCuration } from '../core/pipeline/run';
import type { Logger } from '../core/runtime/log';
import type { ProgressFn } from '../core/runtime/progress';
import { defaultUserCacheDir } from '../core/store/cache';
import type { CurateParams, CurateSummary } from '../protocol/backend';
import { cancelledFailure, EXIT, failureOutcome, notFoundFailure, usageFailure } from './outcome';
import type { Failure } from './outcome';
import { firstExisting, unreadable, writeOutputFiles } from './output';

export interface CurateOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  result?: CurateSummary;
  run?: CurationRun;
}

/** Hooks every use case that runs the pipeline takes. */
export interface RunHooks {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  log?: Logger;
}

export async function curateToFiles(args: CurateParams, hooks: RunHooks = {}): Promise<CurateOutcome> {
  const { signal } = hooks;
  const dataset = path.resolve(args.dataset);
  const bad = unreadable(dataset);
  if (bad) return notFoundFailure(args.dataset, bad);
  const outDir = path.resolve(args.out);
  const manifestPath = manifestPathFor(outDir, dataset);
  const attributionsPath = attributionsPathFor(outDir, dataset);
  // A fast, friendly exit before the work; the writes themselves refuse to replace (see writeOutputFiles).
  if (!args.force) {
    const there = firstExisting([manifestPath, ...(args.attributions ? [attributionsPath] : [])]);
    if (there) return there;
  }
  const badScores = args.scores ? unreadable(path.resolve(args.scores)) : undefined;
  if (badScores) return usageFailure(`cannot read scores file ${args.scores}: ${badScores}`);
  if (args.gradients && args.probe)
    return usageFailure(
      '--probe and --gradients cannot be combined: a probe file needs trajectories of its own samples, which a gradient folder does not have.',
    );
  configureOrt({ telemetry: false });
  const input = curationInputFromArgs(args, outDir, hooks);
  const cacheDir = input.cacheDir;
  let run: CurationRun;
  try {
    run = await runCuration(input);
  } catch (e) {
    return failureOutcome(e, 'curation', `cannot read dataset ${args.dataset}`);
  }
  if (signal?.aborted) return cancelledFailure();

  // Attributions first, the manifest last: a manifest on disk means the run's files are complete.
  const n = run.pool.n;
  const files = [
    ...(args.attributions
      ? [
          {
            path: attributionsPath,
            data: (function* () {
              for (let i = 0; i < n; i++) yield `${JSON.stringify(attributionOf(run, i))}\n`;
            })(),
          },
        ]
      : []),
    { path: manifestPath, data: serializeManifest(run.manifest) },
  ];
  const refused = writeOutputFiles(files, args.force);
  if (refused) return refused;
  const s = run.summary;
  const result: CurateSummary = {
    manifest: manifestPath,
    ...(args.attributions ? { attributions: attributionsPath } : {}),
    dataset,
    sha256: s.sha256,
    cacheDir,
    samples: s.samples,
    selected: run.selection.selected.length,
    invalidLines: s.invalid,
    capabilities: run.manifest.capabilities.map((c) => ({ id: c.id, name: c.name, size: c.size, selected: c.selected })),
    stages: run.manifest.stages.map((st) => ({
      id: st.id,
      kind: st.kind ?? 'capability',
      capabilities: st.capabilities,
      size: st.samples.length,
    })),
    notes: run.selection.notes,
    timingsMs: run.timingsMs,
    cacheHit: run.cacheHit,
    diagnosticCounts: s.diagnosticCounts as Record<string, number>,
    diagnostics: s.diagnostics.slice(0, 1000),
    problems: summariseProblems(s, { includeFlagged: run.manifest.config.selection.includeFlagged }),
  };
  return { code: EXIT.ok, result, run };
}

/** The curation config curate's options describe (also used by `cadc compare`). */
export function configFromArgs(args: CurateParams): ReturnType<typeof resolveConfig> {
  return resolveConfig({
    seed: args.seed,
    budget: args.budget,
    ...(args.budgetUnit ? { budgetUnit: args.budgetUnit } : {}),
    strategy: args.strategy,
    capabilities: { k: args.capabilities, ...(args.proxies !== undefined ? { proxies: args.proxies } : {}) },
    selection: {
      ...(args.within ? { within: args.within } : {}),
      ...(args.balance ? { balance: args.balance } : {}),
      ...(args.taskField !== undefined ? { taskField: args.taskField } : {}),
      ...(args.styleField !== undefined ? { styleField: args.styleField } : {}),
      ...(args.lossBand ? { lossBand: [args.lossBand[0], args.lossBand[1]] as [number, number] } : {}),
      ...(args.iconsPercentile !== undefined ? { iconsPercentile: args.iconsPercentile } : {}),
      ...(args.selfInfluenceDrop !== undefined ? { dropTopSelfInfluence: args.selfInfluenceDrop } : {}),
      ...(args.includeFlagged !== undefined ? { includeFlagged: args.includeFlagged } : {}),
    },
    curriculum: { alignment: alignmentOverrides(args) },
  });
}

/** --alignment* options as config overrides (absent options keep the defaults). */
function alignmentOverrides(
  args: Pick<CurateParams, 'alignment' | 'alignmentSize' | 'alignmentMinChars' | 'alignmentLabel'>,
): DeepPartial<AlignmentConfig> {
  return {
    ...(args.alignment ? { enabled: args.alignment === 'auto' ? 'auto' : args.alignment === 'on' } : {}),
    ...(args.alignmentSize !== undefined ? { size: args.alignmentSize } : {}),
    ...(args.alignmentMinChars !== undefined ? { predicate: 'long-answer' as const, minAnswerChars: args.alignmentMinChars } : {}),
    ...(args.alignmentLabel
      ? { predicate: 'label' as const, field: args.alignmentLabel.field, values: [...args.alignmentLabel.values] }
      : {}),
  };
}

/** The run a set of curate options describes: shared by curate, compare and the backend, so they hit the same cache. */
export function curationInputFromArgs(args: CurateParams, manifestBase: string, hooks: RunHooks = {}): CurationInput {
  const dataset = path.resolve(args.dataset);
  return {
    datasetPath: dataset,
    config: configFromArgs(args),
    format: args.format,
    imageRoot: args.imageRoot ? path.resolve(args.imageRoot) : undefined,
    confineTo: args.imageRoot ? path.resolve(args.imageRoot) : path.dirname(dataset),
    probeFile: args.probe ? path.resolve(args.probe) : undefined,
    scoresFile: args.scores ? path.resolve(args.scores) : undefined,
    ...(args.gradients ? { gradientsDir: path.resolve(args.gradients) } : {}),
    cacheDir: args.cache === null ? null : path.resolve(args.cache ?? defaultUserCacheDir()),
    manifestBase,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
    log: hooks.log,
  };
}
