// The folders' dependency direction (issue 12): protocol ← app ← cli / backend / extension. protocol
// imports neither app, cli, backend nor extension; app imports neither cli, backend nor extension;
// nothing imports cli or backend but themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}
/** Each import of a source file as the top folder under src/ it points into. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map(
    (m) => relative(join(ROOT, 'src'), resolve(dirname(file), m[1])).split(/[\\/]/)[0],
  );
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
  for (const file of files(join(ROOT, 'src'))) {
    const own = relative(join(ROOT, 'src'), file).split(/[\\/]/)[0];
    for (const to of importedFolders(file)) if (forbidden[own]?.includes(to)) wrong.push(`${relative(ROOT, file)} → ${to}`);
  }
  assert.deepEqual(wrong, []);
});
