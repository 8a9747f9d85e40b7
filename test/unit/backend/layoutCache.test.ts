// The sample map's cache side on real cache entries (written by CurationCache): the run's trajectories
// entry is found by its checkpoints, only the subsample's rows are read (float32 and float16), the
// layout is stored and read back, a corrupted one is recomputed, and without trajectories the map
// falls back to the PCA of the influence vectors and says so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findTrajectories, LAYOUT_WIDTH, layoutRows, readTrajectoryRows, sampleLayout } from '../../../src/backend/layoutCache';
import type { LayoutRow } from '../../../src/backend/layoutCache';
import { toHalf, trajectoriesFromArrays } from '../../../src/core/gradients/trajectories';
import type { WarmupResult } from '../../../src/core/proxy/warmup';
import { CurationCache } from '../../../src/core/store/cache';
import { Rng } from '../../../src/core/util/rng';

const dir = mkdtempSync(path.join(tmpdir(), 'cadc-layout-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const n = 120;
const T = 2;
const D = 8;
const checkpoints = [
  { t: 1, eta: 0.0123456789, trainLoss: 6.123456789 },
  { t: 2, eta: 0.006, trainLoss: 5.5 },
];

/** Unit rows: the first half near axis 0, the second near axis d/2 (two clusters, cosine ≈ 0.98 inside), per checkpoint. */
function rows(d = D): Float32Array[] {
  const rng = new Rng(9);
  return Array.from({ length: T }, () => {
    const g = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = (j === (i < n / 2 ? 0 : d / 2) ? 1 : 0) + 0.05 * Math.sqrt(D / d) * rng.normal(); // the same noise norm at every d
        g[i * d + j] = v;
        s += v * v;
      }
      for (let j = 0; j < d; j++) g[i * d + j] /= Math.sqrt(s);
    }
    return g;
  });
}

async function writeEntry(sha: string, storage: 'float32' | 'float16', keyPart: unknown, d = D): Promise<Float32Array[]> {
  const g = rows(d);
  // float16: the rows in half precision, as a run stores them.
  const stored = trajectoriesFromArrays({
    n,
    T,
    D: d,
    storage,
    g: storage === 'float16' ? g.map((a) => Uint16Array.from(a, toHalf)) : g,
    loss: new Float32Array(n * T).fill(1),
    gradNormSq: new Float32Array(n * T).fill(1),
    eta: Float64Array.from(checkpoints.map((c) => c.eta)),
  });
  const warm: WarmupResult = {
    shape: { questionBuckets: 1, maxNgrams: 1, embedDim: 1, imageDim: 0, hidden: 2, vocab: 2, din: 2 },
    indices: Int32Array.from([0, 1]),
    embedding: new Float32Array(1),
    checkpoints: checkpoints.map((c) => ({ ...c, w1: new Float32Array(4), w2: new Float32Array(6) })),
  };
  await CurationCache.open(dir).saveTrajectories(sha, keyPart, warm, stored);
  return g;
}

const table = (): LayoutRow[] =>
  Array.from({ length: n }, (_, i) => ({
    line: i + 1,
    cap: i < n / 2 ? 0 : 1,
    stage: i % 10 === 0 ? 1 : 0,
    influence: Float32Array.from([i < n / 2 ? 1 : 0, i < n / 2 ? 0 : 1]),
  }));
// The manifest rounds η and the training loss to 6 decimals.
const manifestCheckpoints = checkpoints.map((c) => ({ t: c.t, eta: +c.eta.toFixed(6), trainLoss: +c.trainLoss.toFixed(6) }));

