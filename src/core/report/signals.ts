// Per-sample text rules of the quality report. Each rule is a small pure function with a precise
// definition, so the report's figures can be checked by hand (test/unit/report).
import type { Turn } from '../dataset/types';

const IMAGE_TOKEN = /<image>/gi;

/** Text without `<image>` tokens, trimmed. */
export function stripImageTokens(s: string): string {
  return s.replace(IMAGE_TOKEN, ' ').trim();
}

/** Word tokens: maximal runs of letters, digits, apostrophes inside words; lower-cased. */
export function words(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Whitespace-separated word count (what "answer length in words" means). */
export function wordCount(s: string): number {
  const m = s.match(/\S+/g);
  return m ? m.length : 0;
}

/** Normalised text for duplicate detection: no `<image>`, lower-case, single spaces, no trailing . ! ? */
export function normaliseText(s: string): string {
  return stripImageTokens(s)
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.!?。！？]+$/u, '')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Truncation

/** Answers with at least this many words must end with terminal punctuation. */
export const TRUNCATION_MIN_WORDS = 20;
const ELLIPSIS = /(\.\.\.|…)$/u;
const CLOSERS = /["'”’)\]}»*_]+$/u;
const TERMINAL = /[.!?。！？:;]$/u;

/**
 * Truncation of one answer (trimmed):
 * - 'ellipsis' when it ends with "..." or "…" (after closing quotes/brackets are removed);
 * - 'no-terminal-punctuation' when it has ≥ TRUNCATION_MIN_WORDS words and its last character
 *   (after closing quotes, brackets and Markdown emphasis are removed) is not one of . ! ? 。！？ : ;
 *   — answers ending in a code fence (```) or a Markdown table row (|) are exempt;
 * - null otherwise (short answers such as "Yes", "B" or "Dakota digital" are never truncated).
 */
export function truncation(answer: string): 'ellipsis' | 'no-terminal-punctuation' | null {
  const t = answer.trim();
  if (t === '') return null;
  const core = t.replace(CLOSERS, '');
  if (ELLIPSIS.test(core)) return 'ellipsis';
  if (wordCount(t) < TRUNCATION_MIN_WORDS) return null;
  if (t.endsWith('```') || t.endsWith('|')) return null;
  return TERMINAL.test(core) ? null : 'no-terminal-punctuation';
}

// ---------------------------------------------------------------------------------------------
// Question forms

const AUX =
  /^(is|are|am|was|were|do|does|did|can|could|should|shall|will|would|has|have|had|may|might|must|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|can't|couldn't|shouldn't|won't|wouldn't|hasn't|haven't)\b/i;
const EXPLICIT_YES_NO =
  /\b(please )?answer (with )?(a )?(yes or no|"yes" or "no"|'yes' or 'no'|yes\/no)\b|\((yes|no)\s*(or|\/)\s*(no|yes)\)|\byes or no\?/i;
const ALTERNATIVE = /\bor\b/i;
/** Polite requests ("Can you describe …?") have the form of a yes/no question but ask for content. */
const REQUEST =
  /^(can|could|would|will)\s+you\s+(please\s+)?(tell|say|describe|explain|write|give|read|provide|list|identify|help|generate|create|summari[sz]e|name|show|suggest|recommend|make|translate|compose|share|elaborate|analy[sz]e|point|guess|infer|predict|specify|answer|locate|caption|interpret|draft|design|plan|imagine|transform|convert|extract|count|find|output|rewrite|come up|introduce|offer|sketch|outline|compare)\b/i;

/** The last sentence of a text that ends with "?", or '' when there is none. */
export function lastInterrogative(question: string): string {
  const q = stripImageTokens(question);
  const idx = q.lastIndexOf('?');
  if (idx < 0) return '';
  // The sentence starts after the previous sentence end or line break.
  let start = 0;
  for (let i = idx - 1; i >= 0; i--) {
    const c = q[i];
    if (c === '\n' || ((c === '.' || c === '!' || c === '?') && /\s/.test(q[i + 1] ?? ''))) {
      start = i + 1;
      break;
    }
  }
  return q.slice(start, idx + 1).trim();
}

/**
 * A yes/no-form question: not multiple-choice, and either
 * - it says so explicitly ("Answer yes or no", "Please answer yes or no", "(yes/no)", "… yes or no?"), or
 * - its last sentence ending in "?" starts with an auxiliary verb (is, are, does, do, did, can,
 *   could, should, will, would, was, were, has, have, had, may, might, must, shall, am, and their
 *   n't forms), contains no "or" (alternative questions such as "Is it red or blue?" are not
 *   yes/no questions) and is not a polite request ("Can/Could/Would/Will you (please) describe,
 *   write, tell, give, … ?", see REQUEST).
 */
export function isYesNoQuestion(question: string): boolean {
  if (parseOptions(question).length >= 2) return false;
  const q = stripImageTokens(question);
  if (EXPLICIT_YES_NO.test(q)) return true;
  const s = lastInterrogative(q);
  return s !== '' && AUX.test(s) && !ALTERNATIVE.test(s) && !REQUEST.test(s);
}

const YES_NO_ANSWER = /^\W*(yes|no)\b/i;
const UNANSWERABLE_ALLOWED = /\bunanswerable\b/i;

/**
 * Whether an answer addresses a yes/no question: it starts (after leading punctuation) with "yes"
 * or "no"; or the instruction explicitly allows "unanswerable" and the answer is exactly that.
 */
export function answersYesNo(question: string, answer: string): boolean {
  if (YES_NO_ANSWER.test(answer.trim())) return true;
  return UNANSWERABLE_ALLOWED.test(question) && /^\W*unanswerable\W*$/i.test(answer.trim());
}

export interface ParsedOption {
  letter: string; // upper-case
  text: string;
}

const OPTION_MARKER = /(?<=^|[\s:;,])\(?([A-Za-z])[.)][ \t]+(?=\S)/gm;

export function parseOptions(question: string): ParsedOption[] {
  const q = stripImageTokens(question);
  const marks: { letter: string; start: number; textStart: number }[] = [];
  OPTION_MARKER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = OPTION_MARKER.exec(q)) !== null) marks.push({ letter: m[1], start: m.index, textStart: m.index + m[0].length });
  // Longest run A, B, C… of one case, in order.
  let best: typeof marks = [];
  for (const base of ['A', 'a']) {
    const run: typeof marks = [];
    let want = base.charCodeAt(0);
    for (const mk of marks) {
      if (mk.letter.charCodeAt(0) === want) {
        run.push(mk);
        want++;
      }
    }
    if (run.length > best.length) best = run;
  }
  if (best.length < 2) return [];
  return best.map((mk, i) => {
    const end = i + 1 < best.length ? best[i + 1].start : q.length;
    let text = q.slice(mk.textStart, end);
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
    return { letter: mk.letter.toUpperCase(), text: text.trim() };
  });
}

