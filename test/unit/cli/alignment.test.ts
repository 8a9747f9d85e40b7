// The CLI's alignment stage on a real dataset (owleval, 414 rows): built bundle, real files, real ORT.
// The predicate is re-checked from the dataset's own lines, not from the pool the run built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { cliSandbox, FIXTURES } from './sandbox';

const DATASET = join(FIXTURES, 'owleval/owleval.jsonl');
const { out, cadc } = cliSandbox('cadc-cli-al-');

interface Row {
  model: string;
  conversations: { from: string; value: string }[];
}

/** The dataset's rows by 1-based line, parsed here independently of the tool. */
const rows = new Map<number, Row>(
  readFileSync(DATASET, 'utf8')
    .split('\n')
    .map((l, j) => [j + 1, l] as const)
    .filter(([, l]) => l.trim())
    .map(([j, l]) => [j, JSON.parse(l) as Row]),
);

interface ManifestStage {
  id: string;
  kind?: string;
  name: string;
  alignment?: { predicate: string; minAnswerChars?: number; field?: string; values?: string[]; matched: number; target: number };
  samples: { line: number; capability: string }[];
}

function curate(dir: string, extra: string[]) {
  const r = cadc(['curate', DATASET, '--budget', '30%', '--out', dir, '--no-cache', '--json', '--force', '--quiet', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  const text = readFileSync(res.manifest, 'utf8');
  return { res, text, manifest: JSON.parse(text) as { budget: { selected: number; requestedCount: number }; stages: ManifestStage[] } };
}

test('owleval --alignment on: last stage is a long-answer alignment stage, total = budget, byte-identical reruns', () => {
  const a = curate(join(out, 'on'), ['--alignment', 'on']);
  const { manifest, res } = a;
  assert.deepEqual(validateManifest(manifest), { valid: true, errors: [] });
  const B = Math.round(414 * 0.3);
  assert.equal(res.selected, B);
  assert.equal(manifest.budget.selected, B);
  const lines = manifest.stages.flatMap((s) => s.samples.map((x) => x.line));
  assert.equal(lines.length, B, 'total = budget');
  assert.equal(new Set(lines).size, B);
  const last = manifest.stages[manifest.stages.length - 1];
  assert.equal(last.kind, 'alignment');
  assert.ok(manifest.stages.slice(0, -1).every((s) => s.kind === 'capability'));
  assert.equal(last.alignment?.predicate, 'long-answer');
  assert.equal(last.alignment?.minAnswerChars, 400);
  // A = min(1000, ⌊0.2·124⌋ = 24, matches left) — owleval has far more than 24 long answers.
  assert.equal(last.alignment?.target, 24);
  assert.equal(last.samples.length, 24);
  assert.ok(last.alignment!.matched >= 100, `matched ${last.alignment!.matched}`);
  assert.equal(res.stages.at(-1).size, 24);
  for (const x of last.samples) {
    const row = rows.get(x.line)!;
    const answers = row.conversations.filter((c) => c.from === 'gpt').map((c) => c.value);
    const first = answers[0].trim();
    assert.ok(answers.join('\n').length >= 400, `line ${x.line}: answer of ${answers.join('\n').length} characters`);
    assert.ok(first.split(/\s+/).length > 3, `line ${x.line}: a short answer`);
    assert.ok(!/^(yes|no|true|false)\b/i.test(first) || first.split(/\s+/).length > 12, `line ${x.line}: a yes/no answer`);
    assert.ok(!/^\(?[A-H]\)?[.):]?$/.test(first.split(/\s+/)[0]) || first.split(/\s+/).length > 6, `line ${x.line}: an option letter`);
  }
  const b = curate(join(out, 'on'), ['--alignment', 'on']);
  assert.equal(b.text, a.text, 'same seed → same bytes');
  const other = curate(join(out, 'seed7'), ['--alignment', 'on', '--seed', '7']);
  assert.notDeepEqual(
    other.manifest.stages
      .at(-1)!
      .samples.map((x) => x.line)
      .sort(),
    last.samples.map((x) => x.line).sort(),
  );
});

test('owleval --alignment-label model=…: every alignment sample carries that label; --alignment-size caps it', () => {
  const { manifest } = curate(join(out, 'label'), [
    '--alignment',
    'on',
    '--alignment-label',
    'model=llava_13b,mPLUG_Owl_7b',
    '--alignment-size',
    '10',
    '--strategy',
    'random',
  ]);
  assert.deepEqual(validateManifest(manifest), { valid: true, errors: [] });
  const last = manifest.stages.at(-1)!;
  assert.equal(last.kind, 'alignment');
  assert.deepEqual(last.alignment, {
    predicate: 'label',
    field: 'model',
    values: ['llava_13b', 'mPLUG_Owl_7b'],
    matched: last.alignment!.matched,
    target: 10,
  });
  assert.equal(last.samples.length, 10);
  for (const x of last.samples) assert.ok(['llava_13b', 'mPLUG_Owl_7b'].includes(rows.get(x.line)!.model), `line ${x.line}`);
  assert.equal(manifest.stages.flatMap((s) => s.samples).length, 124);
});

test('--alignment off (and auto for cadc) writes capability stages only; bad alignment options exit 2', () => {
  const { manifest } = curate(join(out, 'off'), []);
  assert.ok(manifest.stages.every((s) => s.kind === 'capability'));
  assert.equal(manifest.stages.flatMap((s) => s.samples).length, 124);
  for (const bad of [
    ['--alignment', 'maybe'],
    ['--alignment', 'on', '--alignment-size', '0'],
    ['--alignment', 'on', '--alignment-label', 'model'],
    ['--alignment', 'on', '--alignment-label', 'model=a', '--alignment-min-chars', '10'],
    ['--alignment', 'off', '--alignment-size', '5'],
    ['--alignment-size', '5'],
  ]) {
    const r = cadc(['curate', DATASET, '--out', join(out, 'bad'), '--no-cache', '--quiet', ...bad]);
    assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
  }
  const missing = cadc([
    'curate',
    DATASET,
    '--out',
    join(out, 'missing'),
    '--no-cache',
    '--quiet',
    '--alignment',
    'on',
    '--alignment-label',
    'task_name=x',
  ]);
  assert.equal(missing.status, 5);
  assert.match(missing.stderr, /'task_name' is not in the dataset/);
});

test('parseArgs reads the alignment options', async () => {
  const { parseArgs } = await import('../../../src/cli/args');
  const a = parseArgs([
    'curate',
    'x.jsonl',
    '--alignment',
    'on',
    '--alignment-size',
    '500',
    '--alignment-label',
    'task_name=llava+detail, gpt4+conv',
  ]);
  assert.ok(a.command === 'curate');
  if (a.command !== 'curate') return;
  assert.equal(a.alignment, 'on');
  assert.equal(a.alignmentSize, 500);
  assert.deepEqual(a.alignmentLabel, { field: 'task_name', values: ['llava+detail', 'gpt4+conv'] });
  const b = parseArgs(['curate', 'x.jsonl', '--strategy', 'task-balanced', '--alignment-min-chars', '250']);
  assert.ok(
    b.command === 'curate' && b.alignment === undefined && b.alignmentMinChars === 250,
    'auto + task-balanced accepts shaping options',
  );
  assert.throws(() => parseArgs(['curate', 'x.jsonl', '--alignment-min-chars', '250']), /add --alignment on/);
  assert.throws(() => parseArgs(['curate', 'x.jsonl', '--alignment', 'on', '--alignment-label', '=a']), /FIELD=VALUE/);
  assert.throws(() => parseArgs(['curate', 'x.jsonl', '--alignment', 'on', '--alignment-label', 'f=a,,b']), /FIELD=VALUE/);
});
