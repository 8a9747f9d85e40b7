// One sample as the editor shows it (hovers, the sample preview document, the Capability Map's image
// preview): its turns and labels through the engine's own record normaliser, and a thumbnail of its
// first image — decoded in memory from the bytes a Parquet row embeds, or from an image file that
// resolves inside the workspace — never written anywhere. Every input is hostile until measured: the
// row group read is capped (as its footer declares it), so are the image's stored bytes and its
// pixels before anything is decoded, and the thumbnail is re-encoded until it fits a hover.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { detectFormat, normaliseRecord } from '../core/dataset/normalise';
import { isParquetDataset, ParquetChunkTooLarge, readParquetRow } from '../core/dataset/parquet';
import { isRemoteImage } from '../core/dataset/images';
import { loadSharp } from '../core/features/images';
import type { SampleParams, SamplePreview, Thumbnail } from '../protocol/sample';
import { confinedFile, OutsideWorkspaceError } from './confine';

export interface PreviewLimits {
  /** Bytes of the row group's column chunks read for one row (compressed or not, whichever is larger). */
  maxChunkBytes: number;
  /** Stored bytes of one image. */
  maxImageBytes: number;
  /** Pixels of one image (width × height), checked from its header before it is decoded. */
  maxPixels: number;
  /** The thumbnail's longer side, in pixels (it is made smaller if it does not fit `maxThumbnailBytes`). */
  side: number;
  /** Encoded bytes of the thumbnail (its data URI is 4/3 of this). */
  maxThumbnailBytes: number;
  maxTurns: number;
  maxTurnChars: number;
}

export const PREVIEW_LIMITS: PreviewLimits = {
  maxChunkBytes: 256 * 1024 * 1024,
  maxImageBytes: 32 * 1024 * 1024,
  maxPixels: 40_000_000,
  side: 256,
  maxThumbnailBytes: 48 * 1024,
  maxTurns: 40,
  maxTurnChars: 4000,
};

/** Formats a thumbnail is made from: raster formats only (an SVG can reference files; PDF and the rest are not images of a pool). */
const RASTER = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A small JPEG of an image (bytes, or a file read only when its size is under the cap), or the reason
 * there is none. Never throws for a bad image.
 */
export async function thumbnailOf(image: Uint8Array | string, limits: PreviewLimits = PREVIEW_LIMITS): Promise<Thumbnail | string> {
  let bytes: Uint8Array;
  if (typeof image === 'string') {
    const st = await fsp.stat(image).catch(() => undefined);
    if (!st?.isFile()) return 'image missing';
    if (st.size > limits.maxImageBytes) return `image not shown: ${mib(st.size)}, over the ${mib(limits.maxImageBytes)} cap`;
    bytes = await fsp.readFile(image);
  } else bytes = image;
  if (bytes.length > limits.maxImageBytes) return `image not shown: ${mib(bytes.length)}, over the ${mib(limits.maxImageBytes)} cap`;
  if (bytes.length === 0) return 'image not shown: empty';
  const sharp = loadSharp();
  const opts = { failOn: 'error' as const, limitInputPixels: limits.maxPixels, animated: false };
  let meta: { format?: string; width?: number; height?: number };
  try {
    // The header only (no pixel is decoded): the size is measured here, so the reason can name it.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return 'image not shown: not a readable image';
  }
  const { format = '', width = 0, height = 0 } = meta;
  if (!RASTER.has(format)) return `image not shown: ${format || 'unknown'} is not a raster image format`;
  if (width <= 0 || height <= 0) return 'image not shown: no size in its header';
  if (width * height > limits.maxPixels)
    return `image not shown: ${width}×${height} pixels, over the ${limits.maxPixels.toLocaleString('en-US')}-pixel cap`;
  try {
    for (const [side, quality] of [
      [limits.side, 75],
      [Math.round(limits.side * 0.75), 60],
      [Math.round(limits.side / 2), 50],
      [Math.round(limits.side / 4), 40],
    ]) {
      const out = await sharp(bytes, opts)
        .rotate()
        .resize(side, side, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality })
        .toBuffer({ resolveWithObject: true });
      if (out.data.length <= limits.maxThumbnailBytes)
        return {
          dataUri: `data:image/jpeg;base64,${out.data.toString('base64')}`,
          width: out.info.width,
          height: out.info.height,
          source: { format, width, height, bytes: bytes.length },
        };
    }
    return 'image not shown: no thumbnail fits the hover';
  } catch {
    return 'image not shown: it cannot be decoded';
  }
}

