// The Capability Map's overview sections, one renderer each: the header (dataset, budget box, notes,
// problems), the capability cards (rename in place, label chips by field, examples, sub-capabilities)
// and the curriculum stages. The learning curves and the sample map: charts.ts. Dataset-derived text
// is set as text only (el()).
import type { MapCapability, MapExample, MapOverview, MapSubCapability, MapToHost } from '../../src/protocol/capabilityMap';
import { el } from './dom';

type Post = (m: MapToHost) => void;

const pct = (share: number) => `${Math.round(share * 100)}%`;

export function renderHeader(o: MapOverview, post: Post): HTMLElement {
  const header = el('header');
  header.append(el('h1', {}, 'Capability Map'));
  const name = o.dataset.display ?? o.dataset.name;
  const meta = el('div', { class: 'meta dataset' });
  meta.append(
    el('span', { class: 'path', title: name }, name),
    el(
      'span',
      {},
      ` · ${o.dataset.samples.toLocaleString()} samples · ${o.dataset.invalid.toLocaleString()} invalid line${o.dataset.invalid === 1 ? '' : 's'} · strategy ${o.strategy}`,
    ),
  );
  header.append(meta);
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
  const serious = (o.problems ?? []).filter((p) => p.severity !== 'info' && p.count > 0);
  if (serious.length) {
    const list = el('ul', { class: 'problems', 'aria-label': 'Problems in the dataset' });
    for (const p of [...serious].sort((a, b) => (a.severity === b.severity ? b.count - a.count : a.severity === 'error' ? -1 : 1))) {
      const li = el('li', { class: p.severity });
      li.append(
        el('span', { class: 'sev' }, p.severity === 'error' ? 'error' : 'warning'),
        el(
          'span',
          {},
          ` ${p.message} (${p.count.toLocaleString()} of ${p.total.toLocaleString()}${p.lines.length ? `; first on line ${p.lines[0]}` : ''})`,
        ),
      );
      if (p.fix) li.append(el('span', { class: 'fix' }, ` — ${p.fix}`));
      list.append(li);
    }
    header.append(list);
  }
  return header;
}

