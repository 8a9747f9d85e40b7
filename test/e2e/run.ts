// End-to-end tests in the real workbench (code-server + Debian Chromium via playwright-core).
// Each test gets a fresh server, browser profile and page on its own temp copy of demo/ (removed
// afterwards), and first checks that it starts from a closed UI; screenshots go to test/e2e/artifacts/.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, REPO, startWorkbench } from '../harness/workbench';
import type { Workbench } from '../harness/workbench';
import { tests } from './tests';
import { assertCleanStart } from './ui';

export const ARTIFACTS = path.join(REPO, 'test', 'e2e', 'artifacts');

async function main(): Promise<number> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A failure screenshot belongs to the run that took it.
  for (const f of readdirSync(ARTIFACTS)) if (f.startsWith('FAILED-')) rmSync(path.join(ARTIFACTS, f));
  const grep = process.argv.indexOf('--grep');
  const pattern = grep >= 0 ? new RegExp(process.argv[grep + 1]) : undefined;
  let passed = 0;
  let failed = 0;
  for (const t of tests.filter((x) => (pattern ? pattern.test(x.name) : !x.quarantined))) {
    let wb: Workbench | undefined;
    const started = Date.now();
    const workspace = makeWorkspace();
    try {
      wb = await startWorkbench({ workspace });
      await assertCleanStart(wb.page);
      await t.run(wb, ARTIFACTS);
      passed++;
      process.stdout.write(`  ✔ ${t.name} (${Date.now() - started} ms)\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`  ✖ ${t.name}\n    ${(e as Error).stack ?? e}\n`);
      if (wb) await wb.page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${t.name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    } finally {
      await wb?.stop();
      rmSync(workspace, { recursive: true, force: true });
    }
  }
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`e2e: harness failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
