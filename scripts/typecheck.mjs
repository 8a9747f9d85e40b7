// Typechecks the three worlds apart: everything (tsconfig.json), the engine and its protocol without
// the DOM or vscode (tsconfig.core.json), and the webview without Node or vscode
// (tsconfig.webview.json), so a browser API in the core or a Node API in the webview fails here.
import { spawnSync } from 'node:child_process';

let failed = 0;
for (const project of ['tsconfig.json', 'tsconfig.core.json', 'tsconfig.webview.json']) {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit'], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`typecheck: ${project} failed`);
  }
}
process.exit(failed ? 1 : 0);
