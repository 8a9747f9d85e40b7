// Curate a dataset into manifest (and attributions) files: shared by the CLI and the backend
// process. Returns an outcome instead of printing, so each caller reports it its own way.
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../core/config';
import type { AlignmentConfig, DeepPartial } from '../core/config';
import { serializeManifest } from '../core/curriculum/manifest';
import { configureOrt } from '../core/ort/session';
import type { CurationInput, CurationRun } from '../core/pipeline/api';
import { attributionOf, runCuration } from '../core/pipeline/run';
import { CancelledError } from '../core/pipeline/types';
import { ScoresFileError } from '../core/selection/scores';
import type { Logger, ProgressFn } from '../core/pipeline/types';
import { defaultUserCacheDir } from '../core/store/cache';
import type { CurateSummary } from '../protocol/backend';
import type { CurateArgs } from './args';

export const EXIT = { ok: 0, usage: 2, unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

export interface CurateOutcome {
  code: number;
  message?: string;
  result?: CurateSummary;
  run?: CurationRun;
}

/** Writes a file atomically: temp file in the same folder, then rename. */
export function writeFileAtomic(file: string, chunks: Iterable<string>): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

export function stemOf(dataset: string): string {
  return path.basename(dataset).replace(/\.(jsonl|json)$/i, '');
}

export async function curateToFiles(
  args: Omit<CurateArgs, 'command' | 'json' | 'quiet'>,
  hooks: { signal?: AbortSignal; onProgress?: ProgressFn; log?: Logger } = {},
): Promise<CurateOutcome> {
  const { signal } = hooks;
  const dataset = path.resolve(args.dataset);
  try {
    accessSync(dataset, constants.R_OK);
    if (!statSync(dataset).isFile()) throw new Error('not a file');
  } catch (e) {
    return { code: EXIT.unreadable, message: `cannot read dataset ${args.dataset}: ${(e as Error).message}` };
  }
  const outDir = path.resolve(args.out);
  const stem = stemOf(dataset);
  const manifestPath = path.join(outDir, `${stem}.cadc.json`);
  const attributionsPath = path.join(outDir, `${stem}.cadc.attributions.jsonl`);
  if (!args.force && existsSync(manifestPath)) {
    return { code: EXIT.exists, message: `${path.relative(process.cwd(), manifestPath)} exists; use --force to overwrite it.` };
  }
  if (args.scores) {
    try {
      accessSync(path.resolve(args.scores), constants.R_OK);
      if (!statSync(path.resolve(args.scores)).isFile()) throw new Error('not a file');
    } catch (e) {
      return { code: EXIT.usage, message: `cannot read scores file ${args.scores}: ${(e as Error).message}` };
    }
  }
  configureOrt({ telemetry: false });
  const input = curationInputFromArgs(args, outDir, hooks);
  const cacheDir = input.cacheDir;
  let run: CurationRun;
  try {
    run = await runCuration(input);
  } catch (e) {
    if (e instanceof ScoresFileError) return { code: EXIT.usage, message: e.message };
    return failureOutcome(e, 'curation', 'cannot read dataset');
  }
  if (signal?.aborted) return { code: EXIT.cancelled, message: 'cancelled; nothing was written.' };

  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(manifestPath, [serializeManifest(run.manifest)]);
  if (args.attributions) {
    const n = run.pool.n;
    writeFileAtomic(
      attributionsPath,
      (function* () {
        for (let i = 0; i < n; i++) yield `${JSON.stringify(attributionOf(run, i))}\n`;
      })(),
    );
  }
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
    stages: run.manifest.stages.map((st) => ({ id: st.id, kind: st.kind ?? 'capability', capabilities: st.capabilities, size: st.samples.length })),
    notes: run.selection.notes,
    timingsMs: run.timingsMs,
    cacheHit: run.cacheHit,
    diagnosticCounts: s.diagnosticCounts as Record<string, number>,
    diagnostics: s.diagnostics.slice(0, 1000),
  };
  return { code: EXIT.ok, result, run };
}

/**
 * The outcome of a command that threw: cancelled (130), an input that cannot be read (3, the message
 * starting with `unreadable`), or any other failure (5, `<doing> failed:` and the stack).
 */
export function failureOutcome(e: unknown, doing: string, unreadable: string): { code: number; message: string } {
  if (e instanceof CancelledError) return { code: EXIT.cancelled, message: 'cancelled; nothing was written.' };
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') return { code: EXIT.unreadable, message: `${unreadable}: ${err.message}` };
  return { code: EXIT.failed, message: `${doing} failed: ${err.stack ?? err.message}` };
}

/** The curation config curate's options describe (also used by `cadc compare`). */
export function configFromArgs(args: Omit<CurateArgs, 'command' | 'json' | 'quiet'>): ReturnType<typeof resolveConfig> {
  return resolveConfig({
    seed: args.seed,
    budget: args.budget,
    strategy: args.strategy,
    capabilities: { k: args.capabilities },
    selection: {
      ...(args.within ? { within: args.within } : {}),
      ...(args.balance ? { balance: args.balance } : {}),
      ...(args.taskField !== undefined ? { taskField: args.taskField } : {}),
      ...(args.styleField !== undefined ? { styleField: args.styleField } : {}),
      ...(args.lossBand ? { lossBand: [args.lossBand[0], args.lossBand[1]] as [number, number] } : {}),
      ...(args.iconsPercentile !== undefined ? { iconsPercentile: args.iconsPercentile } : {}),
      ...(args.selfInfluenceDrop !== undefined ? { dropTopSelfInfluence: args.selfInfluenceDrop } : {}),
    },
    curriculum: { alignment: alignmentOverrides(args) },
  });
}

/** --alignment* options as config overrides (absent options keep the defaults). */
function alignmentOverrides(args: Pick<CurateArgs, 'alignment' | 'alignmentSize' | 'alignmentMinChars' | 'alignmentLabel'>): DeepPartial<AlignmentConfig> {
  return {
    ...(args.alignment ? { enabled: args.alignment === 'auto' ? 'auto' : args.alignment === 'on' } : {}),
    ...(args.alignmentSize !== undefined ? { size: args.alignmentSize } : {}),
    ...(args.alignmentMinChars !== undefined ? { predicate: 'long-answer' as const, minAnswerChars: args.alignmentMinChars } : {}),
    ...(args.alignmentLabel ? { predicate: 'label' as const, field: args.alignmentLabel.field, values: [...args.alignmentLabel.values] } : {}),
  };
}

/** The run a set of curate options describes: shared by curate, compare and the backend, so they hit the same cache. */
export function curationInputFromArgs(
  args: Omit<CurateArgs, 'command' | 'json' | 'quiet'>,
  manifestBase: string,
  hooks: { signal?: AbortSignal; onProgress?: ProgressFn; log?: Logger } = {},
): CurationInput {
  const dataset = path.resolve(args.dataset);
  return {
    datasetPath: dataset,
    config: configFromArgs(args),
    format: args.format,
    imageRoot: args.imageRoot ? path.resolve(args.imageRoot) : undefined,
    confineTo: args.imageRoot ? path.resolve(args.imageRoot) : path.dirname(dataset),
    probeFile: args.probe ? path.resolve(args.probe) : undefined,
    scoresFile: args.scores ? path.resolve(args.scores) : undefined,
    cacheDir: args.cache === null ? null : path.resolve(args.cache ?? defaultUserCacheDir()),
    manifestBase,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
    log: hooks.log,
  };
}
