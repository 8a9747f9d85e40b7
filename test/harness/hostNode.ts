// The engine's unit tests again, on the Node the extension host runs: code-server's Node 24 here (VS
// Code desktop runs Electron's, whose recent builds have Float16Array too). The backend runs on that Node,
// not on the one the CLI and the unit suite use (Node 20 on this machine), and the two differ where it
// matters: with Float16Array present, onnxruntime-common wraps a 'float16' tensor's data in one and
// onnxruntime-node then read no bytes from it. Only the integration suite caught that; this step runs the
// engine's own tests (everything the backend imports) on the host's Node. Prints
// "host-node: N passed, M failed".
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ensureCodeServer, REPO } from './workbench';

/** test/unit folders whose code runs in the backend process (not the CLI-only, extension-only or bench ones). */
const ENGINE = [
  'backend',
  'capabilities',
  'curriculum',
  'dataset',
  'export',
  'features',
  'gradients',
  'ort',
  'pipeline',
  'protocol',
  'proxy',
  'report',
  'selection',
  'store',
  'util',
];

async function main(): Promise<number> {
  const { node } = ensureCodeServer();
  const version = (await capture(node, ['-p', 'process.versions.node + " " + typeof Float16Array'])).trim();
  process.stdout.write(`host-node: ${node} (Node ${version})\n`);
  let passed = 0;
  let failed = 0;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(node, ['test/runUnit.mjs', ...ENGINE.map((f) => `test/unit/${f}/`)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH}`, FORCE_COLOR: '0' },
    });
    child.stdout.on('data', (b: Buffer) => {
      process.stdout.write(b);
      for (const line of b.toString().split('\n')) {
        const p = /^ℹ pass (\d+)$/.exec(line.trim());
        const f = /^ℹ fail (\d+)$/.exec(line.trim());
        if (p) passed = Number(p[1]);
        if (f) failed = Number(f[1]);
      }
    });
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0 && failed === 0) failed = 1;
  process.stdout.write(`host-node: ${passed} passed, ${failed} failed\n`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`host-node: harness failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
