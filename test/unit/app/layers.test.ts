// The folders' dependency direction (issue 12): protocol ← app ← cli / backend / extension. protocol
// imports neither app, cli, backend nor extension; app imports neither cli, backend nor extension;
// nothing imports cli or backend but themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { importsOf, sourceFiles } from '../imports';

const ROOT = resolve(__dirname, '../../..');
const SRC = join(ROOT, 'src');
/** Each import of a source file under src/ as the top folder it points into. */
function importedFolders(file: string): string[] {
  return importsOf(file)
    .filter((i) => isAbsolute(i) && !relative(SRC, i).startsWith('..'))
    .map((i) => relative(SRC, i).split(/[\\/]/)[0]);
}

test('protocol ← app ← cli, backend, extension: no import goes the other way', () => {
  const forbidden: Record<string, string[]> = {
    protocol: ['app', 'cli', 'backend', 'extension'],
    app: ['cli', 'backend', 'extension'],
    core: ['app', 'cli', 'backend', 'extension', 'protocol'],
    extension: ['cli', 'backend'],
    cli: ['backend', 'extension'],
    backend: ['cli', 'extension'],
  };
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const own = relative(SRC, file).split(/[\\/]/)[0];
    for (const to of importedFolders(file)) if (forbidden[own]?.includes(to)) wrong.push(`${relative(ROOT, file)} → ${to}`);
  }
  assert.deepEqual(wrong, []);
});
