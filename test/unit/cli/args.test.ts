import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/args';
import { parseBudget } from '../../../src/app/optionValues';
import { UsageError } from '../../../src/app/outcome';

test('parseBudget: a bare whole number is a count (1 is one sample); 100% and 1.0 are the whole pool', () => {
  assert.deepEqual(parseBudget('5%'), { budget: 0.05, budgetUnit: 'fraction' });
  assert.deepEqual(parseBudget('0.05'), { budget: 0.05, budgetUnit: 'fraction' });
  assert.deepEqual(parseBudget('2000'), { budget: 2000, budgetUnit: 'count' });
  assert.deepEqual(parseBudget('1'), { budget: 1, budgetUnit: 'count' });
  assert.deepEqual(parseBudget('100%'), { budget: 1, budgetUnit: 'fraction' });
  assert.deepEqual(parseBudget('1.0'), { budget: 1, budgetUnit: 'fraction' });
  for (const bad of ['0', '-1', '150%', 'abc', '12.5', '0%', '1.5', '0.0', '1.']) assert.throws(() => parseBudget(bad), UsageError, bad);
});

test('parseArgs parses a full curate command', () => {
  const a = parseArgs([
    'curate',
    'data.jsonl',
    '--budget',
    '10%',
    '--out=out',
    '--seed',
    '7',
    '--capabilities',
    '3',
    '--strategy',
    'random',
    '--attributions',
    '--json',
    '--no-cache',
    '--force',
  ]);
  assert.equal(a.command, 'curate');
  if (a.command !== 'curate') return;
  assert.equal(a.dataset, 'data.jsonl');
  assert.equal(a.budget, 0.1);
  assert.equal(a.out, 'out');
  assert.equal(a.seed, 7);
  assert.equal(a.capabilities, 3);
  assert.equal(a.strategy, 'random');
  assert.equal(a.attributions, true);
  assert.equal(a.json, true);
  assert.equal(a.cache, null);
  assert.equal(a.force, true);
});

test('parseArgs reads every --balance rule, sqrt included', () => {
  for (const balance of ['proportional', 'sqrt', 'even']) {
    const a = parseArgs(['curate', 'data.jsonl', '--balance', balance]);
    assert.equal(a.command === 'curate' ? a.balance : undefined, balance);
  }
});

test('parseArgs rejects bad input with a usage error', () => {
  assert.throws(() => parseArgs(['curate']), /needs a dataset/);
  assert.throws(() => parseArgs(['curate', 'a', 'b']), /one dataset/);
  assert.throws(() => parseArgs(['curate', 'a', '--strategy', 'best']), /--strategy best/);
  assert.throws(() => parseArgs(['curate', 'a', '--capabilities', '1']), /--capabilities 1/);
  assert.throws(() => parseArgs(['curate', 'a', '--seed', 'x']), /--seed x/);
  assert.throws(() => parseArgs(['curate', 'a', '--budget']), /needs a value/);
  assert.throws(() => parseArgs(['frobnicate']), /Unknown command/);
  assert.throws(() => parseArgs(['curate', 'a', '--balance', 'lopsided']), /--balance lopsided/);
  assert.throws(() => parseArgs(['curate', 'a', '--what']), /Unknown option/);
});

test('parseArgs defaults and help/version', () => {
  const a = parseArgs(['curate', 'x.json']);
  assert.deepEqual(a.command === 'curate' ? [a.budget, a.out, a.seed, a.capabilities, a.strategy, a.cache] : [], [
    0.05,
    'curation',
    42,
    'auto',
    'cadc',
    undefined,
  ]);
  assert.equal(parseArgs([]).command, 'help');
  assert.equal(parseArgs(['--version']).command, 'version');
});

test('--self-influence-drop takes auto or a fraction in [0, 1) and reaches the config', async () => {
  const { configFromArgs } = await import('../../../src/app/curate');
  const a = parseArgs(['curate', 'd.jsonl', '--self-influence-drop', '0']) as Extract<ReturnType<typeof parseArgs>, { command: 'curate' }>;
  assert.equal(a.selfInfluenceDrop, 0);
  assert.equal(configFromArgs(a).selection.dropTopSelfInfluence, 0);
  const b = parseArgs(['curate', 'd.jsonl', '--self-influence-drop=auto']) as Extract<ReturnType<typeof parseArgs>, { command: 'curate' }>;
  assert.equal(configFromArgs(b).selection.dropTopSelfInfluence, 'auto');
  const c = parseArgs(['curate', 'd.jsonl']) as Extract<ReturnType<typeof parseArgs>, { command: 'curate' }>;
  assert.equal(configFromArgs(c).selection.dropTopSelfInfluence, 'auto', 'the default');
  for (const bad of ['1', '-0.1', 'some', '1.5'])
    assert.throws(() => parseArgs(['curate', 'd.jsonl', '--self-influence-drop', bad]), UsageError, bad);
});

test('util.parseArgs reading: -h is help anywhere; a switch takes no value; a missing value says so (with an example where there is one)', () => {
  assert.deepEqual(parseArgs(['curate', 'a', '-h']), { command: 'help', topic: 'curate' });
  assert.deepEqual(parseArgs(['compare', '--help', '--what']), { command: 'help', topic: 'compare' });
  assert.throws(
    () => parseArgs(['curate', 'a', '--what', '--help']),
    /Unknown option --what for curate/,
    'the first bad option is reported before a later --help',
  );
  assert.throws(() => parseArgs(['curate', 'a', '--json=1']), /--json takes no value/);
  assert.throws(() => parseArgs(['curate', 'a', '--budget', '--json']), /^UsageError: --budget needs a value\.$/);
  assert.throws(() => parseArgs(['compare', 'a', '--strategies']), /--strategies needs a value, e.g. cadc,random\./);
  assert.throws(() => parseArgs(['compare', 'a', '--strategy', 'cadc']), /compare takes --strategies a,b,… \(a list\), not --strategy\./);
  assert.throws(() => parseArgs(['compare', 'a', '--attributions']), /compare does not write attributions/);
  assert.throws(() => parseArgs(['compare', '--strategies', 'cadc']), /compare needs a dataset path/);
  assert.throws(() => parseArgs(['report', 'a', '--strategy', 'cadc']), /Unknown option --strategy for report/);
  assert.deepEqual(
    parseArgs(['curate', '--', '--odd-name.jsonl']).command === 'curate' &&
      (parseArgs(['curate', '--', '--odd-name.jsonl']) as { dataset: string }).dataset,
    '--odd-name.jsonl',
    'after --, a dataset may start with dashes',
  );
});

test('compare reads curate options with curate defaults (the base run hits the same cache as curate)', () => {
  const c = parseArgs(['compare', 'd.jsonl', '--strategies', 'cadc, random', '--seed', '3', '--json']);
  assert.equal(c.command, 'compare');
  if (c.command !== 'compare') return;
  assert.deepEqual(c.strategies, ['cadc', 'random']);
  const { command: _c, ...curate } = parseArgs(['curate', 'd.jsonl', '--seed', '3', '--json']) as Extract<
    ReturnType<typeof parseArgs>,
    { command: 'curate' }
  >;
  assert.deepEqual({ ...c.curate, command: undefined }, { ...curate, command: undefined });
});
