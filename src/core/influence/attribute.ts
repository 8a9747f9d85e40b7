// Trajectory influence I_k(z) = Σ_t η_t cos(g(z,t), ḡ_k(t)) (ORT GEMMs per batch), self-influence,
// hard labels by z-scored argmax, and the capability descriptions that follow from the labels.
import { Uint32Set } from '../util/uint32Set';
import type { CapabilityAssignment } from '../config';
import type { CapabilityModel } from '../capabilities/types';
import { STYLES } from '../features/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { matmulNT } from '../ort/kernels';
import type { Attribution } from './types';
import { extendPhrase, PHRASE, phraseSample } from './phrases';
import { STOP_WORDS } from '../features/pool';

/**
 * Σ_t η_t · ⟨g(z,t), a_t⟩ for every sample z and anchor a: `anchors` holds A unit rows per checkpoint,
 * row-major [T, A, D]; the n×A products run in ORT, 16,384 samples per batch. Returns [n, A].
 * Used for capability influence here and for per-group influence (LESS, ICONS).
 */
export async function trajectoryInfluence(traj: Trajectories, anchors: Float32Array, A: number): Promise<Float32Array> {
  const { n, T, D } = traj;
  const out = new Float32Array(n * A);
  const B = 16384;
  for (let t = 0; t < T; t++) {
    const eta = traj.eta[t];
    const anchorsT = anchors.subarray(t * A * D, (t + 1) * A * D);
    for (let s = 0; s < n; s += B) {
      const e = Math.min(n, s + B);
      const sims = await matmulNT(traj.slice(t, s, e), e - s, D, anchorsT, A);
      for (let i = 0; i < sims.length; i++) out[s * A + i] += eta * sims[i];
    }
  }
  return out;
}

export async function attribute(
  traj: Trajectories,
  model: CapabilityModel,
  assign: CapabilityAssignment = 'influence',
): Promise<Attribution> {
  const { n, T } = traj;
  const K = model.K;
  const influence = await trajectoryInfluence(traj, model.anchors, K);
  const selfInfluence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let si = 0;
    for (let t = 0; t < T; t++) si += traj.eta[t] * traj.gradNormSq[i * T + t];
    selfInfluence[i] = si;
  }
  const mean = new Float64Array(K);
  const std = new Float64Array(K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) mean[k] += influence[i * K + k];
  for (let k = 0; k < K; k++) mean[k] /= Math.max(1, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) std[k] += (influence[i * K + k] - mean[k]) ** 2;
  for (let k = 0; k < K; k++) std[k] = Math.sqrt(std[k] / Math.max(1, n)) || 1;
  const hard = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let k = 0; k < K; k++) {
      const z = (influence[i * K + k] - mean[k]) / std[k];
      if (z > bv) [bv, best] = [z, k];
    }
    hard[i] = best;
  }
  if (assign === 'group')
    for (let i = 0; i < n; i++) {
      const g = model.probe.of[i];
      if (g >= 0) hard[i] = model.groupCapability[g];
    }
  const child = await subCapabilityOf(traj, model, hard);
  return { K, influence, hard, child, selfInfluence, mean, std };
}

/**
 * Each sample's sub-capability within its capability: the one holding its probe group when that group
 * is in the capability, else the sub-capability whose anchor it is most influenced by.
 */
