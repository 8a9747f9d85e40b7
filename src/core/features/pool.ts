// Builds the compact, column-oriented Pool from a dataset file in one streaming pass.
import { createHash } from 'node:crypto';
import type { CurationConfig } from '../config';
import { readDataset } from '../dataset/reader';
import { SAMPLE_FLAG } from '../dataset/types';
import type { DatasetDiagnostic, DatasetSummary, ReadOptions, Sample } from '../dataset/types';
import { CancelledError } from '../runtime/cancel';
import { forEachLimited, imageFeatures } from './images';
import { LabelTable, TASK_LABEL_FIELDS } from './labels';
import { detectStyles, primaryStyle } from './styles';
import { hash32, hashedNgrams, normaliseForKey, simHash64, tokenize } from './text';
import { Uint32Set } from '../util/uint32Set';
import { IMAGE_FEATURE_DIM } from './types';
import type { Pool } from './types';

/**
 * A typed array built by appending, in fixed-size chunks: growing never copies, and `done` copies the
 * chunks into one exact-size array while releasing them one by one, so a column costs its final size
 * plus one chunk (a doubling buffer would cost up to three times its size while it is finished).
 */
export class Grow<T extends Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array | Float32Array> {
  private readonly chunks: T[] = [];
  private cur: T;
  private at = 0;
  length = 0;
  constructor(
    private readonly make: (n: number) => T,
    private readonly chunk = 1 << 16,
  ) {
    this.cur = make(chunk);
  }
  push(v: number): void {
    if (this.at === this.chunk) {
      this.chunks.push(this.cur);
      this.cur = this.make(this.chunk);
      this.at = 0;
    }
    this.cur[this.at++] = v;
    this.length++;
  }
  /**
   * Appends one row of a [·, width] table: values[0…) then `pad` up to `width`. A loop of its own, so that
   * its store stays specialised to the one builder that uses it (push's store serves every array type).
   */
  pushRow(values: ArrayLike<number>, width: number, pad: number): void {
    for (let j = 0; j < width; j++) {
      if (this.at === this.chunk) {
        this.chunks.push(this.cur);
        this.cur = this.make(this.chunk);
        this.at = 0;
      }
      this.cur[this.at++] = j < values.length ? values[j] : pad;
    }
    this.length += width;
  }
  /** The values in one exact-size array; the builder is empty afterwards. */
  done(): T {
    const out = this.make(this.length);
    let o = 0;
    for (let k = 0; k < this.chunks.length; k++) {
      out.set(this.chunks[k] as never, o);
      o += this.chunk;
      this.chunks[k] = this.make(0); // released as soon as it is copied
    }
    out.set(this.cur.subarray(0, this.at) as never, o);
    this.chunks.length = 0;
    this.cur = this.make(0);
    this.at = 0;
    this.length = 0;
    return out;
  }
}

/** Whether t is all ASCII digits (/^\d+$/, the regular expression run only on what starts with one). */
function isDigits(t: string): boolean {
  const c = t.charCodeAt(0);
  return c >= 48 && c <= 57 && /^\d+$/.test(t);
}

/** A term's id in `Pool.termIds` (and the key of `Pool.termOf`). */
export const termId = (term: string): number => hash32(term, 5);

/** Words the features never keep as terms (articles, pronouns, question words, dataset boilerplate). */
export const STOP_WORDS = new Set(
  'a an the of to in on at is are was were be been it its this that these those and or for with as by from what which who whom whose how why when where does do did can could would should will there their they them he she his her you your i me my we our us image picture photo shown question answer please following'.split(
    ' ',
  ),
);

/**
 * Text features (tokens, n-grams, SimHash, styles) look at most this many characters of a sample's
 * instructions and of its answers: one 10 MB answer would otherwise cost ~20 s and 1.5 M answer
 * tokens. Lengths and the exact-duplicate key still use the whole text.
 */
export const MAX_FEATURE_CHARS = 100_000;

