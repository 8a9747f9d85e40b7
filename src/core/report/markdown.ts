// Markdown renderings of the quality report and of a comparison. Dataset-derived strings (label
// values, templates, names, paths) are untrusted: escapeMd makes them inert inside a table cell.
import { budgetText } from '../config';
import { HEADLINE_FIGURES } from './figures';
import type { Comparison, HeadlineFigures, QualityReport, QualitySection } from './types';

/**
 * Escapes text for a Markdown table cell: a backslash before each character that means something
 * inside one (| ` * _ [ ] < > & # ~ \) and newlines as ⏎. `<` is escaped, so no raw HTML survives,
 * and `&` is, so no entity is read; no entity is written either: the source reads as the text (\<image\>).
 */
export function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>|&~#]/g, '\\$&').replace(/\r\n|\r|\n/g, ' ⏎ ');
}

/** A number for a reader: whole numbers as they are, others to 3 significant digits (64.2101 → 64.2, 0.012345 → 0.0123), 100 and above to a whole number. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  const r = Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(3));
  return String(r === 0 ? 0 : r); // no -0
}

/** A share as a percentage to 3 significant digits (0.123456 → 12.3%, 0.0005 → 0.05%). */
function pct(x: number): string {
  return `${fmt(x * 100)}%`;
}

/** A delta: shares in percentage points (pp), other figures in their own unit, signed. */
function signed(x: number, asPct: boolean): string {
  const s = asPct ? `${fmt(x * 100)} pp` : fmt(x);
  return x > 0 ? `+${s}` : s;
}

/** A delta cell: the signed difference and, for a figure with a better direction, whether it is better or worse. */
function deltaCell(x: number, asPct: boolean, better: 'up' | 'down' | 'none'): string {
  const d = signed(x, asPct);
  if (better === 'none' || fmt(asPct ? x * 100 : x) === '0') return d;
  return `${d} (${x > 0 === (better === 'up') ? 'better' : 'worse'})`;
}

/** What the delta columns mean, under every table that has them. */
const DELTA_LEGEND =
  '\nΔ = the selection’s figure minus the pool’s. Shares differ in percentage points (pp), the other figures in their own unit. ' +
  '“better” / “worse” follow each figure’s direction: lower is better for the correctness rates (empty, truncated, mismatched, missing), ' +
  'higher for diversity and reasoning; counts and answer lengths have no direction and are left unmarked. ' +
  'Flagged samples (an image that does not resolve, `<image>` tokens that do not match the images) are left out of selections by default, ' +
  'so those two rates drop to 0% in a selection unless flagged samples are included.\n';

/** A comparison's budget as asked: a share (5%) or a count (the legacy number 1 with a count of 1 was a count). */
function budgetAsked(requested: number, count: number, samples: number): string {
  const share = requested < 1 || (requested === 1 && (count !== 1 || samples === 1));
  return budgetText(requested, share ? 'fraction' : 'count');
}

function table(head: string[], rows: (string | number)[][]): string {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.map((c) => (typeof c === 'number' ? fmt(c) : c)).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}

function cell(h: HeadlineFigures, k: keyof HeadlineFigures, asPct: boolean): string {
  return asPct ? pct(h[k]) : fmt(h[k]);
}

function headlineTable(columns: { name: string; h: HeadlineFigures }[], deltas?: { name: string; h: HeadlineFigures }[]): string {
  const head = ['figure', ...columns.map((c) => escapeMd(c.name)), ...(deltas ?? []).map((d) => escapeMd(d.name))];
  const rows = HEADLINE_FIGURES.map(({ key, label, fmt: unit, better }) => [
    escapeMd(label),
    ...columns.map((c) => cell(c.h, key, unit === 'pct')),
    ...(deltas ?? []).map((d) => deltaCell(d.h[key], unit === 'pct', better)),
  ]);
  return table(head, rows) + (deltas?.length ? DELTA_LEGEND : '');
}

