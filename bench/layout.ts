// The Capability Map's sample map: how long the backend takes to lay out a run (UMAP of the
// trajectories of a stratified subsample, src/backend/layoutCache.ts) at growing numbers of points,
// from a curation of the 45K pool, and how long reading it back from the cache takes. Phases: read the
// subsample's trajectory rows + exact kNN (ORT GEMM), then the UMAP epochs (umap-js).
// Run: npx tsx bench/layout.ts [dataset.jsonl] [--points 1000,2500,5000,10000] [--smoke]
// (--smoke: the in-repo fixture, 1,000 points, nothing written)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAYOUT_EPOCHS, sampleLayout } from '../src/backend/layoutCache';
import type { LayoutRequest } from '../src/backend/layoutCache';
import { resolveConfig } from '../src/core/config';
import { runCuration } from '../src/core/pipeline/run';
import { CurationCache } from '../src/core/store/cache';
import { benchDataset, datasetLabel, runBench } from './data';
import { publishReport } from './results';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const positional = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--points');
  const file = benchDataset(positional, smoke);
  const points = (arg('--points') ?? (smoke ? '1000' : '1000,2500,5000,10000')).split(',').map(Number);
  const cacheDir = mkdtempSync(join(tmpdir(), 'cadc-bench-layout-'));
  const before = loadavg().map((x) => +x.toFixed(2));
  try {
    const config = resolveConfig({});
    const t0 = performance.now();
    const run = await runCuration({ datasetPath: file, config, cacheDir });
    const curateMs = Math.round(performance.now() - t0);
    const sha = run.summary.sha256;
    const cache = await CurationCache.open(cacheDir);
    const table = (await cache.openAttributions(sha))!;
    const rows = [...table.scan()];
    table.close();
    const base: Omit<LayoutRequest, 'subsample'> = {
      cacheDir,
      sha256: sha,
      checkpoints: run.warmup.checkpoints.map((c) => ({ t: c.t, eta: +c.eta.toFixed(6), trainLoss: +c.trainLoss.toFixed(6) })),
      seed: config.seed,
      rows,
    };
    const results = [];
    for (const p of points) {
      const sub = { max: p, maxSelected: Math.min(2000, Math.floor(p * 0.4)) };
      let knnDoneAt = 0;
      let readAt = 0;
      const started = performance.now();
      const rssBefore = process.memoryUsage().rss;
      const cold = await sampleLayout({
        ...base,
        subsample: sub,
        onProgress: (f, message) => {
          if (f === 0 && /^Reading/.test(message)) readAt = performance.now();
          if (f >= 0.2 && !knnDoneAt) knnDoneAt = performance.now();
        },
      });
      const end = performance.now();
      const warm = await sampleLayout({ ...base, subsample: sub });
      if (!warm.cached) throw new Error('the layout was not read back from the cache');
      results.push({
        points: cold.index.length,
        method: cold.method,
        dims: cold.dims,
        coldMs: Math.round(end - started),
        subsampleMs: Math.round((readAt || started) - started),
        readAndKnnMs: Math.round(knnDoneAt - (readAt || started)),
        umapMs: Math.round(end - knnDoneAt),
        cachedMs: warm.ms,
        rssDeltaMB: Math.round((process.memoryUsage().rss - rssBefore) / 1e6),
      });
      process.stderr.write(`layout: ${JSON.stringify(results.at(-1))}\n`);
    }
    publishReport(
      'layout',
      {
        benchmark: 'layout',
        dataset: datasetLabel(file),
        samples: rows.length,
        curateMs,
        defaultPoints: 5000,
        method: `stratified subsample (selected first, ≤ 2,000) → rows of the cached trajectories (positional reads) → exact 15-NN by cosine (ORT GEMM) → umap-js (seeded, minDist 0.1, ${LAYOUT_EPOCHS} epochs) → cache entry`,
        results,
        machine: { cpus: cpus().length },
        loadavg: { before, after: loadavg().map((x) => +x.toFixed(2)) },
      },
      smoke,
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

runBench(main);
