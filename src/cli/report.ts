// `cadc report`: the VLIT quality report of a dataset (and of a manifest's selection) as Markdown
// and JSON files, or as one JSON object on stdout.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { reportToMarkdown } from '../core/report/markdown';
import { attributionsBeside, buildQualityReport, loadManifest } from '../core/report/report';
import type { QualityReport } from '../core/report/types';
import type { ReportArgs } from './args';
import { datasetStem } from '../core/curriculum/manifest';
import { EXIT, existsFailure, failureOutcome, writeOutputFiles } from './curate';
import type { Failure } from './curate';
import { printFailure } from './output';

export interface ReportOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  report?: QualityReport;
  files?: { markdown: string; json: string };
}

/** Checks a dataset path is a readable file; returns an error message or undefined. */
export function unreadable(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    if (!statSync(file).isFile()) return 'not a file';
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** Writes `<out>/<stem>.<kind>.md` and `.json` atomically, refusing to overwrite without force. */
export function outputPaths(dataset: string, out: string, kind: 'report' | 'compare'): { markdown: string; json: string } {
  const dir = path.resolve(out);
  const stem = datasetStem(dataset);
  return { markdown: path.join(dir, `${stem}.cadc.${kind}.md`), json: path.join(dir, `${stem}.cadc.${kind}.json`) };
}

export function existingOutput(files: { markdown: string; json: string }): string | undefined {
  return [files.markdown, files.json].find((f) => existsSync(f));
}

/**
 * Writes a result as JSON and as Markdown to its two output files, atomically; without `force`
 * neither replaces an existing file (and a refused write leaves neither behind).
 */
export function writeOutputs(files: { markdown: string; json: string }, value: unknown, markdown: string, force: boolean): Failure | undefined {
  return writeOutputFiles(
    [
      { path: files.json, data: `${JSON.stringify(value, null, 2)}\n` },
      { path: files.markdown, data: markdown },
    ],
    force,
  );
}

/** The friendly early exit 4 when an output is already there (the writes check again, atomically). */
export function outputExists(files: { markdown: string; json: string }): Failure | undefined {
  const there = existingOutput(files);
  return there ? existsFailure(there) : undefined;
}

export async function reportToFiles(args: Omit<ReportArgs, 'command'>, hooks: { signal?: AbortSignal } = {}): Promise<ReportOutcome> {
  const dataset = path.resolve(args.dataset);
  const bad = unreadable(dataset);
  if (bad) return { code: EXIT.unreadable, reason: 'not-found', message: `cannot read dataset ${args.dataset}: ${bad}` };
  let manifest;
  if (args.manifest) {
    try {
      manifest = await loadManifest(path.resolve(args.manifest));
    } catch (e) {
      return { code: EXIT.usage, reason: 'usage', message: `--manifest ${args.manifest}: ${(e as Error).message}` };
    }
  }
  if (args.attributions && unreadable(path.resolve(args.attributions))) {
    return { code: EXIT.usage, reason: 'usage', message: `--attributions ${args.attributions}: ${unreadable(path.resolve(args.attributions))}` };
  }
  const files = outputPaths(dataset, args.out, 'report');
  if (!args.json && !args.force) {
    const there = outputExists(files);
    if (there) return there;
  }
  let report: QualityReport;
  try {
    report = await buildQualityReport(dataset, {
      format: args.format,
      imageRoot: args.imageRoot ? path.resolve(args.imageRoot) : undefined,
      confineTo: args.imageRoot ? path.resolve(args.imageRoot) : path.dirname(dataset),
      // The manifest object is passed (already read); attributions come from beside its file.
      ...(manifest ? { manifest } : {}),
      ...(args.attributions
        ? { attributions: path.resolve(args.attributions) }
        : args.manifest
          ? { attributions: besideIfExists(path.resolve(args.manifest)) }
          : {}),
      signal: hooks.signal,
    });
  } catch (e) {
    return failureOutcome(e, 'report', `cannot read ${args.dataset}`);
  }
  if (args.manifest && report.selectionSource) report.selectionSource.name = path.basename(args.manifest);
  if (hooks.signal?.aborted) return { code: EXIT.cancelled, reason: 'cancelled', message: 'cancelled; nothing was written.' };
  if (args.json) return { code: EXIT.ok, report };
  const refused = writeOutputs(files, report, reportToMarkdown(report), args.force);
  if (refused) return refused;
  return { code: EXIT.ok, report, files };
}

function besideIfExists(manifestPath: string): string | undefined {
  const f = attributionsBeside(manifestPath);
  return existsSync(f) ? f : undefined;
}

export async function report(args: ReportArgs, signal?: AbortSignal): Promise<number> {
  const outcome = await reportToFiles(args, { signal });
  if (outcome.code !== EXIT.ok || !outcome.report) return printFailure({ ...outcome, message: outcome.message ?? `failed with exit ${outcome.code}` }, args);
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
