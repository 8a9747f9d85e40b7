// Phrases for capability names: a distinctive term is shown as the phrase it stands in, when the class's
// instructions nearly always use it so ("bounding" → "red bounding box", "ocr" → "reference ocr token",
// "dining" → "dining table"). Terms are single words (the class-based TF-IDF of attribute.ts); a word cut
// out of its collocation is often hard to read. The phrase is grown one neighbouring word at a time
// (left or right) while at least half of the sampled instructions holding the phrase hold the longer one
// too, up to three words, from the instructions themselves, so it is the text's own wording (the
// collocation step of topic labelling: Mei, Shen & Zhai 2007, "Automatic labeling of multinomial topic
// models", who take frequent n-grams as label candidates).
import type { Pool } from '../features/types';
import { termId } from '../features/pool';

export const PHRASE = {
  /** A longer phrase is kept when at least this share of the instructions with the shorter one hold it. */
  share: 0.5,
  /** … and at least this many of them. */
  minTexts: 5,
  /** Longest phrase, in words. */
  maxWords: 3,
  /** Instructions sampled per (class, term), spread over the class's members that hold the term. */
  textsPerTerm: 24,
  /** How many of a class's first terms may become phrases (a name shows two). */
  candidates: 4,
  /** Characters of an instruction looked at. */
  maxChars: 2000,
} as const;

/** The word tokens of the features (text.ts tokenize), with their positions. */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/**
 * An instruction's runs of adjacent words: lower-cased word tokens, a run broken wherever anything but
 * whitespace lies between two words ("insufficient, respond" are not neighbours).
 */
export function wordRuns(text: string): string[][] {
  const lower = text.slice(0, PHRASE.maxChars).toLowerCase();
  const runs: string[][] = [];
  let run: string[] = [];
  let end = -1;
  for (const m of lower.matchAll(WORD)) {
    const start = m.index!;
    if (run.length > 0 && !/^\s+$/.test(lower.slice(end, start))) {
      runs.push(run);
      run = [];
    }
    run.push(m[0]);
    end = start + m[0].length;
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * The phrase `term` stands in within `texts` (each a class member's instructions): the term grown by
 * one neighbouring word at a time while the best neighbour (the word most texts hold beside the phrase,
 * on either side) is held by at least PHRASE.share of the texts that hold the phrase and by at least
 * PHRASE.minTexts, and is a word that may name (`nameable`); at most PHRASE.maxWords. Ties: the more
 * frequent neighbour, then the right side, then the word in code-unit order. The term itself when no
 * neighbour qualifies.
 */
export function extendPhrase(term: string, texts: readonly string[], nameable: (word: string) => boolean): string {
  const docs = texts.map(wordRuns);
  let phrase = [term];
  let holding = docs.filter((runs) => runs.some((r) => indexOf(r, phrase) >= 0));
  while (phrase.length < PHRASE.maxWords && holding.length >= PHRASE.minTexts) {
    // Per neighbour ('<' left, '>' right), the number of texts holding it beside the phrase.
    const count = new Map<string, number>();
    for (const runs of holding) {
      const seen = new Set<string>();
      for (const r of runs)
        for (let at = indexOf(r, phrase); at >= 0; at = indexOf(r, phrase, at + 1)) {
          if (at > 0) seen.add(`<${r[at - 1]}`);
          if (at + phrase.length < r.length) seen.add(`>${r[at + phrase.length]}`);
        }
      for (const key of seen) count.set(key, (count.get(key) ?? 0) + 1);
    }
    let best: [string, number] | undefined;
    for (const [key, c] of count) {
      if (!nameable(key.slice(1)) || phrase.includes(key.slice(1))) continue;
      if (!best || c > best[1] || (c === best[1] && better(key, best[0]))) best = [key, c];
    }
    if (!best || best[1] < PHRASE.minTexts || best[1] < PHRASE.share * holding.length) break;
    const word = best[0].slice(1);
    phrase = best[0][0] === '<' ? [word, ...phrase] : [...phrase, word];
    holding = holding.filter((runs) => runs.some((r) => indexOf(r, phrase) >= 0));
  }
  return phrase.join(' ');
}

/** Right before left, then code-unit order of the word: a deterministic tie-break. */
function better(a: string, b: string): boolean {
  if (a[0] !== b[0]) return a[0] === '>';
  return a.slice(1) < b.slice(1);
}

/** Where `phrase` starts in `run` at or after `from`, or -1. */
function indexOf(run: readonly string[], phrase: readonly string[], from = 0): number {
  outer: for (let i = from; i + phrase.length <= run.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (run[i + j] !== phrase[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * For each of `terms`, up to PHRASE.textsPerTerm of `members` whose instructions hold it (the pool's
 * term ids), spread evenly over them in pool order (a pool sorted by source still gives every part of
 * the class its turn). Deterministic.
 */
export function phraseSample(pool: Pool, members: readonly number[], terms: readonly string[]): Map<string, number[]> {
  const ids = terms.map(termId);
  const holders: number[][] = terms.map(() => []);
  for (const i of members)
    for (let j = pool.termPtr[i]; j < pool.termPtr[i + 1]; j++) {
      const x = ids.indexOf(pool.termIds[j]);
      if (x >= 0) holders[x].push(i);
    }
  const out = new Map<string, number[]>();
  terms.forEach((t, x) => {
    const h = holders[x];
    const m = Math.min(PHRASE.textsPerTerm, h.length);
    out.set(
      t,
      Array.from({ length: m }, (_, r) => h[Math.floor((r * h.length) / m)]),
    );
  });
  return out;
}
