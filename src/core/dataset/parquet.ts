// Parquet datasets: one `.parquet` file or a folder of shards (`train-00000-of-00012.parquet` …),
// read row group by row group through byte-range reads of a file handle (never a whole-file load).
// Layouts: a `messages`/`conversations` column (list of {role, content} / {from, value} structs), The
// Cauldron's `texts` (list of {user, assistant}), Alpaca's `instruction`/`output`; images in an
// `images`/`image` column of `{bytes, path}` structs (or a list of them, or path strings). Each row
// goes through the same RecordParser as a JSON record (same diagnostics, ids, labels); embedded image
// bytes ride on the sample while it is in the sink and are never written to disk.
// A sample's address is its shard and row; its `line` is the 1-based row across all shards.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { CancelledError } from '../runtime/cancel';
import { DatasetReadError } from './errors';
import { ImageResolver } from './images';
import { DiagnosticLog, RecordParser } from './parser';
import { readErrorMessage } from './sniff';
import type { DatasetFormat, DatasetSummary, EmbeddedImageAddress, ImageRef, ReadOptions, SampleSink } from './types';

const MAGIC = Buffer.from('PAR1');
const NO_BYTES = Buffer.alloc(0);

/** Whether `file` is a folder (of shards) or starts with the Parquet magic. */
export async function isParquetDataset(file: string): Promise<boolean> {
  const st = await fsp.stat(file);
  if (st.isDirectory()) return true;
  if (st.size < 4) return false;
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return head.equals(MAGIC);
  } finally {
    await fh.close();
  }
}

/** The shards of a dataset path: the file itself, or the folder's `*.parquet` files sorted by name. */
export async function parquetShards(target: string): Promise<string[]> {
  const st = await fsp.stat(target);
  if (!st.isDirectory()) return [target];
  const names = (await fsp.readdir(target, { withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.endsWith('.parquet'))
    .map((d) => d.name)
    .sort();
  return names.map((n) => path.join(target, n));
}

/** An AsyncBuffer over an open file handle: each slice is one positioned read. */
function handleBuffer(fh: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.alloc(Math.max(0, stop - start));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + done) as ArrayBuffer;
    },
  };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** The record layout a shard's top-level columns show, or undefined. */
export function parquetLayout(columns: string[]): 'messages' | 'conversations' | 'texts' | 'alpaca' | undefined {
  const has = new Set(columns);
  if (has.has('messages')) return 'messages';
  if (has.has('conversations')) return 'conversations';
  if (has.has('texts')) return 'texts';
  if (has.has('instruction') && has.has('output')) return 'alpaca';
  return undefined;
}

function topColumns(meta: FileMetaData): string[] {
  return parquetSchema(meta).children.map((c) => c.element.name);
}

/**
 * Parquet values as JSON values, in place (the rows are fresh objects of this read): bigint → number,
 * Date → ISO string; bytes kept as Uint8Array. Returns the value (a new one for a bigint or a Date).
 */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && (typeof x === 'object' || typeof x === 'bigint')) v[i] = plain(x);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (x !== null && (typeof x === 'object' || typeof x === 'bigint')) o[k] = plain(x);
  }
  return o;
}

/**
 * Splits a row's image column into embedded images (bytes) and path references. Entries: a
 * `{bytes, path}` struct, bytes alone, a path string, or a list of those; nulls are skipped.
 */
export function splitImages(value: unknown, shard: string, row: number): { embedded: ImageRef[]; paths: string[] } | string {
  const embedded: ImageRef[] = [];
  const paths: string[] = [];
  const list = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  for (const x of list) {
    if (x === null || x === undefined) continue;
    const k = embedded.length + paths.length;
    if (x instanceof Uint8Array) {
      embedded.push(embeddedRef(x, undefined, shard, row, k));
    } else if (typeof x === 'string') paths.push(x);
    else if (typeof x === 'object') {
      const o = x as { bytes?: unknown; path?: unknown };
      const p = typeof o.path === 'string' && o.path !== '' ? o.path : undefined;
      if (o.bytes instanceof Uint8Array && o.bytes.length > 0) embedded.push(embeddedRef(o.bytes, p, shard, row, k));
      else if (typeof o.bytes === 'string' && o.bytes.length > 0)
        embedded.push(embeddedRef(Buffer.from(o.bytes, 'latin1'), p, shard, row, k));
      else if (p) paths.push(p);
      else return 'an image struct has neither bytes nor a path';
    } else return 'an image entry is neither {bytes, path}, bytes nor a path string';
  }
  return { embedded, paths };
}