function sectionDetails(title: string, s: QualitySection): string {
  const c = s.correctness;
  const d = s.diversity;
  const x = s.complexity;
  const parts: string[] = [`## ${title}\n`];
  parts.push('### Correctness\n');
  parts.push(
    table(
      ['signal', 'samples', 'of', 'rate', 'detail'],
      [
        ['empty answer', c.emptyAnswer.count, s.samples, pct(c.emptyAnswer.rate), ''],
        [
          'truncated answer',
          c.truncated.count,
          s.samples,
          pct(c.truncated.rate),
          `ellipsis ${c.truncated.ellipsis}, no terminal punctuation ${c.truncated.noTerminalPunctuation}`,
        ],
        [
          'yes/no question not answered yes/no',
          c.yesNo.mismatch,
          c.yesNo.questions,
          pct(c.yesNo.rate),
          `${c.yesNo.questions} yes/no-form questions`,
        ],
        [
          'multiple-choice answer without option',
          c.multipleChoice.mismatch,
          c.multipleChoice.questions,
          pct(c.multipleChoice.rate),
          `${c.multipleChoice.questions} multiple-choice questions`,
        ],
        [
          'image referenced but missing',
          c.imageMissing.count,
          s.samples,
          pct(c.imageMissing.rate),
          `missing ${c.imageProblems.missing}, invalid path ${c.imageProblems.invalidPath}, outside root ${c.imageProblems.outsideRoot}, remote ${c.imageProblems.remote}`,
        ],
        [
          '`<image>` tokens ≠ images',
          c.imageTokenMismatch.count,
          s.samples,
          pct(c.imageTokenMismatch.rate),
          `more tokens than images ${c.imageTokenMismatch.moreTokens}, fewer (≥ 1) ${c.imageTokenMismatch.fewerTokens}`,
        ],
        [
          'duplicate question, conflicting answers',
          c.duplicates.conflicting.count,
          s.samples,
          pct(c.duplicates.conflicting.rate),
          `${c.duplicates.conflictingGroups} conflicting of ${c.duplicates.groups} duplicate groups (${c.duplicates.samples} samples)`,
        ],
      ],
    ),
  );
  parts.push('\n### Diversity\n');
  const approx = (exact: boolean) => (exact ? '' : ' (≈)');
  parts.push(
    table(
      ['figure', 'value'],
      [
        ['distinct instruction templates', `${d.templates.distinct}${approx(d.templates.exact)}`],
        ['distinct first questions', `${d.distinctQuestions.distinct}${approx(d.distinctQuestions.exact)}`],
        ['distinct interaction styles', d.distinctStyles],
        ['style entropy (bits / normalised)', `${fmt(d.styleEntropy)} / ${fmt(d.styleEntropyNormalised)}`],
        [
          'questions: tokens, distinct-1, distinct-2',
          `${d.questions.tokens}, ${fmt(d.questions.distinct1)}, ${fmt(d.questions.distinct2)}${approx(d.questions.exact)}`,
        ],
        [
          'answers: tokens, distinct-1, distinct-2',
          `${d.answers.tokens}, ${fmt(d.answers.distinct1)}, ${fmt(d.answers.distinct2)}${approx(d.answers.exact)}`,
        ],
      ],
    ),
  );
  parts.push('\n#### Interaction styles\n');
  parts.push(
    table(
      ['style', 'samples', 'share'],
      d.styles.map((st) => [escapeMd(st.style), st.count, pct(st.share)]),
    ),
  );
  for (const l of d.labels) {
    parts.push(
      `\n#### Label ${escapeMd(l.field)}: ${l.distinct.distinct}${approx(l.distinct.exact)} distinct values, entropy ${fmt(l.entropy)} bits${l.capped ? ' (first 1,000 values)' : ''}\n`,
    );
    const shown = l.top.slice(0, 20);
    parts.push(
      table(
        ['value', 'samples', 'share'],
        shown.map((v) => [escapeMd(v.value), v.count, pct(s.samples ? v.count / s.samples : 0)]),
      ),
    );
    if (l.top.length > shown.length || l.distinct.distinct > l.top.length)
      parts.push(`\n… ${Math.max(0, l.distinct.distinct - shown.length)} more values\n`);
  }
  parts.push('\n#### Most frequent instruction templates\n');
  parts.push(
    table(
      ['template', 'samples'],
      d.templates.top.map((t) => [escapeMd(t.template), t.count]),
    ),
  );
  parts.push('\n### Complexity\n');
  parts.push(
    table(
      ['figure', 'mean', 'median', 'p90', 'max'],
      [
        ['rounds per sample', x.rounds.mean, x.rounds.median, x.rounds.p90, x.rounds.max],
        ['answer words', x.answerWords.mean, x.answerWords.median, x.answerWords.p90, x.answerWords.max],
        ['answer characters', x.answerChars.mean, x.answerChars.median, x.answerChars.p90, x.answerChars.max],
      ],
    ),
  );
  parts.push('\n');
  parts.push(table(['rounds', ...x.rounds.histogram.map((b) => b.rounds)], [['samples', ...x.rounds.histogram.map((b) => b.count)]]));
  parts.push('\n');
  parts.push(
    table(
      ['reasoning', 'samples', 'share'],
      [
        ['any marker in the answers', x.reasoning.count, pct(x.reasoning.rate)],
        ...x.reasoning.markers.map((m) => [escapeMd(`"${m.marker}"`), m.samples, pct(s.samples ? m.samples / s.samples : 0)]),
        ['instruction asks for reasoning', x.reasoningRequested.count, pct(x.reasoningRequested.rate)],
        ['multi-turn (≥ 2 rounds)', x.multiTurn.count, pct(x.multiTurn.rate)],
      ],
    ),
  );
  return parts.join('');
}

