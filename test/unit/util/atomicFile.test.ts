import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cleanStaleTemps, FileExistsError, tempFileOwner, tempPathFor, writeFileAtomic } from '../../../src/core/util/atomicFile';

const dir = () => mkdtempSync(path.join(tmpdir(), 'cadc-atomic-'));

test('writeFileAtomic writes chunks and leaves no temp file', () => {
  const d = dir();
  const f = path.join(d, 'out.json');
  writeFileAtomic(f, ['{"a":', Buffer.from('1}')]);
  assert.equal(readFileSync(f, 'utf8'), '{"a":1}');
  assert.deepEqual(readdirSync(d), ['out.json']);
});

test('replace: false never overwrites an existing file, even a concurrent one', () => {
  const d = dir();
  const f = path.join(d, 'm.json');
  writeFileAtomic(f, 'first', { replace: false });
  assert.throws(
    () => writeFileAtomic(f, 'second', { replace: false }),
    (e) => e instanceof FileExistsError && e.file === f,
  );
  assert.equal(readFileSync(f, 'utf8'), 'first');
  assert.deepEqual(readdirSync(d), ['m.json'], 'the refused write leaves no temp file behind');
  writeFileAtomic(f, 'third');
  assert.equal(readFileSync(f, 'utf8'), 'third');
});

test('a failing chunk source leaves the old file intact and no temp file', () => {
  const d = dir();
  const f = path.join(d, 'x.txt');
  writeFileSync(f, 'old');
  function* chunks() {
    yield 'new';
    throw new Error('boom');
  }
  assert.throws(() => writeFileAtomic(f, chunks()), /boom/);
  assert.equal(readFileSync(f, 'utf8'), 'old');
  assert.deepEqual(readdirSync(d), ['x.txt']);
});

test('cleanStaleTemps removes temps of dead writers only', () => {
  const d = dir();
  const f = path.join(d, 'cache.bin');
  const mine = tempPathFor(f);
  writeFileSync(mine, 'live');
  assert.equal(tempFileOwner(path.basename(mine)), process.pid);
  // A pid that has certainly exited: a child we ran to completion.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const stale = path.join(d, `.cache.bin.cadc-${dead}-0123abcd.tmp`);
  writeFileSync(stale, 'stale');
  writeFileSync(path.join(d, 'unrelated.tmp'), 'not ours');
  const removed = cleanStaleTemps(d);
  assert.deepEqual(removed, [path.basename(stale)]);
  assert.deepEqual(readdirSync(d).sort(), [path.basename(mine), 'unrelated.tmp'].sort());
});