/**
 * Whether an answer addresses a multiple-choice question: it starts with one of the option letters
 * ("B", "B.", "(B)", "B) …", "b:"), or says "answer/option is B", or contains the text of one option
 * (case-insensitive, normalised whitespace and final punctuation; options of ≥ 1 character).
 */
export function answersOption(options: ParsedOption[], answer: string): boolean {
  const a = answer.trim();
  const letters = new Set(options.map((o) => o.letter));
  const lead = /^\W*\(?([A-Za-z])\)?(?=$|[\s.):,;])/.exec(a);
  if (lead && letters.has(lead[1].toUpperCase())) return true;
  const said = /\b(?:answer|option|choice)\s*(?:is)?\s*:?\s*\(?([A-Z])\b/i.exec(a);
  if (said && letters.has(said[1].toUpperCase())) return true;
  const na = normaliseText(a);
  return options.some((o) => {
    const t = normaliseText(o.text);
    return t.length > 0 && na.includes(t);
  });
}

// ---------------------------------------------------------------------------------------------
// Templates

/** Words kept from the first and from the last line of an instruction. */
export const TEMPLATE_WORDS = 3;

/**
 * Instruction template of a sample's first user turn: `<image>` removed, lower-cased; quoted spans
 * ("…", '…', “…”, ‘…’) → ‹q›; numbers → ‹n›; option lines and option texts (parseOptions) → ‹opt›;
 * then the first TEMPLATE_WORDS whitespace-separated words of the first non-empty line, plus
 * " … " and the first TEMPLATE_WORDS words of the last non-empty line when there are ≥ 2 lines.
 * E.g. "Is there a cat in the image?\nAnswer the question using a single word or phrase." →
 * "is there a … answer the question".
 */
export function instructionTemplate(question: string): string {
  let q = stripImageTokens(question);
  const options = parseOptions(q);
  for (const o of options) if (o.text) q = q.split(o.text).join('‹opt›');
  q = q
    .toLowerCase()
    .replace(
      /"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’|(^|[\s(])'[^'\n]*'(?=$|[\s.,;:!?)])/g,
      (_m0: string, pre?: string) => `${typeof pre === 'string' ? pre : ''}‹q›`,
    )
    .replace(/\d+(?:[.,]\d+)*/g, '‹n›');
  const lines = q
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => (/^\(?[a-h][.)]\s/.test(l) ? '‹opt›' : l));
  if (lines.length === 0) return '';
  const head = (l: string) => l.split(/\s+/).slice(0, TEMPLATE_WORDS).join(' ');
  const first = head(lines[0]);
  return lines.length >= 2 ? `${first} … ${head(lines[lines.length - 1])}` : first;
}

