// `cadc` command-line entry: curate a dataset headless, with the same results as the extension for
// the same dataset, config and seed.
import { existsSync, mkdirSync, openSync, closeSync, renameSync, rmSync, statSync, writeSync, accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../core/config';
import { serializeManifest } from '../core/curriculum/manifest';
import { attributionOf, runCuration, TOOL_VERSION } from '../core/pipeline/run';
import type { CurationRun } from '../core/pipeline/api';
import { CancelledError, STAGES } from '../core/pipeline/types';
import type { Logger, ProgressEvent } from '../core/pipeline/types';
import { defaultUserCacheDir } from '../core/store/cache';
import { configureOrt } from '../core/ort/session';
import { parseArgs, UsageError, USAGE } from './args';
import type { CurateArgs } from './args';

export const EXIT = { ok: 0, usage: 2, unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

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

function stemOf(dataset: string): string {
  const base = path.basename(dataset);
  return base.replace(/\.(jsonl|json)$/i, '');
}

function makeLogger(quiet: boolean): Logger {
  const w = (level: string) => (msg: string) => {
    if (!quiet || level === 'error') process.stderr.write(`${level === 'info' ? '' : `[${level}] `}${msg}\n`);
  };
  return { info: w('info'), warn: w('warn'), error: w('error'), debug: () => undefined };
}

function progressPrinter(quiet: boolean): (e: ProgressEvent) => void {
  let last = '';
  let lastAt = 0;
  return (e) => {
    if (quiet) return;
    const idx = STAGES.indexOf(e.stage) + 1;
    const line = `[${idx}/${STAGES.length}] ${e.stage} ${Math.round(e.fraction * 100)}%${e.message ? ` ${e.message}` : ''}`;
    const now = Date.now();
    if (line !== last && (e.fraction === 0 || e.fraction === 1 || now - lastAt > 500)) {
      process.stderr.write(`${line}\n`);
      last = line;
      lastAt = now;
    }
  };
}

export async function curate(args: CurateArgs, signal?: AbortSignal): Promise<number> {
  const log = makeLogger(args.quiet);
  const dataset = path.resolve(args.dataset);
  try {
    accessSync(dataset, constants.R_OK);
    if (!statSync(dataset).isFile()) throw new Error('not a file');
  } catch (e) {
    process.stderr.write(`cadc: cannot read dataset ${args.dataset}: ${(e as Error).message}\n`);
    return EXIT.unreadable;
  }
  const outDir = path.resolve(args.out);
  const stem = stemOf(dataset);
  const manifestPath = path.join(outDir, `${stem}.cadc.json`);
  const attributionsPath = path.join(outDir, `${stem}.cadc.attributions.jsonl`);
  if (!args.force && existsSync(manifestPath)) {
    process.stderr.write(`cadc: ${path.relative(process.cwd(), manifestPath)} exists; use --force to overwrite it.\n`);
    return EXIT.exists;
  }
  const config = resolveConfig({
    seed: args.seed,
    budget: args.budget,
    strategy: args.strategy,
    capabilities: { k: args.capabilities },
    selection: { ...(args.within ? { within: args.within } : {}), ...(args.balance ? { balance: args.balance } : {}) },
  });
  configureOrt({ telemetry: false });
  let run: CurationRun;
  try {
    run = await runCuration({
      datasetPath: dataset,
      config,
      format: args.format,
      imageRoot: args.imageRoot ? path.resolve(args.imageRoot) : undefined,
      confineTo: args.imageRoot ? path.resolve(args.imageRoot) : path.dirname(dataset),
      probeFile: args.probe ? path.resolve(args.probe) : undefined,
      cacheDir: args.cache === null ? null : path.resolve(args.cache ?? defaultUserCacheDir()),
      manifestBase: outDir,
      onProgress: progressPrinter(args.quiet),
      signal,
      log,
    });
  } catch (e) {
    if (e instanceof CancelledError) {
      process.stderr.write('cadc: cancelled; nothing was written.\n');
      return EXIT.cancelled;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      process.stderr.write(`cadc: cannot read dataset: ${err.message}\n`);
      return EXIT.unreadable;
    }
    process.stderr.write(`cadc: curation failed: ${err.stack ?? err.message}\n`);
    return EXIT.failed;
  }
  if (signal?.aborted) {
    process.stderr.write('cadc: cancelled; nothing was written.\n');
    return EXIT.cancelled;
  }

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
  if (!args.quiet) {
    for (const d of s.diagnostics.slice(0, 20)) process.stderr.write(`${args.dataset}:${d.line}: ${d.severity}: ${d.message} [${d.code}]\n`);
    const more = s.diagnostics.length - 20;
    if (more > 0) process.stderr.write(`… and ${more} more diagnostics (counts: ${JSON.stringify(s.diagnosticCounts)})\n`);
    process.stderr.write(
      `cadc: ${s.samples} samples (${s.invalid} invalid lines), ${run.capabilities.K} capabilities, ` +
        `${run.selection.selected.length} selected in ${run.stages.length} stages → ${path.relative(process.cwd(), manifestPath)} ` +
        `(${(run.timingsMs.total / 1000).toFixed(1)} s${run.cacheHit ? ', cache hit' : ''})\n`,
    );
  }
  if (args.json) {
    const out = {
      manifest: manifestPath,
      ...(args.attributions ? { attributions: attributionsPath } : {}),
      dataset: dataset,
      sha256: s.sha256,
      cacheDir: args.cache === null ? null : path.resolve(args.cache ?? defaultUserCacheDir()),
      samples: s.samples,
      selected: run.selection.selected.length,
      invalidLines: s.invalid,
      capabilities: run.manifest.capabilities.map((c) => ({ id: c.id, name: c.name, size: c.size, selected: c.selected })),
      stages: run.manifest.stages.map((st) => ({ id: st.id, capabilities: st.capabilities, size: st.samples.length })),
      timingsMs: run.timingsMs,
      cacheHit: run.cacheHit,
      diagnosticCounts: s.diagnosticCounts,
      diagnostics: s.diagnostics.slice(0, 1000),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cadc: ${e.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    throw e;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
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
    return await curate(args, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`cadc: ${(e as Error).stack ?? e}\n`);
      process.exit(EXIT.failed);
    },
  );
}