/** A card's name: click (or Enter) turns it into an input; Enter or blur renames, Escape cancels. */
function capabilityName(c: MapCapability, post: Post): HTMLElement {
  const name = el('div', {
    class: 'name',
    title: `${c.name} (click to rename)`,
    tabindex: '0',
    role: 'button',
    'aria-label': `Rename ${c.id}`,
  });
  name.append(el('span', { class: 'id' }, `${c.id} · `), el('span', { class: 'text' }, c.name));
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

/** One row of chips under a field name; nothing when no item reaches 1%. */
function chipRow(field: string, items: { text: string; share: number; lift?: number }[], max = 4): HTMLElement | undefined {
  const shown = items
    .filter((i) => i.share >= 0.01 && i.text)
    .sort((a, b) => b.share - a.share || (a.text < b.text ? -1 : 1))
    .slice(0, max);
  if (!shown.length) return undefined;
  const row = el('div', { class: 'chips', 'data-field': field });
  row.append(el('span', { class: 'field' }, `${field}:`));
  for (const i of shown) {
    const lift = i.lift === undefined ? '' : `, ${i.lift.toFixed(1)}× its share of the pool`;
    const chip = el('span', { class: 'chip', title: `${field} = ${i.text}: ${(i.share * 100).toFixed(1)}% of this capability${lift}` });
    chip.append(el('span', { class: 'v' }, i.text), el('span', { class: 'share' }, pct(i.share)));
    row.append(chip);
  }
  return row;
}

/** Label chips grouped by field (fields ordered by their top share), then the interaction styles. */
export function chipRows(c: Pick<MapCapability, 'labels' | 'styles'>): HTMLElement[] {
  const byField = new Map<string, { text: string; share: number; lift?: number }[]>();
  for (const l of c.labels) {
    if (!l.field) continue;
    const list = byField.get(l.field) ?? [];
    list.push({ text: l.value, share: l.share, lift: l.lift });
    byField.set(l.field, list);
  }
  const top = (list: { share: number }[]) => Math.max(...list.map((x) => x.share));
  const fields = [...byField.entries()].sort((a, b) => top(b[1]) - top(a[1]) || (a[0] < b[0] ? -1 : 1));
  const rows = fields.map(([field, list]) => chipRow(field, list));
  rows.push(
    chipRow(
      'styles',
      c.styles.map((s) => ({ text: s.style, share: s.share })),
      3,
    ),
  );
  return rows.filter((r): r is HTMLElement => !!r);
}

/** A list of example instructions; each reveals its line in the editor. */
export function exampleList(examples: MapExample[], post: Post, id?: string): HTMLElement {
  const ol = el('ol', { class: 'examples', ...(id ? { id } : {}) });
  fillExamples(ol, examples, post);
  return ol;
}

export function fillExamples(ol: HTMLElement, examples: MapExample[], post: Post): void {
  ol.replaceChildren();
  for (const e of examples.slice(0, 3)) {
    const text = e.text.replace(/\s+/g, ' ').trim() || e.id;
    const li = el('li', { tabindex: '0', role: 'link', title: `line ${e.line} · ${e.id}\n${text}` });
    li.append(el('span', { class: 'ex' }, text));
    const go = () => post({ type: 'reveal', line: e.line });
    li.addEventListener('click', go);
    li.addEventListener('keydown', (k) => k.key === 'Enter' && go());
    ol.append(li);
  }
  if (!examples.length) ol.append(el('li', { class: 'meta' }, 'no example text'));
}

const SVG = 'http://www.w3.org/2000/svg';

/** A mini learning curve (self-influence along the checkpoints) as an inline SVG polyline. */
export function sparkline(values: number[], color: string, label: string): SVGSVGElement {
  const w = 80;
  const h = 22;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const finite = values.filter(Number.isFinite);
  if (finite.length >= 2) {
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const pts = values.map((v, i) => {
      const x = 2 + (i / (values.length - 1)) * (w - 4);
      const y = h - 2 - ((Number.isFinite(v) ? v - lo : 0) / (hi - lo || 1)) * (h - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
  }
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  return svg;
}

function subCapability(s: MapSubCapability, color: string, post: Post): HTMLElement {
  const li = el('li', { class: 'sub' });
  const head = el('div', { class: 'subhead' });
  head.append(el('span', { class: 'id' }, s.id), el('span', { class: 'subname', title: s.name }, s.name));
  const share = s.size ? s.selected / s.size : 0;
  const nums = el('div', { class: 'subnums meta' });
  nums.append(
    el('span', {}, `${s.size.toLocaleString()} samples · ${s.selected.toLocaleString()} selected (${(share * 100).toFixed(1)}%)`),
    sparkline(s.curve.selfInfluence, color, `${s.id} mean self-influence along the checkpoints`),
  );
  li.append(head, nums);
  if (s.terms.length) li.append(el('div', { class: 'terms meta' }, s.terms.slice(0, 5).join(' · ')));
  li.append(exampleList(s.examples, post));
  return li;
}

/**
 * The capability cards. Examples come from the manifest when it has them; otherwise the list is
 * empty here and filled by the caller from the table (the capability's top-influence samples).
 */
export function renderCards(o: MapOverview, post: Post): HTMLElement[] {
  const cards = el('section', { class: 'cards', 'aria-label': 'Capabilities' });
  for (const c of o.capabilities) {
    const card = el('article', { class: 'card', tabindex: '0', 'data-capability': c.id });
    card.style.setProperty('--cap-color', c.color);
    card.append(capabilityName(c, post));
    const share = c.size ? c.selected / c.size : 0;
    card.append(
      el(
        'div',
        { class: 'nums' },
        `${c.size.toLocaleString()} samples · ${c.selected.toLocaleString()} selected (${(share * 100).toFixed(1)}%)`,
      ),
    );
    if (c.terms.length) {
      const terms = el('div', { class: 'terms', title: 'its most distinctive instruction terms' });
      terms.append(el('span', { class: 'field' }, 'terms:'), el('span', {}, ` ${c.terms.slice(0, 6).join(' · ')}`));
      card.append(terms);
    }
    card.append(...chipRows(c));
    card.append(el('div', { class: 'field exhead' }, c.examples?.length ? 'examples' : 'examples (highest influence)'));
    card.append(exampleList(c.examples ?? [], post, `examples-${c.id}`));
    if (c.children?.length) {
      const details = el('details', { class: 'children' });
      details.append(el('summary', {}, `${c.children.length} sub-capabilit${c.children.length === 1 ? 'y' : 'ies'}`));
      const ul = el('ul', { class: 'subs' });
      for (const s of c.children) ul.append(subCapability(s, c.color, post));
      details.append(ul);
      card.append(details);
    }
    cards.append(card);
  }
  return [el('h2', {}, `Capabilities (${o.capabilities.length})`), ...reliabilityLine(o), cards];
}

/** How far the capabilities can be trusted to repeat: the graph's split-half reliability, in words. */
function reliabilityLine(o: MapOverview): HTMLElement[] {
  const r = o.reliability;
  if (!r) return [];
  const value = r.value.toFixed(2);
  // With several proxies, how far another seed repeats the graph is their reliability together.
  const proxies =
    r.proxies && r.agreement !== undefined && r.acrossProxies !== undefined
      ? `, averaged over ${r.proxies} proxies that agree at ${r.agreement.toFixed(2)} (${r.acrossProxies.toFixed(2)} together)`
      : '';
  return [
    r.weak
      ? el(
          'p',
          { class: 'reliability weak', role: 'note' },
          `Weak trajectory signal (split-half reliability ${value}${proxies}): the learning trajectories barely tell these groups apart, so another seed may give other capabilities. Read them as a rough map.`,
        )
      : el(
          'p',
          { class: 'reliability', role: 'note' },
          proxies
            ? `Trajectory signal: split-half reliability ${value}${proxies}: another seed should give much the same capabilities.`
            : `Trajectory signal: split-half reliability ${value} (another seed should give much the same capabilities).`,
        ),
  ];
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
