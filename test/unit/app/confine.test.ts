// Path confinement on real folders with real symlinks: what the workspace names must resolve
// inside its folder after following every link, or be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { confinedDir, confinedFile, hoverImage, OutsideWorkspaceError } from '../../../src/app/confine';

/** A workspace folder and a sentinel folder beside it (outside), with links from one into the other. */
function layout() {
  const top = mkdtempSync(path.join(tmpdir(), 'cadc-confine-'));
  const ws = path.join(top, 'ws');
  const outside = path.join(top, 'outside');
  mkdirSync(path.join(ws, 'data', 'images'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(ws, 'data', 'd.jsonl'), '{}\n');
  writeFileSync(path.join(ws, 'data', 'images', 'a.png'), 'png');
  writeFileSync(path.join(outside, 'secret.png'), 'secret');
  writeFileSync(path.join(outside, 'd.jsonl'), '{}\n');
  symlinkSync(outside, path.join(ws, 'data', 'linked')); // a folder in the workspace pointing out
  symlinkSync(path.join(outside, 'secret.png'), path.join(ws, 'data', 'images', 'b.png')); // a file pointing out
  symlinkSync(path.join(ws, 'data', 'images', 'a.png'), path.join(ws, 'data', 'inside.png')); // a link that stays inside
  return { ws, outside };
}

const outsideErr = (e: unknown) => e instanceof OutsideWorkspaceError;

test('confinedFile: a file inside resolves to its real path; a link that stays inside is fine', () => {
  const { ws } = layout();
  assert.equal(confinedFile(ws, path.join(ws, 'data'), 'd.jsonl', 'x'), path.join(ws, 'data', 'd.jsonl'));
  assert.equal(confinedFile(ws, path.join(ws, 'data'), 'inside.png', 'x'), path.join(ws, 'data', 'images', 'a.png'));
  assert.equal(confinedFile(ws, ws, 'data/nope.jsonl', 'x'), undefined, 'missing: undefined, not an error');
});

test('confinedFile: .., absolute paths and symlinks out of the workspace are refused', () => {
  const { ws, outside } = layout();
  assert.throws(() => confinedFile(ws, path.join(ws, 'data'), '../../outside/d.jsonl', 'x'), outsideErr);
  assert.throws(() => confinedFile(ws, ws, path.join(outside, 'd.jsonl'), 'x'), outsideErr);
  assert.throws(() => confinedFile(ws, path.join(ws, 'data'), 'linked/d.jsonl', 'x'), outsideErr, 'a symlinked folder pointing outside');
  assert.throws(() => confinedFile(ws, path.join(ws, 'data'), 'images/b.png', 'x'), outsideErr, 'a symlinked file pointing outside');
  assert.throws(() => confinedFile(ws, ws, '/etc/passwd', 'x'), outsideErr);
  assert.equal(confinedFile(ws, ws, 'data', 'x'), undefined, 'a folder is not a file');
  // A base outside the root does not widen it.
  assert.throws(() => confinedFile(ws, outside, 'd.jsonl', 'x'), outsideErr);
});

test('confinedDir: folders that do not exist yet resolve inside; .., absolute and linked-out folders are refused', () => {
  const { ws, outside } = layout();
  assert.equal(confinedDir(ws, 'curation', 'x'), path.join(ws, 'curation'));
  assert.equal(confinedDir(ws, 'data/new/deeper', 'x'), path.join(ws, 'data', 'new', 'deeper'));
  assert.throws(() => confinedDir(ws, '../outside', 'x'), outsideErr);
  assert.throws(() => confinedDir(ws, '../../../../tmp/x', 'x'), outsideErr);
  assert.throws(() => confinedDir(ws, outside, 'x'), outsideErr);
  assert.throws(() => confinedDir(ws, 'data/linked', 'x'), outsideErr);
  assert.throws(() => confinedDir(ws, 'data/linked/new', 'x'), outsideErr, 'a new folder under a link pointing outside');
  assert.throws(() => confinedDir(ws, 'a\0b', 'x'), outsideErr);
});

test('hoverImage: the engine resolver, confined to the workspace folder (realpath)', () => {
  const { ws, outside } = layout();
  const dataset = path.join(ws, 'data', 'd.jsonl');
  assert.equal(hoverImage(ws, dataset, 'images/a.png'), path.join(ws, 'data', 'images', 'a.png'));
  assert.equal(hoverImage(ws, dataset, 'images/b.png'), undefined, 'symlink to a file outside');
  assert.equal(hoverImage(ws, dataset, 'linked/secret.png'), undefined, 'through a symlinked folder');
  assert.equal(hoverImage(ws, dataset, '../../outside/secret.png'), undefined);
  assert.equal(hoverImage(ws, dataset, path.join(outside, 'secret.png')), undefined);
  assert.equal(hoverImage(ws, dataset, 'https://example.invalid/a.png'), undefined);
  assert.equal(hoverImage(ws, dataset, 'images/missing.png'), undefined);
});
