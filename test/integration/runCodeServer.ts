// Runs the integration tests in a real VS Code extension host: code-server's VS Code server,
// opened in headless Chromium with the extensionDevelopmentPath/extensionTestsPath payload. The
// tests' exit code arrives through window.codeAutomationExit.
import * as path from 'node:path';
import { makeWorkspace, REPO, startWorkbench } from '../harness/workbench';

async function main(): Promise<number> {
  const grep = process.argv.indexOf('--grep');
  if (grep >= 0) process.env.CADC_TEST_GREP = process.argv[grep + 1];
  const workspace = makeWorkspace();
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const wb = await startWorkbench({
    workspace,
    extensionTestsPath: path.join(REPO, 'dist', 'test', 'integration', 'index'),
    onLog: (line) => process.stdout.write(`${line}\n`),
    onExit: (code) => resolveExit(code),
  });
  const timeout = new Promise<number>((r) =>
    setTimeout(() => {
      process.stderr.write(`integration: timed out after 15 min\n${wb.logs.slice(-40).join('\n')}\n`);
      r(124);
    }, 15 * 60_000),
  );
  const code = await Promise.race([exited, timeout]);
  await wb.stop();
  if (code !== 0) process.stderr.write(`integration: extension host tests exited with ${code}\n`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`integration: harness failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
