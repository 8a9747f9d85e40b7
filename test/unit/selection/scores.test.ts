// Parsing mmSSR capability-score files (JSONL and CSV), with errors and warnings that name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MMSSR_CAPABILITIES, ScoresFileError, canonicalCapability, loadScoresFile, parseScores } from '../../../src/core/selection/scores';
import { tinyPool } from '../helpers';

const C = MMSSR_CAPABILITIES.length;
const OCR = MMSSR_CAPABILITIES.indexOf('ocr');
const HUM = MMSSR_CAPABILITIES.indexOf('humanities');

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ScoresFileError, String(e));
    return e.problems;
  }
  assert.fail('expected a ScoresFileError');
}

test('capability names: kebab-case ids, other spellings, the OCR alias; unknown → undefined', () => {
  assert.equal(MMSSR_CAPABILITIES.length, 14);
  assert.equal(canonicalCapability('Object Spatial Understanding'), 'object-spatial-understanding');
  assert.equal(canonicalCapability('stem_knowledge'), 'stem-knowledge');
  assert.equal(canonicalCapability('Optical Character Recognition'), 'ocr');
  assert.equal(canonicalCapability('humour'), undefined);
});

test('JSONL: nested scores, flat keys, by id or by line; dense [n,14] and a mask', () => {
  const pool = tinyPool(5); // ids s0..s4 on lines 1..5
  const text = [
    '{"id": "s0", "scores": {"ocr": 4, "humanities": 2.5}}',
    '',
    '{"id": "s2", "ocr": 1, "Scene Understanding": 3}',
    '{"line": 5, "ocr": 0}',
  ].join('\n');
  const s = parseScores(text, pool, { file: 'x.jsonl' });
  assert.equal(s.C, C);
  assert.equal(s.values.length, 5 * C);
  assert.deepEqual(Array.from(s.has), [1, 0, 1, 0, 1]);
  assert.equal(s.scored, 3);
  assert.equal(s.rows, 3);
  assert.equal(s.values[0 * C + OCR], 4);
  assert.equal(s.values[0 * C + HUM], 2.5);
  assert.equal(s.values[2 * C + MMSSR_CAPABILITIES.indexOf('scene-understanding')], 3);
  assert.equal(s.values[4 * C + OCR], 0);
  assert.ok(s.warnings.some((w) => /3 row\(s\) of x.jsonl lack some of the 14 capabilities; those count as 0 \(first on line 1\)/.test(w)));
});

test('CSV: header with id or line, one column per capability, quoted cells, CRLF', () => {
  const pool = tinyPool(4);
  const cols = MMSSR_CAPABILITIES.join(',');
  const row = (key: string, v: number) => `${key},${MMSSR_CAPABILITIES.map((_, c) => (c === OCR ? v : 1)).join(',')}`;
  const s = parseScores([`id,${cols}`, row('"s1"', 5), row('s3', 2)].join('\r\n') + '\r\n', pool, { file: 'x.csv' });
  assert.deepEqual(Array.from(s.has), [0, 1, 0, 1]);
  assert.equal(s.values[1 * C + OCR], 5);
  assert.equal(s.values[3 * C + OCR], 2);
  assert.equal(s.values[3 * C + HUM], 1);
  assert.deepEqual(s.warnings, []);
  const byLine = parseScores(`line,ocr\n2,3\n"4",1\n`, pool, { file: 'y.csv' });
  assert.deepEqual(Array.from(byLine.has), [0, 1, 0, 1]);
  assert.equal(byLine.values[1 * C + OCR], 3);
  // A file without an extension is sniffed: a first '{' means JSONL.
  assert.equal(parseScores('{"id":"s0","ocr":1}', pool, { file: 'scores' }).scored, 1);
  assert.equal(parseScores('id,ocr\ns0,1', pool, { file: 'scores' }).scored, 1);
});

