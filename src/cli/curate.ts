// Curate a dataset into manifest (and attributions) files: shared by the CLI and the backend
// process. Returns an outcome instead of printing, so each caller reports it its own way.
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../core/config';
import type { AlignmentConfig, DeepPartial } from '../core/config';
import { attributionsPathFor, manifestPathFor, serializeManifest } from '../core/curriculum/manifest';
import { DatasetReadError } from '../core/dataset/errors';
import { configureOrt } from '../core/ort/session';
import type { CurationInput, CurationRun } from '../core/pipeline/api';
import { attributionOf } from '../core/pipeline/attribution';
import { runCuration } from '../core/pipeline/run';
import { CancelledError } from '../core/runtime/cancel';
import { ScoresFileError } from '../core/selection/scores';
import type { Logger } from '../core/runtime/log';
import type { ProgressFn } from '../core/runtime/progress';
import { defaultUserCacheDir } from '../core/store/cache';
import type { CurateSummary } from '../protocol/backend';
import { cleanStaleTemps, FileExistsError, writeFileAtomic } from '../core/util/atomicFile';
import type { Chunk } from '../core/util/atomicFile';
import type { CurateArgs } from './args';

export const EXIT = { ok: 0, usage: 2, unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

/**
 * How a command ended when it did not succeed: the exit code, a one-line message, and what the
 * `--json` error object carries (a short code, the line and byte where reading stopped). The stack
 * of an unexpected failure is kept apart (`--verbose` prints it), never in the message.
 */
export interface Failure {
  code: number;
  message: string;
  /** Short machine-readable reason: a DatasetReadError code, 'not-found', 'usage', 'exists', 'failed', 'cancelled'. */
  reason?: string;
  line?: number;
  byte?: number;
  stack?: string;
}

export interface CurateOutcome extends Partial<Omit<Failure, 'code'>> {
  code: number;
  result?: CurateSummary;
  run?: CurationRun;
}

/** The short reason of an exit code, for outcomes that do not name one. */
export function reasonOf(f: { code: number; reason?: string }): string {
  if (f.reason) return f.reason;
  switch (f.code) {
    case EXIT.usage:
      return 'usage';
    case EXIT.unreadable:
      return 'unreadable';
    case EXIT.exists:
      return 'exists';
    case EXIT.cancelled:
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** `file exists` for exit 4, relative to the working folder. */
export function existsFailure(file: string, during = false): Failure {
  const rel = path.relative(process.cwd(), file);
  return {
    code: EXIT.exists,
    reason: 'exists',
    message: during
      ? `${rel} appeared while this run was working (another run wrote it); nothing was written. Use --force to overwrite it.`
      : `${rel} exists; use --force to overwrite it.`,
  };
}

/**
 * Writes a run's output files in order, the last one being the one that says the run happened (the
 * manifest): each is created atomically and durably, and without `force` never replaces an existing
 * file, even one another process created a moment ago. If any is refused, the files this call
 * already created are removed, so a refused run leaves nothing behind. Returns the failure, if any
 * (exit 4 for a file that exists, 5 for one that cannot be written).
 */
export function writeOutputFiles(files: { path: string; data: Chunk | Iterable<Chunk> }[], force: boolean): Failure | undefined {
  const written: string[] = [];
  for (const f of files) {
    try {
      mkdirSync(path.dirname(f.path), { recursive: true });
      cleanStaleTemps(path.dirname(f.path));
      writeFileAtomic(f.path, f.data, { replace: force });
    } catch (e) {
      if (!force) for (const w of written) rmSync(w, { force: true });
      if (e instanceof FileExistsError) return existsFailure(f.path, true);
      const err = e as Error;
      return { code: EXIT.failed, reason: 'failed', message: `cannot write ${path.relative(process.cwd(), f.path)}: ${oneLine(err.message)}`, ...(err.stack ? { stack: err.stack } : {}) };
    }
    written.push(f.path);
  }
  return undefined;
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
    return { code: EXIT.unreadable, reason: 'not-found', message: `cannot read dataset ${args.dataset}: ${(e as Error).message}` };
  }
  const outDir = path.resolve(args.out);
  const manifestPath = manifestPathFor(outDir, dataset);
  const attributionsPath = attributionsPathFor(outDir, dataset);
  // A fast, friendly exit before the work; the writes themselves refuse to replace (see writeOutputFiles).
  if (!args.force) {
    const there = [manifestPath, ...(args.attributions ? [attributionsPath] : [])].find((f) => existsSync(f));
    if (there) return existsFailure(there);
  }
  if (args.scores) {
    try {
      accessSync(path.resolve(args.scores), constants.R_OK);
      if (!statSync(path.resolve(args.scores)).isFile()) throw new Error('not a file');
    } catch (e) {
      return { code: EXIT.usage, reason: 'usage', message: `cannot read scores file ${args.scores}: ${(e as Error).message}` };
    }
  }
  configureOrt({ telemetry: false });
  const input = curationInputFromArgs(args, outDir, hooks);
  const cacheDir = input.cacheDir;
  let run: CurationRun;
  try {
    run = await runCuration(input);
  } catch (e) {
    if (e instanceof ScoresFileError) return { code: EXIT.usage, reason: 'usage', message: e.message };
    return failureOutcome(e, 'curation', `cannot read dataset ${args.dataset}`);
  }
  if (signal?.aborted) return { code: EXIT.cancelled, reason: 'cancelled', message: 'cancelled; nothing was written.' };

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
    stages: run.manifest.stages.map((st) => ({ id: st.id, kind: st.kind ?? 'capability', capabilities: st.capabilities, size: st.samples.length })),
    notes: run.selection.notes,
    timingsMs: run.timingsMs,
    cacheHit: run.cacheHit,
    diagnosticCounts: s.diagnosticCounts as Record<string, number>,
    diagnostics: s.diagnostics.slice(0, 1000),
  };
  return { code: EXIT.ok, result, run };
}

/** One line: newlines and runs of blanks in a message become single spaces. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The outcome of a command that threw: cancelled (130); an input that is not a dataset we read
 * (DatasetReadError) or cannot be opened (3, `unreadable: …`, one line with where reading stopped);
 * or any other failure (5, `<doing> failed: …`, one line; the stack apart for `--verbose`).
 */
export function failureOutcome(e: unknown, doing: string, unreadable: string): Failure {
  if (e instanceof CancelledError) return { code: EXIT.cancelled, reason: 'cancelled', message: 'cancelled; nothing was written.' };
  if (e instanceof DatasetReadError) {
    // The reader's message names the file, what was found and what is read: it is the line.
    let message = oneLine(e.message);
    const where = e.line !== undefined ? `line ${e.line}` : e.byte !== undefined ? `byte ${e.byte}` : undefined;
    if (where && !message.includes(where)) message = message.replace(/\.?$/, ` (reading stopped at ${where}).`);
    return {
      code: EXIT.unreadable,
      reason: e.code,
      message,
      ...(e.line !== undefined ? { line: e.line } : {}),
      ...(e.byte !== undefined ? { byte: e.byte } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
    return { code: EXIT.unreadable, reason: 'not-found', message: `${unreadable}: ${oneLine(err.message)}`, ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { code: EXIT.failed, reason: 'failed', message: `${doing} failed: ${oneLine(String(err?.message ?? err))}`, ...(err?.stack ? { stack: err.stack } : {}) };
}

/** The curation config curate's options describe (also used by `cadc compare`). */
export function configFromArgs(args: Omit<CurateArgs, 'command' | 'json' | 'quiet'>): ReturnType<typeof resolveConfig> {
  return resolveConfig({
    seed: args.seed,
    budget: args.budget,
    ...(args.budgetUnit ? { budgetUnit: args.budgetUnit } : {}),
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
