// What the `cadc` commands print: the logger and progress lines on stderr, and failures (one line on
// stderr; with --json also an error object on stdout; the stack only with --verbose).
import { STAGES } from '../core/runtime/progress';
import type { Logger } from '../core/runtime/log';
import type { ProgressEvent } from '../core/runtime/progress';
import { reasonOf } from '../app/outcome';
import type { Failure } from '../app/outcome';

export function makeLogger(quiet: boolean): Logger {
  const w = (level: string) => (msg: string) => {
    if (!quiet || level === 'error') process.stderr.write(`${level === 'info' ? '' : `[${level}] `}${msg}\n`);
  };
  return { info: w('info'), warn: w('warn'), error: w('error'), debug: () => undefined };
}

/**
 * One line per pipeline stage, `[k/N] name` as it starts or `[k/N] name (cached)` when its result
 * came from the cache; k is the stage's place in STAGES, so the numbering is the same on every run
 * and the last line is `[N/N]`. On a terminal the line also shows the stage's progress in place.
 */
export function progressPrinter(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): (e: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  let open: string | undefined; // the stage whose line is still being updated in place (tty only)
  const seen = new Set<string>();
  return (e) => {
    if (quiet) return;
    const label = `[${STAGES.indexOf(e.stage) + 1}/${STAGES.length}] ${e.stage}`;
    if (!seen.has(e.stage)) {
      seen.add(e.stage);
      if (open) stream.write('\n');
      open = undefined;
      if (e.cached) {
        stream.write(`${label} (cached)\n`);
        return;
      }
      if (!tty) {
        stream.write(`${label}\n`);
        return;
      }
      open = e.stage;
    }
    if (tty && open === e.stage) {
      stream.write(`\r\x1b[K${label} ${Math.round(e.fraction * 100)}%${e.message ? ` ${e.message}` : ''}`);
      if (e.fraction >= 1) {
        stream.write('\n');
        open = undefined;
      }
    }
  };
}

/** The `--json` error object of a failed command. */
export function errorObject(f: Failure): { error: { code: string; message: string; exit: number; line?: number; byte?: number } } {
  return {
    error: {
      code: reasonOf(f),
      message: f.message,
      exit: f.code,
      ...(f.line !== undefined ? { line: f.line } : {}),
      ...(f.byte !== undefined ? { byte: f.byte } : {}),
    },
  };
}

/** Prints a failure: `cadc: <message>` on stderr (and the stack with --verbose), the error object on stdout with --json. */
export function printFailure(f: Failure, opts: { json?: boolean; verbose?: boolean; hint?: string }): number {
  process.stderr.write(`cadc: ${f.message}\n`);
  if (opts.hint) process.stderr.write(`${opts.hint}\n`);
  if (opts.verbose && f.stack) process.stderr.write(`${f.stack}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(errorObject(f))}\n`);
  return f.code;
}
