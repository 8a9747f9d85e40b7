// `npm test` step "gradients": the Python gradient job's tests (jobs/gradients) with Debian's PyTorch
// (installed when missing and root, as Chromium is), a smoke run of its benchmark, then the engine's
// import of the job's output (gradientsImport.test.ts). Prints one line "gradients: N passed, N
// failed" for test/runAll.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { aptInstall } from './workbench';

const REPO = path.resolve(__dirname, '../..');
const JOB = path.join(REPO, 'jobs', 'gradients');
/** Debian's interpreter: a python3 earlier on PATH may lack the Debian packages. */
const PYTHON = process.env.CADC_PYTHON ?? '/usr/bin/python3';

function hasModules(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, numpy, pytest'], { stdio: 'ignore' }).status === 0;
}

/** pytest's summary ("3 failed, 12 passed in 9.1s") as counts. */
export function pytestCounts(out: string): { passed: number; failed: number } | undefined {
  const line = out
    .split('\n')
    .reverse()
    .find((l) => /\b\d+ (passed|failed|error)/.test(l) && / in [\d.]+s/.test(l));
  if (!line) return undefined;
  const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return { passed: n('passed'), failed: n('failed') + n('errors?') };
}

function main(): number {
  if (!existsSync(PYTHON) || !hasModules()) aptInstall(['python3-torch', 'python3-numpy', 'python3-pytest']);
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  const r = spawnSync(PYTHON, ['-m', 'pytest', 'jobs/gradients/tests', '-q', '-p', 'no:cacheprovider', '--color=no'], {
    cwd: REPO,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const counts = pytestCounts(r.stdout) ?? { passed: 0, failed: 1 };
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1;
  // The benchmark's smoke run: the whole job on a few demo samples, results to a temporary file.
  const dir = mkdtempSync(path.join(tmpdir(), 'cadc-grad-smoke-'));
  try {
    const out = path.join(dir, 'gradients.json');
    const b = spawnSync(
      PYTHON,
      ['-m', 'cadc_gradients.bench', '--out', out, '--samples', '16', '--checkpoints', '2', '--batches', '8', '--max-tokens', '96'],
      { cwd: JOB, env, encoding: 'utf8' },
    );
    const ok =
      b.status === 0 &&
      existsSync(out) &&
      (JSON.parse(readFileSync(out, 'utf8')) as { cpu: { runs: { samplesPerSecond: number }[] } }).cpu.runs[0].samplesPerSecond > 0;
    process.stdout.write(`bench smoke: ${ok ? 'ok' : `failed (exit ${b.status})\n${b.stderr}`}\n`);
    if (ok) counts.passed++;
    else counts.failed++;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The engine's import of the job's output (1 and 2 ranks, damaged folders): node's test runner.
  const imp = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/harness/gradientsImport.test.ts'], {
    cwd: REPO,
    env: { ...env, CADC_PYTHON: PYTHON },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  process.stdout.write(imp.stdout);
  process.stderr.write(imp.stderr);
  const tap = (word: string) => Number(new RegExp(`^# ${word} (\\d+)$`, 'm').exec(imp.stdout)?.[1] ?? 0);
  counts.passed += tap('pass');
  counts.failed += tap('fail') + (imp.status !== 0 && tap('fail') === 0 ? 1 : 0);
  process.stdout.write(`gradients: ${counts.passed} passed, ${counts.failed} failed\n`);
  return counts.failed > 0 ? 1 : 0;
}

process.exit(main());
