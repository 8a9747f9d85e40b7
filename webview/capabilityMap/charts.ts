// The Capability Map's charts: the learning curves (uPlot, with a legend that shows each
// capability's value at the cursor, or at the last checkpoint) and the sample map (a canvas with
// axes, points coloured by capability, selected samples outlined, a hover tooltip and click to
// reveal the line). Both follow the width of the panel. Dataset text reaches the page as text only.
import uPlot from 'uplot';
import type { MapLayout, MapOverview, MapToHost } from '../../src/protocol/capabilityMap';
import { el } from './dom';
import { imageElement, imageOf } from './images';

type Post = (m: MapToHost) => void;

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Calls `draw` with the element's width now and whenever it changes (debounced to a frame). */
function onWidth(target: HTMLElement, draw: (width: number) => void): void {
  let last = -1;
  let frame = 0;
  const run = () => {
    frame = 0;
    const w = Math.floor(target.clientWidth);
    if (w > 0 && w !== last) {
      last = w;
      draw(w);
    }
  };
  run();
  new ResizeObserver(() => {
    if (!frame) frame = requestAnimationFrame(run);
  }).observe(target);
}

const fmtValue = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 1
        ? v.toFixed(2)
        : v.toPrecision(3);

/** The learning curves; uPlot measures its target, so the charts are drawn once the section is in the page. */
export function renderCurves(o: MapOverview): { elements: HTMLElement[]; draw(): void } {
  const charts = el('section', { class: 'curves' });
  const parts = [
    ['selfInfluence', 'mean self-influence', 'curve-self'],
    ['loss', 'mean loss', 'curve-loss'],
  ] as const;
  const boxes = parts.map(([key, title, id]) => {
    const box = el('figure', { class: 'curve' });
    const target = el('div', { class: 'chart', id });
    const legend = el('ul', { class: 'curve-legend', 'aria-label': `${title}: value per capability` });
    box.append(el('figcaption', {}, title), target, legend);
    charts.append(box);
    return { key, title, target, legend };
  });
  const draw = () => {
    const xs = o.checkpoints.map((c) => c.t);
    const axis = {
      stroke: cssVar('--vscode-foreground', '#ccc'),
      grid: { stroke: cssVar('--vscode-panel-border', '#444') },
      ticks: { stroke: cssVar('--vscode-panel-border', '#444') },
    };
    for (const { key, target, legend } of boxes) {
      // The legend: each capability's value at the cursor's checkpoint, else at the last one.
      const at = el('li', { class: 'at meta' });
      const values = o.capabilities.map((c) => {
        const li = el('li', { title: `${c.id} ${c.name}` });
        const sw = el('i');
        sw.style.background = c.color;
        const v = el('b', {});
        li.append(sw, el('span', { class: 'who' }, `${c.id} ${c.name}`), v);
        legend.append(li);
        return v;
      });
      legend.prepend(at);
      const show = (idx: number | null | undefined) => {
        const i = idx === null || idx === undefined ? xs.length - 1 : idx;
        at.textContent = i >= 0 ? `${idx === null || idx === undefined ? 'last checkpoint' : 'checkpoint'} t = ${xs[i]}` : '';
        o.capabilities.forEach((c, k) => (values[k].textContent = fmtValue(c.curve[key][i])));
      };
      show(null);
      let plot: uPlot | undefined;
      onWidth(target, (width) => {
        plot?.destroy();
        plot = new uPlot(
          {
            width: Math.max(200, width),
            height: 180,
            legend: { show: false },
            scales: { x: { time: false } },
            axes: [
              // Checkpoints are whole numbers: ticks step by 1, 2, 5, … (never 1.5).
              { ...axis, label: 'checkpoint', size: 40, incrs: [1, 2, 5, 10, 20, 50, 100] },
              { ...axis, size: 50 },
            ],
            series: [{ label: 't' }, ...o.capabilities.map((c) => ({ label: c.id, stroke: c.color, width: 2 }))],
            hooks: { setCursor: [(u: uPlot) => show(u.cursor.idx)] },
          },
          [xs, ...o.capabilities.map((c) => c.curve[key])],
          target,
        );
      });
    }
  };
  return { elements: [el('h2', {}, 'Learning curves along the checkpoints'), charts], draw };
}

/** The sample map's section: heading, legend, a progress line until the layout arrives, the canvas. */
export interface SampleMap {
  elements: HTMLElement[];
  /** Shows the layout (or redraws it); called once the section is in the page. */
  show(layout: MapLayout | undefined): void;
  progress(fraction: number, message: string): void;
}

