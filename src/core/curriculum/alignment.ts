// Vision-Flan's two-stage recipe (docs/method.md §3): after the capability stage(s), a small
// format-alignment stage (about 1,000 samples suffice). A curriculum step that wraps any selection
// strategy: the strategy is asked for B − A samples, then A alignment samples are drawn from what it
// left and appended as the last stage.
//
// Exact semantics (B = budget count, M = unique samples matching the predicate):
//  - eligible for alignment: matches the predicate, stands for its duplicate cluster and is not
//    flagged unless flagged samples are included (selection/helpers.ts `selectable`: the
//    representative, or the cluster's first clean member), and its cluster was not taken by the strategy;
//  - A starts at min(size, ⌊maxShare·B⌋, M); the strategy is asked for B − A; if fewer than A
//    eligible samples are left after its picks, A drops to that number and the strategy is asked
//    again for B − A (A only ever decreases, so this ends; in practice after one or two rounds);
//  - the A samples are a stratified random draw: bins of (label value for the label predicate) ×
//    capability (hard label) × primary interaction style, quotas proportional to bin sizes (largest
//    remainder), seeded random inside each bin; the stage's training order is a seeded shuffle;
//  - every draw comes from the Rng handed in (a fork of the run's seed), so a manifest is
//    byte-identical per seed;
//  - dropTopSelfInfluence is a strategy filter and is not applied here (long answers have high loss
//    by nature; dropping them would empty the stage).
import type { AlignmentConfig, CurationConfig } from '../config';
import type { Pool, StyleName } from '../features/types';
import { STYLES } from '../features/types';
import type { Attribution } from '../influence/types';
import { selectable, stratify, take } from '../selection/helpers';
import type { Duplicates, SelectionResult } from '../selection/types';
import type { Rng } from '../util/rng';
import type { AlignmentStageInfo, Stage } from './types';

/** Styles that make an answer a closed-form one, never "long free-form" whatever its length. */
export const ALIGNMENT_EXCLUDED_STYLES: readonly StyleName[] = ['multi-choice', 'yes/no', 'short-answer'];

export const ALIGNMENT_STAGE_NAME = 'Alignment';

/** Whether the run gets an alignment stage: 'auto' = on for the task-balanced strategy only. */
export function alignmentEnabled(cfg: CurationConfig): boolean {
  // Configs recorded before the key existed have no alignment stage.
  const enabled = (cfg.curriculum as Partial<CurationConfig['curriculum']>).alignment?.enabled ?? false;
  return enabled === 'auto' ? cfg.strategy === 'task-balanced' : enabled;
}

/** min(size, ⌊maxShare·B⌋): the stage's size before matches run out. */
export function alignmentTarget(al: AlignmentConfig, budget: number): number {
  return Math.max(0, Math.min(Math.floor(al.size), Math.floor(al.maxShare * budget + 1e-9)));
}

function checkConfig(al: AlignmentConfig, pool: Pool): void {
  if (!(Number.isInteger(al.size) && al.size >= 0))
    throw new Error(`curriculum.alignment.size must be a whole number ≥ 0, got ${al.size}.`);
  if (!(al.maxShare >= 0 && al.maxShare < 1)) throw new Error(`curriculum.alignment.maxShare must be in [0, 1), got ${al.maxShare}.`);
  if (al.predicate === 'long-answer') {
    if (!(Number.isInteger(al.minAnswerChars) && al.minAnswerChars >= 0))
      throw new Error(`curriculum.alignment.minAnswerChars must be a whole number ≥ 0, got ${al.minAnswerChars}.`);
  } else if (al.predicate === 'label') {
    if (!al.field) throw new Error("curriculum.alignment.predicate 'label' needs a field.");
    if (!al.values || al.values.length === 0) throw new Error("curriculum.alignment.predicate 'label' needs at least one value.");
    if (!pool.labels[al.field]) {
      const fields = Object.keys(pool.labels);
      throw new Error(
        `The alignment label field '${al.field}' is not in the dataset (label fields: ${fields.length ? fields.join(', ') : 'none'}).`,
      );
    }
  } else {
    throw new Error(`Unknown curriculum.alignment.predicate '${String((al as { predicate: unknown }).predicate)}'.`);
  }
}

/** 1 where sample i matches the alignment predicate (duplicates not yet considered). */
export function alignmentMatches(pool: Pool, al: AlignmentConfig): Uint8Array {
  checkConfig(al, pool);
  const out = new Uint8Array(pool.n);
  if (al.predicate === 'label') {
    const col = pool.labels[al.field!];
    const wanted = new Set(al.values);
    const codeOk = col.values.map((v) => wanted.has(v));
    for (let i = 0; i < pool.n; i++) {
      const c = col.codes[i];
      out[i] = c >= 0 && codeOk[c] ? 1 : 0;
    }
    return out;
  }
  let closed = 0;
  for (const s of ALIGNMENT_EXCLUDED_STYLES) closed |= 1 << STYLES.indexOf(s);
  for (let i = 0; i < pool.n; i++) out[i] = pool.answerChars[i] >= al.minAnswerChars && (pool.styleMask[i] & closed) === 0 ? 1 : 0;
  return out;
}

export function alignmentInfo(al: AlignmentConfig, matched: number, target: number): AlignmentStageInfo {
  return al.predicate === 'label'
    ? { predicate: 'label', field: al.field, values: [...(al.values ?? [])], matched, target }
    : { predicate: 'long-answer', minAnswerChars: al.minAnswerChars, excludedStyles: [...ALIGNMENT_EXCLUDED_STYLES], matched, target };
}

