// Capability Map webview: capability cards, learning curves (uPlot), a 2-D map of every sample
// (canvas), curriculum stages and a virtualised sample table. All dataset text is untrusted and is
// only ever set through textContent; no innerHTML anywhere.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { STYLES } from '../../src/core/features/types';
import type { Comparison, QualityReport } from '../../src/core/report/types';
import type { HostToMap, MapOverview, MapSamplePage, MapStrategy, MapToHost } from '../../src/protocol/capabilityMap';
import { renderCompare, renderQuality } from './analysis';
import { el } from './dom';

interface VsCodeApi {
  postMessage(m: MapToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

interface ViewState {
  filter: { capability?: number; style?: string; selected?: boolean; search?: string };
  sort: { key: 'line' | 'influence' | 'selfInfluence' | 'loss'; dir: 'asc' | 'desc' };
  scrollTop: number;
}
const state: ViewState = (vscode.getState() as ViewState | undefined) ?? { filter: {}, sort: { key: 'line', dir: 'asc' }, scrollTop: 0 };
const save = () => vscode.setState(state);

const ROW = 24;
const PAGE = 100;

const app = document.getElementById('app')!;
let overview: MapOverview | undefined;
let requestId = 0;
const pages = new Map<number, MapSamplePage['rows']>();
const pending = new Set<number>();
let total = 0;
let generation = 0;
let quality: QualityReport | undefined;
let comparison: Comparison | undefined;
let strategies: MapStrategy[] = [];
const chosen = new Set<string>(['cadc', 'random']);
const running = { quality: false, compare: false };
const jobMessage: { quality?: string; compare?: string } = {};
const post = (m: MapToHost) => vscode.postMessage(m);

/** Re-draws the Quality and Compare views in place (the rest of the page keeps its state). */
function renderAnalysis(): void {
  if (!overview) return;
  const q = renderQuality(quality, running, jobMessage.quality, post);
  const c = renderCompare(comparison, overview, strategies, chosen, running, jobMessage.compare, post);
  const oldQ = document.getElementById('quality');
  const oldC = document.getElementById('compare');
  if (oldQ) oldQ.replaceWith(q);
  else app.insertBefore(q, document.getElementById('samples-heading'));
  if (oldC) oldC.replaceWith(c);
  else q.after(c);
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function render(o: MapOverview): void {
  app.replaceChildren();
  const header = el('header');
  header.append(el('h1', {}, 'Capability Map'));
  header.append(el('div', { class: 'meta' }, `${o.dataset.name} · ${o.dataset.samples.toLocaleString()} samples · ${o.dataset.invalid} invalid lines · strategy ${o.strategy}`));
  const budget = el('div', { class: 'budget' });
  budget.append(el('label', { for: 'budget' }, 'Budget'));
  const input = el('input', { id: 'budget', value: o.budget.text, 'aria-label': 'Budget (percentage or count)' });
  // A @vscode-elements button: themed like the workbench's own.
  const apply = document.createElement('vscode-button');
  apply.id = 'apply';
  apply.textContent = 'Re-select';
  apply.addEventListener('click', () => {
    const t = input.value.trim();
    if (t) vscode.postMessage({ type: 'reselect', budget: t });
  });
  budget.append(input, apply, el('span', { class: 'meta' }, `${o.budget.selected.toLocaleString()} selected of ${o.budget.requestedCount.toLocaleString()} requested`));
  header.append(budget);
  if (o.notes.length) {
    const notes = el('ul', { class: 'notes', 'aria-label': 'Notes on this selection' });
    for (const n of o.notes) notes.append(el('li', {}, n));
    header.append(notes);
  }
  app.append(header);

  app.append(el('h2', {}, `Capabilities (${o.capabilities.length})`));
  const cards = el('section', { class: 'cards', 'aria-label': 'Capabilities' });
  for (const c of o.capabilities) {
    const card = el('article', { class: 'card', tabindex: '0' });
    card.style.setProperty('--cap-color', c.color);
    const name = el('div', { class: 'name', title: 'Click to rename', tabindex: '0', role: 'button', 'aria-label': `Rename ${c.id}` }, `${c.id} · ${c.name}`);
    const edit = () => {
      const input = el('input', { class: 'rename', value: c.name, 'aria-label': `New name for ${c.id}` });
      name.replaceWith(input);
      input.focus();
      input.select();
      let done = false;
      const finish = (save: boolean) => {
        if (done) return;
        done = true;
        const v = input.value.trim();
        if (save && v && v !== c.name) vscode.postMessage({ type: 'rename', capability: c.id, name: v });
        input.replaceWith(name);
      };
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') finish(true);
        else if (e.key === 'Escape') finish(false);
      });
      input.addEventListener('blur', () => finish(true));
    };
    name.addEventListener('click', edit);
    name.addEventListener('keydown', (e) => e.key === 'Enter' && edit());
    card.append(name);
    card.append(el('div', { class: 'nums' }, `${c.size.toLocaleString()} samples · ${c.selected.toLocaleString()} selected`));
    const chips = (label: string, items: string[]) => {
      const d = el('div', { class: 'chips' });
      d.append(el('span', { class: 'label' }, label));
      for (const it of items) d.append(el('span', {}, it));
      return d;
    };
    card.append(chips('terms', c.terms.slice(0, 6)));
    card.append(chips('labels', c.labels.filter((l) => l.share >= 0.01).slice(0, 4).map((l) => `${l.value} ${Math.round(l.share * 100)}%`)));
    card.append(chips('styles', c.styles.slice(0, 3).map((s) => `${s.style} ${Math.round(s.share * 100)}%`)));
    cards.append(card);
  }
  app.append(cards);

  app.append(el('h2', {}, 'Learning curves along the checkpoints'));
  const charts = el('section', { class: 'row2' });
  const c1 = el('div', { class: 'chart', id: 'curve-self' });
  const c2 = el('div', { class: 'chart', id: 'curve-loss' });
  charts.append(c1, c2);
  app.append(charts);
  const xs = o.checkpoints.map((c) => c.t);
  const axis = { stroke: cssVar('--vscode-foreground', '#ccc'), grid: { stroke: cssVar('--vscode-panel-border', '#444') } };
  for (const [target, key, title] of [[c1, 'selfInfluence', 'mean self-influence'], [c2, 'loss', 'mean loss']] as const) {
    const series = o.capabilities.map((c) => ({ label: c.id, stroke: c.color, width: 2 }));
    new uPlot(
      { title, width: Math.max(280, target.clientWidth || 380), height: 200, scales: { x: { time: false } }, axes: [{ ...axis, label: 'checkpoint' }, axis], series: [{ label: 't' }, ...series] },
      [xs, ...o.capabilities.map((c) => c.curve[key])],
      target,
    );
  }

  app.append(el('h2', {}, 'All samples (PCA of the influence vectors)'));
  const legend = el('div', { class: 'legend' });
  for (const c of o.capabilities) {
    const s = el('span');
    const sw = el('i');
    sw.style.background = c.color;
    s.append(sw, document.createTextNode(`${c.id} ${c.name}`));
    legend.append(s);
  }
  app.append(legend);
  const canvas = el('canvas', { id: 'scatter', role: 'img', 'aria-label': `Scatter of ${o.points.capability.length} samples coloured by capability; selected samples are larger` });
  app.append(canvas);
  drawScatter(canvas, o);

  app.append(el('h2', {}, 'Curriculum stages'));
  const ol = el('ol', { class: 'stages' });
  for (const s of o.stages) {
    if (s.kind === 'alignment') {
      const a = s.alignment;
      const from = a ? (a.predicate === 'label' ? `${a.field} ∈ {${(a.values ?? []).join(', ')}}` : `free-form answers ≥ ${a.minAnswerChars} characters`) : '';
      const li = el('li', { class: 'alignment' }, `${s.id} · alignment · ${s.size.toLocaleString()} samples${a ? ` · ${from} · ${s.size.toLocaleString()} of ${a.matched.toLocaleString()} matching` : ''}`);
      li.title = 'Vision-Flan’s format-alignment stage: a small set trained last, taken out of the budget.';
      ol.append(li);
    } else ol.append(el('li', {}, `${s.id} · ${s.name} · ${s.size.toLocaleString()} samples (${s.capabilities.join(', ')})`));
  }
  app.append(ol);

  app.append(el('h2', { id: 'samples-heading' }, 'Samples'));
  app.append(renderTable(o));
  app.append(el('div', { class: 'tooltip', id: 'tooltip' }));
  renderAnalysis();
}

function drawScatter(canvas: HTMLCanvasElement, o: MapOverview): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 800;
  const h = canvas.clientHeight || 360;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(dpr, dpr);
  const xy = o.points.xy;
  const n = o.points.capability.length;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, xy[2 * i]); maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]); maxY = Math.max(maxY, xy[2 * i + 1]);
  }
  const pad = 10;
  const sx = (v: number) => pad + ((v - minX) / (maxX - minX || 1)) * (w - 2 * pad);
  const sy = (v: number) => h - pad - ((v - minY) / (maxY - minY || 1)) * (h - 2 * pad);
  // One fillStyle per capability: batched draws stay smooth with 100K+ points.
  for (const pass of [0, 1]) {
    o.capabilities.forEach((c, k) => {
      ctx.fillStyle = c.color;
      ctx.globalAlpha = pass === 0 ? 0.35 : 1;
      const size = pass === 0 ? 2 : 4;
      for (let i = 0; i < n; i++) {
        if (o.points.capability[i] !== k || (pass === 1) !== (o.points.selected[i] === 1)) continue;
        ctx.fillRect(sx(xy[2 * i]) - size / 2, sy(xy[2 * i + 1]) - size / 2, size, size);
      }
    });
  }
  ctx.globalAlpha = 1;
}

