import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uint32Set } from '../../../src/core/util/uint32Set';
import { Rng } from '../../../src/core/util/rng';

test('Uint32Set agrees with a Set on random uint32 values, through growth and clears', () => {
  const rng = new Rng(9);
  const s = new Uint32Set(2);
  let ref = new Set<number>();
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 5000; i++) {
      // Few distinct values in some rounds (repeats), the full range in others; 0 and 2³²−1 included.
      const x = round % 2 ? rng.int(300) : i % 997 === 0 ? (i % 2 ? 0 : 0xffffffff) : rng.nextU32();
      assert.equal(s.add(x), !ref.has(x), `add ${x}`);
      ref.add(x);
    }
    assert.equal(s.size, ref.size);
    for (let i = 0; i < 2000; i++) {
      const x = rng.nextU32();
      assert.equal(s.has(x), ref.has(x));
    }
    for (const x of ref) assert.ok(s.has(x));
    s.clear();
    ref = new Set();
    assert.equal(s.size, 0);
    assert.equal(s.has(0), false);
  }
  assert.equal(s.add(-1), true, 'taken as uint32: -1 is 2³²−1');
  assert.equal(s.has(0xffffffff), true);
});

test('Uint32Set numbers its members in order of first appearance, through growth and after a clear', () => {
  const rng = new Rng(3);
  const s = new Uint32Set();
  for (let round = 0; round < 2; round++) {
    const ref = new Map<number, number>();
    for (let i = 0; i < 20000; i++) {
      const x = rng.int(4) === 0 ? rng.int(50) : rng.nextU32();
      if (!ref.has(x)) ref.set(x, ref.size);
      assert.equal(s.id(x), ref.get(x));
    }
    for (const [x, id] of ref) assert.equal(s.id(x), id);
    assert.equal(s.size, ref.size);
    s.clear();
  }
  assert.equal(s.id(0xffffffff), 0, 'after a clear the numbering starts again');
});
