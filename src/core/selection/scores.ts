// Imported per-sample capability scores for the mmSSR strategy (docs/method.md §2): 14 capabilities,
// 0–5 each, from a JSONL or CSV file. The parser validates every row (unknown capability names,
// values out of range, rows that match no sample) and reports problems with the file's line number.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Pool } from '../features/types';
import { sampleAtLine } from '../features/pool';

/** mmSSR's 14 capabilities, as kebab-case ids (column order of CapabilityScores.values). */
export const MMSSR_CAPABILITIES = [
  'object-spatial-understanding',
  'attribute-identification',
  'logical-deduction',
  'scene-understanding',
  'fine-grained-recognition',
  'language-generation',
  'in-context-learning',
  'comparative-analysis',
  'activity-recognition',
  'causal-reasoning',
  'humanities',
  'stem-knowledge',
  'data-understanding',
  'ocr',
] as const;
export type MmssrCapability = (typeof MMSSR_CAPABILITIES)[number];

export const SCORE_MIN = 0;
export const SCORE_MAX = 5;

/** Other spellings accepted for a capability (after lower-casing and turning spaces/underscores into '-'). */
const ALIASES: Record<string, MmssrCapability> = {
  'optical-character-recognition': 'ocr',
  stem: 'stem-knowledge',
};

export interface CapabilityScores {
  /** sha256 of the file's bytes (recorded in the manifest). */
  sha256: string;
  /** Capability ids, the columns of `values` (MMSSR_CAPABILITIES). */
  capabilities: readonly string[];
  C: number;
  /** Pool size the scores were matched against. */
  n: number;
  /** Dense scores, row-major [n, C]; rows of samples without scores are 0. */
  values: Float32Array;
  /** 1 where the sample has a row in the file. */
  has: Uint8Array;
  /** Samples with scores. */
  scored: number;
  /** Data rows read from the file. */
  rows: number;
  /** Problems that do not stop the import (rows matching no sample, missing capabilities). */
  warnings: string[];
}

/** The file has errors; `problems` are `file:line: message` strings. */
export class ScoresFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : '';
    super(`The scores file ${file} has ${problems.length} problem(s):\n${shown.join('\n')}${more}`);
    this.name = 'ScoresFileError';
  }
}

/** Capability id for a name as written in a file, or undefined when it is not one of the 14. */
export function canonicalCapability(name: string): MmssrCapability | undefined {
  const k = name
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-');
  if ((MMSSR_CAPABILITIES as readonly string[]).includes(k)) return k as MmssrCapability;
  return ALIASES[k];
}

const MAX_LISTED_WARNINGS = 20;

interface RawRow {
  line: number;
  id?: string;
  sampleLine?: number;
  /** Capability column → value (null = missing). */
  scores: Map<number, number | null>;
}

