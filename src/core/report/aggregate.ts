// The quality report's accumulator: one sample prepared once (prepareSample) and added to each
// section it belongs to (pool, selection, capability), counting with the bounded-memory sketches of
// sketches.ts. No sample text is kept beyond the sample being added (except the capped maps of label
// values and template strings, which are what the report shows). Over 300 lines: the accumulator is
// one class whose fields and result() belong together.
import { STYLES } from '../features/types';
import { imageTokenMismatch } from '../dataset/parser';
import type { ImageRef } from '../dataset/types';
import { REASONING_MARKERS, instructionTemplate, normaliseText, sampleSignals, words } from './signals';
import type { SampleSignals } from './signals';
import { DistinctCounter, DuplicateGroups, IntHistogram, hash53, pairHash, round } from './sketches';
import type {
  ComplexityFigures,
  CorrectnessFigures,
  DiversityFigures,
  HeadlineFigures,
  LabelFieldFigures,
  NgramFigures,
  QualitySection,
  Rate,
} from './types';

// ---------------------------------------------------------------------------------------------
// One sample, prepared once and added to every accumulator it belongs to

export interface PreparedSample {
  signals: SampleSignals;
  primaryStyle: number;
  labels: Record<string, string>;
  template: string;
  templateHash: number;
  questionHash: number;
  duplicateKey: number;
  answerHash: number;
  qUni: number[];
  qBi: number[];
  aUni: number[];
  aBi: number[];
  image: { missing: boolean; invalidPath: boolean; outsideRoot: boolean; remote: boolean; count: number };
}

function ngrams(texts: string[], uni: number[], bi: number[]): void {
  for (const t of texts) {
    let prev = -1;
    for (const w of words(t)) {
      const h = hash53(w);
      uni.push(h);
      if (prev >= 0) bi.push(pairHash(prev, h));
      prev = h;
    }
  }
}

