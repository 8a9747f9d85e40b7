import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { buildPool } from '../../../src/core/features/pool';
import { loadArrays, saveArrays } from '../../../src/core/store/arrays';
import { cacheKey, CurationCache } from '../../../src/core/store/cache';
import type { AttributionRow } from '../../../src/core/store/attributionTable';
import { FIXTURES, recordingLog } from '../helpers';

test('a pool built from a real file round-trips exactly through the cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cache-'));
  try {
    const { pool, summary } = await buildPool(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl'), resolveConfig({}));
    const cache = CurationCache.open(dir);
    await cache.saveFeatures(summary.sha256, { k: 1 }, pool, summary);
    const hit = await cache.loadFeatures(summary.sha256, { k: 1 });
    assert.ok(hit);
    for (const key of Object.keys(pool) as (keyof typeof pool)[]) {
      const a = pool[key];
      const b: unknown = hit.pool[key];
      if (ArrayBuffer.isView(a))
        assert.deepEqual(
          Buffer.from((b as Uint8Array).buffer, (b as Uint8Array).byteOffset, (b as Uint8Array).byteLength),
          Buffer.from(a.buffer, a.byteOffset, a.byteLength),
          key,
        );
      else if (a instanceof Map) assert.deepEqual([...(b as Map<number, string>)], [...a], key);
      else assert.deepEqual(b, a, key);
    }
    assert.equal(hit.summary.sha256, summary.sha256);
    assert.equal(await cache.loadFeatures(summary.sha256, { k: 2 }), undefined, 'another config is a miss');
    assert.equal(await cache.loadFeatures('0'.repeat(64), { k: 1 }), undefined, 'another dataset is a miss');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a flipped byte, a truncated file or a garbage index is a miss, and saving again works', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cache-'));
  try {
    const base = join(dir, 'x');
    const arrays = { a: Float32Array.from([1, 2, 3]), b: Int32Array.from([7, 8]), c: Uint8Array.from([9]) };
    saveArrays(base, 'k', 'key', arrays, { hello: 'world' });
    const ok = loadArrays(base, 'k', 'key');
    assert.deepEqual(Array.from(ok!.arrays.b as Int32Array), [7, 8]);
    assert.deepEqual(ok!.extra, { hello: 'world' });
    assert.equal(loadArrays(base, 'k', 'other'), undefined, 'stale key');
    saveArrays(base, 'k', 'key', arrays, {});
    const bytes = readFileSync(`${base}.bin`);
    bytes[2] ^= 0xff;
    writeFileSync(`${base}.bin`, bytes);
    assert.equal(loadArrays(base, 'k', 'key'), undefined, 'checksum mismatch');
    assert.equal(existsSync(`${base}.bin`), false, 'a corrupt entry is deleted');
    saveArrays(base, 'k', 'key', arrays, {});
    writeFileSync(`${base}.bin`, readFileSync(`${base}.bin`).subarray(0, 5));
    assert.equal(loadArrays(base, 'k', 'key'), undefined, 'truncated');
    saveArrays(base, 'k', 'key', arrays, {});
    writeFileSync(`${base}.json`, '{not json');
    assert.equal(loadArrays(base, 'k', 'key'), undefined, 'garbage index');
    saveArrays(base, 'k', 'key', arrays, {});
    assert.ok(loadArrays(base, 'k', 'key'), 'saving again works');
    assert.deepEqual(readdirSync(dir).sort(), ['x.bin', 'x.json'], 'no temp files, nothing outside the folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attributionAt finds a line among 100K rows; an absent line and a garbage database are misses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cache-'));
  try {
    const cache = CurationCache.open(dir);
    const sha = 'a'.repeat(64);
    const rows = function* (): Generator<AttributionRow> {
      for (let i = 0; i < 100_000; i++) {
        yield {
          line: 2 * i + 1,
          id: `id-${i}`,
          capability: `c${(i % 3) + 1}`,
          influence: { c1: i / 1e5, c2: 0.5, c3: -0.25 },
          selfInfluence: i,
          loss: 1.5,
          style: 'yes/no',
          selected: i % 10 === 0,
          stage: i % 10 === 0 ? 's2' : null,
        };
      }
    };
    await cache.saveAttributions(sha, rows());
    const table = await cache.openAttributions(sha);
    assert.ok(table);
    assert.deepEqual(table.at(2 * 4321 + 1), {
      line: 8643,
      id: 'id-4321',
      capability: 'c2',
      influence: { c1: 0.04321, c2: 0.5, c3: -0.25 },
      selfInfluence: 4321,
      loss: 1.5,
      style: 'yes/no',
      selected: false,
      stage: null,
    });
    assert.equal(table.at(8644), undefined);
    assert.equal(table.at(2 * 100 + 1)?.stage, 's2');
    const page = table.page({ capability: 1, selected: true, sort: 'selfInfluence', dir: 'desc', offset: 0, limit: 3 });
    // c2 = i % 3 == 1; selected = i % 10 == 0 → i ≡ 10 (mod 30): 99,970 is the largest.
    assert.deepEqual(
      page.rows.map((r) => r.id),
      ['id-99970', 'id-99940', 'id-99910'],
    );
    assert.equal(page.total, 3333);
    assert.equal(
      table.page({ search: 'id-4321', sort: 'line', dir: 'asc', offset: 0, limit: 10 }).total,
      11,
      'id-4321 and id-43210…id-43219',
    );
    assert.equal(
      table.page({ search: '%', sort: 'line', dir: 'asc', offset: 0, limit: 10 }).total,
      0,
      'LIKE wildcards in the search are literal',
    );
    let count = 0;
    for (const r of table.scan()) if (count++ === 5) assert.equal(r.line, 11);
    assert.equal(count, 100_000);
    table.close();
    writeFileSync(join(dir, sha.slice(0, 16), 'attributions.bin'), 'garbage');
    assert.equal(await cache.openAttributions(sha), undefined);
    assert.deepEqual(readdirSync(join(dir, sha.slice(0, 16))), [], 'a corrupt table is deleted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text groups round-trip; groups out of first-appearance order, a wrong count or another pool size are misses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cache-'));
  const { log, warnings } = recordingLog();
  try {
    const cache = CurationCache.open(dir, log);
    const sha = 'a'.repeat(64);
    const of = Int32Array.from([0, 1, 0, 2, 1, 2]);
    await cache.saveTextGroups(sha, { k: 3 }, of);
    assert.deepEqual(Array.from((await cache.loadTextGroups(sha, { k: 3 }, 6))!), [0, 1, 0, 2, 1, 2]);
    assert.equal(await cache.loadTextGroups(sha, { k: 4 }, 6), undefined, 'another key');
    assert.equal(await cache.loadTextGroups(sha, { k: 3 }, 7), undefined, 'another pool size');
    assert.match(warnings.at(-1)!, /holds 6 samples, the pool 7/);
    for (const [bad, why] of [
      [[0, 2, 1], /group 2 where at most 1 can come next/],
      [[1, 0, 0], /group 1 where at most 0 can come next/],
      [[0, -1, 1], /group -1/],
    ] as const) {
      await cache.saveTextGroups(sha, { k: 3 }, Int32Array.from(bad));
      assert.equal(await cache.loadTextGroups(sha, { k: 3 }, 3), undefined, String(bad));
      assert.match(warnings.at(-1)!, why);
    }
    // An index whose group count disagrees with the array (written by hand: saveTextGroups counts them).
    saveArrays(
      join(dir, 'a'.repeat(16), `text-groups-${cacheKey({ k: 3 })}`),
      'text-groups',
      cacheKey({ k: 3 }),
      { of: Int32Array.from([0, 1]) },
      { n: 2, groups: 3 },
    );
    assert.equal(await cache.loadTextGroups(sha, { k: 3 }, 2), undefined);
    assert.match(warnings.at(-1)!, /has 2 groups, its index 3/);
    await cache.saveTextGroups(sha, { k: 3 }, of);
    assert.ok(await cache.loadTextGroups(sha, { k: 3 }, 6), 'saving again works');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a proxy's cosines round-trip; another key, another group count or a value that is not a cosine are misses", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cache-'));
  const { log, warnings } = recordingLog();
  try {
    const cache = CurationCache.open(dir, log);
    const sha = 'b'.repeat(64);
    const cos = Float32Array.from([1, 0.5, -0.25, 0.5, 1, 0.125, -0.25, 0.125, 1]);
    const halves: [Float32Array, Float32Array] = [Float32Array.from([1, 0.5, 0.5, 1]), Float32Array.from([1, -0.5, -0.5, 1])];
    await cache.saveProxyCosines(sha, { r: 1 }, { cos, halves });
    const hit = await cache.loadProxyCosines(sha, { r: 1 }, 3, 2);
    assert.deepEqual(Array.from(hit!.cos), Array.from(cos));
    assert.deepEqual(
      hit!.halves!.map((h) => Array.from(h)),
      [
        [1, 0.5, 0.5, 1],
        [1, -0.5, -0.5, 1],
      ],
    );
    assert.equal(await cache.loadProxyCosines(sha, { r: 2 }, 3, 2), undefined, 'another key');
    assert.equal(await cache.loadProxyCosines(sha, { r: 1 }, 4, 2), undefined, 'another group count');
    assert.match(warnings.at(-1)!, /holds 3 groups \(2 in both halves\), the run 4 \(2\)/);
    // Without halves (fewer than 3 groups in both): no half arrays, and H = 0 asked.
    await cache.saveProxyCosines(sha, { r: 3 }, { cos });
    const bare = await cache.loadProxyCosines(sha, { r: 3 }, 3, 0);
    assert.deepEqual(Array.from(bare!.cos), Array.from(cos));
    assert.equal(bare!.halves, undefined);
    for (const [bad, why] of [
      [NaN, /a value NaN at \(0, 1\)/],
      [1.5, /a value 1.5 at \(0, 1\)/],
      [-2, /a value -2 at \(0, 1\)/],
    ] as const) {
      const c = Float32Array.from(cos);
      c[1] = bad;
      await cache.saveProxyCosines(sha, { r: 1 }, { cos: c, halves });
      assert.equal(await cache.loadProxyCosines(sha, { r: 1 }, 3, 2), undefined, String(bad));
      assert.match(warnings.at(-1)!, why);
    }
    // An entry written without halves is a miss where the run has them.
    await cache.saveProxyCosines(sha, { r: 1 }, { cos });
    assert.equal(await cache.loadProxyCosines(sha, { r: 1 }, 3, 2), undefined);
    assert.match(warnings.at(-1)!, /holds 3 groups \(0 in both halves\)/);
    await cache.saveProxyCosines(sha, { r: 1 }, { cos, halves });
    assert.ok(await cache.loadProxyCosines(sha, { r: 1 }, 3, 2), 'saving again works');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
