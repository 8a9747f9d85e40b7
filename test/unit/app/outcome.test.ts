// The one error → exit-code mapping (src/app/outcome.ts) that the CLI prints and the backend replies with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, failureOutcome, reasonOf } from '../../../src/app/outcome';
import { DatasetReadError } from '../../../src/core/dataset/errors';
import { CancelledError } from '../../../src/core/runtime/cancel';
import { ScoresFileError } from '../../../src/core/selection/scores';
import { FileExistsError } from '../../../src/core/util/atomicFile';

test('failureOutcome: each thrown error to its exit code, reason and one-line message', () => {
  assert.deepEqual(failureOutcome(new CancelledError(), 'curation', 'x'), {
    code: EXIT.cancelled,
    reason: 'cancelled',
    message: 'cancelled; nothing was written.',
  });
  const read = failureOutcome(
    new DatasetReadError('unsupported-format', 'd.csv is not a dataset CADC can read: found CSV.\nsupported: JSONL', 3),
    'curation',
    'x',
  );
  assert.equal(read.code, EXIT.unreadable);
  assert.equal(read.reason, 'unsupported-format');
  assert.equal(read.line, 3);
  assert.equal(read.message, 'd.csv is not a dataset CADC can read: found CSV. supported: JSONL (reading stopped at line 3).');
  const scores = failureOutcome(new ScoresFileError('s.csv', ['s.csv:2: bad']), 'comparison', 'x');
  assert.deepEqual(
    [scores.code, scores.reason],
    [EXIT.usage, 'usage'],
    'a scores file that cannot be used is a usage error in every use case',
  );
  const exists = failureOutcome(new FileExistsError('/tmp/out/m.cadc.json'), 'curation', 'x');
  assert.deepEqual([exists.code, exists.reason], [EXIT.exists, 'exists']);
  const missing = failureOutcome(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), 'report', 'cannot read d.jsonl');
  assert.deepEqual(
    [missing.code, missing.reason, missing.message],
    [EXIT.unreadable, 'not-found', 'cannot read d.jsonl: ENOENT: no such file'],
  );
  const other = failureOutcome(new Error('boom\n  at somewhere'), 'curation', 'x');
  assert.deepEqual([other.code, other.reason, other.message], [EXIT.failed, 'failed', 'curation failed: boom at somewhere']);
  assert.ok(other.stack, 'the stack is kept apart for --verbose');
  assert.equal(reasonOf({ code: EXIT.exists }), 'exists');
});
