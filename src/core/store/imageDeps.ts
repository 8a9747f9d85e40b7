// The image files a features cache entry depends on. Which images a dataset uses is only known after
// reading it, so the entry records every distinct image reference, and a load re-resolves them
// against the current image root and confinement and compares a fingerprint of what it finds (the
// resolved path or why it is unusable, and each file's size and mtime). A moved, added, removed or
// replaced image is a miss.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ImageResolver } from '../dataset/images';
import type { ImageRef } from '../dataset/types';

/** Where image references resolve: the image root and the outermost folder they may come from. */
export interface ImageScope {
  root: string;
  confineTo?: string;
}

/** Distinct image references of a dataset, in first-seen order. */
export class ImageRefs {
  private readonly seen = new Set<string>();
  add(images: readonly Pick<ImageRef, 'raw'>[]): void {
    for (const im of images) this.seen.add(im.raw);
  }
  list(): string[] {
    return [...this.seen];
  }
}

/** sha256 over how each reference resolves now in `scope`, with the size and mtime of each file found. */
export function imagesFingerprint(refs: readonly string[], scope: ImageScope): string {
  const resolver = new ImageResolver(scope.root, scope.confineTo, true);
  const hash = createHash('sha256');
  for (const raw of refs) {
    const r = resolver.resolve(raw);
    let identity = '';
    if (r.path && !r.problem) {
      try {
        const st = statSync(r.path);
        identity = `${st.size}:${st.mtimeMs}`;
      } catch {
        identity = 'gone';
      }
    }
    hash.update(JSON.stringify([raw, r.path ?? null, r.problem ?? null, identity]));
  }
  return hash.digest('hex');
}

/** The references as bytes (JSON text) for the cache's binary file, and back (undefined when not a string list). */
export function encodeRefs(refs: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(refs), 'utf8'));
}

export function decodeRefs(bytes: Uint8Array): string[] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}
