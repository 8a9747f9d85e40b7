// The .npy reader (src/core/gradients/npy.ts) on files written by numpy 1.24 — test/fixtures/npy/,
// made by `cd test/fixtures/npy && /usr/bin/python3 make.py` (the values below are make.py's) — and
// the writer against numpy's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  halfTable,
  halvesToFloat32,
  int64ToNumbers,
  npyBytes,
  NpyFormatError,
  parseNpy,
  readNpyHeader,
} from '../../../src/core/gradients/npy';
import { fromHalf, toHalf } from '../../../src/core/gradients/trajectories';
import { FIXTURES } from '../helpers';

const DIR = join(FIXTURES, 'npy');
const read = (name: string) => parseNpy(readFileSync(join(DIR, name)), name);

test('each dtype numpy writes reads back with its shape and values', () => {
  const f2 = read('f2.npy');
  assert.equal(f2.header.dtype, 'float16');
  assert.deepEqual(f2.header.shape, [9]);
  assert.deepEqual(Array.from(halvesToFloat32(f2.data as Uint16Array)), [0, 1, -2, 0.5, 65504, 2 ** -24, Infinity, -0, 0.333251953125]);
  const f4 = read('f4.npy');
  assert.deepEqual(f4.header.shape, [3, 4]);
  assert.deepEqual(
    Array.from(f4.data as Float32Array),
    Array.from({ length: 12 }, (_, i) => i * 0.5 - 1),
  );
  assert.deepEqual(Array.from(read('f8.npy').data as Float64Array), [1e-300, -2.5, Math.PI, 1e300]);
  assert.deepEqual(Array.from(read('i4.npy').data as Int32Array), [-(2 ** 31), -1, 0, 2 ** 31 - 1]);
  const i8 = read('i8.npy');
  assert.deepEqual(Array.from(int64ToNumbers(i8.data as BigInt64Array, 'i8.npy')), [-(2 ** 53 - 1), 0, 7, 2 ** 53 - 1]);
  const traj = read('traj.npy');
  assert.deepEqual(traj.header.shape, [2, 3, 4]);
  assert.deepEqual(
    Array.from(halvesToFloat32(traj.data as Uint16Array)),
    Array.from({ length: 24 }, (_, i) => i / 8),
  );
  assert.deepEqual(read('empty.npy').header.shape, [0, 4]);
  assert.equal((read('empty.npy').data as Float32Array).length, 0);
  assert.deepEqual(read('scalar.npy').header.shape, []);
  assert.deepEqual(Array.from(read('scalar.npy').data as Float64Array), [2.5]);
  const v2 = read('v2.npy');
  assert.deepEqual(Array.from(v2.data as Int32Array), [1, 2, 3], 'format 2.0 (4-byte header length)');
});

test('files the reader must refuse are refused, naming the problem', () => {
  const refused: [string, RegExp][] = [
    ['fortran.npy', /Fortran order/],
    ['big.npy', /dtype >f4 is not one of .*big-endian/],
    ['u1.npy', /dtype \|u1 is not one of/],
    ['object.npy', /dtype \|O is not one of/],
    ['truncated.npy', /truncated: 171 bytes, the header's shape \[3, 4\] needs 176/],
    ['extra.npy', /2 bytes after the data/],
  ];
  for (const [name, message] of refused) {
    assert.throws(
      () => readNpyHeader(join(DIR, name)),
      (e: Error) => e instanceof NpyFormatError && message.test(e.message) && e.message.startsWith(join(DIR, name)),
      name,
    );
  }
  const i8big = read('i8big.npy');
  assert.throws(() => int64ToNumbers(i8big.data as BigInt64Array, 'i8big.npy'), /value 1152921504606846976 at index 0 is too large/);
  const bad = (bytes: Uint8Array, message: RegExp) => assert.throws(() => parseNpy(bytes, 'x.npy'), message);
  bad(Buffer.from('not numpy at all'), /no \\x93NUMPY magic/);
  const f4 = readFileSync(join(DIR, 'f4.npy'));
  bad(f4.subarray(0, 40), /header is cut off/);
  const v9 = Buffer.from(f4);
  v9[6] = 9;
  bad(v9, /unsupported .npy format version 9/);
  const renamed = Buffer.from(f4.toString('latin1').replace("'descr'", "'dtype'"), 'latin1');
  bad(renamed, /header has keys dtype,fortran_order,shape, expected descr, fortran_order and shape/);
  const twice = Buffer.from(f4.toString('latin1').replace("'fortran_order'", "'shape'        "), 'latin1');
  bad(twice, /header dict is not understood|names 'shape' twice/);
});

test('the writer writes what numpy writes, byte for byte', () => {
  for (const name of ['f2.npy', 'f4.npy', 'f8.npy', 'i4.npy', 'i8.npy', 'traj.npy', 'empty.npy', 'scalar.npy']) {
    const bytes = readFileSync(join(DIR, name));
    const { header, data } = parseNpy(bytes, name);
    assert.ok(Buffer.from(npyBytes(header.descr, header.shape, data)).equals(bytes), name);
  }
  assert.throws(() => npyBytes('<f4', [2, 2], new Float32Array(3)), /12 bytes of data for shape \[2, 2\]/);
});

test('the float16 table agrees with the engine’s half conversion on every one of the 65,536 halves', () => {
  const t = halfTable();
  for (let h = 0; h < 65536; h++) {
    const want = fromHalf(h);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(t[h]), `${h}`);
    else assert.equal(t[h], want, `${h}`);
  }
  assert.equal(toHalf(t[toHalf(0.1)]), toHalf(0.1));
});
