// The Capability Map's sample table: filters, sortable columns, and a virtualised body (only the
// visible rows exist in the DOM) whose pages the host reads from the run's attribution table.
import { STYLES } from '../../src/core/features/types';
import type { MapOverview, MapSamplePage } from '../../src/protocol/capabilityMap';
import { el } from './dom';
import { imageElement, imageOf } from './images';
import type { Host, MapState, ViewState } from './state';

const ROW = 24;
const PAGE = 100;

function requestPage(s: MapState, host: Host, p: number): void {
  const t = s.table;
  if (t.pages.has(p) || t.pending.has(p)) return;
  t.pending.add(p);
  host.post({
    type: 'getSamples',
    requestId: ++t.requestId * 1000 + t.generation,
    offset: p * PAGE,
    limit: PAGE,
    filter: s.view.filter,
    sort: s.view.sort,
  });
}

function filters(s: MapState, host: Host, o: MapOverview): HTMLElement {
  const box = el('div', { class: 'filters' });
  const capSel = el('select', { 'aria-label': 'Filter by capability' });
  capSel.append(el('option', { value: '' }, 'all capabilities'));
  o.capabilities.forEach((c, k) => capSel.append(el('option', { value: String(k) }, `${c.id} ${c.name}`)));
  capSel.value = s.view.filter.capability === undefined ? '' : String(s.view.filter.capability);
  const styleSel = el('select', { 'aria-label': 'Filter by style' });
  styleSel.append(el('option', { value: '' }, 'all styles'));
  for (const st of STYLES) styleSel.append(el('option', { value: st }, st));
  styleSel.value = s.view.filter.style ?? '';
  const selSel = el('select', { 'aria-label': 'Filter by selection' });
  for (const [v, t] of [
    ['', 'selected or not'],
    ['1', 'selected'],
    ['0', 'not selected'],
  ])
    selSel.append(el('option', { value: v }, t));
  selSel.value = s.view.filter.selected === undefined ? '' : s.view.filter.selected ? '1' : '0';
  const search = el('input', {
    type: 'search',
    placeholder: 'search ids',
    'aria-label': 'Search sample ids',
    value: s.view.filter.search ?? '',
  });
  const onChange = () => {
    s.view.filter = {
      ...(capSel.value !== '' ? { capability: Number(capSel.value) } : {}),
      ...(styleSel.value ? { style: styleSel.value } : {}),
      ...(selSel.value !== '' ? { selected: selSel.value === '1' } : {}),
      ...(search.value.trim() ? { search: search.value.trim() } : {}),
    };
    resetTable(s, host);
  };
  for (const sel of [capSel, styleSel, selSel]) sel.addEventListener('change', onChange);
  let t: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = window.setTimeout(onChange, 250);
  });
  box.append(capSel, styleSel, selSel, search, el('span', { class: 'meta', id: 'count' }));
  return box;
}

/**
 * The columns, each with a class the stylesheet uses to drop it at narrow widths (container queries:
 * style, stage and self-influence go first, then loss and influence); the instruction always stays.
 */
const COLUMNS: [string, ViewState['sort']['key'] | null, string][] = [
  ['line', 'line', 'c-line'],
  ['cap', null, 'c-cap'],
  ['style', null, 'c-style'],
  ['stage', null, 'c-stage'],
  ['influence', 'influence', 'c-infl'],
  ['self-infl.', 'selfInfluence', 'c-self'],
  ['loss', 'loss', 'c-loss'],
  ['instruction · id', null, 'c-text'],
];

