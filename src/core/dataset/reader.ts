// Streaming dataset reader: JSONL or a JSON array (Parquet files and shard folders go to parquet.ts), any format of docs/method.md §6, one Sample per
// valid record. Bad input becomes a diagnostic with its line number, never an exception; the file
// is read in chunks (never whole), and its sha256 is computed in the same pass. The pieces:
// splitter.ts (bytes → records), parser.ts (record → Sample or diagnostic), images.ts (image paths).
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../runtime/cancel';
import { DatasetReadError } from './errors';
import { ImageResolver } from './images';
import { isParquetDataset, readParquetDataset, readParquetRecords } from './parquet';
import { DiagnosticLog, RecordParser } from './parser';
import { readErrorMessage, sniffDataset } from './sniff';
import { RecordSplitter } from './splitter';
import type { DatasetFormat, DatasetSummary, ReadOptions, Sample, SampleSink } from './types';

/**
 * Reads a dataset, calling `sink` with each valid sample in file order. Throws DatasetReadError when
 * the file is not a dataset at all (empty, binary, CSV, Parquet, … from its first bytes; no usable
 * record after the full pass); bad records are diagnostics in the summary.
 */
export async function readDataset(file: string, opts: ReadOptions, sink: SampleSink): Promise<DatasetSummary> {
  const abs = path.resolve(file);
  if (await isParquetDataset(abs)) return readParquetDataset(abs, opts, sink);
  const total = (await fsp.stat(abs)).size;
  await sniffDataset(abs);
  const imageRoot = path.resolve(opts.imageRoot ?? path.dirname(abs));
  const diags = new DiagnosticLog(opts.maxDiagnostics ?? 10_000, opts.maxDiagnosticsPerCode);
  const resolver = new ImageResolver(imageRoot, opts.confineTo, opts.checkImages ?? true);
  const parser = new RecordParser(opts, resolver, diags, sink);
  let records = 0;
  const splitter = new RecordSplitter(
    opts.maxLineBytes ?? 16 * 1024 * 1024,
    (r) => parser.parse(r, records++),
    (line) => {
      parser.invalid++;
      diags.add(
        line,
        'error',
        'line-too-long',
        `The record is longer than ${opts.maxLineBytes ?? 16 * 1024 * 1024} bytes; it was skipped.`,
        records++,
      );
    },
    (line, msg) => {
      // A structural error of the array is a record lost (or a malformed tail): counted as invalid.
      parser.invalid++;
      diags.add(line, 'error', 'invalid-json', msg, records++);
    },
  );
  const hash = createHash('sha256');
  let bytesRead = 0;
  let lastByte: number | undefined;
  let first = true;
  let lastProgress = 0;
  for await (const raw of createReadStream(abs, { highWaterMark: 1 << 20 })) {
    if (opts.signal?.aborted) throw new CancelledError();
    let chunk = raw as Buffer;
    hash.update(chunk);
    bytesRead += chunk.length;
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        diags.add(1, 'info', 'bom', 'The file starts with a UTF-8 byte-order mark; it was ignored.');
        chunk = chunk.subarray(3);
        splitter.skipBytes(3); // offsets stay true file offsets
      }
    }
    splitter.push(chunk);
    if (opts.onProgress && bytesRead - lastProgress > 4 << 20) {
      lastProgress = bytesRead;
      opts.onProgress(bytesRead, total);
    }
  }
  splitter.end();
  if (splitter.sawCR) diags.add(1, 'info', 'crlf', 'The file uses CRLF line endings; they were accepted.');
  if (splitter.blankLines > 0) diags.add(1, 'info', 'blank-line', `${splitter.blankLines} blank line(s) were skipped.`);
  opts.onProgress?.(bytesRead, total);

  diags.kept.sort((a, b) => a.line - b.line);
  if (parser.samples === 0) throw noSamplesError(abs, splitter, records, diags, bytesRead, splitter.lineCount(lastByte));
  let format: DatasetFormat = 'llava';
  let best = -1;
  for (const [f, c] of parser.formatCounts) if (c > best) [format, best] = [f, c];
  if (opts.format && opts.format !== 'auto') format = opts.format;
  return {
    path: abs,
    container: splitter.container ?? 'jsonl',
    format,
    sha256: hash.digest('hex'),
    bytes: total,
    lines: splitter.lineCount(lastByte),
    records,
    samples: parser.samples,
    invalid: parser.invalid,
    imageRefs: parser.imageRefs,
    diagnosticCounts: diags.counts,
    diagnostics: diags.kept,
    labelFields: [],
  };
}

