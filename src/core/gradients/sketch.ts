// The size of the trajectory sketch: how many numbers per side each layer's projected gradient keeps.
// A d × d sketch keeps a gradient cosine to within about 1/d, and on small pools that projection noise
// is a large part of what makes the capabilities change from seed to seed (bench:capability-ablation,
// docs/method.md §1.1 and §7). 'auto' therefore spends a fixed budget of trajectory numbers on accuracy:
// the sketch is the largest power of two from `min` to `max` whose trajectories (n samples × T
// checkpoints × 2 layers × d²) fit in `numbers`, and never smaller than `min`. 2^25 numbers are 64 MiB
// in float16, what 65,536 samples take at 8²: so 4,096 samples or fewer get 32², 16,384 or fewer 16²,
// and larger pools the 8² they always had (a 665K pool's trajectories stay as large as before). The
// stages that scale with n·T·d² (trajectories, group means, influence) cost at most what they cost a
// 65,536-sample pool. 32 is the ceiling: 64² lowered agreement on vision-flan-205 (K collapsed to 2).
export const AUTO_SKETCH = { numbers: 2 ** 25, min: 8, max: 32 } as const;

/** Layers whose gradients the proxy's sketch keeps (the hidden and the output layer). */
export const SKETCH_LAYERS = 2;

/** The projection size per side for a pool of n samples over T checkpoints ('auto': AUTO_SKETCH). */
export function sketchDim(setting: number | 'auto', n: number, T: number): number {
  if (setting !== 'auto') return setting;
  let d: number = AUTO_SKETCH.max;
  while (d > AUTO_SKETCH.min && n * T * SKETCH_LAYERS * d * d > AUTO_SKETCH.numbers) d /= 2;
  return d;
}
