// Streaming dataset reader: JSONL or a JSON array, any format of docs/method.md §6, one Sample per
// valid record. Bad input becomes a diagnostic with its line number, never an exception; the file
// is read in chunks (never whole), and its sha256 is computed in the same pass.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../runtime/cancel';
import { boundMessage, describeValue, excerpt } from './describe';
import { DatasetReadError } from './errors';
import { detectFormat, normaliseRecord } from './normalise';
import { readErrorMessage, sniffDataset } from './sniff';
import type {
  DatasetContainer,
  DatasetDiagnostic,
  DatasetFormat,
  DatasetSummary,
  DiagnosticCode,
  DiagnosticSeverity,
  ImageRef,
  ReadOptions,
  Sample,
  SampleSink,
} from './types';

const NL = 0x0a;
const CR = 0x0d;

/**
 * Records nested deeper than this are skipped with a diagnostic before they are parsed. Node 20's
 * JSON.parse copes with 1,000,000 levels, but JSON.stringify, util.inspect, structuredClone and any
 * recursive walk overflow the stack at a few thousand; real records nest 3 to 6 deep.
 */
export const MAX_NESTING = 256;

/**
 * How deep a JSON text nests, scanning bytes (strings and escapes skipped), and where the first
 * byte-order mark outside a string is. Stops as soon as the depth passes `limit`.
 */
export function scanJson(bytes: Buffer, limit: number): { depth: number; bomAt: number } {
  let depth = 0;
  let max = 0;
  let inString = false;
  let escape = false;
  let bomAt = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (escape) escape = false;
      else if (b === 0x5c) escape = true;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max && (max = depth) > limit) break;
    } else if (b === 0x7d || b === 0x5d) depth--;
    else if (b === 0xef && bomAt < 0 && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) bomAt = i;
  }
  return { depth: max, bomAt };
}

interface RawRecord {
  bytes: Buffer;
  line: number;
  offset: number;
}

/** Resolves image references against a root, confined to it (or to confineTo), with a stat cache. */
export class ImageResolver {
  private readonly roots: string[];
  private readonly cache = new Map<string, ImageRef>();

  constructor(
    private readonly imageRoot: string,
    confineTo: string | undefined,
    private readonly checkExists: boolean,
  ) {
    const real = (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return path.resolve(p);
      }
    };
    // Both the paths as given and their real paths: a root reached through a symlink still counts.
    const given = [imageRoot, ...(confineTo ? [confineTo] : [])];
    this.roots = [...new Set([...given.map((p) => path.resolve(p)), ...given.map(real)])];
  }

  private inside(p: string): boolean {
    return this.roots.some((r) => {
      const rel = path.relative(r, p);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
  }

  resolve(raw: string): ImageRef {
    const hit = this.cache.get(raw);
    if (hit) return hit;
    let ref: ImageRef;
    if (/^(https?|data|ftp|file):/i.test(raw)) ref = { raw, problem: 'remote' };
    else if (raw.trim() === '' || raw.includes('\0')) ref = { raw, problem: 'invalid-path' };
    else {
      const abs = path.resolve(this.imageRoot, raw);
      if (!this.inside(abs)) ref = { raw, problem: 'outside-root' };
      else if (!this.checkExists) ref = { raw, path: abs };
      else {
        let real: string | undefined;
        try {
          real = realpathSync(abs);
        } catch {
          real = undefined;
        }
        if (real === undefined) ref = { raw, path: abs, problem: 'missing' };
        else if (!this.inside(real)) ref = { raw, problem: 'outside-root' };
        else {
          let isFile = false;
          try {
            isFile = statSync(real).isFile();
          } catch {
            isFile = false;
          }
          ref = isFile ? { raw, path: real } : { raw, path: abs, problem: 'missing' };
        }
      }
    }
    if (this.cache.size < 200_000) this.cache.set(raw, ref);
    return ref;
  }
}

class DiagnosticLog {
  readonly kept: DatasetDiagnostic[] = [];
  readonly counts: Partial<Record<DiagnosticCode, number>> = {};
  constructor(private readonly max: number) {}

  add(line: number, severity: DiagnosticSeverity, code: DiagnosticCode, message: string, recordIndex?: number, column?: number): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (this.kept.length < this.max) this.kept.push({ line, severity, code, message: boundMessage(message), ...(recordIndex !== undefined ? { recordIndex } : {}), ...(column !== undefined ? { column } : {}) });
  }
}

