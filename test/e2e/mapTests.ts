// The Capability Map at the widths a curator gives it (a narrow side panel to a full monitor), in
// the real workbench: no sideways scroll of the page, the instruction column always there, label
// chips grouped by field and sorted, per-capability names on one line, and the sample map (UMAP of
// the trajectories) with hover and click-to-reveal. Screenshots per width go to the artifacts folder.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { E2ETest } from './tests';
import { curateFromPalette, runCommand } from './ui';

const WIDTHS = [400, 540, 800, 1280];

/** Resizes the browser until the map's document is `width` CSS pixels wide (the workbench's chrome around it varies). */
async function mapWidth(page: Page, view: FrameLocator, width: number): Promise<number> {
  let viewport = page.viewportSize() ?? { width: 1400, height: 900 };
  const inner = () => view.locator('html').evaluate((h) => h.clientWidth);
  let got = await inner();
  // The map's share of a change of the window (its editor group's share, about ½ beside the editor), measured as we go.
  let gain = 0.5;
  for (let i = 0; i < 12 && Math.abs(got - width) > 1; i++) {
    const step = Math.round((width - got) / gain);
    viewport = { width: Math.max(320, viewport.width + step), height: 1000 };
    await page.setViewportSize(viewport);
    await page.waitForTimeout(400);
    const next = await inner();
    if (step !== 0 && next !== got) gain = Math.min(1, Math.max(0.2, (next - got) / step));
    got = next;
  }
  return got;
}

/** What the page shows at one width, measured inside the webview. */
async function measure(view: FrameLocator) {
  return view.locator('html').evaluate((h) => {
    const doc = h.ownerDocument;
    const visible = (e: Element | null) => {
      if (!e) return false;
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.right <= h.clientWidth + 1 && getComputedStyle(e).display !== 'none';
    };
    const textCell = doc.querySelector('.trow .c-text');
    const chipRows = [...doc.querySelectorAll('.card .chips')].map((row) => ({
      field: row.querySelector('.field')?.textContent ?? '',
      shares: [...row.querySelectorAll('.chip .share')].map((s) => Number((s.textContent ?? '').replace('%', ''))),
      values: [...row.querySelectorAll('.chip .v')].map((s) => s.textContent ?? ''),
    }));
    const names = [...doc.querySelectorAll('table.percap .oneline')].map((e) => {
      const lh = parseFloat(getComputedStyle(e).lineHeight) || parseFloat(getComputedStyle(e).fontSize) * 1.4;
      return { lines: Math.round(e.getBoundingClientRect().height / lh), title: e.getAttribute('title') ?? '' };
    });
    return {
      scrollWidth: h.scrollWidth,
      clientWidth: h.clientWidth,
      bodyScroll: doc.body.scrollWidth,
      textCellWidth: textCell ? textCell.getBoundingClientRect().width : 0,
      textCellVisible: visible(textCell),
      textHeadVisible: visible(doc.querySelector('.thead .c-text')),
      columns: [...doc.querySelectorAll('.thead > *')].filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.textContent),
      chipRows,
      names,
      exampleCount: doc.querySelectorAll('.card ol.examples li:not(.meta)').length,
    };
  });
}

/** A painted point of the sample map (a pixel of a capability colour), in page coordinates. */
async function paintedPoint(view: FrameLocator): Promise<{ x: number; y: number } | undefined> {
  return view.locator('#scatter').evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const dpr = c.width / c.clientWidth;
    const r = c.getBoundingClientRect();
    // Inside the plotting area (past the axes), a saturated pixel: a point's fill.
    for (let y = Math.floor(c.height * 0.1); y < c.height * 0.85; y += 2)
      for (let x = Math.floor(c.width * 0.15); x < c.width * 0.97; x += 2) {
        const i = (y * c.width + x) * 4;
        const [R, G, B, A] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
        if (A > 200 && Math.max(R, G, B) - Math.min(R, G, B) > 60) return { x: r.left + x / dpr, y: r.top + y / dpr };
      }
    return undefined;
  });
}

