// Types of the dataset layer: one normalised record per sample, whatever the source format.
// Nothing here imports `vscode`; the extension, backend, CLI and tests all share these.

/** Record formats met in the wild (docs/method.md §6). */
export type DatasetFormat = 'llava' | 'sharegpt' | 'openai' | 'cauldron' | 'alpaca';
/** How records are laid out in the file. */
export type DatasetContainer = 'jsonl' | 'json-array' | 'parquet';

export interface Turn {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

export type ImageProblem = 'missing' | 'outside-root' | 'remote' | 'invalid-path';

export interface ImageRef {
  /** The reference exactly as written in the record. */
  raw: string;
  /** Absolute path, resolved against the image root; absent when the ref is unusable. */
  path?: string;
  /** Why the image cannot be used (absent: the file exists inside the root, or the bytes are embedded). */
  problem?: ImageProblem;
  /**
   * Image bytes embedded in the dataset (a Parquet `{bytes, path}` struct). Present only on the
   * sample handed to the sink while the read streams: sinks use them (features, export) and must not
   * keep them. `raw` is then the struct's path, or `<shard>#<row>/<k>` when it has none.
   */
  bytes?: Uint8Array;
  /** Where embedded bytes live: the shard, the row in it and the image's place in the row. */
  embedded?: EmbeddedImageAddress;
}

/** The address of an image embedded in a Parquet dataset (readEmbeddedImage reads it back). */
export interface EmbeddedImageAddress {
  shard: string;
  row: number;
  image: number;
}

export interface Sample {
  /** 0-based position among the valid samples, in file order. */
  index: number;
  /** 0-based position among all records (valid or not): JSONL record number or JSON array index. */
  recordIndex: number;
  /** 1-based line number where the record starts (Parquet: the 1-based row across all shards). */
  line: number;
  /** Parquet: the shard file the row is in, and its 0-based row there. */
  shard?: string;
  row?: number;
  /** Byte offset of the record's first byte in the file, and its length in bytes. */
  byteOffset: number;
  byteLength: number;
  /** The record's own id, or `line-<line>` when it has none. */
  id: string;
  format: DatasetFormat;
  turns: Turn[];
  images: ImageRef[];
  /**
   * Label fields (task_name, source, category, dataset, ability, model, …) as strings; arrays are
   * joined with ','. Only scalar/array-of-scalar fields outside the conversation are kept.
   */
  labels: Record<string, string>;
  /**
   * Problems that keep the sample out of a selection by default (SAMPLE_FLAG bits; 0 or absent: none):
   * see problems.ts `FLAG_CODES` and `cadc.selection.includeFlagged`.
   */
  flags?: number;
}

/**
 * Per-sample problem bits (Sample.flags, Pool.flags). A flagged sample is read and featurised like
 * any other, but selection leaves it out unless the curator includes flagged samples.
 */
export const SAMPLE_FLAG = {
  /** An image reference that does not resolve to a readable file (missing, empty/invalid path, undecodable). */
  missingImage: 1,
  /** An image reference that leaves the image root / workspace (ignored). */
  imageOutsideRoot: 2,
  /** A real `<image>` token / image mismatch (parser.ts `imageTokenMismatch`). */
  imageTokenMismatch: 4,
} as const;

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

export type DiagnosticCode =
  | 'invalid-json' // not parseable JSON (with the parser's reason)
  | 'wrong-shape' // JSON, but not a record of the detected/forced format
  | 'empty-turns' // no user turn or no assistant turn with text
  | 'empty-answer' // an assistant turn whose text is empty/whitespace
  | 'missing-image' // the image file does not exist under the image root
  | 'image-outside-root' // the reference escapes the workspace/image root (../, absolute elsewhere, symlink out)
  | 'remote-image' // http(s)/data URL: not fetched
  | 'image-token-mismatch' // <image> tokens but no image, or a token count that differs from the images (no token at all is normal)
  | 'bom' // UTF-8 byte-order mark at the start of the file (stripped, info)
  | 'crlf' // CRLF line endings (accepted, info; reported once)
  | 'line-too-long' // a line over the size limit (skipped)
  | 'invalid-utf8' // bytes that are not UTF-8 (record skipped)
  | 'duplicate-id' // the id was already used by an earlier record (warning)
  | 'blank-line' // empty line inside JSONL (info, counted once per file)
  | 'misplaced-bom' // a byte-order mark anywhere but byte 0 of the file, outside a string (record skipped)
  | 'too-deep' // a record nested deeper than MAX_NESTING (record skipped before parsing)
  | 'label-fields-dropped' // fields that do not look like labels, or over the cap (info, once per file)
  | 'unreadable-shard'; // Parquet: a shard or row group that cannot be decoded (its rows are invalid)

export interface DatasetDiagnostic {
  /** 1-based line. */
  line: number;
  /** 1-based column where known. */
  column?: number;
  recordIndex?: number;
  severity: DiagnosticSeverity;
  code: DiagnosticCode;
  message: string;
}

export interface ReadOptions {
  /** Force a record format; default 'auto' (detected from the first valid records). */
  format?: DatasetFormat | 'auto';
  /** Folder image references are resolved against; default: the dataset's folder. */
  imageRoot?: string;
  /**
   * Outermost folder images may live in (workspace root). References that resolve outside both the
   * image root and this folder are rejected. Default: the image root.
   */
  confineTo?: string;
  /** Lines longer than this many bytes are skipped with a diagnostic. Default 16 MiB. */
  maxLineBytes?: number;
  /** Check that image files exist (fs.stat). Default true. */
  checkImages?: boolean;
  /** At most this many diagnostics are kept (all are counted). Default 10,000. */
  maxDiagnostics?: number;
  /** At most this many diagnostics of one code are kept (all are counted). Default 100 (DIAGNOSTICS_PER_CODE). */
  maxDiagnosticsPerCode?: number;
  signal?: AbortSignal;
  /**
   * Readers that stream in batches (Parquet: one row group) await this after each batch's samples
   * went to the sink, so a sink can finish async work on data it must not keep (embedded images).
   */
  onBatchEnd?: () => Promise<void>;
  /** Called now and then with bytes read so far and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface DatasetSummary {
  /** Absolute path that was read. */
  path: string;
  container: DatasetContainer;
  format: DatasetFormat;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  bytes: number;
  /** Number of lines in the file (newline count, +1 if the last line has no newline and is not empty). */
  lines: number;
  /** Records seen (valid + invalid). */
  records: number;
  samples: number;
  invalid: number;
  /** Image references of the valid records that were resolved (the denominator of the image problems). */
  imageRefs?: number;
  /** Every diagnostic counted by code, including those not kept. */
  diagnosticCounts: Partial<Record<DiagnosticCode, number>>;
  /** Diagnostics kept (capped by maxDiagnostics and per code by maxDiagnosticsPerCode), in line order. */
  diagnostics: DatasetDiagnostic[];
  /**
   * Parquet: the shards in reading order (file name, rows, sha256, bytes); a shard whose footer could
   * not be read has rows 0. The dataset's sha256 is then that of the lines `<name>\t<sha256>\n`.
   */
  shards?: { name: string; rows: number; sha256: string; bytes: number }[];
  /** Label fields present, with the number of samples carrying each and distinct values. */
  labelFields: { name: string; present: number; distinct: number }[];
}

/** Receives samples in file order while the file streams. */
export type SampleSink = (sample: Sample) => void;
