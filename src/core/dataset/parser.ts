// One record's bytes to a Sample: UTF-8 and nesting checked before JSON.parse, the format detected and
// normalised, images resolved, and every problem a diagnostic with the record's line (never an
// exception: a bad record costs only itself). DiagnosticLog keeps the diagnostics, counted and capped.
import { boundMessage, describeValue, excerpt } from './describe';
import type { ImageResolver } from './images';
import { detectFormat, normaliseRecord } from './normalise';
import type { RawRecord } from './splitter';
import { SAMPLE_FLAG } from './types';
import type {
  DatasetDiagnostic,
  DatasetFormat,
  ImageRef,
  DiagnosticCode,
  DiagnosticSeverity,
  ReadOptions,
  Sample,
  SampleSink,
} from './types';

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

/** Diagnostics of one code kept per read by default: the rest are counted (and summarised, problems.ts). */
export const DIAGNOSTICS_PER_CODE = 100;

/** The diagnostics of one read: every one counted by code, the first `max` kept, at most `perCode` of each code. */
export class DiagnosticLog {
  readonly kept: DatasetDiagnostic[] = [];
  readonly counts: Partial<Record<DiagnosticCode, number>> = {};
  constructor(
    private readonly max: number,
    private readonly perCode = DIAGNOSTICS_PER_CODE,
  ) {}

  add(line: number, severity: DiagnosticSeverity, code: DiagnosticCode, message: string, recordIndex?: number, column?: number): void {
    const seen = (this.counts[code] = (this.counts[code] ?? 0) + 1);
    if (this.kept.length < this.max && seen <= this.perCode)
      this.kept.push({
        line,
        severity,
        code,
        message: boundMessage(message),
        ...(recordIndex !== undefined ? { recordIndex } : {}),
        ...(column !== undefined ? { column } : {}),
      });
  }
}

const IMAGE_TOKEN = /<image>/g;

/**
 * Whether `tokens` `<image>` tokens in a record's instructions and its `images` images disagree in a
 * way a LLaVA-style loader does not repair. LLaVA's LazySupervisedDataset (haotian-liu/LLaVA,
 * llava/train/train.py) loads the image only when the record has an `image` field; without one the
 * text is tokenised as plain text (`has_image=False`), so an `<image>` token there is a literal
 * string and the model gets a blank image: a mismatch. A record with an image and no token at all is
 * accepted by the loader and by multi-image formats that place images themselves (The Cauldron):
 * not a mismatch. More tokens than images, or a multi-image count that differs, is one.
 */
export function imageTokenMismatch(tokens: number, images: number): boolean {
  return tokens > 0 && tokens !== images;
}

/** The `<image>` tokens of a sample's user turns. */
export function countImageTokens(turns: readonly { role: string; text: string }[]): number {
  let tokens = 0;
  for (const t of turns) if (t.role === 'user') tokens += (t.text.match(IMAGE_TOKEN) ?? []).length;
  return tokens;
}

/** Builds a Sample from one record's bytes, or reports why it cannot. */
export class RecordParser {
  // ignoreBOM: a byte-order mark is data here (one at byte 0 of the file is dropped before), so a
  // record that starts with one is diagnosed instead of passing silently.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly seenIds = new Set<string>();
  readonly formatCounts = new Map<DatasetFormat, number>();
  samples = 0;
  invalid = 0;
  /** Image references of the valid records, resolved (the denominator of the image problems). */
  imageRefs = 0;

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
      this.diags.add(
        rec.line,
        'error',
        'too-deep',
        `The record nests deeper than ${MAX_NESTING} levels (${rec.bytes.length} bytes); it was skipped.`,
        recordIndex,
      );
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

  /**
   * A record already decoded (a Parquet row): the same checks and diagnostics as a JSON record, with
   * `embedded` images (bytes inside the dataset) listed before the record's own image references.
   */
  parseValue(value: unknown, rec: RawRecord, recordIndex: number, embedded: ImageRef[] = []): void {
    try {
      this.accept(value, rec, recordIndex, embedded);
    } catch (e) {
      if (e instanceof SinkError) throw e.cause;
      this.invalid++;
      this.diags.add(
        rec.line,
        'error',
        'wrong-shape',
        `The record could not be read: ${String(e instanceof Error ? e.message : e)}`,
        recordIndex,
      );
    }
  }

  private accept(value: unknown, rec: RawRecord, recordIndex: number, embedded: ImageRef[] = []): void {
    const forced = this.opts.format && this.opts.format !== 'auto' ? this.opts.format : undefined;
    const format = forced ?? detectFormat(value);
    if (!format) {
      this.invalid++;
      const found =
        value && typeof value === 'object' && !Array.isArray(value)
          ? `${describeValue(value)}${
              Object.keys(value).length > 0
                ? `: ${Object.keys(value)
                    .slice(0, 6)
                    .map((k) => excerpt(k, 24))
                    .join(', ')}`
                : ''
            }`
          : describeValue(value);
      this.diags.add(
        rec.line,
        'error',
        'wrong-shape',
        `Not a record of a known format (expected conversations, messages, texts or instruction/output; found ${found}).`,
        recordIndex,
      );
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
    const images = [...embedded, ...norm.images.map((raw) => this.images.resolve(raw))];
    this.imageRefs += images.length;
    let flags = 0;
    for (const img of images) {
      if (img.problem === 'missing') {
        flags |= SAMPLE_FLAG.missingImage;
        this.diags.add(rec.line, 'warning', 'missing-image', `Image not found: ${excerpt(img.raw, 120)}`, recordIndex);
      } else if (img.problem === 'outside-root') {
        flags |= SAMPLE_FLAG.imageOutsideRoot;
        this.diags.add(
          rec.line,
          'warning',
          'image-outside-root',
          `Image path leaves the image root and is ignored: ${excerpt(img.raw, 120)}`,
          recordIndex,
        );
      } else if (img.problem === 'remote')
        this.diags.add(rec.line, 'info', 'remote-image', `Remote image not fetched: ${excerpt(img.raw, 80)}`, recordIndex);
      else if (img.problem === 'invalid-path') {
        flags |= SAMPLE_FLAG.missingImage;
        this.diags.add(rec.line, 'warning', 'missing-image', 'Empty or invalid image path.', recordIndex);
      }
    }
    const tokens = countImageTokens(norm.turns);
    if (imageTokenMismatch(tokens, images.length)) {
      flags |= SAMPLE_FLAG.imageTokenMismatch;
      this.diags.add(
        rec.line,
        'warning',
        'image-token-mismatch',
        images.length === 0
          ? `${tokens} <image> token(s) but the record has no image.`
          : `${tokens} <image> token(s) but ${images.length} image(s).`,
        recordIndex,
      );
    }
    let id = norm.id ?? `line-${rec.line}`;
    if (this.seenIds.has(id)) {
      this.diags.add(rec.line, 'warning', 'duplicate-id', `The id ${excerpt(id, 80)} was already used by an earlier record.`, recordIndex);
      id = `${id}#line-${rec.line}`;
    }
    this.seenIds.add(id);
    this.formatCounts.set(norm.format, (this.formatCounts.get(norm.format) ?? 0) + 1);
    const sample: Sample = {
      ...(rec.shard !== undefined ? { shard: rec.shard, row: rec.row } : {}),
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
      ...(flags ? { flags } : {}),
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
