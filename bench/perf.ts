// Speed and memory of the pipeline on pools of growing size. The larger pools are made by
// replicating ../shared/datasets/llava-eval-pool with seeded perturbations (a suffix token on each
// question and answer, so the copies are not exact duplicates) — said plainly in the results.
// Run: npx tsx bench/perf.ts [--sizes 4548,45480,665000] [--smoke]
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { resolveConfig } from '../src/core/config';
import { runCuration } from '../src/core/pipeline/run';
import { Rng } from '../src/core/util/rng';

const REPO = resolve(__dirname, '..');
const SOURCE = resolve(REPO, '../shared/datasets/llava-eval-pool/llava-eval-pool.jsonl');

async function makePool(n: number, file: string, seed: number): Promise<void> {
  const lines: string[] = [];
  for await (const l of createInterface({ input: createReadStream(SOURCE) })) if (l.trim()) lines.push(l);
  const out = createWriteStream(file);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const base = lines[i % lines.length];
    const copy = Math.floor(i / lines.length);
    if (copy === 0) out.write(`${base}\n`);
    else {
      const rec = JSON.parse(base);
      rec.id = `${rec.id}-r${copy}`;
      const tag = ` v${rng.int(1000)}`;
      rec.conversations[0].value += tag;
      out.write(`${JSON.stringify(rec)}\n`);
    }
  }
  await new Promise<void>((r) => out.end(r));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const si = args.indexOf('--sizes');
  const sizes = smoke ? [2000] : si >= 0 ? args[si + 1].split(',').map(Number) : [4548, 45480, 665000];
  const dir = join(tmpdir(), `cadc-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const results: unknown[] = [];
  try {
    for (const n of sizes) {
      const file = join(dir, `pool-${n}.jsonl`);
      await makePool(n, file, 7);
      const cache = join(dir, `cache-${n}`);
      const t0 = performance.now();
      const run = await runCuration({ datasetPath: file, config: resolveConfig({}), cacheDir: cache });
      const wall = performance.now() - t0;
      const t1 = performance.now();
      const rerun = await runCuration({ datasetPath: file, config: resolveConfig({}), cacheDir: cache });
      const rerunWall = performance.now() - t1;
      // Peak resident set of the process so far (sizes run in ascending order).
      const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
      const row = {
        samples: n,
        replicated: n > 45480,
        wallSeconds: +(wall / 1000).toFixed(2),
        samplesPerSecond: Math.round(n / (wall / 1000)),
        stagesMs: run.timingsMs,
        cacheHitRerunSeconds: +(rerunWall / 1000).toFixed(2),
        cacheHit: rerun.cacheHit,
        peakRssMB: Math.round(peak / 1e6),
        capabilities: run.capabilities.K,
        selected: run.selection.selected.length,
        trajectoryBytesPerSample: run.trajectories.bytesPerSample,
      };
      results.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
      rmSync(file, { force: true });
      rmSync(cache, { recursive: true, force: true });
      if (global.gc) global.gc();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = {
    benchmark: 'perf',
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    note: 'Pools larger than 45,480 replicate llava-eval-pool with a seeded suffix token on each question; images are not on disk (text-only pipeline).',
    results,
  };
  if (!smoke) {
    mkdirSync(join(REPO, 'bench/results'), { recursive: true });
    writeFileSync(join(REPO, 'bench/results/perf.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
