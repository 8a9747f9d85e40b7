// `cadc report` end to end through the built CLI bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox, FIXTURES } from './sandbox';

const FLAN = join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl');
const { out, cadc } = cliSandbox('cadc-cli-report-');

test('report --json prints one report object', () => {
  const r = cadc(['report', FLAN, '--json', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.schema, 'cadc.report/v1');
  assert.equal(rep.pool.samples, 205);
  assert.equal(rep.pool.correctness.imageMissing.count, 1);
  for (const k of ['headline', 'correctness', 'diversity', 'complexity']) assert.ok(k in rep.pool, k);
  assert.equal(rep.selection, undefined);
});

test('report writes Markdown and JSON, refuses to overwrite without --force, and reads a manifest', () => {
  const dir = join(out, 'files');
  const r = cadc(['report', FLAN, '--out', dir, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(dir, 'vision-flan-205.cadc.report.md'), 'utf8');
  assert.match(md, /^# Quality report: vision-flan-205\.jsonl/);
  assert.match(md, /\| figure \| pool \|/);
  const json = JSON.parse(readFileSync(join(dir, 'vision-flan-205.cadc.report.json'), 'utf8'));
  assert.equal(json.pool.samples, 205);
  const again = cadc(['report', FLAN, '--out', dir, '--quiet']);
  assert.equal(again.status, 4);
  assert.match(again.stderr, /exists; use --force/);
  assert.equal(readFileSync(join(dir, 'vision-flan-205.cadc.report.md'), 'utf8'), md, 'not overwritten');
  // A manifest made by curate (with attributions beside it): selection, deltas and per-capability.
  const cur = cadc(['curate', FLAN, '--budget', '20%', '--out', dir, '--no-cache', '--attributions', '--quiet']);
  assert.equal(cur.status, 0, cur.stderr);
  const forced = cadc(['report', FLAN, '--manifest', join(dir, 'vision-flan-205.cadc.json'), '--out', dir, '--force', '--quiet']);
  assert.equal(forced.status, 0, forced.stderr);
  const rep = JSON.parse(readFileSync(join(dir, 'vision-flan-205.cadc.report.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(dir, 'vision-flan-205.cadc.json'), 'utf8'));
  assert.equal(rep.selection.samples, manifest.budget.selected);
  assert.equal(rep.deltas.samples, manifest.budget.selected - 205);
  assert.equal(rep.capabilitySource, 'attributions');
  assert.equal(rep.perCapability.length, manifest.capabilities.length);
  assert.equal(
    rep.perCapability.reduce((n: number, c: { pool: { samples: number } }) => n + c.pool.samples, 0),
    205,
  );
  assert.match(readFileSync(join(dir, 'vision-flan-205.cadc.report.md'), 'utf8'), /## Per capability \(from attributions\)/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp files left',
  );
});

test('report exit codes: 2 bad arguments or manifest, 3 unreadable dataset', () => {
  assert.equal(cadc(['report']).status, 2);
  assert.equal(cadc(['report', FLAN, '--bogus']).status, 2);
  assert.equal(cadc(['report', join(out, 'nope.jsonl'), '--json']).status, 3);
  const bad = join(out, 'bad.cadc.json');
  writeFileSync(bad, '{"not":"a manifest"}');
  const r = cadc(['report', FLAN, '--manifest', bad, '--json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a cadc\.manifest\/v1/);
  assert.ok(!existsSync(join(out, 'curation')));
});
