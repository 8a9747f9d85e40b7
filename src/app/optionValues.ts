// The value parsers of the option table (src/app/options.ts): each reads an option's text as given
// on the command line or in a setting, and throws a UsageError naming `what` (the flag or setting).
import type { BudgetUnit } from '../core/config';
import { UsageError } from './outcome';

/** Parses FIELD=V1,V2 (the alignment stage's label predicate); `what` names the option in errors. */
export function parseAlignmentLabel(v: string, what: string): { field: string; values: string[] } {
  const eq = v.indexOf('=');
  const field = eq > 0 ? v.slice(0, eq).trim() : '';
  const values =
    eq > 0
      ? v
          .slice(eq + 1)
          .split(',')
          .map((x) => x.trim())
      : [];
  if (!field || values.length === 0 || values.some((x) => !x))
    throw new UsageError(`${what} ${v}: expected FIELD=VALUE[,VALUE…], e.g. task_name=llava+detail.`);
  return { field, values: [...new Set(values)] };
}

/**
 * Parses a budget: '5%' → 5% of the pool, '0.05' → 5%, '100%' or '1.0' → all of it; a bare whole
 * number is a count: '2000' → 2000 samples, '1' → one sample.
 */
export function parseBudget(text: string, what = '--budget'): { budget: number; budgetUnit: BudgetUnit } {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const v = Number(pct[1]) / 100;
    if (v <= 0 || v > 1) throw new UsageError(`${what} ${text}: a percentage must be in (0%, 100%].`);
    return { budget: v, budgetUnit: 'fraction' };
  }
  if (/^\d+$/.test(t)) {
    const v = Number(t);
    if (v < 1) throw new UsageError(`${what} ${text}: a count must be at least 1.`);
    if (!Number.isSafeInteger(v)) throw new UsageError(`${what} ${text}: too large a count.`);
    return { budget: v, budgetUnit: 'count' };
  }
  if (!/^\d*\.\d+$/.test(t)) throw new UsageError(`${what} ${text}: expected a share (5% or 0.05) or a count of samples (2000).`);
  const v = Number(t);
  if (v <= 0 || v > 1)
    throw new UsageError(`${what} ${text}: a share must be in (0, 1] (1.0 is all of the pool); a count is a whole number such as 2000.`);
  return { budget: v, budgetUnit: 'fraction' };
}

/** One of `values`, or a UsageError listing them (`either` words a two- or three-value choice). */
export function parseChoice<T extends string>(v: string, what: string, values: readonly T[], either?: string): T {
  if (!(values as readonly string[]).includes(v))
    throw new UsageError(`${what} ${v}: expected ${either ?? `one of ${values.join(', ')}`}.`);
  return v as T;
}

/** A whole number in [min, max]; `expected` words the range in the error. */
export function parseWhole(v: string, what: string, min: number, max: number, expected: string): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${what} ${v}: expected ${expected}.`);
  return Number(v);
}

/** 'auto' or a number of capabilities from 2 to 64. */
export function parseCapabilities(v: string, what: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  if (/^\d+$/.test(v) && Number(v) >= 2 && Number(v) <= 64) return Number(v);
  throw new UsageError(`${what} ${v}: expected 'auto' or a number from 2 to 64.`);
}

/** A label field name (trimmed, not empty). */
export function parseField(v: string, what: string): string {
  const t = v.trim();
  if (!t) throw new UsageError(`${what}: expected a label field name.`);
  return t;
}

/** LOW,HIGH quantiles with 0 ≤ LOW < HIGH ≤ 1. */
export function parseLossBand(v: string, what: string): [number, number] {
  const m = /^\s*(\d*\.?\d+)\s*,\s*(\d*\.?\d+)\s*$/.exec(v);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!(lo >= 0 && hi <= 1 && lo < hi))
    throw new UsageError(`${what} ${v}: expected LOW,HIGH quantiles with 0 ≤ LOW < HIGH ≤ 1, e.g. 0.25,0.75.`);
  return [lo, hi];
}

/** A quantile strictly between 0 and 1. */
export function parseOpenQuantile(v: string, what: string): number {
  const p = /^\s*\d*\.?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!(p > 0 && p < 1)) throw new UsageError(`${what} ${v}: expected a quantile strictly between 0 and 1, e.g. 0.8.`);
  return p;
}

/** 'auto' or a fraction in [0, 1) of self-influence to leave out. */
export function parseSelfInfluenceDrop(text: string, what: string): number | 'auto' {
  const v = text.trim();
  const f = /^\d*\.?\d+$/.test(v) ? Number(v) : NaN;
  if (v !== 'auto' && !(f >= 0 && f < 1))
    throw new UsageError(`${what} ${v}: expected auto or a fraction in [0, 1), e.g. 0.1 (0 keeps every sample).`);
  return v === 'auto' ? 'auto' : f;
}

/** Proxies for the capability graph: 'auto' or a whole number from 1 to 32. */
export function parseProxies(v: string, what: string): number | 'auto' {
  const t = v.trim();
  if (t === 'auto') return 'auto';
  if (/^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 32) return Number(t);
  throw new UsageError(`${what} ${v}: expected auto or a whole number from 1 to 32.`);
}

/** A seed: a whole number 0..4294967295. */
export function parseSeed(v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`${what} ${v}: expected a whole number 0..4294967295.`);
  return Number(v);
}
