// The VLIT quality report (docs/method.md §4): correctness, diversity and complexity of a dataset, of a
// selection from it and of each capability, computed from the real text in one streaming pass.
// This JSON shape is shown in the UI (over JSON-RPC) and written by `cadc report`: keep it stable.
// Every definition referenced below lives in signals.ts (per-sample rules) and aggregate.ts (figures).

export const QUALITY_REPORT_SCHEMA = 'cadc.report/v1' as const;
export const COMPARISON_SCHEMA = 'cadc.compare/v1' as const;

/** A count and its share of the samples (or of the eligible samples, see `of`). */
export interface Rate {
  count: number;
  /** count / denominator, 0 when the denominator is 0. */
  rate: number;
}

/** Count distribution of integers with exact order statistics (nearest-rank quantiles). */
export interface Distribution {
  mean: number;
  /** Nearest-rank median: smallest v with at least ⌈n/2⌉ values ≤ v. 0 when empty. */
  median: number;
  /** Nearest-rank 90th percentile. */
  p90: number;
  max: number;
}

/** A distinct count: exact while under the cap, HyperLogLog (≈1% error) beyond it. */
export interface DistinctCount {
  distinct: number;
  exact: boolean;
}

export interface CorrectnessFigures {
  /** Samples with at least one assistant turn that is empty or whitespace. */
  emptyAnswer: Rate;
  /** Samples with at least one truncated assistant turn (see signals.ts `truncation`). */
  truncated: Rate & { ellipsis: number; noTerminalPunctuation: number };
  /**
   * Yes/no-form questions (see signals.ts `isYesNoQuestion`): `questions` = samples with at least
   * one such question/answer pair; `mismatch` = samples where such an answer does not start with
   * yes/no; rate = mismatch / questions.
   */
  yesNo: { questions: number; mismatch: number; rate: number };
  /** Multiple-choice questions (options A/B/… parsed): answers with neither an option letter nor an option's text. */
  multipleChoice: { questions: number; mismatch: number; rate: number };
  /** Samples with an image the reader could not use (missing file or invalid path). */
  imageMissing: Rate;
  /** Samples per image problem as reported by the dataset reader. */
  imageProblems: { missing: number; invalidPath: number; outsideRoot: number; remote: number };
  /**
   * Samples whose `<image>` tokens (in user turns) do not match their images by the reader's rule
   * (dataset/parser.ts `imageTokenMismatch`): tokens without an image or more tokens than images
   * (`moreTokens`), or at least one token but fewer than the images (`fewerTokens`). An image with
   * no token at all is not counted (LLaVA-style loaders accept it).
   */
  imageTokenMismatch: Rate & { moreTokens: number; fewerTokens: number };
  /**
   * Duplicate questions: samples sharing the normalised question text and the same image refs.
   * `groups`/`samples`: groups of ≥ 2 and the samples in them; `conflictingGroups`/`conflicting`:
   * those groups whose normalised answers differ, and their samples (rate = conflicting / samples).
   */
  duplicates: { groups: number; samples: number; conflictingGroups: number; conflicting: Rate };
}

export interface LabelFieldFigures {
  field: string;
  /** Samples carrying the field. */
  present: number;
  distinct: DistinctCount;
  /** Shannon entropy (bits) of the value distribution, over the values tracked exactly. */
  entropy: number;
  /** Values by count (desc, then value), at most 50. */
  top: { value: string; count: number }[];
  /** True when more than 1,000 distinct values appeared: entropy and top cover the first 1,000 only. */
  capped: boolean;
}

export interface DiversityFigures {
  labels: LabelFieldFigures[];
  /** Primary interaction style per sample (styles.ts `primaryStyle`): counts of all 9 styles. */
  styles: { style: string; count: number; share: number }[];
  /** Styles with at least one sample. */
  distinctStyles: number;
  /** Shannon entropy (bits) of the primary-style distribution, and divided by log2(9). */
  styleEntropy: number;
  styleEntropyNormalised: number;
  /** Distinct instruction templates (signals.ts `instructionTemplate`) and the most frequent ones. */
  templates: DistinctCount & { top: { template: string; count: number }[] };
  /** Distinct normalised first questions (exact text after normalisation). */
  distinctQuestions: DistinctCount;
  /** distinct-n = distinct word n-grams / all word n-grams (within each text; signals.ts `words`). */
  questions: NgramFigures;
  answers: NgramFigures;
}

