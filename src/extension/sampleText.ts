// The text of a sample's read-only preview document (a Parquet pool's row has no line to show), without
// `vscode` (unit-tested in plain Node). Markdown: dataset text goes into fenced blocks longer than any
// backtick run it holds (shown literally, never parsed), names are escaped, the image is the backend's
// thumbnail (a checked base64 JPEG data URI) last, so the text comes first in the editor.
import type { SamplePreview } from '../protocol/sample';
import { escapeMarkdown, hoverLine } from './annotationText';

/** What the run says of the sample (from the attached attribution table or manifest). */
export interface SampleAttribution {
  capability: string;
  name: string;
  selected: boolean;
  stage: string | null;
  style: string;
  influence?: number;
}

/** Untrusted text as a fenced block: the fence is one backtick longer than the longest run inside. */
export function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

const ROLE: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System' };

/** The instruction and the answer of a preview (the first user and assistant turns), for a hover. */
export function firstExchange(p: SamplePreview): { instruction: string; answer: string } {
  return {
    instruction: hoverLine(p.turns.find((t) => t.role === 'user')?.text ?? ''),
    answer: hoverLine(p.turns.find((t) => t.role === 'assistant')?.text ?? ''),
  };
}

export function sampleDocumentText(p: SamplePreview, dataset: string, a?: SampleAttribution): string {
  const where = p.shard !== undefined ? `${escapeMarkdown(p.shard)} · row ${p.row}` : `line ${p.line}`;
  const out: string[] = [`# ${where}`, '', `*CADC sample preview (read-only): ${escapeMarkdown(dataset)}, sample line ${p.line}*`, ''];
  if (p.id) out.push(`**id** ${escapeMarkdown(p.id)}`, '');
  if (a) {
    const sel = a.selected ? `selected, stage ${escapeMarkdown(a.stage ?? '?')}` : 'not selected';
    const infl = a.influence !== undefined ? ` · influence ${a.influence.toFixed(4)}` : '';
    const style = a.style ? ` · style ${escapeMarkdown(a.style)}` : '';
    out.push(`**${escapeMarkdown(a.capability)}** ${escapeMarkdown(a.name)} · ${sel}${style}${infl}`, '');
  }
  if (p.labels.length)
    out.push(`**labels** ${p.labels.map((l) => `${escapeMarkdown(l.field)}: ${escapeMarkdown(l.value)}`).join(' · ')}`, '');
  if (p.problem) out.push(`*${escapeMarkdown(p.problem)}*`, '');
  for (const t of p.turns) out.push(`## ${ROLE[t.role] ?? escapeMarkdown(t.role)}`, '', fenced(t.text), '');
  if (p.truncated) out.push('*Long turns are cut here; the dataset holds the whole text.*', '');
  if (p.images > 0) {
    out.push(`## Image${p.images > 1 ? ` (1 of ${p.images})` : ''}`, '');
    const t = p.thumbnail;
    if (t) {
      out.push(
        `${p.embedded ? 'embedded' : 'file'}: ${escapeMarkdown(t.source.format.toUpperCase())} ${t.source.width}×${t.source.height}, ${t.source.bytes.toLocaleString('en-US')} bytes; thumbnail ${t.width}×${t.height} (hover this document, or open its Markdown preview)`,
        '',
        `![image](${t.dataUri})`,
        '',
      );
    } else out.push(`*${escapeMarkdown(p.imageProblem ?? 'image not read')}*`, '');
  }
  return out.join('\n');
}
