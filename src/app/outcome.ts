// How a use case ends when it does not succeed, in one place: the exit codes (the CLI's exit status
// and the backend's ResponseError code alike), the Failure shape, and the mapping of thrown errors.
import * as path from 'node:path';
import { DatasetReadError } from '../core/dataset/errors';
import { GradientsImportError } from '../core/gradients/importIndex';
import { CancelledError } from '../core/runtime/cancel';
import { ScoresFileError } from '../core/selection/scores';
import { FileExistsError } from '../core/util/atomicFile';

export const EXIT = { ok: 0, usage: 2, unreadable: 3, exists: 4, failed: 5, cancelled: 130 } as const;

/** An option (a command-line flag, a setting, a request field) has a value that cannot be used: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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

/** Exit 2: an option's value (or a file it names) cannot be used. */
export function usageFailure(message: string): Failure {
  return { code: EXIT.usage, reason: 'usage', message };
}

/** Exit 130: cancelled before anything was written. */
export function cancelledFailure(): Failure {
  return { code: EXIT.cancelled, reason: 'cancelled', message: 'cancelled; nothing was written.' };
}

/** Exit 3: the dataset path is not a readable file (`why` says what went wrong). */
export function notFoundFailure(dataset: string, why: string): Failure {
  return { code: EXIT.unreadable, reason: 'not-found', message: `cannot read dataset ${dataset}: ${why}` };
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

/** One line: newlines and runs of blanks in a message become single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The outcome of a command that threw: cancelled (130); a scores file that cannot be used (2); an
 * input that is not a dataset we read (DatasetReadError), a gradient folder that does not fit it
 * (GradientsImportError) or cannot be opened (3, `unreadable: …`,
 * one line with where reading stopped); a file that appeared while writing (4); or any other
 * failure (5, `<doing> failed: …`, one line; the stack apart for `--verbose`).
 */
export function failureOutcome(e: unknown, doing: string, unreadable: string): Failure {
  if (e instanceof CancelledError) return cancelledFailure();
  if (e instanceof ScoresFileError) return usageFailure(e.message);
  if (e instanceof FileExistsError) return existsFailure(e.file, true);
  if (e instanceof GradientsImportError)
    return {
      code: EXIT.unreadable,
      reason: e.reason,
      message: `cannot use gradients: ${oneLine(e.message)}`,
      ...(e.stack ? { stack: e.stack } : {}),
    };
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
    return {
      code: EXIT.unreadable,
      reason: 'not-found',
      message: `${unreadable}: ${oneLine(err.message)}`,
      ...(err.stack ? { stack: err.stack } : {}),
    };
  }
  return {
    code: EXIT.failed,
    reason: 'failed',
    message: `${doing} failed: ${oneLine(String(err?.message ?? err))}`,
    ...(err?.stack ? { stack: err.stack } : {}),
  };
}
