// The curation cache: one folder per dataset (named by its sha256), holding the features, the
// warm-up + trajectories, the text probe groups and the extra proxies' group cosines (the capability
// graph's ensemble) of a run under a key of everything they depend on,
// and the run's attribution table. Entries are chunked typed-array files (arrays.ts) whose index is validated before use
// (validate.ts): anything that fails a check is a miss, logged, deleted and rebuilt. The attribution
// table is a sql.js database (attributionTable.ts, sqlite.ts) stored as such an entry. Temp files of
// writers that died are removed when the cache opens.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { DEFAULT_MAX_RESIDENT_BYTES, DiskRowStore } from '../gradients/store';
import type { RowStoreOptions } from '../gradients/store';
import { trajectoriesFromArrays, trajectoriesFromStore } from '../gradients/trajectories';
import type { Logger } from '../runtime/log';
import type { WarmupResult } from '../proxy/warmup';
import { alive, cleanStaleTemps } from '../util/atomicFile';
import { stableStringify } from '../util/stableJson';
import { loadArrays, saveArrays } from './arrays';
import type { SpillWriter, StreamedArray } from './arrays';
import { attributionsDatabase, attributionTableOf } from './attributionTable';
import type { AttributionRow, AttributionTable } from './attributionTable';
import { decodeRefs, encodeRefs, imagesFingerprint } from './imageDeps';
import type { ImageScope } from './imageDeps';
import { loadSql } from './sqlite';
import {
  arraysMismatch,
  schemaError,
  validFeaturesExtra,
  validProxyCosinesExtra,
  validTextGroupsExtra,
  validTrajectoriesExtra,
} from './validate';
import type { ArraySpec, CtorName, FeaturesExtra, Layout, ProxyCosinesExtra, TextGroupsExtra, TrajectoriesExtra, Typed } from './validate';
import type { ProxyCosines } from '../capabilities/types';

/** The Pool's typed-array columns, stored and loaded by name, with their element types. */
const POOL_ARRAYS = {
  lines: 'Int32Array',
  offsets: 'Float64Array',
  lengths: 'Int32Array',
  styleMask: 'Uint16Array',
  primaryStyle: 'Uint8Array',
  flags: 'Uint8Array',
  questionNgrams: 'Uint32Array',
  questionNgramCount: 'Uint16Array',
  answerPtr: 'Int32Array',
  answerTokens: 'Uint32Array',
  hasImage: 'Uint8Array',
  turns: 'Uint16Array',
  questionChars: 'Int32Array',
  answerChars: 'Int32Array',
  exactHash: 'Uint32Array',
  simHash: 'Uint32Array',
  termPtr: 'Int32Array',
  termIds: 'Uint32Array',
} as const satisfies Record<string, CtorName>;
type PoolArrayName = keyof typeof POOL_ARRAYS;
const POOL_ARRAY_NAMES = Object.keys(POOL_ARRAYS) as PoolArrayName[];

export function defaultUserCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'cadc');
}

export function cacheKey(part: unknown): string {
  return createHash('sha256').update(stableStringify(part)).digest('hex').slice(0, 16);
}

/** Removes the temp files of writers that died: ours (util/atomicFile) and the older `<name>.<pid>.tmp`. */
function cleanTemps(dir: string, log?: Logger): void {
  const removed: string[] = [];
  const legacy = /^.+\.(\d+)\.tmp$/;
  const folders = [dir];
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) folders.push(path.join(dir, e.name));
  } catch {
    return;
  }
  for (const d of folders) {
    removed.push(...cleanStaleTemps(d).map((n) => path.join(d, n)));
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name === 'attributions.sqlite') {
        rmSync(path.join(d, name), { force: true }); // schema 1's unchecked table, now attributions.bin + .json
        continue;
      }
      const m = legacy.exec(name);
      if (!m || name.includes('.cadc-') || alive(Number(m[1]))) continue;
      rmSync(path.join(d, name), { force: true });
      removed.push(path.join(d, name));
    }
  }
  if (removed.length)
    log?.info(
      `cache: removed ${removed.length} temp file(s) left by writers that died: ${removed.map((f) => path.relative(dir, f)).join(', ')}`,
    );
}

