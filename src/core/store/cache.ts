// The curation cache. Big typed arrays (pool columns, trajectories, warm-up weights) live in raw
// little-endian binary files with a JSON sidecar holding the layout and the sha256 of the bytes;
// per-line attributions live in a sql.js (SQLite) database for O(1) lookups by line. Every file is
// written to a temp name and renamed, and the sidecar is written last, so a crash or cancel leaves
// the previous valid entry or none. A corrupt or stale entry is a miss, deleted and rebuilt.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { trajectoriesFromArrays, trajectoriesToArrays } from '../gradients/trajectories';
import type { AttributionRow } from '../pipeline/api';
import type { Logger } from '../pipeline/types';
import type { WarmupResult } from '../proxy/warmup';
import { stableStringify } from '../util/stableJson';

export const CACHE_SCHEMA = 1;

type Typed = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float32Array | Float64Array;
const CTORS = { Int32Array, Uint32Array, Uint16Array, Uint8Array, Float32Array, Float64Array } as const;
type CtorName = keyof typeof CTORS;

interface Sidecar {
  schema: number;
  kind: string;
  key: string;
  sha256: string;
  bytes: number;
  arrays: { name: string; type: CtorName; offset: number; length: number }[];
  extra: unknown;
}

/** The Pool's typed-array columns, stored and loaded by name. */
const POOL_ARRAYS = [
  'lines',
  'offsets',
  'lengths',
  'styleMask',
  'primaryStyle',
  'questionNgrams',
  'questionNgramCount',
  'answerPtr',
  'answerTokens',
  'hasImage',
  'turns',
  'questionChars',
  'answerChars',
  'exactHash',
  'simHash',
  'termPtr',
  'termIds',
] as const;

export function defaultUserCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'cadc');
}