export const mapTests: E2ETest[] = [
  {
    name: 'the Capability Map at 400, 540, 800 and 1280 px: no sideways scroll, the instruction column, chips by field, the sample map',
    async run(wb, artifacts) {
      const { page } = wb;
      const shots = process.env.CADC_MAP_SHOTS ?? artifacts;
      await curateFromPalette(page, 'demo.jsonl', '10%');
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('.card').first().waitFor({ timeout: 30_000 });
      // The sample map arrives after the overview (UMAP in the backend): the caption names it.
      await view.locator('#map-caption', { hasText: /^UMAP of the learning trajectories/ }).waitFor({ timeout: 90_000 });
      assert.match(await view.locator('#map-caption').innerText(), /1,054 of 1,054 samples/);
      // The demo's 1,054 samples get a 32² sketch (4 checkpoints × 2 layers × 32²), which the layout projects.
      assert.match(
        await view.locator('#map-caption').innerText(),
        /8,192 dimensions per sample, laid out from a 512-number random projection/,
      );
      // The header names the dataset relative to the workspace folder, not to the manifest's folder.
      assert.equal(await view.locator('.dataset .path').innerText(), 'demo.jsonl');
      // The cards' examples: three per capability (the top-influence samples, read from the table).
      await view.locator('.card ol.examples li:not(.meta)').nth(2).waitFor({ timeout: 15_000 });
      // How far the capabilities can be trusted: the graph's split-half reliability, in words (high on the demo).
      assert.match(await view.locator('p.reliability').innerText(), /^Trajectory signal: split-half reliability 0\.\d\d/);
      // The demo's graph averages 2 proxies (they agree at about 0.98, so auto stops there).
      assert.match(await view.locator('p.reliability').innerText(), /averaged over 2 proxies that agree at 0\.9\d \(\d\.\d\d together\)/);
      // The quality report, for its per-capability table.
      await view.locator('#run-quality').click();
      await view.locator('table.percap').waitFor({ timeout: 90_000 });
      await view.locator('.trow .c-text').first().waitFor({ timeout: 15_000 });
      for (const width of WIDTHS) {
        const got = await mapWidth(page, view, width);
        assert.ok(Math.abs(got - width) <= 1, `the map is ${got} px wide, not ${width}`);
        await page.waitForTimeout(300);
        const m = await measure(view);
        assert.ok(m.scrollWidth <= m.clientWidth, `${width}px: the page scrolls sideways (${m.scrollWidth} > ${m.clientWidth})`);
        assert.ok(m.textHeadVisible && m.textCellVisible, `${width}px: the instruction column is shown (${m.columns.join(', ')})`);
        assert.ok(m.textCellWidth >= Math.min(150, width * 0.3), `${width}px: the instruction column is ${m.textCellWidth}px wide`);
        if (width >= 1280) assert.equal(m.columns.length, 8, `${width}px: every column (${m.columns.join(', ')})`);
        if (width <= 400) assert.ok(m.columns.length <= 5, `${width}px: less important columns collapse (${m.columns.join(', ')})`);
        // Chips: every row starts with its field's name, none under 1%, sorted by share; label rows
        // (the demo's scienceqa capability has one) hold no codes such as "a,b,d".
        assert.ok(m.chipRows.length >= 2, `${width}px: chip rows ${JSON.stringify(m.chipRows)}`);
        const labelRows = m.chipRows.filter((r) => r.field !== 'styles:');
        assert.ok(labelRows.length >= 1, `${width}px: a label row: ${JSON.stringify(m.chipRows)}`);
        for (const v of labelRows.flatMap((r) => r.values))
          assert.doesNotMatch(v, /^\s*\w{1,2}\s*(,\s*\w{1,3}\s*)*$/, 'a label code on a card');
        for (const row of m.chipRows) {
          assert.match(row.field, /^[\w .-]+:$/, `a chip row names its field: ${JSON.stringify(row)}`);
          assert.ok(row.shares.length > 0 && row.shares.every((s) => s >= 1), `no empty row, no 0% chip: ${JSON.stringify(row)}`);
          assert.deepEqual(
            row.shares,
            [...row.shares].sort((a, b) => b - a),
            `sorted by share: ${JSON.stringify(row)}`,
          );
        }
        assert.ok(m.exampleCount >= 6, `${width}px: example instructions on the cards (${m.exampleCount})`);
        assert.ok(m.names.length >= 2, 'per-capability quality rows');
        for (const n of m.names) assert.equal(n.lines, 1, `${width}px: "${n.title}" stays on one line`);
        // The map's panel only, scrolled to each part.
        const shoot = async (anchor: string, name: string) => {
          await view.locator(anchor).evaluate((e) => e.scrollIntoView({ block: 'start' }));
          await page.waitForTimeout(150);
          await page
            .locator('iframe.webview')
            .last()
            .screenshot({ path: path.join(shots, `map-${width}-${name}.png`) });
        };
        await shoot('h1', 'top');
        await shoot('.curves', 'curves');
        await shoot('#map-heading', 'samplemap');
        await shoot('#samples-heading', 'table');
        await shoot('#quality', 'quality');
      }
      // Hover a point of the sample map: its capability and instruction, as text; click: its line opens.
      await view.locator('#map-heading').scrollIntoViewIfNeeded();
      const frame = await view.locator('#scatter').boundingBox();
      const p = await paintedPoint(view);
      assert.ok(frame && p, 'a painted point');
      // Coordinates inside the webview's frame → the page's: offset by the frame's position.
      const inner = await view.locator('#scatter').evaluate((c) => c.getBoundingClientRect());
      const at = { x: frame.x + (p.x - inner.left), y: frame.y + (p.y - inner.top) };
      await page.mouse.move(at.x, at.y);
      const tip = view.locator('#map-tooltip.on');
      await tip.waitFor({ timeout: 5_000 });
      const text = await tip.innerText();
      assert.match(text, /^c\d+ · .+\nline \d+/, text);
      await page
        .locator('iframe.webview')
        .last()
        .screenshot({ path: path.join(shots, 'map-hover.png') });
      const line = Number(/line (\d+)/.exec(text)![1]);
      await page.mouse.click(at.x, at.y);
      await page
        .locator('.statusbar-item', { hasText: `Ln ${line},` })
        .first()
        .waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'the Capability Map shows sub-capabilities, examples, problems and the gradient source when the manifest has them, and reveals a section',
    async run(wb, artifacts) {
      const { page } = wb;
      const shots = process.env.CADC_MAP_SHOTS ?? artifacts;
      await curateFromPalette(page, 'demo.jsonl', '10%');
      // What the other parts of a run add to the manifest (all optional), written here by hand.
      const file = path.join(wb.workspace, 'curation', 'demo.cadc.json');
      const m = JSON.parse(readFileSync(file, 'utf8'));
      const hostile = '<img src=x onerror="document.title=1"><b>bold</b>';
      const curve = m.capabilities[0].curve;
      m.capabilities[0].examples = [
        { line: 12, id: 'ex-12', text: 'Which recipe step comes first?' },
        { line: 30, id: 'ex-30', text: hostile },
        { line: 44, id: 'ex-44', text: 'What color is the car?' },
      ];
      m.capabilities[0].children = [
        {
          id: 'c1.1',
          name: 'recipe steps',
          size: 150,
          selected: 20,
          terms: ['recipe', 'step'],
          examples: m.capabilities[0].examples.slice(0, 2),
          curve,
        },
        {
          id: 'c1.2',
          name: hostile,
          size: 94,
          selected: 4,
          terms: ['car'],
          examples: [{ line: 44, id: 'ex-44', text: 'What color is the car?' }],
          curve,
        },
      ];
      m.problems = [
        {
          code: 'image-missing',
          severity: 'warning',
          count: 2,
          total: 1054,
          lines: [7, 344],
          message: 'image paths do not resolve',
          fix: 'set cadc.dataset.imageRoot',
        },
      ];
      m.gradients = { kind: 'gradients', model: 'llava-v1.5-7b', checkpoints: 4, dims: 512 };
      writeFileSync(file, JSON.stringify(m, null, 2));
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      const card = view.locator('.card[data-capability="c1"]');
      await card.waitFor({ timeout: 30_000 });
      assert.equal(await card.locator('.exhead').innerText(), 'examples');
      const examples = await card.locator(':scope > ol.examples li').allInnerTexts();
      assert.deepEqual(examples, ['Which recipe step comes first?', hostile, 'What color is the car?']);
      await card.locator('details.children summary').click();
      assert.equal(await card.locator('details.children summary').innerText(), '2 sub-capabilities');
      assert.equal(await card.locator('li.sub').count(), 2);
      assert.equal(await card.locator('li.sub .subname').nth(1).innerText(), hostile, 'a sub-capability name is text');
      assert.match(await card.locator('li.sub .subnums').first().innerText(), /150 samples · 20 selected \(13\.3%\)/);
      assert.equal(await card.locator('li.sub svg.spark polyline').count(), 2, 'a mini learning curve per sub-capability');
      assert.equal(await view.locator('img').count(), 0, 'no element was made from dataset text');
      assert.match(
        await view.locator('ul.problems').innerText(),
        /image paths do not resolve \(2 of 1,054; first on line 7\) — set cadc\.dataset\.imageRoot/,
      );
      await view.locator('#map-caption', { hasText: 'gradients of llava-v1.5-7b' }).waitFor({ timeout: 90_000 });
      await card.screenshot({ path: path.join(shots, 'map-card-children.png') });
      // A reveal from the host (the palette's Quality / Compare) scrolls to the section and highlights it.
      await view
        .locator('html')
        .evaluate(() => window.dispatchEvent(new MessageEvent('message', { data: { type: 'reveal', section: 'compare' } })));
      await view.locator('#compare.flash').waitFor({ timeout: 5_000 });
      const at = await view.locator('#compare').evaluate((e) => {
        const d = e.ownerDocument.scrollingElement!;
        return { top: e.getBoundingClientRect().top, bottom: d.scrollTop + d.clientHeight >= d.scrollHeight - 1, scrolled: d.scrollTop };
      });
      // At the top of the view, or as far as the page scrolls (little of it lies below Compare).
      assert.ok(at.scrolled > 0 && (Math.abs(at.top) < 5 || (at.bottom && at.top >= 0)), `Compare revealed: ${JSON.stringify(at)}`);
      await page
        .locator('iframe.webview')
        .last()
        .screenshot({ path: path.join(shots, 'map-reveal-compare.png') });
      // An example opens its line.
      await card.locator(':scope > ol.examples li').first().click();
      await page.locator('.statusbar-item', { hasText: 'Ln 12,' }).first().waitFor({ timeout: 10_000 });
    },
  },
];
