// The option table (src/app/options.ts) against what it drives: package.json's settings, the
// extension's settings → request mapping, and the CLI's parsing of every flag it lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromArgs } from '../../../src/app/curate';
import { COMMANDS, OPTIONS, optionsOf, settingsToCurateParams } from '../../../src/app/options';
import { parseProxies } from '../../../src/app/optionValues';
import { UsageError } from '../../../src/app/outcome';
import { parseArgs } from '../../../src/cli/args';
import type { CurateArgs } from '../../../src/cli/args';
import { usageOf } from '../../../src/cli/usage';

interface Property {
  type: string;
  default: unknown;
  enum?: string[];
}
const properties = (
  JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, Property> } };
  }
).contributes.configuration.properties;

test("package.json's settings and the option table agree: every setting on both sides, same type, default and values", () => {
  const settings = OPTIONS.flatMap((o) => (o.setting ? [o.setting] : []));
  assert.deepEqual(settings.map((s) => s.key).sort(), Object.keys(properties).sort(), 'the same settings');
  for (const s of settings) {
    const p = properties[s.key];
    assert.equal(p.type, s.type, `${s.key}: type`);
    assert.deepEqual(p.default, s.default, `${s.key}: default`);
    assert.deepEqual(p.enum, s.enum ? [...s.enum] : undefined, `${s.key}: values`);
  }
});

test('a setting and its flag share the default: untouched settings and a bare command line give the same curation config', () => {
  for (const o of OPTIONS)
    if (o.setting && o.default !== undefined) assert.equal(o.default, String(o.setting.default), `--${o.flag} / ${o.setting.key}`);
  const cli = parseArgs(['curate', 'd.jsonl']) as CurateArgs;
  const fromSettings = settingsToCurateParams(() => undefined, { dataset: 'd.jsonl', out: 'curation', force: false, cache: undefined });
  assert.deepEqual(configFromArgs(fromSettings), configFromArgs(cli));
});

test('settings → request: the request the extension sent before the table (defaults), picks over settings, empty settings unset', () => {
  const fixed = { dataset: '/w/d.jsonl', out: '/w/curation', force: false, cache: '/g/cache' };
  assert.deepEqual(
    settingsToCurateParams(() => undefined, fixed),
    {
      dataset: '/w/d.jsonl',
      out: '/w/curation',
      budget: 0.05,
      budgetUnit: 'fraction',
      strategy: 'cadc',
      capabilities: 'auto',
      seed: 42,
      format: 'auto',
      attributions: false,
      force: false,
      cache: '/g/cache',
      proxies: 'auto',
      selfInfluenceDrop: 'auto',
      alignment: 'auto',
      alignmentSize: 1000,
      includeFlagged: false,
    },
  );
  const values: Record<string, unknown> = {
    'cadc.curation.budget': '10%',
    'cadc.curation.seed': 7,
    'cadc.curation.taskField': ' source ',
    'cadc.curriculum.alignmentLabel': 'task=a, b',
    'cadc.curation.selfInfluenceDrop': '0',
    'cadc.curation.strategy': 'random',
  };
  const p = settingsToCurateParams((k) => values[k], fixed, { 'cadc.curation.budget': '2000', 'cadc.curation.capabilities': '4' });
  assert.equal(p.budget, 2000, 'the picked budget wins over the setting');
  assert.equal(p.budgetUnit, 'count');
  assert.equal(p.capabilities, 4);
  assert.equal(p.strategy, 'random');
  assert.equal(p.seed, 7);
  assert.equal(p.taskField, 'source');
  assert.deepEqual(p.alignmentLabel, { field: 'task', values: ['a', 'b'] });
  assert.equal(p.selfInfluenceDrop, 0);
  assert.equal('scores' in p || 'imageRoot' in p, false, 'paths are the extension’s to confine and pass');
});

