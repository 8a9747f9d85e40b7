// The Capability Map's Quality and Compare views: the VLIT quality report of the pool and of the
// selection (correctness, diversity, complexity), and strategies compared at the run's budget
// (overlap, composition, quality deltas). Every dataset-derived string is set as text only.
import { HEADLINE_FIGURES, type HeadlineFigure } from '../../src/core/report/figures';
import type { Comparison, CompositionEntry, QualityReport, QualitySection } from '../../src/core/report/types';
import type { MapOverview, MapStrategy, MapToHost } from '../../src/protocol/capabilityMap';
import { el } from './dom';

type Post = (m: MapToHost) => void;

/** The headline figures the map shows (labels, formats and better directions: core/report/figures.ts). */
const FIGURES = HEADLINE_FIGURES.filter((f) => f.inMap);

function fmt(v: number | undefined, f: 'pct' | 'num' | 'int'): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (f === 'pct') return `${(v * 100).toFixed(1)}%`;
  if (f === 'int') return Math.round(v).toLocaleString();
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

/** A figure of a report section; a rate over some of the samples carries its count: "100.0% (3 of 3)". */
function figureText(section: QualitySection | undefined, f: HeadlineFigure): string {
  const text = fmt(section?.headline[f.key], f.fmt);
  if (!section || !f.of) return text;
  const { count, of } = f.of(section);
  return `${text} (${count.toLocaleString()} of ${of.toLocaleString()})`;
}

function fmtDelta(v: number | undefined, f: 'pct' | 'num' | 'int'): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  const a = Math.abs(v);
  if (f === 'pct') return `${sign}${(a * 100).toFixed(1)} pt`;
  if (f === 'int') return `${sign}${Math.round(a).toLocaleString()}`;
  return `${sign}${a >= 100 ? a.toFixed(0) : a.toFixed(3)}`;
}

/** A delta cell's class: good/bad by the figure's better direction (only beyond a small dead band). */
function deltaClass(v: number | undefined, better: 'up' | 'down' | 'none', f: 'pct' | 'num' | 'int'): string {
  if (v === undefined || better === 'none') return 'delta';
  const eps = f === 'pct' ? 0.005 : 1e-3;
  if (Math.abs(v) < eps) return 'delta';
  return v > 0 === (better === 'up') ? 'delta good' : 'delta bad';
}

function table(caption: string, head: string[], rows: (string | HTMLElement)[][]): HTMLTableElement {
  const t = el('table', { class: 'figures' });
  t.append(el('caption', {}, caption));
  const tr = el('tr');
  for (const h of head) tr.append(el('th', { scope: 'col' }, h));
  const thead = el('thead');
  thead.append(tr);
  t.append(thead);
  const body = el('tbody');
  for (const r of rows) {
    const row = el('tr');
    r.forEach((c, i) => {
      const cell = el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {});
      if (typeof c === 'string') cell.textContent = c;
      else cell.append(c);
      row.append(cell);
    });
    body.append(row);
  }
  t.append(body);
  return t;
}

/**
 * A section's controls: its run button (disabled while its job runs), "Open as Markdown" once there
 * is a result, the job's progress with a Cancel button, and the result's warnings.
 */
