// File-level reading failures: the whole file is not a dataset we can read (an empty file, a CSV,
// Parquet before it is supported, a binary file, a JSON array cut short before any record). A bad
// *record* is never one of these: it is a diagnostic on its own line and the run goes on.
// Callers map DatasetReadError to "unreadable input" (CLI exit 3, an error object with --json,
// a message in the editor); its message is one line saying what was found, what is supported, and
// where reading stopped.

export type DatasetReadErrorCode =
  | 'not-found' // the path does not exist or is not a readable file
  | 'empty' // zero bytes, or only whitespace / blank lines
  | 'unsupported-format' // CSV, TSV, Parquet, … : recognised, but not a format we read
  | 'binary' // bytes that are not text
  | 'truncated' // a JSON array (or record) that ends before it is closed, with no usable record
  | 'no-records'; // text, but not one record of a supported shape

import type { DatasetDiagnostic } from './types';

export class DatasetReadError extends Error {
  constructor(
    readonly code: DatasetReadErrorCode,
    message: string,
    /** 1-based line where reading stopped, when known. */
    readonly line?: number,
    /** 0-based byte offset where reading stopped, when known. */
    readonly byte?: number,
    /** The per-line diagnostics of a full pass that found no usable record (to show where it went wrong). */
    readonly diagnostics: DatasetDiagnostic[] = [],
  ) {
    super(message);
    this.name = 'DatasetReadError';
  }
}

/** The formats we read, for messages. */
export const SUPPORTED_FORMATS_TEXT =
  'JSONL or a JSON array of LLaVA, ShareGPT, OpenAI-messages, Cauldron or Alpaca records, or Parquet (a file or a folder of shards) with such columns';
