// `cadc` command-line entry: a thin adapter over the application layer (src/app) — parse the
// command line, run the use case, print its outcome — with the same results as the extension for
// the same dataset, config and seed.
import * as path from 'node:path';
import { compareToFiles } from '../app/compare';
import { curateToFiles } from '../app/curate';
import { exportToFiles } from '../app/export';
import type { RunHooks } from '../app/curate';
import { COMMANDS } from '../app/options';
import { EXIT, failureOutcome, UsageError } from '../app/outcome';
import type { Failure } from '../app/outcome';
import { planGradients, planText } from '../app/gradientsPlan';
import { reportToFiles } from '../app/report';
import { problemLines } from '../core/dataset/problems';
import { TOOL_VERSION } from '../core/runtime/version';
import { parseArgs } from './args';
import type { CompareArgs, CurateArgs, ExportArgs, GradientsPlanArgs, HelpTopic, ReportArgs } from './args';
import { makeLogger, printFailure, progressPrinter } from './output';
import { helpText } from './usage';

/** Prints a use case's failed outcome (exit code ≠ 0) and returns its exit code. */
function printOutcomeFailure(outcome: Partial<Failure> & { code: number }, opts: { json?: boolean; verbose?: boolean }): number {
  return printFailure({ ...outcome, message: outcome.message ?? `failed with exit ${outcome.code}` }, opts);
}

function hooksOf(quiet: boolean, signal?: AbortSignal): RunHooks {
  return { signal, onProgress: progressPrinter(quiet), log: makeLogger(quiet) };
}

export async function curate(args: CurateArgs, signal?: AbortSignal): Promise<number> {
  const outcome = await curateToFiles(args, hooksOf(args.quiet, signal));
  if (outcome.code !== EXIT.ok || !outcome.result) return printOutcomeFailure(outcome, args);
  const r = outcome.result;
  // One line per problem code (count, first lines, cause, fix), not one per record; --json has the per-line ones.
  if (!args.quiet) for (const p of r.problems ?? []) process.stderr.write(problemLines(args.dataset, p));
  // Notes say why a selection differs from what was asked (e.g. a budget above the unique samples): shown even with --quiet.
  for (const note of r.notes) process.stderr.write(`cadc: note: ${note}\n`);
  if (!args.quiet) {
    process.stderr.write(
      `cadc: ${r.samples} samples (${r.invalidLines} invalid lines), ${r.capabilities.length} capabilities, ` +
        `${r.selected} selected in ${r.stages.length} stages → ${path.relative(process.cwd(), r.manifest)} ` +
        `(${(r.timingsMs.total / 1000).toFixed(1)} s${r.cacheHit ? ', cache hit' : ''})\n`,
    );
  }
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  return EXIT.ok;
}

