// `npm run demo:ui`: the demo workspace in a real VS Code workbench (code-server on 127.0.0.1) with
// the extension loaded. Prints the URL to open in a browser and stays up until Ctrl+C.
// With --screenshot: runs CADC: Curate on the demo dataset, saves test/e2e/artifacts/demo.png, exits.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, REPO, startWorkbench } from '../harness/workbench';
import { curateFromPalette } from './ui';

async function main(): Promise<void> {
  const wb = await startWorkbench({ workspace: makeWorkspace() });
  if (process.argv.includes('--screenshot')) {
    const artifacts = path.join(REPO, 'test', 'e2e', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    await curateFromPalette(wb.page, 'demo.jsonl', '5%');
    await wb.page.screenshot({ path: path.join(artifacts, 'demo.png') });
    process.stdout.write(`screenshot: ${path.join(artifacts, 'demo.png')}\n`);
    await wb.stop();
    return;
  }
  process.stdout.write(`\nCADC demo workbench: ${wb.url}\nWorkspace (a temp copy of demo/): ${wb.workspace}\nPress Ctrl+C to stop.\n`);
  await new Promise(() => undefined);
}

main().catch((e) => {
  process.stderr.write(`demo:ui: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