test('settings → request: a value the CLI would refuse is refused, naming the setting (or the pick)', () => {
  const fixed = { dataset: 'd.jsonl', out: 'o', force: false, cache: null };
  const bad: [string, unknown, RegExp][] = [
    ['cadc.curation.seed', 4.5, /setting cadc\.curation\.seed 4\.5: expected a whole number/],
    ['cadc.curation.selfInfluenceDrop', '2', /setting cadc\.curation\.selfInfluenceDrop 2: expected auto or a fraction/],
    ['cadc.curriculum.alignmentLabel', 'nofield', /setting cadc\.curriculum\.alignmentLabel nofield: expected FIELD=VALUE/],
    ['cadc.curriculum.alignment', 'sometimes', /setting cadc\.curriculum\.alignment sometimes: expected auto, on or off/],
    ['cadc.curation.strategy', 'best', /setting cadc\.curation\.strategy best: expected one of cadc, random/],
  ];
  for (const [key, value, message] of bad)
    assert.throws(
      () => settingsToCurateParams((k) => (k === key ? value : undefined), fixed),
      (e: Error) => e instanceof UsageError && message.test(e.message),
      key,
    );
  assert.throws(
    () => settingsToCurateParams(() => undefined, fixed, { 'cadc.curation.capabilities': '1' }),
    /^UsageError: capabilities 1: expected 'auto' or a number from 2 to 64/,
  );
  assert.throws(() => settingsToCurateParams(() => undefined, fixed, { 'cadc.curation.budget': '7x' }), /budget 7x: expected a share/);
});

test('every flag of the table is parsed by each command that takes it, and listed in its usage where the table says', () => {
  const sample: Record<string, string> = {
    strategies: 'cadc,random',
    budget: '10%',
    seed: '7',
    capabilities: '3',
    strategy: 'random',
    within: 'top-influence',
    balance: 'even',
    alignment: 'on',
    'alignment-size': '5',
    'alignment-min-chars': '9',
    'alignment-label': 'a=b',
    'loss-band': '0.1,0.9',
    'self-influence-drop': '0.2',
    'icons-percentile': '0.7',
    format: 'llava',
    'task-field': 'f',
    'style-field': 'g',
    gradients: 'grads',
    model: 'm',
    gpus: '8',
    'gpus-per-node': '4',
    checkpoints: '4',
    tokens: '700',
    batch: '32',
    proxies: '3',
  };
  for (const command of COMMANDS) {
    for (const o of optionsOf(command)) {
      const flag = `--${o.flag}`;
      const value = o.arg ? [sample[o.flag as string] ?? 'x'] : [];
      const needs =
        command === 'compare' && o.flag !== 'strategies'
          ? ['--strategies', 'cadc']
          : command === 'export' && o.flag !== 'format'
            ? ['--format', 'llava']
            : [];
      const shaping = /^alignment-/.test(o.flag as string) ? ['--alignment', 'on'] : [];
      const head = command === 'gradients' ? ['gradients', 'plan', 'd.jsonl', '--model', 'm', '--gpus', '2'] : [command, 'd.jsonl'];
      const parsed = parseArgs([...head, ...needs, ...shaping, flag, ...value]);
      assert.equal(parsed.command, command, `${command} ${flag}`);
      if ((o.listed ?? o.commands).includes(command))
        assert.match(usageOf(command), new RegExp(`^  ${flag}( |$)`, 'm'), `${command} --help lists ${flag}`);
      else assert.doesNotMatch(usageOf(command), new RegExp(`^  ${flag}( |$)`, 'm'), `${command} --help does not list ${flag}`);
    }
  }
});

test('--proxies: auto or a whole number from 1 to 32', () => {
  assert.equal(parseProxies('auto', '--proxies'), 'auto');
  assert.equal(parseProxies('1', '--proxies'), 1);
  assert.equal(parseProxies(' 32 ', '--proxies'), 32);
  for (const bad of ['0', '33', '1.5', '-2', 'x', ''])
    assert.throws(() => parseProxies(bad, '--proxies'), /expected auto or a whole number from 1 to 32/, bad);
  assert.equal((parseArgs(['curate', 'd.jsonl', '--proxies', '1']) as CurateArgs).proxies, 1);
  assert.equal(configFromArgs(parseArgs(['curate', 'd.jsonl', '--proxies', '1']) as CurateArgs).capabilities.proxies, 1);
  assert.equal(configFromArgs(parseArgs(['curate', 'd.jsonl']) as CurateArgs).capabilities.proxies, 'auto');
});