async function subCapabilityOf(traj: Trajectories, model: CapabilityModel, hard: Int32Array): Promise<Int32Array> {
  const child = new Int32Array(traj.n).fill(-1);
  const { T, D } = traj;
  const kidOf = new Map<number, number>(); // group → its sub-capability within its capability
  const offset: number[] = []; // first column of each capability's sub-capabilities
  let A = 0;
  for (const cap of model.capabilities) {
    offset.push(A);
    for (const kid of cap.children ?? []) for (const g of kid.groups) kidOf.set(g, kid.index);
    A += cap.children?.length ?? 0;
  }
  let rest = false;
  for (let i = 0; i < traj.n; i++) {
    const kids = model.capabilities[hard[i]].children ?? [];
    if (kids.length === 0) continue;
    const g = model.probe.of[i];
    if (g >= 0 && model.groupCapability[g] === hard[i]) child[i] = kidOf.get(g)!;
    else rest = true;
  }
  if (!rest) return child;
  // Samples outside their capability's groups: the sub-capability whose anchor influences them most
  // (one pass of GEMMs over every sub-capability anchor, then the argmax within the sample's capability).
  const anchorsTAD = new Float32Array(T * A * D);
  model.capabilities.forEach((cap, k) =>
    (cap.children ?? []).forEach((kid, j) => {
      for (let t = 0; t < T; t++) anchorsTAD.set(kid.anchor.subarray(t * D, (t + 1) * D), (t * A + offset[k] + j) * D);
    }),
  );
  const infl = await trajectoryInfluence(traj, anchorsTAD, A);
  for (let i = 0; i < traj.n; i++) {
    const kids = model.capabilities[hard[i]].children ?? [];
    if (kids.length === 0 || child[i] >= 0) continue;
    const o = i * A + offset[hard[i]];
    let best = 0;
    for (let j = 1; j < kids.length; j++) if (infl[o + j] > infl[o + best]) best = j;
    child[i] = best;
  }
  return child;
}

const TOP_LABELS = 3;
/** Label values that name nothing (never used in a capability's name). */
export const PLACEHOLDER_LABEL = /^(default|none|null|unknown|other|others|misc|n\/?a|-|)$/i;
/** Label values that look like codes, not words: a single letter or digit, or a list of such short codes ("a,b,d"). */
export const CODE_LIKE_LABEL = /^\s*[\p{L}\p{N}]{1,2}\s*(,\s*[\p{L}\p{N}]{1,3}\s*)*$/u;
const TOP_TERMS = 8;
/**
 * Function words the features keep (they help tell instruction templates apart) but that name
 * nothing: a capability's terms are content words. The features' own stop list is dropped already.
 */
const FUNCTION_WORDS = new Set(
  'has have had having not no nor all any some more most less other such only own same so than too very just also into about above below up down out over under again then once here both each few if but because while until after before through during between against among per via may might must shall being am'.split(
    ' ',
  ),
);
/** Examples kept per capability and sub-capability. */
export const EXAMPLES = 3;
/** A label value names a capability only when it covers this share of it … */
const LABEL_MIN_SHARE = 0.2;
/** … and at least this many times its share of the pool (it distinguishes the capability). */
const LABEL_MIN_LIFT = 1.5;
/** A term names a class only at this many times its share in every other class. */
const TERM_MIN_LIFT = LABEL_MIN_LIFT;
/** Pseudo-samples of the scope's term shares added to each class in that test. */
const GATE_PRIOR = 20;
/** A label value is shown on a capability's card from this share of it (and with the lift above). */
const LABEL_SHOWN_SHARE = 0.05;

/**
 * Whether a label value tells a capability apart, so that its card shows it: a real share of the
 * capability, over-represented against the pool (lift = share here / share in the pool ≥ 1.5), and a
 * word, not a placeholder ("default") or a code ("a,b,d"). Values of manifests written before `lift`
 * was recorded are judged by share and wording only. The name asks more of a label (a share ≥ 20%).
 */
export function labelDistinguishes(l: { value: string; share: number; lift?: number }, minShare = LABEL_SHOWN_SHARE): boolean {
  const value = l.value.trim();
  return (
    l.share >= minShare &&
    (l.lift === undefined || l.lift >= LABEL_MIN_LIFT) &&
    !PLACEHOLDER_LABEL.test(value) &&
    !CODE_LIKE_LABEL.test(value)
  );
}

/**
 * Distinctive terms of each class against the other classes in scope (class-based TF-IDF): with p_c a
 * term's share of the class's samples and p_r its share of the other samples in scope (smoothed), the
 * score p_c·log(p_c/p_r) keeps terms frequent here and rare elsewhere; template words common to every
 * class drop out. A term must also tell the class apart from *each* other class, not only from their
 * union: p_c at least TERM_MIN_LIFT times its share in every other class (the label test's 1.5×),
 * both shares smoothed towards the scope's. Such terms come first, so a template two of the classes
 * share ("answer using a single word or phrase") names neither while any other term does; the others
 * follow by score, so a class whose every term is shared still has terms. `classOf[i]` < 0 leaves
 * sample i out of scope.
 */