const IMAGE_TOKEN = /<image>/g;

/** Builds a Sample from one record's bytes, or reports why it cannot. */
class RecordParser {
  // ignoreBOM: a byte-order mark is data here (one at byte 0 of the file is dropped before), so a
  // record that starts with one is diagnosed instead of passing silently.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly seenIds = new Set<string>();
  readonly formatCounts = new Map<DatasetFormat, number>();
  samples = 0;
  invalid = 0;

  constructor(
    private readonly opts: ReadOptions,
    private readonly images: ImageResolver,
    private readonly diags: DiagnosticLog,
    private readonly sink: SampleSink,
  ) {}

  parse(rec: RawRecord, recordIndex: number): void {
    try {
      this.parseRecord(rec, recordIndex);
    } catch (e) {
      // A bad record costs only its own line, whatever it trips over (a RangeError from a stack
      // or allocation limit); errors of the sink (our own code) are not the record's and go on.
      if (!(e instanceof RecordError)) throw e;
      this.invalid++;
      this.diags.add(rec.line, 'error', 'wrong-shape', `The record could not be read: ${e.message}`, recordIndex);
    }
  }

  private parseRecord(rec: RawRecord, recordIndex: number): void {
    let text: string;
    try {
      text = this.decoder.decode(rec.bytes);
    } catch {
      this.invalid++;
      this.diags.add(rec.line, 'error', 'invalid-utf8', 'The record contains bytes that are not valid UTF-8; it was skipped.', recordIndex);
      return;
    }
    const scan = scanJson(rec.bytes, MAX_NESTING);
    if (scan.bomAt >= 0) {
      this.invalid++;
      this.diags.add(
        rec.line,
        'error',
        'misplaced-bom',
        `A byte-order mark at byte ${rec.offset + scan.bomAt} of the file (allowed only at byte 0); the record was skipped.`,
        recordIndex,
      );
      return;
    }
    if (scan.depth > MAX_NESTING) {
      this.invalid++;
      this.diags.add(rec.line, 'error', 'too-deep', `The record nests deeper than ${MAX_NESTING} levels (${rec.bytes.length} bytes); it was skipped.`, recordIndex);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw new RecordError(e);
      this.invalid++;
      const msg = e.message.replace(/^JSON\.parse: /, '');
      this.diags.add(rec.line, 'error', 'invalid-json', `Invalid JSON: ${msg}`, recordIndex);
      return;
    }
    try {
      this.accept(value, rec, recordIndex);
    } catch (e) {
      if (e instanceof SinkError) throw e.cause;
      throw new RecordError(e);
    }
  }

