// Image features with sharp: a 4×4 RGB thumbnail (48 means) and a 16-bin luminance histogram,
// 64 numbers in [0, 1]. A missing or undecodable image gives undefined, never an exception.
import { IMAGE_FEATURE_DIM } from './types';

type SharpFn = typeof import('sharp').default;
let sharpFn: SharpFn | undefined;

export function loadSharp(): SharpFn {
  // Lazily: sharp is a native module; the core must load without it for text-only datasets.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!sharpFn) sharpFn = require('sharp') as SharpFn;
  return sharpFn;
}

/** Features of an image file, or of image bytes (embedded in a Parquet dataset; decoded in memory). */
export async function imageFeatures(file: string | Uint8Array): Promise<Float32Array | undefined> {
  try {
    const sharp = loadSharp();
    const small = await sharp(file, { failOn: 'error', limitInputPixels: 100_000_000 })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(4, 4, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const grey = await sharp(file, { failOn: 'error', limitInputPixels: 100_000_000 })
      .greyscale()
      .resize(32, 32, { fit: 'fill' })
      .raw()
      .toBuffer();
    const out = new Float32Array(IMAGE_FEATURE_DIM);
    const px = small.data;
    const ch = small.info.channels;
    for (let i = 0; i < 16; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = px[i * ch + Math.min(c, ch - 1)] / 255;
    for (let i = 0; i < grey.length; i++) out[48 + (grey[i] >> 4)] += 1 / grey.length;
    return out;
  } catch {
    return undefined;
  }
}

/** Runs fn over items with at most `limit` in flight, preserving nothing but completion. */
export async function forEachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (signal?.aborted) return;
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
