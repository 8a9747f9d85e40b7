// `npm test`: build, typecheck, lint, unit, integration (real VS Code extension host), host-node (the
// engine's unit tests on the extension host's Node), gradients (the
// Python gradient job's tests), e2e (real
// workbench in Chromium), vsix (the packaged extension, installed). Continues after a failure; ends with one line "N passed, N failed".
import { spawn } from 'node:child_process';

const steps = [
  { name: 'build', cmd: ['node', 'esbuild.config.mjs'] },
  { name: 'typecheck', cmd: ['node', 'scripts/typecheck.mjs'] },
  { name: 'lint', cmd: ['npm', 'run', '-s', 'lint'] },
  { name: 'unit', cmd: ['node', 'test/runUnit.mjs'], count: /^ℹ pass (\d+)$|^ℹ fail (\d+)$/ },
  { name: 'integration', cmd: ['node', 'dist/test/integration/runCodeServer.js'], count: /integration: (\d+) passed, (\d+) failed/ },
  // The engine's unit tests on the extension host's Node (code-server's Node 24, installed by the step above).
  { name: 'host-node', cmd: ['node', 'dist/test/harness/hostNode.js'], count: /^host-node: (\d+) passed, (\d+) failed/ },
  // The Python gradient job (jobs/gradients): pytest with Debian's PyTorch, and its benchmark's smoke run.
  { name: 'gradients', cmd: ['node', '--import', 'tsx', 'test/harness/gradients.ts'], count: /^gradients: (\d+) passed, (\d+) failed/ },
  { name: 'e2e', cmd: ['node', 'dist/test/e2e/run.js'], count: /^e2e: (\d+) passed, (\d+) failed/ },
  // Packages the linux-x64 VSIX, checks its contents, installs it and drives the installed extension.
  { name: 'vsix', cmd: ['node', 'dist/test/e2e/vsix.js'], count: /^vsix: (\d+) passed, (\d+) failed/ },
];

function runStep(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    process.stdout.write(`\n=== ${step.name}: ${step.cmd.join(' ')}\n`);
    const child = spawn(step.cmd[0], step.cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let passed = 0;
    let failed = 0;
    let seen = false;
    const scan = (buf, out) => {
      out.write(buf);
      if (!step.count) return;
      for (const line of buf.toString().split('\n')) {
        const m = step.count.exec(line.replace(/^info \[?"?/, '').trim());
        if (!m) continue;
        seen = true;
        if (step.name === 'unit') {
          if (m[1] !== undefined) passed = Number(m[1]);
          if (m[2] !== undefined) failed = Number(m[2]);
        } else {
          passed = Number(m[1]);
          failed = Number(m[2]);
        }
      }
    };
    child.stdout.on('data', (b) => scan(b, process.stdout));
    child.stderr.on('data', (b) => scan(b, process.stderr));
    child.on('close', (code) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (!step.count) {
        resolve({ name: step.name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, code, secs });
        return;
      }
      // A runner that exits non-zero without reporting failures still counts as a failure.
      if (code !== 0 && failed === 0) failed = 1;
      if (!seen && code === 0) failed = 1;
      resolve({ name: step.name, passed, failed, code, secs });
    });
  });
}

const only = process.argv.slice(2);
const results = [];
for (const step of steps.filter((s) => only.length === 0 || only.includes(s.name))) results.push(await runStep(step));
process.stdout.write('\n=== summary\n');
for (const r of results)
  process.stdout.write(
    `${r.name.padEnd(12)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  (${r.secs} s, exit ${r.code})\n`,
  );
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
