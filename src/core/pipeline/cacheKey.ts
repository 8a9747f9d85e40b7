// The cache keys of a curation run: everything the cached stages' results depend on.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { TEXT_KMEANS } from '../capabilities/textGroups';
import { AUTO_SKETCH } from '../gradients/sketch';
import { CACHE_SCHEMA } from '../store/arrays';
import type { ImageScope } from '../store/imageDeps';
import { TOOL_VERSION } from '../runtime/version';
import type { CurationInput } from './api';

/**
 * Everything a cached stage's result depends on, in one place (a change to any of it is a miss).
 * Features: the dataset's content (its sha256 names the cache folder), the cache format and tool
 * version, the feature config, the record format, where images resolve (the image root, by default
 * the dataset's folder, and the confinement folder, as given and as real paths) and, checked when the
 * entry loads, which image files those references found (path, size, mtime: `images`).
 * Trajectories: all of that plus the image fingerprint, proxy, gradient config (with the rule that
 * sizes an 'auto' sketch) and seed. Text probe groups: the features, the group count and seed and the
 * k-means' defaults and version. Probe and scores files are read on every run, after the cached stages.
 */
export function cacheKeyParts(input: CurationInput) {
  const datasetPath = path.resolve(input.datasetPath);
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const scope: ImageScope = {
    root: path.resolve(input.imageRoot ?? path.dirname(datasetPath)),
    ...(input.confineTo ? { confineTo: path.resolve(input.confineTo) } : {}),
  };
  const c = input.config;
  const features = {
    cache: CACHE_SCHEMA,
    tool: TOOL_VERSION,
    features: c.features,
    format: input.format ?? 'auto',
    imageRoot: [scope.root, real(scope.root)],
    confineTo: scope.confineTo ? [scope.confineTo, real(scope.confineTo)] : null,
  };
  return {
    scope,
    features,
    trajectories: (images: string | undefined) => ({
      features,
      images: images ?? null,
      proxy: c.proxy,
      gradients: c.gradients,
      // 'auto' sizes the sketch by this rule (gradients/sketch.ts): a change to it is a miss.
      ...(c.gradients.projectionDim === 'auto' ? { sketch: AUTO_SKETCH } : {}),
      seed: c.seed,
    }),
    // Text probe groups depend on the question n-grams (the features), the number of groups, the
    // groups' random stream (groupSeed, else the run's seed) and the k-means itself.
    textGroups: (k: number) => ({
      features,
      k,
      groupSeed: c.capabilities.groupSeed ?? null,
      seed: c.capabilities.groupSeed === undefined ? c.seed : null,
      kmeans: TEXT_KMEANS,
    }),
  };
}