function embeddedRef(bytes: Uint8Array, p: string | undefined, shard: string, row: number, image: number): ImageRef {
  return { raw: p ?? `${shard}#${row}/${image}`, bytes, embedded: { shard, row, image } };
}

/** The image column of a shard's columns: `images`, else `image`. */
function imageColumn(columns: string[]): string | undefined {
  return columns.includes('images') ? 'images' : columns.includes('image') ? 'image' : undefined;
}

interface ShardInfo {
  file: string;
  name: string;
  bytes: number;
  sha256: string;
  meta?: FileMetaData;
  error?: string;
}

async function openShard(file: string): Promise<ShardInfo> {
  const st = await fsp.stat(file);
  const info: ShardInfo = { file, name: path.basename(file), bytes: st.size, sha256: await sha256File(file) };
  const fh = await fsp.open(file, 'r');
  try {
    info.meta = await parquetMetadataAsync(handleBuffer(fh, st.size));
  } catch (e) {
    info.error = e instanceof Error ? e.message : String(e);
  } finally {
    await fh.close();
  }
  return info;
}

/**
 * Reads a Parquet dataset (a file or a folder of shards), calling `sink` with each valid sample in
 * shard and row order. Throws DatasetReadError when no shard can be read, when the first readable
 * shard's columns are not a known layout (the message names the columns found), or when no row is
 * a usable sample.
 */
