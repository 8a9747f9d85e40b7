// `cadc curate` reports a dataset's problems as one summary per code on stderr (not a line per
// record), `--json` carries them, and `--include-flagged` lets flagged samples into the selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import type { CurateArgs } from '../../../src/cli/args';
import { configFromArgs } from '../../../src/app/curate';
import { settingsToCurateParams } from '../../../src/app/options';
import { cliSandbox, REPO } from './sandbox';

const { out, cadc } = cliSandbox('cadc-cli-problems-');
const DEMO = join(REPO, 'demo/demo.jsonl');

test('the demo: two summaries on stderr (1,140 token lines, 1 missing image), not 1,141 lines; --json carries them', () => {
  const r = cadc(['curate', DEMO, '--out', join(out, 'demo'), '--no-cache', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const err = r.stderr.split('\n').filter((l) => l && !/^\[\d\/\d\]/.test(l));
  // Two problems × (headline, cause, fix) and the closing line.
  assert.equal(err.length, 7, err.join('\n'));
  assert.match(
    err[0],
    /demo\.jsonl: warning: 1,140 of 1,543 samples have <image> tokens that do not match their images \(left out of the selection\) \(lines 344, 345, 346, 347, 348, …\) \[image-token-mismatch\]$/,
  );
  assert.match(err[1], /^ {2}cause: an <image> token in a record without an image/);
  assert.match(err[2], /^ {2}fix: .*--include-flagged/);
  assert.match(
    err[3],
    /warning: 1 of 343 image paths do not resolve to a readable image \(left out of the selection\) \(line 7\) \[missing-image\]$/,
  );
  assert.ok(!r.stderr.includes('token(s) but'), 'no per-line message');
  const res = JSON.parse(r.stdout);
  assert.deepEqual(
    res.problems.map((p: { code: string; count: number; total: number }) => [p.code, p.count, p.total]),
    [
      ['image-token-mismatch', 1140, 1543],
      ['missing-image', 1, 343],
    ],
  );
  assert.equal(res.diagnosticCounts['image-token-mismatch'], 1140);
  assert.equal(
    res.diagnostics.filter((d: { code: string }) => d.code === 'image-token-mismatch').length,
    100,
    'per-line ones capped per code',
  );
  const manifest = JSON.parse(readFileSync(res.manifest, 'utf8'));
  assert.equal(manifest.excluded.total, 1141);
  assert.equal(manifest.config.selection.includeFlagged, false);
  const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
  assert.ok(!lines.includes(7), 'the missing-image sample is not selected');
  // The token-without-image lines, read independently of the reader: no image field, an <image> in a human turn.
  const tokenLines = readFileSync(DEMO, 'utf8')
    .split('\n')
    .flatMap((l, i) => {
      if (!l.trim()) return [];
      const r = JSON.parse(l) as { image?: string; conversations: { from: string; value: string }[] };
      return r.image === undefined && r.conversations.some((t) => t.from === 'human' && t.value.includes('<image>')) ? [i + 1] : [];
    });
  assert.equal(tokenLines.length, 1140);
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
  assert.equal(
    res.problems[0].headline,
    '1,140 of 1,543 samples have <image> tokens that do not match their images',
    'not "left out" any more',
  );
});
