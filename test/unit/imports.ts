// One import reader for the tests that hold the layering (test/unit/pipeline/layering.test.ts,
// test/unit/app/layers.test.ts): TypeScript's own pre-processor, so static, dynamic, type-only,
// re-export and require imports all count, however Prettier wraps them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/** Every .ts file below `dir`. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The modules a file imports: relative ones as absolute paths, packages as written. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map(({ fileName }) => (fileName.startsWith('.') ? resolve(dirname(file), fileName) : fileName));
}
