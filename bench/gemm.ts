// ORT GEMM throughput for the pipeline's shapes at 1 and 2 threads, next to JavaScript loops.
// Run: npx tsx bench/gemm.ts [--smoke]   → bench/results/gemm.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GraphBuilder } from '../src/core/ort/graph';
import { configureOrt, createSession, tensor } from '../src/core/ort/session';
import { Rng } from '../src/core/util/rng';

async function ortGflops(m: number, k: number, n: number, threads: number, reps: number): Promise<number> {
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
  const t = performance.now();
  for (let r = 0; r < reps; r++) await s.run(feeds);
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

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const shapes = smoke ? [[256, 64, 64]] : [[4096, 256, 256], [2048, 129, 1024], [16384, 128, 5]];
  const rows = [];
  for (const [m, k, n] of shapes) {
    const reps = smoke ? 2 : Math.max(3, Math.round(4e9 / (2 * m * k * n)));
    const one = await ortGflops(m, k, n, 1, reps);
    const two = await ortGflops(m, k, n, 2, reps);
    const js = jsGflops(Math.min(m, 512), k, n);
    rows.push({ shape: `[${m},${k}]·[${n},${k}]ᵀ`, ort1Thread: +one.toFixed(1), ort2Threads: +two.toFixed(1), naiveJs: +js.toFixed(2), ortOverJs: +(two / js).toFixed(1) });
    process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  if (!smoke) {
    const dir = resolve(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gemm.json'), `${JSON.stringify({ benchmark: 'gemm', unit: 'GFLOP/s', rows }, null, 2)}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
