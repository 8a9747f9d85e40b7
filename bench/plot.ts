// A small dependency-free SVG plotting module for the benchmark results: line charts (linear or log
// axes, optional shaded bands, clipping with a note for points off the chart), stacked and grouped
// bar charts with optional reference lines, and a grid to put several charts in one file.

export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#7f7f7f',
  '#000000',
  '#9467bd',
  '#8c564b',
  '#bcbd22',
  '#17becf',
];

export interface Chart {
  svg: string;
  width: number;
  height: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number) => (Math.round(x * 10) / 10).toString();
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

/** Human tick label: 1.5K, 2M, 0.001, 120. */
export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}K`;
  if (a >= 1) return `${+v.toPrecision(4)}`;
  return `${+v.toPrecision(2)}`;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
}

function axis(lo: number, hi: number, log: boolean, count = 6, includeZero = false): Axis {
  if (log) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.ceil(Math.log10(hi));
    const ticks: number[] = [];
    const span = b - a;
    for (let e = a; e <= b; e++)
      for (const m of span <= 2 ? [1, 2, 5] : [1]) if (m * 10 ** e >= 10 ** a && m * 10 ** e <= 10 ** b) ticks.push(m * 10 ** e);
    return { min: 10 ** a, max: 10 ** b, log, ticks };
  }
  if (includeZero) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo, count);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step / 1e6; t += step) ticks.push(+t.toPrecision(12));
  return { min, max, log, ticks };
}

function scale(a: Axis, p0: number, p1: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log10(a.min);
    const l1 = Math.log10(a.max);
    return (v) => p0 + ((Math.log10(v) - l0) / (l1 - l0)) * (p1 - p0);
  }
  return (v) => p0 + ((v - a.min) / (a.max - a.min)) * (p1 - p0);
}

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
  /** Shaded band [x, lo, hi] drawn under the line. */
  band?: [number, number, number][];
  /** Label printed next to each point. */
  labels?: boolean;
  /** Error bars [x, lo, hi] drawn as whiskers with caps. */
  errors?: [number, number, number][];
  /** Extra points [x, y] drawn as small hollow circles (e.g. the individual repeats behind a mean). */
  dots?: [number, number][];
  /** Horizontal offset in pixels for points, whiskers and dots (to keep overlapping series apart). */
  dx?: number;
}

export interface LineOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
  /** Fixed y range (points outside are clipped and listed in a note under the chart). */
  yRange?: [number, number];
  /** Tick values to show on x instead of computed ones (e.g. the measured budgets). */
  xTicks?: number[];
  xTickFormat?: (v: number) => string;
  yTickFormat?: (v: number) => string;
  note?: string;
  /** Horizontal reference lines. */
  hlines?: { y: number; label: string; color?: string }[];
  legend?: 'right' | 'bottom';
}

function frame(title: string, w: number, h: number, body: string): Chart {
  return {
    width: w,
    height: h,
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT} font-size="12"><rect width="${w}" height="${h}" fill="#ffffff"/><text x="${w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">${esc(title)}</text>${body}</svg>`,
  };
}

function legendBlock(
  items: { name: string; color: string; dashed?: boolean; kind: 'line' | 'box' | 'band' }[],
  x: number,
  y: number,
  maxWidth: number,
  rowWise: boolean,
): { svg: string; height: number } {
  let out = '';
  let cx = x;
  let cy = y;
  const lineH = 18;
  for (const it of items) {
    const textW = Math.min(maxWidth - 30, it.name.length * 6.8);
    if (rowWise && cx + 30 + textW > x + maxWidth && cx > x) {
      cx = x;
      cy += lineH;
    }
    if (it.kind === 'line')
      out += `<line x1="${f(cx)}" y1="${f(cy)}" x2="${f(cx + 22)}" y2="${f(cy)}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="5,3"' : ''}/>`;
    else
      out += `<rect x="${f(cx)}" y="${f(cy - 6)}" width="22" height="12" fill="${it.color}"${it.kind === 'band' ? ' fill-opacity="0.25"' : ''}/>`;
    out += `<text x="${f(cx + 28)}" y="${f(cy + 4)}" fill="#222">${esc(it.name)}</text>`;
    if (rowWise) cx += 30 + textW + 14;
    else cy += lineH;
  }
  return { svg: out, height: cy - y + lineH };
}

