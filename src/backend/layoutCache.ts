// The sample map of a run, cached beside the run's cache entries: finds the run's trajectories entry
// in the dataset's cache folder (its index checked: checksum, schema, layout, file size; its
// checkpoints must be the manifest's), reads only the subsample's rows of each checkpoint with
// positional reads (a 665K pool is never loaded whole), lays them out with UMAP (layout.ts) and stores
// the coordinates as a checksummed cache entry keyed by the trajectories' and the attribution
// table's content hashes and the layout's parameters. Without trajectories (cache cleared, or an
// external gradients file) the map falls back to the PCA of the influence vectors, and says so.
// Trajectories wider than LAYOUT_WIDTH numbers per sample (a small pool's larger sketch, a real
// model's gradients) are read a block of samples at a time and projected to that width by a seeded
// Gaussian matrix in ORT (Johnson–Lindenstrauss: a cosine moves by ≈ 1/√512 ≈ 0.04), so the map's
// memory does not grow with the sketch.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fromHalf } from '../core/gradients/trajectories';
import { matmulNT } from '../core/ort/kernels';
import { pca2d } from '../core/pipeline/layout';
import type { Logger } from '../core/runtime/log';
import { loadArrays, saveArrays } from '../core/store/arrays';
import { cacheKey } from '../core/store/cache';
import { indexChecksum, layoutProblem, validSidecar, validTrajectoriesExtra } from '../core/store/validate';
import type { Layout, Sidecar, TrajectoriesExtra } from '../core/store/validate';
import { Rng } from '../core/util/rng';
import { stratifiedSubsample, SUBSAMPLE_DEFAULTS, umap2d } from './layout';
import type { SubsampleOptions } from './layout';

/** One version of the layout's recipe: bump it when the computation changes so old entries miss. */
const LAYOUT_VERSION = 1;
/** UMAP epochs: umap-learn's choice for large inputs; umap-js would run 400–500 at ≤ 5,000 points (2–2.5× the time). */
export const LAYOUT_EPOCHS = 200;
/** Numbers per sample the layout's kNN works on at most (T·D above it is projected down). */
export const LAYOUT_WIDTH = 512;
/** Samples read and projected at a time when the trajectories are wider than LAYOUT_WIDTH. */
const PROJECT_BLOCK = 512;

/** The width trajectories of `dims` numbers per sample are projected to for the layout; undefined when they are not. */
function projectedWidth(dims: number): number | undefined {
  return dims > LAYOUT_WIDTH ? LAYOUT_WIDTH : undefined;
}
const KIND = 'map-layout';

export interface LayoutRow {
  line: number;
  cap: number;
  stage: number;
  influence: Float32Array;
}

export interface SampleLayout {
  method: 'umap' | 'pca';
  /** Sample indices (into the attribution table's rows, in line order) of the points, sorted. */
  index: Int32Array;
  /** x0,y0,x1,y1,… per point. */
  xy: Float32Array;
  /** Dimensions of one point's input (T checkpoints × D); 0 for the PCA fallback. */
  dims: number;
  /** When `dims` is wider than LAYOUT_WIDTH: the width of the random projection the layout ran on. */
  projectedTo?: number;
  cached: boolean;
  /** Why the layout is not a UMAP of the trajectories, when it is not. */
  note?: string;
  ms: number;
}

export interface LayoutRequest {
  cacheDir: string;
  sha256: string;
  /** The manifest's warm-up checkpoints: the trajectories entry must have exactly these. */
  checkpoints: { t: number; eta: number; trainLoss: number }[];
  seed: number;
  rows: LayoutRow[];
  subsample?: Partial<SubsampleOptions>;
  /** UMAP epochs (default LAYOUT_EPOCHS). */
  nEpochs?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  log?: Logger;
}

