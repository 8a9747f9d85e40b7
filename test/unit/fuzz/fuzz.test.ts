// The fuzz suite: a seeded 20,000-line hostile dataset (test/fuzz/generate.ts: real records mixed
// with truncated JSON, garbage, invalid UTF-8, BOMs, CRLF, a 10 MB and a 100 MB line, 100,000-deep
// nesting, wrong types, __proto__ keys, many keys, duplicate ids) curated by the real CLI. Every bad
// line must be diagnosed at its true line with the right code, no bad line selected, exit 0, and
// the dataset's bytes untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildLineIndex, readLines } from '../../../src/core/dataset/lineIndex';
import type { DatasetDiagnostic } from '../../../src/core/dataset/types';
import { writeFuzzDataset } from '../../fuzz/generate';
import { cliSandbox } from '../cli/sandbox';

const box = cliSandbox('cadc-fuzz-');

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 22 })) h.update(c as Buffer);
  return h.digest('hex');
}

test('fuzz: 20,000 hostile lines through `cadc curate` — exit 0, every bad line diagnosed at its line, none selected, file unchanged', async () => {
  const file = join(box.out, 'fuzz.jsonl');
  const truth = writeFuzzDataset(file, { seed: 20261201, lines: 20_000 });
  assert.ok(truth.good.length > 5000 && truth.bad.size > 5000, 'a real mix');
  const before = await sha256(file);

  const r = box.cadc(['curate', file, '--out', join(box.out, 'curation'), '--json', '--attributions', '--quiet', '--seed', '1']);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(0, 2000)}`);
  assert.ok(r.stdout.length < 4 << 20, `--json output is ${r.stdout.length} chars`);
  const out = JSON.parse(r.stdout) as {
    samples: number;
    invalidLines: number;
    selected: number;
    manifest: string;
    attributions: string;
    diagnosticCounts: Record<string, number>;
    diagnostics: DatasetDiagnostic[];
  };

  // Counts: every bad line is one invalid record, with the code the truth expects.
  assert.equal(out.samples, truth.good.length);
  assert.equal(out.invalidLines, truth.bad.size);
  const want: Record<string, number> = {};
  for (const code of truth.bad.values()) want[code] = (want[code] ?? 0) + 1;
  const got: Record<string, number> = {};
  for (const code of Object.keys(want)) got[code] = out.diagnosticCounts[code] ?? 0;
  assert.deepEqual(got, want);
  assert.equal(out.diagnosticCounts['duplicate-id'], truth.duplicateIds.length);
  assert.equal(out.diagnosticCounts.bom, 1, 'the BOM at byte 0 is the only one accepted');

  // The kept diagnostics (the first ones of each code by line, at most 100 per code) sit at their
  // true lines: up to a code's last kept line, its error lines are exactly the bad lines with that code.
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) assert.equal(d.code, truth.bad.get(d.line), `line ${d.line}: ${d.code} (${d.message})`);
  for (const d of out.diagnostics) assert.ok(d.message.length <= 300, `line ${d.line}: a ${d.message.length}-char message`);
  for (const code of new Set(truth.bad.values())) {
    const kept = [...new Set(errors.filter((d) => d.code === code).map((d) => d.line))];
    assert.ok(kept.length > 0 && kept.length <= 100, `${code}: ${kept.length} kept`);
    const upTo = Math.max(...kept);
    assert.deepEqual(
      kept,
      [...truth.bad]
        .filter(([l, c]) => c === code && l <= upTo)
        .map(([l]) => l)
        .sort((a, b) => a - b),
      code,
    );
  }

  // Every good line is a sample (the attributions list every sample by line); no bad line is one.
  const sampleLines = readFileSync(out.attributions, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { line: number }).line);
  assert.deepEqual(sampleLines, truth.good);
  const manifest = JSON.parse(readFileSync(out.manifest, 'utf8')) as { stages: { samples: { line: number }[] }[] };
  const selected = manifest.stages.flatMap((s) => s.samples.map((x) => x.line));
  assert.equal(selected.length, out.selected);
  assert.ok(selected.length > 0);
  const good = new Set(truth.good);
  assert.deepEqual(
    selected.filter((l) => !good.has(l)),
    [],
    'selected lines are good lines',
  );

  // The line index (hovers, previews) numbers lines as the reader does: good lines are JSON
  // records, wrong-shape lines JSON of another shape, invalid-json lines not JSON.
  const index = await buildLineIndex(file, 256);
  assert.equal(index.lines, truth.lines);
  const parses = (t: string | undefined) => {
    try {
      JSON.parse(t!.replace(/^\ufeff/, ''));
      return true;
    } catch {
      return false;
    }
  };
  const byCode = (code: string) => [...truth.bad].filter(([, c]) => c === code).map(([l]) => l);
  const text = await readLines(index, [...truth.good, ...byCode('wrong-shape'), ...byCode('invalid-json')], 16 << 20);
  assert.deepEqual(
    truth.good.filter((l) => !parses(text.get(l))),
    [],
  );
  assert.deepEqual(
    byCode('wrong-shape').filter((l) => !parses(text.get(l))),
    [],
  );
  assert.deepEqual(
    byCode('invalid-json').filter((l) => parses(text.get(l))),
    [],
  );

  // The dataset was only read.
  assert.equal(statSync(file).size, truth.bytes);
  assert.equal(await sha256(file), before);
});