test('JSONL errors name the line: unknown capability, out of range, not a number, bad JSON, no key, a sample scored twice', () => {
  const pool = tinyPool(4);
  const text = [
    '{"id": "s0", "ocr": 4, "humour": 2}',
    '{"id": "s1", "ocr": 6}',
    '{"id": "s2", "ocr": "high"}',
    '{"id": "s3", "ocr": 1',
    '{"ocr": 1}',
    '{"id": "s3", "ocr": 2}',
    '{"line": 4, "ocr": -1}',
    '{"id": "s3", "scores": [1, 2]}',
    '{"line": 4, "ocr": 3}',
  ].join('\n');
  const p = problems(() => parseScores(text, pool, { file: '/a/b/x.jsonl' }));
  assert.equal(p.length, 8, p.join('\n'));
  assert.match(p[0], /^x\.jsonl:1: unknown capability 'humour'/);
  assert.match(p[1], /^x\.jsonl:2: score of 'ocr' is 6, outside 0–5/);
  assert.match(p[2], /^x\.jsonl:3: score of 'ocr' is not a number/);
  assert.match(p[3], /^x\.jsonl:4: not valid JSON/);
  assert.match(p[4], /^x\.jsonl:5: a row needs an 'id'/);
  assert.match(p[5], /^x\.jsonl:7: score of 'ocr' is -1/);
  assert.match(p[6], /^x\.jsonl:8: 'scores' must be an object/);
  assert.match(p[7], /^x\.jsonl:9: sample s3 \(dataset line 4\) already has scores from line 6/);
  assert.throws(() => parseScores(text, pool, { file: 'x.jsonl' }), /The scores file x\.jsonl has 8 problem\(s\)/);
});

test('rows that match no sample are warnings with their line; a file matching nothing is an error', () => {
  const pool = tinyPool(3);
  const s = parseScores(['{"id": "s0", "ocr": 1}', '{"id": "ghost", "ocr": 1}', '{"line": 99, "ocr": 2}'].join('\n'), pool, {
    file: 'x.jsonl',
  });
  assert.equal(s.scored, 1);
  assert.equal(s.warnings[0], '2 row(s) of x.jsonl match no sample and were ignored.');
  assert.equal(s.warnings[1], "x.jsonl:2: id 'ghost' matches no sample of the dataset; row ignored.");
  assert.equal(s.warnings[2], 'x.jsonl:3: line 99 matches no sample of the dataset; row ignored.');
  assert.match(problems(() => parseScores('{"id": "ghost", "ocr": 1}', pool, { file: 'x.jsonl' }))[0], /no row matches a sample/);
  assert.match(
    problems(() => parseScores('{"id": "s0", "line": 2, "ocr": 1}', pool, { file: 'x.jsonl' }))[0],
    /x\.jsonl:1: id 's0' and line 2 name different samples/,
  );
});

test('CSV errors name the line: unknown column (header), no key column, cell count, value out of range', () => {
  const pool = tinyPool(3);
  assert.match(
    problems(() => parseScores('id,ocr,humour\ns0,1,2\n', pool, { file: 'x.csv' }))[0],
    /^x\.csv:1: unknown capability column 'humour'/,
  );
  assert.match(
    problems(() => parseScores('name,ocr\ns0,1\n', pool, { file: 'x.csv' }))[0],
    /^x\.csv:1: the header needs an 'id' or a 'line' column/,
  );
  const p = problems(() => parseScores('id,ocr,humanities\ns0,1,2\ns1,1\n"s2\nmultiline",9,1\n', pool, { file: 'x.csv' }));
  assert.match(p[0], /^x\.csv:3: 2 cells, but the header has 3 columns/);
  assert.match(p[1], /^x\.csv:4: score of 'ocr' is 9, outside 0–5/);
  assert.match(problems(() => parseScores('line,ocr\n0,1\n', pool, { file: 'x.csv' }))[0], /^x\.csv:2: 'line' must be a whole number ≥ 1/);
});

test('loadScoresFile records the sha256 of the file bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-scores-'));
  try {
    const file = join(dir, 's.jsonl');
    const text = '{"id": "s1", "ocr": 3}\n';
    writeFileSync(file, text);
    const s = await loadScoresFile(file, tinyPool(2));
    assert.equal(s.sha256, createHash('sha256').update(text).digest('hex'));
    assert.deepEqual(Array.from(s.has), [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
