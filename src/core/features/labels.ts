// Which record fields become the pool's label columns. Every sample may carry any number of label
// keys (a file can have 100 new keys on every line), so keys are gathered sparsely while the file
// streams — memory grows with the label entries in the file, never rows × distinct keys — and only
// keys that look like labels get a dense column at the end: present on a real share of samples,
// not an identifier (a few distinct values, or at most MAX_LABEL_DISTINCT), at most
// MAX_LABEL_FIELDS of them. The rest are counted in one diagnostic.
import { excerpt } from '../dataset/describe';
import type { DatasetDiagnostic } from '../dataset/types';
import type { LabelColumn } from './types';

/**
 * Label fields that name a sample's task, best first: the fallback when no field is given for
 * probe groups (capabilities.labelField), for a probe file, and for task-balanced/LESS/ICONS
 * (selection.taskField). The order is the one docs/method.md §1.2 and §3 and the README promise.
 */
export const TASK_LABEL_FIELDS: readonly string[] = ['task_name', 'task', 'source', 'category', 'dataset', 'ability'];

/** At most this many label columns (the most present first). */
export const MAX_LABEL_FIELDS = 32;
/** A label field is present on at least this share of the samples. */
export const MIN_LABEL_SHARE = 0.05;
/** A field with more distinct values than this is not a label (also what labelCandidates accepts). */
export const MAX_LABEL_DISTINCT = 5000;
/** Over this many distinct values, a field whose values are mostly unique is an identifier. */
const ID_LIKE_DISTINCT = 256;
/** Keys followed at once while streaming; over this, keys that stay rare are let go. */
const MAX_TRACKED = 1024;

type DropReason = 'rare' | 'distinct' | 'cap';

interface Tracked {
  firstRow: number;
  values: string[];
  index: Map<string, number>;
  /** Sparse (row, code) pairs, rows ascending. */
  rows: number[];
  codes: number[];
}

export class LabelTable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly dropped = new Map<string, { reason: DropReason; firstRow: number }>();
  private rowsSeen = 0;
  private pruneAt = MAX_TRACKED;

  /** Adds one sample's labels (rows in increasing order). */
  observe(row: number, labels: Record<string, string>): void {
    this.rowsSeen = row + 1;
    for (const key of Object.keys(labels)) {
      if (this.dropped.has(key)) continue;
      let t = this.tracked.get(key);
      if (!t) {
        if (this.tracked.size >= this.pruneAt) this.prune(row);
        t = { firstRow: row, values: [], index: new Map(), rows: [], codes: [] };
        this.tracked.set(key, t);
      }
      const value = labels[key];
      let code = t.index.get(value);
      if (code === undefined) {
        if (t.values.length >= MAX_LABEL_DISTINCT) {
          this.drop(key, t, 'distinct');
          continue;
        }
        code = t.values.length;
        t.values.push(value);
        t.index.set(value, code);
      }
      t.rows.push(row);
      t.codes.push(code);
    }
  }

  private drop(key: string, t: Tracked, reason: DropReason): void {
    this.tracked.delete(key);
    this.dropped.set(key, { reason, firstRow: t.firstRow });
  }

  /** Lets go of keys that, since they first appeared, stayed under MIN_LABEL_SHARE of the rows. */
  private prune(row: number): void {
    for (const [key, t] of this.tracked) {
      const since = row - t.firstRow + 1;
      if (since * MIN_LABEL_SHARE >= 1 && t.rows.length < MIN_LABEL_SHARE * since) this.drop(key, t, 'rare');
    }
    // Amortised: the next prune waits until the table has doubled (or is back over MAX_TRACKED).
    this.pruneAt = Math.max(MAX_TRACKED, 2 * this.tracked.size);
  }

  /**
   * The label columns over n samples (in first-seen order), and a diagnostic for the fields not
   * kept. `lineOf` gives a row's 1-based line, for the diagnostic.
   */
  finish(n: number, lineOf: (row: number) => number): { labels: Record<string, LabelColumn>; diagnostic?: DatasetDiagnostic } {
    const minPresent = Math.max(1, Math.ceil(MIN_LABEL_SHARE * n));
    const ok: [string, Tracked][] = [];
    for (const [key, t] of this.tracked) {
      const distinct = t.values.length;
      if (t.rows.length < minPresent) this.drop(key, t, 'rare');
      else if (distinct > ID_LIKE_DISTINCT && distinct > 0.5 * t.rows.length) this.drop(key, t, 'distinct');
      else ok.push([key, t]);
    }
    const kept = new Set(
      [...ok]
        .sort((a, b) => b[1].rows.length - a[1].rows.length || a[1].firstRow - b[1].firstRow)
        .slice(0, MAX_LABEL_FIELDS)
        .map(([key]) => key),
    );
    const labels: Record<string, LabelColumn> = {};
    for (const [key, t] of ok) {
      if (!kept.has(key)) {
        this.drop(key, t, 'cap');
        continue;
      }
      const codes = new Int32Array(n).fill(-1);
      for (let j = 0; j < t.rows.length; j++) codes[t.rows[j]] = t.codes[j];
      labels[key] = { values: t.values, codes };
    }
    this.tracked.clear();
    return { labels, diagnostic: this.diagnostic(lineOf) };
  }

  private diagnostic(lineOf: (row: number) => number): DatasetDiagnostic | undefined {
    if (this.dropped.size === 0) return undefined;
    const by: Record<DropReason, number> = { rare: 0, distinct: 0, cap: 0 };
    let first = Infinity;
    for (const d of this.dropped.values()) {
      by[d.reason]++;
      first = Math.min(first, d.firstRow);
    }
    const parts = [
      by.rare ? `${by.rare} on fewer than ${MIN_LABEL_SHARE * 100}% of the samples` : '',
      by.distinct ? `${by.distinct} with too many distinct values` : '',
      by.cap ? `${by.cap} over the cap of ${MAX_LABEL_FIELDS} label fields` : '',
    ].filter(Boolean);
    const names = [...this.dropped.keys()].slice(0, 5).map((k) => excerpt(k, 24));
    return {
      line: first < this.rowsSeen ? lineOf(first) : 1,
      severity: 'info',
      code: 'label-fields-dropped',
      message: `${this.dropped.size} field(s) were not kept as labels (${parts.join(', ')}): ${names.join(', ')}${this.dropped.size > names.length ? ', …' : ''}.`,
    };
  }
}
