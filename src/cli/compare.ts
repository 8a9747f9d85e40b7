// `cadc compare`: run the pipeline once, re-select with each strategy, and compare the selections
// (counts, Jaccard overlap, composition, quality deltas vs the pool).
import * as path from 'node:path';
import { configureOrt } from '../core/ort/session';
import type { CurationRun } from '../core/pipeline/api';
import { runCuration } from '../core/pipeline/run';
import type { Logger } from '../core/runtime/log';
import type { ProgressFn } from '../core/runtime/progress';
import { checkStrategies, compareStrategies, StrategyUnavailableError } from '../core/report/compare';
import { comparisonToMarkdown } from '../core/report/markdown';
import type { Comparison } from '../core/report/types';
import type { CompareArgs } from './args';
import { curationInputFromArgs, EXIT, failureOutcome } from './curate';
import type { Failure } from './curate';
import { printFailure } from './output';
import { outputExists, outputPaths, unreadable, writeOutputs } from './report';

export interface CompareOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  comparison?: Comparison;
  files?: { markdown: string; json: string };
}

export async function compareToFiles(args: Omit<CompareArgs, 'command'>, hooks: { signal?: AbortSignal; onProgress?: ProgressFn; log?: Logger } = {}): Promise<CompareOutcome> {
  const a = args.curate;
  try {
    checkStrategies(args.strategies);
  } catch (e) {
    if (e instanceof StrategyUnavailableError) return { code: EXIT.usage, reason: 'usage', message: `--strategies: ${e.message}` };
    throw e;
  }
  const dataset = path.resolve(a.dataset);
  const bad = unreadable(dataset);
  if (bad) return { code: EXIT.unreadable, reason: 'not-found', message: `cannot read dataset ${a.dataset}: ${bad}` };
  const files = outputPaths(dataset, a.out, 'compare');
  if (!a.json && !a.force) {
    const there = outputExists(files);
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
    if (e instanceof StrategyUnavailableError) return { code: EXIT.usage, reason: 'usage', message: `--strategies: ${e.message}` };
    return failureOutcome(e, 'comparison', `cannot read dataset ${a.dataset}`);
  }
  if (hooks.signal?.aborted) return { code: EXIT.cancelled, reason: 'cancelled', message: 'cancelled; nothing was written.' };
  if (a.json) return { code: EXIT.ok, comparison };
  const refused = writeOutputs(files, comparison, comparisonToMarkdown(comparison), a.force);
  if (refused) return refused;
  return { code: EXIT.ok, comparison, files };
}

export async function compare(args: CompareArgs, hooks: { signal?: AbortSignal; onProgress?: ProgressFn; log?: Logger } = {}): Promise<number> {
  const outcome = await compareToFiles(args, hooks);
  if (outcome.code !== EXIT.ok || !outcome.comparison) return printFailure({ ...outcome, message: outcome.message ?? `failed with exit ${outcome.code}` }, args.curate);
  const c = outcome.comparison;
  if (!args.curate.quiet) {
    const counts = c.strategies.map((s) => `${s.strategy} ${s.selected}`).join(', ');
    const where = outcome.files ? ` → ${path.relative(process.cwd(), outcome.files.markdown)}` : '';
    process.stderr.write(`cadc: compared ${c.strategies.length} strategies on ${c.dataset.samples} samples (${counts})${where}\n`);
  }
  if (args.curate.json) process.stdout.write(`${JSON.stringify(c)}\n`);
  return EXIT.ok;
}
