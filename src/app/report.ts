// The report use case (`cadc report`): the VLIT quality report of a dataset (and of a manifest's
// selection) as Markdown and JSON files, or only as the report object.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetFormat } from '../core/dataset/types';
import { reportToMarkdown } from '../core/report/markdown';
import { attributionsBeside, buildQualityReport, loadManifest } from '../core/report/report';
import type { QualityReport } from '../core/report/types';
import { cancelledFailure, EXIT, failureOutcome, notFoundFailure, usageFailure } from './outcome';
import type { Failure } from './outcome';
import { firstExisting, outputPaths, unreadable, writeOutputs } from './output';

export interface ReportOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  report?: QualityReport;
  files?: { markdown: string; json: string };
}

/** What `cadc report` asks for. */
export interface ReportRequest {
  dataset: string;
  manifest?: string;
  attributions?: string;
  imageRoot?: string;
  format: DatasetFormat | 'auto';
  out: string;
  /** Only return the report (the CLI prints it as JSON): no files are written. */
  json: boolean;
  force: boolean;
}

export async function reportToFiles(args: ReportRequest, hooks: { signal?: AbortSignal } = {}): Promise<ReportOutcome> {
  const dataset = path.resolve(args.dataset);
  const bad = unreadable(dataset);
  if (bad) return notFoundFailure(args.dataset, bad);
  let manifest;
  if (args.manifest) {
    try {
      manifest = await loadManifest(path.resolve(args.manifest));
    } catch (e) {
      return usageFailure(`--manifest ${args.manifest}: ${(e as Error).message}`);
    }
  }
  const badAttributions = args.attributions ? unreadable(path.resolve(args.attributions)) : undefined;
  if (badAttributions) return usageFailure(`--attributions ${args.attributions}: ${badAttributions}`);
  const files = outputPaths(dataset, args.out, 'report');
  if (!args.json && !args.force) {
    const there = firstExisting([files.markdown, files.json]);
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
  if (hooks.signal?.aborted) return cancelledFailure();
  if (args.json) return { code: EXIT.ok, report };
  const refused = writeOutputs(files, report, reportToMarkdown(report), args.force);
  if (refused) return refused;
  return { code: EXIT.ok, report, files };
}

function besideIfExists(manifestPath: string): string | undefined {
  const f = attributionsBeside(manifestPath);
  return existsSync(f) ? f : undefined;
}
