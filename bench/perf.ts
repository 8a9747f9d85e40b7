// Speed and memory of the pipeline on pools of growing size. The larger pools are made by
// replicating llava-eval-pool (bench/data.ts: an argument or $CADC_BENCH_DATA) with seeded perturbations (a suffix token on each
// question and answer, so the copies are not exact duplicates) — said plainly in the results.
// For every pool it also times the extension's hover/decoration path: the sql.js attribution table
// of the cache, opened and queried through the same API the extension uses (CurationCache
// .openAttributions → AttributionTable.at), for random single lines (a hover) and for visible
// windows of 60 lines plus the 50-line margin each side that decorations refresh (160 lookups).
// The pools are unlabelled (llava-eval-pool's `source` and `category` dropped, as LLaVA-665K has no label
// fields), so every run forms its own probe groups (the text k-means); --labelled keeps the labels, and the
// probe groups are then the first label field's values (capability discovery costs far less).
// Run: npx tsx bench/perf.ts [dataset.jsonl] [--sizes 4548,45480,665000] [--labelled] [--smoke]
// (--smoke: 2,000 rows of the in-repo fixture test/fixtures/llava-eval-pool, nothing written)
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/core/config';

/** The pool's images were never on disk (every sample flagged as missing its image): selection includes them, as before the filter. */
const PERF_CONFIG = { selection: { includeFlagged: true } };
import { runCuration } from '../src/core/pipeline/run';
import { CurationCache } from '../src/core/store/cache';
import { Rng } from '../src/core/util/rng';
import { buildLineIndex, readLines } from '../src/core/dataset/lineIndex';
import { publishReport } from './results';
import { nearestRank } from '../src/core/util/stats';
import { benchDataset, datasetLabel, makePool, runBench, sourceLines } from './data';

const la = () => loadavg().map((x) => +x.toFixed(2));

