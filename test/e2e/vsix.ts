// `npm run test:vsix` (a step of `npm test`): packages the linux-x64 VSIX with scripts/package.mjs,
// checks what it holds, installs it into a fresh VS Code server with the server's own
// `--install-extension` (into the extensions folder that server then runs with) and drives the
// *installed* extension in Chromium, without extensionDevelopmentPath: Curate on the demo dataset,
// the Capability Map, a hover. Screenshots go to test/e2e/artifacts/vsix-*.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { makeWorkspace, REPO, startWorkbench } from '../harness/workbench';
import type { Workbench } from '../harness/workbench';
import { assertCleanStart, curateFromPalette, hoverFirstLine, runCommand, waitForCapabilityTags } from './ui';

const ARTIFACTS = path.join(REPO, 'test', 'e2e', 'artifacts');
const TARGET = 'linux-x64';
const MAX_BYTES = 30 * 1024 * 1024;
const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };

/** What a linux-x64 VSIX must not hold, each with the reason. */
const FORBIDDEN: [RegExp, string][] = [
  [/^extension\/node_modules\/onnxruntime-node\/bin\/napi-v6\/(?!linux\/x64\/)/, "another platform's onnxruntime binary"],
  [/^extension\/node_modules\/@img\/sharp-(?!(linux-x64|libvips-linux-x64)\/)/, "another platform's sharp binary"],
  [/^extension\/(test|bench|src|webview|scripts|demo|\.cache|\.tmp)\//, 'sources, tests, benchmarks or caches'],
  [/^extension\/node_modules\/(adm-zip|global-agent|typescript|esbuild|playwright-core|@vscode)\//, 'a package the extension does not run'],
  [/\.(map|ts|vsix)$/, 'a source map, TypeScript source or nested VSIX'],
  [/codicon\.(html|csv|svg)$|codicons\/metadata\.json$/, 'a codicon extra'],
];

const REQUIRED = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/backend.js',
  'extension/dist/cli.js',
  'extension/dist/sql-wasm.wasm',
  'extension/media/icon.png',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  'extension/node_modules/@img/sharp-linux-x64/package.json',
  'extension/node_modules/@img/sharp-libvips-linux-x64/package.json',
];

/** Command lines (from /proc) of the processes whose command line contains `needle`. */
function processesRunning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle)) out.push(cmd);
    } catch {
      // gone
    }
  }
  return out;
}

interface Check {
  name: string;
  run(): Promise<void>;
}

async function main(): Promise<number> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = mkdtempSync(path.join(tmpdir(), 'cadc-vsix-'));
  const vsix = path.join(out, `${manifest.name}-${TARGET}-${manifest.version}.vsix`);
  const workspace = makeWorkspace();
  rmSync(path.join(ARTIFACTS, 'FAILED-vsix.png'), { force: true });
  let wb: Workbench | undefined;
  const checks: Check[] = [
    {
      name: `npm run package -- --target ${TARGET} builds ${path.basename(vsix)}`,
      async run() {
        const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), '--target', TARGET, '--out', out], {
          cwd: REPO,
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, `package.mjs failed:\n${r.stdout}\n${r.stderr}`);
        assert.ok(existsSync(vsix), `no ${vsix}`);
      },
    },
    {
      name: `the ${TARGET} VSIX holds the bundles and ${TARGET}'s native binaries only, in at most 30 MB`,
      async run() {
        const bytes = statSync(vsix).size;
        const zip = await JSZip.loadAsync(readFileSync(vsix));
        const files = Object.values(zip.files)
          .filter((f) => !f.dir)
          .map((f) => f.name);
        process.stdout.write(`    ${path.basename(vsix)}: ${(bytes / 1024 / 1024).toFixed(1)} MB, ${files.length} files\n`);
        assert.ok(bytes <= MAX_BYTES, `${bytes} bytes > 30 MB`);
        for (const f of REQUIRED) assert.ok(files.includes(f), `missing ${f}`);
        const bad = files.flatMap((f) => FORBIDDEN.filter(([re]) => re.test(f)).map(([, why]) => `${f} (${why})`));
        assert.deepEqual(bad, [], 'files that must not ship');
        const vsixManifest = await zip.file('extension.vsixmanifest')!.async('string');
        assert.match(vsixManifest, new RegExp(`TargetPlatform="${TARGET}"`));
        const pkg = JSON.parse(await zip.file('extension/package.json')!.async('string'));
        assert.equal(pkg.icon, 'media/icon.png');
        assert.match(pkg.repository.url, /^https:\/\/github\.com\//);
      },
    },
    {
      name: 'the installed VSIX (no extensionDevelopmentPath) curates the demo, opens the Capability Map and shows a hover',
      async run() {
        wb = await startWorkbench({ workspace, vsix });
        const installed = readdirSync(wb.extensionsDir).filter((d) => d.startsWith(`${manifest.publisher}.${manifest.name}-`));
        assert.deepEqual(
          installed,
          [`${manifest.publisher}.${manifest.name}-${manifest.version}`],
          "installed into the server's extensions folder",
        );
        const extDir = path.join(wb.extensionsDir, installed[0]);
        assert.ok(existsSync(path.join(extDir, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')));
        assert.ok(!wb.url.includes('extensionDevelopmentPath'), 'no development extension');
        const { page } = wb;
        await assertCleanStart(page);
        const status = await curateFromPalette(page, 'demo.jsonl', '10%');
        assert.match(status, /CADC: \d+ selected, \d+ capabilities/);
        // The curation ran in the installed copy's backend, not the repository's.
        const backends = processesRunning('dist/backend.js');
        assert.ok(
          backends.some((cmd) => cmd.includes(path.join(extDir, 'dist', 'backend.js'))),
          `backend processes: ${backends.join(' | ')}`,
        );
        assert.ok(!backends.some((cmd) => cmd.includes(path.join(REPO, 'dist'))), `a backend from the repository: ${backends.join(' | ')}`);
        await waitForCapabilityTags(page);
        const hover = await hoverFirstLine(page);
        assert.match(hover, /CADC — .+ \(c\d+\)/);
        await page.screenshot({ path: path.join(ARTIFACTS, 'vsix-hover.png') });
        await page.mouse.move(0, 0);
        await runCommand(page, 'CADC: Show Capability Map');
        const view = page.frameLocator('iframe.webview').frameLocator('#active-frame');
        await view.locator('.card').first().waitFor({ timeout: 30_000 });
        assert.ok((await view.locator('.card').count()) >= 2, 'capability cards');
        await view.locator('#count', { hasText: /^1,054 samples$/ }).waitFor({ timeout: 15_000 });
        await page.screenshot({ path: path.join(ARTIFACTS, 'vsix-capability-map.png') });
      },
    },
  ];
  let passed = 0;
  let failed = 0;
  try {
    for (const c of checks) {
      const started = Date.now();
      try {
        if (failed > 0) throw new Error('skipped: an earlier step failed');
        await c.run();
        passed++;
        process.stdout.write(`  ✔ ${c.name} (${Date.now() - started} ms)\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`  ✖ ${c.name}\n    ${(e as Error).stack ?? e}\n`);
        if (wb) await wb.page.screenshot({ path: path.join(ARTIFACTS, 'FAILED-vsix.png') }).catch(() => undefined);
      }
    }
  } finally {
    await wb?.stop();
    rmSync(out, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  }
  process.stdout.write(`vsix: ${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`vsix: harness failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
