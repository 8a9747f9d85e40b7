// The example instructions shown on each capability's card (docs/manifest.md, `examples`): the samples
// chosen by describeCapabilities, their first instruction re-read from the dataset (by byte range, or a
// Parquet pool's by row; the pool keeps no text), with `<image>` tokens removed, whitespace collapsed
// and cut at 200 characters.
import type { CapabilityModel } from '../capabilities/types';
import { rereadSamples } from '../dataset/reader';
import type { ReadOptions } from '../dataset/types';
import type { Pool } from '../features/types';
import type { InstructionReader } from './attribute';

/** Longest example text kept (characters, an ellipsis included). */
export const MAX_EXAMPLE_CHARS = 200;

/** An instruction as an example: `<image>` tokens out, whitespace runs to one space, at most MAX_EXAMPLE_CHARS. */
export function exampleText(instruction: string): string {
  const t = instruction
    .replace(/<image>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length <= MAX_EXAMPLE_CHARS ? t : `${t.slice(0, MAX_EXAMPLE_CHARS - 1).trimEnd()}…`;
}

/** Reads the example samples' instructions into `model.exampleText` (sample index → text). */
export async function readExampleTexts(
  file: string,
  pool: Pool,
  model: CapabilityModel,
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo'> = {},
): Promise<void> {
  const wanted = new Set<number>();
  for (const cap of model.capabilities) {
    for (const i of cap.examples ?? []) wanted.add(i);
    for (const kid of cap.children ?? []) for (const i of kid.examples) wanted.add(i);
  }
  const order = [...wanted].sort((a, b) => a - b);
  const samples = await rereadSamples(file, records(pool, order), { ...opts, checkImages: false });
  const texts = new Map<number, string>();
  order.forEach((i, r) => {
    const first = samples[r]?.turns.find((t) => t.role === 'user');
    texts.set(i, first ? exampleText(first.text) : '');
  });
  model.exampleText = texts;
}

/** The byte ranges of some pool samples' records. */
function records(pool: Pool, samples: readonly number[]) {
  return samples.map((i) => ({ offset: pool.offsets[i], length: pool.lengths[i], line: pool.lines[i] }));
}

/**
 * Reads samples' instructions back from the dataset for the names' phrases (attribute.ts
 * describeCapabilities): all user turns of each, joined by a newline, `<image>` tokens out ('' where
 * the record no longer reads).
 */
export function instructionReader(
  file: string,
  pool: Pool,
  opts: Pick<ReadOptions, 'format' | 'imageRoot' | 'confineTo'> = {},
): InstructionReader {
  return async (samples) => {
    const read = await rereadSamples(file, records(pool, samples), { ...opts, checkImages: false });
    const out = new Map<number, string>();
    samples.forEach((i, r) => {
      const turns = read[r]?.turns.filter((t) => t.role === 'user') ?? [];
      out.set(i, turns.map((t) => t.text.replace(/<image>/gi, ' ')).join('\n'));
    });
    return out;
  };
}
