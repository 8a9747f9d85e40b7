// Tells, from the first bytes of a file, whether it can be a dataset at all: an empty file, a
// Parquet/Arrow/compressed/binary file, CSV or TSV, UTF-16 text. Those throw DatasetReadError before
// the full pass (a 10 GB Parquet file is not read to the end to find that out). Anything that may be
// JSONL or a JSON array passes; its bad lines are diagnostics of the full pass, never an error here.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { excerpt } from './describe';
import { DatasetReadError, SUPPORTED_FORMATS_TEXT } from './errors';
import type { DatasetReadErrorCode } from './errors';

/** Bytes looked at: enough for a few CSV lines; the binary test uses the first BINARY_WINDOW of them. */
const SNIFF_BYTES = 64 * 1024;
const BINARY_WINDOW = 1024;
/** Share of NULs, control bytes and invalid UTF-8 in the first KB above which a file is binary. */
const BINARY_SHARE = 0.3;

const MAGIC: { bytes: number[]; what: string; code: DatasetReadErrorCode }[] = [
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file (magic PAR1)', code: 'unsupported-format' },
  { bytes: [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31], what: 'an Arrow IPC file (magic ARROW1)', code: 'unsupported-format' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data (decompress it first)', code: 'unsupported-format' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data (decompress it first)', code: 'unsupported-format' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data (decompress it first)', code: 'unsupported-format' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data (decompress it first)', code: 'unsupported-format' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive', code: 'unsupported-format' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20], what: 'an SQLite database', code: 'unsupported-format' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text (save it as UTF-8)', code: 'unsupported-format' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text (save it as UTF-8)', code: 'unsupported-format' },
];

/** The one-line message of a DatasetReadError: what was found, what is supported, where reading stopped. */
export function readErrorMessage(file: string, found: string, where: { line?: number; byte?: number }): string {
  const at = [where.line !== undefined ? `line ${where.line}` : '', where.byte !== undefined ? `byte ${where.byte}` : '']
    .filter(Boolean)
    .join(', ');
  return `${path.basename(file)} is not a dataset CADC can read: found ${found}${at ? ` (reading stopped at ${at})` : ''}; supported: ${SUPPORTED_FORMATS_TEXT}.`;
}

function fail(file: string, code: DatasetReadErrorCode, found: string, line?: number, byte?: number): never {
  throw new DatasetReadError(code, readErrorMessage(file, found, { line, byte }), line, byte);
}

/** Bytes that are not text: NUL and other C0 controls (but tab, LF, FF, CR, ESC) and bytes of invalid UTF-8 sequences. First such byte and their count. */
export function nonTextBytes(buf: Buffer): { count: number; first: number } {
  let count = 0;
  let first = -1;
  const bad = (i: number, n = 1) => {
    if (first < 0) first = i;
    count += n;
  };
  for (let i = 0; i < buf.length;) {
    const b = buf[i];
    if (b < 0x80) {
      if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) bad(i);
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) {
      bad(i);
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) break; // cut by the window: not held against the file
      if ((buf[i + k] & 0xc0) !== 0x80) ok = false;
    }
    if (!ok) {
      bad(i);
      i++;
    } else i += need + 1;
  }
  return { count, first };
}

/** Separator counts outside double quotes. */
function fieldsOf(line: string, sep: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) n++;
  }
  return n;
}

/** Throws DatasetReadError when the file's first bytes show it cannot be JSONL or a JSON array. */
export async function sniffDataset(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r');
  let head: Buffer;
  let size: number;
  try {
    size = (await fh.stat()).size;
    head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (size === 0) fail(file, 'empty', 'an empty file (0 bytes)', 1, 0);
  for (const m of MAGIC) {
    if (head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b)) fail(file, m.code, m.what, 1, 0);
  }
  const window = head.subarray(0, BINARY_WINDOW);
  const nonText = nonTextBytes(window);
  if (nonText.count > BINARY_SHARE * window.length) {
    const line = 1 + countNewlines(head.subarray(0, nonText.first));
    fail(
      file,
      'binary',
      `binary data (${nonText.count} of the first ${window.length} bytes are NULs, control bytes or invalid UTF-8)`,
      line,
      nonText.first,
    );
  }
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const text = head.subarray(bom).toString('utf8');
  if (text.trim() === '' && size <= head.length)
    fail(file, 'empty', 'only whitespace', Math.max(1, countNewlines(head) + (head[head.length - 1] === 0x0a ? 0 : 1)), size);
  // CSV/TSV: the first lines (all complete ones in the window, up to 5) open no JSON value and all
  // carry the same number (≥ 1) of tabs or commas outside quotes.
  const lines = text.split('\n');
  if (size > head.length) lines.pop(); // the last one may be cut by the window
  const first = lines
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '')
    .slice(0, 5);
  if (first.length > 0 && !first.some((l) => /^\s*[[{]/.test(l))) {
    for (const [sep, name] of [
      ['\t', 'TSV'],
      [',', 'CSV'],
    ] as const) {
      const n = fieldsOf(first[0], sep);
      if (n >= 1 && first.every((l) => fieldsOf(l, sep) === n)) {
        fail(
          file,
          'unsupported-format',
          `${name} text (header ${excerpt(first[0], 60)}, ${n + 1} columns)`,
          lines.findIndex((l) => l.trim() !== '') + 1,
          bom,
        );
      }
    }
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
