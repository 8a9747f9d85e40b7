// The seeded stream's jumps (util/rng.ts): peekU32 and skip reach any draw at once, as the draws one by one do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/util/rng';

test('peekU32(j) is the j-th draw ahead and draws nothing; skip(n) is n draws', () => {
  for (const seed of [0, 1, 42, 0xffffffff]) {
    const walk = new Rng(seed);
    const draws = Array.from({ length: 1000 }, () => walk.nextU32());
    const jump = new Rng(seed);
    for (const j of [0, 1, 2, 31, 32, 999]) assert.equal(jump.peekU32(j), draws[j], `seed ${seed}, draw ${j}`);
    assert.equal(jump.nextU32(), draws[0], 'peeking drew nothing');
    jump.skip(499);
    assert.equal(jump.nextU32(), draws[500]);
    jump.skip(0);
    assert.equal(jump.nextU32(), draws[501]);
  }
  // Far ahead (past 2^32 / WEYL increments the state wraps): a million draws one by one, then compared.
  const walk = new Rng(7);
  const peek = new Rng(7);
  const far = 1_048_575;
  for (let i = 0; i < far; i++) walk.nextU32();
  assert.equal(peek.peekU32(far), walk.nextU32());
  peek.skip(far + 1);
  assert.equal(peek.nextU32(), walk.nextU32());
});