export function lineChart(o: LineOptions): Chart {
  const W = o.width ?? 760;
  const legendRight = (o.legend ?? 'right') === 'right';
  const legendW = legendRight ? Math.min(340, 40 + Math.max(...o.series.map((s) => s.name.length), 8) * 6.8) : 0;
  const ml = 70;
  const mr = 20 + legendW;
  const mt = 40;
  const all = o.series.flatMap((s) => [
    ...s.points.map((p) => p[1]),
    ...(s.band ?? []).flatMap((b) => [b[1], b[2]]),
    ...(s.errors ?? []).flatMap((b) => [b[1], b[2]]),
    ...(s.dots ?? []).map((d) => d[1]),
  ]);
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ya = o.yRange ? axis(o.yRange[0], o.yRange[1], !!o.yLog) : axis(Math.min(...all), Math.max(...all), !!o.yLog, 6, false);
  const xa = o.xLog ? axis(Math.min(...xs), Math.max(...xs), true) : axis(Math.min(...xs), Math.max(...xs), false);
  if (o.xTicks) xa.ticks = o.xTicks;
  if (o.xTicks && o.xLog) {
    xa.min = Math.min(...o.xTicks) / 10 ** 0.15;
    xa.max = Math.max(...o.xTicks) * 10 ** 0.15;
  }
  if (o.xTicks && !o.xLog) {
    const pad = (Math.max(...o.xTicks) - Math.min(...o.xTicks)) * 0.06 || Math.max(1, Math.abs(o.xTicks[0]) * 0.5);
    xa.min = Math.min(...o.xTicks) - pad;
    xa.max = Math.max(...o.xTicks) + pad;
  }
  // Legend below: measure first to size the chart.
  const items = o.series.flatMap((s, i) => [
    ...(s.band ? [{ name: `${s.name} (band)`, color: s.color ?? PALETTE[i % PALETTE.length], kind: 'band' as const }] : []),
    { name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], dashed: s.dashed, kind: 'line' as const },
  ]);
  const bottomLegend = legendRight ? { svg: '', height: 0 } : legendBlock(items, ml, 0, W - ml - 20, true);
  const plotH = (o.height ?? 440) - mt - 60;
  const clipped: string[] = [];
  const noteLines = (o.note ? [o.note] : []).concat();
  const H0 = mt + plotH + 50 + bottomLegend.height;
  const x0 = ml;
  const x1 = W - mr;
  const y0 = mt + plotH;
  const y1 = mt;
  const sx = scale(xa, x0, x1);
  const sy = scale(ya, y0, y1);
  const fx = o.xTickFormat ?? fmt;
  const fy = o.yTickFormat ?? fmt;
  let b = `<defs><clipPath id="plot"><rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/></clipPath></defs>`;
  b += `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="#fafafa" stroke="#bbb"/>`;
  for (const t of ya.ticks) {
    if (t < ya.min || t > ya.max) continue;
    b += `<line x1="${x0}" x2="${x1}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e3e3e3"/><text x="${x0 - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="#444">${esc(fy(t))}</text>`;
  }
  for (const t of xa.ticks) {
    if (t < xa.min || t > xa.max) continue;
    b += `<line y1="${y0}" y2="${y1}" x1="${f(sx(t))}" x2="${f(sx(t))}" stroke="#e3e3e3"/><text y="${y0 + 16}" x="${f(sx(t))}" text-anchor="middle" fill="#444">${esc(fx(t))}</text>`;
  }
  if (!ya.log && ya.min < 0 && ya.max > 0)
    b += `<line x1="${x0}" x2="${x1}" y1="${f(sy(0))}" y2="${f(sy(0))}" stroke="#888" stroke-width="1"/>`;
  for (const hl of o.hlines ?? []) {
    if (hl.y < ya.min || hl.y > ya.max) continue;
    b += `<line x1="${x0}" x2="${x1}" y1="${f(sy(hl.y))}" y2="${f(sy(hl.y))}" stroke="${hl.color ?? '#555'}" stroke-dasharray="6,4" stroke-width="1.5"/><text x="${x1 - 4}" y="${f(sy(hl.y) - 4)}" text-anchor="end" fill="${hl.color ?? '#555'}">${esc(hl.label)}</text>`;
  }
  b += `<text x="${(x0 + x1) / 2}" y="${y0 + 36}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`;
  b += `<text transform="translate(16,${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(o.yLabel)}</text>`;
  let g = '';
  o.series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    if (s.band && s.band.length) {
      const top = s.band.map(([x, , hi]) => `${f(sx(x))},${f(sy(Math.min(hi, ya.max)))}`);
      const bot = s.band
        .slice()
        .reverse()
        .map(([x, lo]) => `${f(sx(x))},${f(sy(Math.max(lo, ya.min)))}`);
      g += `<polygon points="${[...top, ...bot].join(' ')}" fill="${c}" fill-opacity="0.3" stroke="${c}" stroke-opacity="0.35" stroke-width="0.8"/>`;
    }
    const pts = s.points.filter((p) => Number.isFinite(p[1])).sort((a, c2) => a[0] - c2[0]);
    const px = (x: number) => sx(x) + (s.dx ?? 0);
    if (pts.length > 1)
      g += `<polyline points="${pts.map(([x, y]) => `${f(px(x))},${f(sy(y))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`;
    for (const [x, lo, hi] of s.errors ?? []) {
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
      const a = sy(Math.max(lo, ya.min));
      const z = sy(Math.min(hi, ya.max));
      g += `<line x1="${f(px(x))}" x2="${f(px(x))}" y1="${f(a)}" y2="${f(z)}" stroke="${c}" stroke-width="1.6"/>`;
      if (lo >= ya.min) g += `<line x1="${f(px(x) - 4)}" x2="${f(px(x) + 4)}" y1="${f(a)}" y2="${f(a)}" stroke="${c}" stroke-width="1.6"/>`;
      if (hi <= ya.max) g += `<line x1="${f(px(x) - 4)}" x2="${f(px(x) + 4)}" y1="${f(z)}" y2="${f(z)}" stroke="${c}" stroke-width="1.6"/>`;
    }
    for (const [x, y] of s.dots ?? []) {
      if (!Number.isFinite(y) || y < ya.min || y > ya.max) continue;
      g += `<circle cx="${f(px(x))}" cy="${f(sy(y))}" r="2.4" fill="none" stroke="${c}" stroke-width="1.1"/>`;
    }
    for (const [x, y] of pts) {
      if (y < ya.min || y > ya.max) {
        clipped.push(`${s.name} at ${fx(x)}: ${fy(y)}`);
        continue;
      }
      g += `<circle cx="${f(px(x))}" cy="${f(sy(y))}" r="3.6" fill="${c}" stroke="#fff" stroke-width="1"/>`;
      if (s.labels) {
        const right = px(x) > x1 - 50;
        const below = sy(y) - 7 < y1 + 12;
        g += `<text x="${f(px(x) + (right ? -7 : 7))}" y="${f(sy(y) + (below ? 16 : -7))}" text-anchor="${right ? 'end' : 'start'}" fill="${c}" font-size="11" font-weight="bold" stroke="#fafafa" stroke-width="3" paint-order="stroke">${esc(fy(y))}</text>`;
      }
    }
  });
  b += `<g clip-path="url(#plot)">${g}</g>`;
  if (legendRight) b += legendBlock(items, x1 + 16, y1 + 10, legendW - 16, false).svg;
  else b += `<g transform="translate(0,${y0 + 52})">${bottomLegend.svg}</g>`;
  if (clipped.length) noteLines.push(`Off the chart: ${clipped.join('; ')}`);
  const wrapped = noteLines.flatMap((n) => wrap(n, Math.floor((W - 40) / 6.4)));
  let H = H0;
  wrapped.forEach((line, i) => (b += `<text x="20" y="${H0 + 4 + i * 15}" fill="#555" font-size="11">${esc(line)}</text>`));
  H += wrapped.length * 15 + (wrapped.length ? 6 : 0);
  return frame(o.title, W, H, b);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    if ((cur + ' ' + w).trim().length > width && cur) {
      out.push(cur);
      cur = w;
    } else cur = (cur + ' ' + w).trim();
  }
  if (cur) out.push(cur);
  return out;
}

export interface BarOptions {
  title: string;
  categories: string[];
  series: { name: string; values: (number | null)[]; color?: string }[];
  yLabel: string;
  stacked?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
  /** Value labels on bars (grouped) or totals on stacks. */
  valueLabels?: boolean;
  totals?: string[];
  hlines?: { y: number; label: string; color?: string }[];
  /** Per-category reference marks (e.g. a peak per group). */
  note?: string;
  yTickFormat?: (v: number) => string;
  /** Fixed top of the y axis (e.g. 100 for shares). */
  yMax?: number;
}

export function barChart(o: BarOptions): Chart {
  const W = o.width ?? 760;
  const legendW = Math.min(280, 40 + Math.max(...o.series.map((s) => s.name.length), 8) * 6.8);
  const ml = 70;
  const mr = 20 + legendW;
  const mt = o.totals ? 58 : 40;
  const plotH = (o.height ?? 420) - mt - 70;
  const x0 = ml;
  const x1 = W - mr;
  const y0 = mt + plotH;
  const y1 = mt;
  const vals = o.stacked
    ? o.categories.map((_, c) => o.series.reduce((s, se) => s + (se.values[c] ?? 0), 0))
    : o.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const refs = (o.hlines ?? []).map((h) => h.y);
  const hi = Math.max(...vals, ...refs);
  const lo = o.yLog ? Math.min(...vals.filter((v) => v > 0)) : 0;
  const ya = axis(lo, o.yMax ?? hi * (o.yLog ? 1 : 1.08), !!o.yLog, 6, !o.yLog);
  const sy = scale(ya, y0, y1);
  const fy = o.yTickFormat ?? fmt;
  let b = `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="#fafafa" stroke="#bbb"/>`;
  for (const t of ya.ticks)
    b += `<line x1="${x0}" x2="${x1}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e3e3e3"/><text x="${x0 - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="#444">${esc(fy(t))}</text>`;
  b += `<text transform="translate(16,${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(o.yLabel)}</text>`;
  const groupW = (x1 - x0) / o.categories.length;
  const inner = groupW * 0.78;
  const barW = o.stacked ? inner * 0.7 : inner / o.series.length;
  const base = o.yLog ? ya.min : 0;
  o.categories.forEach((cat, c) => {
    const gx = x0 + c * groupW + (groupW - inner) / 2;
    let acc = 0;
    o.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === null || !Number.isFinite(v)) return;
      const color = s.color ?? PALETTE[i % PALETTE.length];
      if (o.stacked) {
        const bx = gx + (inner - barW) / 2;
        const ya0 = sy(base + acc);
        const ya1 = sy(base + acc + v);
        b += `<rect x="${f(bx)}" y="${f(ya1)}" width="${f(barW)}" height="${f(Math.max(0, ya0 - ya1))}" fill="${color}"><title>${esc(`${s.name}: ${fmt(v)}`)}</title></rect>`;
        if (o.valueLabels && ya0 - ya1 > 13)
          b += `<text x="${f(bx + barW / 2)}" y="${f((ya0 + ya1) / 2 + 4)}" text-anchor="middle" fill="#fff" font-size="10.5">${esc(fy(v))}</text>`;
        acc += v;
      } else {
        const bx = gx + i * barW;
        const top = sy(Math.max(v, base));
        b += `<rect x="${f(bx + 1)}" y="${f(top)}" width="${f(barW - 2)}" height="${f(Math.max(0, y0 - top))}" fill="${color}"><title>${esc(`${s.name}: ${fmt(v)}`)}</title></rect>`;
        if (o.valueLabels)
          b += `<text x="${f(bx + barW / 2)}" y="${f(top - 4)}" text-anchor="middle" fill="#333" font-size="10">${esc(fy(v))}</text>`;
      }
    });
    if (o.totals?.[c])
      b += `<text x="${f(gx + inner / 2)}" y="${f(sy(base + acc) - 6)}" text-anchor="middle" fill="#222" font-size="11">${esc(o.totals[c])}</text>`;
    const words = wrap(cat, Math.max(8, Math.floor(groupW / 6.6)));
    words.forEach(
      (w, j) =>
        (b += `<text x="${f(x0 + c * groupW + groupW / 2)}" y="${y0 + 16 + j * 14}" text-anchor="middle" fill="#333">${esc(w)}</text>`),
    );
  });
  for (const hl of o.hlines ?? []) {
    b += `<line x1="${x0}" x2="${x1}" y1="${f(sy(hl.y))}" y2="${f(sy(hl.y))}" stroke="${hl.color ?? '#555'}" stroke-dasharray="6,4" stroke-width="1.5"/><text x="${x1 - 4}" y="${f(sy(hl.y) - 4)}" text-anchor="end" fill="${hl.color ?? '#555'}" font-size="11">${esc(hl.label)}</text>`;
  }
  b += legendBlock(
    o.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], kind: 'box' as const })),
    x1 + 16,
    y1 + 10,
    legendW - 16,
    false,
  ).svg;
  let H = y0 + 52;
  if (o.note) {
    const lines = wrap(o.note, Math.floor((W - 40) / 6.4));
    lines.forEach((l, i) => (b += `<text x="20" y="${H + i * 15}" fill="#555" font-size="11">${esc(l)}</text>`));
    H += lines.length * 15;
  }
  return frame(o.title, W, H + 8, b);
}

