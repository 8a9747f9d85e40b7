// How the pipeline's cost grows with each knob, one knob at a time around the defaults, on the real
// llava-eval-pool (45,480 rows; an argument or $CADC_BENCH_DATA, see bench/data.ts; --smoke: the
// in-repo fixture test/fixtures/llava-eval-pool): pool size n (rows spread evenly over the file), checkpoints T, projection size
// per side d (config gradients.projectionDim; a layer's projected gradient has d² entries) and a
// forced number of capabilities K (config capabilities.k). Each stage's time is the fastest of
// `--reps` runs (noise from other processes only ever adds time); per-stage times, trajectory bytes per
// sample and the K actually found are recorded, then each stage's cost is fitted against each knob
// (power law in log-log and a straight line). Finally the point where gradients should come from a
// GPU job is estimated from the measured CPU GEMM throughput (bench/results/gemm.json) and stated
// assumptions. No cache: every stage runs every time.
// Run: npx tsx bench/scaling.ts [dataset.jsonl] [--reps 3] [--smoke]   → bench/results/scaling.json
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { resolveConfig } from '../src/core/config';
import type { DeepPartial, CurationConfig } from '../src/core/config';
import { runCuration } from '../src/core/pipeline/run';
import { sketchDim } from '../src/core/gradients/sketch';
import { linearFit, powerFit, roundFit } from './fit';
import { publishReport } from './results';
import { benchDataset, datasetLabel, REPO, runBench, unlabelledLine } from './data';

const STAGES = ['featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total'] as const;
type Stage = (typeof STAGES)[number];
const la = () => loadavg().map((x) => +x.toFixed(2));

interface Point {
  knob: 'n' | 'T' | 'd' | 'K';
  value: number;
  samples: number;
  config: DeepPartial<CurationConfig>;
  stagesMs: Record<Stage, number>;
  allTotalsMs: number[];
  trajectoryBytesPerSample: number;
  trajectoryMB: number;
  capabilitiesFound: number;
  loadavg: number[];
}

/**
 * n rows spread evenly over the file (every (N/n)-th row), so the mix of sources stays the pool's; their
 * label fields dropped (unlabelledLine), so every run forms its probe groups by text k-means.
 */
async function spread(src: string, total: number, n: number, file: string): Promise<number> {
  const out = createWriteStream(file);
  let i = 0;
  let k = 0;
  for await (const l of createInterface({ input: createReadStream(src) })) {
    if (!l.trim()) continue;
    if (Math.floor(((i + 1) * n) / total) > Math.floor((i * n) / total)) {
      out.write(`${unlabelledLine(l)}\n`);
      k++;
    }
    i++;
  }
  await new Promise<void>((r) => out.end(r));
  return k;
}

async function prefix(src: string, n: number, file: string): Promise<number> {
  const out = createWriteStream(file);
  let k = 0;
  for await (const l of createInterface({ input: createReadStream(src) })) {
    if (!l.trim()) continue;
    if (k >= n) break;
    out.write(`${unlabelledLine(l)}\n`);
    k++;
  }
  await new Promise<void>((r) => out.end(r));
  return k;
}

async function measure(file: string, partial: DeepPartial<CurationConfig>, reps: number) {
  let best: Awaited<ReturnType<typeof runCuration>> | undefined;
  const totals: number[] = [];
  // Per stage, the fastest of the repetitions: contention from other processes only ever adds time,
  // and it hits stages of different repetitions differently.
  const stagesMs = Object.fromEntries(STAGES.map((s) => [s, Infinity])) as Record<Stage, number>;
  for (let r = 0; r < reps; r++) {
    // The pool's images were never on disk (every sample flagged): selection includes them, as before the filter.
    const run = await runCuration({
      datasetPath: file,
      config: resolveConfig({ ...partial, selection: { ...partial.selection, includeFlagged: true } }),
      cacheDir: null,
    });
    totals.push(run.timingsMs.total);
    for (const s of STAGES) stagesMs[s] = Math.min(stagesMs[s], run.timingsMs[s] ?? 0);
    if (!best || run.timingsMs.total < best.timingsMs.total) best = run;
    if (global.gc) global.gc();
  }
  const run = best!;
  return { run, stagesMs, totals };
}

