// The cache keys of a curation run: everything the cached stages' results depend on.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { PROXY_COSINES_VERSION } from '../capabilities/ensemble';
import { TEXT_KMEANS } from '../capabilities/textGroups';
import type { ProxyBasis } from '../capabilities/types';
import { AUTO_SKETCH } from '../gradients/sketch';
import { CACHE_SCHEMA } from '../store/arrays';
import type { ImageScope } from '../store/imageDeps';
import { TOOL_VERSION } from '../runtime/version';
import type { CurationInput } from './api';
import { proxySeed } from './proxies';

/**
 * Everything a cached stage's result depends on, in one place (a change to any of it is a miss).
 * Features: the dataset's content (its sha256 names the cache folder), the cache format and tool
 * version, the feature config, the record format, where images resolve (the image root, by default
 * the dataset's folder, and the confinement folder, as given and as real paths) and, checked when the
 * entry loads, which image files those references found (path, size, mtime: `images`).
 * Trajectories: all of that plus the image fingerprint, proxy, gradient config (with the rule that
 * sizes an 'auto' sketch) and seed. Text probe groups: the features, the group count and seed and the
 * k-means' defaults and version. An extra proxy's group cosines: proxy r's trajectories (the trajectories'
 * key with its seed), the basis they are computed on (a hash of the groups of every sample and the halves'
 * coin, the centring) and the version of that computation. Probe and scores files are read on every run,
 * after the cached stages.
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
  const trajectories = (images: string | undefined, seed = c.seed) => ({
    features,
    images: images ?? null,
    proxy: c.proxy,
    gradients: c.gradients,
    // 'auto' sizes the sketch by this rule (gradients/sketch.ts): a change to it is a miss.
    ...(c.gradients.projectionDim === 'auto' ? { sketch: AUTO_SKETCH } : {}),
    seed,
  });
  return {
    scope,
    features,
    trajectories: (images: string | undefined) => trajectories(images),
    // Proxy r of the ensemble is the run a seed proxySeed(seed, r) makes (pipeline/proxies.ts).
    proxyCosines: (images: string | undefined, r: number, basis: ProxyBasis) => ({
      trajectories: trajectories(images, proxySeed(c.seed, r)),
      r,
      groups: createHash('sha256')
        .update(new Uint8Array(basis.of.buffer, basis.of.byteOffset, basis.of.byteLength))
        .update(basis.half)
        .digest('hex'),
      G: basis.G,
      H: basis.H,
      centred: basis.centred,
      version: PROXY_COSINES_VERSION,
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
