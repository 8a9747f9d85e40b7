// Image references of a record resolved to files: against the image root, confined to it (or to
// confineTo) through real paths, remote and malformed references flagged, with a resolution cache.
import { realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageRef } from './types';

/** Whether an image reference names a URL (http(s), data, ftp, file) rather than a local path. */
export function isRemoteImage(raw: string): boolean {
  return /^(https?|data|ftp|file):/i.test(raw);
}

/** Resolves image references against a root, confined to it (or to confineTo), with a stat cache. */
export class ImageResolver {
  private readonly roots: string[];
  private readonly cache = new Map<string, ImageRef>();

  constructor(
    private readonly imageRoot: string,
    confineTo: string | undefined,
    private readonly checkExists: boolean,
  ) {
    const real = (p: string) => attempt(() => realpathSync.native(p)) ?? path.resolve(p);
    // Both the paths as given and their real paths: a root reached through a symlink still counts.
    const given = [imageRoot, ...(confineTo ? [confineTo] : [])];
    this.roots = [...new Set([...given.map((p) => path.resolve(p)), ...given.map(real)])];
  }

  private inside(p: string): boolean {
    return this.roots.some((r) => {
      const rel = path.relative(r, p);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
  }

  resolve(raw: string): ImageRef {
    const hit = this.cache.get(raw);
    if (hit) return hit;
    let ref: ImageRef;
    if (isRemoteImage(raw)) ref = { raw, problem: 'remote' };
    else if (raw.trim() === '' || raw.includes('\0')) ref = { raw, problem: 'invalid-path' };
    else {
      const abs = path.resolve(this.imageRoot, raw);
      if (!this.inside(abs)) ref = { raw, problem: 'outside-root' };
      else if (!this.checkExists) ref = { raw, path: abs };
      else {
        // One stat (it follows links; undefined when nothing is there, without the cost of an exception:
        // most pools name images that are not downloaded) and, for a file that exists, one realpath call
        // (the native one: a single system call, where the JavaScript one lstats every path component).
        const st = attempt(() => statSync(abs, { throwIfNoEntry: false }));
        const real = st && attempt(() => realpathSync.native(abs));
        if (!st || real === undefined) ref = { raw, path: abs, problem: 'missing' };
        else if (!this.inside(real)) ref = { raw, problem: 'outside-root' };
        else ref = st.isFile() ? { raw, path: real } : { raw, path: abs, problem: 'missing' };
      }
    }
    if (this.cache.size < 200_000) this.cache.set(raw, ref);
    return ref;
  }
}

/** f's value, or undefined when it throws (a path that cannot be read counts as missing). */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