  private accept(value: unknown, rec: RawRecord, recordIndex: number): void {
    const forced = this.opts.format && this.opts.format !== 'auto' ? this.opts.format : undefined;
    const format = forced ?? detectFormat(value);
    if (!format) {
      this.invalid++;
      const found =
        value && typeof value === 'object' && !Array.isArray(value)
          ? `${describeValue(value)}${Object.keys(value).length > 0 ? `: ${Object.keys(value).slice(0, 6).map((k) => excerpt(k, 24)).join(', ')}` : ''}`
          : describeValue(value);
      this.diags.add(rec.line, 'error', 'wrong-shape', `Not a record of a known format (expected conversations, messages, texts or instruction/output; found ${found}).`, recordIndex);
      return;
    }
    const norm = normaliseRecord(value, format);
    if (typeof norm === 'string') {
      this.invalid++;
      this.diags.add(rec.line, 'error', 'wrong-shape', `Wrong shape for ${format}: ${norm}.`, recordIndex);
      return;
    }
    const hasUser = norm.turns.some((t) => t.role === 'user' && t.text.trim() !== '');
    const hasAnswer = norm.turns.some((t) => t.role === 'assistant' && t.text.trim() !== '');
    if (!hasUser || !hasAnswer) {
      this.invalid++;
      this.diags.add(
        rec.line,
        'error',
        'empty-turns',
        !hasUser ? 'The record has no instruction (no user turn with text).' : 'The record has no answer (no assistant turn with text).',
        recordIndex,
      );
      return;
    }
    if (norm.turns.some((t) => t.role === 'assistant' && t.text.trim() === '')) {
      this.diags.add(rec.line, 'warning', 'empty-answer', 'An assistant turn is empty.', recordIndex);
    }
    const images = norm.images.map((raw) => this.images.resolve(raw));
    for (const img of images) {
      if (img.problem === 'missing') this.diags.add(rec.line, 'warning', 'missing-image', `Image not found: ${excerpt(img.raw, 120)}`, recordIndex);
      else if (img.problem === 'outside-root') {
        this.diags.add(rec.line, 'warning', 'image-outside-root', `Image path leaves the image root and is ignored: ${excerpt(img.raw, 120)}`, recordIndex);
      } else if (img.problem === 'remote') this.diags.add(rec.line, 'info', 'remote-image', `Remote image not fetched: ${excerpt(img.raw, 80)}`, recordIndex);
      else if (img.problem === 'invalid-path') this.diags.add(rec.line, 'warning', 'missing-image', 'Empty or invalid image path.', recordIndex);
    }
    let tokens = 0;
    for (const t of norm.turns) if (t.role === 'user') tokens += (t.text.match(IMAGE_TOKEN) ?? []).length;
    if (tokens > 0 && tokens !== images.length) {
      this.diags.add(rec.line, 'warning', 'image-token-mismatch', `${tokens} <image> token(s) but ${images.length} image(s).`, recordIndex);
    }
    let id = norm.id ?? `line-${rec.line}`;
    if (this.seenIds.has(id)) {
      this.diags.add(rec.line, 'warning', 'duplicate-id', `The id ${excerpt(id, 80)} was already used by an earlier record.`, recordIndex);
      id = `${id}#line-${rec.line}`;
    }
    this.seenIds.add(id);
    this.formatCounts.set(norm.format, (this.formatCounts.get(norm.format) ?? 0) + 1);
    const sample: Sample = {
      index: this.samples++,
      recordIndex,
      line: rec.line,
      byteOffset: rec.offset,
      byteLength: rec.bytes.length,
      id,
      format: norm.format,
      turns: norm.turns,
      images,
      labels: norm.labels,
    };
    try {
      this.sink(sample);
    } catch (e) {
      throw new SinkError(e);
    }
  }
}

/** Something went wrong on one record's value (not in the sink): the record is skipped. */
class RecordError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
  }
}
/** The sink threw: rethrown as is. */
class SinkError extends Error {
  constructor(override readonly cause: unknown) {
    super('sink');
  }
}

/**
 * Splits a byte stream into records: lines for JSONL, top-level elements for a JSON array (a small
 * scanner tracking strings, escapes and depth, so each element's offset and start line are known).
 */