/** Parses scores text (JSONL or CSV) and matches its rows to the pool's samples. */
export function parseScores(text: string, pool: Pool, opts: { file?: string; format?: 'jsonl' | 'csv' } = {}): CapabilityScores {
  const file = opts.file ?? 'scores';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const format = opts.format ?? sniffFormat(file, body);
  const errors: string[] = [];
  const err = (line: number, msg: string) => errors.push(`${path.basename(file)}:${line}: ${msg}`);
  const rows = format === 'csv' ? csvRows(body, err) : jsonlRows(body, err);
  const C = MMSSR_CAPABILITIES.length;
  const values = new Float32Array(pool.n * C);
  const has = new Uint8Array(pool.n);
  const scoredOn = new Int32Array(pool.n);
  const byId = new Map<string, number[]>();
  for (let i = 0; i < pool.n; i++) {
    const list = byId.get(pool.ids[i]);
    if (list) list.push(i);
    else byId.set(pool.ids[i], [i]);
  }
  const unmatched: string[] = [];
  let missingRows = 0;
  let firstMissing = 0;
  for (const row of rows) {
    if (row.scores.size === 0) {
      err(row.line, 'no capability scores in this row.');
      continue;
    }
    let targets: number[] | undefined;
    if (row.id !== undefined) targets = byId.get(row.id);
    if (row.sampleLine !== undefined) {
      const i = sampleAtLine(pool, row.sampleLine);
      if (row.id !== undefined && targets && (i < 0 || !targets.includes(i))) {
        err(row.line, `id '${row.id}' and line ${row.sampleLine} name different samples.`);
        continue;
      }
      if (row.id === undefined) targets = i >= 0 ? [i] : undefined;
    }
    if (!targets) {
      unmatched.push(
        `${path.basename(file)}:${row.line}: ${row.id !== undefined ? `id '${row.id}'` : `line ${row.sampleLine}`} matches no sample of the dataset; row ignored.`,
      );
      continue;
    }
    let missing = false;
    for (let c = 0; c < C; c++) if ((row.scores.get(c) ?? null) === null) missing = true;
    if (missing) {
      missingRows++;
      if (!firstMissing) firstMissing = row.line;
    }
    for (const i of targets) {
      if (has[i]) {
        err(row.line, `sample ${pool.ids[i]} (dataset line ${pool.lines[i]}) already has scores from line ${scoredOn[i]}.`);
        continue;
      }
      has[i] = 1;
      scoredOn[i] = row.line;
      for (const [c, v] of row.scores) values[i * C + c] = v ?? 0;
    }
  }
  if (errors.length) throw new ScoresFileError(file, errors);
  const warnings: string[] = [];
  if (unmatched.length) {
    warnings.push(`${unmatched.length} row(s) of ${path.basename(file)} match no sample and were ignored.`);
    warnings.push(...unmatched.slice(0, MAX_LISTED_WARNINGS));
  }
  if (missingRows)
    warnings.push(
      `${missingRows} row(s) of ${path.basename(file)} lack some of the 14 capabilities; those count as 0 (first on line ${firstMissing}).`,
    );
  let scored = 0;
  for (let i = 0; i < pool.n; i++) scored += has[i];
  if (scored === 0) throw new ScoresFileError(file, [`${path.basename(file)}: no row matches a sample of the dataset (by id or line).`]);
  return { sha256: '', capabilities: MMSSR_CAPABILITIES, C, n: pool.n, values, has, scored, rows: rows.length, warnings };
}

/** Reads, hashes and parses a scores file. */
export async function loadScoresFile(file: string, pool: Pool): Promise<CapabilityScores> {
  const bytes = await readFile(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { ...parseScores(bytes.toString('utf8'), pool, { file }), sha256 };
}

function sniffFormat(file: string, text: string): 'jsonl' | 'csv' {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.jsonl?$/i.test(file)) return 'jsonl';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/** A score value: a number (or numeric string) in [0, 5]; null/empty = missing; otherwise an error string. */
function scoreValue(v: unknown): number | null | string {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null;
  const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(x)) return `is not a number (${JSON.stringify(v)})`;
  if (x < SCORE_MIN || x > SCORE_MAX) return `is ${x}, outside ${SCORE_MIN}–${SCORE_MAX}`;
  return x;
}

function sampleLineValue(v: unknown): number | string {
  const x = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(x) && x >= 1 ? x : `'line' must be a whole number ≥ 1, got ${JSON.stringify(v)}`;
}

function jsonlRows(text: string, err: (line: number, msg: string) => void): RawRow[] {
  const out: RawRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const raw = lines[l].trim();
    if (!raw) continue;
    const line = l + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      err(line, `not valid JSON (${(e as Error).message}).`);
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      err(line, 'expected a JSON object.');
      continue;
    }
    const rec = obj as Record<string, unknown>;
    const row: RawRow = { line, scores: new Map() };
    if (!keyOf(rec, row, err)) continue;
    let entries: [string, unknown][];
    if ('scores' in rec) {
      const s = rec.scores;
      if (!s || typeof s !== 'object' || Array.isArray(s)) {
        err(line, "'scores' must be an object of capability → score.");
        continue;
      }
      entries = Object.entries(s as Record<string, unknown>);
      const extra = Object.keys(rec).filter((k) => k !== 'scores' && k !== 'id' && k !== 'line');
      if (extra.length) err(line, `unexpected field(s) ${extra.map((k) => `'${k}'`).join(', ')} next to 'scores'.`);
    } else entries = Object.entries(rec).filter(([k]) => k !== 'id' && k !== 'line');
    if (readScores(entries, row, err)) out.push(row);
  }
  return out;
}