/** Hover and visible-range lookup latency on the attribution table of a cached run. */
async function hoverLatency(cacheDir: string, sha: string, n: number, singles: number, windows: number) {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const table = await CurationCache.open(cacheDir).openAttributions(sha);
  const openMs = performance.now() - t0;
  if (!table) throw new Error('no attribution table in the cache');
  const rssOpen = process.memoryUsage().rss - rss0;
  const rng = new Rng(11);
  // Warm the prepared statement (the extension's first hover pays this once).
  table.at(1);
  const one: number[] = [];
  let found = 0;
  for (let r = 0; r < singles; r++) {
    const line = 1 + rng.int(n);
    const t = process.hrtime.bigint();
    if (table.at(line)) found++;
    one.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  const VISIBLE = 60;
  const MARGIN = 50; // src/extension/annotations.ts
  const win: number[] = [];
  for (let r = 0; r < windows; r++) {
    const top = rng.int(Math.max(1, n - VISIBLE));
    const from = Math.max(0, top - MARGIN);
    const to = Math.min(n - 1, top + VISIBLE - 1 + MARGIN);
    const t = process.hrtime.bigint();
    for (let l = from; l <= to; l++) table.at(l + 1);
    win.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  table.close();
  one.sort((a, b) => a - b);
  win.sort((a, b) => a - b);
  return {
    tableFileMB: +(statSync(join(cacheDir, sha.slice(0, 16), 'attributions.bin')).size / 1e6).toFixed(1),
    openMs: +openMs.toFixed(1),
    openRssMB: Math.round(rssOpen / 1e6),
    singleLine: {
      lookups: singles,
      found,
      unit: 'µs',
      p50: +nearestRank(one, 0.5).toFixed(1),
      p99: +nearestRank(one, 0.99).toFixed(1),
      max: +one[one.length - 1].toFixed(1),
    },
    visibleWindow: {
      windows,
      visibleLines: VISIBLE,
      marginLines: MARGIN,
      lookupsPerWindow: VISIBLE + 2 * MARGIN,
      unit: 'ms',
      p50: +nearestRank(win, 0.5).toFixed(2),
      p99: +nearestRank(win, 0.99).toFixed(2),
      max: +win[win.length - 1].toFixed(2),
    },
  };
}

/**
 * The Capability Map's table previews: a sparse line index of the dataset (built once per file) and
 * then one batched read per page of 100 rows at random lines (the table sorted by influence jumps
 * anywhere in the file).
 */
async function previewLatency(file: string, n: number, pages: number) {
  const t0 = performance.now();
  const index = await buildLineIndex(file);
  const buildMs = performance.now() - t0;
  const rng = new Rng(12);
  const times: number[] = [];
  let read = 0;
  for (let p = 0; p < pages; p++) {
    const lines = Array.from({ length: 100 }, () => 1 + rng.int(n));
    const t = process.hrtime.bigint();
    read += (await readLines(index, lines, 256 * 1024)).size;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    indexBuildMs: Math.round(buildMs),
    indexEntries: index.offsets.length,
    page: {
      pages,
      rowsPerPage: 100,
      linesRead: read,
      unit: 'ms',
      p50: +nearestRank(times, 0.5).toFixed(2),
      p99: +nearestRank(times, 0.99).toFixed(2),
      max: +times[times.length - 1].toFixed(2),
    },
  };
}

/** High-water mark of this process's resident set (bytes). */
function vmHwm(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const si = args.indexOf('--sizes');
  const labelled = args.includes('--labelled');
  const source = benchDataset(
    args.find((x, i) => !x.startsWith('--') && args[i - 1] !== '--sizes'),
    smoke,
  );
  const lines = await sourceLines(source);
  const sizes = smoke ? [2000] : si >= 0 ? args[si + 1].split(',').map(Number) : [4548, 45480, 665000];
  const dir = join(tmpdir(), `cadc-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const load0 = la();
  const t00 = performance.now();
  const results: unknown[] = [];
  try {
    for (const n of sizes) {
      const file = join(dir, `pool-${n}.jsonl`);
      await makePool(lines, n, file, 7, !labelled);
      const cache = join(dir, `cache-${n}`);
      const loadBefore = la();
      const t0 = performance.now();
      const run = await runCuration({ datasetPath: file, config: resolveConfig(PERF_CONFIG), cacheDir: cache });
      const wall = performance.now() - t0;
      // Peak resident set of one curation (what a CLI or backend process holds); sizes run ascending.
      const peakRun = vmHwm();
      const t1 = performance.now();
      const rerun = await runCuration({ datasetPath: file, config: resolveConfig(PERF_CONFIG), cacheDir: cache });
      const rerunWall = performance.now() - t1;
      // … and with the re-run loaded while the first run is still referenced (two runs in memory).
      const peak = vmHwm();
      const hover = await hoverLatency(cache, run.summary.sha256, n, smoke ? 300 : 20000, smoke ? 20 : 1000);
      const previews = await previewLatency(file, n, smoke ? 5 : 200);
      const row = {
        samples: n,
        replicated: n > lines.length,
        wallSeconds: +(wall / 1000).toFixed(2),
        samplesPerSecond: Math.round(n / (wall / 1000)),
        stagesMs: run.timingsMs,
        cacheHitRerunSeconds: +(rerunWall / 1000).toFixed(2),
        cacheHit: rerun.cacheHit,
        peakRssMB: Math.round(peakRun / 1e6),
        peakRssWithRerunMB: Math.round(peak / 1e6),
        capabilities: run.capabilities.K,
        probeGroups: run.capabilities.probe.names.length,
        capabilityShare: +((run.timingsMs.capabilities ?? 0) / (run.timingsMs.total ?? wall)).toFixed(3),
        selected: run.selection.selected.length,
        trajectoryBytesPerSample: run.trajectories.bytesPerSample,
        hover,
        previews,
        loadavg: { before: loadBefore, after: la() },
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
    dataset: datasetLabel(source),
    labels: labelled ? 'kept (probe groups from the first label field)' : 'dropped (probe groups by text k-means, as for LLaVA-665K)',
    sourceRows: lines.length,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    note: `Pools larger than the source (${lines.length.toLocaleString('en-US')} rows) replicate it with a seeded suffix token on each question; images are not on disk (text-only pipeline). Hover latency: AttributionTable.at(line) on the cached attribution table (attributions.bin, an sql.js database; what the hover provider and the decorations call), after opening it with CurationCache.openAttributions; a visible window = 60 lines + 50 margin lines each side, as src/extension/annotations.ts decorates. Peak RSS is the process high-water mark so far (sizes run in ascending order).`,
    loadavg: { before: load0, after: la() },
    loadNote:
      load0[0] > 1
        ? `The 1-minute load average was ${load0[0]} on 2 cores at the start: other work on the machine makes timings noisy (likely pessimistic).`
        : 'Load was low at the start.',
    results,
    seconds: Math.round((performance.now() - t00) / 1000),
  };
  publishReport('perf', report, smoke);
}

runBench(main);
