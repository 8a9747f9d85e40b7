// The extra proxies of the capability graph's ensemble (capabilities/ensemble.ts): proxy r of a run is
// the warm-up and trajectories a run with seed proxySeed(seed, r) makes (other initialisation, slice,
// order and sketch), so a benchmark that re-runs seeds reproduces them exactly.
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import { computeTrajectories } from '../gradients/trajectories';
import type { Trajectories } from '../gradients/types';
import type { MoreProxies } from '../capabilities/types';
import { embeddingRowsOf } from '../proxy/model';
import { warmUp } from '../proxy/warmup';
import { Rng } from '../util/rng';

/** The seed of proxy r of a run with seed `seed` (proxy 0 is the run's own). */
export function proxySeed(seed: number, r: number): number {
  return r === 0 ? seed : (seed + 10_000 * r) >>> 0;
}

/** Proxy r's trajectories of the pool, as a run with seed proxySeed(cfg.seed, r) makes them. */
export async function proxyTrajectories(
  pool: Pool,
  cfg: CurationConfig,
  r: number,
  opts: { signal?: AbortSignal; embeddingInto?: Float32Array; embeddingRows?: ArrayLike<number> } = {},
): Promise<{ traj: Trajectories; embedding: Float32Array }> {
  const c = { ...cfg, seed: proxySeed(cfg.seed, r) };
  const warm = await warmUp(pool, c, new Rng(c.seed).fork('warm-up'), opts);
  return { traj: await computeTrajectories(pool, warm, c, opts.signal ? { signal: opts.signal } : {}), embedding: warm.embedding };
}

/**
 * The ensemble's source of proxies for one run (capabilities/types.ts MoreProxies): proxy r's
 * trajectories, one after another, each warm-up filling the embedding table the last one used. An extra
 * proxy only ever reads the rows of the pool's n-grams, so only those are written (the same values a
 * whole table holds there: the same trajectories, in a fraction of the time on a small pool).
 */
export function moreProxiesOf(pool: Pool, cfg: CurationConfig, signal?: AbortSignal): MoreProxies {
  let table: Float32Array | undefined;
  let rows: Int32Array | undefined;
  return async (r) => {
    rows ??= embeddingRowsOf(pool);
    const { traj, embedding } = await proxyTrajectories(pool, cfg, r, {
      ...(signal ? { signal } : {}),
      ...(table ? { embeddingInto: table } : {}),
      embeddingRows: rows,
    });
    table = embedding;
    return traj;
  };
}