export async function readParquetDataset(target: string, opts: ReadOptions, sink: SampleSink): Promise<DatasetSummary> {
  const abs = path.resolve(target);
  const isDir = (await fsp.stat(abs)).isDirectory();
  const files = await parquetShards(abs);
  if (files.length === 0)
    throw new DatasetReadError('empty', readErrorMessage(abs, 'a folder without .parquet files', {}), undefined, undefined);
  const shards: ShardInfo[] = [];
  for (const f of files) {
    if (opts.signal?.aborted) throw new CancelledError();
    shards.push(await openShard(f));
  }
  const readable = shards.filter((s) => s.meta);
  if (readable.length === 0) {
    const s = shards[0];
    throw new DatasetReadError(
      'unsupported-format',
      readErrorMessage(abs, `a Parquet file whose footer cannot be read (${s.name}: ${s.error})`, { line: 1, byte: 0 }),
      1,
      0,
    );
  }
  const firstCols = topColumns(readable[0].meta!);
  if (!parquetLayout(firstCols)) {
    throw new DatasetReadError(
      'unsupported-format',
      readErrorMessage(
        abs,
        `a Parquet file with columns ${firstCols.join(', ')} (none of messages, conversations, texts, instruction+output)`,
        { line: 1, byte: 0 },
      ),
      1,
      0,
    );
  }

  const imageRoot = path.resolve(opts.imageRoot ?? (isDir ? abs : path.dirname(abs)));
  const diags = new DiagnosticLog(opts.maxDiagnostics ?? 10_000);
  const resolver = new ImageResolver(imageRoot, opts.confineTo, opts.checkImages ?? true);
  const parser = new RecordParser(opts, resolver, diags, sink);
  const totalBytes = shards.reduce((a, s) => a + s.bytes, 0);
  let bytesDone = 0;
  let records = 0;
  const rowsOf: number[] = [];
  for (const shard of shards) {
    if (!shard.meta) {
      diags.add(
        records + 1,
        'error',
        'unreadable-shard',
        `The shard ${shard.name} cannot be read (${shard.error}); its rows are left out.`,
      );
      rowsOf.push(0);
      bytesDone += shard.bytes;
      continue;
    }
    const meta = shard.meta;
    const cols = topColumns(meta);
    const layout = parquetLayout(cols);
    rowsOf.push(Number(meta.num_rows));
    if (!layout) {
      const n = Number(meta.num_rows);
      diags.add(
        records + 1,
        'error',
        'unreadable-shard',
        `The shard ${shard.name} has columns ${cols.join(', ')}, not a known layout; its ${n} rows are left out.`,
      );
      parser.invalid += n;
      records += n;
      bytesDone += shard.bytes;
      continue;
    }
    const imgCol = imageColumn(cols);
    const fh = await fsp.open(shard.file, 'r');
    try {
      const file = handleBuffer(fh, shard.bytes);
      let rowStart = 0;
      for (const rg of meta.row_groups) {
        if (opts.signal?.aborted) throw new CancelledError();
        const n = Number(rg.num_rows);
        const rowEnd = rowStart + n;
        let rows: Record<string, unknown>[] | undefined;
        try {
          rows = (await parquetReadObjects({ file, metadata: meta, rowStart, rowEnd, compressors, utf8: false })) as Record<
            string,
            unknown
          >[];
        } catch (e) {
          diags.add(
            records + 1,
            'error',
            'unreadable-shard',
            `Rows ${rowStart}–${rowEnd - 1} of ${shard.name} cannot be decoded (${e instanceof Error ? e.message : String(e)}); they are left out.`,
          );
          parser.invalid += n;
          records += n;
        }
        if (rows) {
          for (let r = 0; r < rows.length; r++) {
            const row = rowStart + r;
            const rec = { bytes: NO_BYTES, line: records + 1, offset: 0, shard: shard.name, row };
            const value = plain(rows[r]) as Record<string, unknown>;
            let embedded: ImageRef[] = [];
            if (imgCol) {
              const split = splitImages(value[imgCol], shard.name, row);
              delete value.image;
              delete value.images;
              if (typeof split === 'string') {
                parser.invalid++;
                diags.add(rec.line, 'error', 'wrong-shape', `Wrong shape: ${split}.`, records);
                records++;
                continue;
              }
              embedded = split.embedded;
              if (split.paths.length) value.images = split.paths;
            }
            parser.parseValue(value, rec, records, embedded);
            records++;
          }
          await opts.onBatchEnd?.();
        }
        rowStart = rowEnd;
        bytesDone += Number(rg.total_compressed_size ?? 0);
        opts.onProgress?.(Math.min(bytesDone, totalBytes), totalBytes);
      }
    } finally {
      await fh.close();
    }
  }
  opts.onProgress?.(totalBytes, totalBytes);
  diags.kept.sort((a, b) => a.line - b.line);
  if (parser.samples === 0) {
    const firstError = diags.kept.find((d) => d.severity === 'error');
    const problem = firstError ? `; row ${firstError.line}: ${firstError.message}` : '';
    throw new DatasetReadError(
      records === 0 ? 'empty' : 'no-records',
      readErrorMessage(abs, `${records} Parquet row(s), none of a supported shape${problem}`, { line: records }),
      records,
      undefined,
      diags.kept,
    );
  }
  let format: DatasetFormat = 'llava';
  let best = -1;
  for (const [f, c] of parser.formatCounts) if (c > best) [format, best] = [f, c];
  if (opts.format && opts.format !== 'auto') format = opts.format;
  const shardList = shards.map((s, i) => ({ name: s.name, rows: rowsOf[i], sha256: s.sha256, bytes: s.bytes }));
  return {
    path: abs,
    container: 'parquet',
    format,
    sha256: isDir ? shardSetHash(shardList) : shards[0].sha256,
    bytes: totalBytes,
    lines: records,
    records,
    samples: parser.samples,
    invalid: parser.invalid,
    diagnosticCounts: diags.counts,
    diagnostics: diags.kept,
    labelFields: [],
    shards: shardList,
  };
}

/** The hash of a folder of shards: sha256 over `<name>\t<sha256>\n` of every shard, sorted by name. */
export function shardSetHash(shards: { name: string; sha256: string }[]): string {
  const h = createHash('sha256');
  for (const s of [...shards].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) h.update(`${s.name}\t${s.sha256}\n`);
  return h.digest('hex');
}

/** The shard and 0-based row of a 1-based running line, from the summary's shard list. */
export function shardRowOf(shards: { name: string; rows: number }[], line: number): { shard: string; row: number } | undefined {
  let start = 0;
  for (const s of shards) {
    if (line - 1 < start + s.rows) return line - 1 >= start ? { shard: s.name, row: line - 1 - start } : undefined;
    start += s.rows;
  }
  return undefined;
}