export async function report(args: ReportArgs, signal?: AbortSignal): Promise<number> {
  const outcome = await reportToFiles(args, { signal });
  if (outcome.code !== EXIT.ok || !outcome.report) return printOutcomeFailure(outcome, args);
  const r = outcome.report;
  if (!args.quiet) {
    for (const w of r.warnings) process.stderr.write(`[warn] ${w}\n`);
    const sel = r.selection ? `, selection ${r.selection.samples}` : '';
    const where = outcome.files ? ` → ${path.relative(process.cwd(), outcome.files.markdown)}` : '';
    process.stderr.write(`cadc: quality report of ${r.pool.samples} samples${sel}${where} (${(r.timingsMs.total / 1000).toFixed(1)} s)\n`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  return EXIT.ok;
}

export async function compare(args: CompareArgs, signal?: AbortSignal): Promise<number> {
  const a = args.curate;
  const outcome = await compareToFiles({ strategies: args.strategies, curate: a, json: a.json }, hooksOf(a.quiet, signal));
  if (outcome.code !== EXIT.ok || !outcome.comparison) return printOutcomeFailure(outcome, a);
  const c = outcome.comparison;
  if (!a.quiet) {
    const counts = c.strategies.map((s) => `${s.strategy} ${s.selected}`).join(', ');
    const where = outcome.files ? ` → ${path.relative(process.cwd(), outcome.files.markdown)}` : '';
    process.stderr.write(`cadc: compared ${c.strategies.length} strategies on ${c.dataset.samples} samples (${counts})${where}\n`);
  }
  if (a.json) process.stdout.write(`${JSON.stringify(c)}\n`);
  return EXIT.ok;
}

export async function gradientsPlan(args: GradientsPlanArgs): Promise<number> {
  let plan;
  try {
    plan = await planGradients(args);
  } catch (e) {
    if (e instanceof UsageError) return printFailure({ code: EXIT.usage, reason: 'usage', message: e.message }, args);
    return printFailure(failureOutcome(e, 'gradients plan', `cannot read dataset ${args.dataset}`), args);
  }
  process.stdout.write(args.json ? `${JSON.stringify(plan)}\n` : planText(plan));
  return EXIT.ok;
}

export async function exportCurriculum(args: ExportArgs, signal?: AbortSignal): Promise<number> {
  const outcome = await exportToFiles({ ...args, signal });
  if (outcome.code !== EXIT.ok || !outcome.result) return printOutcomeFailure(outcome, args);
  const r = outcome.result;
  if (!args.quiet) {
    if (r.droppedSystem > 0) process.stderr.write(`cadc: note: ${r.droppedSystem} system turn(s) left out (${r.format} has none)\n`);
    if (r.droppedImages > 0) process.stderr.write(`cadc: note: ${r.droppedImages} image reference(s) outside the image root left out\n`);
    const total = r.stages.reduce((a, s) => a + s.samples, 0);
    process.stderr.write(
      `cadc: exported ${total} samples in ${r.stages.length} stages (${r.format}${r.images ? `, ${r.images} embedded images` : ''}) → ${path.relative(process.cwd(), r.out) || '.'}\n`,
    );
  }
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  return EXIT.ok;
}

/** The command a usage error belongs to, for its hint. */
function commandOf(argv: string[]): HelpTopic | undefined {
  return COMMANDS.find((c) => c === argv[0]);
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      const command = commandOf(argv);
      return printFailure(
        { code: EXIT.usage, reason: 'usage', message: e.message },
        {
          json: argv.includes('--json'),
          hint: `Run 'cadc ${command ?? '<command>'} --help' for usage${command ? '' : ", or 'cadc --help' for the commands"}.`,
        },
      );
    }
    throw e;
  }
  if (args.command === 'help') {
    process.stdout.write(helpText(args.topic));
    return EXIT.ok;
  }
  if (args.command === 'version') {
    process.stdout.write(`cadc ${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.cancelled);
    process.stderr.write('\ncadc: cancelling… (Ctrl+C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (args.command === 'report') return await report(args, controller.signal);
    if (args.command === 'compare') return await compare(args, controller.signal);
    if (args.command === 'gradients') return await gradientsPlan(args);
    if (args.command === 'export') return await exportCurriculum(args, controller.signal);
    return await curate(args, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  // Exit only once stdout has drained: a large --json object piped to another program would
  // otherwise be cut off (writes to a pipe are asynchronous).
  const exitAfterFlush = (code: number) => process.stdout.write('', () => process.exit(code));
  const argv = process.argv.slice(2);
  main(argv).then(
    (code) => exitAfterFlush(code),
    (e) => {
      // Not expected: one line (the stack with --verbose), and the error object with --json.
      const err = e as Error;
      const message = `failed: ${String(err?.message ?? e).replace(/\s*\n\s*/g, ' ')}`;
      exitAfterFlush(
        printFailure(
          { code: EXIT.failed, reason: 'failed', message, ...(err?.stack ? { stack: err.stack } : {}) },
          { json: argv.includes('--json'), verbose: argv.includes('--verbose') },
        ),
      );
    },
  );
}
