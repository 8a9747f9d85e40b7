// The training frameworks' record shapes a curriculum is exported to (docs/export.md). Pure: one
// sample (turns, image paths relative to the export folder) → one record of the target's format.
//   llava         LLaVA's train.py (LazySupervisedDataset): a JSON array of {id, image, conversations:
//                 [{from: human|gpt, value}]}, `image` relative to --image_folder
//                 (https://github.com/haotian-liu/LLaVA/blob/main/docs/Finetune_Custom_Data.md)
//   sharegpt      the ShareGPT shape: a JSON array of {id, conversations: [{from, value}], system?, images?}
//   llama-factory LLaMA-Factory's sharegpt formatting with OpenAI-style tags: a JSON array of
//                 {messages: [{role, content}], images?}, declared in dataset_info.json
//                 (https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md)
//   openai        ms-swift's standard format: JSONL of {messages: [{role, content}], images?}
//                 (https://swift.readthedocs.io/en/latest/Customization/Custom-dataset.html)
import type { Turn } from '../dataset/types';

export type ExportFormat = 'llava' | 'sharegpt' | 'openai' | 'llama-factory';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['llava', 'sharegpt', 'openai', 'llama-factory'];

/** One sample to export: its id, turns, and image paths relative to the export folder ('/'-separated). */
export interface ExportSample {
  id: string;
  turns: Turn[];
  images: string[];
}

export interface ExportedRecord {
  record: Record<string, unknown>;
  /** System turns the target cannot hold (LLaVA), left out. */
  droppedSystem: number;
  /** `<image>` tokens added because the sample had images but its text named none. */
  addedTokens: number;
}

const TOKEN = /<image>/g;

/**
 * The turns with `<image>` tokens for the images: the frameworks (LLaVA, LLaMA-Factory, ms-swift) place
 * image k at the k-th token. A sample with images and no token in any user turn gets one token per
 * image at the start of its first user turn; a sample that has tokens is left as it is.
 */
export function withImageTokens(turns: Turn[], images: number): { turns: Turn[]; added: number } {
  if (images === 0) return { turns, added: 0 };
  const present = turns.some((t) => t.role === 'user' && (t.text.match(TOKEN) ?? []).length > 0);
  if (present) return { turns, added: 0 };
  const first = turns.findIndex((t) => t.role === 'user');
  if (first < 0) return { turns, added: 0 };
  const out = turns.map((t) => ({ ...t }));
  out[first].text = `${'<image>'.repeat(images)}\n${out[first].text}`;
  return { turns: out, added: images };
}

/** One sample in the target framework's record shape. */
export function exportRecord(format: ExportFormat, s: ExportSample): ExportedRecord {
  const { turns, added } = withImageTokens(s.turns, s.images.length);
  const system = turns.filter((t) => t.role === 'system');
  const talk = turns.filter((t) => t.role !== 'system');
  const fromOf = (t: Turn) => (t.role === 'user' ? 'human' : 'gpt');
  switch (format) {
    case 'llava': {
      // LLaVA-1.5 reads one image per sample (`image`: a path); several become a list (LLaVA-NeXT/OneVision).
      const image = s.images.length === 0 ? {} : { image: s.images.length === 1 ? s.images[0] : s.images };
      return {
        record: { id: s.id, ...image, conversations: talk.map((t) => ({ from: fromOf(t), value: t.text })) },
        droppedSystem: system.length,
        addedTokens: added,
      };
    }
    case 'sharegpt':
      return {
        record: {
          id: s.id,
          conversations: talk.map((t) => ({ from: fromOf(t), value: t.text })),
          ...(system.length ? { system: system.map((t) => t.text).join('\n') } : {}),
          ...(s.images.length ? { images: s.images } : {}),
        },
        droppedSystem: 0,
        addedTokens: added,
      };
    case 'llama-factory':
    case 'openai':
      return {
        record: {
          id: s.id,
          messages: turns.map((t) => ({ role: t.role, content: t.text })),
          ...(s.images.length ? { images: s.images } : {}),
        },
        droppedSystem: 0,
        addedTokens: added,
      };
  }
}

/** The file of one stage: `<stem>.<stage>.json` (a JSON array) or `.jsonl` for openai. */
export function stageFileName(stem: string, stageId: string, format: ExportFormat): string {
  return `${stem}.${stageId}.${format === 'openai' ? 'jsonl' : 'json'}`;
}

/** A stage file's text: JSONL (one record a line) for openai, else a JSON array with one record a line. */
export function stageFileText(format: ExportFormat, records: Record<string, unknown>[]): string {
  if (format === 'openai') return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
  if (records.length === 0) return '[]\n';
  return `[\n${records.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;
}

/** LLaMA-Factory's dataset_info.json entry name of a stage. */
export function llamaFactoryName(stem: string, stageId: string): string {
  return `${stem.replace(/[^A-Za-z0-9_.-]/g, '_')}_${stageId}`;
}

/** LLaMA-Factory's dataset_info.json: one entry per stage, in stage order (sharegpt formatting, OpenAI tags). */
export function llamaFactoryInfo(stem: string, stages: { id: string }[]): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (const s of stages) {
    info[llamaFactoryName(stem, s.id)] = {
      file_name: stageFileName(stem, s.id, 'llama-factory'),
      formatting: 'sharegpt',
      columns: { messages: 'messages', images: 'images' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
    };
  }
  return info;
}