export function renderSampleMap(o: MapOverview, post: Post): SampleMap {
  const caption = el('p', { class: 'meta', id: 'map-caption' }, 'Laying out the samples…');
  const status = el('div', { class: 'job', role: 'status', id: 'map-progress' });
  const bar = el('progress', { max: '1', value: '0' });
  const statusText = el('span', {}, 'Waiting for the layout…');
  status.append(bar, statusText);
  const legend = el('div', { class: 'legend', id: 'map-legend' });
  const counts = o.capabilities.map(() => el('span', { class: 'meta' }));
  o.capabilities.forEach((c, k) => {
    const s = el('span', { title: `${c.id} ${c.name}` });
    const sw = el('i');
    sw.style.background = c.color;
    s.append(sw, document.createTextNode(`${c.id} ${c.name} `), counts[k]);
    legend.append(s);
  });
  const outlined = el('span', { class: 'selected-key' });
  outlined.append(el('i', { class: 'ring' }), document.createTextNode('selected'));
  legend.append(outlined);
  const wrap = el('div', { class: 'mapwrap' });
  const canvas = el('canvas', { id: 'scatter', role: 'img', tabindex: '0', 'aria-label': 'Sample map' });
  const tip = el('div', { class: 'tooltip', id: 'map-tooltip', role: 'tooltip' });
  wrap.append(canvas, tip);
  let layout: MapLayout | undefined;
  let hit: ((x: number, y: number) => number) | undefined;

  const redraw = () => {
    if (!layout) return;
    hit = drawMap(canvas, o, layout);
  };
  const pointer = (e: MouseEvent) => {
    if (!layout || !hit) return -1;
    const r = canvas.getBoundingClientRect();
    return hit(e.clientX - r.left, e.clientY - r.top);
  };
  canvas.addEventListener('mousemove', (e) => {
    const i = pointer(e);
    if (i < 0 || !layout) {
      tip.classList.remove('on');
      canvas.style.cursor = 'default';
      return;
    }
    const c = o.capabilities[layout.capability[i]];
    const line = layout.line[i];
    if (tip.dataset.line !== String(line)) {
      tip.dataset.line = String(line);
      tip.replaceChildren(
        el('div', { class: 'tiphead' }, `${c ? `${c.id} · ${c.name}` : '?'}`),
        el('div', { class: 'meta' }, `line ${line}${layout.selected[i] ? ' · selected' : ''}`),
        el('div', { class: 'tiptext' }, layout.preview[i] || '(no preview)'),
      );
      // The sample's image, once the host has it (the tooltip may have moved on by then).
      imageOf(
        line,
        (l) => post({ type: 'getImage', line: l }),
        (img) => {
          const e = tip.dataset.line === String(line) ? imageElement(img) : undefined;
          if (e) tip.prepend(e);
        },
      );
    }
    if (c) tip.style.setProperty('--cap-color', c.color);
    tip.classList.add('on');
    // Inside the map's box, on the side away from the pointer.
    const r = wrap.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const w = tip.offsetWidth;
    tip.style.left = `${Math.max(0, Math.min(r.width - w, x + 12 + w > r.width ? x - w - 12 : x + 12))}px`;
    tip.style.top = `${Math.max(0, y + 14)}px`;
    canvas.style.cursor = 'pointer';
  });
  canvas.addEventListener('mouseleave', () => {
    tip.classList.remove('on');
    delete tip.dataset.line;
  });
  canvas.addEventListener('click', (e) => {
    const i = pointer(e);
    if (i >= 0 && layout) post({ type: 'reveal', line: layout.line[i] });
  });
  let observed = false;
  return {
    elements: [el('h2', { id: 'map-heading' }, 'Sample map'), caption, status, legend, wrap],
    show(l) {
      layout = l;
      if (!l) return;
      status.hidden = true;
      const method =
        l.method === 'umap'
          ? `UMAP of the learning trajectories (${l.dims.toLocaleString()} dimensions per sample${l.projectedTo ? `, laid out from a ${l.projectedTo.toLocaleString()}-number random projection` : ''}${o.gradients?.kind === 'gradients' ? `, gradients of ${o.gradients.model ?? 'your model'}` : ''})`
          : 'PCA of the influence vectors';
      caption.textContent = `${method}: ${l.line.length.toLocaleString()} of ${l.total.toLocaleString()} samples${l.line.length < l.total ? ' (a seeded sample, stratified by capability, every selected sample up to a cap)' : ''}; hover a point for its instruction, click to open its line.${l.note ? ` Note: ${l.note}.` : ''}`;
      const per = o.capabilities.map(() => 0);
      for (const k of l.capability) per[k] = (per[k] ?? 0) + 1;
      counts.forEach((c, k) => (c.textContent = `(${per[k].toLocaleString()})`));
      canvas.setAttribute(
        'aria-label',
        `Sample map: ${l.line.length} samples laid out by ${l.method.toUpperCase()}, coloured by capability; selected samples outlined`,
      );
      if (!observed) {
        observed = true;
        onWidth(wrap, redraw);
      } else redraw();
    },
    progress(fraction, message) {
      if (layout) return;
      status.hidden = false;
      bar.value = fraction;
      statusText.textContent = message;
    },
  };
}

