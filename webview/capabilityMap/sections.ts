// The Capability Map's overview sections, one renderer each: the header (budget box, notes), the
// capability cards (rename in place), the learning curves (uPlot), the map of every sample (canvas)
// and the curriculum stages. Dataset-derived text is set as text only (el()).
import uPlot from 'uplot';
import type { MapOverview, MapToHost } from '../../src/protocol/capabilityMap';
import { el } from './dom';

type Post = (m: MapToHost) => void;

export function renderHeader(o: MapOverview, post: Post): HTMLElement {
  const header = el('header');
  header.append(el('h1', {}, 'Capability Map'));
  header.append(
    el(
      'div',
      { class: 'meta' },
      `${o.dataset.name} · ${o.dataset.samples.toLocaleString()} samples · ${o.dataset.invalid} invalid lines · strategy ${o.strategy}`,
    ),
  );
  const budget = el('div', { class: 'budget' });
  budget.append(el('label', { for: 'budget' }, 'Budget'));
  const input = el('input', { id: 'budget', value: o.budget.text, 'aria-label': 'Budget (percentage or count)' });
  // A @vscode-elements button: themed like the workbench's own.
  const apply = document.createElement('vscode-button');
  apply.id = 'apply';
  apply.textContent = 'Re-select';
  apply.addEventListener('click', () => {
    const t = input.value.trim();
    if (t) post({ type: 'reselect', budget: t });
  });
  budget.append(
    input,
    apply,
    el(
      'span',
      { class: 'meta' },
      `${o.budget.selected.toLocaleString()} selected of ${o.budget.requestedCount.toLocaleString()} requested`,
    ),
  );
  header.append(budget);
  if (o.notes.length) {
    const notes = el('ul', { class: 'notes', 'aria-label': 'Notes on this selection' });
    for (const n of o.notes) notes.append(el('li', {}, n));
    header.append(notes);
  }
  return header;
}

/** A card's name: click (or Enter) turns it into an input; Enter or blur renames, Escape cancels. */
function capabilityName(c: MapOverview['capabilities'][number], post: Post): HTMLElement {
  const name = el(
    'div',
    { class: 'name', title: 'Click to rename', tabindex: '0', role: 'button', 'aria-label': `Rename ${c.id}` },
    `${c.id} · ${c.name}`,
  );
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
      if (save && v && v !== c.name) post({ type: 'rename', capability: c.id, name: v });
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
  return name;
}

export function renderCards(o: MapOverview, post: Post): HTMLElement[] {
  const cards = el('section', { class: 'cards', 'aria-label': 'Capabilities' });
  const chips = (label: string, items: string[]) => {
    const d = el('div', { class: 'chips' });
    d.append(el('span', { class: 'label' }, label));
    for (const it of items) d.append(el('span', {}, it));
    return d;
  };
  for (const c of o.capabilities) {
    const card = el('article', { class: 'card', tabindex: '0' });
    card.style.setProperty('--cap-color', c.color);
    card.append(capabilityName(c, post));
    card.append(el('div', { class: 'nums' }, `${c.size.toLocaleString()} samples · ${c.selected.toLocaleString()} selected`));
    card.append(chips('terms', c.terms.slice(0, 6)));
    card.append(
      chips(
        'labels',
        c.labels
          .filter((l) => l.share >= 0.01)
          .slice(0, 4)
          .map((l) => `${l.value} ${Math.round(l.share * 100)}%`),
      ),
    );
    card.append(
      chips(
        'styles',
        c.styles.slice(0, 3).map((s) => `${s.style} ${Math.round(s.share * 100)}%`),
      ),
    );
    cards.append(card);
  }
  return [el('h2', {}, `Capabilities (${o.capabilities.length})`), cards];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** The learning curves; uPlot measures its target, so the charts are drawn once the section is in the page. */
export function renderCurves(o: MapOverview): { elements: HTMLElement[]; draw(): void } {
  const charts = el('section', { class: 'row2' });
  const c1 = el('div', { class: 'chart', id: 'curve-self' });
  const c2 = el('div', { class: 'chart', id: 'curve-loss' });
  charts.append(c1, c2);
  const draw = () => {
    const xs = o.checkpoints.map((c) => c.t);
    const axis = { stroke: cssVar('--vscode-foreground', '#ccc'), grid: { stroke: cssVar('--vscode-panel-border', '#444') } };
    for (const [target, key, title] of [
      [c1, 'selfInfluence', 'mean self-influence'],
      [c2, 'loss', 'mean loss'],
    ] as const) {
      const series = o.capabilities.map((c) => ({ label: c.id, stroke: c.color, width: 2 }));
      new uPlot(
        {
          title,
          width: Math.max(280, target.clientWidth || 380),
          height: 200,
          scales: { x: { time: false } },
          axes: [{ ...axis, label: 'checkpoint' }, axis],
          series: [{ label: 't' }, ...series],
        },
        [xs, ...o.capabilities.map((c) => c.curve[key])],
        target,
      );
    }
  };
  return { elements: [el('h2', {}, 'Learning curves along the checkpoints'), charts], draw };
}

/** The map of every sample; like the curves, drawn once the canvas is in the page (it reads its size). */
export function renderScatter(o: MapOverview): { elements: HTMLElement[]; draw(): void } {
  const legend = el('div', { class: 'legend' });
  for (const c of o.capabilities) {
    const s = el('span');
    const sw = el('i');
    sw.style.background = c.color;
    s.append(sw, document.createTextNode(`${c.id} ${c.name}`));
    legend.append(s);
  }
  const canvas = el('canvas', {
    id: 'scatter',
    role: 'img',
    'aria-label': `Scatter of ${o.points.capability.length} samples coloured by capability; selected samples are larger`,
  });
  return { elements: [el('h2', {}, 'All samples (PCA of the influence vectors)'), legend, canvas], draw: () => drawScatter(canvas, o) };
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
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, xy[2 * i]);
    maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]);
    maxY = Math.max(maxY, xy[2 * i + 1]);
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

export function renderStages(o: MapOverview): HTMLElement[] {
  const ol = el('ol', { class: 'stages' });
  for (const s of o.stages) {
    if (s.kind === 'alignment') {
      const a = s.alignment;
      const from = a
        ? a.predicate === 'label'
          ? `${a.field} ∈ {${(a.values ?? []).join(', ')}}`
          : `free-form answers ≥ ${a.minAnswerChars} characters`
        : '';
      const li = el(
        'li',
        { class: 'alignment' },
        `${s.id} · alignment · ${s.size.toLocaleString()} samples${a ? ` · ${from} · ${s.size.toLocaleString()} of ${a.matched.toLocaleString()} matching` : ''}`,
      );
      li.title = 'Vision-Flan’s format-alignment stage: a small set trained last, taken out of the budget.';
      ol.append(li);
    } else ol.append(el('li', {}, `${s.id} · ${s.name} · ${s.size.toLocaleString()} samples (${s.capabilities.join(', ')})`));
  }
  return [el('h2', {}, 'Curriculum stages'), ol];
}
