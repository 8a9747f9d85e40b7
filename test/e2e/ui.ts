// Small helpers for driving the VS Code workbench like a person.
import type { Page } from 'playwright-core';

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 90_000 }).catch(() => undefined);
}

/**
 * Fails with the dialog's text when a modal dialog is open: it makes every other input inert, so
 * without this a step behind it would only time out.
 */
export async function assertNoModal(page: Page): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  if (await dialog.count()) {
    const text = (
      await dialog
        .first()
        .innerText()
        .catch(() => '')
    )
      .replace(/\s+/g, ' ')
      .trim();
    throw new Error(`a modal dialog is open: "${text}"`);
  }
}

/** What a scenario starts from: the workbench up, no modal, no quick input, no editor, no panel. */
export async function assertCleanStart(page: Page): Promise<void> {
  await waitForWorkbench(page);
  await assertNoModal(page);
  const leftovers = {
    'quick input': await page.locator('.quick-input-widget:visible').count(),
    'editor tabs': await page.locator('.tabs-container .tab').count(),
    panel: await page.locator('.part.panel:visible').count(),
  };
  const open = Object.entries(leftovers)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  if (open.length) throw new Error(`the scenario did not start from a closed UI: ${open.join(', ')}`);
}

/** F1, type the command title, Enter. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await assertNoModal(page);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  // Contributed commands can appear a moment after the workbench: retype until the row shows.
  const row = page
    .locator('.quick-input-list .monaco-list-row', {
      has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }),
    })
    .first();
  for (let attempt = 0; ; attempt++) {
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await input.fill('>');
    }
  }
  // Click the matching row: Enter would run whichever row happens to be focused.
  await row.click();
}

/** Picks an item in an open quick pick by its label. */
export async function choose(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

export async function openFile(page: Page, name: string): Promise<void> {
  await assertNoModal(page);
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  // With the focus inside a webview, Ctrl+P can open Quick Open without giving its input the
  // keyboard, and a focus change (a webview or notification taking it) can close Quick Open between
  // its opening and the typing: close it and open it again from the workbench, up to three times.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill(name, { timeout: 5_000 });
      await row.waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
      await page.keyboard.press('Escape');
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    }
  }
  await row.click();
  await page.locator(`.tab[aria-label*="${name}"]`).first().waitFor({ timeout: 15_000 });
  await waitForEditorFocus(page);
}

/**
 * Waits until the active editor group's editor has the keyboard focus: its text editor, or the
 * placeholder shown for a file too large to display. The tab appears before the editor is resolved,
 * and the editor takes the focus when it is (for a large file, seconds later): a quick input opened
 * in between loses the focus and closes, so a command typed into it is lost.
 */
export async function waitForEditorFocus(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const a = document.activeElement;
      return !!a?.closest('.part.editor .editor-group-container.active') && !!a.closest('.monaco-editor, .monaco-editor-pane-placeholder');
    },
    undefined,
    { timeout: 30_000 },
  );
}

export async function waitForNotification(page: Page, text: string | RegExp, timeout = 120_000): Promise<string> {
  const toast = page.locator('.notification-toast, .notifications-center .notification-list-item', { hasText: text }).first();
  await toast.waitFor({ timeout });
  return (await toast.innerText()).trim();
}

/** Opens a dataset and runs CADC: Curate from the palette like a person; resolves with the status bar text. */
export async function curateFromPalette(page: Page, file: string, budget: string): Promise<string> {
  await waitForWorkbench(page);
  await openFile(page, file);
  // Right after start-up the first command can be swallowed while the extension host comes up:
  // if the budget picker does not show, run the command once more, as a person would.
  for (let attempt = 0; ; attempt++) {
    await runCommand(page, 'CADC: Curate');
    try {
      await page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: budget })
        .first()
        .waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt >= 1) throw e;
      await page.keyboard.press('Escape');
    }
  }
  await choose(page, budget);
  await choose(page, 'cadc');
  await choose(page, 'auto');
  const status = page.locator('.statusbar-item', { hasText: /CADC: \d+ selected/ }).first();
  await status.waitFor({ timeout: 180_000 });
  return status.innerText();
}

/** Waits for the capability tags on the editor's lines; resolves with the first one's text. */
export async function waitForCapabilityTags(page: Page): Promise<string> {
  // Tags are drawn after the end of the visible lines (decorations rendered as ::after content).
  const handle = await page.waitForFunction(
    () => {
      for (const el of document.querySelectorAll('.monaco-editor .view-line span')) {
        const c = getComputedStyle(el, '::after').content;
        if (c && c !== 'none' && c !== 'normal' && c.length > 2) return c.replace(/^"|"$/g, '');
      }
      return false;
    },
    undefined,
    { timeout: 60_000 },
  );
  return String(await handle.jsonValue());
}

/** Hovers the first line of the editor and returns the text of CADC's hover. */
export async function hoverFirstLine(page: Page): Promise<string> {
  const first = page.locator('.monaco-editor .view-line').first();
  await first.hover({ position: { x: 40, y: 5 } });
  const hover = page.locator('.monaco-hover-content', { hasText: 'CADC' }).first();
  await hover.waitFor({ timeout: 20_000 });
  return hover.innerText();
}
