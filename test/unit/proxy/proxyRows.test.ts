// An extra proxy of the ensemble writes only the embedding rows of its pool's n-grams (pipeline/proxies.ts):
// its trajectories are bit for bit those of the proxy with the whole table, on a real fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { buildPool } from '../../../src/core/features/pool';
import { moreProxiesOf, proxyTrajectories } from '../../../src/core/pipeline/proxies';
import { embeddingRowsOf } from '../../../src/core/proxy/model';
import { FIXTURES } from '../helpers';

test("an extra proxy's trajectories are the same with the pool's embedding rows only as with the whole table", async () => {
  const cfg = resolveConfig({});
  const { pool } = await buildPool(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl'), cfg, {});
  const rows = embeddingRowsOf(pool);
  assert.ok(rows.length > 100 && rows.length < pool.dims.questionBuckets / 4, `${rows.length} rows used of ${pool.dims.questionBuckets}`);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i] > rows[i - 1], 'ascending, distinct');
  const more = moreProxiesOf(pool, cfg);
  for (const r of [1, 2]) {
    const fast = await more(r);
    const { traj: slow } = await proxyTrajectories(pool, cfg, r);
    assert.deepEqual([fast.n, fast.T, fast.D], [slow.n, slow.T, slow.D]);
    for (let t = 0; t < slow.T; t++) assert.deepEqual(fast.slice(t, 0, fast.n), slow.slice(t, 0, slow.n), `proxy ${r}, checkpoint ${t}`);
    assert.deepEqual(fast.loss, slow.loss);
    assert.deepEqual(fast.eta, slow.eta);
  }
});
