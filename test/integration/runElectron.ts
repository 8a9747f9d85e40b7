// The same integration tests through @vscode/test-electron, for machines that can download VS Code
// (or have one: set CADC_VSCODE_EXECUTABLE to its executable). These machines cannot; there the
// code-server launcher (runCodeServer.ts) is used instead.
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { makeWorkspace, REPO } from '../harness/workbench';

async function main(): Promise<void> {
  const workspace = makeWorkspace();
  await runTests({
    extensionDevelopmentPath: REPO,
    extensionTestsPath: path.join(REPO, 'dist', 'test', 'integration', 'index'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    ...(process.env.CADC_VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.CADC_VSCODE_EXECUTABLE } : {}),
  });
}

main().catch((e) => {
  process.stderr.write(`integration (electron): ${(e as Error).message}\n`);
  process.exit(1);
});
