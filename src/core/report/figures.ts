// The headline figures of the quality report as a reader sees them: label, unit, group and which
// direction is better. Pure data (no Node imports): the Markdown report and the webview's
// Capability Map both read this one table.
import type { HeadlineFigures, QualitySection } from './types';

export interface HeadlineFigure {
  key: keyof HeadlineFigures;
  label: string;
  group: '' | 'correctness' | 'diversity' | 'complexity';
  /** A share (shown as a percentage), a number, or a whole count. */
  fmt: 'pct' | 'num' | 'int';
  /** Which direction of a delta is an improvement ('none': neither). */
  better: 'up' | 'down' | 'none';
  /** Shown in the Capability Map's tables too (the Markdown report lists every figure). */
  inMap: boolean;
  /**
   * A rate over some of the samples only (yes/no questions, multiple-choice questions):
   * its count and that denominator, shown beside it, so that "100%" of 3 questions reads as such.
   */
  of?: (s: QualitySection) => { count: number; of: number };
}

export const HEADLINE_FIGURES: readonly HeadlineFigure[] = [
  { key: 'samples', label: 'samples', group: '', fmt: 'int', better: 'none', inMap: true },
  { key: 'emptyAnswerRate', label: 'empty answers', group: 'correctness', fmt: 'pct', better: 'down', inMap: true },
  { key: 'truncatedRate', label: 'truncated answers', group: 'correctness', fmt: 'pct', better: 'down', inMap: true },
  {
    key: 'yesNoMismatchRate',
    label: 'yes/no questions not answered yes/no',
    group: 'correctness',
    fmt: 'pct',
    better: 'down',
    inMap: true,
    of: (s) => ({ count: s.correctness.yesNo.mismatch, of: s.correctness.yesNo.questions }),
  },
  {
    key: 'multipleChoiceMismatchRate',
    label: 'multiple-choice answers without an option',
    group: 'correctness',
    fmt: 'pct',
    better: 'down',
    inMap: true,
    of: (s) => ({ count: s.correctness.multipleChoice.mismatch, of: s.correctness.multipleChoice.questions }),
  },
  { key: 'imageMissingRate', label: 'image referenced but missing', group: 'correctness', fmt: 'pct', better: 'down', inMap: true },
  { key: 'imageTokenMismatchRate', label: '<image> tokens ≠ images', group: 'correctness', fmt: 'pct', better: 'down', inMap: true },
  {
    key: 'conflictingDuplicateRate',
    label: 'duplicate questions with conflicting answers',
    group: 'correctness',
    fmt: 'pct',
    better: 'down',
    inMap: true,
  },
  { key: 'distinctTemplates', label: 'distinct instruction templates', group: 'diversity', fmt: 'int', better: 'none', inMap: true },
  { key: 'templatesPerSample', label: 'templates per sample', group: 'diversity', fmt: 'num', better: 'up', inMap: true },
  { key: 'distinctStyles', label: 'distinct interaction styles', group: 'diversity', fmt: 'int', better: 'up', inMap: true },
  { key: 'styleEntropy', label: 'style entropy (bits)', group: 'diversity', fmt: 'num', better: 'up', inMap: true },
  { key: 'questionDistinct1', label: 'questions distinct-1', group: 'diversity', fmt: 'num', better: 'up', inMap: false },
  { key: 'questionDistinct2', label: 'questions distinct-2', group: 'diversity', fmt: 'num', better: 'up', inMap: true },
  { key: 'answerDistinct1', label: 'answers distinct-1', group: 'diversity', fmt: 'num', better: 'up', inMap: false },
  { key: 'answerDistinct2', label: 'answers distinct-2', group: 'diversity', fmt: 'num', better: 'up', inMap: true },
  { key: 'meanRounds', label: 'mean rounds per sample', group: 'complexity', fmt: 'num', better: 'up', inMap: true },
  { key: 'multiTurnRate', label: 'multi-turn samples', group: 'complexity', fmt: 'pct', better: 'up', inMap: true },
  { key: 'reasoningRate', label: 'answers with reasoning markers', group: 'complexity', fmt: 'pct', better: 'up', inMap: true },
  { key: 'meanAnswerWords', label: 'mean answer words', group: 'complexity', fmt: 'num', better: 'none', inMap: true },
  { key: 'medianAnswerWords', label: 'median answer words', group: 'complexity', fmt: 'num', better: 'none', inMap: true },
  { key: 'p90AnswerWords', label: 'p90 answer words', group: 'complexity', fmt: 'num', better: 'none', inMap: true },
  { key: 'meanAnswerChars', label: 'mean answer characters', group: 'complexity', fmt: 'num', better: 'none', inMap: false },
];