// ---------------------------------------------------------------------------------------------
// Reasoning markers

/** Markers of explicit reasoning in answers (case-insensitive, whole words). */
export const REASONING_MARKERS: { name: string; re: RegExp }[] = [
  { name: 'because', re: /\bbecause\b/i },
  { name: 'therefore', re: /\b(therefore|thus|hence|consequently)\b/i },
  { name: 'as a result', re: /\bas a result\b/i },
  { name: 'so that', re: /\bso that\b/i },
  { name: 'step by step', re: /\bstep[- ]by[- ]step\b/i },
  { name: 'step N', re: /\bstep \d+\b/i },
  { name: 'first … then', re: /\bfirst(ly)?\b[\s\S]*\b(then|next|second(ly)?|finally)\b/i },
  { name: "let's think", re: /\blet(’|')?s think\b|\blet us think\b/i },
];

/** Instructions that ask for reasoning. */
export const REASONING_REQUEST =
  /step[- ]by[- ]step|explain (your|the) (reasoning|answer)|think (it )?through|show your work|reason(ing)? (first|before)|\bexplain why\b/i;

// ---------------------------------------------------------------------------------------------
// One sample

/** What the report needs from one sample, computed once from its turns. */
export interface SampleSignals {
  emptyAnswer: boolean;
  truncated: 'ellipsis' | 'no-terminal-punctuation' | null;
  yesNoQuestion: boolean;
  yesNoMismatch: boolean;
  mcQuestion: boolean;
  mcMismatch: boolean;
  imageTokens: number;
  rounds: number;
  reasoningMarkers: number[]; // indices into REASONING_MARKERS
  reasoningRequested: boolean;
  answerChars: number;
  answerWords: number;
  /** First user turn (for templates and duplicates) and every user / assistant text. */
  firstQuestion: string;
  questions: string[];
  answers: string[];
}

/**
 * Pairs each user turn with the assistant turn that follows it (system turns are ignored). Signals
 * over question/answer pairs are per sample: a sample counts once if any of its pairs qualifies.
 */
export function sampleSignals(turns: Turn[]): SampleSignals {
  const questions: string[] = [];
  const answers: string[] = [];
  let emptyAnswer = false;
  let truncated: SampleSignals['truncated'] = null;
  let yesNoQuestion = false;
  let yesNoMismatch = false;
  let mcQuestion = false;
  let mcMismatch = false;
  let imageTokens = 0;
  let pending: string | undefined;
  for (const t of turns) {
    if (t.role === 'user') {
      imageTokens += (t.text.match(IMAGE_TOKEN) ?? []).length;
      questions.push(stripImageTokens(t.text));
      pending = pending === undefined ? t.text : `${pending}\n${t.text}`;
    } else if (t.role === 'assistant') {
      answers.push(t.text);
      if (t.text.trim() === '') emptyAnswer = true;
      const tr = truncation(t.text);
      if (tr && !truncated) truncated = tr;
      if (pending !== undefined && t.text.trim() !== '') {
        const options = parseOptions(pending);
        if (options.length >= 2) {
          mcQuestion = true;
          if (!answersOption(options, t.text)) mcMismatch = true;
        } else if (isYesNoQuestion(pending)) {
          yesNoQuestion = true;
          if (!answersYesNo(pending, t.text)) yesNoMismatch = true;
        }
      }
      pending = undefined;
    }
  }
  const allAnswers = answers.join('\n');
  const reasoningMarkers: number[] = [];
  REASONING_MARKERS.forEach((m, i) => {
    if (m.re.test(allAnswers)) reasoningMarkers.push(i);
  });
  let answerChars = 0;
  let answerWords = 0;
  for (const a of answers) {
    answerChars += a.trim().length;
    answerWords += wordCount(a);
  }
  return {
    emptyAnswer,
    truncated,
    yesNoQuestion,
    yesNoMismatch,
    mcQuestion,
    mcMismatch,
    imageTokens,
    rounds: answers.length,
    reasoningMarkers,
    reasoningRequested: questions.some((q) => REASONING_REQUEST.test(q)),
    answerChars,
    answerWords,
    firstQuestion: questions[0] ?? '',
    questions,
    answers,
  };
}