function requestPage(p: number): void {
  if (pages.has(p) || pending.has(p)) return;
  pending.add(p);
  vscode.postMessage({ type: 'getSamples', requestId: ++requestId * 1000 + generation, offset: p * PAGE, limit: PAGE, filter: state.filter, sort: state.sort });
}

let viewport: HTMLDivElement | undefined;
let spacer: HTMLDivElement | undefined;

function renderTable(o: MapOverview): HTMLElement {
  const wrap = el('section', { 'aria-label': 'Samples table' });
  const filters = el('div', { class: 'filters' });
  const capSel = el('select', { 'aria-label': 'Filter by capability' });
  capSel.append(el('option', { value: '' }, 'all capabilities'));
  o.capabilities.forEach((c, k) => capSel.append(el('option', { value: String(k) }, `${c.id} ${c.name}`)));
  capSel.value = state.filter.capability === undefined ? '' : String(state.filter.capability);
  const styleSel = el('select', { 'aria-label': 'Filter by style' });
  styleSel.append(el('option', { value: '' }, 'all styles'));
  for (const s of STYLES) styleSel.append(el('option', { value: s }, s));
  styleSel.value = state.filter.style ?? '';
  const selSel = el('select', { 'aria-label': 'Filter by selection' });
  for (const [v, t] of [['', 'selected or not'], ['1', 'selected'], ['0', 'not selected']]) selSel.append(el('option', { value: v }, t));
  selSel.value = state.filter.selected === undefined ? '' : state.filter.selected ? '1' : '0';
  const search = el('input', { type: 'search', placeholder: 'search ids', 'aria-label': 'Search sample ids', value: state.filter.search ?? '' });
  const onChange = () => {
    state.filter = {
      ...(capSel.value !== '' ? { capability: Number(capSel.value) } : {}),
      ...(styleSel.value ? { style: styleSel.value } : {}),
      ...(selSel.value !== '' ? { selected: selSel.value === '1' } : {}),
      ...(search.value.trim() ? { search: search.value.trim() } : {}),
    };
    resetTable();
  };
  for (const s of [capSel, styleSel, selSel]) s.addEventListener('change', onChange);
  let t: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = window.setTimeout(onChange, 250);
  });
  const count = el('span', { class: 'meta', id: 'count' });
  filters.append(capSel, styleSel, selSel, search, count);
  wrap.append(filters);

  const table = el('div', { class: 'table', role: 'grid', 'aria-rowcount': '0' });
  const head = el('div', { class: 'thead', role: 'row' });
  const cols: [string, ViewState['sort']['key'] | null][] = [['line', 'line'], ['cap', null], ['style', null], ['stage', null], ['influence', 'influence'], ['self-infl.', 'selfInfluence'], ['loss', 'loss'], ['id / instruction', null]];
  for (const [label, key] of cols) {
    if (!key) {
      head.append(el('span', { role: 'columnheader' }, label));
      continue;
    }
    const b = el('button', { role: 'columnheader', 'aria-sort': state.sort.key === key ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' }, `${label}${state.sort.key === key ? (state.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}`);
    b.addEventListener('click', () => {
      state.sort = { key, dir: state.sort.key === key && state.sort.dir === 'desc' ? 'asc' : 'desc' };
      if (overview) render(overview);
      resetTable();
    });
    head.append(b);
  }
  viewport = el('div', { class: 'viewport', tabindex: '0' });
  spacer = el('div', { class: 'spacer' });
  viewport.append(spacer);
  viewport.addEventListener('scroll', () => {
    state.scrollTop = viewport!.scrollTop;
    save();
    paint();
  });
  viewport.addEventListener('keydown', (e) => onKey(e));
  table.append(head, viewport);
  wrap.append(table);
  queueMicrotask(() => resetTable(false));
  return wrap;
}

function resetTable(clearScroll = true): void {
  generation++;
  pages.clear();
  pending.clear();
  total = 0;
  if (clearScroll) state.scrollTop = 0;
  save();
  if (viewport) viewport.scrollTop = state.scrollTop;
  requestPage(Math.floor(state.scrollTop / ROW / PAGE));
}

function rowAt(i: number): MapSamplePage['rows'][number] | undefined {
  return pages.get(Math.floor(i / PAGE))?.[i % PAGE];
}

function paint(): void {
  if (!viewport || !spacer || !overview) return;
  spacer.style.height = `${total * ROW}px`;
  const first = Math.floor(viewport.scrollTop / ROW);
  const count = Math.ceil(viewport.clientHeight / ROW) + 2;
  const last = Math.min(total - 1, first + count);
  for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last) / PAGE); p++) requestPage(p);
  // Only the visible rows exist in the DOM.
  spacer.replaceChildren();
  for (let i = first; i <= last; i++) {
    const r = rowAt(i);
    const row = el('div', { class: 'trow', role: 'row', tabindex: '-1', 'data-index': String(i), 'aria-rowindex': String(i + 1) });
    row.style.top = `${i * ROW}px`;
    if (r) {
      const cap = overview.capabilities[r.capability];
      const cells = [String(r.line), cap?.id ?? '?', r.style, r.stage ?? '—', r.influence.toFixed(4), r.selfInfluence.toPrecision(4), r.loss.toFixed(3), `${r.id} — ${r.preview}`];
      for (const c of cells) row.append(el('span', { role: 'gridcell' }, c));
      if (cap) (row.children[1] as HTMLElement).style.color = cap.color;
      row.addEventListener('click', () => vscode.postMessage({ type: 'reveal', line: r.line }));
    } else row.append(el('span', {}, '…'));
    spacer.append(row);
  }
  const countEl = document.getElementById('count');
  if (countEl) countEl.textContent = `${total.toLocaleString()} sample${total === 1 ? '' : 's'}`;
}