export function distinctiveTerms(pool: Pool, classOf: Int32Array, C: number, top = TOP_TERMS): string[][] {
  const sizes = new Float64Array(C);
  // Each distinct term in scope gets a slot (in order of first occurrence) and the counts live in one
  // [slots, C] table: a first pass notes the slot of every in-scope occurrence (one typed-set lookup each;
  // a sub-capability's scope is one capability, so the array holds its occurrences only), a second
  // pass counts them.
  const slotOf = new Uint32Set(1 << 12);
  const ids: number[] = [];
  let occurrences = 0;
  for (let i = 0; i < pool.n; i++) if (classOf[i] >= 0) occurrences += pool.termPtr[i + 1] - pool.termPtr[i];
  const occurrence = new Int32Array(occurrences);
  let inScope = 0;
  for (let i = 0, o = 0; i < pool.n; i++) {
    const c = classOf[i];
    if (c < 0) continue;
    sizes[c]++;
    inScope++;
    for (let j = pool.termPtr[i]; j < pool.termPtr[i + 1]; j++) {
      const id = pool.termIds[j];
      const slot = slotOf.id(id);
      if (slot === ids.length) ids.push(id);
      occurrence[o++] = slot;
    }
  }
  const S = ids.length;
  const counts = new Int32Array(S * C);
  const tfAll = new Int32Array(S);
  for (let i = 0, o = 0; i < pool.n; i++) {
    const c = classOf[i];
    if (c < 0) continue;
    for (let j = pool.termPtr[i]; j < pool.termPtr[i + 1]; j++, o++) {
      counts[occurrence[o] * C + c]++;
      tfAll[occurrence[o]]++;
    }
  }
  // For the test against each other class, a term's share of a class is smoothed towards its share of
  // the scope (Dirichlet, GATE_PRIOR pseudo-samples), so that a class of a few samples cannot veto a
  // term by chance. Each term's two largest such shares (and the class of the first) make the largest
  // share in any class other than c one lookup.
  const gateShare = (c: number, tf: number, s: number) => (tf + (GATE_PRIOR * tfAll[s]) / inScope) / (sizes[c] + GATE_PRIOR);
  const first = new Float64Array(S);
  const second = new Float64Array(S);
  const firstClass = new Int32Array(S).fill(-1);
  for (let c = 0; c < C; c++)
    for (let s = 0; s < S; s++) {
      const tf = counts[s * C + c];
      if (tf === 0) continue;
      const p = gateShare(c, tf, s);
      if (firstClass[s] < 0) {
        first[s] = p;
        firstClass[s] = c;
      } else if (p > first[s]) {
        second[s] = first[s];
        first[s] = p;
        firstClass[s] = c;
      } else if (p > second[s]) second[s] = p;
    }
  // A class without the term counts with the smoothed share of a zero count, largest in the smallest class.
  const smallestElsewhere = Array.from(sizes, (_, c) => {
    let z = -1;
    sizes.forEach((size, o) => {
      if (o !== c && size > 0 && (z < 0 || size < sizes[z])) z = o;
    });
    return z;
  });
  return Array.from({ length: C }, (_, c) => {
    const scored: [string, number, boolean][] = [];
    const rest = inScope - sizes[c];
    for (let s = 0; s < S; s++) {
      const tf = counts[s * C + c];
      if (tf < 2) continue;
      const term = pool.termOf.get(ids[s]);
      if (term && FUNCTION_WORDS.has(term)) continue;
      const pc = (tf + 0.5) / (sizes[c] + 1);
      const pr = (tfAll[s] - tf + 0.5) / (rest + 1);
      const z = smallestElsewhere[c];
      const elsewhere = Math.max(firstClass[s] === c ? second[s] : first[s], z < 0 ? 0 : gateShare(z, 0, s));
      if (term && pc > pr) scored.push([term, pc * Math.log(pc / pr), gateShare(c, tf, s) >= TERM_MIN_LIFT * elsewhere]);
    }
    scored.sort((a, b) => Number(b[2]) - Number(a[2]) || b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return scored.slice(0, top).map(([t]) => t);
  });
}

/**
 * Up to EXAMPLES members, most influential on capability k first, preferring samples of different probe
 * groups and never two with the same text (exact-duplicate key). Deterministic: ties by pool order.
 */
function pickExamples(pool: Pool, model: CapabilityModel, attribution: Attribution, members: number[], k: number): number[] {
  const K = attribution.K;
  const order = mostInfluential(members, (i) => attribution.influence[i * K + k], EXAMPLE_CANDIDATES);
  const out: number[] = [];
  const texts = new Set<string>();
  const groups = new Set<number>();
  for (const strict of [true, false])
    for (const i of order) {
      if (out.length >= EXAMPLES) return out;
      const key = `${pool.exactHash[2 * i]}:${pool.exactHash[2 * i + 1]}`;
      if (texts.has(key) || out.includes(i)) continue;
      if (strict && groups.has(model.probe.of[i])) continue;
      out.push(i);
      texts.add(key);
      groups.add(model.probe.of[i]);
    }
  return out;
}

/** How many of a capability's most influential members its examples are chosen from. */
const EXAMPLE_CANDIDATES = 2000;

/**
 * The `top` members with the largest value, largest first (ties by index): the first `top` of the whole
 * list sorted that way, without sorting it all. A capability of 133,000 members at 665K sorted whole cost
 * ≈ 0.1 s, 1 s over all capabilities and sub-capabilities; here a native sort of the values finds the
 * top-th largest and only the members at or above it are sorted.
 */
export function mostInfluential(members: number[], value: (i: number) => number, top: number): number[] {
  const byValue = (a: number, b: number) => value(b) - value(a) || a - b;
  const values = Float64Array.from(members, value);
  if (members.length <= top || values.some(Number.isNaN)) return members.slice().sort(byValue).slice(0, top);
  const cut = values.sort()[values.length - top]; // the top-th largest value
  return members
    .filter((i) => value(i) >= cut)
    .sort(byValue)
    .slice(0, top);
}

/** A name ("terms · style · label") with one more term after its terms. */
function withTerm(name: string, term: string): string {
  const at = name.indexOf(' · ');
  return at < 0 ? `${name} ${term}` : `${name.slice(0, at)} ${term}${name.slice(at)}`;
}

/**
 * Names made unique, among themselves and against `taken` (a sub-capability's parent): a repeated name
 * takes its next distinctive term, then its id.
 */
function uniqueNames(names: string[], extra: string[][], ids: string[], taken: string[] = []): string[] {
  const out = names.slice();
  for (let round = 0; round < 3; round++) {
    const count = new Map<string, number>();
    for (const n of [...taken, ...out]) count.set(n, (count.get(n) ?? 0) + 1);
    let clash = false;
    out.forEach((n, k) => {
      if (count.get(n)! < 2) return;
      clash = true;
      const next = extra[k][round];
      out[k] = next && !n.includes(next) ? withTerm(n, next) : `${n} (${ids[k]})`;
    });
    if (!clash) break;
  }
  return out;
}

/**
 * The instructions (all user turns) of some pool samples, by sample index: how names find the phrases
 * their terms stand in (phrases.ts). The pipeline reads them back from the dataset.
 */
export type InstructionReader = (samples: number[]) => Promise<Map<number, string>>;

/** A word a phrase may add to a name: a content word (not a stop or function word, a number or an option marker). */
function nameable(word: string): boolean {
  return word.length >= 2 && !FUNCTION_WORDS.has(word) && !STOP_WORDS.has(word) && !/^\d+$/.test(word) && !word.startsWith('opt_');
}

/**
 * A name's terms: the class's first two terms, each as the phrase it stands in when there is one, at most
 * PHRASE.maxWords words in all. A term the name already holds is skipped; a phrase that would repeat a
 * word of the name is shown as its term alone; a second term that does not fit leaves the name at the
 * first. `rest`: the terms the name does not hold (a clash takes the next of them).
 */
export function nameTerms(terms: readonly string[], phraseOf: (term: string) => string = (t) => t): { head: string; rest: string[] } {
  const units: string[] = [];
  const words = new Set<string>();
  const rest: string[] = [];
  let full = false;
  for (const term of terms) {
    if (words.has(term)) continue;
    const phrase = phraseOf(term).split(' ');
    const unit = phrase.some((w) => words.has(w)) ? [term] : phrase;
    full ||= units.length >= 2 || (units.length > 0 && words.size + unit.length > PHRASE.maxWords);
    if (full) {
      rest.push(term);
      continue;
    }
    units.push(unit.join(' '));
    for (const w of unit) words.add(w);
  }
  return { head: units.join(' '), rest: rest.filter((t) => !words.has(t)) };
}

/**
 * Sizes, distinctive terms (class-based TF-IDF), dominant labels, styles, examples, sub-capabilities and
 * readable names. With `read`, a name's terms are shown as the phrases they stand in (phrases.ts), found
 * in a sample of each class's instructions; without it, as single words.
 */
export async function describeCapabilities(
  pool: Pool,
  model: CapabilityModel,
  attribution: Attribution,
  read?: InstructionReader,
): Promise<void> {
  const K = model.K;
  const hard = attribution.hard;
  const sizes = new Int32Array(K);
  const members: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < pool.n; i++) {
    sizes[hard[i]]++;
    members[hard[i]].push(i);
  }
  const terms = distinctiveTerms(pool, hard, K);
  // Pool shares of every label value, for the "informative label" test.
  const poolShare = new Map<string, number>();
  for (const [field, col] of Object.entries(pool.labels)) {
    if (col.values.length > 5000) continue;
    const c = new Float64Array(col.values.length);
    for (const v of col.codes) if (v >= 0) c[v]++;
    c.forEach((x, v) => poolShare.set(`${field}\u0000${v}`, x / pool.n));
  }
  // What follows a capability's terms in its name: its dominant style and an informative label.
  const tails: (string | undefined)[][] = [];
  for (let k = 0; k < K; k++) {
    const cap = model.capabilities[k];
    cap.size = sizes[k];
    cap.terms = terms[k];
    cap.labels = [];
    const informative: { field: string; value: string; share: number; lift: number }[] = [];
    for (const [field, col] of Object.entries(pool.labels)) {
      if (col.values.length > 5000) continue;
      const counts = new Map<number, number>();
      for (const i of members[k]) if (col.codes[i] >= 0) counts.set(col.codes[i], (counts.get(col.codes[i]) ?? 0) + 1);
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP_LABELS);
      for (const [code, c] of top) {
        const share = c / Math.max(1, sizes[k]);
        // The value occurs in the capability, so its pool share is at least 1/n: the lift is finite.
        const lift = share / (poolShare.get(`${field}\u0000${code}`) ?? 1);
        const value = col.values[code].trim();
        cap.labels.push({ field, value: col.values[code], share: round3(share), lift: round3(lift) });
        if (labelDistinguishes({ value, share, lift }, LABEL_MIN_SHARE)) informative.push({ field, value, share, lift });
      }
    }
    const styleCounts = new Int32Array(STYLES.length);
    for (const i of members[k]) styleCounts[pool.primaryStyle[i]]++;
    cap.styles = STYLES.map((style, s) => ({ style, share: round3(styleCounts[s] / Math.max(1, sizes[k])) }))
      .filter((x) => x.share > 0)
      .sort((a, b) => b.share - a.share || (a.style < b.style ? -1 : 1));
    // A label names the capability only when it distinguishes it (a real share here, well above its
    // pool share) and says something: placeholders ("default") and codes ("a,b,d") stay in the list only.
    informative.sort((a, b) => b.share * Math.log(b.lift) - a.share * Math.log(a.lift) || (a.value < b.value ? -1 : 1));
    const preferred = model.probe.source === 'label' ? informative.find((l) => l.field === model.probe.field) : undefined;
    const label = preferred ?? informative[0];
    tails.push([cap.styles[0]?.style, label?.value]);
    cap.examples = pickExamples(pool, model, attribution, members[k], k);
  }
  const kids = members.map((m, k) => describeChildren(pool, model, attribution, k, m));
  // The phrases the classes' first terms stand in, from one read of the sampled instructions.
  const classes = [
    ...members.map((m, k) => ({ members: m, terms: terms[k] })),
    ...kids.flatMap((c, k) => c.of.map((m, j) => ({ members: m, terms: model.capabilities[k].children![j].terms }))),
  ];
  const phrases = read ? await findPhrases(pool, classes, read) : classes.map(() => new Map<string, string>());
  const phraseOf = (c: number) => (t: string) => phrases[c].get(t) ?? t;
  const named = terms.map((t, k) => nameTerms(t, phraseOf(k)));
  const unique = uniqueNames(
    named.map(({ head }, k) => [head, ...tails[k]].filter((p): p is string => !!p).join(' · ') || `capability ${k + 1}`),
    named.map(({ rest }) => rest),
    model.capabilities.map((_, k) => `c${k + 1}`),
  );
  unique.forEach((n, k) => (model.capabilities[k].name = n));
  // Sub-capabilities once their parents' names are final: a child is never named as its parent.
  let c = K;
  kids.forEach(({ styles }, k) => {
    const children = model.capabilities[k].children ?? [];
    const names = children.map((kid, j) => nameTerms(kid.terms, phraseOf(c + j)));
    c += styles.length;
    uniqueNames(
      names.map(({ head }, j) => [head, styles[j]].filter((p) => !!p).join(' · ') || `part ${j + 1}`),
      names.map(({ rest }) => rest),
      children.map((_, j) => `c${k + 1}.${j + 1}`),
      [model.capabilities[k].name],
    ).forEach((n, j) => (children[j].name = n));
  });
}

