// Path confinement for everything the extension reads or writes on a workspace's say (manifests,
// their datasets and stage subsets, settings that name files or folders, hover images). Pure Node,
// no `vscode`: unit-tested directly. Files resolve through the engine's own ImageResolver (realpath,
// so a symlink pointing out of the root counts as outside; only regular files); folders, which may
// not exist yet, through their nearest existing ancestor's real path.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ImageResolver } from '../core/dataset/images';

/** A path the workspace asked for resolves outside the folder it is confined to (or is unusable). */
export class OutsideWorkspaceError extends Error {
  override name = 'OutsideWorkspaceError';
}

/**
 * `rel` resolved against `base` (absolute `rel` as given) as an existing regular file whose real
 * path lies inside `root` (or its real path); undefined when it is not an existing regular file. Throws
 * OutsideWorkspaceError when it lies outside, through `..`, an absolute path or a symlink.
 */
export function confinedFile(root: string, base: string, rel: string, what: string): string | undefined {
  const ref = new ImageResolver(base, root, true).resolve(rel);
  // The resolver's roots are `base` and `root`: a base outside the root must not widen it.
  if (ref.problem === 'missing') return undefined;
  if (ref.problem || !ref.path) throw new OutsideWorkspaceError(`${what} ${JSON.stringify(rel)} is not a file inside ${root}`);
  if (!isInside(realRoots(root), ref.path)) throw new OutsideWorkspaceError(`${what} ${JSON.stringify(rel)} resolves outside ${root}`);
  return ref.path;
}

/** The image a hover may show: the engine's resolution of `raw` against the dataset's folder, confined to `root`. */
export function hoverImage(root: string, datasetFile: string, raw: string): string | undefined {
  const ref = new ImageResolver(path.dirname(datasetFile), root, true).resolve(raw);
  return !ref.problem && ref.path && isInside(realRoots(root), ref.path) ? ref.path : undefined;
}

/**
 * A folder (that may not exist yet) `rel` resolved against `root`, inside `root` after following
 * every symlink of the part that exists. Returns the absolute path as resolved (not the real one).
 */
export function confinedDir(root: string, rel: string, what: string): string {
  if (rel.includes('\0')) throw new OutsideWorkspaceError(`${what} is not a valid path`);
  const abs = path.resolve(root, rel);
  const roots = realRoots(root);
  if (!isInside(roots, abs)) throw new OutsideWorkspaceError(`${what} ${JSON.stringify(rel)} is outside ${root}`);
  let existing = abs;
  let real: string | undefined;
  for (;;) {
    try {
      real = realpathSync(existing);
      break;
    } catch {
      const up = path.dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  if (real === undefined || !isInside(roots, path.join(real, path.relative(existing, abs))))
    throw new OutsideWorkspaceError(`${what} ${JSON.stringify(rel)} resolves outside ${root}`);
  return abs;
}

function realRoots(root: string): string[] {
  const given = path.resolve(root);
  try {
    return [...new Set([given, realpathSync(given)])];
  } catch {
    return [given];
  }
}

function isInside(roots: string[], p: string): boolean {
  return roots.some((r) => {
    const rel = path.relative(r, p);
    return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
  });
}
