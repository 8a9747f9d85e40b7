// The engine's arrows point down: runtime (cancellation, logging, progress) is at the bottom and
// imports nothing else of the core; no room of the core imports the pipeline (its top) but the
// pipeline itself; the core never imports vscode. Imports are read by TypeScript's own pre-processor (../imports.ts).
import assert from 'node:assert/strict';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import test from 'node:test';
import { importsOf, sourceFiles } from '../imports';

const CORE = resolve(__dirname, '../../../src/core');

/**
 * Files above the pipeline that still live in the core, each with why. report/compare.ts re-selects a
 * run with every strategy (a use case, not an engine room): it belongs above the pipeline (src/app).
 */
const ABOVE_PIPELINE = new Set(['report/compare.ts']);

/** A file's imports, relative ones as core-relative paths ('runtime/cancel'). */
function coreImports(file: string): string[] {
  return importsOf(file).map((i) => (isAbsolute(i) ? relative(CORE, i).split(sep).join('/') : i));
}

const files = sourceFiles(CORE).map((f) => ({ file: f, room: relative(CORE, f).split(sep).join('/'), imports: coreImports(f) }));

test('the import reader sees the core (a sanity check the other tests rest on)', () => {
  const run = files.find((f) => f.room === 'pipeline/run.ts');
  assert.ok(run, 'src/core/pipeline/run.ts exists');
  assert.ok(run.imports.includes('runtime/cancel'), `run.ts imports runtime/cancel (read: ${run.imports.join(', ')})`);
  assert.ok(files.length > 40, `${files.length} core files`);
});

test('runtime imports nothing of the core outside runtime', () => {
  const up = files
    .filter((f) => f.room.startsWith('runtime/'))
    .flatMap((f) => f.imports.filter((i) => !i.startsWith('runtime/') && !i.startsWith('node:')).map((i) => `${f.room} → ${i}`));
  assert.deepEqual(up, []);
});

test('no room of the core imports the pipeline but the pipeline itself', () => {
  const up = files
    .filter((f) => !f.room.startsWith('pipeline/') && !ABOVE_PIPELINE.has(f.room))
    .flatMap((f) => f.imports.filter((i) => i.startsWith('pipeline/') || i === 'pipeline').map((i) => `${f.room} → ${i}`));
  assert.deepEqual(up, []);
  for (const room of ABOVE_PIPELINE)
    assert.ok(
      files.some((f) => f.room === room),
      `${room} (listed as above the pipeline) exists`,
    );
});

test('the core never imports vscode', () => {
  assert.deepEqual(
    files.filter((f) => f.imports.includes('vscode')).map((f) => f.room),
    [],
  );
});