/** Per class (members and terms), each of its first PHRASE.candidates terms' phrase where it has one. */
async function findPhrases(
  pool: Pool,
  classes: { members: number[]; terms: string[] }[],
  read: InstructionReader,
): Promise<Map<string, string>[]> {
  const samples = classes.map(({ members, terms }) => phraseSample(pool, members, terms.slice(0, PHRASE.candidates)));
  const wanted = new Set<number>();
  for (const s of samples) for (const list of s.values()) for (const i of list) wanted.add(i);
  const texts = await read([...wanted].sort((a, b) => a - b));
  return samples.map((s) => {
    const out = new Map<string, string>();
    for (const [term, list] of s) {
      const phrase = extendPhrase(
        term,
        list.map((i) => texts.get(i) ?? ''),
        nameable,
      );
      if (phrase !== term) out.set(term, phrase);
    }
    return out;
  });
}

/**
 * Sizes, terms (against the sibling sub-capabilities) and examples of capability k's sub-capabilities;
 * their members and dominant styles, for their names.
 */
function describeChildren(
  pool: Pool,
  model: CapabilityModel,
  attribution: Attribution,
  k: number,
  members: number[],
): { of: number[][]; styles: (string | undefined)[] } {
  const kids = model.capabilities[k].children ?? [];
  const child = attribution.child;
  if (kids.length === 0 || !child) return { of: [], styles: [] };
  const classOf = new Int32Array(pool.n).fill(-1);
  const of: number[][] = kids.map(() => []);
  for (const i of members)
    if (child[i] >= 0) {
      classOf[i] = child[i];
      of[child[i]].push(i);
    }
  const terms = distinctiveTerms(pool, classOf, kids.length);
  const styles = kids.map((kid, j) => {
    kid.size = of[j].length;
    kid.terms = terms[j];
    kid.examples = pickExamples(pool, model, attribution, of[j], k);
    const counts = new Int32Array(STYLES.length);
    for (const i of of[j]) counts[pool.primaryStyle[i]]++;
    let top = 0;
    for (let s = 1; s < STYLES.length; s++) if (counts[s] > counts[top]) top = s;
    return of[j].length ? STYLES[top] : undefined;
  });
  return { of, styles };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
