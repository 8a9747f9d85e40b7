// `cadc curate` reports a dataset's problems as one summary per code on stderr (not a line per
// record), `--json` carries them, and `--include-flagged` lets flagged samples into the selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import type { CurateArgs } from '../../../src/cli/args';
import { configFromArgs } from '../../../src/app/curate';
import { settingsToCurateParams } from '../../../src/app/options';
import { cliSandbox, FIXTURES, REPO } from './sandbox';

const { out, cadc } = cliSandbox('cadc-cli-problems-');
const DEMO = join(REPO, 'demo/demo.jsonl');

/** Lines (1-based) of `file` whose image field names a file that is not there, read independently of the reader. */
function missingImageLines(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l, i) => {
      if (!l.trim()) return [];
      const r = JSON.parse(l) as { image?: string };
      return r.image !== undefined && !existsSync(join(dirname(file), r.image)) ? [i + 1] : [];
    });
}

test('the demo: one summary on stderr (36 missing images), not 36 lines; --json carries it', () => {
  const r = cadc(['curate', DEMO, '--out', join(out, 'demo'), '--no-cache', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const err = r.stderr.split('\n').filter((l) => l && !/^\[\d\/\d\]/.test(l));
  // One problem × (headline, cause, fix) and the closing line.
  assert.equal(err.length, 4, err.join('\n'));
  assert.match(
    err[0],
    /demo\.jsonl: warning: 36 of 654 image paths do not resolve to a readable image \(left out of the selection\) \(lines 7, 1020, 1021, 1022, 1023, …\) \[missing-image\]$/,
  );
  assert.match(err[1], /^ {2}cause: those image files are missing on disk/);
  assert.match(err[2], /^ {2}fix: .*--include-flagged/);
  assert.ok(!r.stderr.includes('Image not found'), 'no per-line message');
  const res = JSON.parse(r.stdout);
  assert.deepEqual(
    res.problems.map((p: { code: string; count: number; total: number }) => [p.code, p.count, p.total]),
    [['missing-image', 36, 654]],
  );
  assert.deepEqual(res.diagnosticCounts, { 'missing-image': 36 });
  // The Vision-Flan row missing upstream and the llava-eval-pool rows whose images were never on disk.
  const missing = missingImageLines(DEMO);
  assert.equal(missing.length, 36);
  assert.deepEqual(
    res.diagnostics.filter((d: { code: string }) => d.code === 'missing-image').map((d: { line: number }) => d.line),
    missing,
    'all of them listed per line (fewer than the cap)',
  );
  const manifest = JSON.parse(readFileSync(res.manifest, 'utf8'));
  assert.equal(manifest.excluded.total, 36);
  assert.equal(manifest.config.selection.includeFlagged, false);
  const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
  assert.ok(lines.length > 0);
  assert.deepEqual(
    lines.filter((l: number) => missing.includes(l)),
    [],
    'no missing-image line is selected',
  );
});

test('<image> tokens without an image (the llava-eval-pool fixture with its image key dropped, as a lossy converter writes it): one summary, per-line ones capped', () => {
  const records = readFileSync(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { image: _image, ...rest } = JSON.parse(l) as { image?: string; conversations: { from: string; value: string }[] };
      return rest;
    });
  const file = join(out, 'tokens', 'pool.jsonl');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // The token-without-image lines, read independently of the reader: an <image> in a human turn.
  const tokenLines = records.flatMap((r, i) =>
    r.conversations.some((t) => t.from === 'human' && t.value.includes('<image>')) ? [i + 1] : [],
  );
  assert.equal(tokenLines.length, 3597, 'the rows that named an image (test/fixtures/PROVENANCE.md)');
  const r = cadc(['curate', file, '--out', join(out, 'tokens', 'out'), '--no-cache', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const err = r.stderr.split('\n').filter((l) => l && !/^\[\d\/\d\]/.test(l));
  assert.equal(err.length, 4, err.join('\n'));
  assert.match(
    err[0],
    /pool\.jsonl: warning: 3,597 of 3,790 samples have <image> tokens that do not match their images \(left out of the selection\) \(lines 1, 2, 3, 4, 5, …\) \[image-token-mismatch\]$/,
  );
  assert.match(err[1], /^ {2}cause: an <image> token in a record without an image/);
  assert.match(err[2], /^ {2}fix: .*--include-flagged/);
  assert.ok(!r.stderr.includes('token(s) but'), 'no per-line message');
  const res = JSON.parse(r.stdout);
  assert.deepEqual(
    res.problems.map((p: { code: string; count: number; total: number }) => [p.code, p.count, p.total]),
    [['image-token-mismatch', 3597, 3790]],
  );
  assert.equal(res.diagnosticCounts['image-token-mismatch'], 3597);
  assert.equal(
    res.diagnostics.filter((d: { code: string }) => d.code === 'image-token-mismatch').length,
    100,
    'per-line ones capped per code',
  );
  const manifest = JSON.parse(readFileSync(res.manifest, 'utf8'));
  assert.equal(manifest.excluded.total, 3597);
  const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
  assert.ok(lines.length > 0, 'the text-only rows are selectable');
  assert.deepEqual(
    lines.filter((l: number) => tokenLines.includes(l)),
    [],
    'no token-without-image line is selected',
  );
});

test('--include-flagged and cadc.selection.includeFlagged reach the config (and so the manifest); the default leaves flagged samples out', () => {
  const parsed = (argv: string[]) => configFromArgs(parseArgs(argv) as CurateArgs).selection.includeFlagged;
  assert.equal(parsed(['curate', 'd.jsonl']), false);
  assert.equal(parsed(['curate', 'd.jsonl', '--include-flagged']), true);
  assert.throws(() => parseArgs(['curate', 'd.jsonl', '--include-flagged=yes']), /takes no value/);
  const fixed = { dataset: '/w/d.jsonl', out: '/w/curation', force: false, cache: null };
  const fromSettings = (v: unknown) =>
    configFromArgs(settingsToCurateParams((k) => (k === 'cadc.selection.includeFlagged' ? v : undefined), fixed));
  assert.equal(fromSettings(undefined).selection.includeFlagged, false);
  assert.equal(fromSettings(false).selection.includeFlagged, false);
  assert.equal(fromSettings(true).selection.includeFlagged, true);
  const r = cadc([
    'curate',
    DEMO,
    '--out',
    join(out, 'inc'),
    '--no-cache',
    '--json',
    '--quiet',
    '--include-flagged',
    '--budget',
    '100%',
    '--strategy',
    'random',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  const manifest = JSON.parse(readFileSync(res.manifest, 'utf8'));
  assert.equal(manifest.config.selection.includeFlagged, true);
  assert.equal(manifest.excluded, undefined);
  const lines = new Set(manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line)));
  assert.ok(lines.has(7), 'the missing-image sample can be selected');
  assert.equal(res.problems[0].headline, '36 of 654 image paths do not resolve to a readable image', 'not "left out" any more');
});
