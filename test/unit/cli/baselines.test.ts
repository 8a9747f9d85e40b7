// Every baseline strategy through the built CLI on a real dataset (fixture vision-flan-205): budget met, unique valid
// lines, a valid manifest, byte-identical manifests from two runs; mmssr also with a scores file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { MMSSR_CAPABILITIES } from '../../../src/core/selection/scores';
import { parseArgs } from '../../../src/cli/args';
import { CURATE_USAGE as USAGE } from '../../../src/cli/usage';
import { UsageError } from '../../../src/app/outcome';
import type { CurateArgs } from '../../../src/cli/args';
import { configFromArgs } from '../../../src/app/curate';
import { cliSandbox, FIXTURES } from './sandbox';

const DATASET = join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl');
const { out, cadc } = cliSandbox('cadc-baselines-');

type Manifest = {
  budget: { selected: number };
  config: { strategy: string };
  scores?: { file: string; sha256: string; samples: number };
  stages: { samples: { line: number }[] }[];
};

const CACHE = join(out, 'cache');

/** One curation; `cached` runs share a cache (features and trajectories are computed once for all). */
function curate(
  dir: string,
  extra: string[],
  cached = true,
): { res: { samples: number; selected: number; manifest: string }; text: string; manifest: Manifest } {
  const r = cadc([
    'curate',
    DATASET,
    '--budget',
    '20%',
    '--out',
    dir,
    '--json',
    ...(cached ? ['--cache', CACHE] : ['--no-cache']),
    '--force',
    '--quiet',
    ...extra,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  const text = readFileSync(res.manifest, 'utf8');
  return { res, text, manifest: JSON.parse(text) };
}

const validLines = new Set(
  readFileSync(DATASET, 'utf8')
    .split('\n')
    .map((l, i) => (l.trim() ? i + 1 : -1))
    .filter((l) => l > 0),
);

for (const strategy of ['mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band']) {
  test(`cli --strategy ${strategy} on vision-flan-205: budget met, unique lines, valid manifest, byte-identical rerun`, () => {
    const dir = join(out, strategy);
    const a = curate(dir, ['--strategy', strategy], false);
    assert.equal(a.manifest.config.strategy, strategy);
    assert.equal(a.res.selected, Math.round(a.res.samples * 0.2));
    assert.equal(a.manifest.budget.selected, a.res.selected);
    assert.deepEqual(validateManifest(a.manifest), { valid: true, errors: [] });
    const lines = a.manifest.stages.flatMap((s) => s.samples.map((x) => x.line));
    assert.equal(lines.length, a.res.selected);
    assert.equal(new Set(lines).size, lines.length, 'unique');
    assert.ok(lines.every((l) => validLines.has(l)));
    const b = curate(dir, ['--strategy', strategy]);
    assert.equal(b.text, a.text, 'same dataset + config + seed → the same bytes (the second run through the cache)');
  });
}

test('cli mmssr with --scores: the file is recorded (path, sha256) and steers the selection; a bad file exits 2 with its line', () => {
  const dir = join(out, 'scored');
  // Deterministic scores by line: capability (line mod 14) gets (line mod 6), the rest 0.
  const header = ['line', ...MMSSR_CAPABILITIES].join(',');
  const rows = [...validLines].map((l) => [l, ...MMSSR_CAPABILITIES.map((_, c) => (c === l % 14 ? l % 6 : 0))].join(','));
  const text = [header, ...rows].join('\n') + '\n';
  const file = join(dir, 'scores.csv');
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(file, text);
  const a = curate(dir, ['--strategy', 'mmssr', '--scores', file]);
  assert.deepEqual(a.manifest.scores, {
    file: 'scores.csv',
    sha256: createHash('sha256').update(text).digest('hex'),
    samples: validLines.size,
  });
  assert.deepEqual(validateManifest(a.manifest), { valid: true, errors: [] });
  // The schema checks the new parts: the scores record and the baselines' config keys.
  const broken = JSON.parse(a.text);
  broken.scores.sha256 = 'not-a-hash';
  broken.config.selection.lossBand = [0.25];
  broken.config.selection.iconsPercentile = 1.5;
  const errors = validateManifest(broken).errors.join('\n');
  assert.match(errors, /\/scores\/sha256/);
  assert.match(errors, /\/config\/selection\/lossBand/);
  assert.match(errors, /\/config\/selection\/iconsPercentile/);
  const without = curate(join(out, 'unscored'), ['--strategy', 'mmssr']);
  const picked = (m: Manifest) => m.stages.flatMap((s) => s.samples.map((x) => x.line)).sort((x, y) => x - y);
  assert.notDeepEqual(picked(a.manifest), picked(without.manifest));
  assert.equal(without.manifest.scores, undefined);
  assert.equal(curate(dir, ['--strategy', 'mmssr', '--scores', file]).text, a.text);
  writeFileSync(join(dir, 'bad.jsonl'), '{"line": 1, "ocr": 3}\n{"line": 2, "ocr": 7}\n');
  const bad = cadc([
    'curate',
    DATASET,
    '--out',
    dir,
    '--no-cache',
    '--force',
    '--quiet',
    '--strategy',
    'mmssr',
    '--scores',
    join(dir, 'bad.jsonl'),
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.jsonl:2: score of 'ocr' is 7, outside 0–5/);
});

test('cli options of the baselines: parsed, validated, in USAGE, and into the config', () => {
  const a = parseArgs([
    'curate',
    'd.jsonl',
    '--scores',
    's.csv',
    '--task-field',
    'source',
    '--style-field=style',
    '--loss-band',
    '0.1,0.9',
    '--icons-percentile',
    '0.7',
  ]) as CurateArgs;
  assert.equal(a.scores, 's.csv');
  assert.equal(a.taskField, 'source');
  assert.equal(a.styleField, 'style');
  assert.deepEqual(a.lossBand, [0.1, 0.9]);
  assert.equal(a.iconsPercentile, 0.7);
  const cfg = configFromArgs(a);
  assert.equal(cfg.selection.taskField, 'source');
  assert.equal(cfg.selection.styleField, 'style');
  assert.deepEqual(cfg.selection.lossBand, [0.1, 0.9]);
  assert.equal(cfg.selection.iconsPercentile, 0.7);
  const plain = configFromArgs(parseArgs(['curate', 'd.jsonl']) as CurateArgs);
  assert.deepEqual(plain.selection.lossBand, [0.25, 0.75]);
  assert.equal(plain.selection.iconsPercentile, 0.8);
  assert.equal(plain.selection.taskField, undefined);
  for (const bad of [
    ['--loss-band', '0.8,0.2'],
    ['--loss-band', '0.5'],
    ['--loss-band', '0,1.5'],
    ['--icons-percentile', '1'],
    ['--icons-percentile', 'x'],
    ['--task-field', ' '],
  ]) {
    assert.throws(() => parseArgs(['curate', 'd.jsonl', ...bad]), UsageError, bad.join(' '));
  }
  for (const opt of ['--scores FILE', '--task-field F', '--style-field F', '--loss-band LO,HI', '--icons-percentile P'])
    assert.ok(USAGE.includes(opt), opt);
});
