// ORT GEMM throughput for the pipeline's shapes at 1 and 2 threads, next to JavaScript loops and two
// independent yardsticks measured on this machine at bench time: numpy/OpenBLAS on the same shapes
// (float32, python3 child process) and the attainable FMA peak of a register-resident C++ loop
// (AVX2 and, where the CPU has it, AVX-512; compiled by g++ -O3 -march=native). ORT is reported as a
// ratio to both. If python3/numpy or g++ are missing, the results say so instead of failing.
// Run: npx tsx bench/gemm.ts [--smoke]   → bench/results/gemm.json
import { cpus, loadavg } from 'node:os';
import { GraphBuilder } from '../src/core/ort/graph';
import { configureOrt, createSession, tensor } from '../src/core/ort/session';
import { Rng } from '../src/core/util/rng';
import { fmaPeak, numpyGemm } from './peak';
import { publishReport } from './results';

async function ortGflops(m: number, k: number, n: number, threads: number, seconds: number): Promise<number> {
  configureOrt({ threads });
  const g = new GraphBuilder('mm');
  g.matmulNT(g.input('a', [m, k]), g.input('b', [n, k]), 'y');
  g.output('y', [m, n]);
  const s = await createSession(g.build());
  const rng = new Rng(1);
  const a = Float32Array.from({ length: m * k }, () => rng.next());
  const b = Float32Array.from({ length: n * k }, () => rng.next());
  const feeds = { a: tensor('float32', a, [m, k]), b: tensor('float32', b, [n, k]) };
  await s.run(feeds);
  let reps = 0;
  const t = performance.now();
  while (reps < 3 || performance.now() - t < seconds * 1000) {
    await s.run(feeds);
    reps++;
  }
  const secs = (performance.now() - t) / 1000;
  await s.release();
  return (2 * m * k * n * reps) / secs / 1e9;
}

function jsGflops(m: number, k: number, n: number): number {
  const a = new Float32Array(m * k).fill(1.5);
  const b = new Float32Array(n * k).fill(0.5);
  const y = new Float32Array(m * n);
  const t = performance.now();
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      y[i * n + j] = s;
    }
  return (2 * m * k * n) / ((performance.now() - t) / 1000) / 1e9;
}

const ratio = (a: number, b: number | undefined | null) => (b ? +(a / b).toFixed(2) : null);

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const load0 = loadavg();
  const t0 = performance.now();
  const shapes: [number, number, number][] = smoke
    ? [[256, 64, 64]]
    : [
        [4096, 256, 256],
        [2048, 129, 1024],
        [16384, 128, 5],
      ];
  const names = smoke ? ['smoke'] : ['square-ish', 'proxy output layer', 'influence'];
  const seconds = smoke ? 0.05 : 2;
  // Rounds: every measurement is repeated and the best kept (other processes only ever slow it down).
  const ri = process.argv.indexOf('--rounds');
  const rounds = smoke ? 1 : ri >= 0 ? Number(process.argv[ri + 1]) : 2;
  const ort: { one: number; two: number }[] = shapes.map(() => ({ one: 0, two: 0 }));
  let np = numpyGemm(shapes, [1, 2], seconds);
  let peak = fmaPeak(smoke ? 2_000_000 : 200_000_000);
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      const np2 = numpyGemm(shapes, [1, 2], seconds);
      if (np.ok && np2.ok)
        np.rows.forEach((r, i) => r.byThreads.forEach((t, j) => (t.gflops = Math.max(t.gflops, np2.rows[i].byThreads[j].gflops))));
      else if (np2.ok) np = np2;
      const p2 = fmaPeak(200_000_000);
      if (peak.ok && p2.ok) {
        peak.avx2Fma = {
          thread1: Math.max(peak.avx2Fma.thread1, p2.avx2Fma.thread1),
          threads2: Math.max(peak.avx2Fma.threads2, p2.avx2Fma.threads2),
        };
        if (peak.avx512Fma && p2.avx512Fma)
          peak.avx512Fma = {
            thread1: Math.max(peak.avx512Fma.thread1, p2.avx512Fma.thread1),
            threads2: Math.max(peak.avx512Fma.threads2, p2.avx512Fma.threads2),
          };
      } else if (p2.ok) peak = p2;
    }
    for (const [idx, [m, k, n]] of shapes.entries()) {
      ort[idx].one = Math.max(ort[idx].one, await ortGflops(m, k, n, 1, seconds));
      ort[idx].two = Math.max(ort[idx].two, await ortGflops(m, k, n, 2, seconds));
    }
  }
  const rows = [];
  for (const [idx, [m, k, n]] of shapes.entries()) {
    const { one, two } = ort[idx];
    const js = jsGflops(Math.min(m, smoke ? 64 : 512), k, n);
    const npRow = np.ok ? np.rows[idx].byThreads : undefined;
    const np1 = npRow?.find((r) => r.threads === 1)?.gflops ?? null;
    const np2 = npRow?.find((r) => r.threads === 2)?.gflops ?? null;
    const avx2 = peak.ok ? peak.avx2Fma : null;
    const avx512 = peak.ok ? peak.avx512Fma : null;
    rows.push({
      shape: `[${m},${k}]·[${n},${k}]ᵀ`,
      role: names[idx],
      m,
      k,
      n,
      ort1Thread: +one.toFixed(1),
      ort2Threads: +two.toFixed(1),
      numpy1Thread: np1,
      numpy2Threads: np2,
      naiveJs: +js.toFixed(2),
      ortOverJs: +(two / js).toFixed(1),
      ortOverNumpy: { thread1: ratio(one, np1), threads2: ratio(two, np2) },
      ortOverAvx2FmaPeak: { thread1: ratio(one, avx2?.thread1), threads2: ratio(two, avx2?.threads2) },
      ortOverAvx512FmaPeak: { thread1: ratio(one, avx512?.thread1), threads2: ratio(two, avx512?.threads2) },
    });
    process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  const report = {
    benchmark: 'gemm',
    unit: 'GFLOP/s',
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    loadavg: { before: load0.map((x) => +x.toFixed(2)), after: loadavg().map((x) => +x.toFixed(2)) },
    method: `Best of ${rounds} round(s). Each GEMM is y = a·bᵀ in float32, timed for ≥ 2 s (≥ 3 runs) after one warm run; 2·m·k·n FLOPs per run. numpy: the same shapes, a @ b.T with OPENBLAS_NUM_THREADS = 1 and 2. FMA peak: best of 3 runs of independent register-resident FMA chains (no memory traffic) on 1 and 2 threads — the arithmetic ceiling no GEMM can pass.`,
    numpy: np.ok ? { version: np.version, blas: np.blas } : { error: np.error },
    fmaPeak: peak,
    rows,
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  publishReport('gemm', report, smoke);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