function describe(al: AlignmentConfig): string {
  return al.predicate === 'label'
    ? `${al.field} ∈ {${(al.values ?? []).join(', ')}}`
    : `answers ≥ ${al.minAnswerChars} characters, not ${ALIGNMENT_EXCLUDED_STYLES.join('/')}`;
}

export interface AlignedSelection {
  /** The strategy's picks for the capability stages (B − A of them, or fewer if it ran short). */
  capability: SelectionResult;
  /** The alignment samples in training order; empty when the stage is off or nothing matched. */
  alignment: Int32Array;
  /** Present when the alignment step was enabled. */
  info?: AlignmentStageInfo;
  notes: string[];
}

export interface AlignmentArgs {
  pool: Pool;
  duplicates: Duplicates;
  attribution: Attribution;
  config: CurationConfig;
  /** Budget count B for the whole curriculum. */
  budget: number;
  /** A fork of the run's Rng reserved for this step. */
  rng: Rng;
  /** Runs the strategy for a budget (must be deterministic for a given budget). */
  select: (budget: number) => SelectionResult;
}

/** Runs the strategy for B − A and draws the alignment stage from what it left. */
export function selectWithAlignment(args: AlignmentArgs): AlignedSelection {
  const { pool, duplicates, attribution, config, budget } = args;
  if (!alignmentEnabled(config)) return { capability: args.select(budget), alignment: new Int32Array(0), notes: [] };
  const al = config.curriculum.alignment;
  const match = alignmentMatches(pool, al);
  const rep = duplicates.rep;
  const base = selectable({ pool, duplicates, config });
  let matched = 0;
  for (let i = 0; i < pool.n; i++) if (match[i] && base[i]) matched++;
  const target = alignmentTarget(al, budget);
  const info = alignmentInfo(al, matched, target);
  let A = Math.min(target, matched);
  let capability = args.select(budget - A);
  let left = leftovers(pool.n, match, base, rep, capability.selected);
  let rounds = 1;
  while (left.length < A) {
    A = left.length;
    capability = args.select(budget - A);
    left = leftovers(pool.n, match, base, rep, capability.selected);
    rounds++;
  }
  const notes: string[] = [];
  if (A === 0) {
    notes.push(
      target === 0
        ? `Alignment stage omitted: its size is ${al.size} and ⌊${al.maxShare}·${budget}⌋ = ${Math.floor(al.maxShare * budget + 1e-9)}.`
        : `Alignment stage omitted: ${matched === 0 ? 'no unique sample matches' : 'the strategy took every unique sample matching'} the predicate (${describe(al)}).`,
    );
    return { capability, alignment: new Int32Array(0), info, notes };
  }
  const alignment = drawStratified(left, A, pool, attribution, al, args.rng.fork('pick'));
  alignment.sort();
  args.rng.fork('order').shuffle(alignment);
  notes.push(
    `Alignment stage: ${A} samples (${describe(al)}; ${matched} unique matches, target ${target}); the strategy was asked for ${budget - A}.`,
  );
  if (A < target)
    notes.push(
      `Alignment stage short by ${target - A}: only ${A} matching unique samples were left after the strategy's picks (${rounds} round(s)).`,
    );
  return { capability, alignment, info, notes };
}

/** Eligible alignment candidates, ascending: matching selectable samples whose cluster the strategy did not use. */
function leftovers(n: number, match: Uint8Array, base: Uint8Array, rep: Int32Array, selected: Int32Array): number[] {
  const used = new Uint8Array(n);
  for (const i of selected) used[rep[i]] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (match[i] && base[i] && !used[rep[i]]) out.push(i);
  return out;
}

function drawStratified(
  candidates: number[],
  count: number,
  pool: Pool,
  attribution: Attribution,
  al: AlignmentConfig,
  rng: Rng,
): Int32Array {
  const K = attribution.K;
  const codes = al.predicate === 'label' ? pool.labels[al.field!].codes : undefined;
  const keyOf = (i: number) => ((codes ? codes[i] + 1 : 0) * K + attribution.hard[i]) * STYLES.length + pool.primaryStyle[i];
  const out: number[] = [];
  for (const { list, quota } of stratify(candidates, keyOf, count)) if (quota > 0) out.push(...take(list, quota, rng));
  return Int32Array.from(out);
}

/** The alignment stage, appended after the capability stages; samples keep their capability. */
export function appendAlignmentStage(stages: Stage[], aligned: AlignedSelection, attribution: Attribution): Stage[] {
  if (aligned.alignment.length === 0 || !aligned.info) return stages;
  const caps = [...new Set(Array.from(aligned.alignment, (i) => attribution.hard[i]))].sort((a, b) => a - b);
  return [
    ...stages,
    {
      index: stages.length,
      name: ALIGNMENT_STAGE_NAME,
      kind: 'alignment',
      alignment: aligned.info,
      capabilities: caps,
      samples: aligned.alignment,
    },
  ];
}

/** The strategy's picks followed by the alignment samples, as one selection (budget.selected counts both). */
export function combinedSelection(aligned: AlignedSelection): SelectionResult {
  const c = aligned.capability;
  if (aligned.alignment.length === 0 && aligned.notes.length === 0) return c;
  const selected = new Int32Array(c.selected.length + aligned.alignment.length);
  selected.set(c.selected, 0);
  selected.set(aligned.alignment, c.selected.length);
  return { ...c, selected, notes: [...c.notes, ...aligned.notes] };
}