/** The DatasetReadError for a file read to the end without one usable record. */
function noSamplesError(
  file: string,
  splitter: RecordSplitter,
  records: number,
  diags: DiagnosticLog,
  bytes: number,
  lines: number,
): DatasetReadError {
  const firstError = diags.kept.find((d) => d.severity === 'error');
  const make = (code: 'empty' | 'truncated' | 'no-records', found: string, line: number, byte: number) =>
    new DatasetReadError(code, readErrorMessage(file, found, { line, byte }), line, byte, diags.kept);
  if (records === 0) {
    return make(
      'empty',
      splitter.container === 'json-array' ? 'an empty JSON array' : 'no records (only whitespace or blank lines)',
      lines,
      bytes,
    );
  }
  if (splitter.truncated && splitter.container === 'json-array') {
    const d = diags.kept.find((x) => x.code === 'invalid-json' && /JSON array/.test(x.message));
    return make('truncated', 'a JSON array that ends before it is closed, with no usable record', d?.line ?? lines, bytes);
  }
  const problem = firstError ? `; line ${firstError.line}: ${firstError.message}` : '';
  return make('no-records', `${records} record(s), none of a supported shape${problem}`, lines, bytes);
}

/** Bytes of Parquet row-group chunks (text columns) one re-read of samples may read. */
export const REREAD_PARQUET_BYTES = 64 * 1024 * 1024;

/**
 * Re-reads pool samples from their dataset as Samples, in the order given: a JSONL or JSON file's by
 * byte range (readRecordsAt), a Parquet file's or shard folder's by running line, from the rows' row
 * groups (text columns only; at most `parquetBytes` of chunks, rows past that are left undefined), each
 * through the same RecordParser as a read. Undefined where no record reads.
 */
export async function rereadSamples(
  file: string,
  items: readonly { offset: number; length: number; line: number }[],
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo' | 'checkImages'> = {},
  parquetBytes = REREAD_PARQUET_BYTES,
): Promise<(Sample | undefined)[]> {
  if (!(await isParquetDataset(path.resolve(file)))) return readRecordsAt(file, items, opts);
  const records = await readParquetRecords(
    path.resolve(file),
    items.map((x) => x.line),
    parquetBytes,
  );
  // The image root a read of this dataset has: a shard folder's own folder, a file's parent.
  const abs = path.resolve(file);
  const root = opts.imageRoot ?? ((await fsp.stat(abs)).isDirectory() ? abs : path.dirname(abs));
  const images = new ImageResolver(path.resolve(root), opts.confineTo, opts.checkImages ?? true);
  return items.map(({ line }) => {
    const value = records.get(line);
    if (value === undefined) return undefined;
    let out: Sample | undefined;
    new RecordParser(opts, images, new DiagnosticLog(0), (x) => (out = x)).parseValue(
      value,
      { bytes: Buffer.alloc(0), line, offset: 0 },
      0,
    );
    return out;
  });
}

/** Reads in flight at once when records are re-read by byte range. */
const READ_AHEAD = 32;

/** Re-reads one record from disk by byte range (hovers, previews). */
export async function readRecordAt(
  file: string,
  byteOffset: number,
  byteLength: number,
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo' | 'checkImages'> & { line?: number } = {},
): Promise<Sample | undefined> {
  const [out] = await readRecordsAt(file, [{ offset: byteOffset, length: byteLength, line: opts.line ?? 0 }], opts);
  return out;
}

/**
 * Re-reads records from disk by byte range with one open file (a capability's sample instructions,
 * its examples): each item's record, or undefined where the bytes hold none.
 */
export async function readRecordsAt(
  file: string,
  items: readonly { offset: number; length: number; line: number }[],
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo' | 'checkImages'> = {},
): Promise<(Sample | undefined)[]> {
  const fh = await fsp.open(file, 'r');
  try {
    const abs = path.resolve(file);
    const images = new ImageResolver(path.resolve(opts.imageRoot ?? path.dirname(abs)), opts.confineTo, opts.checkImages ?? true);
    const samples: (Sample | undefined)[] = [];
    // Up to READ_AHEAD reads in flight at once (each is a round trip through libuv's thread pool).
    for (let s = 0; s < items.length; s += READ_AHEAD) {
      const batch = items.slice(s, s + READ_AHEAD);
      const bufs = await Promise.all(
        batch.map(async ({ offset, length }) => {
          const buf = Buffer.alloc(length);
          await fh.read(buf, 0, length, offset);
          return buf;
        }),
      );
      batch.forEach(({ offset, line }, r) => {
        let out: Sample | undefined;
        // A parser per record, as a single re-read has: each record is read as if alone (no id seen before).
        new RecordParser(opts, images, new DiagnosticLog(0), (x) => (out = x)).parse({ bytes: bufs[r], line, offset }, 0);
        samples.push(out);
      });
    }
    return samples;
  } finally {
    await fh.close();
  }
}
