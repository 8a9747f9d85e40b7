import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/util/rng';

test('Rng is deterministic per seed and differs across seeds', () => {
  const a = new Rng(7),
    b = new Rng(7),
    c = new Rng(8);
  const xa = Array.from({ length: 5 }, () => a.nextU32());
  const xb = Array.from({ length: 5 }, () => b.nextU32());
  const xc = Array.from({ length: 5 }, () => c.nextU32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test('Rng.sample returns k distinct indices in range', () => {
  const r = new Rng(1);
  const s = Array.from(r.sample(100, 30));
  assert.equal(new Set(s).size, 30);
  assert.ok(s.every((x) => x >= 0 && x < 100));
});

test('Rng.next is roughly uniform', () => {
  const r = new Rng(3);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) bins[Math.floor(r.next() * 10)]++;
  for (const b of bins) assert.ok(Math.abs(b - 10000) < 500, `bin ${b}`);
});
