import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mostInfluential } from '../../../src/core/influence/attribute';
import { Rng } from '../../../src/core/util/rng';

/** The definition: every member sorted by value, largest first, ties by index, then the first `top`. */
function byFullSort(members: number[], value: (i: number) => number, top: number): number[] {
  return members
    .slice()
    .sort((a, b) => value(b) - value(a) || a - b)
    .slice(0, top);
}

test('the most influential members are the first of the full sort: ties, signed zeros, infinities, NaN', () => {
  const rng = new Rng(4);
  for (let trial = 0; trial < 60; trial++) {
    const n = 1 + rng.int(3000);
    const v = new Float32Array(n + 10);
    for (let i = 0; i < v.length; i++) {
      const r = rng.int(10);
      // Few distinct values (many ties at the cut), and now and then the awkward ones.
      v[i] = r === 0 ? -0 : r === 1 ? 0 : r === 2 ? Infinity : r === 3 ? -Infinity : rng.int(50) / 7 - 3;
    }
    if (trial % 10 === 9) v[rng.int(n)] = NaN;
    const members = Array.from({ length: n }, (_, i) => i + rng.int(10)).filter((x, i, a) => a.indexOf(x) === i);
    const value = (i: number) => v[i];
    for (const top of [1, 3, 200, 2000])
      assert.deepEqual(mostInfluential(members, value, top), byFullSort(members, value, top), `trial ${trial}, top ${top}`);
  }
});