/** A readable Markdown document of a quality report (tables; dataset text escaped). */
export function reportToMarkdown(r: QualityReport): string {
  const parts: string[] = [];
  parts.push(`# Quality report: ${escapeMd(r.dataset.path.split(/[\\/]/).pop() ?? r.dataset.path)}\n\n`);
  parts.push(
    `${r.dataset.samples} samples (${r.dataset.records} records, ${r.dataset.invalid} invalid, ${r.dataset.emptyTurnsRejected} rejected for an empty question or answer), format ${escapeMd(r.dataset.format)}, sha256 \`${r.dataset.sha256.slice(0, 16)}…\`.\n`,
  );
  if (r.selectionSource) {
    parts.push(
      `\nSelection: ${escapeMd(r.selectionSource.name)} (${r.selectionSource.kind}), ${r.selectionSource.matched} of ${r.selectionSource.requested} selected lines found.\n`,
    );
  }
  if (r.excluded) {
    const why = r.excluded.reasons.map((x) => `${escapeMd(x.code)} ${x.count}`).join(', ');
    parts.push(
      `\nThe selection left out ${r.excluded.total} flagged pool samples (${why}; \`--include-flagged\` keeps them in): the pool column counts them, the selection cannot have them.\n`,
    );
  }
  for (const w of r.warnings) parts.push(`\n> **Warning:** ${escapeMd(w)}\n`);
  parts.push('\n## Summary\n\n');
  const cols = [{ name: 'pool', h: r.pool.headline }, ...(r.selection ? [{ name: 'selection', h: r.selection.headline }] : [])];
  parts.push(headlineTable(cols, r.deltas ? [{ name: 'Δ selection − pool', h: r.deltas }] : undefined));
  if (r.perCapability && r.perCapability.length > 0) {
    parts.push(`\n## Per capability (from ${r.capabilitySource ?? 'unknown'})\n\n`);
    const keys: [keyof HeadlineFigures, string, boolean][] = [
      ['samples', 'samples', false],
      ['truncatedRate', 'truncated', true],
      ['yesNoMismatchRate', 'yes/no mismatch', true],
      ['conflictingDuplicateRate', 'conflicting dup.', true],
      ['distinctTemplates', 'templates', false],
      ['styleEntropy', 'style entropy', false],
      ['answerDistinct2', 'answer distinct-2', false],
      ['reasoningRate', 'reasoning', true],
      ['meanAnswerWords', 'mean answer words', false],
    ];
    const rows: string[][] = [];
    for (const c of r.perCapability) {
      for (const [which, sec] of [
        ['pool', c.pool],
        ['selection', c.selection],
      ] as const) {
        if (!sec) continue;
        rows.push([`${escapeMd(c.id)} ${escapeMd(c.name)}`, which, ...keys.map(([k, , asPct]) => cell(sec.headline, k, asPct))]);
      }
    }
    parts.push(table(['capability', 'part', ...keys.map((k) => k[1])], rows));
  }
  parts.push('\n');
  parts.push(sectionDetails('Pool', r.pool));
  if (r.selection) parts.push(`\n${sectionDetails('Selection', r.selection)}`);
  parts.push(`\n---\nDefinitions: see \`src/core/report/signals.ts\`. Computed in ${r.timingsMs.total} ms.\n`);
  return parts.join('');
}