/** The column headers; a sortable one re-sorts (desc first) and asks the page to re-render. */
function header(s: MapState, host: Host, rerender: () => void): HTMLElement {
  const head = el('div', { class: 'thead', role: 'row' });
  for (const [label, key, cls] of COLUMNS) {
    if (!key) {
      head.append(el('span', { role: 'columnheader', class: cls }, label));
      continue;
    }
    const sort = s.view.sort;
    const b = el(
      'button',
      { role: 'columnheader', class: cls, 'aria-sort': sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
      `${label}${sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}`,
    );
    b.addEventListener('click', () => {
      s.view.sort = { key, dir: s.view.sort.key === key && s.view.sort.dir === 'desc' ? 'asc' : 'desc' };
      rerender();
      resetTable(s, host);
    });
    head.append(b);
  }
  return head;
}

export function renderTable(s: MapState, host: Host, o: MapOverview, rerender: () => void): HTMLElement {
  const wrap = el('section', { 'aria-label': 'Samples table' });
  wrap.append(filters(s, host, o));
  const table = el('div', { class: 'table', role: 'grid', 'aria-rowcount': '0' });
  const viewport = (s.table.viewport = el('div', { class: 'viewport', tabindex: '0' }));
  s.table.spacer = el('div', { class: 'spacer' });
  viewport.append(s.table.spacer);
  viewport.addEventListener('scroll', () => {
    s.view.scrollTop = viewport.scrollTop;
    host.save(s.view);
    paint(s, host);
  });
  viewport.addEventListener('keydown', (e) => onKey(s, host, e));
  const tip = (s.table.tip = el('div', { class: 'tooltip rowtip', role: 'tooltip' }));
  viewport.addEventListener('mouseleave', () => hideImage(s));
  table.append(header(s, host, rerender), viewport, tip);
  wrap.append(table);
  queueMicrotask(() => resetTable(s, host, false));
  return wrap;
}

/** A new query: every page is dropped and the visible one asked for again. */
export function resetTable(s: MapState, host: Host, clearScroll = true): void {
  const t = s.table;
  t.generation++;
  t.pages.clear();
  t.pending.clear();
  t.total = 0;
  if (clearScroll) s.view.scrollTop = 0;
  host.save(s.view);
  if (t.viewport) t.viewport.scrollTop = s.view.scrollTop;
  requestPage(s, host, Math.floor(s.view.scrollTop / ROW / PAGE));
}

/** A page from the host; a reply to an older query is dropped. */
export function receivePage(s: MapState, host: Host, requestId: number, page: MapSamplePage): void {
  const t = s.table;
  if (requestId % 1000 !== t.generation % 1000) return;
  const p = Math.floor(page.offset / PAGE);
  t.pending.delete(p);
  t.pages.set(p, page.rows);
  t.total = page.total;
  paint(s, host);
}

function rowAt(s: MapState, i: number): MapSamplePage['rows'][number] | undefined {
  return s.table.pages.get(Math.floor(i / PAGE))?.[i % PAGE];
}

function paint(s: MapState, host: Host): void {
  const { viewport, spacer, total } = s.table;
  const overview = s.overview;
  if (!viewport || !spacer || !overview) return;
  spacer.style.height = `${total * ROW}px`;
  const first = Math.floor(viewport.scrollTop / ROW);
  const count = Math.ceil(viewport.clientHeight / ROW) + 2;
  const last = Math.min(total - 1, first + count);
  for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last) / PAGE); p++) requestPage(s, host, p);
  // Only the visible rows exist in the DOM.
  spacer.replaceChildren();
  for (let i = first; i <= last; i++) {
    const r = rowAt(s, i);
    const row = el('div', { class: 'trow', role: 'row', tabindex: '-1', 'data-index': String(i), 'aria-rowindex': String(i + 1) });
    row.style.top = `${i * ROW}px`;
    if (r) {
      const cap = overview.capabilities[r.capability];
      const sub = r.sub !== undefined ? cap?.children?.[r.sub] : undefined;
      const cells = [
        String(r.line),
        sub?.id ?? cap?.id ?? '?',
        r.style,
        r.stage ?? '—',
        r.influence.toFixed(4),
        r.selfInfluence.toPrecision(4),
        r.loss.toFixed(3),
      ];
      cells.forEach((c, j) => row.append(el('span', { role: 'gridcell', class: COLUMNS[j][2] }, c)));
      // The instruction first (it is what a curator reads), the id after it, muted.
      const text = el('span', { role: 'gridcell', class: 'c-text', title: `${r.id}\n${r.preview}` });
      text.append(el('span', { class: 'preview' }, r.preview || r.id), el('span', { class: 'rid' }, r.preview ? ` · ${r.id}` : ''));
      row.append(text);
      if (cap) {
        (row.children[1] as HTMLElement).style.color = cap.color;
        (row.children[1] as HTMLElement).title = `${cap.id} ${cap.name}${sub ? ` › ${sub.name}` : ''}`;
      }
      row.addEventListener('click', () => host.post({ type: 'reveal', line: r.line }));
      row.addEventListener('mouseenter', () => showImage(s, host, r.line, i));
      row.addEventListener('focus', () => showImage(s, host, r.line, i));
    } else row.append(el('span', {}, '…'));
    spacer.append(row);
  }
  const countEl = document.getElementById('count');
  if (countEl) countEl.textContent = `${total.toLocaleString()} sample${total === 1 ? '' : 's'}`;
}

/** The hovered (or focused) row's image beside it, when the sample has one. */
function showImage(s: MapState, host: Host, line: number, index: number): void {
  const { tip, viewport } = s.table;
  if (!tip || !viewport) return;
  tip.dataset.line = String(line);
  imageOf(
    line,
    (l) => host.post({ type: 'getImage', line: l }),
    (img) => {
      if (tip.dataset.line !== String(line)) return;
      const e = imageElement(img);
      if (!e) return hideImage(s);
      tip.replaceChildren(e, el('div', { class: 'meta' }, `line ${line}`));
      tip.style.top = `${26 + Math.max(0, index * ROW - viewport.scrollTop)}px`;
      tip.classList.add('on');
    },
  );
}

function hideImage(s: MapState): void {
  s.table.tip?.classList.remove('on');
  if (s.table.tip) delete s.table.tip.dataset.line;
}

function onKey(s: MapState, host: Host, e: KeyboardEvent): void {
  const { viewport, spacer, total } = s.table;
  if (!viewport) return;
  const focused = document.activeElement as HTMLElement | null;
  const idx = focused?.dataset.index ? Number(focused.dataset.index) : Math.floor(viewport.scrollTop / ROW);
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const next = Math.max(0, Math.min(total - 1, idx + (e.key === 'ArrowDown' ? 1 : -1)));
    if (next * ROW < viewport.scrollTop || (next + 1) * ROW > viewport.scrollTop + viewport.clientHeight)
      viewport.scrollTop = next * ROW - viewport.clientHeight / 2;
    paint(s, host);
    (spacer?.querySelector(`[data-index="${next}"]`) as HTMLElement | null)?.focus();
  } else if (e.key === 'Enter') {
    const r = rowAt(s, idx);
    if (r) host.post({ type: 'reveal', line: r.line });
  }
}
