// The curation cache. Big typed arrays (pool columns, trajectories, warm-up weights) and the sql.js
// attribution database live in raw little-endian binary files with a JSON index beside them holding
// the layout, the data's size and sha256, and a checksum of the index itself; per-line attributions
// are a sql.js (SQLite) database for O(1) lookups by line. Every file is written atomically
// (util/atomicFile) and the index last, so a crash or cancel leaves the previous valid entry or none;
// temp files of writers that died are removed when the cache opens. Nothing read back is trusted: an
// index that fails its schema, its checksum, the data file's size or the data's checksum, or whose
// arrays do not fit what the entry claims, is a miss: logged, deleted and rebuilt. Files are read and
// written in chunks (cacheIo.chunkBytes), so entries over 2 GiB load too.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { JSONSchemaType } from 'ajv';
import type { DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { trajectoriesFromArrays, trajectoriesToArrays } from '../gradients/trajectories';
import type { AttributionRow } from './attributionTable';
import type { Logger } from '../runtime/log';
import type { WarmupResult } from '../proxy/warmup';
import { alive, cleanStaleTemps, writeFileAtomic } from '../util/atomicFile';
import { stableStringify } from '../util/stableJson';
import { decodeRefs, encodeRefs, imagesFingerprint } from './imageDeps';
import type { ImageScope } from './imageDeps';

export const CACHE_SCHEMA = 2;

type Typed = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float32Array | Float64Array;
const CTORS = { Int32Array, Uint32Array, Uint16Array, Uint8Array, Float32Array, Float64Array } as const;
type CtorName = keyof typeof CTORS;
const CTOR_NAMES = Object.keys(CTORS) as CtorName[];

/** I/O settings; tests lower chunkBytes (and wrap readSync) to prove large files are read in pieces. */
export const cacheIo = { chunkBytes: 1 << 26, readSync };

interface Layout {
  name: string;
  type: CtorName;
  offset: number;
  length: number;
}

interface Sidecar {
  schema: number;
  kind: string;
  key: string;
  sha256: string;
  bytes: number;
  arrays: Layout[];
  extra: unknown;
  /** sha256 of the stable JSON of every other field. */
  indexSha256: string;
}

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const UINT = { type: 'integer', minimum: 0 } as const;

const sidecarSchema: JSONSchemaType<Sidecar> = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'kind', 'key', 'sha256', 'bytes', 'arrays', 'extra', 'indexSha256'],
  properties: {
    schema: { type: 'integer' },
    kind: { type: 'string' },
    key: { type: 'string' },
    sha256: HEX64,
    bytes: UINT,
    arrays: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type', 'offset', 'length'],
        properties: { name: { type: 'string', minLength: 1 }, type: { type: 'string', enum: CTOR_NAMES }, offset: UINT, length: UINT },
      },
    },
    extra: {},
    indexSha256: HEX64,
  },
} as unknown as JSONSchemaType<Sidecar>;

interface FeaturesExtra {
  n: number;
  ids: string[];
  labels: Record<string, string[]>;
  termOf: [number, string][];
  dims: Pool['dims'];
  summary: DatasetSummary;
  hasImageFeatures: boolean;
  /** imagesFingerprint of the entry's image references when it was written (absent: not tracked). */
  images?: string;
}

const featuresExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'ids', 'labels', 'termOf', 'dims', 'summary', 'hasImageFeatures'],
  properties: {
    n: UINT,
    ids: { type: 'array', items: { type: 'string' } },
    labels: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    termOf: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'integer' }, { type: 'string' }] } },
    dims: {
      type: 'object',
      additionalProperties: false,
      required: ['questionBuckets', 'maxQuestionNgrams', 'answerVocab', 'imageDim'],
      properties: { questionBuckets: UINT, maxQuestionNgrams: UINT, answerVocab: UINT, imageDim: UINT },
    },
    summary: {
      type: 'object',
      required: ['path', 'container', 'format', 'sha256', 'bytes', 'lines', 'records', 'samples', 'invalid', 'diagnosticCounts', 'diagnostics', 'labelFields'],
      properties: {
        path: { type: 'string' },
        container: { type: 'string' },
        format: { type: 'string' },
        sha256: HEX64,
        bytes: UINT,
        lines: UINT,
        records: UINT,
        samples: UINT,
        invalid: UINT,
        diagnosticCounts: { type: 'object', additionalProperties: UINT },
        diagnostics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['line', 'severity', 'code', 'message'],
            properties: { line: UINT, column: UINT, recordIndex: UINT, severity: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
          },
        },
        labelFields: {
          type: 'array',
          items: { type: 'object', required: ['name', 'present', 'distinct'], properties: { name: { type: 'string' }, present: UINT, distinct: UINT } },
        },
      },
    },
    hasImageFeatures: { type: 'boolean' },
    images: HEX64,
  },
} as const;