class RecordSplitter {
  container: DatasetContainer | undefined;
  lines = 1;
  private offset = 0; // absolute offset of the next byte to scan
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private recStart = -1; // absolute offset of the current record, -1 = none
  private recLine = 1;
  private tooLong = false;
  // JSON-array scanner state
  private depth = 0;
  private inString = false;
  private escape = false;
  private arrayClosed = false;
  sawCR = false;
  blankLines = 0;
  /** The JSON array ended before it was closed. */
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (r: RawRecord) => void,
    private readonly onTooLong: (line: number) => void,
    private readonly onStructure: (line: number, msg: string, byte: number) => void,
  ) {}

  /** Bytes consumed outside the splitter (a BOM) still count for offsets. */
  skipBytes(n: number): void {
    this.offset += n;
  }

  push(chunk: Buffer): void {
    if (this.container === undefined) {
      const first = chunk.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== NL && b !== CR);
      if (first < 0) {
        this.advanceLines(chunk, 0, chunk.length);
        this.offset += chunk.length;
        return;
      }
      this.container = chunk[first] === 0x5b ? 'json-array' : 'jsonl';
    }
    if (this.container === 'jsonl') this.pushJsonl(chunk);
    else this.pushArray(chunk);
  }

  private advanceLines(buf: Buffer, from: number, to: number): void {
    for (let i = buf.indexOf(NL, from); i >= 0 && i < to; i = buf.indexOf(NL, i + 1)) this.lines++;
  }

  private keep(buf: Buffer): void {
    if (this.tooLong) return;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes > this.maxBytes) {
      this.tooLong = true;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }

  private take(): Buffer {
    const b = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return b;
  }

  private pushJsonl(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.recStart < 0) {
        this.recStart = this.offset + pos;
        this.recLine = this.lines;
        this.tooLong = false;
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.keep(chunk.subarray(pos));
        break;
      }
      this.keep(chunk.subarray(pos, nl));
      this.finishLine();
      this.lines++;
      pos = nl + 1;
    }
    this.offset += chunk.length;
  }

  /** Closes the current record: its bytes and start offset, or undefined when it was too long. */
  private closeRecord(): { bytes: Buffer; start: number } | undefined {
    const start = this.recStart;
    this.recStart = -1;
    if (this.tooLong) {
      this.tooLong = false;
      this.onTooLong(this.recLine);
      return undefined;
    }
    return { bytes: this.take(), start };
  }

  private finishLine(): void {
    const rec = this.closeRecord();
    if (!rec) return;
    let { bytes } = rec;
    const { start } = rec;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      this.sawCR = true;
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    let s = 0;
    while (s < bytes.length && (bytes[s] === 0x20 || bytes[s] === 0x09)) s++;
    if (s === bytes.length) {
      this.blankLines++;
      return;
    }
    this.emit({ bytes, line: this.recLine, offset: start });
  }

  private pushArray(chunk: Buffer): void {
    let segStart = this.recStart >= 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === NL) this.lines++;
      if (this.arrayClosed) {
        if (b !== 0x20 && b !== 0x09 && b !== NL && b !== CR) {
          this.onStructure(this.lines, 'Unexpected content after the closing ] of the JSON array.', this.offset + i);
          this.arrayClosed = false;
          this.depth = -1; // stop scanning
        }
        continue;
      }
      if (this.depth < 0) continue;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 0x5c) this.escape = true;
        else if (b === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (b === 0x5b) this.depth = 1;
        continue;
      }
      if (this.depth === 1 && this.recStart < 0) {
        if (b === 0x20 || b === 0x09 || b === NL || b === CR || b === 0x2c) continue;
        if (b === 0x5d) {
          this.arrayClosed = true;
          this.depth = 0;
          continue;
        }
        this.recStart = this.offset + i;
        this.recLine = this.lines - (b === NL ? 1 : 0);
        this.tooLong = false;
        segStart = i;
      }
      if (b === 0x22) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (this.depth === 1) {
          // ']' closing the array right after an element without a comma.
          this.keep(chunk.subarray(segStart, i));
          this.finishElement();
          segStart = -1;
          this.arrayClosed = true;
          this.depth = 0;
          continue;
        }
        this.depth--;
      } else if (b === 0x2c && this.depth === 1) {
        this.keep(chunk.subarray(segStart, i));
        this.finishElement();
        segStart = -1;
      }
    }
    if (this.recStart >= 0 && segStart >= 0) this.keep(chunk.subarray(segStart));
    this.offset += chunk.length;
  }

  private finishElement(): void {
    const rec = this.closeRecord();
    if (!rec) return;
    let { bytes } = rec;
    const { start } = rec;
    let e = bytes.length;
    while (e > 0 && (bytes[e - 1] === 0x20 || bytes[e - 1] === 0x09 || bytes[e - 1] === NL || bytes[e - 1] === CR)) e--;
    bytes = bytes.subarray(0, e);
    this.emit({ bytes, line: this.recLine, offset: start });
  }

  end(): void {
    if (this.container === 'jsonl') {
      if (this.recStart >= 0) this.finishLine();
    } else if (this.container === 'json-array') {
      if (this.recStart >= 0) {
        this.truncated = true;
        this.onStructure(this.recLine, 'The JSON array ends in the middle of an element (truncated file?).', this.recStart);
      } else if (this.depth > 0 && !this.arrayClosed) {
        this.truncated = true;
        this.onStructure(this.lines, 'The JSON array is not closed with ].', this.offset);
      }
    }
  }

  /** Lines in the file: newline count, plus one if the last line has content. */
  lineCount(lastByte: number | undefined): number {
    return lastByte === undefined ? 0 : lastByte === NL ? this.lines - 1 : this.lines;
  }
}

