// Text helpers shared by the benchmark renderers (render.ts, renderQuality.ts): number formats,
// Markdown tables, the load-average line, and the untyped shape of a results file.
import { budgetText } from '../src/core/config';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export const num = (v: number, d = 1) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
export const int = (v: number) => Math.round(v).toLocaleString('en-US');
/** A budget (a share of the training pool) as the user writes it: 5%. */
export const pct = (b: number) => budgetText(b, 'fraction');
export const sign = (v: number, d = 1) => (v < 0 ? `−${num(-v, d)}` : num(v, d));

export function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function loadLine(j: Json): string {
  const l = j.loadavg?.before ?? j.loadavg;
  return l
    ? `Load average at start (1/5/15 min): ${l.join(' / ')} on ${j.machine?.cpus ?? 2} cores.${j.loadNote ? ` ${j.loadNote}` : ''}`
    : '';
}
