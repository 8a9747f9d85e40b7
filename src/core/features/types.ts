// The compact, column-oriented view of a featurised pool. Text is not kept: anything that needs a
// sample's text again reads it from the file by byte offset.

/** The 9 mmSSR interaction styles (docs/method.md §2), as bit positions in a style mask. */
export const STYLES = [
  'multi-choice',
  'coordinate',
  'yes/no',
  'short-answer', // word / short phrase
  'short-description',
  'detailed-description',
  'comparison',
  'chain-of-thought',
  'specified-style',
] as const;
export type StyleName = (typeof STYLES)[number];

/** Dimension of the per-image feature vector (zeros when there is no usable image). */
export const IMAGE_FEATURE_DIM = 64;

export interface LabelColumn {
  /** Distinct values in first-seen order. */
  values: string[];
  /** Per sample: index into values, or -1 when the sample has no such label. */
  codes: Int32Array;
}

export interface Pool {
  /** Number of (valid) samples. */
  n: number;
  ids: string[];
  /** 1-based line of each sample, byte offset and byte length of its record. */
  lines: Int32Array;
  offsets: Float64Array;
  lengths: Int32Array;
  /** Label fields, interned. */
  labels: Record<string, LabelColumn>;
  /**
   * Problem bits per sample (dataset/types.ts SAMPLE_FLAG: missing image, image outside the root,
   * `<image>` token mismatch); flagged samples are left out of selections unless included.
   */
  flags: Uint8Array;
  /** Style bitmask (bit i = STYLES[i]) and the primary style index. */
  styleMask: Uint16Array;
  primaryStyle: Uint8Array;
  /**
   * Instruction features: hashed uni- and bi-gram bucket ids of all user turns, at most
   * `maxQuestionNgrams` per sample, padded with `questionBuckets` (the padding id). Row-major [n, L].
   */
  questionNgrams: Uint32Array;
  questionNgramCount: Uint16Array;
  /** Answer targets: hashed unigram ids in [0, answerVocab) of all assistant turns, CSR layout. */
  answerPtr: Int32Array; // length n+1
  answerTokens: Uint32Array;
  /** Image features [n, IMAGE_FEATURE_DIM] (row of zeros when hasImage[i] = 0), or null when none has an image. */
  imageFeatures: Float32Array | null;
  hasImage: Uint8Array;
  /** Number of turns, characters of instructions and answers. */
  turns: Uint16Array;
  questionChars: Int32Array;
  answerChars: Int32Array;
  /** Exact-duplicate key (sha1 of normalised text + image refs, first 8 bytes as two u32) [n*2]. */
  exactHash: Uint32Array;
  /** 64-bit SimHash of question+answer word 3-shingles, as two u32 [n*2], for near-duplicates. */
  simHash: Uint32Array;
  /** Hashed unigram id → a token that produced it (for naming capabilities by distinctive terms). */
  termOf: Map<number, string>;
  /** Unigram term ids of each sample (CSR), for class-based TF-IDF. */
  termPtr: Int32Array;
  termIds: Uint32Array;
  /** Constants the arrays were built with. */
  dims: FeatureDims;
}

export interface FeatureDims {
  questionBuckets: number; // e.g. 2^16
  maxQuestionNgrams: number; // e.g. 64
  answerVocab: number; // e.g. 1024
  imageDim: number; // IMAGE_FEATURE_DIM
}