/**
 * Reads a dataset, calling `sink` with each valid sample in file order. Throws DatasetReadError when
 * the file is not a dataset at all (empty, binary, CSV, Parquet, … from its first bytes; no usable
 * record after the full pass); bad records are diagnostics in the summary.
 */
export async function readDataset(file: string, opts: ReadOptions, sink: SampleSink): Promise<DatasetSummary> {
  const abs = path.resolve(file);
  const total = (await fsp.stat(abs)).size;
  await sniffDataset(abs);
  const imageRoot = path.resolve(opts.imageRoot ?? path.dirname(abs));
  const diags = new DiagnosticLog(opts.maxDiagnostics ?? 10_000);
  const resolver = new ImageResolver(imageRoot, opts.confineTo, opts.checkImages ?? true);
  const parser = new RecordParser(opts, resolver, diags, sink);
  let records = 0;
  const splitter = new RecordSplitter(
    opts.maxLineBytes ?? 16 * 1024 * 1024,
    (r) => parser.parse(r, records++),
    (line) => {
      parser.invalid++;
      diags.add(line, 'error', 'line-too-long', `The record is longer than ${opts.maxLineBytes ?? 16 * 1024 * 1024} bytes; it was skipped.`, records++);
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
    diagnosticCounts: diags.counts,
    diagnostics: diags.kept,
    labelFields: [],
  };
}

/** The DatasetReadError for a file read to the end without one usable record. */
function noSamplesError(file: string, splitter: RecordSplitter, records: number, diags: DiagnosticLog, bytes: number, lines: number): DatasetReadError {
  const firstError = diags.kept.find((d) => d.severity === 'error');
  const make = (code: 'empty' | 'truncated' | 'no-records', found: string, line: number, byte: number) =>
    new DatasetReadError(code, readErrorMessage(file, found, { line, byte }), line, byte, diags.kept);
  if (records === 0) {
    return make('empty', splitter.container === 'json-array' ? 'an empty JSON array' : 'no records (only whitespace or blank lines)', lines, bytes);
  }
  if (splitter.truncated && splitter.container === 'json-array') {
    const d = diags.kept.find((x) => x.code === 'invalid-json' && /JSON array/.test(x.message));
    return make('truncated', 'a JSON array that ends before it is closed, with no usable record', d?.line ?? lines, bytes);
  }
  const problem = firstError ? `; line ${firstError.line}: ${firstError.message}` : '';
  return make('no-records', `${records} record(s), none of a supported shape${problem}`, lines, bytes);
}

/** Re-reads one record from disk by byte range (hovers, previews). */
export async function readRecordAt(
  file: string,
  byteOffset: number,
  byteLength: number,
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo' | 'checkImages'> & { line?: number } = {},
): Promise<Sample | undefined> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(byteLength);
    await fh.read(buf, 0, byteLength, byteOffset);
    let out: Sample | undefined;
    const abs = path.resolve(file);
    const diags = new DiagnosticLog(0);
    const parser = new RecordParser(
      opts,
      new ImageResolver(path.resolve(opts.imageRoot ?? path.dirname(abs)), opts.confineTo, opts.checkImages ?? true),
      diags,
      (s) => (out = s),
    );
    parser.parse({ bytes: buf, line: opts.line ?? 0, offset: byteOffset }, 0);
    return out;
  } finally {
    await fh.close();
  }
}