function fitsFor(points: Point[], knob: Point['knob']) {
  const ps = points.filter((p) => p.knob === knob).sort((a, b) => a.value - b.value);
  if (ps.length < 2) return null;
  const x = ps.map((p) => p.value);
  const out: Record<string, unknown> = {};
  for (const s of STAGES) {
    const y = ps.map((p) => p.stagesMs[s]);
    out[s] = { power: roundFit(powerFit(x, y)), linear: roundFit(linearFit(x, y)) };
  }
  out.trajectoryBytesPerSample = {
    power: roundFit(
      powerFit(
        x,
        ps.map((p) => p.trajectoryBytesPerSample),
      ),
    ),
    linear: roundFit(
      linearFit(
        x,
        ps.map((p) => p.trajectoryBytesPerSample),
      ),
    ),
  };
  return out;
}

/** Where gradients should come from a GPU job: real-VLM per-sample gradients vs this CPU. */
function gpuCrossover(points: Point[], smoke: boolean) {
  const gemmFile = join(REPO, 'bench/results/gemm.json');
  if (!existsSync(gemmFile)) return { error: 'bench/results/gemm.json missing: run npm run bench:gemm first' };
  const gemm = JSON.parse(readFileSync(gemmFile, 'utf8')) as {
    rows: { role: string; ort1Thread: number; ort2Threads: number; numpy1Thread: number | null; numpy2Threads: number | null }[];
    fmaPeak: { ok: boolean; avx512Fma?: { threads2: number } | null; avx2Fma?: { threads2: number } };
  };
  const best = Math.max(...gemm.rows.map((r) => Math.max(r.ort1Thread, r.ort2Threads, r.numpy1Thread ?? 0, r.numpy2Threads ?? 0)));
  const peak = gemm.fmaPeak.ok ? (gemm.fmaPeak.avx512Fma?.threads2 ?? gemm.fmaPeak.avx2Fma?.threads2 ?? best) : best;
  const cpuFlops = best * 1e9;
  // Assumptions (stated in the results): tokens per LLaVA-style sample (576 image tokens + ~124
  // text), a per-sample gradient ≈ 3 forward passes (forward 2·P·S FLOPs, backward ≈ 2× forward),
  // so 6·P·S FLOPs per sample per checkpoint; the GPU is one A100 at 312 TFLOP/s dense bf16 and
  // 40% model-FLOPs utilisation.
  const tokens = 700;
  const gpuFlops = 312e12 * 0.4;
  const base = points.find((p) => p.knob === 'n' && p.value === Math.max(...points.filter((q) => q.knob === 'n').map((q) => q.value)));
  const T = resolveConfig({}).proxy.checkpoints;
  const proxyRate = base ? (base.samples * T) / (base.stagesMs.trajectories / 1000) : null;
  const models = [
    { name: '256M VLM (SmolVLM-256M class)', params: 256e6 },
    { name: '2B VLM', params: 2e9 },
    { name: '7B VLM (LLaVA-1.5-7B class)', params: 7e9 },
  ].map((m) => {
    const flopsPerSampleCheckpoint = 6 * m.params * tokens;
    const cpuSeconds = flopsPerSampleCheckpoint / cpuFlops;
    const gpuSeconds = flopsPerSampleCheckpoint / gpuFlops;
    return {
      model: m.name,
      params: m.params,
      gflopsPerSampleCheckpoint: Math.round(flopsPerSampleCheckpoint / 1e9),
      cpuSecondsPerSampleCheckpoint: +cpuSeconds.toPrecision(3),
      sampleCheckpointsPerCpuHour: Math.floor(3600 / cpuSeconds),
      cpuDays45kT4: +((45480 * 4 * cpuSeconds) / 86400).toPrecision(3),
      cpuDays665kT4: +((665000 * 4 * cpuSeconds) / 86400).toPrecision(3),
      gpuHours45kT4: +((45480 * 4 * gpuSeconds) / 3600).toPrecision(3),
      gpuHours665kT4: +((665000 * 4 * gpuSeconds) / 3600).toPrecision(3),
    };
  });
  // The proxy's own limit on this machine: memory. Peak RSS per sample at the largest perf pool.
  const perfFile = join(REPO, 'bench/results/perf.json');
  let proxyMemory: Record<string, unknown> | null = null;
  if (existsSync(perfFile)) {
    const perf = JSON.parse(readFileSync(perfFile, 'utf8')) as {
      results: { samples: number; peakRssMB: number; wallSeconds: number; trajectoryBytesPerSample: number }[];
    };
    // Marginal bytes per sample between the two largest pools (one run's peak each): the fixed
    // part (runtime, ORT, code) does not grow with the pool.
    const big = perf.results[perf.results.length - 1];
    const prev = perf.results.length > 1 ? perf.results[perf.results.length - 2] : { samples: 0, peakRssMB: 0 };
    const perSample = ((big.peakRssMB - prev.peakRssMB) * 1e6) / (big.samples - prev.samples);
    const usable = 0.75 * totalmem() - (prev.peakRssMB * 1e6 - perSample * prev.samples);
    proxyMemory = {
      fromPerfPools: [prev.samples, big.samples],
      marginalRssBytesPerSample: Math.round(perSample),
      machineMemoryGB: +(totalmem() / 1e9).toFixed(1),
      maxSamplesAt75PercentOfMemory: Math.round(usable / perSample),
      hoursAtMaxSamples: +(usable / perSample / (big.samples / big.wallSeconds) / 3600).toPrecision(3),
      note: "One run's peak RSS grows about linearly with n (perf.json): marginal bytes per sample between the two largest pools, after the fixed part; the trajectories are T·(2d²·4 + 8) bytes per sample of it, so larger T or d lower this limit proportionally; float16 storage halves the vectors.",
    };
  }
  return {
    smoke,
    proxyMemory,
    measured: {
      cpuGemmGflops: best,
      cpuGemmSource:
        'best GFLOP/s of ORT or numpy (1 or 2 threads) over the shapes in bench/results/gemm.json: an optimistic bound for a real VLM on this CPU',
      cpuFmaPeakGflops: peak,
      proxySampleCheckpointsPerSecond: proxyRate ? Math.round(proxyRate) : null,
      proxyNote: 'our proxy: per-sample projected gradients at the default T, from the trajectories stage of the largest n point',
    },
    assumptions: {
      tokensPerSample: tokens,
      flopsPerSampleGradient:
        '6·P·S (forward 2·P·S + backward ≈ 2× forward: a per-sample gradient ≈ 3 forward passes); projection of the gradient not counted',
      gpu: 'one A100: 312 TFLOP/s dense bf16 × 40% utilisation = 125 TFLOP/s',
      cpuBudget: 'one hour of this machine',
    },
    models,
  };
}

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  const smoke = a.includes('--smoke');
  const ri = a.indexOf('--reps');
  const reps = smoke ? 1 : ri >= 0 ? Number(a[ri + 1]) : 3;
  const dataset = benchDataset(
    a.find((x, i) => !x.startsWith('--') && a[i - 1] !== '--reps'),
    smoke,
  );
  const t0 = performance.now();
  const load0 = la();
  const dir = join(tmpdir(), `cadc-scaling-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const full = join(dir, 'full.jsonl');
  const all = join(dir, 'all.jsonl');
  const N0 = await prefix(dataset, Number.MAX_SAFE_INTEGER, all);
  const N = smoke ? await spread(all, N0, 1200, full) : await prefix(all, N0, full);
  const sizes = smoke ? [600, 1200] : [N / 8, N / 4, N / 2, N].map(Math.round);
  const Ts = smoke ? [2, 4] : [2, 4, 8];
  const ds = smoke ? [4, 8] : [4, 8, 16];
  const Ks = smoke ? [2, 3] : [2, 5, 10, 20];
  const def = resolveConfig({});
  const d0 = sketchDim(def.gradients.projectionDim, N, def.proxy.checkpoints);
  const points: Point[] = [];
  const record = async (knob: Point['knob'], value: number, file: string, samples: number, config: DeepPartial<CurationConfig>) => {
    const before = la();
    const { run, stagesMs, totals } = await measure(file, config, reps);
    const p: Point = {
      knob,
      value,
      samples,
      config,
      stagesMs,
      allTotalsMs: totals,
      trajectoryBytesPerSample: run.trajectories.bytesPerSample,
      trajectoryMB: +((run.trajectories.bytesPerSample * samples) / 1e6).toFixed(1),
      capabilitiesFound: run.capabilities.K,
      loadavg: before,
    };
    points.push(p);
    process.stdout.write(`${JSON.stringify(p)}\n`);
  };
  try {
    // One knob at a time: the sketch stays the size 'auto' gives the whole pool (N) at every n, T and K,
    // so the n sweep is not also a d sweep ('auto' grows the sketch below 16,385 samples).
    const pin = { gradients: { projectionDim: d0 } };
    for (const n of sizes) {
      const f = n === N ? full : join(dir, `n${n}.jsonl`);
      if (n !== N) await spread(full, N, n, f);
      await record('n', n, f, n, pin);
    }
    for (const T of Ts) if (T !== def.proxy.checkpoints || smoke) await record('T', T, full, N, { ...pin, proxy: { checkpoints: T } });
    for (const d of ds) if (d !== d0 || smoke) await record('d', d, full, N, { gradients: { projectionDim: d } });
    for (const K of Ks) await record('K', K, full, N, { ...pin, capabilities: { k: K } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The default point (n = N, T = 4, d = d0, K auto) belongs to the T and d sweeps too.
  const basePoint = points.find((p) => p.knob === 'n' && p.value === N);
  if (basePoint && !smoke) {
    points.push({ ...basePoint, knob: 'T', value: def.proxy.checkpoints });
    points.push({ ...basePoint, knob: 'd', value: d0 });
  }
  const report = {
    benchmark: 'scaling',
    dataset: datasetLabel(dataset),
    samples: N,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    defaults: {
      T: def.proxy.checkpoints,
      d: d0,
      dSetting: def.gradients.projectionDim,
      K: def.capabilities.k,
      storage: def.gradients.storage,
    },
    method: `One knob at a time around the defaults; each stage's time is the fastest of ${reps} run(s) without a cache (images not on disk: text-only). n: rows spread evenly over the pool (every (N/n)-th row, so the mix of sources stays the same). Label fields are dropped (as LLaVA-665K has none): every run forms its probe groups by text k-means. d = gradients.projectionDim (a layer's projected gradient has d² entries, 2 layers; held at d0, what 'auto' gives N samples, while n, T and K vary). K = capabilities.k forced; capabilitiesFound is what discovery returned. Fits: power law y = c·x^p (exponent p) and line y = a + b·x, per stage, in ms.`,
    loadavg: { before: load0, after: la() },
    loadNote:
      load0[0] > 1
        ? `1-minute load ${load0[0]} on 2 cores at the start: other work on the machine makes times noisy; the fastest of the repetitions is kept.`
        : 'Load was low at the start.',
    points: points.sort((x, y) => x.knob.localeCompare(y.knob) || x.value - y.value),
    fits: { n: fitsFor(points, 'n'), T: fitsFor(points, 'T'), d: fitsFor(points, 'd'), K: fitsFor(points, 'K') },
    gpuCrossover: gpuCrossover(points, smoke),
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  publishReport('scaling', report, smoke);
}

runBench(main);