/** Draws the map; returns the hit test (CSS pixel position → point index, or −1). */
function drawMap(canvas: HTMLCanvasElement, o: MapOverview, l: MapLayout): (x: number, y: number) => number {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600;
  const h = canvas.clientHeight || 360;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const n = l.line.length;
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, l.xy[2 * i]);
    maxX = Math.max(maxX, l.xy[2 * i]);
    minY = Math.min(minY, l.xy[2 * i + 1]);
    maxY = Math.max(maxY, l.xy[2 * i + 1]);
  }
  if (!n) minX = maxX = minY = maxY = 0;
  const m = { left: 46, right: 10, top: 10, bottom: 38 };
  const pw = Math.max(10, w - m.left - m.right);
  const ph = Math.max(10, h - m.top - m.bottom);
  const sx = (v: number) => m.left + ((v - minX) / (maxX - minX || 1)) * pw;
  const sy = (v: number) => m.top + ph - ((v - minY) / (maxY - minY || 1)) * ph;
  const fg = cssVar('--vscode-foreground', '#ccc');
  const grid = cssVar('--vscode-panel-border', '#444');
  const font = cssVar('--vscode-font-family', 'sans-serif');
  // Axes: a frame, five ticks per axis with their values, the axis names.
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(m.left + 0.5, m.top + 0.5, pw, ph);
  ctx.fillStyle = fg;
  ctx.font = `11px ${font}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let t = 0; t <= 4; t++) {
    const vx = minX + ((maxX - minX) * t) / 4;
    const x = sx(vx);
    ctx.beginPath();
    ctx.moveTo(x + 0.5, m.top + ph);
    ctx.lineTo(x + 0.5, m.top + ph + 4);
    ctx.stroke();
    ctx.fillText(vx.toFixed(1), x, m.top + ph + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let t = 0; t <= 4; t++) {
    const vy = minY + ((maxY - minY) * t) / 4;
    const y = sy(vy);
    ctx.beginPath();
    ctx.moveTo(m.left - 4, y + 0.5);
    ctx.lineTo(m.left, y + 0.5);
    ctx.stroke();
    ctx.fillText(vy.toFixed(1), m.left - 6, y);
  }
  const axisName = l.method === 'umap' ? 'UMAP' : 'PC';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`${axisName} 1`, m.left + pw / 2, h - 1);
  ctx.save();
  ctx.translate(11, m.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(`${axisName} 2`, 0, 0);
  ctx.restore();
  // Points: unselected first (translucent), then the selected ones, outlined; one fillStyle per capability.
  const r = n > 3000 ? 2 : n > 1000 ? 2.5 : 3;
  const px = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    px[2 * i] = sx(l.xy[2 * i]);
    px[2 * i + 1] = sy(l.xy[2 * i + 1]);
  }
  o.capabilities.forEach((c, k) => {
    ctx.fillStyle = c.color;
    ctx.globalAlpha = 0.55;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (l.capability[i] !== k || l.selected[i]) continue;
      ctx.moveTo(px[2 * i] + r, px[2 * i + 1]);
      ctx.arc(px[2 * i], px[2 * i + 1], r, 0, 2 * Math.PI);
    }
    ctx.fill();
  });
  // Selected samples: a ring in the foreground colour under a fill of their capability's colour, so
  // a dense cluster of selected samples keeps its colour with one outline around it.
  ctx.globalAlpha = 1;
  ctx.fillStyle = fg;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    if (!l.selected[i]) continue;
    ctx.moveTo(px[2 * i] + r + 1.6, px[2 * i + 1]);
    ctx.arc(px[2 * i], px[2 * i + 1], r + 1.6, 0, 2 * Math.PI);
  }
  ctx.fill();
  o.capabilities.forEach((c, k) => {
    ctx.fillStyle = c.color;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (l.capability[i] !== k || !l.selected[i]) continue;
      ctx.moveTo(px[2 * i] + r + 0.4, px[2 * i + 1]);
      ctx.arc(px[2 * i], px[2 * i + 1], r + 0.4, 0, 2 * Math.PI);
    }
    ctx.fill();
  });
  // Hit test: a grid of 12-px cells over the points; the nearest within 8 px wins.
  const cell = 12;
  const cols = Math.ceil(w / cell) + 1;
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = Math.floor(px[2 * i + 1] / cell) * cols + Math.floor(px[2 * i] / cell);
    const b = buckets.get(key);
    if (b) b.push(i);
    else buckets.set(key, [i]);
  }
  return (x, y) => {
    let best = -1;
    let bestD = 64;
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++)
        for (const i of buckets.get((cy + dy) * cols + cx + dx) ?? []) {
          const d = (px[2 * i] - x) ** 2 + (px[2 * i + 1] - y) ** 2;
          if (d < bestD || (d === bestD && l.selected[i] && best >= 0 && !l.selected[best])) {
            bestD = d;
            best = i;
          }
        }
    return best;
  };
}
