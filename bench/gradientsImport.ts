// The import of real-model trajectories at scale: a pool made from llava-eval-pool (bench/data.ts: an
// argument or $CADC_BENCH_DATA; replicated with a seeded suffix token above 45,480 rows, as bench:perf
// does), a synthetic cadc.gradients/v1 folder for it (bench/gradientsSynth.ts: the job's files and
// index, seeded rows, written with the engine's .npy writer), then, each in a fresh process so its
// peak RSS is its own: the import alone (index, shards, sha256, float16 kept in memory or on disk),
// `cadc curate --gradients` end to end, and the built-in proxy's curate on the same pool (no cache).
// Run: npx tsx bench/gradientsImport.ts [dataset.jsonl] [--samples 665000] [--dims 512,128] [--smoke]
// (--smoke: 2,000 rows of the in-repo fixture, D = 64, nothing written to bench/results)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/core/config';
import { readDataset } from '../src/core/dataset/reader';
import { openGradientsFolder } from '../src/core/gradients/importIndex';
import { importTrajectories } from '../src/core/gradients/importTrajectories';
import { runCuration } from '../src/core/pipeline/run';
import { benchDataset, datasetLabel, makePool, runBench, sourceLines } from './data';
import { indexDataset, writeSyntheticGradients } from './gradientsSynth';
import { publishReport } from './results';

const T = 4;
const LRS = [2e-5, 1.5e-5, 1e-5, 5e-6];

/** High-water mark of this process's resident set (bytes). */
function vmHwm(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
}

const la = () => loadavg().map((x) => +x.toFixed(2));
const mb = (b: number) => Math.round(b / 1e6);

interface ChildJob {
  kind: 'import' | 'curate-imported' | 'curate-proxy';
  dataset: string;
  gradients?: string;
  spill: string;
}

/** One measurement in this (fresh) process: prints one JSON line. */
async function child(job: ChildJob): Promise<void> {
  const t0 = performance.now();
  if (job.kind === 'import') {
    const lines: number[] = [];
    await readDataset(job.dataset, { checkImages: false, maxDiagnostics: 0 }, (s) => lines.push(s.line));
    const tRead = performance.now();
    const g = openGradientsFolder(job.gradients as string);
    const imp = await importTrajectories(g, { n: lines.length, lines: Int32Array.from(lines) }, { spillDir: job.spill });
    const tImport = performance.now();
    // One pass over every slice, as the influence stage reads them (16,384 rows a slice).
    let checksum = 0;
    const tr = imp.trajectories;
    for (let t = 0; t < tr.T; t++)
      for (let s = 0; s < tr.n; s += 16384) {
        const x = tr.slice(t, s, Math.min(tr.n, s + 16384));
        checksum += x[0];
      }
    const tPass = performance.now();
    process.stdout.write(
      `${JSON.stringify({
        readLinesSeconds: +((tRead - t0) / 1000).toFixed(2),
        importSeconds: +((tImport - tRead) / 1000).toFixed(2),
        onePassSeconds: +((tPass - tImport) / 1000).toFixed(2),
        residence: imp.residence,
        peakRssMB: mb(vmHwm()),
        checksum,
      })}\n`,
    );
    return;
  }
  const run = await runCuration({
    datasetPath: job.dataset,
    config: resolveConfig({}),
    cacheDir: null,
    ...(job.kind === 'curate-imported' ? { gradientsDir: job.gradients } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({
      wallSeconds: +((performance.now() - t0) / 1000).toFixed(2),
      stagesMs: run.timingsMs,
      peakRssMB: mb(vmHwm()),
      capabilities: run.capabilities.K,
      selected: run.selection.selected.length,
      trajectoryBytesPerSample: run.trajectories.bytesPerSample,
    })}\n`,
  );
}

function measure(job: ChildJob): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(job)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${job.kind} failed (exit ${r.status})`);
  const row = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
  process.stderr.write(`${job.kind}: ${JSON.stringify(row)}\n`);
  return row;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ci = args.indexOf('--child');
  if (ci >= 0) return child(JSON.parse(args[ci + 1]) as ChildJob);
  const smoke = args.includes('--smoke');
  const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
  const source = benchDataset(
    args.find((x, i) => !x.startsWith('--') && !['--samples', '--dims'].includes(args[i - 1])),
    smoke,
  );
  const n = smoke ? 2000 : Number(opt('--samples') ?? 665000);
  const dims = smoke ? [64] : (opt('--dims') ?? '512,128').split(',').map(Number);
  const dir = join(tmpdir(), `cadc-bench-gradimport-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const load0 = la();
  const t00 = performance.now();
  try {
    const dataset = join(dir, `pool-${n}.jsonl`);
    await makePool(await sourceLines(source), n, dataset, 7);
    const lines: number[] = [];
    const records: number[] = [];
    const summary = await readDataset(dataset, { checkImages: false, maxDiagnostics: 0 }, (s) => {
      lines.push(s.line);
      records.push(s.recordIndex);
    });
    const runs: unknown[] = [];
    for (const D of dims) {
      const grads = join(dir, `grads-${D}`);
      const tw = performance.now();
      writeSyntheticGradients(grads, {
        dataset: indexDataset(summary, 'pool.jsonl'),
        lines,
        records,
        lrs: LRS,
        D,
        shardSize: 4096,
        seed: 3,
      });
      const writeSeconds = +((performance.now() - tw) / 1000).toFixed(1);
      const folderBytes = T * D * 2 * n + T * 8 * n + 20 * n;
      const job = { dataset, gradients: grads, spill: dir };
      runs.push({
        D,
        samples: n,
        checkpoints: T,
        float16BlockMB: mb(n * T * D * 2),
        folderMB: mb(folderBytes),
        synthesiseSeconds: writeSeconds,
        importOnly: measure({ kind: 'import', ...job }),
        curateImported: measure({ kind: 'curate-imported', ...job }),
      });
      rmSync(grads, { recursive: true, force: true });
    }
    const proxy = measure({ kind: 'curate-proxy', dataset, spill: dir });
    const report = {
      benchmark: 'gradientsImport',
      dataset: datasetLabel(source),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      note:
        `Pool: ${n.toLocaleString('en-US')} rows of the source, replicated with a seeded suffix token above its size (bench:perf's pools). ` +
        'Gradients: a synthetic cadc.gradients/v1 folder (bench/gradientsSynth.ts; job-shaped files, index and sha256, seeded unit rows, T = 4, shards of 4,096). ' +
        'Each measurement runs in a fresh process (peak RSS = its VmHWM). importOnly: the pool’s lines read, then index + every shard (sha256 of every byte) into float16 storage — in memory when the block is ≤ 256 MiB (src/core/gradients/store.ts), else an unlinked per-checkpoint temporary file — and one pass over all slices. ' +
        'curateImported / curateProxy: runCuration end to end without a cache (read, featurise, trajectories imported or warm-up + proxy, capabilities, influence, select, sequence).',
      loadavg: { before: load0, after: la() },
      loadNote:
        load0[0] > 1
          ? `The 1-minute load average was ${load0[0]} on ${cpus().length} cores at the start: other work on the machine makes timings noisy (likely pessimistic).`
          : 'Load was low at the start.',
      runs,
      curateProxy: proxy,
      seconds: Math.round((performance.now() - t00) / 1000),
    };
    publishReport('gradientsImport', report, smoke);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