/** A readable Markdown document of a strategy comparison. */
export function comparisonToMarkdown(c: Comparison): string {
  const parts: string[] = [];
  const names = c.strategies.map((s) => escapeMd(s.strategy));
  parts.push(`# Strategy comparison: ${escapeMd(c.dataset.path.split(/[\\/]/).pop() ?? c.dataset.path)}\n\n`);
  parts.push(
    `${c.dataset.samples} samples, budget ${budgetAsked(c.budget.requested, c.budget.count, c.dataset.samples)} → ${c.budget.count}, seed ${c.seed}.\n`,
  );
  for (const w of c.warnings) parts.push(`\n> **Warning:** ${escapeMd(w)}\n`);
  parts.push('\n## Selected\n\n');
  parts.push(
    table(
      ['strategy', 'selected', 'notes'],
      c.strategies.map((s) => [escapeMd(s.strategy), s.selected, escapeMd(s.notes.join('; '))]),
    ),
  );
  parts.push('\n## Overlap (Jaccard of selected sets)\n\n');
  parts.push(
    table(
      ['', ...names],
      c.overlap.map((row, i) => [names[i], ...row.map((v) => fmt(v))]),
    ),
  );
  const composition = (
    title: string,
    pick: (comp: Comparison['poolComposition']) => { key: string; share: number }[] | undefined,
    label: (k: string) => string = (k) => k,
  ) => {
    const keys = new Set<string>();
    const all = [c.poolComposition, ...c.strategies.map((s) => s.composition)];
    for (const comp of all) for (const e of pick(comp) ?? []) keys.add(e.key);
    if (keys.size === 0) return;
    const sorted = [...keys].sort();
    const shown = sorted.slice(0, 40);
    parts.push(`\n## Composition: ${title}\n\n`);
    parts.push(
      table(
        [title, 'pool', ...names],
        shown.map((k) => [escapeMd(label(k)), ...all.map((comp) => pct((pick(comp) ?? []).find((e) => e.key === k)?.share ?? 0))]),
      ),
    );
    if (sorted.length > shown.length) parts.push(`\n… ${sorted.length - shown.length} more\n`);
  };
  composition(
    'capability',
    (x) => x.capabilities,
    (k) => (c.capabilityNames[k] ? `${k} ${c.capabilityNames[k]}` : k),
  );
  composition('style', (x) => x.styles);
  if (c.labelField) composition(`label ${c.labelField}`, (x) => x.labels);
  parts.push('\n## Quality\n\n');
  parts.push(
    headlineTable(
      [{ name: 'pool', h: c.pool.headline }, ...c.strategies.map((s) => ({ name: s.strategy, h: s.quality.headline }))],
      c.strategies.map((s) => ({ name: `Δ ${s.strategy}`, h: s.deltas })),
    ),
  );
  parts.push(`\n---\nTimings (ms): ${escapeMd(JSON.stringify(c.timingsMs))}\n`);
  return parts.join('');
}