const capTurns = (turns: Sample['turns']): Sample['turns'] =>
  turns.some((t) => t.text.length > MAX_FEATURE_CHARS)
    ? turns.map((t) => ({ role: t.role, text: t.text.slice(0, MAX_FEATURE_CHARS) }))
    : turns;

export interface BuildPoolOptions extends ReadOptions {
  onStageProgress?: (stage: 'read' | 'featurise', fraction: number) => void;
  /** Sees each sample's image references (the cache records which files the features depend on). */
  onImages?: (images: Sample['images']) => void;
}

export async function buildPool(
  file: string,
  cfg: CurationConfig,
  opts: BuildPoolOptions = {},
): Promise<{ pool: Pool; summary: DatasetSummary }> {
  const { questionBuckets, maxQuestionNgrams, answerVocab } = cfg.features;
  const L = maxQuestionNgrams;
  const ids: string[] = [];
  const lines = new Grow((n) => new Int32Array(n));
  const offsets = new Grow((n) => new Float64Array(n));
  const lengths = new Grow((n) => new Int32Array(n));
  const styleMask = new Grow((n) => new Uint16Array(n));
  const primary = new Grow((n) => new Uint8Array(n));
  const flags = new Grow((n) => new Uint8Array(n));
  const qNgrams = new Grow((n) => new Uint32Array(n), 1 << 20);
  const qCount = new Grow((n) => new Uint16Array(n));
  const answerPtr = new Grow((n) => new Int32Array(n));
  const answerTokens = new Grow((n) => new Uint32Array(n));
  const termPtr = new Grow((n) => new Int32Array(n));
  const termIds = new Grow((n) => new Uint32Array(n));
  const turns = new Grow((n) => new Uint16Array(n));
  const qChars = new Grow((n) => new Int32Array(n));
  const aChars = new Grow((n) => new Int32Array(n));
  const exactHash = new Grow((n) => new Uint32Array(n));
  const simHash = new Grow((n) => new Uint32Array(n));
  const imagePath: (string | undefined)[] = [];
  // Embedded images (Parquet bytes) are featurised per row group, while their bytes are at hand.
  const embeddedFeats = new Grow((n) => new Float32Array(n));
  const embeddedAt: number[] = [];
  const undecodableEmbedded: { i: number; raw: string }[] = [];
  let pendingEmbedded: { i: number; bytes: Uint8Array; raw: string }[] = [];
  const termOf = new Map<number, string>();
  // Term hashes seen in the pool and in the current sample (typed sets: no boxed numbers per lookup).
  const knownTerms = new Uint32Set(1 << 12);
  const seenTerms = new Uint32Set();
  const labelTable = new LabelTable();
  answerPtr.push(0);
  termPtr.push(0);

  const onSample = (s: Sample) => {
    const i = ids.length;
    ids.push(s.id);
    lines.push(s.line);
    offsets.push(s.byteOffset);
    lengths.push(s.byteLength);
    flags.push(s.flags ?? 0);
    let q = '';
    let a = '';
    for (const t of s.turns) {
      if (t.role === 'user') q += (q ? '\n' : '') + t.text;
      else if (t.role === 'assistant') a += (a ? '\n' : '') + t.text;
    }
    const qClean = q.slice(0, MAX_FEATURE_CHARS).replace(/<image>/g, ' ');
    const qTok = tokenize(qClean);
    const aTok = tokenize(a.slice(0, MAX_FEATURE_CHARS));
    const grams = hashedNgrams(qTok, questionBuckets, L);
    qNgrams.pushRow(grams, L, questionBuckets);
    qCount.push(grams.length);
    for (const t of aTok) answerTokens.push(hash32(t, 3) % answerVocab);
    if (aTok.length === 0) answerTokens.push(hash32('<empty>', 3) % answerVocab);
    answerPtr.push(answerTokens.length);
    seenTerms.clear();
    for (const t of qTok) {
      if (t.length < 2 || STOP_WORDS.has(t) || isDigits(t) || t.startsWith('opt_')) continue;
      const h = termId(t);
      if (!seenTerms.add(h)) continue;
      termIds.push(h);
      if (knownTerms.add(h)) termOf.set(h, t);
    }
    termPtr.push(termIds.length);
    const mask = detectStyles(capTurns(s.turns));
    styleMask.push(mask);
    primary.push(primaryStyle(mask));
    turns.push(Math.min(65535, s.turns.length));
    qChars.push(q.length);
    aChars.push(a.length);
    const key = createHash('sha1')
      .update(normaliseForKey(q))
      .update('\u0000')
      .update(normaliseForKey(a))
      .update('\u0000')
      .update(s.images.map((im) => im.raw).join('\u0001'))
      .digest();
    exactHash.push(key.readUInt32LE(0));
    exactHash.push(key.readUInt32LE(4));
    const [hi, lo] = simHash64([...qTok, '|', ...aTok]);
    simHash.push(hi);
    simHash.push(lo);
    opts.onImages?.(s.images);
    const usable = s.images.find((im) => (im.path || im.bytes) && !im.problem);
    imagePath.push(usable?.bytes ? undefined : usable?.path);
    if (usable?.bytes && cfg.features.images) pendingEmbedded.push({ i, bytes: usable.bytes, raw: usable.raw });
    labelTable.observe(i, s.labels);
  };

  // The same image bytes are decoded once (as image files are, by path): by their SHA-1, memo capped.
  const embeddedMemo = new Map<string, Float32Array | undefined>();
  const onBatchEnd = async () => {
    const batch = pendingEmbedded.map((x) => ({ ...x, key: createHash('sha1').update(x.bytes).digest('hex') }));
    pendingEmbedded = [];
    const todo = [...new Map(batch.filter((x) => !embeddedMemo.has(x.key)).map((x) => [x.key, x.bytes])).entries()];
    const fresh = new Map<string, Float32Array | undefined>();
    await forEachLimited(todo, 4, async ([key, bytes]) => void fresh.set(key, await imageFeatures(bytes)), opts.signal);
    for (const [key, f] of fresh) if (embeddedMemo.size < 200_000) embeddedMemo.set(key, f);
    for (const x of batch) {
      const f = fresh.has(x.key) ? fresh.get(x.key) : embeddedMemo.get(x.key);
      if (!f) {
        undecodableEmbedded.push({ i: x.i, raw: x.raw });
        continue;
      }
      embeddedAt.push(x.i);
      for (const v of f) embeddedFeats.push(v);
    }
  };
  const summary = await readDataset(
    file,
    { ...opts, onBatchEnd, onProgress: (r, t) => opts.onStageProgress?.('read', t > 0 ? r / t : 1) },
    onSample,
  );
  await onBatchEnd();
  const n = ids.length;
  const sampleLines = lines.done();
  const sampleFlags = flags.done();

  // Image features for samples whose image resolves inside the root.
  const hasImage = new Uint8Array(n);
  let imageFeats: Float32Array | null = null;
  const withImage: number[] = [];
  if (cfg.features.images) for (let i = 0; i < n; i++) if (imagePath[i]) withImage.push(i);
  if (withImage.length > 0 || embeddedAt.length > 0 || undecodableEmbedded.length > 0) {
    imageFeats = new Float32Array(n * IMAGE_FEATURE_DIM);
    const ef = embeddedFeats.done();
    for (const [k, i] of embeddedAt.entries()) {
      imageFeats.set(ef.subarray(k * IMAGE_FEATURE_DIM, (k + 1) * IMAGE_FEATURE_DIM), i * IMAGE_FEATURE_DIM);
      hasImage[i] = 1;
    }
    const memo = new Map<string, Promise<Float32Array | undefined>>();
    let done = 0;
    const undecodable = new Set<number>();
    await forEachLimited(
      withImage,
      4,
      async (i) => {
        const p = imagePath[i] as string;
        let f = memo.get(p);
        if (!f) {
          f = imageFeatures(p);
          memo.set(p, f);
        }
        const feats = await f;
        if (feats) {
          imageFeats!.set(feats, i * IMAGE_FEATURE_DIM);
          hasImage[i] = 1;
        } else undecodable.add(i);
        if (++done % 64 === 0) opts.onStageProgress?.('featurise', done / withImage.length);
      },
      opts.signal,
    );
    if (opts.signal?.aborted) throw new CancelledError();
    const bad = [...[...undecodable].map((i) => ({ i, raw: imagePath[i] as string })), ...undecodableEmbedded];
    for (const { i, raw } of bad.sort((x, y) => x.i - y.i)) {
      sampleFlags[i] |= SAMPLE_FLAG.missingImage;
      addDiagnostic(
        summary,
        { line: sampleLines[i], severity: 'warning', code: 'missing-image', message: `The image could not be decoded: ${raw}` },
        opts.maxDiagnostics,
      );
    }
    summary.diagnostics.sort((a, b) => a.line - b.line);
  }
  opts.onStageProgress?.('featurise', 1);

  const { labels, diagnostic } = labelTable.finish(n, (row) => sampleLines[row]);
  if (diagnostic) {
    addDiagnostic(summary, diagnostic, opts.maxDiagnostics);
    summary.diagnostics.sort((a, b) => a.line - b.line);
  }
  summary.labelFields = Object.entries(labels).map(([name, col]) => {
    let present = 0;
    for (const c of col.codes) if (c >= 0) present++;
    return { name, present, distinct: col.values.length };
  });

  const pool: Pool = {
    n,
    ids,
    lines: sampleLines,
    offsets: offsets.done(),
    lengths: lengths.done(),
    labels,
    styleMask: styleMask.done(),
    primaryStyle: primary.done(),
    flags: sampleFlags,
    questionNgrams: qNgrams.done(),
    questionNgramCount: qCount.done(),
    answerPtr: answerPtr.done(),
    answerTokens: answerTokens.done(),
    imageFeatures: imageFeats,
    hasImage,
    turns: turns.done(),
    questionChars: qChars.done(),
    answerChars: aChars.done(),
    exactHash: exactHash.done(),
    simHash: simHash.done(),
    termOf,
    termPtr: termPtr.done(),
    termIds: termIds.done(),
    dims: { questionBuckets, maxQuestionNgrams: L, answerVocab, imageDim: IMAGE_FEATURE_DIM },
  };
  return { pool, summary };
}

