import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { groupMeans } from '../../../src/core/capabilities/graph';
import type { ProbeGroups } from '../../../src/core/capabilities/types';
import { openRowStore } from '../../../src/core/gradients/store';
import { computeTrajectories } from '../../../src/core/gradients/trajectories';
import type { Trajectories } from '../../../src/core/gradients/types';
import { warmUp } from '../../../src/core/proxy/warmup';
import { CurationCache } from '../../../src/core/store/cache';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

test('a row store on disk gives back exactly what was written, block by block, and leaves no file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-store-'));
  try {
    const n = 7;
    const T = 3;
    const D = 5;
    for (const storage of ['float16', 'float32'] as const) {
      const disk = openRowStore(n, T, D, storage, { maxResidentBytes: 0, spillDir: dir });
      const mem = openRowStore(n, T, D, storage, { spillDir: dir });
      assert.equal(disk.residence, 'disk');
      assert.equal(mem.residence, 'memory');
      assert.deepEqual(readdirSync(dir), [], 'the temporary file is unlinked while open');
      const value = (t: number, i: number, j: number) => (storage === 'float16' ? t * 1000 + i * 10 + j : (t - i) * 0.25 + j);
      for (let t = 0; t < T; t++)
        // Written in uneven blocks (3 + 4 rows), as batches are.
        for (const [s, e] of [
          [0, 3],
          [3, 7],
        ]) {
          const rows = storage === 'float16' ? new Uint16Array((e - s) * D) : new Float32Array((e - s) * D);
          for (let i = s; i < e; i++) for (let j = 0; j < D; j++) rows[(i - s) * D + j] = value(t, i, j);
          disk.write(t, s, rows);
          mem.write(t, s, rows);
        }
      for (let t = 0; t < T; t++)
        for (const [s, e] of [
          [0, 7],
          [2, 5],
          [6, 7],
        ]) {
          const want = Array.from({ length: (e - s) * D }, (_, k) => value(t, s + Math.floor(k / D), k % D));
          assert.deepEqual(Array.from(disk.read(t, s, e)), want, `${storage} disk t=${t} [${s},${e})`);
          assert.deepEqual(Array.from(mem.read(t, s, e)), want, `${storage} memory t=${t} [${s},${e})`);
        }
      disk.close();
      disk.close(); // twice is harmless
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trajectories kept on disk equal those in memory, and the cache stores them byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-store-'));
  try {
    const pool = tinyPool(300);
    const cfg = resolveConfig({
      proxy: { embedDim: 8, hiddenDim: 8, minWarmup: 200, checkpoints: 3, learningRate: 0.02 },
      gradients: { projectionDim: 2, batchSize: 64 },
    });
    const warm = await warmUp(pool, cfg, new Rng(9));
    const mem = await computeTrajectories(pool, warm, cfg);
    const disk = await computeTrajectories(pool, warm, cfg, { maxResidentBytes: 0, spillDir: dir });
    assert.equal(mem.residence, 'memory');
    assert.equal(disk.residence, 'disk');
    assert.equal(disk.stored, undefined);
    for (let t = 0; t < 3; t++)
      for (const [s, e] of [
        [0, 300],
        [17, 130],
      ])
        assert.deepEqual(Buffer.from(disk.slice(t, s, e).buffer), Buffer.from(mem.slice(t, s, e).buffer), `t=${t} [${s},${e})`);
    assert.deepEqual(disk.loss, mem.loss);
    assert.deepEqual(disk.gradNormSq, mem.gradNormSq);
    // Group means (summed from whatever rows() returns: a view of memory, or the disk store's reused
    // buffer) are the same either way, whole and by half; unassigned samples are left out.
    const of = Int32Array.from({ length: 300 }, (_, i) => (i % 4 === 3 ? -1 : i % 3));
    const sizes = new Int32Array(3);
    for (const g of of) if (g >= 0) sizes[g]++;
    const groups: ProbeGroups = { source: 'clusters', names: ['a', 'b', 'c'], of, sizes };
    const half = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 2);
    const fromMem = groupMeans(mem, groups, half);
    const fromDisk = groupMeans(disk, groups, half);
    assert.deepEqual(Array.from(fromDisk.means), Array.from(fromMem.means));
    for (const h of [0, 1]) assert.deepEqual(Array.from(fromDisk.halves![h].means), Array.from(fromMem.halves![h].means));
    assert.ok(fromMem.means.some((x) => x !== 0));
    // Saved from disk (streamed) and from memory: the same entry, which loads back as the memory run.
    const cache = CurationCache.open(join(dir, 'cache'));
    await cache.saveTrajectories('a'.repeat(64), { k: 1 }, warm, disk);
    await cache.saveTrajectories('b'.repeat(64), { k: 1 }, warm, mem);
    const a = await cache.loadTrajectories('a'.repeat(64), { k: 1 });
    const b = await cache.loadTrajectories('b'.repeat(64), { k: 1 });
    // … and loads into a temporary file when it is over the resident limit (streamed as it is verified).
    const c = await cache.loadTrajectories('a'.repeat(64), { k: 1 }, { maxResidentBytes: 0 });
    assert.ok(a && b && c);
    assert.equal(a.traj.residence, 'memory');
    assert.equal(c.traj.residence, 'disk');
    const loaded: Trajectories[] = [a.traj, b.traj, c.traj];
    for (let t = 0; t < 3; t++)
      for (const x of loaded) assert.deepEqual(Buffer.from(x.slice(t, 0, 300).buffer), Buffer.from(mem.slice(t, 0, 300).buffer));
    assert.deepEqual(c.warm.indices, warm.indices);
    assert.deepEqual(c.traj.loss, mem.loss);
    // A flipped byte in the rows is a miss on that path too (and the entry is deleted).
    const bin = join(dir, 'cache', 'a'.repeat(16), `${readdirSync(join(dir, 'cache', 'a'.repeat(16))).find((f) => f.endsWith('.bin'))}`);
    const bytes = readFileSync(bin);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(bin, bytes);
    assert.equal(await cache.loadTrajectories('a'.repeat(64), { k: 1 }, { maxResidentBytes: 0 }), undefined);
    assert.equal(existsSync(bin), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