/** Reads one line of a JSONL dataset (the backend's sparse line index). */
export type LineReader = (file: string, line: number) => Promise<string | undefined>;

/** Turns and labels of a parsed record, cut to the limits; `problem` when it is no known shape. */
function shown(
  record: unknown,
  limits: PreviewLimits,
): Pick<SamplePreview, 'turns' | 'labels' | 'truncated' | 'id' | 'problem'> & { images: string[] } {
  const format = detectFormat(record);
  const n = format ? normaliseRecord(record, format) : 'not a record of a known format';
  if (typeof n === 'string') return { turns: [], labels: [], truncated: false, images: [], problem: n };
  let truncated = n.turns.length > limits.maxTurns;
  const turns = n.turns.slice(0, limits.maxTurns).map((t) => {
    if (t.text.length <= limits.maxTurnChars) return { role: t.role, text: t.text };
    truncated = true;
    return { role: t.role, text: `${t.text.slice(0, limits.maxTurnChars - 1)}…` };
  });
  const labels = Object.entries(n.labels)
    .slice(0, 32)
    .map(([field, value]) => ({ field, value }));
  return { turns, labels, truncated, images: n.images, ...(n.id !== undefined ? { id: n.id } : {}) };
}

/** The thumbnail of an image referenced by path: only a file that resolves inside `confineTo` (or the image root) is read. */
async function pathThumbnail(raw: string, base: string, confineTo: string | undefined, limits: PreviewLimits): Promise<Thumbnail | string> {
  if (isRemoteImage(raw)) return 'image not shown (not a local file)';
  let file: string | undefined;
  try {
    file = confinedFile(confineTo ?? base, base, raw, 'Image');
  } catch (e) {
    if (e instanceof OutsideWorkspaceError) return 'image not shown (outside the workspace)';
    throw e;
  }
  return file ? thumbnailOf(file, limits) : 'image missing';
}

/**
 * One sample of a dataset by its 1-based line: a Parquet pool's row (shard + row, read alone) or a
 * JSONL line (through `readLine`). Throws only when the dataset itself cannot be opened.
 */
export async function samplePreview(
  p: SampleParams,
  readLine?: LineReader,
  limits: PreviewLimits = PREVIEW_LIMITS,
): Promise<SamplePreview> {
  const dataset = path.resolve(p.dataset);
  const parquet = await isParquetDataset(dataset);
  const base = p.imageRoot ?? ((await fsp.stat(dataset)).isDirectory() ? dataset : path.dirname(dataset));
  const empty = { line: p.line, turns: [], labels: [], truncated: false, images: 0, embedded: false };
  if (parquet) {
    let row;
    try {
      row = await readParquetRow(dataset, p.line, { maxChunkBytes: limits.maxChunkBytes });
    } catch (e) {
      if (e instanceof ParquetChunkTooLarge) return { ...empty, problem: `row not shown: ${e.message}` };
      return { ...empty, problem: `row not shown: ${(e as Error).message.split('\n')[0]}` };
    }
    if (!row) return { ...empty, problem: `no row at line ${p.line}` };
    // The record's own image column was taken out by the reader: its images are `embedded` and `paths`.
    const { images: _none, ...s } = shown(row.record, limits);
    const images = row.embedded.length + row.paths.length;
    const out: SamplePreview = { ...empty, ...s, shard: row.shard, row: row.row, images, embedded: row.embedded.length > 0 };
    if (row.imageProblem) out.imageProblem = row.imageProblem;
    else if (p.thumbnail && images > 0) {
      const t = row.embedded[0]?.bytes
        ? await thumbnailOf(row.embedded[0].bytes, limits)
        : await pathThumbnail(row.paths[0], base, p.confineTo, limits);
      if (typeof t === 'string') out.imageProblem = t;
      else out.thumbnail = t;
    }
    return out;
  }
  const text = await readLine?.(dataset, p.line);
  if (text === undefined) return { ...empty, problem: `no record at line ${p.line}` };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { ...empty, problem: `line ${p.line} is not valid JSON` };
  }
  const { images, ...s } = shown(record, limits);
  const out: SamplePreview = { ...empty, ...s, images: images.length };
  if (p.thumbnail && images.length > 0) {
    const t = await pathThumbnail(images[0], base, p.confineTo, limits);
    if (typeof t === 'string') out.imageProblem = t;
    else out.thumbnail = t;
  }
  return out;
}