/** Counts a diagnostic found after the read and keeps it while under the cap. */
function addDiagnostic(summary: DatasetSummary, d: DatasetDiagnostic, max = 10_000): void {
  summary.diagnosticCounts[d.code] = (summary.diagnosticCounts[d.code] ?? 0) + 1;
  if (summary.diagnostics.length < max) summary.diagnostics.push(d);
}

/** Fields that look like task labels and are usable as probe groups, best first. */
export function labelCandidates(pool: Pool): string[] {
  const out: { field: string; score: number }[] = [];
  for (const [field, col] of Object.entries(pool.labels)) {
    if (/^(id|model|image|url|path|split|answer|label_id)$/i.test(field) || /(_id|Id)$/.test(field)) continue;
    let present = 0;
    for (const c of col.codes) if (c >= 0) present++;
    const distinct = col.values.length;
    if (present < 0.95 * pool.n || distinct < 2 || distinct > 5000 || present / distinct < 5) continue;
    // A field dominated by one value (e.g. 'default' on most rows) says little about the task.
    const counts = new Int32Array(distinct);
    for (const c of col.codes) if (c >= 0) counts[c]++;
    if (Math.max(...counts) > 0.5 * present) continue;
    const rank = TASK_LABEL_FIELDS.indexOf(field);
    out.push({ field, score: rank < 0 ? 100 : rank });
  }
  return out.sort((a, b) => a.score - b.score || a.field.localeCompare(b.field)).map((x) => x.field);
}

/** Index of the sample on a 1-based line, or -1 (pool.lines is ascending). */
export function sampleAtLine(pool: Pool, line: number): number {
  let lo = 0;
  let hi = pool.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = pool.lines[mid];
    if (v === line) return mid;
    if (v < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