/** A cache entry's index, read and checked (checksum, schema, layout), or undefined. */
function readIndex(file: string): Sidecar | undefined {
  try {
    const side = JSON.parse(readFileSync(file, 'utf8'), (k, v: unknown) => {
      if (k === '__proto__') throw new Error('a __proto__ key');
      return v;
    }) as unknown;
    if (!validSidecar(side) || indexChecksum(side) !== side.indexSha256 || layoutProblem(side.arrays, side.bytes)) return undefined;
    return side;
  } catch {
    return undefined;
  }
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The run's trajectories entry in the dataset's cache folder: n samples and the manifest's checkpoints
 * (t, η, training loss, rounded in the manifest). Several matches (other gradient settings with the same
 * warm-up) → the most recently written. Its data file must have the size its index states.
 */
export function findTrajectories(
  folder: string,
  n: number,
  checkpoints: LayoutRequest['checkpoints'],
): { base: string; side: Sidecar; extra: TrajectoriesExtra } | undefined {
  let names: string[] = [];
  try {
    names = readdirSync(folder).filter((f) => /^trajectories-[0-9a-f]+\.json$/.test(f));
  } catch {
    return undefined;
  }
  let best: { base: string; side: Sidecar; extra: TrajectoriesExtra; mtime: number } | undefined;
  for (const name of names) {
    const base = path.join(folder, name.slice(0, -5));
    const side = readIndex(`${base}.json`);
    if (!side || side.kind !== 'trajectories' || !validTrajectoriesExtra(side.extra)) continue;
    const x = side.extra;
    if (x.n !== n || x.checkpoints.length !== checkpoints.length) continue;
    if (
      !x.checkpoints.every(
        (c, t) => c.t === checkpoints[t].t && near(c.eta, checkpoints[t].eta) && near(c.trainLoss, checkpoints[t].trainLoss),
      )
    )
      continue;
    let size = -1;
    let mtime = 0;
    try {
      const st = statSync(`${base}.bin`);
      size = st.size;
      mtime = st.mtimeMs;
    } catch {
      continue;
    }
    if (size !== side.bytes) continue;
    if (!best || mtime > best.mtime) best = { base, side, extra: x, mtime };
  }
  return best && { base: best.base, side: best.side, extra: best.extra };
}

/**
 * The rows `index` (sorted) of every checkpoint's normalised gradients, concatenated per sample and
 * scaled by 1/√T (so each row has unit length): [m, T·D]. Positional reads, one per row and checkpoint
 * (a whole array at once when every row is wanted).
 */
export function readTrajectoryRows(base: string, side: Sidecar, x: TrajectoriesExtra, index: Int32Array): Float32Array {
  const { T, D, n } = x;
  const m = index.length;
  const out = new Float32Array(m * T * D);
  const scale = 1 / Math.sqrt(Math.max(1, T));
  const fd = openSync(`${base}.bin`, 'r');
  try {
    for (let t = 0; t < T; t++) {
      const a: Layout | undefined = side.arrays.find((l) => l.name === `g:${t}`);
      const half = x.storage === 'float16';
      if (!a || a.type !== (half ? 'Uint16Array' : 'Float32Array') || a.length !== n * D)
        throw new Error(`the trajectories entry has no usable array g:${t}`);
      const bpe = half ? 2 : 4;
      const rowBytes = D * bpe;
      // Plain Uint8Arrays (offset 0 of their own ArrayBuffer), so every row's typed view is aligned.
      const bytes = new Uint8Array(m === n ? n * rowBytes : rowBytes);
      const values = half ? new Uint16Array(bytes.buffer) : new Float32Array(bytes.buffer);
      const put = (r: number, from: number) => {
        const o = (r * T + t) * D;
        for (let j = 0; j < D; j++) {
          const v = half ? fromHalf(values[from + j]) : values[from + j];
          out[o + j] = Number.isFinite(v) ? v * scale : 0;
        }
      };
      if (m === n) {
        readExactly(fd, bytes, a.offset);
        for (let r = 0; r < n; r++) put(r, r * D);
      } else {
        for (let r = 0; r < m; r++) {
          readExactly(fd, bytes, a.offset + index[r] * rowBytes);
          put(r, 0);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * The layout's input for the rows `index` (sorted): their trajectory rows as readTrajectoryRows gives
 * them when T·D ≤ LAYOUT_WIDTH; wider ones read PROJECT_BLOCK samples at a time and multiplied by a
 * seeded [T·D, LAYOUT_WIDTH] Gaussian matrix (entries N(0, 1/width)) in ORT, so at most one block of
 * full-width rows is in memory. Returns the rows and their width.
 */
export async function layoutRows(
  base: string,
  side: Sidecar,
  x: TrajectoriesExtra,
  index: Int32Array,
  seed: number,
): Promise<{ rows: Float32Array; width: number }> {
  const full = x.T * x.D;
  if (projectedWidth(full) === undefined) return { rows: readTrajectoryRows(base, side, x, index), width: full };
  const rng = new Rng(seed).fork('map-layout-projection');
  // Stored as [width, full], the right-hand side of matmulNT (A·Bᵀ).
  const proj = new Float32Array(LAYOUT_WIDTH * full);
  const sd = 1 / Math.sqrt(LAYOUT_WIDTH);
  for (let i = 0; i < proj.length; i++) proj[i] = rng.normal() * sd;
  const rows = new Float32Array(index.length * LAYOUT_WIDTH);
  for (let start = 0; start < index.length; start += PROJECT_BLOCK) {
    const block = index.subarray(start, Math.min(index.length, start + PROJECT_BLOCK));
    const wide = readTrajectoryRows(base, side, x, block);
    rows.set(await matmulNT(wide, block.length, full, proj, LAYOUT_WIDTH), start * LAYOUT_WIDTH);
  }
  return { rows, width: LAYOUT_WIDTH };
}

function readExactly(fd: number, buf: Uint8Array, position: number): void {
  for (let done = 0; done < buf.length;) {
    const got = readSync(fd, buf, done, buf.length - done, position + done);
    if (got <= 0) throw new Error('unexpected end of the trajectories file');
    done += got;
  }
}

/** The run's sample map: from the cache when its entry is there and valid, else computed (and cached). */
export async function sampleLayout(req: LayoutRequest): Promise<SampleLayout> {
  const started = Date.now();
  const n = req.rows.length;
  const folder = path.join(req.cacheDir, req.sha256.slice(0, 16));
  const sub = { ...SUBSAMPLE_DEFAULTS, ...req.subsample };
  const nEpochs = req.nEpochs ?? LAYOUT_EPOCHS;
  const index = stratifiedSubsample(
    req.rows.map((r) => r.cap),
    req.rows.map((r) => (r.stage > 0 ? 1 : 0)),
    new Rng(req.seed).fork('map-layout'),
    sub,
  );
  const traj = findTrajectories(folder, n, req.checkpoints);
  const attributions = readIndex(path.join(folder, 'attributions.json'));
  if (traj) {
    const dims = traj.extra.T * traj.extra.D;
    const projectedTo = projectedWidth(dims);
    const params = {
      v: LAYOUT_VERSION,
      traj: traj.side.sha256,
      // Present only when the rows are projected, so the keys of narrower runs' layouts are unchanged.
      ...(projectedTo ? { width: projectedTo } : {}),
      attributions: attributions?.sha256 ?? null,
      seed: req.seed,
      sub,
      nEpochs,
    };
    const key = cacheKey(params);
    const base = path.join(folder, `${KIND}-${key}`);
    const hit = loadArrays<{ n: number; dims: number }>(base, KIND, key, req.log, ({ arrays, extra }) => {
      const e = extra as { n?: unknown; dims?: unknown } | null;
      const idx = arrays.index;
      const xy = arrays.xy;
      if (!e || e.n !== n || typeof e.dims !== 'number') return 'has an invalid index';
      if (!(idx instanceof Int32Array) || !(xy instanceof Float32Array) || xy.length !== 2 * idx.length)
        return 'has arrays of the wrong shape';
      if (idx.length !== index.length || idx.some((v, i) => v !== index[i])) return 'lays out other samples';
      return xy.every(Number.isFinite) ? undefined : 'has non-finite coordinates';
    });
    if (hit) {
      const xy = hit.arrays.xy as Float32Array;
      return {
        method: 'umap',
        index,
        xy,
        dims: hit.extra.dims,
        ...(projectedTo ? { projectedTo } : {}),
        cached: true,
        ms: Date.now() - started,
      };
    }
    req.onProgress?.(0, `Reading ${index.length.toLocaleString()} trajectories…`);
    const { rows: x, width } = await layoutRows(traj.base, traj.side, traj.extra, index, req.seed);
    const xy = await umap2d(x, index.length, width, {
      seed: req.seed,
      nEpochs,
      signal: req.signal,
      onProgress: (f) => req.onProgress?.(f, `Laying out ${index.length.toLocaleString()} samples (UMAP)…`),
    });
    // One layout per dataset folder: older ones are of earlier runs.
    for (const f of readdirSync(folder))
      if (f.startsWith(`${KIND}-`) && !f.startsWith(`${KIND}-${key}.`)) rmSync(path.join(folder, f), { force: true });
    saveArrays(base, KIND, key, { index, xy }, { n, dims });
    return { method: 'umap', index, xy, dims, ...(projectedTo ? { projectedTo } : {}), cached: false, ms: Date.now() - started };
  }
  // Fallback: the PCA of the influence vectors of the same points.
  const K = req.rows.reduce((k, r) => Math.max(k, r.influence.length), 0);
  const x = new Float32Array(index.length * K);
  index.forEach((i, r) => x.set(req.rows[i].influence.subarray(0, K), r * K));
  const xy = pca2d(x, index.length, K);
  return {
    method: 'pca',
    index,
    xy,
    dims: 0,
    cached: false,
    note: existsSync(folder)
      ? 'the trajectories of this run are not in the cache: the map shows the PCA of the influence vectors'
      : 'the cache of this run is gone: the map shows the PCA of the influence vectors',
    ms: Date.now() - started,
  };
}
