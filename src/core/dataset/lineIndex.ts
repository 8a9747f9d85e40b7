// A sparse index of a text file's lines: the byte offset of every `every`-th line, built in one
// streamed pass. Reading any set of lines then costs a seek and a scan of at most `every` lines per
// block, so a curated file of any size (also one VS Code will not open, over 50 MB) can show its
// lines without being loaded. Lines are 1-based and end at '\n' (a preceding '\r' is dropped).
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { throwIfCancelled } from '../runtime/cancel';

export interface LineIndex {
  file: string;
  /** File size and modification time when indexed: a changed file needs a new index. */
  size: number;
  mtimeMs: number;
  every: number;
  /** offsets[k] = byte offset where line k·every + 1 starts. */
  offsets: Float64Array;
  /** Number of lines (a last line without '\n' counts; an empty file has 0). */
  lines: number;
}

export async function buildLineIndex(file: string, every = 1024, signal?: AbortSignal): Promise<LineIndex> {
  if (!(every >= 1)) throw new Error(`buildLineIndex: every must be ≥ 1, got ${every}`);
  const st = await stat(file);
  const offsets: number[] = [0];
  let line = 1; // the line that starts at the next byte
  let pos = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    throwIfCancelled(signal);
    const buf = chunk as Buffer;
    let i = buf.indexOf(10);
    while (i >= 0) {
      line++;
      if ((line - 1) % every === 0) offsets.push(pos + i + 1);
      i = buf.indexOf(10, i + 1);
    }
    pos += buf.length;
  }
  // The last '\n' opens a line only if bytes follow it.
  const endsWithNewline = pos > 0 && (await lastByte(file, pos)) === 10;
  const lines = pos === 0 ? 0 : endsWithNewline ? line - 1 : line;
  while (offsets.length > 1 && offsets[offsets.length - 1] >= pos) offsets.pop();
  return { file, size: st.size, mtimeMs: st.mtimeMs, every, offsets: Float64Array.from(offsets), lines };
}

async function lastByte(file: string, size: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0];
  } finally {
    await fh.close();
  }
}

/** Whether the file changed since it was indexed. */
export async function isStale(index: LineIndex): Promise<boolean> {
  const st = await stat(index.file);
  return st.size !== index.size || st.mtimeMs !== index.mtimeMs;
}

/**
 * Reads the wanted lines (1-based). Lines beyond the file are absent from the result; a line longer
 * than `maxLineBytes` is returned cut at that length (enough for a preview, never a huge allocation).
 */
export async function readLines(index: LineIndex, wanted: Iterable<number>, maxLineBytes = 1 << 20): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const byBlock = new Map<number, number[]>();
  for (const l of wanted) {
    if (!Number.isInteger(l) || l < 1 || l > index.lines) continue;
    const k = Math.floor((l - 1) / index.every);
    const list = byBlock.get(k);
    if (list) list.push(l);
    else byBlock.set(k, [l]);
  }
  if (byBlock.size === 0) return out;
  const fh = await open(index.file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16);
    for (const [k, list] of [...byBlock.entries()].sort((a, b) => a[0] - b[0])) {
      const want = new Set(list);
      const last = Math.max(...list);
      let line = k * index.every + 1;
      let pos = index.offsets[k];
      let parts: Buffer[] = [];
      let partBytes = 0;
      const keep = want.has(line);
      let keeping = keep;
      outer: while (line <= last) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) {
          if (keeping) out.set(line, decode(parts));
          break;
        }
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(10, start);
          const end = nl < 0 || nl >= bytesRead ? bytesRead : nl;
          if (keeping && partBytes < maxLineBytes) {
            const piece = chunk.subarray(start, Math.min(end, start + (maxLineBytes - partBytes)));
            parts.push(Buffer.from(piece));
            partBytes += piece.length;
          }
          if (end === bytesRead) break; // the line goes on in the next read
          if (keeping) out.set(line, decode(parts));
          parts = [];
          partBytes = 0;
          line++;
          if (line > last) break outer;
          keeping = want.has(line);
          start = end + 1;
        }
        pos += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
  return out;
}

function decode(parts: Buffer[]): string {
  const s = Buffer.concat(parts).toString('utf8');
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
