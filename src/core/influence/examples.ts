// The example instructions shown on each capability's card (docs/manifest.md, `examples`): the samples
// chosen by describeCapabilities, their first instruction re-read from the dataset by byte range
// (the pool keeps no text), with `<image>` tokens removed, whitespace collapsed and cut at 200 characters.
import type { CapabilityModel } from '../capabilities/types';
import { readRecordAt } from '../dataset/reader';
import type { ReadOptions } from '../dataset/types';
import type { Pool } from '../features/types';

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
  const texts = new Map<number, string>();
  for (const i of [...wanted].sort((a, b) => a - b)) {
    const s = await readRecordAt(file, pool.offsets[i], pool.lengths[i], { ...opts, checkImages: false, line: pool.lines[i] });
    const first = s?.turns.find((t) => t.role === 'user');
    texts.set(i, first ? exampleText(first.text) : '');
  }
  model.exampleText = texts;
}