interface TrajectoriesExtra {
  n: number;
  T: number;
  D: number;
  storage: 'float32' | 'float16';
  shape: WarmupResult['shape'];
  checkpoints: { t: number; eta: number; trainLoss: number }[];
}

const trajectoriesExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'T', 'D', 'storage', 'shape', 'checkpoints'],
  properties: {
    n: UINT,
    T: UINT,
    D: UINT,
    storage: { type: 'string', enum: ['float32', 'float16'] },
    shape: {
      type: 'object',
      additionalProperties: false,
      required: ['questionBuckets', 'maxNgrams', 'embedDim', 'imageDim', 'hidden', 'vocab', 'din'],
      properties: { questionBuckets: UINT, maxNgrams: UINT, embedDim: UINT, imageDim: UINT, hidden: UINT, vocab: UINT, din: UINT },
    },
    checkpoints: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['t', 'eta', 'trainLoss'], properties: { t: UINT, eta: { type: 'number' }, trainLoss: { type: 'number' } } },
    },
  },
} as const;

const ajv = new Ajv({ strict: false });
const validSidecar = ajv.compile<Sidecar>(sidecarSchema);
const validFeaturesExtra = ajv.compile<FeaturesExtra>(featuresExtraSchema);
const validTrajectoriesExtra = ajv.compile<TrajectoriesExtra>(trajectoriesExtraSchema);

function schemaError(v: { errors?: { instancePath: string; message?: string }[] | null }): string {
  const e = v.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'is invalid';
}

/** The Pool's typed-array columns, stored and loaded by name, with their element types. */
const POOL_ARRAYS = {
  lines: 'Int32Array',
  offsets: 'Float64Array',
  lengths: 'Int32Array',
  styleMask: 'Uint16Array',
  primaryStyle: 'Uint8Array',
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

/** What an entry's arrays must be: name → element type and length (undefined: any length). */
type ArraySpec = Record<string, [CtorName, number | undefined]>;

/** Why `arrays` do not match `spec` exactly (no missing, extra, mistyped or mis-sized array), or undefined. */
function arraysMismatch(arrays: Record<string, Typed>, spec: ArraySpec): string | undefined {
  for (const [name, [type, length]] of Object.entries(spec)) {
    const a = Object.hasOwn(arrays, name) ? arrays[name] : undefined;
    if (!a) return `lacks array ${name}`;
    if (a.constructor.name !== type) return `has array ${name} of type ${a.constructor.name}, not ${type}`;
    if (length !== undefined && a.length !== length) return `has array ${name} of length ${a.length}, not ${length}`;
  }
  const extra = Object.keys(arrays).find((k) => !Object.hasOwn(spec, k));
  return extra === undefined ? undefined : `has an unexpected array ${extra}`;
}

export function defaultUserCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'cadc');
}

export function cacheKey(part: unknown): string {
  return createHash('sha256').update(stableStringify(part)).digest('hex').slice(0, 16);
}

function indexChecksum(side: Omit<Sidecar, 'indexSha256'> & { indexSha256?: string }): string {
  const { indexSha256: _, ...rest } = side;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
}