export interface NgramFigures {
  tokens: number;
  distinct1: number;
  distinct2: number;
  /** Whether both distinct counts are exact. */
  exact: boolean;
}

export interface ComplexityFigures {
  /** Rounds = assistant turns per sample. */
  rounds: Distribution & { histogram: { rounds: string; count: number }[] };
  /** Samples with ≥ 2 rounds. */
  multiTurn: Rate;
  /** Samples whose answers contain at least one reasoning marker (signals.ts `REASONING_MARKERS`). */
  reasoning: Rate & { markers: { marker: string; samples: number }[] };
  /** Samples whose instruction asks for reasoning (step by step, explain your reasoning, …). */
  reasoningRequested: Rate;
  /** All assistant turns of a sample together, in characters and in words. */
  answerChars: Distribution;
  answerWords: Distribution;
}

/** The flat figures compared between pool and selection (deltas = selection − pool). */
export interface HeadlineFigures {
  samples: number;
  emptyAnswerRate: number;
  truncatedRate: number;
  yesNoMismatchRate: number;
  multipleChoiceMismatchRate: number;
  imageMissingRate: number;
  imageTokenMismatchRate: number;
  conflictingDuplicateRate: number;
  distinctTemplates: number;
  /** distinct templates / samples. */
  templatesPerSample: number;
  distinctStyles: number;
  styleEntropy: number;
  questionDistinct1: number;
  questionDistinct2: number;
  answerDistinct1: number;
  answerDistinct2: number;
  meanRounds: number;
  multiTurnRate: number;
  reasoningRate: number;
  meanAnswerWords: number;
  medianAnswerWords: number;
  p90AnswerWords: number;
  meanAnswerChars: number;
}

export type HeadlineKey = keyof HeadlineFigures;

export interface QualitySection {
  samples: number;
  headline: HeadlineFigures;
  correctness: CorrectnessFigures;
  diversity: DiversityFigures;
  complexity: ComplexityFigures;
}

export interface CapabilityQuality {
  id: string;
  name: string;
  /** Absent when only the manifest (no attributions) was given: then only selected samples are known. */
  pool?: QualitySection;
  selection?: QualitySection;
  deltas?: Partial<HeadlineFigures>;
}

export interface QualityReport {
  schema: typeof QUALITY_REPORT_SCHEMA;
  dataset: {
    path: string;
    sha256: string;
    bytes: number;
    records: number;
    samples: number;
    invalid: number;
    /** Records dropped by the reader because a turn side was empty (no answer or no question). */
    emptyTurnsRejected: number;
    format: string;
  };
  /** Where the selection came from (absent: pool only). */
  selectionSource?: { kind: 'manifest' | 'lines'; name: string; requested: number; matched: number };
  /** The flagged pool samples the manifest's selection left out (its `excluded`), when it says so. */
  excluded?: { total: number; reasons: { code: string; count: number }[] };
  /** Where per-capability labels came from. */
  capabilitySource?: 'attributions' | 'manifest' | 'run';
  pool: QualitySection;
  selection?: QualitySection;
  /** selection − pool for every headline figure. */
  deltas?: HeadlineFigures;
  perCapability?: CapabilityQuality[];
  /** Things the reader of the report should know (e.g. the manifest was made from another file). */
  warnings: string[];
  timingsMs: { total: number };
}

export interface CompositionEntry {
  key: string;
  count: number;
  share: number;
}

export interface StrategyResult {
  strategy: string;
  selected: number;
  notes: string[];
  composition: {
    capabilities: CompositionEntry[];
    styles: CompositionEntry[];
    /** Shares per value of the main label field (absent when the dataset has none). */
    labels?: CompositionEntry[];
  };
  quality: QualitySection;
  /** quality − pool for every headline figure. */
  deltas: HeadlineFigures;
}

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  dataset: QualityReport['dataset'];
  budget: { requested: number; count: number };
  seed: number;
  labelField?: string;
  /** Capability id → name (composition keys of capabilities are ids). */
  capabilityNames: Record<string, string>;
  /** Pool composition (the reference for each strategy's shares). */
  poolComposition: StrategyResult['composition'];
  pool: QualitySection;
  strategies: StrategyResult[];
  /** Jaccard of selected index sets: overlap[i][j] for strategies[i], strategies[j]. */
  overlap: number[][];
  warnings: string[];
  timingsMs: Record<string, number>;
}
