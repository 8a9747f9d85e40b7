// Independent yardsticks for the GEMM benchmark: numpy/OpenBLAS on the same shapes (python3 child
// process) and the hardware's attainable FMA peak from a tiny C++ program compiled at bench time
// (register-resident FMA chains: no memory traffic, so it is the per-core arithmetic ceiling).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NumpyRow {
  threads: number;
  gflops: number;
}

export type NumpyResult =
  | { ok: true; version: string; blas: string; rows: { shape: [number, number, number]; byThreads: NumpyRow[] }[] }
  | { ok: false; error: string };

const NUMPY_SCRIPT = String.raw`
import json, sys, time
import numpy as np
shapes = json.loads(sys.argv[1]); seconds = float(sys.argv[2])
cfg = np.show_config(mode='dicts') if 'mode' in np.show_config.__code__.co_varnames else {}
blas = cfg.get('Build Dependencies', {}).get('blas', {}) if isinstance(cfg, dict) else {}
out = {'version': np.__version__, 'blas': (blas.get('name', '?') + ' ' + blas.get('version', '')).strip(), 'rows': []}
rng = np.random.default_rng(1)
for m, k, n in shapes:
    a = rng.random((m, k), dtype=np.float32); b = rng.random((n, k), dtype=np.float32)
    bt = b.T
    y = a @ bt
    reps = 0; t0 = time.perf_counter()
    while True:
        y = a @ bt; reps += 1
        if time.perf_counter() - t0 >= seconds and reps >= 3: break
    dt = time.perf_counter() - t0
    out['rows'].append({'shape': [m, k, n], 'gflops': 2.0 * m * k * n * reps / dt / 1e9})
print(json.dumps(out))
`;

/** numpy a @ b.T (float32) GFLOP/s for each shape, at each thread count (OPENBLAS_NUM_THREADS). */
export function numpyGemm(shapes: [number, number, number][], threads: number[], seconds: number): NumpyResult {
  const per: Record<number, { version: string; blas: string; rows: { shape: [number, number, number]; gflops: number }[] }> = {};
  for (const t of threads) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
    const r = spawnSync('python3', ['-c', NUMPY_SCRIPT, JSON.stringify(shapes), String(seconds)], {
      encoding: 'utf8',
      env,
      timeout: 600_000,
    });
    if (r.status !== 0) return { ok: false, error: `python3/numpy failed: ${(r.error?.message ?? r.stderr ?? '').trim().slice(0, 400)}` };
    per[t] = JSON.parse(r.stdout.trim().split('\n').pop()!);
  }
  const first = per[threads[0]];
  return {
    ok: true,
    version: first.version,
    blas: first.blas,
    rows: shapes.map((shape, i) => ({ shape, byThreads: threads.map((t) => ({ threads: t, gflops: +per[t].rows[i].gflops.toFixed(1) })) })),
  };
}

const FMA_SOURCE = String.raw`
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
// 12 independent FMA chains per thread, all in registers: enough to cover FMA latency x ports.
static double run256(long iters) {
  __m256 a[12]; const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
  }
  __m256 s = a[0]; for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float o[8]; _mm256_storeu_ps(o, s); return o[0];
}
#ifdef __AVX512F__
static double run512(long iters) {
  __m512 a[16]; const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
  }
  __m512 s = a[0]; for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}
#endif
static volatile double sink;
template <class F> static double gflops(F f, long iters, int threads, double flopsPerIter) {
  std::vector<std::thread> ts; auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; t++) ts.emplace_back([&] { sink = f(iters); });
  for (auto &t : ts) t.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return flopsPerIter * iters * threads / s / 1e9;
}
int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200000000L;
  double best[2][2] = {{0, 0}, {0, 0}};
  for (int rep = 0; rep < 3; rep++)
    for (int t = 1; t <= 2; t++) {
      double g = gflops(run256, iters, t, 12 * 8 * 2); if (g > best[0][t - 1]) best[0][t - 1] = g;
#ifdef __AVX512F__
      g = gflops(run512, iters * 12 / 16, t, 16 * 16 * 2); if (g > best[1][t - 1]) best[1][t - 1] = g;
#endif
    }
#ifdef __AVX512F__
  printf("{\"avx2Fma\":{\"thread1\":%.1f,\"threads2\":%.1f},\"avx512Fma\":{\"thread1\":%.1f,\"threads2\":%.1f}}\n", best[0][0], best[0][1], best[1][0], best[1][1]);
#else
  printf("{\"avx2Fma\":{\"thread1\":%.1f,\"threads2\":%.1f},\"avx512Fma\":null}\n", best[0][0], best[0][1]);
#endif
}
`;

export type FmaPeak =
  | {
      ok: true;
      compiler: string;
      flags: string;
      avx2Fma: { thread1: number; threads2: number };
      avx512Fma: { thread1: number; threads2: number } | null;
    }
  | { ok: false; error: string };

/** Compiles and runs the FMA peak program; never throws (a failure is reported in the result). */
export function fmaPeak(iters: number): FmaPeak {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-fma-'));
  try {
    const src = join(dir, 'fma.cpp');
    const exe = join(dir, 'fma');
    writeFileSync(src, FMA_SOURCE);
    const flags = ['-O3', '-march=native', '-pthread'];
    const c = spawnSync('g++', [...flags, '-o', exe, src], { encoding: 'utf8' });
    if (c.status !== 0)
      return { ok: false, error: `g++ could not build the FMA peak program: ${(c.error?.message ?? c.stderr ?? '').trim().slice(0, 400)}` };
    const v = spawnSync('g++', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    const r = spawnSync(exe, [String(iters)], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0)
      return { ok: false, error: `FMA peak program failed: ${(r.error?.message ?? r.stderr ?? '').trim().slice(0, 400)}` };
    return { ok: true, compiler: v, flags: flags.join(' '), ...JSON.parse(r.stdout) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
