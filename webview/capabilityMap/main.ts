// Capability Map webview: capability cards, learning curves (uPlot), a 2-D map of every sample
// (canvas), curriculum stages, a virtualised sample table, and the Quality and Compare views.
// State lives in one object (state.ts); each section has its renderer (sections.ts, table.ts,
// analysis.ts). All dataset text is untrusted and is only ever set through textContent.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { HostToMap, MapOverview, MapToHost } from '../../src/protocol/capabilityMap';
import { renderCompare, renderQuality } from './analysis';
import { el } from './dom';
import { renderCards, renderCurves, renderHeader, renderScatter, renderStages } from './sections';
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

/** The whole page for an overview, section by section; charts are drawn once they are in the page. */
function render(o: MapOverview): void {
  app.replaceChildren(renderHeader(o, host.post), ...renderCards(o, host.post));
  const curves = renderCurves(o);
  app.append(...curves.elements);
  curves.draw();
  const scatter = renderScatter(o);
  app.append(...scatter.elements);
  scatter.draw();
  app.append(...renderStages(o));
  app.append(el('h2', { id: 'samples-heading' }, 'Samples'));
  app.append(renderTable(state, host, o, () => state.overview && render(state.overview)));
  app.append(el('div', { class: 'tooltip', id: 'tooltip' }));
  renderAnalysis();
}

function onMessage(m: HostToMap): void {
  switch (m.type) {
    case 'overview': {
      const before = state.overview;
      // A new selection makes an earlier quality report of the selection stale.
      if (
        before &&
        (before.budget.selected !== m.data.budget.selected ||
          before.dataset.sha256 !== m.data.dataset.sha256 ||
          before.budget.requested !== m.data.budget.requested)
      )
        state.quality = undefined;
      state.overview = m.data;
      render(m.data);
      return;
    }
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
      return receivePage(state, host, m.requestId, m.page);
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