export function prepareSample(
  turns: Parameters<typeof sampleSignals>[0],
  images: ImageRef[],
  labels: Record<string, string>,
  primaryStyle: number,
): PreparedSample {
  const signals = sampleSignals(turns);
  const template = instructionTemplate(signals.firstQuestion);
  const qNorm = signals.questions.map(normaliseText).join('\n');
  const imageKey = images.map((i) => i.raw).join('\u0000');
  const qUni: number[] = [];
  const qBi: number[] = [];
  const aUni: number[] = [];
  const aBi: number[] = [];
  ngrams(signals.questions, qUni, qBi);
  ngrams(signals.answers, aUni, aBi);
  return {
    signals,
    primaryStyle,
    labels,
    template,
    templateHash: hash53(template),
    questionHash: hash53(normaliseText(signals.firstQuestion)),
    duplicateKey: hash53(`${qNorm}\u0001${imageKey}`),
    answerHash: hash53(signals.answers.map(normaliseText).join('\n')),
    qUni,
    qBi,
    aUni,
    aBi,
    image: {
      missing: images.some((i) => i.problem === 'missing'),
      invalidPath: images.some((i) => i.problem === 'invalid-path'),
      outsideRoot: images.some((i) => i.problem === 'outside-root'),
      remote: images.some((i) => i.problem === 'remote'),
      count: images.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The accumulator of one section (pool, a selection, a capability)

const MAX_LABEL_VALUES = 1000;
/** The report lists at most this many label fields (those present on the most samples). */
const MAX_REPORTED_LABEL_FIELDS = 64;
const MAX_TEMPLATE_STRINGS = 50_000;
const TOP_LABELS = 50;
const TOP_TEMPLATES = 10;
const ROUND_BUCKETS = ['1', '2', '3', '4', '5', '6-10', '11+'];

class LabelField {
  present = 0;
  readonly values = new Map<string, number>();
  readonly distinct = new DistinctCounter();
  capped = false;
}

export class QualityAccumulator {
  n = 0;
  private emptyAnswer = 0;
  private truncEllipsis = 0;
  private truncNoPunct = 0;
  private yesNoQ = 0;
  private yesNoBad = 0;
  private mcQ = 0;
  private mcBad = 0;
  private imgMissingAny = 0;
  private imgMissing = 0;
  private imgInvalid = 0;
  private imgOutside = 0;
  private imgRemote = 0;
  private moreTokens = 0;
  private fewerTokens = 0;
  private readonly dups = new DuplicateGroups();
  private readonly labels = new Map<string, LabelField>();
  private readonly styles = new Float64Array(STYLES.length);
  private readonly templates = new DistinctCounter();
  private readonly templateCounts = new Map<string, number>();
  private readonly questions = new DistinctCounter();
  private readonly q1 = new DistinctCounter();
  private readonly q2 = new DistinctCounter();
  private readonly a1 = new DistinctCounter();
  private readonly a2 = new DistinctCounter();
  private qTokens = 0;
  private qBigrams = 0;
  private aTokens = 0;
  private aBigrams = 0;
  private readonly rounds = new IntHistogram();
  private readonly markers = new Float64Array(REASONING_MARKERS.length);
  private reasoning = 0;
  private reasoningRequested = 0;
  private readonly chars = new IntHistogram();
  private readonly wordsHist = new IntHistogram();

  add(p: PreparedSample): void {
    const s = p.signals;
    this.n++;
    if (s.emptyAnswer) this.emptyAnswer++;
    if (s.truncated === 'ellipsis') this.truncEllipsis++;
    else if (s.truncated === 'no-terminal-punctuation') this.truncNoPunct++;
    if (s.yesNoQuestion) this.yesNoQ++;
    if (s.yesNoMismatch) this.yesNoBad++;
    if (s.mcQuestion) this.mcQ++;
    if (s.mcMismatch) this.mcBad++;
    if (p.image.missing || p.image.invalidPath) this.imgMissingAny++;
    if (p.image.missing) this.imgMissing++;
    if (p.image.invalidPath) this.imgInvalid++;
    if (p.image.outsideRoot) this.imgOutside++;
    if (p.image.remote) this.imgRemote++;
    // The reader's rule (dataset/parser.ts): an image with no token at all is not a mismatch.
    if (imageTokenMismatch(s.imageTokens, p.image.count)) {
      if (s.imageTokens > p.image.count) this.moreTokens++;
      else this.fewerTokens++;
    }
    this.dups.add(p.duplicateKey, p.answerHash);

    for (const [field, value] of Object.entries(p.labels)) {
      let f = this.labels.get(field);
      if (!f) this.labels.set(field, (f = new LabelField()));
      f.present++;
      f.distinct.add(hash53(value));
      const c = f.values.get(value);
      if (c !== undefined) f.values.set(value, c + 1);
      else if (f.values.size < MAX_LABEL_VALUES) f.values.set(value, 1);
      else f.capped = true;
    }
    this.styles[p.primaryStyle]++;
    this.templates.add(p.templateHash);
    const tc = this.templateCounts.get(p.template);
    if (tc !== undefined) this.templateCounts.set(p.template, tc + 1);
    else if (this.templateCounts.size < MAX_TEMPLATE_STRINGS) this.templateCounts.set(p.template, 1);
    this.questions.add(p.questionHash);
    for (const h of p.qUni) this.q1.add(h);
    for (const h of p.qBi) this.q2.add(h);
    for (const h of p.aUni) this.a1.add(h);
    for (const h of p.aBi) this.a2.add(h);
    this.qTokens += p.qUni.length;
    this.qBigrams += p.qBi.length;
    this.aTokens += p.aUni.length;
    this.aBigrams += p.aBi.length;

    this.rounds.add(s.rounds);
    if (s.reasoningMarkers.length > 0) this.reasoning++;
    for (const m of s.reasoningMarkers) this.markers[m]++;
    if (s.reasoningRequested) this.reasoningRequested++;
    this.chars.add(s.answerChars);
    this.wordsHist.add(s.answerWords);
  }

  private rate(count: number, of = this.n): Rate {
    return { count, rate: of > 0 ? round(count / of) : 0 };
  }

  result(): QualitySection {
    const n = this.n;
    const dup = this.dups.result();
    const truncated = this.truncEllipsis + this.truncNoPunct;
    const correctness: CorrectnessFigures = {
      emptyAnswer: this.rate(this.emptyAnswer),
      truncated: { ...this.rate(truncated), ellipsis: this.truncEllipsis, noTerminalPunctuation: this.truncNoPunct },
      yesNo: { questions: this.yesNoQ, mismatch: this.yesNoBad, rate: this.yesNoQ ? round(this.yesNoBad / this.yesNoQ) : 0 },
      multipleChoice: { questions: this.mcQ, mismatch: this.mcBad, rate: this.mcQ ? round(this.mcBad / this.mcQ) : 0 },
      imageMissing: this.rate(this.imgMissingAny),
      imageProblems: { missing: this.imgMissing, invalidPath: this.imgInvalid, outsideRoot: this.imgOutside, remote: this.imgRemote },
      imageTokenMismatch: { ...this.rate(this.moreTokens + this.fewerTokens), moreTokens: this.moreTokens, fewerTokens: this.fewerTokens },
      duplicates: {
        groups: dup.groups,
        samples: dup.samples,
        conflictingGroups: dup.conflictingGroups,
        conflicting: this.rate(dup.conflictingSamples),
      },
    };

    // A file can carry thousands of one-off keys: the report lists the fields present most often.
    const labels: LabelFieldFigures[] = [...this.labels.entries()]
      .sort((a, b) => b[1].present - a[1].present || a[0].localeCompare(b[0]))
      .slice(0, MAX_REPORTED_LABEL_FIELDS)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([field, f]) => {
        const counts = [...f.values.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        return {
          field,
          present: f.present,
          distinct: f.distinct.result(),
          entropy: round(entropy(counts.map((c) => c[1]))),
          top: counts.slice(0, TOP_LABELS).map(([value, count]) => ({ value, count })),
          capped: f.capped,
        };
      });
    const styleCounts = Array.from(this.styles);
    const styleEntropy = entropy(styleCounts);
    const ng = (tokens: number, bigrams: number, u: DistinctCounter, b: DistinctCounter): NgramFigures => ({
      tokens,
      distinct1: tokens ? round(u.count() / tokens) : 0,
      distinct2: bigrams ? round(b.count() / bigrams) : 0,
      exact: u.exact && b.exact,
    });
    const diversity: DiversityFigures = {
      labels,
      styles: STYLES.map((style, i) => ({ style, count: styleCounts[i], share: n ? round(styleCounts[i] / n) : 0 })),
      distinctStyles: styleCounts.filter((c) => c > 0).length,
      styleEntropy: round(styleEntropy),
      styleEntropyNormalised: round(styleEntropy / Math.log2(STYLES.length)),
      templates: {
        ...this.templates.result(),
        top: [...this.templateCounts.entries()]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .slice(0, TOP_TEMPLATES)
          .map(([template, count]) => ({ template, count })),
      },
      distinctQuestions: this.questions.result(),
      questions: ng(this.qTokens, this.qBigrams, this.q1, this.q2),
      answers: ng(this.aTokens, this.aBigrams, this.a1, this.a2),
    };

    const histogram = ROUND_BUCKETS.map((b) => {
      let count = 0;
      if (b === '6-10') for (let r = 6; r <= 10; r++) count += this.rounds.countOf(r);
      else if (b === '11+') count = this.rounds.countAtLeast(11);
      else count = this.rounds.countOf(Number(b));
      return { rounds: b, count };
    });
    const zeroRounds = this.rounds.countOf(0);
    if (zeroRounds > 0) histogram.unshift({ rounds: '0', count: zeroRounds });
    const complexity: ComplexityFigures = {
      rounds: { ...this.rounds.distribution(), histogram },
      multiTurn: this.rate(this.rounds.countAtLeast(2)),
      reasoning: { ...this.rate(this.reasoning), markers: REASONING_MARKERS.map((m, i) => ({ marker: m.name, samples: this.markers[i] })) },
      reasoningRequested: this.rate(this.reasoningRequested),
      answerChars: this.chars.distribution(),
      answerWords: this.wordsHist.distribution(),
    };
    return { samples: n, headline: headlineOf(n, correctness, diversity, complexity), correctness, diversity, complexity };
  }
}

function headlineOf(n: number, c: CorrectnessFigures, d: DiversityFigures, x: ComplexityFigures): HeadlineFigures {
  return {
    samples: n,
    emptyAnswerRate: c.emptyAnswer.rate,
    truncatedRate: c.truncated.rate,
    yesNoMismatchRate: c.yesNo.rate,
    multipleChoiceMismatchRate: c.multipleChoice.rate,
    imageMissingRate: c.imageMissing.rate,
    imageTokenMismatchRate: c.imageTokenMismatch.rate,
    conflictingDuplicateRate: c.duplicates.conflicting.rate,
    distinctTemplates: d.templates.distinct,
    templatesPerSample: n ? round(d.templates.distinct / n) : 0,
    distinctStyles: d.distinctStyles,
    styleEntropy: d.styleEntropy,
    questionDistinct1: d.questions.distinct1,
    questionDistinct2: d.questions.distinct2,
    answerDistinct1: d.answers.distinct1,
    answerDistinct2: d.answers.distinct2,
    meanRounds: x.rounds.mean,
    multiTurnRate: x.multiTurn.rate,
    reasoningRate: x.reasoning.rate,
    meanAnswerWords: x.answerWords.mean,
    medianAnswerWords: x.answerWords.median,
    p90AnswerWords: x.answerWords.p90,
    meanAnswerChars: x.answerChars.mean,
  };
}

/** selection − pool for every headline figure (rounded to 6 decimals). */
export function headlineDeltas(selection: HeadlineFigures, pool: HeadlineFigures): HeadlineFigures {
  const out = {} as HeadlineFigures;
  for (const k of Object.keys(pool) as (keyof HeadlineFigures)[]) out[k] = round(selection[k] - pool[k]);
  return out;
}

/** Shannon entropy in bits of a count vector. */
export function entropy(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) h -= (c / total) * Math.log2(c / total);
  }
  return h;
}
