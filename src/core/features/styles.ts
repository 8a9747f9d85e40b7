// mmSSR interaction styles (docs/method.md §2) recognised from the text by rules. A sample can carry
// several styles (a bitmask); one primary style is picked by a fixed priority for binning.
import type { Turn } from '../dataset/types';
import { STYLES } from './types';
import type { StyleName } from './types';

export const STYLE_BIT: Record<StyleName, number> = Object.fromEntries(STYLES.map((s, i) => [s, 1 << i])) as Record<StyleName, number>;

const MC_QUESTION =
  /(^|\n)\s*(options?|choices?)\s*:|(^|\s|\n)\(?[A-Da-d][).]\s+\S+[\s\S]*(^|\s|\n)\(?[B-Eb-e][).]\s+\S+|answer with the option'?s letter|multiple[- ]choice/i;
const MC_ANSWER = /^\s*\(?[A-Ha-h]\)?(?:[.):]|\s*$)/;
const COORD =
  /\[\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*\]|\(\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\)|bounding box|coordinates?/i;
const YESNO = /^\s*(yes|no|true|false)\b/i;
const COMPARISON =
  /\bcompar(e|ed|ing|ison)\b|\bdifferen(ce|t)\b|\bsimilar(ity)?\b|\b(larger|smaller|bigger|taller|shorter|more|fewer|less) than\b|\bwhich (one )?is (larger|bigger|smaller|taller|older|younger|heavier|closer|farther)\b/i;
const COT_Q = /step[- ]by[- ]step|explain (your|the) reasoning|think (it )?through|show your work|reason(ing)? (first|before)/i;
const COT_A = /\b(because|therefore|thus|hence|so that|first,|second,|finally,|step \d)\b/i;
const SPECIFIED =
  /answer (the question )?(using|with) a single (word|phrase)|answer with the option'?s letter|in (one|a single|two|three) (sentence|word)s?|in json|respond (only )?with|(output|reply|answer) (only|in the format|in the following format)|format:|in no more than \d+ words|be concise|briefly/i;
const DETAILED_Q = /describe .*(in detail|thoroughly|detailed)|detailed description|elaborate/i;

function words(s: string): number {
  const m = s.trim().match(/\S+/g);
  return m ? m.length : 0;
}

/** Style bitmask of a sample from its turns. */
export function detectStyles(turns: Turn[]): number {
  const q = turns
    .filter((t) => t.role === 'user')
    .map((t) => t.text)
    .join('\n');
  const answers = turns.filter((t) => t.role === 'assistant').map((t) => t.text);
  const a = answers.join('\n');
  const firstAnswer = answers[0] ?? '';
  const n = words(firstAnswer);
  let mask = 0;
  if (
    MC_QUESTION.test(q) ||
    (MC_ANSWER.test(firstAnswer) && n <= 6 && /^\s*\(?[A-Ha-h]\b/.test(firstAnswer) && !/^\s*(a|i)\s+\w/i.test(firstAnswer))
  ) {
    mask |= STYLE_BIT['multi-choice'];
  }
  if (COORD.test(q) || COORD.test(a)) mask |= STYLE_BIT.coordinate;
  if (YESNO.test(firstAnswer) && n <= 12) mask |= STYLE_BIT['yes/no'];
  if (n <= 3) mask |= STYLE_BIT['short-answer'];
  else if (n <= 40) mask |= STYLE_BIT['short-description'];
  if (n > 40 || DETAILED_Q.test(q)) mask |= STYLE_BIT['detailed-description'];
  if (COMPARISON.test(q)) mask |= STYLE_BIT.comparison;
  const sentences = (a.match(/[.!?](\s|$)/g) ?? []).length;
  if (COT_Q.test(q) || (COT_A.test(a) && sentences >= 2 && n > 15)) mask |= STYLE_BIT['chain-of-thought'];
  if (SPECIFIED.test(q)) mask |= STYLE_BIT['specified-style'];
  return mask;
}

/**
 * Primary style: the most specific answer form wins. Priority: coordinate, multi-choice, yes/no,
 * chain-of-thought, comparison, detailed-description, short-answer, short-description,
 * specified-style (format-only instructions say least about the answer form).
 */
const PRIORITY: StyleName[] = [
  'coordinate',
  'multi-choice',
  'yes/no',
  'chain-of-thought',
  'comparison',
  'detailed-description',
  'short-answer',
  'short-description',
  'specified-style',
];

export function primaryStyle(mask: number): number {
  for (const s of PRIORITY) if (mask & STYLE_BIT[s]) return STYLES.indexOf(s);
  return STYLES.indexOf('short-description');
}

export function styleNames(mask: number): StyleName[] {
  return STYLES.filter((_, i) => mask & (1 << i));
}
