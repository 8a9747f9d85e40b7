import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Float32Scratch } from '../../../src/core/util/scratch';

test('the scratch lends zeroed views of the asked length over one buffer, grown only when too small', () => {
  const s = new Float32Scratch();
  const a = s.zeros(8);
  assert.equal(a.length, 8);
  assert.ok(a.every((x) => x === 0));
  a.fill(5);
  const b = s.zeros(4);
  assert.equal(b.length, 4);
  assert.ok(
    b.every((x) => x === 0),
    'a smaller view is cleared',
  );
  assert.equal(b.buffer, a.buffer, 'the same memory is lent again');
  assert.equal(a[5], 5, 'beyond the view nothing is touched');
  const c = s.zeros(16);
  assert.equal(c.length, 16);
  assert.ok(c.every((x) => x === 0));
  assert.notEqual(c.buffer, a.buffer, 'a longer view needs a new buffer');
  assert.equal(c.buffer.byteLength, 20 * 4, 'grown a quarter beyond the request');
  assert.equal(s.zeros(20).buffer, c.buffer, 'which a slightly larger borrower then reuses');
});
