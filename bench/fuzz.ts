// Peak memory and time of the real CLI on the fuzz dataset (test/fuzz/generate.ts: 20,000 hostile
// lines with a 10 MB and a 100 MB line, 100,000-deep nesting, invalid UTF-8, BOMs, …). The CLI runs
// as a child process with a preload that reports its own getrusage peak RSS (maxRSS) at exit, so the
// number is the CLI's alone. Not a timed test: test/unit/fuzz/ checks correctness on the same file.
// Run: node esbuild.config.mjs --only cli && npx tsx bench/fuzz.ts [--smoke] [--lines N] [--seed S]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFuzzDataset } from '../test/fuzz/generate';
import { publishReport } from './results';

const REPO = resolve(__dirname, '..');
const CLI = join(REPO, 'dist/cli.js');
const la = () => loadavg().map((x) => +x.toFixed(2));

// Preloaded into the CLI: writes its peak RSS (KiB, getrusage ru_maxrss) when the process exits.
const PRELOAD = `process.on('exit', () => require('fs').writeFileSync(process.env.CADC_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`;

function main(): void {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
  const lines = arg('--lines', smoke ? 2000 : 20_000);
  const seed = arg('--seed', 20261201);
  const build = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'cli'], { cwd: REPO, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'cadc-bench-fuzz-'));
  try {
    const file = join(dir, 'fuzz.jsonl');
    const hugeLineBytes = smoke ? 20e6 : 100e6;
    const bigLineBytes = smoke ? 1e6 : 10e6;
    let t0 = performance.now();
    const truth = writeFuzzDataset(file, { seed, lines, hugeLineBytes, bigLineBytes });
    const generateMs = Math.round(performance.now() - t0);
    const preload = join(dir, 'maxrss.cjs');
    writeFileSync(preload, PRELOAD);
    const rssFile = join(dir, 'maxrss');
    const loadBefore = la();
    t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        '--require',
        preload,
        CLI,
        'curate',
        file,
        '--out',
        join(dir, 'curation'),
        '--json',
        '--attributions',
        '--quiet',
        '--no-cache',
        '--seed',
        '1',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CADC_BENCH_RSS_FILE: rssFile } },
    );
    const wallMs = Math.round(performance.now() - t0);
    if (r.status !== 0) throw new Error(`cadc curate exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    const out = JSON.parse(r.stdout) as {
      samples: number;
      invalidLines: number;
      selected: number;
      timingsMs: Record<string, number>;
      diagnosticCounts: Record<string, number>;
    };
    const peakKiB = Number(readFileSync(rssFile, 'utf8'));
    const report = {
      benchmark: 'fuzz',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      dataset: {
        generator: 'test/fuzz/generate.ts',
        seed,
        lines,
        bytes: truth.bytes,
        good: truth.good.length,
        bad: truth.bad.size,
        blank: truth.blank.length,
        bigLineBytes,
        hugeLineBytes,
        generateMs,
      },
      command: 'node dist/cli.js curate fuzz.jsonl --json --attributions --quiet --no-cache --seed 1',
      exit: r.status,
      peakRssMiB: +(peakKiB / 1024).toFixed(1),
      wallMs,
      timingsMs: out.timingsMs,
      samples: out.samples,
      invalidLines: out.invalidLines,
      selected: out.selected,
      diagnosticCounts: out.diagnosticCounts,
      loadavg: { before: loadBefore, after: la() },
      loadNote:
        loadBefore[0] > 1
          ? `The 1-minute load average was ${loadBefore[0]} on ${cpus().length} cores at the start: other work on the machine makes times noisy (peak RSS is not affected).`
          : 'Load was low at the start.',
    };
    publishReport('fuzz', report, smoke);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