function onKey(e: KeyboardEvent): void {
  if (!viewport) return;
  const focused = document.activeElement as HTMLElement | null;
  const idx = focused?.dataset.index ? Number(focused.dataset.index) : Math.floor(viewport.scrollTop / ROW);
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const next = Math.max(0, Math.min(total - 1, idx + (e.key === 'ArrowDown' ? 1 : -1)));
    if (next * ROW < viewport.scrollTop || (next + 1) * ROW > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = next * ROW - viewport.clientHeight / 2;
    paint();
    (spacer?.querySelector(`[data-index="${next}"]`) as HTMLElement | null)?.focus();
  } else if (e.key === 'Enter') {
    const r = rowAt(idx);
    if (r) vscode.postMessage({ type: 'reveal', line: r.line });
  }
}

window.addEventListener('message', (event: MessageEvent<HostToMap>) => {
  const m = event.data;
  switch (m.type) {
    case 'overview':
      // A new selection makes an earlier quality report of the selection stale.
      if (overview && (overview.budget.selected !== m.data.budget.selected || overview.dataset.sha256 !== m.data.dataset.sha256 || overview.budget.requested !== m.data.budget.requested)) quality = undefined;
      overview = m.data;
      render(m.data);
      break;
    case 'strategies':
      strategies = m.items;
      renderAnalysis();
      break;
    case 'quality':
      quality = m.report;
      renderAnalysis();
      break;
    case 'comparison':
      comparison = m.data;
      renderAnalysis();
      break;
    case 'job':
      running[m.job] = m.running;
      jobMessage[m.job] = m.message;
      renderAnalysis();
      break;
    case 'samples': {
      if (m.requestId % 1000 !== generation % 1000) return; // a reply to an older filter
      const p = Math.floor(m.page.offset / PAGE);
      pending.delete(p);
      pages.set(p, m.page.rows);
      total = m.page.total;
      paint();
      break;
    }
    case 'busy':
      if (m.busy && !overview) app.replaceChildren(el('p', { class: 'empty' }, m.message ?? 'Working…'));
      break;
    case 'error':
      app.append(el('p', { class: 'error', role: 'alert' }, m.message));
      break;
  }
});

vscode.postMessage({ type: 'ready' });