test('the run’s trajectories entry is found by its checkpoints, and only the asked rows are read (float32, float16)', async () => {
  const sha = 'a'.repeat(64);
  const g = await writeEntry(sha, 'float32', { k: 1 });
  const folder = path.join(dir, sha.slice(0, 16));
  assert.equal(
    findTrajectories(
      folder,
      n,
      manifestCheckpoints.map((c) => ({ ...c, trainLoss: c.trainLoss + 0.01 })),
    ),
    undefined,
  );
  assert.equal(findTrajectories(folder, n + 1, manifestCheckpoints), undefined);
  const hit = findTrajectories(folder, n, manifestCheckpoints)!;
  assert.ok(hit, 'found');
  const index = Int32Array.from([3, 17, 90]);
  const x = readTrajectoryRows(hit.base, hit.side, hit.extra, index);
  assert.equal(x.length, index.length * T * D);
  index.forEach((i, r) => {
    for (let t = 0; t < T; t++)
      for (let j = 0; j < D; j++) assert.ok(Math.abs(x[(r * T + t) * D + j] - g[t][i * D + j] / Math.sqrt(T)) < 1e-7);
  });
  const sha16 = 'b'.repeat(64);
  const g16 = await writeEntry(sha16, 'float16', { k: 2 });
  const h16 = findTrajectories(path.join(dir, sha16.slice(0, 16)), n, manifestCheckpoints)!;
  assert.equal(h16.extra.storage, 'float16');
  const x16 = readTrajectoryRows(h16.base, h16.side, h16.extra, index);
  index.forEach((i, r) => {
    for (let j = 0; j < D; j++) assert.ok(Math.abs(x16[r * T * D + j] - g16[0][i * D + j] / Math.sqrt(T)) < 1e-3);
  });
  // Every row at once (the small-pool path) agrees with row by row.
  const all = readTrajectoryRows(
    hit.base,
    hit.side,
    hit.extra,
    Int32Array.from({ length: n }, (_, i) => i),
  );
  assert.deepEqual(Array.from(all.subarray(17 * T * D, 18 * T * D)), Array.from(x.subarray(T * D, 2 * T * D)));
});

test('a subsampled layout is a UMAP of the trajectories, cached, recomputed identically when its entry is corrupt', async () => {
  const sha = 'c'.repeat(64);
  await writeEntry(sha, 'float32', { k: 3 });
  const req = {
    cacheDir: dir,
    sha256: sha,
    checkpoints: manifestCheckpoints,
    seed: 42,
    rows: table(),
    subsample: { max: 60, maxSelected: 8 },
    nEpochs: 100,
  };
  const a = await sampleLayout(req);
  assert.equal(a.method, 'umap');
  assert.equal(a.cached, false);
  assert.equal(a.index.length, 60);
  assert.equal(Array.from(a.index).filter((i) => i % 10 === 0).length, 8, 'selected samples first, up to their cap');
  assert.equal(a.dims, T * D);
  assert.equal(a.projectedTo, undefined, 'T·D = 16 is laid out as it is');
  // The two trajectory clusters stay apart: every point is nearer its own cluster's centroid.
  const centroid = (half: number) => {
    const pts = Array.from(a.index.keys()).filter((r) => (a.index[r] < n / 2 ? 0 : 1) === half);
    return [0, 1].map((c) => pts.reduce((s, r) => s + a.xy[2 * r + c], 0) / pts.length);
  };
  const c = [centroid(0), centroid(1)];
  a.index.forEach((i, r) => {
    const d = c.map(([x, y]) => Math.hypot(a.xy[2 * r] - x, a.xy[2 * r + 1] - y));
    assert.ok(d[i < n / 2 ? 0 : 1] < d[i < n / 2 ? 1 : 0], `point ${i}`);
  });
  const b = await sampleLayout(req);
  assert.equal(b.cached, true);
  assert.deepEqual(Array.from(b.xy), Array.from(a.xy));
  const folder = path.join(dir, sha.slice(0, 16));
  const bin = readdirSync(folder).find((f) => f.startsWith('map-layout-') && f.endsWith('.bin'))!;
  writeFileSync(path.join(folder, bin), Buffer.alloc(16));
  const warned: string[] = [];
  const again = await sampleLayout({
    ...req,
    log: { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (m) => warned.push(m) },
  });
  assert.equal(again.cached, false);
  assert.deepEqual(Array.from(again.xy), Array.from(a.xy), 'seeded: the same coordinates again');
  assert.ok(
    warned.some((w) => /map-layout-/.test(w)),
    `logged: ${warned}`,
  );
  // Another seed is another layout, stored under another key (the old entry of the folder removed).
  const other = await sampleLayout({ ...req, seed: 7 });
  assert.notDeepEqual(Array.from(other.xy), Array.from(a.xy));
  assert.equal(readdirSync(folder).filter((f) => f.startsWith('map-layout-')).length, 2, 'one layout entry (index + data)');
});

