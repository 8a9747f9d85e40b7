// The compare use case (`cadc compare`, the backend's compare job): run the pipeline once, re-select
// with each strategy, and compare the selections (counts, Jaccard overlap, composition, quality deltas).
import * as path from 'node:path';
import { configureOrt } from '../core/ort/session';
import type { CurationRun } from '../core/pipeline/api';
import { runCuration } from '../core/pipeline/run';
import { checkStrategies, compareStrategies, StrategyUnavailableError } from '../core/report/compare';
import { comparisonToMarkdown } from '../core/report/markdown';
import type { Comparison } from '../core/report/types';
import type { CurateParams } from '../protocol/backend';
import { curationInputFromArgs } from './curate';
import type { RunHooks } from './curate';
import { cancelledFailure, EXIT, failureOutcome, notFoundFailure, usageFailure } from './outcome';
import type { Failure } from './outcome';
import { firstExisting, outputPaths, unreadable, writeOutputs } from './output';

export interface CompareOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  comparison?: Comparison;
  files?: { markdown: string; json: string };
}

/** What `cadc compare` and the backend's compare job ask for: curate's options and the strategies. */
export interface CompareRequest {
  /** Strategy names as given (checked against the registry here). */
  strategies: string[];
  curate: CurateParams;
  /** Only return the comparison (the CLI prints it as JSON; the backend replies with it): no files are written. */
  json: boolean;
}

export async function compareToFiles(args: CompareRequest, hooks: RunHooks = {}): Promise<CompareOutcome> {
  const a = args.curate;
  try {
    checkStrategies(args.strategies);
  } catch (e) {
    if (e instanceof StrategyUnavailableError) return usageFailure(`--strategies: ${e.message}`);
    throw e;
  }
  const dataset = path.resolve(a.dataset);
  const bad = unreadable(dataset);
  if (bad) return notFoundFailure(a.dataset, bad);
  const files = outputPaths(dataset, a.out, 'compare');
  if (!args.json && !a.force) {
    const there = firstExisting([files.markdown, files.json]);
    if (there) return there;
  }
  configureOrt({ telemetry: false });
  let comparison: Comparison;
  try {
    // The base run uses curate's config as given (its strategy too), so its cache entries are the
    // ones `cadc curate` with the same options makes and reads.
    const run: CurationRun = await runCuration(curationInputFromArgs(a, path.resolve(a.out), hooks));
    comparison = await compareStrategies(run, { budget: a.budget, strategies: args.strategies, signal: hooks.signal });
    comparison.timingsMs = { ...run.timingsMs, ...comparison.timingsMs };
  } catch (e) {
    if (e instanceof StrategyUnavailableError) return usageFailure(`--strategies: ${e.message}`);
    return failureOutcome(e, 'comparison', `cannot read dataset ${a.dataset}`);
  }
  if (hooks.signal?.aborted) return cancelledFailure();
  if (args.json) return { code: EXIT.ok, comparison };
  const refused = writeOutputs(files, comparison, comparisonToMarkdown(comparison), a.force);
  if (refused) return refused;
  return { code: EXIT.ok, comparison, files };
}