function keyOf(rec: Record<string, unknown>, row: RawRow, err: (line: number, msg: string) => void): boolean {
  if (rec.id === undefined && rec.line === undefined) {
    err(row.line, "a row needs an 'id' (the sample's id) or a 'line' (its 1-based line in the dataset).");
    return false;
  }
  if (rec.id !== undefined) {
    if (typeof rec.id !== 'string' && typeof rec.id !== 'number') {
      err(row.line, "'id' must be a string or a number.");
      return false;
    }
    row.id = String(rec.id);
  }
  if (rec.line !== undefined) {
    const l = sampleLineValue(rec.line);
    if (typeof l === 'string') {
      err(row.line, `${l}.`);
      return false;
    }
    row.sampleLine = l;
  }
  return true;
}

/** Reads a row's capability scores; false (with errors reported) when any is wrong. */
function readScores(entries: [string, unknown][], row: RawRow, err: (line: number, msg: string) => void): boolean {
  let ok = true;
  for (const [name, v] of entries) {
    const cap = canonicalCapability(name);
    if (!cap) {
      err(row.line, `unknown capability '${name}' (expected one of ${MMSSR_CAPABILITIES.join(', ')}).`);
      ok = false;
      continue;
    }
    const c = MMSSR_CAPABILITIES.indexOf(cap);
    if (row.scores.has(c)) {
      err(row.line, `capability '${cap}' is given twice.`);
      ok = false;
      continue;
    }
    const x = scoreValue(v);
    if (typeof x === 'string') {
      err(row.line, `score of '${cap}' ${x}.`);
      ok = false;
      continue;
    }
    row.scores.set(c, x);
  }
  return ok;
}

/** CSV records (RFC 4180 quoting) with the 1-based line each starts on. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let any = false;
  const endRecord = () => {
    cells.push(cell);
    if (any || cells.length > 1 || cell.trim() !== '') out.push({ line: start, cells });
    cells = [];
    cell = '';
    any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      any = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else cell += ch;
  }
  if (cell !== '' || cells.length > 0 || any) endRecord();
  return out;
}

function csvRows(text: string, err: (line: number, msg: string) => void): RawRow[] {
  const records = csvRecords(text);
  if (records.length === 0) return [];
  const header = records[0];
  const names = header.cells.map((c) => c.trim());
  const idCol = names.findIndex((h) => h.toLowerCase() === 'id');
  const lineCol = names.findIndex((h) => h.toLowerCase() === 'line');
  if (idCol < 0 && lineCol < 0) {
    err(header.line, "the header needs an 'id' or a 'line' column.");
    return [];
  }
  const capCol = new Map<number, number>();
  let bad = false;
  names.forEach((h, j) => {
    if (j === idCol || j === lineCol) return;
    const cap = canonicalCapability(h);
    if (!cap) {
      err(header.line, `unknown capability column '${h}' (expected one of ${MMSSR_CAPABILITIES.join(', ')}).`);
      bad = true;
      return;
    }
    const c = MMSSR_CAPABILITIES.indexOf(cap);
    if ([...capCol.values()].includes(c)) {
      err(header.line, `capability '${cap}' has two columns.`);
      bad = true;
      return;
    }
    capCol.set(j, c);
  });
  if (bad) return [];
  const out: RawRow[] = [];
  for (const rec of records.slice(1)) {
    if (rec.cells.length !== names.length) {
      err(rec.line, `${rec.cells.length} cells, but the header has ${names.length} columns.`);
      continue;
    }
    const row: RawRow = { line: rec.line, scores: new Map() };
    const obj: Record<string, unknown> = {};
    if (idCol >= 0 && rec.cells[idCol].trim() !== '') obj.id = rec.cells[idCol].trim();
    if (lineCol >= 0 && rec.cells[lineCol].trim() !== '') obj.line = rec.cells[lineCol].trim();
    if (!keyOf(obj, row, err)) continue;
    let ok = true;
    for (const [j, c] of capCol) {
      const x = scoreValue(rec.cells[j]);
      if (typeof x === 'string') {
        err(rec.line, `score of '${MMSSR_CAPABILITIES[c]}' ${x}.`);
        ok = false;
      } else row.scores.set(c, x);
    }
    if (ok) out.push(row);
  }
  return out;
}