test('without the run’s trajectories the map is the PCA of the influence vectors, with a note', async () => {
  const l = await sampleLayout({
    cacheDir: dir,
    sha256: 'd'.repeat(64),
    checkpoints: manifestCheckpoints,
    seed: 42,
    rows: table(),
    subsample: { max: 50 },
  });
  assert.equal(l.method, 'pca');
  assert.equal(l.index.length, 50);
  assert.match(l.note ?? '', /PCA of the influence vectors/);
  // Two capabilities with one-hot influence: the first component separates them.
  const xs = Array.from(l.index, (i, r) => [i < n / 2 ? 0 : 1, l.xy[2 * r]]);
  const side0 = xs.filter(([k]) => k === 0).map(([, x]) => Math.sign(x));
  const side1 = xs.filter(([k]) => k === 1).map(([, x]) => Math.sign(x));
  assert.equal(new Set(side0).size, 1);
  assert.equal(new Set(side1).size, 1);
  assert.notEqual(side0[0], side1[0]);
});

test('trajectories wider than LAYOUT_WIDTH reach the layout projected to it, cosines kept; narrower ones as read', async () => {
  const wideD = 1024; // T·D = 2,048 numbers per sample, four times the layout's width
  const sha = 'w'.repeat(64);
  await writeEntry(sha, 'float16', { k: 'wide' }, wideD);
  const hit = findTrajectories(path.join(dir, sha.slice(0, 16)), n, manifestCheckpoints)!;
  const index = Int32Array.from({ length: n }, (_, i) => i);
  const full = readTrajectoryRows(hit.base, hit.side, hit.extra, index);
  const a = await layoutRows(hit.base, hit.side, hit.extra, index, 7);
  const b = await layoutRows(hit.base, hit.side, hit.extra, index, 7);
  assert.equal(a.width, LAYOUT_WIDTH);
  assert.equal(a.rows.length, n * LAYOUT_WIDTH);
  assert.deepEqual(a.rows, b.rows, 'seeded: the same rows every time');
  assert.notDeepEqual((await layoutRows(hit.base, hit.side, hit.extra, index, 8)).rows, a.rows, 'another seed, another projection');
  const cos = (x: Float32Array, w: number, i: number, j: number) => {
    let d = 0;
    let ni = 0;
    let nj = 0;
    for (let k = 0; k < w; k++) {
      d += x[i * w + k] * x[j * w + k];
      ni += x[i * w + k] ** 2;
      nj += x[j * w + k] ** 2;
    }
    return d / Math.sqrt(ni * nj);
  };
  let worst = 0;
  for (const [i, j] of [
    [0, 1],
    [0, 59],
    [0, 60],
    [30, 90],
    [61, 119],
    [5, 100],
  ]) {
    const exact = cos(full, T * wideD, i, j);
    worst = Math.max(worst, Math.abs(cos(a.rows, LAYOUT_WIDTH, i, j) - exact));
    // Same cluster stays near 1, different clusters near 0.
    assert.equal(exact > 0.5, i < 60 === j < 60, `${i},${j}`);
  }
  assert.ok(worst < 0.15, `projection moved a cosine by ${worst}`);
  // Narrow trajectories (T·D = 16) are the rows as read.
  // The whole map of the wide entry says what it ran on, computed and read back from the cache.
  const req = { cacheDir: dir, sha256: sha, checkpoints: manifestCheckpoints, seed: 42, rows: table(), nEpochs: 50 };
  const computed = await sampleLayout(req);
  assert.deepEqual([computed.cached, computed.dims, computed.projectedTo], [false, T * wideD, LAYOUT_WIDTH]);
  const reread = await sampleLayout(req);
  assert.deepEqual([reread.cached, reread.projectedTo], [true, LAYOUT_WIDTH]);
  const shaN = 'v'.repeat(64);
  await writeEntry(shaN, 'float16', { k: 'narrow' });
  const narrow = findTrajectories(path.join(dir, shaN.slice(0, 16)), n, manifestCheckpoints)!;
  const r = await layoutRows(narrow.base, narrow.side, narrow.extra, index, 7);
  assert.equal(r.width, T * D);
  assert.deepEqual(r.rows, readTrajectoryRows(narrow.base, narrow.side, narrow.extra, index));
});