/** Saves named typed arrays + JSON extra under `base` (base.bin + base.json, the index last). */
export function saveArrays(base: string, kind: string, key: string, arrays: Record<string, Typed>, extra: unknown): void {
  const entries = Object.entries(arrays);
  let offset = 0;
  const layout: Layout[] = [];
  for (const [name, a] of entries) {
    offset = Math.ceil(offset / 8) * 8;
    layout.push({ name, type: a.constructor.name as CtorName, offset, length: a.length });
    offset += a.byteLength;
  }
  rmSync(`${base}.json`, { force: true }); // the old index must not vouch for new bytes
  const hash = createHash('sha256');
  // Streamed array by array in chunks (no second in-memory copy of the data), hashed on the way.
  function* chunks(): Generator<Uint8Array> {
    let at = 0;
    for (let i = 0; i < entries.length; i++) {
      const a = entries[i][1];
      if (layout[i].offset > at) yield hashed(new Uint8Array(layout[i].offset - at));
      for (let w = 0; w < a.byteLength; w += cacheIo.chunkBytes) {
        yield hashed(new Uint8Array(a.buffer, a.byteOffset + w, Math.min(cacheIo.chunkBytes, a.byteLength - w)));
      }
      at = layout[i].offset + a.byteLength;
    }
  }
  const hashed = (b: Uint8Array) => (hash.update(b), b);
  writeFileAtomic(`${base}.bin`, chunks());
  const side: Omit<Sidecar, 'indexSha256'> = { schema: CACHE_SCHEMA, kind, key, sha256: hash.digest('hex'), bytes: offset, arrays: layout, extra };
  writeFileAtomic(`${base}.json`, JSON.stringify({ ...side, indexSha256: indexChecksum(side) }));
}

/** Reads `target.length` bytes at `position` in chunks of at most cacheIo.chunkBytes, hashing them. */
function readChunked(fd: number, target: Uint8Array, position: number, hash: ReturnType<typeof createHash>): void {
  for (let done = 0; done < target.length; ) {
    const got = cacheIo.readSync(fd, target, done, Math.min(cacheIo.chunkBytes, target.length - done), position + done);
    if (got <= 0) throw new Error('unexpected end of file');
    hash.update(target.subarray(done, done + got));
    done += got;
  }
}

/** Why a layout cannot describe `bytes` bytes (overlap, misalignment, out of bounds, duplicate names), or undefined. */
function layoutProblem(arrays: Layout[], bytes: number): string | undefined {
  const names = new Set<string>();
  let end = 0;
  for (const a of arrays) {
    if (names.has(a.name)) return `names array ${a.name} twice`;
    names.add(a.name);
    const size = CTORS[a.type].BYTES_PER_ELEMENT;
    if (a.offset % 8 !== 0 || a.offset < end) return `places array ${a.name} at a bad offset ${a.offset}`;
    end = a.offset + a.length * size;
    if (end > bytes) return `places array ${a.name} past the end of the data (${end} > ${bytes} bytes)`;
  }
  return end === bytes ? undefined : `describes ${end} bytes of ${bytes}`;
}

type Extra<T> = { arrays: Record<string, Typed>; extra: T };

/**
 * Loads what saveArrays wrote, or undefined when missing, stale or corrupt (then it is deleted and
 * logged). `check` vets the extra and arrays the caller will use; it returns why they are unusable.
 */