/** Several charts in one SVG, `cols` per row (clip-path ids are made unique per panel). */
export function grid(charts: Chart[], cols: number, title?: string): string {
  const colW = Math.max(...charts.map((c) => c.width));
  const rows = Math.ceil(charts.length / cols);
  const rowH = Array.from({ length: rows }, (_, r) => Math.max(...charts.slice(r * cols, r * cols + cols).map((c) => c.height)));
  const top = title ? 34 : 0;
  const W = colW * Math.min(cols, charts.length);
  const H = top + rowH.reduce((a, b) => a + b, 0);
  let body = '';
  charts.forEach((c, i) => {
    const r = Math.floor(i / cols);
    const x = (i % cols) * colW;
    const y = top + rowH.slice(0, r).reduce((a, b) => a + b, 0);
    const inner = c.svg
      .replace(/id="plot"/g, `id="plot${i}"`)
      .replace(/url\(#plot\)/g, `url(#plot${i})`)
      .replace('<svg ', `<svg x="${x}" y="${y}" `);
    body += inner;
  });
  const head = title
    ? `<text x="${W / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold" fill="#111">${esc(title)}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}><rect width="${W}" height="${H}" fill="#fff"/>${head}${body}</svg>\n`;
}

export function single(c: Chart): string {
  return `${c.svg}\n`;
}
