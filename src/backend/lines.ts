// Lines of a JSONL dataset read from disk through a sparse line index (so a file of any size, also one
// VS Code will not open, is read a few lines at a time): one index kept, rebuilt when its file changes
// or another file is asked for. The map's previews and the sample request share one.
import { buildLineIndex, isStale, readLines } from '../core/dataset/lineIndex';
import type { LineIndex } from '../core/dataset/lineIndex';

export class LineSource {
  private index: Promise<LineIndex> | undefined;

  /** The texts of `lines` (1-based) of `file`; a line over `maxLineBytes` is left out. */
  async read(file: string, lines: number[], maxLineBytes: number): Promise<Map<number, string>> {
    try {
      let index = this.index && (await this.index);
      if (!index || index.file !== file || (await isStale(index))) {
        this.index = buildLineIndex(file);
        index = await this.index;
      }
      return await readLines(index, lines, maxLineBytes);
    } catch (e) {
      this.index = undefined;
      throw e;
    }
  }
}