export function cacheKey(part: unknown): string {
  return createHash('sha256').update(stableStringify(part)).digest('hex').slice(0, 16);
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Saves named typed arrays + JSON extra under `base` (base.bin + base.json). */
export function saveArrays(base: string, kind: string, key: string, arrays: Record<string, Typed>, extra: unknown): void {
  const entries = Object.entries(arrays);
  let offset = 0;
  const layout: Sidecar['arrays'] = [];
  for (const [name, a] of entries) {
    offset = Math.ceil(offset / 8) * 8;
    layout.push({ name, type: a.constructor.name as CtorName, offset, length: a.length });
    offset += a.byteLength;
  }
  // Streamed array by array (no second in-memory copy of the data), hashed on the way.
  rmSync(`${base}.json`, { force: true }); // the old sidecar must not vouch for new bytes
  const tmp = `${base}.bin.${process.pid}.tmp`;
  const hash = createHash('sha256');
  const fd = openSync(tmp, 'w');
  try {
    let at = 0;
    entries.forEach(([, a], i) => {
      const pad = layout[i].offset - at;
      if (pad > 0) {
        const zeros = Buffer.alloc(pad);
        hash.update(zeros);
        writeSync(fd, zeros);
      }
      const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      hash.update(bytes);
      for (let w = 0; w < bytes.length; ) w += writeSync(fd, bytes, w, Math.min(1 << 26, bytes.length - w));
      at = layout[i].offset + a.byteLength;
    });
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, `${base}.bin`);
  const sha256 = hash.digest('hex');
  const side: Sidecar = { schema: CACHE_SCHEMA, kind, key, sha256, bytes: offset, arrays: layout, extra };
  writeAtomic(`${base}.json`, JSON.stringify(side));
}

/** Loads what saveArrays wrote, or undefined when missing, stale or corrupt (then it is deleted). */
export function loadArrays(base: string, kind: string, key: string, log?: Logger): { arrays: Record<string, Typed>; extra: unknown } | undefined {
  if (!existsSync(`${base}.json`)) return undefined;
  const drop = (why: string) => {
    log?.warn(`cache: ${path.basename(base)} ${why}; rebuilding`);
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.bin`, { force: true });
    return undefined;
  };
  let side: Sidecar;
  try {
    side = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Sidecar;
  } catch {
    return drop('has an unreadable index');
  }
  if (side.schema !== CACHE_SCHEMA || side.kind !== kind || side.key !== key) return drop('is stale');
  let buf: Buffer;
  try {
    buf = readFileSync(`${base}.bin`);
  } catch {
    return drop('has no data file');
  }
  if (buf.length !== side.bytes || createHash('sha256').update(buf).digest('hex') !== side.sha256) return drop('failed its checksum');
  // Views on the file's bytes (8-byte aligned by saveArrays), not copies.
  const backing = buf.byteOffset % 8 === 0 ? buf : Buffer.from(Uint8Array.prototype.slice.call(buf));
  const arrays: Record<string, Typed> = {};
  for (const a of side.arrays) {
    const Ctor = CTORS[a.type];
    if (!Ctor) return drop(`has an unknown array type ${a.type}`);
    arrays[a.name] = new Ctor(backing.buffer as ArrayBuffer, backing.byteOffset + a.offset, a.length);
  }
  return { arrays, extra: side.extra };
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

  static open(dir: string, log?: Logger): CurationCache {
    mkdirSync(dir, { recursive: true });
    return new CurationCache(dir, log);
  }

  private base(sha: string, kind: string, key: string): string {
    const d = path.join(this.dir, sha.slice(0, 16));
    mkdirSync(d, { recursive: true });
    return path.join(d, `${kind}-${key}`);
  }

  async loadFeatures(sha: string, keyPart: unknown): Promise<{ pool: Pool; summary: DatasetSummary } | undefined> {
    const key = cacheKey(keyPart);
    const hit = loadArrays(this.base(sha, 'features', key), 'features', key, this.log);
    if (!hit) return undefined;
    const a = hit.arrays;
    const x = hit.extra as {
      n: number;
      ids: string[];
      labels: Record<string, string[]>;
      termOf: [number, string][];
      dims: Pool['dims'];
      summary: DatasetSummary;
      hasImageFeatures: boolean;
    };
    const labels: Pool['labels'] = {};
    for (const [field, values] of Object.entries(x.labels)) labels[field] = { values, codes: a[`label:${field}`] as Int32Array };
    const columns = Object.fromEntries(POOL_ARRAYS.map((k) => [k, a[k]])) as Pick<Pool, (typeof POOL_ARRAYS)[number]>;
    const pool: Pool = {
      ...columns,
      n: x.n,
      ids: x.ids,
      labels,
      imageFeatures: x.hasImageFeatures ? (a.imageFeatures as Float32Array) : null,
      termOf: new Map(x.termOf),
      dims: x.dims,
    };
    return { pool, summary: x.summary };
  }

  async saveFeatures(sha: string, keyPart: unknown, pool: Pool, summary: DatasetSummary): Promise<void> {
    const key = cacheKey(keyPart);
    const arrays: Record<string, Typed> = {
      ...Object.fromEntries(POOL_ARRAYS.map((k) => [k, pool[k]])),
      ...(pool.imageFeatures ? { imageFeatures: pool.imageFeatures } : {}),
    };
    const labels: Record<string, string[]> = {};
    for (const [field, col] of Object.entries(pool.labels)) {
      labels[field] = col.values;
      arrays[`label:${field}`] = col.codes;
    }
    saveArrays(this.base(sha, 'features', key), 'features', key, arrays, {
      n: pool.n,
      ids: pool.ids,
      labels,
      termOf: [...pool.termOf.entries()],
      dims: pool.dims,
      summary,
      hasImageFeatures: !!pool.imageFeatures,
    });
  }

  async loadTrajectories(sha: string, keyPart: unknown): Promise<{ warm: WarmupResult; traj: Trajectories } | undefined> {
    const key = cacheKey(keyPart);
    const hit = loadArrays(this.base(sha, 'trajectories', key), 'trajectories', key, this.log);
    if (!hit) return undefined;
    const a = hit.arrays;
    const x = hit.extra as { n: number; T: number; D: number; storage: 'float32' | 'float16'; shape: WarmupResult['shape']; checkpoints: { t: number; eta: number; trainLoss: number }[] };
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
    saveArrays(this.base(sha, 'trajectories', key), 'trajectories', key, arrays, {
      n: t.n,
      T: t.T,
      D: t.D,
      storage: t.storage,
      shape: warm.shape,
      checkpoints: warm.checkpoints.map((c) => ({ t: c.t, eta: c.eta, trainLoss: c.trainLoss })),
    });
  }

  /** Writes the per-line attribution table of the latest run for this dataset (atomic). */
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
      mkdirSync(path.join(this.dir, sha.slice(0, 16)), { recursive: true });
      writeAtomic(path.join(this.dir, sha.slice(0, 16), 'attributions.sqlite'), db.export());
    } finally {
      db.close();
    }
  }

  /** Opens the attribution table of a dataset, or undefined (missing, stale or corrupt). */
  async openAttributions(sha: string): Promise<AttributionTable | undefined> {
    const file = path.join(this.dir, sha.slice(0, 16), 'attributions.sqlite');
    if (!existsSync(file)) return undefined;
    const SQL = await loadSql();
    try {
      const db = new SQL.Database(readFileSync(file));
      const meta = db.exec("SELECT v FROM meta WHERE k = 'sha256'");
      if (meta[0]?.values[0]?.[0] !== sha) {
        db.close();
        rmSync(file, { force: true });
        return undefined;
      }
      return new AttributionTable(db);
    } catch {
      this.log?.warn('cache: attributions.sqlite is corrupt; deleting it');
      rmSync(file, { force: true });
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