export class CurationCache {
  private constructor(
    readonly dir: string,
    private readonly log?: Logger,
  ) {}

  /** Opens (creates) the cache folder and removes temp files left by writers that died. */
  static open(dir: string, log?: Logger): CurationCache {
    mkdirSync(dir, { recursive: true });
    cleanTemps(dir, log);
    return new CurationCache(dir, log);
  }

  private base(sha: string, name: string): string {
    const d = path.join(this.dir, sha.slice(0, 16));
    mkdirSync(d, { recursive: true });
    return path.join(d, name);
  }

  /**
   * The features of a dataset for a key, or undefined. With `images`, the entry's image references
   * must resolve in that scope to the same files (size, mtime) as when it was written.
   */
  async loadFeatures(
    sha: string,
    keyPart: unknown,
    images?: ImageScope,
  ): Promise<{ pool: Pool; summary: DatasetSummary; images?: string } | undefined> {
    const key = cacheKey(keyPart);
    const hit = loadArrays<FeaturesExtra>(this.base(sha, `features-${key}`), 'features', key, this.log, ({ arrays, extra }) => {
      if (!validFeaturesExtra(extra)) return `has an invalid index (extra${schemaError(validFeaturesExtra)})`;
      const x = extra;
      if (x.ids.length !== x.n) return `lists ${x.ids.length} ids for ${x.n} samples`;
      if (x.summary.sha256 !== sha) return 'belongs to another file';
      const n = x.n;
      const spec: ArraySpec = Object.fromEntries(POOL_ARRAY_NAMES.map((k) => [k, [POOL_ARRAYS[k], n]]));
      spec.answerPtr[1] = spec.termPtr[1] = n + 1;
      spec.answerTokens[1] = spec.termIds[1] = undefined;
      spec.questionNgrams[1] = n * x.dims.maxQuestionNgrams;
      spec.exactHash[1] = spec.simHash[1] = 2 * n;
      if (x.hasImageFeatures) spec.imageFeatures = ['Float32Array', n * x.dims.imageDim];
      for (const field of Object.keys(x.labels)) spec[`label:${field}`] = ['Int32Array', n];
      if (x.images !== undefined) spec.imageRefs = ['Uint8Array', undefined];
      const bad = arraysMismatch(arrays, spec);
      if (bad) return bad;
      const last = (a: Typed) => a[a.length - 1];
      if (last(arrays.answerPtr) !== arrays.answerTokens.length || last(arrays.termPtr) !== arrays.termIds.length)
        return 'has inconsistent CSR arrays';
      if (images) {
        const refs = x.images === undefined ? undefined : decodeRefs(arrays.imageRefs as Uint8Array);
        if (!refs) return 'does not record its images';
        if (imagesFingerprint(refs, images) !== x.images) return 'was built from other images (moved, added, removed or changed)';
      }
      return undefined;
    });
    if (!hit) return undefined;
    const { arrays: a, extra: x } = hit;
    const labels: Pool['labels'] = Object.fromEntries(
      Object.entries(x.labels).map(([field, values]) => [field, { values, codes: a[`label:${field}`] as Int32Array }]),
    );
    const columns = Object.fromEntries(POOL_ARRAY_NAMES.map((k) => [k, a[k]])) as Pick<Pool, PoolArrayName>;
    const pool: Pool = {
      ...columns,
      n: x.n,
      ids: x.ids,
      labels,
      imageFeatures: x.hasImageFeatures ? (a.imageFeatures as Float32Array) : null,
      termOf: new Map(x.termOf),
      dims: x.dims,
    };
    return { pool, summary: x.summary, ...(x.images !== undefined ? { images: x.images } : {}) };
  }

