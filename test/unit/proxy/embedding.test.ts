// The proxy's frozen embedding table (proxy/model.ts makeEmbedding): its definition spelled out
// independently, the padding row, and a reused buffer giving the same table as a fresh one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEmbedding } from '../../../src/core/proxy/model';
import type { ProxyShape } from '../../../src/core/proxy/model';
import { Rng } from '../../../src/core/util/rng';

const shape = (Q: number, E: number) => ({ questionBuckets: Q, embedDim: E }) as unknown as ProxyShape;

test('embedding: entry k is +1/√E when bit k mod 32 of draw ⌊k/32⌋ is set, −1/√E otherwise; the padding row is 0', () => {
  const Q = 5;
  const E = 16; // 80 entries: draws 0, 1 and 2 (16 bits of the last)
  const got = makeEmbedding(shape(Q, E), new Rng(9));
  assert.equal(got.length, (Q + 1) * E);
  const draws = new Rng(9);
  const words = [draws.nextU32(), draws.nextU32(), draws.nextU32()];
  const s = Math.fround(1 / Math.sqrt(E));
  for (let k = 0; k < Q * E; k++) {
    const bit = (words[Math.floor(k / 32)] >>> (k % 32)) & 1;
    assert.equal(got[k], bit ? s : -s, `entry ${k}`);
  }
  for (let k = Q * E; k < (Q + 1) * E; k++) assert.equal(got[k], 0);
  // Both signs occur (the draws are not degenerate).
  assert.ok(got.some((v) => v > 0) && got.some((v) => v < 0));
});

test('embedding: a reused buffer (dirty, even in the padding row) gives the fresh table; a wrong-size one is not used', () => {
  const sh = shape(300, 128);
  const fresh = makeEmbedding(sh, new Rng(3));
  const dirty = new Float32Array(fresh.length).fill(7);
  const reused = makeEmbedding(sh, new Rng(3), dirty);
  assert.equal(reused, dirty, 'the buffer given is the one filled');
  assert.deepEqual(reused, fresh);
  const small = new Float32Array(10);
  const other = makeEmbedding(sh, new Rng(3), small);
  assert.notEqual(other, small);
  assert.deepEqual(other, fresh);
});

test('embedding: with rows, those rows (and the padding row) hold the whole table’s values, the rest is untouched, and the stream ends alike', () => {
  for (const E of [128, 16, 48]) {
    const sh = shape(1000, E);
    const whole = new Rng(5);
    const full = makeEmbedding(sh, whole);
    const rows = Int32Array.from([0, 3, 4, 517, 998, 999, 1000]); // 1000 is the padding row
    const part = new Rng(5);
    const got = makeEmbedding(sh, part, new Float32Array(full.length).fill(7), rows);
    for (let b = 0; b <= 1000; b++) {
      const row = got.subarray(b * E, (b + 1) * E);
      if (rows.includes(b)) assert.deepEqual(row, full.subarray(b * E, (b + 1) * E), `E ${E}, row ${b}`);
      else
        assert.ok(
          row.every((v) => v === 7),
          `E ${E}, row ${b} untouched`,
        );
    }
    assert.equal(part.nextU32(), whole.nextU32(), `E ${E}: the stream ends where the whole table leaves it`);
  }
});