/** A one-row read refused before any page is read: the row group's chunks exceed the caller's cap. */
export class ParquetChunkTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the row's row group holds ${bytes} bytes in the columns asked for, over the ${limit}-byte cap of a preview`);
  }
}

/** Caps of a one-row read (hovers, the map): the row group's chunks of the columns read, compressed and not. */
export interface RowReadLimits {
  maxChunkBytes: number;
}

/** The bytes a row group's chunks of `columns` (all when undefined) declare, compressed or not, whichever is larger. */
function chunkBytes(rg: FileMetaData['row_groups'][number], columns: string[] | undefined): number {
  let bytes = 0;
  for (const c of rg.columns) {
    const m = c.meta_data;
    if (m && (!columns || columns.includes(m.path_in_schema[0])))
      bytes += Math.max(Number(m.total_compressed_size), Number(m.total_uncompressed_size));
  }
  return bytes;
}

/**
 * One row of a shard, its columns `pick(columns)` only (all when undefined), as plain values; undefined
 * when the shard or row does not exist. Only that row's row group is touched, and with `limits` it is
 * refused (ParquetChunkTooLarge) before a page is read when its chunks of those columns, as the footer
 * declares them, exceed the cap.
 */
async function readOneRow(
  dataset: string,
  shard: string,
  row: number,
  pick: (columns: string[]) => string[] | undefined,
  limits?: RowReadLimits,
): Promise<{ columns: string[]; value: Record<string, unknown> } | undefined> {
  const abs = path.resolve(dataset);
  const isDir = (await fsp.stat(abs)).isDirectory();
  if (isDir && (shard.includes('/') || shard.includes('\\') || shard.startsWith('.'))) return undefined;
  const file = isDir ? path.join(abs, shard) : abs;
  if (!isDir && path.basename(abs) !== shard) return undefined;
  const st = await fsp.stat(file);
  const fh = await fsp.open(file, 'r');
  try {
    const buf = handleBuffer(fh, st.size);
    const meta = await parquetMetadataAsync(buf);
    const top = topColumns(meta);
    const columns = pick(top);
    if (!Number.isInteger(row) || row < 0 || row >= Number(meta.num_rows) || columns?.length === 0) return undefined;
    if (limits) {
      let start = 0;
      for (const rg of meta.row_groups) {
        const n = Number(rg.num_rows);
        if (row < start + n) {
          const bytes = chunkBytes(rg, columns);
          if (bytes > limits.maxChunkBytes) throw new ParquetChunkTooLarge(bytes, limits.maxChunkBytes);
          break;
        }
        start += n;
      }
    }
    const rows = (await parquetReadObjects({
      file: buf,
      metadata: meta,
      ...(columns ? { columns } : {}),
      rowStart: row,
      rowEnd: row + 1,
      compressors,
      utf8: false,
    })) as Record<string, unknown>[];
    return { columns: top, value: plain(rows[0] ?? {}) as Record<string, unknown> };
  } finally {
    await fh.close();
  }
}

/**
 * The bytes of one embedded image (hovers, the map, export), read back from its shard and row: only
 * that row's row group is touched. `dataset` is the file or the shards' folder. Undefined when the
 * row has no such embedded image.
 */
export async function readEmbeddedImage(
  dataset: string,
  address: EmbeddedImageAddress,
  limits?: RowReadLimits,
): Promise<Uint8Array | undefined> {
  let col: string | undefined;
  const got = await readOneRow(dataset, address.shard, address.row, (cols) => ((col = imageColumn(cols)) ? [col] : []), limits);
  if (!got || !col) return undefined;
  const split = splitImages(got.value[col], address.shard, address.row);
  if (typeof split === 'string') return undefined;
  return split.embedded.find((e) => e.embedded?.image === address.image)?.bytes;
}

/** One whole row of a Parquet dataset: its record (image column taken out), embedded images and image paths. */
export interface ParquetRow {
  shard: string;
  row: number;
  record: Record<string, unknown>;
  embedded: ImageRef[];
  paths: string[];
  /** What is wrong with the image column, when it is not a known shape. */
  imageProblem?: string;
}