  /**
   * Saves a dataset's features. With `images` (the dataset's image references and where they
   * resolved), the entry records them and their fingerprint, which is returned.
   */
  async saveFeatures(
    sha: string,
    keyPart: unknown,
    pool: Pool,
    summary: DatasetSummary,
    images?: { refs: string[]; scope: ImageScope },
  ): Promise<string | undefined> {
    const key = cacheKey(keyPart);
    const arrays: Record<string, Typed> = {
      ...Object.fromEntries(POOL_ARRAY_NAMES.map((k) => [k, pool[k]])),
      ...(pool.imageFeatures ? { imageFeatures: pool.imageFeatures } : {}),
    };
    const labels: Record<string, string[]> = {};
    for (const [field, col] of Object.entries(pool.labels)) {
      labels[field] = col.values;
      arrays[`label:${field}`] = col.codes;
    }
    const fingerprint = images ? imagesFingerprint(images.refs, images.scope) : undefined;
    if (images) arrays.imageRefs = encodeRefs(images.refs);
    const extra: FeaturesExtra = {
      n: pool.n,
      ids: pool.ids,
      labels,
      termOf: [...pool.termOf.entries()],
      dims: pool.dims,
      summary,
      hasImageFeatures: !!pool.imageFeatures,
      ...(fingerprint ? { images: fingerprint } : {}),
    };
    saveArrays(this.base(sha, `features-${key}`), 'features', key, arrays, extra);
    return fingerprint;
  }

  /**
   * The warm-up and trajectories of a dataset for a key, or undefined. A block of trajectories above
   * the resident limit (gradients/store.ts) is streamed, as it is verified, into a temporary file
   * instead of memory.
   */
  async loadTrajectories(
    sha: string,
    keyPart: unknown,
    opts: Pick<RowStoreOptions, 'maxResidentBytes'> = {},
  ): Promise<{ warm: WarmupResult; traj: Trajectories } | undefined> {
    const key = cacheKey(keyPart);
    let disk: DiskRowStore | undefined;
    const spill = (a: Layout, extra: unknown): SpillWriter | undefined => {
      const m = /^g:(\d+)$/.exec(a.name);
      if (!m || !validTrajectoriesExtra(extra)) return undefined;
      const { n, T, D, storage } = extra;
      const t = Number(m[1]);
      const type = storage === 'float16' ? 'Uint16Array' : 'Float32Array';
      if (t >= T || a.type !== type || a.length !== n * D) return undefined; // the check says why
      if (n * T * D * (storage === 'float16' ? 2 : 4) <= (opts.maxResidentBytes ?? DEFAULT_MAX_RESIDENT_BYTES)) return undefined;
      disk ??= new DiskRowStore(storage, n, D, this.dir);
      const store = disk;
      return (bytes, at) => store.writeBytes(t, at, bytes);
    };
    const hit = loadArrays<TrajectoriesExtra>(
      this.base(sha, `trajectories-${key}`),
      'trajectories',
      key,
      this.log,
      ({ arrays, extra, spilled }) => {
        if (!validTrajectoriesExtra(extra)) return `has an invalid index (extra${schemaError(validTrajectoriesExtra)})`;
        const { n, T, D, storage, shape, checkpoints } = extra;
        if (checkpoints.length !== T) return `lists ${checkpoints.length} checkpoints for T = ${T}`;
        const spec: ArraySpec = {
          indices: ['Int32Array', undefined],
          embedding: ['Float32Array', undefined],
          loss: ['Float32Array', n * T],
          gradNormSq: ['Float32Array', n * T],
          eta: ['Float64Array', T],
        };
        const g = storage === 'float16' ? 'Uint16Array' : 'Float32Array';
        for (let t = 0; t < T; t++) {
          spec[`w1:${t}`] = ['Float32Array', shape.hidden * shape.din];
          spec[`w2:${t}`] = ['Float32Array', shape.vocab * (shape.hidden + 1)];
          // Every checkpoint's rows in memory, or every one streamed to disk.
          if (!spilled) spec[`g:${t}`] = [g, n * D];
          else if (!spilled[`g:${t}`]) return `lacks array g:${t}`;
        }
        const bad = arraysMismatch(arrays, spec);
        if (bad) return bad;
        return (arrays.indices as Int32Array).every((i) => i >= 0 && i < n) ? undefined : 'has warm-up indices outside the pool';
      },
      { spill },
    );
    if (!hit) {
      (disk as DiskRowStore | undefined)?.close();
      return undefined;
    }
    const { arrays: a, extra: x } = hit;
    const warm: WarmupResult = {
      shape: x.shape,
      indices: a.indices as Int32Array,
      embedding: a.embedding as Float32Array,
      checkpoints: x.checkpoints.map((c, t) => ({ ...c, w1: a[`w1:${t}`] as Float32Array, w2: a[`w2:${t}`] as Float32Array })),
    };
    const rows = {
      n: x.n,
      T: x.T,
      D: x.D,
      loss: a.loss as Float32Array,
      gradNormSq: a.gradNormSq as Float32Array,
      eta: a.eta as Float64Array,
    };
    const traj = disk
      ? trajectoriesFromStore(disk, rows)
      : trajectoriesFromArrays({
          ...rows,
          storage: x.storage,
          g: Array.from({ length: x.T }, (_, t) => a[`g:${t}`] as Float32Array | Uint16Array),
        });
    return { warm, traj };
  }

