// The record splitter: a byte stream cut into records with their line and byte offset — lines for
// JSONL, top-level elements for a JSON array (a small scanner tracking strings, escapes and depth).
// Over-long records and structural errors of the array are reported through callbacks.
import type { DatasetContainer } from './types';

const NL = 0x0a;
const CR = 0x0d;

/** An indexOf result, with "not found" as the end of the buffer. */
const found = (at: number, end: number): number => (at < 0 ? end : at);

/** One record's bytes, its 1-based start line and its byte offset in the file. */
export interface RawRecord {
  bytes: Buffer;
  line: number;
  offset: number;
  /** A Parquet row: its shard (file name) and 0-based row in that shard. */
  shard?: string;
  row?: number;
}

/**
 * Splits a byte stream into records: lines for JSONL, top-level elements for a JSON array (a small
 * scanner tracking strings, escapes and depth, so each element's offset and start line are known).
 */
export class RecordSplitter {
  container: DatasetContainer | undefined;
  lines = 1;
  private offset = 0; // absolute offset of the next byte to scan
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private recStart = -1; // absolute offset of the current record, -1 = none
  private recLine = 1;
  private tooLong = false;
  // JSON-array scanner state
  private depth = 0;
  private inString = false;
  private escape = false;
  private arrayClosed = false;
  sawCR = false;
  blankLines = 0;
  /** The JSON array ended before it was closed. */
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (r: RawRecord) => void,
    private readonly onTooLong: (line: number) => void,
    private readonly onStructure: (line: number, msg: string, byte: number) => void,
  ) {}

  /** Bytes consumed outside the splitter (a BOM) still count for offsets. */
  skipBytes(n: number): void {
    this.offset += n;
  }

  push(chunk: Buffer): void {
    if (this.container === undefined) {
      const first = chunk.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== NL && b !== CR);
      if (first < 0) {
        this.advanceLines(chunk, 0, chunk.length);
        this.offset += chunk.length;
        return;
      }
      this.container = chunk[first] === 0x5b ? 'json-array' : 'jsonl';
    }
    if (this.container === 'jsonl') this.pushJsonl(chunk);
    else this.pushArray(chunk);
  }

  private advanceLines(buf: Buffer, from: number, to: number): void {
    for (let i = buf.indexOf(NL, from); i >= 0 && i < to; i = buf.indexOf(NL, i + 1)) this.lines++;
  }

  private keep(buf: Buffer): void {
    if (this.tooLong) return;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes > this.maxBytes) {
      this.tooLong = true;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }

  private take(): Buffer {
    const b = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return b;
  }

  private pushJsonl(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.recStart < 0) {
        this.recStart = this.offset + pos;
        this.recLine = this.lines;
        this.tooLong = false;
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.keep(chunk.subarray(pos));
        break;
      }
      this.keep(chunk.subarray(pos, nl));
      this.finishLine();
      this.lines++;
      pos = nl + 1;
    }
    this.offset += chunk.length;
  }

  /** Closes the current record: its bytes and start offset, or undefined when it was too long. */
  private closeRecord(): { bytes: Buffer; start: number } | undefined {
    const start = this.recStart;
    this.recStart = -1;
    if (this.tooLong) {
      this.tooLong = false;
      this.onTooLong(this.recLine);
      return undefined;
    }
    return { bytes: this.take(), start };
  }

  private finishLine(): void {
    const rec = this.closeRecord();
    if (!rec) return;
    let { bytes } = rec;
    const { start } = rec;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      this.sawCR = true;
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    let s = 0;
    while (s < bytes.length && (bytes[s] === 0x20 || bytes[s] === 0x09)) s++;
    if (s === bytes.length) {
      this.blankLines++;
      return;
    }
    this.emit({ bytes, line: this.recLine, offset: start });
  }

  private pushArray(chunk: Buffer): void {
    let segStart = this.recStart >= 0 ? 0 : -1;
    // Inside a string only '"', '\\' and '\n' matter: jump to the next of them (indexOf, native)
    // instead of looking at every byte; the positions found are kept until passed.
    let nextQuote = -1;
    let nextSlash = -1;
    let nextNl = -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      if (this.inString && !this.escape) {
        if (nextQuote < i) nextQuote = found(chunk.indexOf(0x22, i), n);
        if (nextSlash < i) nextSlash = found(chunk.indexOf(0x5c, i), n);
        if (nextNl < i) nextNl = found(chunk.indexOf(NL, i), n);
        i = Math.min(nextQuote, nextSlash, nextNl);
        if (i >= n) break;
      }
      const b = chunk[i];
      if (b === 0x20 && !this.inString) {
        // A run of spaces outside strings (indentation) means nothing to the scanner.
        while (i + 1 < n && chunk[i + 1] === 0x20) i++;
        continue;
      }
      if (b === NL) this.lines++;
      if (this.arrayClosed) {
        if (b !== 0x20 && b !== 0x09 && b !== NL && b !== CR) {
          this.onStructure(this.lines, 'Unexpected content after the closing ] of the JSON array.', this.offset + i);
          this.arrayClosed = false;
          this.depth = -1; // stop scanning
        }
        continue;
      }
      if (this.depth < 0) continue;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 0x5c) this.escape = true;
        else if (b === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (b === 0x5b) this.depth = 1;
        continue;
      }
      if (this.depth === 1 && this.recStart < 0) {
        if (b === 0x20 || b === 0x09 || b === NL || b === CR || b === 0x2c) continue;
        if (b === 0x5d) {
          this.arrayClosed = true;
          this.depth = 0;
          continue;
        }
        this.recStart = this.offset + i;
        this.recLine = this.lines - (b === NL ? 1 : 0);
        this.tooLong = false;
        segStart = i;
      }
      if (b === 0x22) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (this.depth === 1) {
          // ']' closing the array right after an element without a comma.
          this.keep(chunk.subarray(segStart, i));
          this.finishElement();
          segStart = -1;
          this.arrayClosed = true;
          this.depth = 0;
          continue;
        }
        this.depth--;
      } else if (b === 0x2c && this.depth === 1) {
        this.keep(chunk.subarray(segStart, i));
        this.finishElement();
        segStart = -1;
      }
    }
    if (this.recStart >= 0 && segStart >= 0) this.keep(chunk.subarray(segStart));
    this.offset += chunk.length;
  }

  private finishElement(): void {
    const rec = this.closeRecord();
    if (!rec) return;
    let { bytes } = rec;
    const { start } = rec;
    let e = bytes.length;
    while (e > 0 && (bytes[e - 1] === 0x20 || bytes[e - 1] === 0x09 || bytes[e - 1] === NL || bytes[e - 1] === CR)) e--;
    bytes = bytes.subarray(0, e);
    this.emit({ bytes, line: this.recLine, offset: start });
  }

  end(): void {
    if (this.container === 'jsonl') {
      if (this.recStart >= 0) this.finishLine();
    } else if (this.container === 'json-array') {
      if (this.recStart >= 0) {
        this.truncated = true;
        this.onStructure(this.recLine, 'The JSON array ends in the middle of an element (truncated file?).', this.recStart);
      } else if (this.depth > 0 && !this.arrayClosed) {
        this.truncated = true;
        this.onStructure(this.lines, 'The JSON array is not closed with ].', this.offset);
      }
    }
  }

  /** Lines in the file: newline count, plus one if the last line has content. */
  lineCount(lastByte: number | undefined): number {
    return lastByte === undefined ? 0 : lastByte === NL ? this.lines - 1 : this.lines;
  }
}
