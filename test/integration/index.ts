// Mocha entry run INSIDE the VS Code extension host (code-server or @vscode/test-electron): loads
// every dist/test/integration/suite/*.test.js and resolves with the failure count.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

export async function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as typeof import('mocha');
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec', grep: process.env.CADC_TEST_GREP || undefined });
  const dir = path.join(__dirname, 'suite');
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(path.join(dir, f));
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      console.log(`integration: ${passed} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (passed === 0) reject(new Error('no integration test ran'));
      else resolve();
    });
  });
}