  async saveTrajectories(sha: string, keyPart: unknown, warm: WarmupResult, traj: Trajectories): Promise<void> {
    const key = cacheKey(keyPart);
    const arrays: Record<string, Typed | StreamedArray> = {
      indices: warm.indices,
      embedding: warm.embedding,
      loss: traj.loss,
      gradNormSq: traj.gradNormSq,
      eta: traj.eta,
    };
    warm.checkpoints.forEach((c, i) => {
      arrays[`w1:${i}`] = c.w1;
      arrays[`w2:${i}`] = c.w2;
    });
    // g per checkpoint in its stored precision, streamed block by block (no second copy of a run's trajectories).
    const { n, T, D } = traj;
    const half = traj.storage === 'float16';
    for (let t = 0; t < T; t++)
      arrays[`g:${t}`] = {
        type: half ? 'Uint16Array' : 'Float32Array',
        length: n * D,
        byteLength: n * D * (half ? 2 : 4),
        *chunks() {
          const rows = Math.max(1, Math.floor((8 << 20) / (D * 4)));
          for (let s = 0; s < n; s += rows) {
            const r = traj.rows(t, s, Math.min(n, s + rows));
            yield new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
          }
        },
      };
    const extra: TrajectoriesExtra = {
      n,
      T,
      D,
      storage: traj.storage,
      shape: warm.shape,
      checkpoints: warm.checkpoints.map((c) => ({ t: c.t, eta: c.eta, trainLoss: c.trainLoss })),
    };
    saveArrays(this.base(sha, `trajectories-${key}`), 'trajectories', key, arrays, extra);
  }

  /**
   * The text probe groups of a dataset's n samples for a key (each sample's group, numbered by first
   * appearance from 0, as the text k-means leaves them), or undefined.
   */
  async loadTextGroups(sha: string, keyPart: unknown, n: number): Promise<Int32Array | undefined> {
    const key = cacheKey(keyPart);
    const hit = loadArrays<TextGroupsExtra>(this.base(sha, `text-groups-${key}`), 'text-groups', key, this.log, ({ arrays, extra }) => {
      if (!validTextGroupsExtra(extra)) return `has an invalid index (extra${schemaError(validTextGroupsExtra)})`;
      if (extra.n !== n) return `holds ${extra.n} samples, the pool ${n}`;
      const bad = arraysMismatch(arrays, { of: ['Int32Array', n] });
      if (bad) return bad;
      // Ids from 0 in order of first appearance, and as many as the index says.
      let next = 0;
      for (const g of arrays.of as Int32Array) {
        if (g < 0 || g > next) return `has group ${g} where at most ${next} can come next`;
        if (g === next) next++;
      }
      return next === extra.groups ? undefined : `has ${next} groups, its index ${extra.groups}`;
    });
    return hit?.arrays.of as Int32Array | undefined;
  }

  async saveTextGroups(sha: string, keyPart: unknown, of: Int32Array): Promise<void> {
    const key = cacheKey(keyPart);
    let groups = 0;
    for (const g of of) if (g + 1 > groups) groups = g + 1;
    const extra: TextGroupsExtra = { n: of.length, groups };
    saveArrays(this.base(sha, `text-groups-${key}`), 'text-groups', key, { of }, extra);
  }

