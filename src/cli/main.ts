// `cadc` command-line entry: curate a dataset headless, with the same results as the extension for
// the same dataset, config and seed.
import * as path from 'node:path';
import { TOOL_VERSION } from '../core/pipeline/run';
import { STAGES } from '../core/pipeline/types';
import type { Logger, ProgressEvent } from '../core/pipeline/types';
import { parseArgs, UsageError, USAGE } from './args';
import type { CurateArgs } from './args';
import { curateToFiles, EXIT } from './curate';
import { compare } from './compare';
import { report } from './report';

export { EXIT };

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
  const outcome = await curateToFiles(args, { signal, onProgress: progressPrinter(args.quiet), log: makeLogger(args.quiet) });
  if (outcome.code !== EXIT.ok || !outcome.result) {
    process.stderr.write(`cadc: ${outcome.message}\n`);
    return outcome.code;
  }
  const r = outcome.result;
  if (!args.quiet) {
    for (const d of r.diagnostics.slice(0, 20)) process.stderr.write(`${args.dataset}:${d.line}: ${d.severity}: ${d.message} [${d.code}]\n`);
    const more = r.diagnostics.length - 20;
    if (more > 0) process.stderr.write(`… and ${more} more diagnostics (counts: ${JSON.stringify(r.diagnosticCounts)})\n`);
    for (const note of r.notes) process.stderr.write(`cadc: note: ${note}\n`);
    process.stderr.write(
      `cadc: ${r.samples} samples (${r.invalidLines} invalid lines), ${r.capabilities.length} capabilities, ` +
        `${r.selected} selected in ${r.stages.length} stages → ${path.relative(process.cwd(), r.manifest)} ` +
        `(${(r.timingsMs.total / 1000).toFixed(1)} s${r.cacheHit ? ', cache hit' : ''})\n`,
    );
  }
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
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
    if (args.command === 'report') return await report(args, controller.signal);
    if (args.command === 'compare') {
      return await compare(args, { signal: controller.signal, onProgress: progressPrinter(args.curate.quiet), log: makeLogger(args.curate.quiet) });
    }
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
  main(process.argv.slice(2)).then(
    (code) => exitAfterFlush(code),
    (e) => {
      process.stderr.write(`cadc: ${(e as Error).stack ?? e}\n`);
      process.exit(EXIT.failed);
    },
  );
}
