import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Grow } from '../../../src/core/features/pool';

test('a chunked column gives back every pushed value in order, across chunk boundaries', () => {
  for (const count of [0, 1, 2, 3, 4, 9, 10, 31]) {
    const g = new Grow((n) => new Int32Array(n), 3);
    for (let i = 0; i < count; i++) g.push(i * 7 - 5);
    assert.equal(g.length, count);
    const out = g.done();
    assert.ok(out instanceof Int32Array);
    assert.deepEqual(
      Array.from(out),
      Array.from({ length: count }, (_, i) => i * 7 - 5),
      `${count} values`,
    );
    assert.equal(out.buffer.byteLength, count * 4, 'exact size, not a view of a larger buffer');
    assert.equal(g.length, 0, 'the builder is empty afterwards');
    assert.deepEqual(Array.from(g.done()), []);
  }
  const f = new Grow((n) => new Float64Array(n), 4);
  for (const v of [0.5, -1e300, 3, 4, 5]) f.push(v);
  assert.deepEqual(Array.from(f.done()), [0.5, -1e300, 3, 4, 5]);
});

test('pushRow appends a padded row, across chunk boundaries, as the same pushes would', () => {
  const rows = [[1, 2], [], [3, 4, 5, 6], [7]];
  const byRow = new Grow((n) => new Uint32Array(n), 3);
  const byValue = new Grow((n) => new Uint32Array(n), 3);
  for (const r of rows) {
    byRow.pushRow(r, 4, 9);
    for (let j = 0; j < 4; j++) byValue.push(j < r.length ? r[j] : 9);
  }
  assert.equal(byRow.length, 16);
  assert.deepEqual(Array.from(byRow.done()), [1, 2, 9, 9, 9, 9, 9, 9, 3, 4, 5, 6, 7, 9, 9, 9]);
  assert.deepEqual(Array.from(byValue.done()), [1, 2, 9, 9, 9, 9, 9, 9, 3, 4, 5, 6, 7, 9, 9, 9]);
});
