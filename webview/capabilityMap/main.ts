// Capability Map webview: capability cards, learning curves (uPlot), the sample map (canvas),
// curriculum stages, a virtualised sample table, and the Quality and Compare views.
// State lives in one object (state.ts); each section has its renderer (sections.ts, charts.ts,
// table.ts, analysis.ts). All dataset text is untrusted and is only ever set through textContent.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { HostToMap, MapOverview, MapToHost } from '../../src/protocol/capabilityMap';
import { renderCompare, renderQuality } from './analysis';
import { renderCurves, renderSampleMap } from './charts';
import type { SampleMap } from './charts';
import { el } from './dom';
import { receiveImage } from './images';
import { fillExamples, renderCards, renderHeader, renderStages } from './sections';
import { createState } from './state';
import type { Host, ViewState } from './state';
import { receivePage, renderTable } from './table';

interface VsCodeApi {
  postMessage(m: MapToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const host: Host = { post: (m) => vscode.postMessage(m), save: (view) => vscode.setState(view) };
const state = createState(vscode.getState() as ViewState | undefined);
const app = document.getElementById('app')!;
let sampleMap: SampleMap | undefined;

/** Request ids of the cards' example queries: far above the table's, one per capability. */
const EXAMPLES_BASE = 2 ** 52;

/** Re-draws the Quality and Compare views in place (the rest of the page keeps its state). */
function renderAnalysis(): void {
  const o = state.overview;
  if (!o) return;
  const q = renderQuality(state.quality, state.running, state.jobMessage.quality, host.post);
  const c = renderCompare(state.comparison, o, state.strategies, state.chosen, state.running, state.jobMessage.compare, host.post);
  const oldQ = document.getElementById('quality');
  const oldC = document.getElementById('compare');
  if (oldQ) oldQ.replaceWith(q);
  else app.insertBefore(q, document.getElementById('samples-heading'));
  if (oldC) oldC.replaceWith(c);
  else q.after(c);
}

/** Scrolls to a section and highlights it for a moment. */
function reveal(section: 'quality' | 'compare'): void {
  const target = document.getElementById(section);
  if (!target) {
    state.pendingReveal = section;
    return;
  }
  state.pendingReveal = undefined;
  target.scrollIntoView({ block: 'start' });
  target.classList.remove('flash');
  void target.offsetWidth; // restart the animation
  target.classList.add('flash');
  target.querySelector<HTMLElement>('button')?.focus({ preventScroll: true });
}

/** Cards without examples in the manifest show their capability's top-influence samples from the table. */
function requestExamples(o: MapOverview): void {
  o.capabilities.forEach((c, k) => {
    if (c.examples?.length) return;
    const known = state.examples.get(k);
    if (known) return fillCard(k);
    host.post({
      type: 'getSamples',
      requestId: EXAMPLES_BASE + k,
      offset: 0,
      limit: 3,
      filter: { capability: k },
      sort: { key: 'influence', dir: 'desc' },
    });
  });
}

function fillCard(k: number): void {
  const c = state.overview?.capabilities[k];
  const list = c && document.getElementById(`examples-${c.id}`);
  if (list) fillExamples(list, state.examples.get(k) ?? [], host.post);
}

/** The whole page for an overview, section by section; charts are drawn once they are in the page. */
function render(o: MapOverview): void {
  app.replaceChildren(renderHeader(o, host.post), ...renderCards(o, host.post));
  requestExamples(o);
  const curves = renderCurves(o);
  app.append(...curves.elements);
  curves.draw();
  sampleMap = renderSampleMap(o, host.post);
  app.append(...sampleMap.elements);
  if (state.layout) sampleMap.show(state.layout);
  else if (state.layoutProgress) sampleMap.progress(state.layoutProgress.fraction, state.layoutProgress.message);
  app.append(...renderStages(o));
  app.append(el('h2', { id: 'samples-heading' }, 'Samples'));
  app.append(renderTable(state, host, o, () => state.overview && render(state.overview)));
  renderAnalysis();
  if (state.pendingReveal) reveal(state.pendingReveal);
}

function onMessage(m: HostToMap): void {
  switch (m.type) {
    case 'overview': {
      const before = state.overview;
      const d = m.data;
      // Another dataset or selection: an earlier quality report of the selection is stale, and the
      // sample map and the cards' examples follow the new run (a rename keeps all three).
      const newSelection =
        !!before &&
        (before.dataset.sha256 !== d.dataset.sha256 ||
          before.budget.selected !== d.budget.selected ||
          before.budget.requested !== d.budget.requested);
      if (newSelection) state.quality = undefined;
      if (newSelection || (before && before.capabilities.length !== d.capabilities.length)) {
        state.layout = undefined;
        state.layoutProgress = undefined;
        state.examples.clear();
      }
      state.overview = m.data;
      render(m.data);
      return;
    }
    case 'layout':
      state.layout = m.data;
      sampleMap?.show(m.data);
      return;
    case 'layoutProgress':
      state.layoutProgress = { fraction: m.fraction, message: m.message };
      sampleMap?.progress(m.fraction, m.message);
      return;
    case 'reveal':
      return reveal(m.section);
    case 'strategies':
      state.strategies = m.items;
      return renderAnalysis();
    case 'quality':
      state.quality = m.report;
      return renderAnalysis();
    case 'comparison':
      state.comparison = m.data;
      return renderAnalysis();
    case 'job':
      state.running[m.job] = m.running;
      state.jobMessage[m.job] = m.message;
      return renderAnalysis();
    case 'samples':
      if (m.requestId >= EXAMPLES_BASE) {
        const k = m.requestId - EXAMPLES_BASE;
        state.examples.set(
          k,
          m.page.rows.map((r) => ({ line: r.line, id: r.id, text: r.preview })),
        );
        return fillCard(k);
      }
      return receivePage(state, host, m.requestId, m.page);
    case 'image':
      return receiveImage(m);
    case 'busy':
      if (m.busy && !state.overview) app.replaceChildren(el('p', { class: 'empty' }, m.message ?? 'Working…'));
      return;
    case 'error':
      app.append(el('p', { class: 'error', role: 'alert' }, m.message));
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<HostToMap>) => onMessage(event.data));
host.post({ type: 'ready' });
