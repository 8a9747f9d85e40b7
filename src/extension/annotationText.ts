// The text of annotations, without `vscode` (unit-tested in plain Node): line tags, the rank of a
// sample's influence within its capability, record previews and Markdown escaping for hovers.
import type { AttributionRow } from '../core/store/attributionTable';

const PREVIEW_CHARS = 220;

/** A sample's influence on its own capability, ranked among that capability's samples (1 = most influential). */
export interface Rank {
  rank: number;
  of: number;
}

export type LineTags = 'off' | 'short' | 'full';

/** Markdown-escapes untrusted dataset text. */
export function escapeMarkdown(text: string): string {
  // HTML's three as entities (shown as text, never parsed as tags), Markdown's punctuation backslashed.
  return text.replace(/[&<>]|[\\`*_{}[\]()#+\-.!|~:]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

/** A capability name cut for a line tag. */
function shortName(name: string, max = 28): string {
  const n = name.replace(/\s+/g, ' ').trim();
  return n.length > max ? `${n.slice(0, max - 1)}…` : n;
}

/** A line's tag: `short` names the capability (and the stage when selected); `full` adds its id and rank. */
export function tagOf(row: AttributionRow, name: string, mode: Exclude<LineTags, 'off'>, rank?: Rank): string {
  const stage = row.selected ? ` ✓ ${row.stage}` : '';
  if (mode === 'short') return `${shortName(name)}${stage}`;
  const r = rank && rank.of > 0 ? ` · top ${topPercent(rank)}% of ${row.capability}` : '';
  return `${row.capability} ${shortName(name, 48)}${row.selected ? ` · selected ${row.stage}` : ' · not selected'}${r}`;
}

/** The share of the capability ranked at or above this sample, as a whole percentage (1..100). */
export function topPercent(r: Rank): number {
  return Math.max(1, Math.ceil((100 * r.rank) / r.of));
}

/**
 * Ranks every sample's influence on its own capability among that capability's samples: rank 1 is
 * the most influential. Lines index the result (1-based; 0 means not ranked).
 */
export function rankWithinCapability(rows: Iterable<{ line: number; cap: number; value: number }>): { rank: Int32Array; of: Int32Array } {
  const per = new Map<number, { line: number; value: number }[]>();
  let maxLine = 0;
  for (const r of rows) {
    let list = per.get(r.cap);
    if (!list) per.set(r.cap, (list = []));
    list.push({ line: r.line, value: r.value });
    if (r.line > maxLine) maxLine = r.line;
  }
  const rank = new Int32Array(maxLine + 1);
  const of = new Int32Array(maxLine + 1);
  for (const list of per.values()) {
    list.sort((a, b) => b.value - a.value || a.line - b.line);
    list.forEach((x, i) => {
      rank[x.line] = i + 1;
      of[x.line] = list.length;
    });
  }
  return { rank, of };
}

/** The first instruction and answer of a record (conversations, messages, Alpaca), flattened; untrusted text. */
/** A turn's text as one hover line: `<image>` tokens dropped, whitespace runs made one space. */
export function hoverLine(text: string): string {
  return text
    .replace(/<image>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function recordPreview(lineText: string): { instruction: string; answer: string } {
  const flat = (v: unknown): string =>
    hoverLine(
      typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? v.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join(' ')
          : '',
    );
  try {
    const r = JSON.parse(lineText) as {
      conversations?: { value?: unknown }[];
      messages?: { content?: unknown }[];
      instruction?: unknown;
      input?: unknown;
      output?: unknown;
      texts?: { user?: unknown; assistant?: unknown }[];
    };
    if (Array.isArray(r.conversations)) return { instruction: flat(r.conversations[0]?.value), answer: flat(r.conversations[1]?.value) };
    if (Array.isArray(r.messages)) return { instruction: flat(r.messages[0]?.content), answer: flat(r.messages[1]?.content) };
    if (Array.isArray(r.texts)) return { instruction: flat(r.texts[0]?.user), answer: flat(r.texts[0]?.assistant) };
    return { instruction: [flat(r.instruction), flat(r.input)].filter(Boolean).join(' '), answer: flat(r.output) };
  } catch {
    return { instruction: '', answer: '' };
  }
}

export function cut(text: string, n = PREVIEW_CHARS): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
