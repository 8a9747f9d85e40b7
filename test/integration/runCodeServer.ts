// Runs the integration tests in a real VS Code extension host: code-server's VS Code server,
// opened in headless Chromium with the extensionDevelopmentPath/extensionTestsPath payload. The
// tests' exit code arrives through window.codeAutomationExit.
//
// Two passes: every suite in a trusted workspace (workspace trust off), then the untrusted-workspace
// suite in a workspace opened in restricted mode (trust on, no prompt) whose .vscode/settings.json
// sets every restricted setting to a hostile value. `--grep X` runs only the first pass, filtered;
// `--untrusted` only the second. The last line sums both: `integration: N passed, M failed`.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, REPO, startWorkbench } from '../harness/workbench';

const PASS_LINE = /integration: (\d+) passed, (\d+) failed/;

async function pass(
  name: string,
  workspace: string,
  settings?: Record<string, unknown>,
): Promise<{ code: number; passed: number; failed: number }> {
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let passed = 0;
  let failed = 0;
  const wb = await startWorkbench({
    workspace,
    extensionTestsPath: path.join(REPO, 'dist', 'test', 'integration', 'index'),
    settings,
    onLog: (line) => {
      const m = PASS_LINE.exec(line);
      if (m) [passed, failed] = [Number(m[1]), Number(m[2])];
      // Only the final sum carries the `integration: … passed` form that test/runAll.mjs reads.
      process.stdout.write(`${m ? line.replace(PASS_LINE, `integration (${name}): $1 passed, $2 failed`) : line}\n`);
    },
    onExit: (code) => resolveExit(code),
  });
  const timeout = new Promise<number>((r) =>
    setTimeout(() => {
      process.stderr.write(`integration (${name}): timed out after 15 min\n${wb.logs.slice(-40).join('\n')}\n`);
      r(124);
    }, 15 * 60_000),
  );
  const code = await Promise.race([exited, timeout]);
  await wb.stop();
  if (code !== 0) process.stderr.write(`integration (${name}): extension host tests exited with ${code}\n`);
  return { code, passed, failed: code !== 0 && failed === 0 ? 1 : failed };
}

/**
 * A workspace that is hostile through its settings, with a real manifest (the CLI on 300 demo
 * lines) for Write Curriculum Manifest to refuse.
 */
function untrustedWorkspace(): string {
  const ws = makeWorkspace({
    '.vscode/settings.json': JSON.stringify(
      {
        'cadc.manifest.writeStageSubsets': true,
        'cadc.manifest.folder': '../cadc-escaped',
        'cadc.dataset.imageRoot': '/',
        'cadc.curation.scoresFile': '/etc/passwd',
        'cadc.decorations.enabled': false,
      },
      null,
      2,
    ),
  });
  writeFileSync(
    path.join(ws, 'small.jsonl'),
    readFileSync(path.join(ws, 'demo.jsonl'), 'utf8').split('\n').slice(0, 300).join('\n') + '\n',
  );
  const r = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'dist', 'cli.js'),
      'curate',
      path.join(ws, 'small.jsonl'),
      '--out',
      path.join(ws, 'curation'),
      '--no-cache',
      '--budget',
      '20%',
      '--quiet',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`cadc curate for the untrusted workspace failed (${r.status}): ${r.stderr}`);
  return ws;
}

async function main(): Promise<number> {
  const grep = process.argv.indexOf('--grep');
  const onlyUntrusted = process.argv.includes('--untrusted');
  const results: { code: number; passed: number; failed: number }[] = [];
  if (!onlyUntrusted) {
    if (grep >= 0) process.env.CADC_TEST_GREP = process.argv[grep + 1];
    results.push(await pass('trusted', makeWorkspace()));
  }
  if (onlyUntrusted || grep < 0) {
    // Read by the extension host (it inherits the server's environment): suite/untrusted.test.ts.
    process.env.CADC_TEST_UNTRUSTED = '1';
    process.env.CADC_TEST_GREP = 'CADC in an untrusted workspace';
    results.push(
      await pass('untrusted', untrustedWorkspace(), {
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
        'security.workspace.trust.emptyWindow': false,
      }),
    );
  }
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  process.stdout.write(`integration: ${passed} passed, ${failed} failed\n`);
  return results.every((r) => r.code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`integration: harness failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
