// The end-to-end scenarios, as a person would do them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Workbench } from '../harness/workbench';
import { mapTests } from './mapTests';
import { parquetTests } from './parquetTests';
import { choose, curateFromPalette, hoverFirstLine, openFile, runCommand, waitForCapabilityTags, waitForNotification } from './ui';

export interface E2ETest {
  name: string;
  /** Left out of the full run (with its reason beside it); still run when named with --grep. */
  quarantined?: boolean;
  run(wb: Workbench, artifacts: string): Promise<void>;
}

export const tests: E2ETest[] = [
  {
    name: 'curate the demo dataset from the command palette',
    async run(wb, artifacts) {
      const { page } = wb;
      // The status bar reports the result as soon as the run ends.
      const m = /CADC: (\d+) selected, (\d+) capabilities/.exec(await curateFromPalette(page, 'demo.jsonl', '10%'));
      assert.ok(m, 'status bar text');
      assert.ok(Math.abs(Number(m[1]) - 105) <= 1, `selected ${m[1]}`);
      assert.ok(Number(m[2]) >= 2, `capabilities ${m[2]}`); // 2 on the demo since exact-text probe groups
      const manifest = path.join(wb.workspace, 'curation', 'demo.cadc.json');
      assert.ok(existsSync(manifest), 'manifest written into the workspace');
      const parsed = JSON.parse(readFileSync(manifest, 'utf8'));
      assert.equal(parsed.schema, 'cadc.manifest/v1');
      assert.ok(parsed.stages.length >= 2);
      // The summary notification, read in the notification centre.
      await runCommand(page, 'Notifications: Show Notifications');
      const text = await waitForNotification(page, /CADC: selected \d+ of 1054 samples/, 15_000);
      assert.match(text, new RegExp(`selected ${m[1]} of 1054 samples across ${m[2]} capabilities in ${parsed.stages.length} stages`));
      await page.screenshot({ path: path.join(artifacts, 'curate-notification.png') });
      await page.keyboard.press('Escape');
      await runCommand(page, 'View: Focus Problems');
      await page.locator('.markers-panel .monaco-list-row', { hasText: 'Image not found' }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(artifacts, 'curate-demo.png') });
    },
  },
  {
    name: 'hover a curated line and read its capability tag',
    async run(wb, artifacts) {
      const { page } = wb;
      await curateFromPalette(page, 'demo.jsonl', '5%');
      await waitForCapabilityTags(page);
      await page.screenshot({ path: path.join(artifacts, 'annotated-lines.png') });
      const text = await hoverFirstLine(page);
      assert.match(text, /CADC — .+ \(c\d+\)/);
      assert.match(text, /rank \d+ of \d+, top \d+% of/);
      assert.match(text, /self-influence/);
      await page.screenshot({ path: path.join(artifacts, 'hover-attribution.png') });
    },
  },
  {
    name: 'a committed curation reopens after a window reload: tags, hovers and the map',
    async run(wb, artifacts) {
      const { page } = wb;
      await curateFromPalette(page, 'demo.jsonl', '10%');
      const before = await waitForCapabilityTags(page);
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('.card').first().waitFor({ timeout: 30_000 });
      const cards = await view.locator('.card').count();
      // A window reload: a new extension host and a fresh session; the manifest is all that is left of the run.
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForTimeout(2000);
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      await page.locator('.tab', { hasText: 'demo.jsonl' }).first().click({ timeout: 60_000 });
      const after = await waitForCapabilityTags(page);
      assert.ok(after.length > 0 && before.length > 0, `tags before (${before}) and after (${after}) the reload`);
      await page
        .locator('.statusbar-item', { hasText: /CADC: \d+ selected/ })
        .first()
        .waitFor({ timeout: 60_000 });
      const text = await hoverFirstLine(page);
      assert.match(text, /CADC — .+ \(c\d+\)/);
      assert.match(text, /rank \d+ of \d+/);
      await page.screenshot({ path: path.join(artifacts, 'restored-hover-1400.png') });
      await page.keyboard.press('Escape');
      // The status item opens the map on the restored run (the revived panel, or a new one).
      await page
        .locator('.statusbar-item', { hasText: /CADC: \d+ selected/ })
        .first()
        .click();
      const map = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await map.locator('.card').first().waitFor({ timeout: 60_000 });
      assert.equal(await map.locator('.card').count(), cards, 'the same capabilities');
      assert.equal(await map.locator('p.error').count(), 0, 'no stale error under the map');
      await page.screenshot({ path: path.join(artifacts, 'restored-map-1400.png') });
      for (const width of [1280, 800]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForTimeout(500);
        await page.screenshot({ path: path.join(artifacts, `restored-map-${width}.png`) });
        await page.locator('.tab', { hasText: 'demo.jsonl' }).first().click();
        assert.match(await hoverFirstLine(page), /CADC — /);
        await page.screenshot({ path: path.join(artifacts, `restored-hover-${width}.png`) });
        await page.keyboard.press('Escape');
      }
    },
  },
  {
    name: 'Curate from the palette on a file too large for the editor, with a budget checked as it is typed',
    async run(wb, artifacts) {
      const { page } = wb;
      // ~15 MB: the web editor shows "file is very large" instead of a text editor, but the tab is there.
      const demo = readFileSync(path.join(wb.workspace, 'demo.jsonl'), 'utf8');
      writeFileSync(path.join(wb.workspace, 'big.jsonl'), demo.repeat(Math.ceil(15e6 / Buffer.byteLength(demo))));
      // openFile waits for the placeholder to take the focus: a palette opened before it would close.
      await openFile(page, 'big.jsonl');
      assert.match(await page.locator('.part.editor .monaco-editor-pane-placeholder').first().innerText(), /very large/);
      await runCommand(page, 'CADC: Curate');
      await choose(page, 'Custom…');
      const input = page.locator('.quick-input-widget input');
      await input.fill('abc');
      const message = page.locator('.quick-input-widget .quick-input-message');
      await message.filter({ hasText: /expected a share \(5% or 0\.05\) or a count/ }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(artifacts, 'budget-validation.png') });
      await input.fill('3%');
      await message
        .filter({ hasText: /expected/ })
        .waitFor({ state: 'detached', timeout: 10_000 })
        .catch(() => undefined);
      assert.doesNotMatch((await message.innerText().catch(() => '')) ?? '', /expected/);
      await input.press('Enter');
      // The strategy pick: no "last used" before any run in this workspace.
      const cadcRow = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'cadc' }).first();
      await cadcRow.waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'last used' }).count(), 0);
      await page.keyboard.press('Escape');
      assert.equal(
        await page.locator('.notification-toast', { hasText: 'open a .jsonl or .json dataset' }).count(),
        0,
        'the active tab’s file was taken',
      );
    },
  },
  {
    name: 'the Capability Map shows capabilities, curves, the sample map and a paged table',
    async run(wb, artifacts) {
      const { page } = wb;
      await curateFromPalette(page, 'demo.jsonl', '10%');
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('.card').first().waitFor({ timeout: 30_000 });
      const cards = await view.locator('.card').count();
      assert.ok(cards >= 2, `${cards} capability cards`);
      await view.locator('#curve-self .uplot').waitFor({ timeout: 10_000 });
      await view.locator('.trow span').first().waitFor({ timeout: 15_000 });
      const count = await view.locator('#count').innerText();
      assert.match(count, /^1,054 samples$/);
      const rows = await view.locator('.trow').count();
      assert.ok(rows > 5 && rows < 60, `only visible rows are in the DOM (${rows})`);
      // The sample map (laid out in the backend after the overview) has drawn coloured points.
      await view.locator('#map-caption', { hasText: /^UMAP of the learning trajectories/ }).waitFor({ timeout: 90_000 });
      const painted = await view.locator('#scatter').evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
      assert.ok(painted > 500, `painted pixels ${painted}`);
      await page.screenshot({ path: path.join(artifacts, 'capability-map.png') });
      // Filter to selected samples: the count follows.
      await view.locator('select[aria-label="Filter by selection"]').selectOption('1');
      await view.locator('#count', { hasText: /^105 samples$/ }).waitFor({ timeout: 10_000 });
      // Clicking a row reveals its line in the editor.
      const firstLine = Number(await view.locator('.trow span').first().innerText());
      await view.locator('.trow').first().click();
      await page
        .locator('.statusbar-item', { hasText: `Ln ${firstLine},` })
        .first()
        .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(artifacts, 'capability-map-selected.png') });
      // Renaming a capability persists into the manifest.
      await view.locator('.card .name').first().click();
      await view.locator('input.rename').fill('Grounded short answers');
      await view.locator('input.rename').press('Enter');
      await view.locator('.card .name', { hasText: 'c1 · Grounded short answers' }).waitFor({ timeout: 15_000 });
      const saved = JSON.parse(readFileSync(path.join(wb.workspace, 'curation', 'demo.cadc.json'), 'utf8'));
      assert.equal(saved.capabilities[0].name, 'Grounded short answers');
      // … and survives a re-selection from the budget box (the manifest is rewritten at 10%).
      await view.locator('#budget').fill('10%');
      await view.locator('#apply').click();
      const manifestFile = path.join(wb.workspace, 'curation', 'demo.cadc.json');
      let after = saved;
      for (let i = 0; i < 240 && !(after.budget.requested === 0.1 && after.capabilities[0].name === 'Grounded short answers'); i++) {
        await page.waitForTimeout(250);
        try {
          after = JSON.parse(readFileSync(manifestFile, 'utf8'));
        } catch {
          // mid-write: read again
        }
      }
      assert.equal(after.budget.requested, 0.1);
      assert.equal(after.capabilities[0].name, 'Grounded short answers');
      await view.locator('.card .name', { hasText: 'c1 · Grounded short answers' }).waitFor({ timeout: 15_000 });
      // Hidden behind another editor in its group, then shown again: the view comes back with its state.
      await page.locator('.tab', { hasText: 'CADC: Capability Map' }).first().click();
      await openFile(page, 'PROVENANCE.md');
      await page.locator('.tab.active', { hasText: 'PROVENANCE.md' }).first().waitFor({ timeout: 10_000 });
      await page.locator('.tab', { hasText: 'CADC: Capability Map' }).first().click();
      await view.locator('.card .name', { hasText: 'c1 · Grounded short answers' }).waitFor({ timeout: 20_000 });
      assert.equal(await view.locator('select[aria-label="Filter by selection"]').inputValue(), '1', 'the table filter survived');
    },
  },
  {
    name: 'hostile dataset text is rendered as text in the Capability Map',
    async run(wb, artifacts) {
      const { page } = wb;
      const hostile = '<img src=x onerror="document.title=\'pwned\'"></script><b>bold</b>';
      const demo = readFileSync(path.join(wb.workspace, 'demo.jsonl'), 'utf8').trim().split('\n').slice(0, 400);
      const bad = JSON.stringify({
        id: `evil ${hostile}`,
        conversations: [
          { from: 'human', value: hostile },
          { from: 'gpt', value: hostile },
        ],
      });
      writeFileSync(path.join(wb.workspace, 'hostile.jsonl'), [bad, ...demo].join('\n') + '\n');
      await curateFromPalette(page, 'hostile.jsonl', '20%');
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('input[type=search]').fill('evil');
      await view.locator('#count', { hasText: /^1 sample$/ }).waitFor({ timeout: 15_000 });
      const row = view.locator('.trow', { hasText: 'evil' }).first();
      await row.waitFor({ timeout: 15_000 });
      const text = await row.innerText();
      assert.ok(text.includes('<img src=x'), `the markup shows as literal text: ${text}`);
      // Both the id and the instruction preview (read from the file on disk) carry it, as text.
      assert.equal(text.split('<img src=x').length - 1, 2, `id and preview: ${text}`);
      assert.equal(await view.locator('img').count(), 0, 'no <img> element was created from dataset text');
      assert.equal(await view.locator('.trow b').count(), 0, 'no <b> element either');
      await page.screenshot({ path: path.join(artifacts, 'capability-map-hostile.png') });
    },
  },
  {
    name: 'the quality report and a comparison of strategies in the Capability Map',
    async run(wb, artifacts) {
      const { page } = wb;
      // A wide window, so the map beside the editor has room for its tables (as on a desktop monitor).
      await page.setViewportSize({ width: 2400, height: 1500 });
      await curateFromPalette(page, 'demo.jsonl', '10%');
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('#run-quality').click();
      const qt = view.locator('#quality table.figures').first();
      await qt.waitFor({ timeout: 60_000 });
      const q = await qt.innerText();
      assert.match(q, /yes\/no questions not answered yes\/no/);
      // A rate over some of the samples says how many: "37.0% (…of…)" in the pool and the selection columns.
      assert.match(q, /yes\/no questions not answered yes\/no\s+[\d.]+% \([\d,]+ of [\d,]+\)\s+[\d.]+% \([\d,]+ of [\d,]+\)/);
      assert.match(q, /1,054/, 'the pool column counts every sample');
      assert.match(q, /\b105\b/, 'the selection column counts the selected samples');
      await view.locator('#quality').screenshot({ path: path.join(artifacts, 'quality-report.png') });
      // cadc and random are ticked by default; add mmSSR, whose scores CADC's capabilities stand in for.
      await view.locator('#strategy-mmssr').check();
      await view.locator('#run-compare').click();
      const overlap = view.locator('#compare table.overlap');
      await overlap.waitFor({ timeout: 120_000 });
      assert.equal(await overlap.locator('tbody tr').count(), 3);
      assert.equal(await overlap.locator('tbody tr').first().locator('td').first().innerText(), '1.00');
      assert.equal(await view.locator('#compare .stack').count(), 2 * 4, 'capability and style bars for the pool and each strategy');
      assert.match(await view.locator('#compare ul.notes').innerText(), /mmssr:.*stand in/i);
      await view.locator('#compare').screenshot({ path: path.join(artifacts, 'compare-strategies.png') });
    },
  },
  {
    name: 'no image resolves: one summary notification whose button sets the image root, then a curation that finds the images',
    async run(wb, artifacts) {
      const { page } = wb;
      // 30 demo rows in a subfolder: their paths (images/…) are relative to the workspace root, not to nested/.
      mkdirSync(path.join(wb.workspace, 'nested'));
      const rows = readFileSync(path.join(wb.workspace, 'demo.jsonl'), 'utf8').split('\n').slice(0, 30);
      writeFileSync(path.join(wb.workspace, 'nested', 'pool.jsonl'), `${rows.join('\n')}\n`);
      await curateFromPalette(page, 'pool.jsonl', '10%');
      // Read in the notification centre (toasts may be hidden while the editor has the focus).
      await runCommand(page, 'Notifications: Show Notifications');
      await waitForNotification(page, /30 of 30 image paths do not resolve/, 30_000);
      const toast = page
        .locator('.notification-toast, .notifications-center .notification-list-item', { hasText: /30 of 30 image paths do not resolve/ })
        .first();
      await page.screenshot({ path: path.join(artifacts, 'problems-image-root-notification.png') });
      await toast.locator('.monaco-button', { hasText: 'Set Image Root' }).first().click();
      // The folder picker (VS Code's own dialog in the browser): the workspace folder, accepted.
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      // It opens on the dataset's folder (nested/): type the workspace folder; its listing shows images/ and nested/.
      // Wait until the dialog has filled in its starting folder, or it overwrites what is typed.
      await page.waitForFunction(
        () => /\/nested\/?$/.test((document.querySelector('.quick-input-widget input') as HTMLInputElement | null)?.value ?? ''),
        undefined,
        { timeout: 15_000 },
      );
      await page.waitForTimeout(500);
      await input.fill(`${wb.workspace}/`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'images' }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(artifacts, 'problems-image-root-picker.png') });
      await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use as Image Root' }).first().click();
      await waitForNotification(page, 'image paths now resolve against .', 15_000);
      const again = page
        .locator('.notification-toast, .notifications-center .notification-list-item', { hasText: 'image paths now resolve against .' })
        .first();
      const settings = JSON.parse(readFileSync(path.join(wb.workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(settings['cadc.dataset.imageRoot'], '.');
      await again.locator('.monaco-button', { hasText: 'Curate Again' }).first().click();
      await choose(page, '10%');
      await choose(page, 'cadc');
      await choose(page, 'auto');
      // The first run wrote a manifest (nothing selected): replace it.
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'exists' });
      await dialog.waitFor({ timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Replace' }).first().click();
      // The images resolve now: three of the 30 samples selected (10%).
      await page
        .locator('.statusbar-item', { hasText: /CADC: 3 selected/ })
        .first()
        .waitFor({ timeout: 180_000 });
      const manifest = JSON.parse(readFileSync(path.join(wb.workspace, 'curation', 'pool.cadc.json'), 'utf8'));
      // Only line 7 is left out now: its image is missing upstream (demo/PROVENANCE.md).
      assert.deepEqual(manifest.excluded, { total: 1, reasons: [{ code: 'missing-image', count: 1 }] });
      await page.screenshot({ path: path.join(artifacts, 'problems-image-root-fixed.png') });
    },
  },
  {
    name: 'write the curriculum manifest and find it staged in git',
    async run(wb, artifacts) {
      const { page } = wb;
      await curateFromPalette(page, 'demo.jsonl', '5%');
      await runCommand(page, 'CADC: Write Curriculum Manifest');
      // The manifest shows up in the git index (polled: staging is asynchronous).
      let staged: string[] = [];
      for (let i = 0; i < 60 && !staged.includes('curation/demo.cadc.json'); i++) {
        await page.waitForTimeout(250);
        staged = execFileSync('git', ['diff', '--cached', '--name-only'], { cwd: wb.workspace, encoding: 'utf8' }).trim().split('\n');
      }
      assert.ok(staged.includes('curation/demo.cadc.json'), `staged: ${staged.join(', ')}`);
      await page.locator('.activitybar [aria-label^="Source Control"]').first().click();
      // The commit message box is a Monaco editor: its hidden <textarea> is always empty, so read the
      // rendered lines (polled: the message is filled in after staging), with wrapping undone.
      const lines = page.locator('.scm-editor .view-lines').first();
      await lines.waitFor({ timeout: 15_000 });
      let message = '';
      for (let i = 0; i < 60 && !/CADC curriculum/.test(message); i++) {
        // Monaco reuses line elements, so their DOM order is not the text's: order them by their top.
        message = (
          await lines.locator('.view-line').evaluateAll((els) =>
            (els as HTMLElement[])
              .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
              .map((e) => e.textContent ?? '')
              .join(' '),
          )
        ).replace(/\s+/g, ' ');
        if (/CADC curriculum/.test(message)) break;
        // A message taller than the box shows its end (only visible lines are rendered): once the
        // message is in, bring its first line into view.
        if (/samples|stages/.test(message)) {
          // force: the lines re-render while the message settles, so they are seldom "stable"
          await lines.click({ force: true, timeout: 2000 }).catch(() => undefined);
          await page.keyboard.press('Control+Home');
        }
        await page.waitForTimeout(250);
      }
      assert.match(message, /CADC curriculum for demo\.jsonl: 53 of 1054 samples \(budget 5%, seed 42, cadc\)/);
      await page.screenshot({ path: path.join(artifacts, 'manifest-staged.png') });
      // Once committed, a re-selection from the map asks before rewriting the manifest; Cancel keeps it.
      execFileSync('git', ['-c', 'user.name=CADC Test', '-c', 'user.email=test@example.invalid', 'commit', '-q', '-m', 'curriculum'], {
        cwd: wb.workspace,
      });
      await runCommand(page, 'CADC: Show Capability Map');
      const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
      await view.locator('.card').first().waitFor({ timeout: 30_000 });
      await view.locator('#budget').fill('10%');
      await view.locator('#apply').click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'is committed' });
      await dialog.waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(artifacts, 'reselect-committed-confirm.png') });
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      await page.waitForTimeout(1500);
      const status = execFileSync('git', ['status', '--porcelain', '--', 'curation/demo.cadc.json'], {
        cwd: wb.workspace,
        encoding: 'utf8',
      }).trim();
      assert.equal(status, '', 'the committed manifest is untouched after Cancel');
    },
  },
  ...mapTests,
  ...parquetTests,
];
