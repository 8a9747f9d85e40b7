// The attribution table: one row per sample (what the attributions JSONL holds and a hover shows),
// as a sql.js (SQLite) database for O(1) lookups by line and filtered, sorted pages. The cache stores
// the database's bytes as a checksummed entry (cache.ts); this file writes and reads the table.
import { capabilityNumber } from '../capabilities/ids';
import { CACHE_SCHEMA } from './arrays';
import type { SqlJs } from './sqlite';

/** One line of the attributions JSONL, also what a hover shows. */
export interface AttributionRow {
  line: number;
  id: string;
  /** Hard label, as capability id `c<k>`. */
  capability: string;
  /** I_k(z) per capability id. */
  influence: Record<string, number>;
  selfInfluence: number;
  /** Loss at the last checkpoint. */
  loss: number;
  style: string;
  selected: boolean;
  /** Stage id `s<k>` or null when not selected. */
  stage: string | null;
}

/** The attribution table of a dataset's run as a SQLite database file's bytes. */
export function attributionsDatabase(SQL: SqlJs, sha: string, rows: Iterable<AttributionRow>): Uint8Array {
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
      st.run([
        r.line,
        r.id,
        capabilityNumber(r.capability),
        new Uint8Array(infl.buffer),
        r.selfInfluence,
        r.loss,
        r.style,
        r.stage ? Number(r.stage.slice(1)) : 0,
        r.influence[r.capability] ?? 0,
      ]);
    }
    st.free();
    db.run('COMMIT');
    return db.export();
  } finally {
    db.close();
  }
}

/** The table in a SQLite database file's bytes; throws (and closes it) when the bytes are not a table of this dataset. */
export function attributionTableOf(SQL: SqlJs, bytes: Uint8Array, sha: string): AttributionTable {
  let db: import('sql.js').Database | undefined;
  try {
    db = new SQL.Database(bytes);
    const meta = db.exec("SELECT v FROM meta WHERE k = 'sha256'");
    if (meta[0]?.values[0]?.[0] !== sha) throw new Error('its table belongs to another file');
    return new AttributionTable(db);
  } catch (e) {
    db?.close();
    throw e;
  }
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
      row = {
        line,
        id,
        capability: `c${cap}`,
        influence,
        selfInfluence: self,
        loss,
        style,
        selected: stage > 0,
        stage: stage > 0 ? `s${stage}` : null,
      };
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
    const st = this.db.prepare(
      `SELECT line FROM attribution ${w} ORDER BY ${col} ${q.dir === 'desc' ? 'DESC' : 'ASC'}, line ASC LIMIT ? OFFSET ?`,
    );
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