  /**
   * One extra proxy's cosines between G probe groups (and between the H groups of both halves) for a
   * key, or undefined. Every cosine must be a number in [-1, 1] (within rounding).
   */
  async loadProxyCosines(sha: string, keyPart: unknown, G: number, H: number): Promise<ProxyCosines | undefined> {
    const key = cacheKey(keyPart);
    const spec: ArraySpec = {
      cos: ['Float32Array', G * G],
      ...(H > 0 ? { half0: ['Float32Array', H * H], half1: ['Float32Array', H * H] } : {}),
    };
    const hit = loadArrays<ProxyCosinesExtra>(
      this.base(sha, `proxy-cosines-${key}`),
      'proxy-cosines',
      key,
      this.log,
      ({ arrays, extra }) => {
        if (!validProxyCosinesExtra(extra)) return `has an invalid index (extra${schemaError(validProxyCosinesExtra)})`;
        if (extra.G !== G || extra.H !== H) return `holds ${extra.G} groups (${extra.H} in both halves), the run ${G} (${H})`;
        const bad = arraysMismatch(arrays, spec);
        if (bad) return bad;
        for (const [name, m] of [
          ['cos', G],
          ['half0', H],
          ['half1', H],
        ] as const) {
          const a = arrays[name] as Float32Array | undefined;
          if (a) {
            const why = notCosines(a, m);
            if (why) return `has ${name} ${why}`;
          }
        }
        return undefined;
      },
    );
    if (!hit) return undefined;
    const a = hit.arrays as Record<string, Float32Array>;
    return { cos: a.cos, ...(H > 0 ? { halves: [a.half0, a.half1] as [Float32Array, Float32Array] } : {}) };
  }

  async saveProxyCosines(sha: string, keyPart: unknown, of: ProxyCosines): Promise<void> {
    const key = cacheKey(keyPart);
    const G = Math.round(Math.sqrt(of.cos.length));
    const H = of.halves ? Math.round(Math.sqrt(of.halves[0].length)) : 0;
    const extra: ProxyCosinesExtra = { G, H };
    const arrays = { cos: of.cos, ...(of.halves ? { half0: of.halves[0], half1: of.halves[1] } : {}) };
    saveArrays(this.base(sha, `proxy-cosines-${key}`), 'proxy-cosines', key, arrays, extra);
  }

  /** Writes the per-line attribution table of the latest run for this dataset (a checksummed entry like the others). */
  async saveAttributions(sha: string, rows: Iterable<AttributionRow>): Promise<void> {
    const sqlite = attributionsDatabase(await loadSql(), sha, rows);
    saveArrays(this.base(sha, 'attributions'), 'attributions', sha, { sqlite }, null);
  }

  /** Opens the attribution table of a dataset, or undefined (missing, stale or corrupt: then deleted). */
  async openAttributions(sha: string): Promise<AttributionTable | undefined> {
    const base = this.base(sha, 'attributions');
    const hit = loadArrays(base, 'attributions', sha, this.log, ({ arrays, extra }) =>
      extra !== null ? 'has an invalid index (extra is not null)' : arraysMismatch(arrays, { sqlite: ['Uint8Array', undefined] }),
    );
    if (!hit) return undefined;
    const SQL = await loadSql();
    try {
      return attributionTableOf(SQL, hit.arrays.sqlite as Uint8Array, sha);
    } catch (e) {
      this.log?.warn(`cache: attributions of ${sha.slice(0, 16)} are unusable (${(e as Error).message}); deleting them`);
      rmSync(`${base}.json`, { force: true });
      rmSync(`${base}.bin`, { force: true });
      return undefined;
    }
  }

  close(): void {}
}

export async function openCurationCache(dir: string, log?: Logger): Promise<CurationCache> {
  return CurationCache.open(dir, log);
}

/**
 * Why `a` [m, m] is not a matrix of cosines (a value that is not a number in [-1, 1] within rounding), or
 * undefined. Symmetry is not asked: a GEMM may round a·b and b·a apart.
 */
function notCosines(a: Float32Array, m: number): string | undefined {
  for (let i = 0; i < m * m; i++)
    if (!(Math.abs(a[i]) <= 1 + 1e-3)) return `a value ${a[i]} at (${Math.floor(i / m)}, ${i % m}), not a cosine`;
  return undefined;
}
