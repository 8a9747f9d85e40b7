// Writing a use case's output files (the CLI's manifest, attributions, report and comparison files):
// where they go, the early "already there" check, and the atomic, all-or-nothing writes.
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { datasetStem } from '../core/curriculum/manifest';
import { cleanStaleTemps, FileExistsError, writeFileAtomic } from '../core/util/atomicFile';
import type { Chunk } from '../core/util/atomicFile';
import { EXIT, existsFailure, oneLine } from './outcome';
import type { Failure } from './outcome';

/** Checks a path is a readable regular file (or a folder: of Parquet shards); returns what is wrong with it, or undefined. */
export function unreadable(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    const st = statSync(file);
    if (!st.isFile() && !st.isDirectory()) return 'not a file';
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
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
      return {
        code: EXIT.failed,
        reason: 'failed',
        message: `cannot write ${path.relative(process.cwd(), f.path)}: ${oneLine(err.message)}`,
        ...(err.stack ? { stack: err.stack } : {}),
      };
    }
    written.push(f.path);
  }
  return undefined;
}

/** The friendly early exit 4 when one of `files` is already there (the writes check again, atomically). */
export function firstExisting(files: string[]): Failure | undefined {
  const there = files.find((f) => existsSync(f));
  return there ? existsFailure(there) : undefined;
}

/** `<out>/<stem>.cadc.<kind>.md` and `.json`: where a report or a comparison is written. */
export function outputPaths(dataset: string, out: string, kind: 'report' | 'compare'): { markdown: string; json: string } {
  const dir = path.resolve(out);
  const stem = datasetStem(dataset);
  return { markdown: path.join(dir, `${stem}.cadc.${kind}.md`), json: path.join(dir, `${stem}.cadc.${kind}.json`) };
}

/**
 * Writes a result as JSON and as Markdown to its two output files, atomically; without `force`
 * neither replaces an existing file (and a refused write leaves neither behind).
 */
export function writeOutputs(
  files: { markdown: string; json: string },
  value: unknown,
  markdown: string,
  force: boolean,
): Failure | undefined {
  return writeOutputFiles(
    [
      { path: files.json, data: `${JSON.stringify(value, null, 2)}\n` },
      { path: files.markdown, data: markdown },
    ],
    force,
  );
}