function appendJobControls(
  sec: HTMLElement,
  job: 'quality' | 'compare',
  run: HTMLButtonElement,
  result: { warnings: string[] } | undefined,
  running: { quality: boolean; compare: boolean },
  message: string | undefined,
  post: Post,
): void {
  const actions = el('div', { class: 'actions' });
  run.toggleAttribute('disabled', running[job]);
  actions.append(run);
  if (result) {
    const md = el('button', { class: 'secondary' }, 'Open as Markdown');
    md.addEventListener('click', () => post({ type: 'openMarkdown', what: job }));
    actions.append(md);
  }
  sec.append(actions);
  if (running[job]) {
    const bar = el('div', { class: 'job', role: 'status' });
    bar.append(el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', {}, message ?? 'Working…'));
    const cancel = el('button', { class: 'secondary' }, 'Cancel');
    cancel.addEventListener('click', () => post({ type: 'cancelJob' }));
    bar.append(cancel);
    sec.append(bar);
  }
  for (const w of result?.warnings ?? []) sec.append(el('p', { class: 'warning', role: 'note' }, w));
}

/** The table inside a box that scrolls sideways on its own when the panel is narrower than the table. */
function boxed(t: HTMLTableElement): HTMLElement {
  const box = el('div', { class: 'tablebox' });
  box.append(t);
  // The caption above the box (it wraps to the panel's width); the table keeps it for screen readers.
  const caption = t.caption;
  if (!caption) return box;
  const outer = el('div', { class: 'boxed' });
  outer.append(el('p', { class: 'tablecaption', 'aria-hidden': 'true' }, caption.textContent ?? ''), box);
  caption.classList.add('sr-only');
  return outer;
}

/** A row name that stays on one line: cut with an ellipsis, the whole name in its title. */
function oneLine(text: string): HTMLElement {
  return el('span', { class: 'oneline', title: text }, text);
}

export function renderQuality(
  report: QualityReport | undefined,
  running: { quality: boolean; compare: boolean },
  message: string | undefined,
  post: Post,
): HTMLElement {
  const sec = el('section', { class: 'analysis', id: 'quality', 'aria-label': 'Quality report' });
  sec.append(el('h2', {}, 'Quality of the pool and of the selection'));
  sec.append(
    el(
      'p',
      { class: 'meta' },
      'Correctness, diversity and complexity of the data (the VLIT review), counted from the text of every sample.',
    ),
  );
  const run = el('button', { id: 'run-quality' }, report ? 'Recompute' : 'Compute quality report');
  run.addEventListener('click', () => post({ type: 'runQuality' }));
  appendJobControls(sec, 'quality', run, report, running, message, post);
  if (!report) return sec;
  const rows = FIGURES.map((f) => {
    const d = report.deltas?.[f.key];
    return [
      f.group ? `${f.label}` : f.label,
      figureText(report.pool, f),
      figureText(report.selection, f),
      el('span', { class: deltaClass(d, f.better, f.fmt) }, fmtDelta(d, f.fmt)),
    ];
  });
  sec.append(
    boxed(
      table(
        `${report.dataset.path.split(/[\\/]/).pop()}: ${report.pool.samples.toLocaleString()} samples${report.selectionSource ? `, selection of ${report.selectionSource.matched.toLocaleString()}` : ''}`,
        ['figure', 'pool', 'selection', 'Δ'],
        rows,
      ),
    ),
  );
  if (report.perCapability?.length) {
    const keys = FIGURES.filter((f) =>
      ['truncatedRate', 'yesNoMismatchRate', 'templatesPerSample', 'styleEntropy', 'reasoningRate', 'meanAnswerWords'].includes(f.key),
    );
    const capRows = report.perCapability.map((c) => [
      oneLine(`${c.id} · ${c.name}`),
      String(c.pool?.samples ?? '—'),
      String(c.selection?.samples ?? '—'),
      ...keys.map((f) => figureText(c.selection ?? c.pool, f)),
    ]);
    const t = table(
      'Per capability (figures of the selected samples, or of the pool where none are selected)',
      ['capability', 'pool', 'selected', ...keys.map((k) => k.label)],
      capRows,
    );
    t.classList.add('percap');
    sec.append(boxed(t));
  }
  return sec;
}

/** A stacked bar of shares; segments in `order` (the pool's), coloured by key, so rows line up. */
function compositionBar(
  entries: CompositionEntry[],
  order: Map<string, number>,
  colorOf: (key: string) => string,
  label: string,
): HTMLElement {
  const sorted = [...entries].sort((a, b) => (order.get(a.key) ?? 1e9) - (order.get(b.key) ?? 1e9) || (a.key < b.key ? -1 : 1));
  const bar = el('div', {
    class: 'stack',
    role: 'img',
    'aria-label': `${label}: ${sorted.map((e) => `${e.key} ${Math.round(e.share * 100)}%`).join(', ')}`,
  });
  for (const e of sorted) {
    if (e.share <= 0) continue;
    const seg = el('span', { title: `${e.key}: ${e.count.toLocaleString()} (${(e.share * 100).toFixed(1)}%)` });
    seg.style.width = `${e.share * 100}%`;
    seg.style.background = colorOf(e.key);
    bar.append(seg);
  }
  return bar;
}

const STYLE_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

export function renderCompare(
  data: Comparison | undefined,
  overview: MapOverview,
  strategies: MapStrategy[],
  chosen: Set<string>,
  running: { quality: boolean; compare: boolean },
  message: string | undefined,
  post: Post,
): HTMLElement {
  const sec = el('section', { class: 'analysis', id: 'compare', 'aria-label': 'Compare strategies' });
  sec.append(el('h2', {}, 'Compare strategies'));
  sec.append(
    el(
      'p',
      { class: 'meta' },
      `Each strategy selects at this run's budget (${overview.budget.text}, ${overview.budget.requestedCount.toLocaleString()} samples) from the same features and trajectories; random is the baseline to beat.`,
    ),
  );
  const picks = el('fieldset', { class: 'picks' });
  picks.append(el('legend', {}, 'Strategies'));
  for (const s of strategies) {
    const id = `strategy-${s.label}`;
    const box = el('input', { type: 'checkbox', id, value: s.label });
    box.checked = chosen.has(s.label);
    box.addEventListener('change', () => (box.checked ? chosen.add(s.label) : chosen.delete(s.label)));
    const lab = el('label', { for: id, title: s.detail }, s.label);
    const item = el('span', { class: 'pick' });
    item.append(box, lab);
    picks.append(item);
  }
  sec.append(picks);
  const run = el('button', { id: 'run-compare' }, 'Compare');
  run.addEventListener('click', () => {
    const list = strategies.map((s) => s.label).filter((l) => chosen.has(l));
    if (list.length >= 1) post({ type: 'runCompare', strategies: list });
  });
  appendJobControls(sec, 'compare', run, data, running, message, post);
  if (!data) return sec;

  const names = data.strategies.map((s) => s.strategy);
  // Notes (e.g. "CADC's capabilities stand in for mmSSR's") come first: they change how to read the rest.
  const notes = el('ul', { class: 'notes' });
  for (const s of data.strategies) for (const n of s.notes) notes.append(el('li', {}, `${s.strategy}: ${n}`));
  if (notes.childElementCount) sec.append(notes);

  // Overlap (Jaccard) as a heat-mapped matrix.
  const heat = (v: number) => {
    const cell = el('span', { class: 'heat' }, v.toFixed(2));
    cell.style.setProperty('--heat', String(Math.max(0, Math.min(1, v))));
    return cell;
  };
  const ov = table(
    'Overlap between selections (Jaccard: shared / either)',
    ['', ...names],
    data.overlap.map((row, i) => [names[i], ...row.map(heat)]),
  );
  ov.classList.add('overlap');
  sec.append(boxed(ov));

  // Composition: capability and style shares of each selection against the pool's.
  const capOrder = new Map(data.poolComposition.capabilities.map((e, i) => [e.key, i]));
  const styleOrder = new Map(data.poolComposition.styles.map((e, i) => [e.key, i]));
  // Keys a selection has but the pool does not (cannot happen for a subset) still get an order and a colour.
  for (const s of data.strategies) for (const e of s.composition.styles) if (!styleOrder.has(e.key)) styleOrder.set(e.key, styleOrder.size);
  const capColor = (key: string) => overview.capabilities.find((c) => c.id === key)?.color ?? '#888';
  const styleColor = (key: string) => STYLE_COLORS[(styleOrder.get(key) ?? 0) % STYLE_COLORS.length];
  const comp = el('div', { class: 'composition' });
  comp.append(el('h3', {}, 'Composition'));
  const grid = el('div', { class: 'compgrid' });
  grid.append(
    el('span', { class: 'meta' }, ''),
    el('span', { class: 'meta' }, 'capabilities'),
    el('span', { class: 'meta' }, 'interaction styles'),
  );
  const rowsOf: [string, Comparison['poolComposition']][] = [
    ['pool', data.poolComposition],
    ...data.strategies.map((s) => [s.strategy, s.composition] as [string, Comparison['poolComposition']]),
  ];
  for (const [name, c] of rowsOf) {
    grid.append(el('span', { class: 'rowname' }, name));
    grid.append(compositionBar(c.capabilities, capOrder, capColor, `${name} capabilities`));
    grid.append(compositionBar(c.styles, styleOrder, styleColor, `${name} styles`));
  }
  comp.append(grid);
  const legendOf = (title: string, entries: CompositionEntry[], color: (key: string) => string, name: (key: string) => string) => {
    const legend = el('div', { class: 'legend' });
    legend.append(el('span', { class: 'meta' }, `${title}:`));
    entries.forEach((s) => {
      const item = el('span');
      const sw = el('i');
      sw.style.background = color(s.key);
      item.append(sw, document.createTextNode(name(s.key)));
      legend.append(item);
    });
    return legend;
  };
  const capName = (id: string) => {
    const c = overview.capabilities.find((x) => x.id === id);
    return c ? `${c.id} ${c.name}` : id;
  };
  comp.append(legendOf('capabilities', data.poolComposition.capabilities, capColor, capName));
  comp.append(legendOf('styles', data.poolComposition.styles, styleColor, (k) => k));
  sec.append(comp);

  if (data.poolComposition.labels?.length && data.labelField) {
    const top = data.poolComposition.labels.slice(0, 12);
    const rows = top.map((l) => [
      l.key,
      `${(l.share * 100).toFixed(1)}%`,
      ...data.strategies.map((s) => `${((s.composition.labels?.find((x) => x.key === l.key)?.share ?? 0) * 100).toFixed(1)}%`),
    ]);
    sec.append(boxed(table(`Share per ${data.labelField} (top ${top.length} in the pool)`, [data.labelField, 'pool', ...names], rows)));
  }

  // Quality deltas of each selection against the pool.
  const qrows = FIGURES.filter((f) => f.key !== 'samples').map((f) => [
    f.label,
    figureText(data.pool, f),
    ...data.strategies.map((s) => el('span', { class: deltaClass(s.deltas[f.key], f.better, f.fmt) }, fmtDelta(s.deltas[f.key], f.fmt))),
  ]);
  sec.append(boxed(table('Quality of each selection against the pool (Δ = selection − pool)', ['figure', 'pool', ...names], qrows)));
  return sec;
}