export function loadArrays<T = unknown>(
  base: string,
  kind: string,
  key: string,
  log?: Logger,
  check?: (hit: Extra<unknown>) => string | undefined,
): Extra<T> | undefined {
  if (!existsSync(`${base}.json`)) return undefined;
  const drop = (why: string) => {
    log?.warn(`cache: ${path.basename(base)} ${why}; deleting it and rebuilding`);
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.bin`, { force: true });
    return undefined;
  };
  let side: unknown;
  try {
    // A "__proto__" key would slip past a checksum of the parsed value and set prototypes: refused.
    side = JSON.parse(readFileSync(`${base}.json`, 'utf8'), (k, v: unknown) => {
      if (k === '__proto__') throw new Error('a __proto__ key');
      return v;
    });
  } catch {
    return drop('has an unreadable index');
  }
  if (!validSidecar(side)) return drop(`has an invalid index (${schemaError(validSidecar)})`);
  if (indexChecksum(side) !== side.indexSha256) return drop('failed its index checksum');
  if (side.schema !== CACHE_SCHEMA || side.kind !== kind || side.key !== key) return drop('is stale');
  const bad = layoutProblem(side.arrays, side.bytes);
  if (bad) return drop(`has an index that ${bad}`);
  let fd: number;
  try {
    fd = openSync(`${base}.bin`, 'r');
  } catch {
    return drop('has no data file');
  }
  const arrays: Record<string, Typed> = {};
  try {
    const size = fstatSync(fd).size;
    if (size !== side.bytes) return drop(`has a data file of ${size} bytes, not ${side.bytes}`);
    const hash = createHash('sha256');
    let at = 0;
    for (const a of side.arrays) {
      if (a.offset > at) readChunked(fd, new Uint8Array(a.offset - at), at, hash);
      const arr = new CTORS[a.type](a.length);
      readChunked(fd, new Uint8Array(arr.buffer), a.offset, hash);
      arrays[a.name] = arr;
      at = a.offset + arr.byteLength;
    }
    if (hash.digest('hex') !== side.sha256) return drop('failed its checksum');
  } catch (e) {
    return drop(`could not be read (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
  const hit = { arrays, extra: side.extra };
  const why = check?.(hit);
  return why ? drop(why) : (hit as Extra<T>);
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
  if (removed.length) log?.info(`cache: removed ${removed.length} temp file(s) left by writers that died: ${removed.map((f) => path.relative(dir, f)).join(', ')}`);
}

type SqlJs = import('sql.js').SqlJsStatic;
let sqlPromise: Promise<SqlJs> | undefined;

function locateWasm(): string {
  const candidates = [
    process.env.CADC_SQL_WASM,
    path.join(__dirname, 'sql-wasm.wasm'),
    path.join(__dirname, '..', 'sql-wasm.wasm'),
    path.resolve(__dirname, '../../../node_modules/sql.js/dist/sql-wasm.wasm'),
    path.resolve('node_modules/sql.js/dist/sql-wasm.wasm'),
  ].filter((p): p is string => !!p);
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new Error(`sql-wasm.wasm not found (looked in ${candidates.join(', ')})`);
  return hit;
}

function loadSql(): Promise<SqlJs> {
  if (!sqlPromise) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require('sql.js') as (cfg: { locateFile: () => string }) => Promise<SqlJs>;
    const wasm = locateWasm();
    sqlPromise = init({ locateFile: () => wasm });
  }
  return sqlPromise;
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
  async loadFeatures(sha: string, keyPart: unknown, images?: ImageScope): Promise<{ pool: Pool; summary: DatasetSummary; images?: string } | undefined> {
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
      if (last(arrays.answerPtr) !== arrays.answerTokens.length || last(arrays.termPtr) !== arrays.termIds.length) return 'has inconsistent CSR arrays';
      if (images) {
        const refs = x.images === undefined ? undefined : decodeRefs(arrays.imageRefs as Uint8Array);
        if (!refs) return 'does not record its images';
        if (imagesFingerprint(refs, images) !== x.images) return 'was built from other images (moved, added, removed or changed)';
      }
      return undefined;
    });
    if (!hit) return undefined;
    const { arrays: a, extra: x } = hit;
    const labels: Pool['labels'] = Object.fromEntries(Object.entries(x.labels).map(([field, values]) => [field, { values, codes: a[`label:${field}`] as Int32Array }]));
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
  async saveFeatures(sha: string, keyPart: unknown, pool: Pool, summary: DatasetSummary, images?: { refs: string[]; scope: ImageScope }): Promise<string | undefined> {
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

  async loadTrajectories(sha: string, keyPart: unknown): Promise<{ warm: WarmupResult; traj: Trajectories } | undefined> {
    const key = cacheKey(keyPart);
    const hit = loadArrays<TrajectoriesExtra>(this.base(sha, `trajectories-${key}`), 'trajectories', key, this.log, ({ arrays, extra }) => {
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
      for (let t = 0; t < T; t++) {
        spec[`w1:${t}`] = ['Float32Array', shape.hidden * shape.din];
        spec[`w2:${t}`] = ['Float32Array', shape.vocab * (shape.hidden + 1)];
        spec[`g:${t}`] = [storage === 'float16' ? 'Uint16Array' : 'Float32Array', n * D];
      }
      const bad = arraysMismatch(arrays, spec);
      if (bad) return bad;
      return (arrays.indices as Int32Array).every((i) => i >= 0 && i < n) ? undefined : 'has warm-up indices outside the pool';
    });
    if (!hit) return undefined;
    const { arrays: a, extra: x } = hit;
    const warm: WarmupResult = {
      shape: x.shape,
      indices: a.indices as Int32Array,
      embedding: a.embedding as Float32Array,
      checkpoints: x.checkpoints.map((c, t) => ({ ...c, w1: a[`w1:${t}`] as Float32Array, w2: a[`w2:${t}`] as Float32Array })),
    };
    const traj = trajectoriesFromArrays({
      n: x.n,
      T: x.T,
      D: x.D,
      storage: x.storage,
      g: Array.from({ length: x.T }, (_, t) => a[`g:${t}`] as Float32Array | Uint16Array),
      loss: a.loss as Float32Array,
      gradNormSq: a.gradNormSq as Float32Array,
      eta: a.eta as Float64Array,
    });
    return { warm, traj };
  }

  async saveTrajectories(sha: string, keyPart: unknown, warm: WarmupResult, traj: Trajectories): Promise<void> {
    const key = cacheKey(keyPart);
    const t = trajectoriesToArrays(traj);
    const arrays: Record<string, Typed> = { indices: warm.indices, embedding: warm.embedding, loss: t.loss, gradNormSq: t.gradNormSq, eta: t.eta };
    warm.checkpoints.forEach((c, i) => {
      arrays[`w1:${i}`] = c.w1;
      arrays[`w2:${i}`] = c.w2;
    });
    t.g.forEach((g, i) => (arrays[`g:${i}`] = g));
    const extra: TrajectoriesExtra = {
      n: t.n,
      T: t.T,
      D: t.D,
      storage: t.storage,
      shape: warm.shape,
      checkpoints: warm.checkpoints.map((c) => ({ t: c.t, eta: c.eta, trainLoss: c.trainLoss })),
    };
    saveArrays(this.base(sha, `trajectories-${key}`), 'trajectories', key, arrays, extra);
  }

  /** Writes the per-line attribution table of the latest run for this dataset (a checksummed entry like the others). */
  async saveAttributions(sha: string, rows: Iterable<AttributionRow>): Promise<void> {
    const SQL = await loadSql();
    const db = new SQL.Database();
    try {
      // Compact columns (influence as a float32 blob) rather than JSON text: 665K rows stay small.
      db.run(
        'CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT); CREATE TABLE attribution (line INTEGER PRIMARY KEY, id TEXT, cap INTEGER, influence BLOB, self REAL, loss REAL, style TEXT, stage INTEGER, hinf REAL);',
      );
      db.run('INSERT INTO meta VALUES (?, ?), (?, ?)', ['schema', String(CACHE_SCHEMA), 'sha256', sha]);
      db.run('BEGIN');
      const st = db.prepare('INSERT INTO attribution VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const r of rows) {
        const infl = new Float32Array(Object.values(r.influence));
        st.run([r.line, r.id, Number(r.capability.slice(1)), new Uint8Array(infl.buffer), r.selfInfluence, r.loss, r.style, r.stage ? Number(r.stage.slice(1)) : 0, r.influence[r.capability] ?? 0]);
      }
      st.free();
      db.run('COMMIT');
      saveArrays(this.base(sha, 'attributions'), 'attributions', sha, { sqlite: db.export() }, null);
    } finally {
      db.close();
    }
  }

  /** Opens the attribution table of a dataset, or undefined (missing, stale or corrupt: then deleted). */
  async openAttributions(sha: string): Promise<AttributionTable | undefined> {
    const base = this.base(sha, 'attributions');
    const hit = loadArrays(base, 'attributions', sha, this.log, ({ arrays, extra }) =>
      extra !== null ? 'has an invalid index (extra is not null)' : arraysMismatch(arrays, { sqlite: ['Uint8Array', undefined] }),
    );
    if (!hit) return undefined;
    const SQL = await loadSql();
    let db: import('sql.js').Database | undefined;
    try {
      db = new SQL.Database(hit.arrays.sqlite as Uint8Array);
      const meta = db.exec("SELECT v FROM meta WHERE k = 'sha256'");
      if (meta[0]?.values[0]?.[0] !== sha) throw new Error('its table belongs to another file');
      return new AttributionTable(db);
    } catch (e) {
      db?.close();
      this.log?.warn(`cache: attributions of ${sha.slice(0, 16)} are unusable (${(e as Error).message}); deleting them`);
      rmSync(`${base}.json`, { force: true });
      rmSync(`${base}.bin`, { force: true });
      return undefined;
    }
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async flush(): Promise<void> {
    // Everything is written through; kept for symmetry with callers that batch writes.
  }

  close(): void {}
}

export class AttributionTable {
  private readonly stmt: import('sql.js').Statement;
  constructor(private readonly db: import('sql.js').Database) {
    this.stmt = db.prepare('SELECT id, cap, influence, self, loss, style, stage FROM attribution WHERE line = ?');
  }
  at(line: number): AttributionRow | undefined {
    this.stmt.bind([line]);
    let row: AttributionRow | undefined;
    if (this.stmt.step()) {
      const [id, cap, blob, self, loss, style, stage] = this.stmt.get() as [string, number, Uint8Array, number, number, string, number];
      const infl = new Float32Array(blob.slice().buffer);
      const influence: Record<string, number> = {};
      infl.forEach((v, k) => (influence[`c${k + 1}`] = Number(v.toPrecision(6))));
      row = { line, id, capability: `c${cap}`, influence, selfInfluence: self, loss, style, selected: stage > 0, stage: stage > 0 ? `s${stage}` : null };
    }
    this.stmt.reset();
    return row;
  }
  /** Every row's line, hard capability (0-based), stage (0 = not selected) and influence vector. */
  *scan(): Generator<{ line: number; cap: number; stage: number; influence: Float32Array }> {
    const st = this.db.prepare('SELECT line, cap, stage, influence FROM attribution ORDER BY line');
    try {
      while (st.step()) {
        const [line, cap, stage, blob] = st.get() as [number, number, number, Uint8Array];
        yield { line, cap: cap - 1, stage, influence: new Float32Array(blob.slice().buffer) };
      }
    } finally {
      st.free();
    }
  }

  /** A filtered, sorted page of rows (SQL does the work), with the total count of the filter. */
  page(q: AttributionQuery): { total: number; rows: AttributionRow[] } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.capability !== undefined) {
      where.push('cap = ?');
      params.push(q.capability + 1);
    }
    if (q.style) {
      where.push('style = ?');
      params.push(q.style);
    }
    if (q.selected !== undefined) where.push(q.selected ? 'stage > 0' : 'stage = 0');
    if (q.search) {
      where.push("id LIKE ? ESCAPE '\\'");
      params.push(`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const col = { line: 'line', influence: 'hinf', selfInfluence: 'self', loss: 'loss' }[q.sort];
    const total = Number(this.db.exec(`SELECT COUNT(*) FROM attribution ${w}`, params)[0]?.values[0]?.[0] ?? 0);
    const st = this.db.prepare(`SELECT line FROM attribution ${w} ORDER BY ${col} ${q.dir === 'desc' ? 'DESC' : 'ASC'}, line ASC LIMIT ? OFFSET ?`);
    const rows: AttributionRow[] = [];
    try {
      st.bind([...params, Math.max(0, Math.min(1000, q.limit)), Math.max(0, q.offset)]);
      while (st.step()) {
        const row = this.at(st.get()[0] as number);
        if (row) rows.push(row);
      }
    } finally {
      st.free();
    }
    return { total, rows };
  }

  close(): void {
    this.stmt.free();
    this.db.close();
  }
}

export interface AttributionQuery {
  capability?: number;
  style?: string;
  selected?: boolean;
  search?: string;
  sort: 'line' | 'influence' | 'selfInfluence' | 'loss';
  dir: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export async function openCurationCache(dir: string, log?: Logger): Promise<CurationCache> {
  return CurationCache.open(dir, log);
}