/** Each shard's name and rows from its footer (0 for an unreadable one, as the reader counts it), in the reader's order. */
async function shardRows(dataset: string): Promise<{ name: string; file: string; rows: number; meta?: FileMetaData }[]> {
  const out: { name: string; file: string; rows: number; meta?: FileMetaData }[] = [];
  for (const file of await parquetShards(path.resolve(dataset))) {
    const fh = await fsp.open(file, 'r');
    try {
      const meta = await parquetMetadataAsync(handleBuffer(fh, (await fh.stat()).size));
      out.push({ name: path.basename(file), file, rows: Number(meta.num_rows), meta });
    } catch {
      out.push({ name: path.basename(file), file, rows: 0 });
    } finally {
      await fh.close();
    }
  }
  return out;
}

/**
 * The row at a 1-based running `line` (as the reader and the manifest count them: shards in name
 * order, an unreadable shard counting no rows), read whole: the sample preview of the editor.
 * Undefined when no shard holds that line.
 */
export async function readParquetRow(dataset: string, line: number, limits?: RowReadLimits): Promise<ParquetRow | undefined> {
  const at = shardRowOf(await shardRows(dataset), line);
  if (!at) return undefined;
  const got = await readOneRow(dataset, at.shard, at.row, () => undefined, limits);
  if (!got) return undefined;
  const col = imageColumn(got.columns);
  const split = col ? splitImages(got.value[col], at.shard, at.row) : { embedded: [], paths: [] };
  if (col) delete got.value[col];
  return {
    ...at,
    record: got.value,
    ...(typeof split === 'string' ? { embedded: [], paths: [], imageProblem: split } : split),
  };
}

/**
 * The records (without their image column) at many 1-based running lines, read row group by row
 * group — each needed row group once, only the rows from the first to the last wanted — until
 * `maxBytes` of chunks (as the footers declare them) have been read: the map's instruction previews.
 * Lines past that budget, or in a row group over it alone, are left out of the result.
 */
export async function readParquetRecords(
  dataset: string,
  lines: number[],
  maxBytes: number,
): Promise<Map<number, Record<string, unknown>>> {
  const out = new Map<number, Record<string, unknown>>();
  const shards = await shardRows(dataset);
  // Wanted rows per shard and row group, in line order.
  const wanted = new Map<number, Map<number, { line: number; row: number }[]>>();
  for (const line of [...new Set(lines)].sort((a, b) => a - b)) {
    let start = 0;
    for (let k = 0; k < shards.length; k++) {
      const s = shards[k];
      if (line - 1 < start + s.rows && line - 1 >= start && s.meta) {
        const row = line - 1 - start;
        let first = 0;
        const groups = s.meta.row_groups;
        for (let g = 0; g < groups.length; g++) {
          const n = Number(groups[g].num_rows);
          if (row < first + n) {
            const perShard = wanted.get(k) ?? new Map<number, { line: number; row: number }[]>();
            wanted.set(k, perShard);
            perShard.set(g, [...(perShard.get(g) ?? []), { line, row }]);
            break;
          }
          first += n;
        }
        break;
      }
      start += s.rows;
    }
  }
  let budget = maxBytes;
  for (const [k, groups] of wanted) {
    const s = shards[k];
    const meta = s.meta!;
    const columns = topColumns(meta).filter((c) => c !== imageColumn(topColumns(meta)));
    const fh = await fsp.open(s.file, 'r');
    try {
      const file = handleBuffer(fh, (await fh.stat()).size);
      for (const [g, rows] of groups) {
        const bytes = chunkBytes(meta.row_groups[g], columns);
        if (bytes > budget) continue;
        budget -= bytes;
        const rowStart = rows[0].row;
        let read: Record<string, unknown>[];
        try {
          read = (await parquetReadObjects({
            file,
            metadata: meta,
            columns,
            rowStart,
            rowEnd: rows[rows.length - 1].row + 1,
            compressors,
            utf8: false,
          })) as Record<string, unknown>[];
        } catch {
          continue; // a row group that cannot be decoded has no previews (the reader reported it)
        }
        for (const r of rows) if (read[r.row - rowStart]) out.set(r.line, plain(read[r.row - rowStart]) as Record<string, unknown>);
      }
    } finally {
      await fh.close();
    }
  }
  return out;
}
