// The one guard of the Capability Map's messages (webview → host) and the shape checks of the
// backend's replies: every message the webview really sends passes; hostile ones are refused with
// a reason that names the field, never echoing the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkComparison,
  checkCurateSummary,
  checkLog,
  checkMapMessage,
  checkProgress,
  checkQualityReport,
  ProtocolError,
} from '../../../src/protocol/guards';

const samples = (
  over: Record<string, unknown> = {},
  filter: Record<string, unknown> = {},
  sort: Record<string, unknown> = { key: 'line', dir: 'asc' },
) => ({
  type: 'getSamples',
  requestId: 1001,
  offset: 0,
  limit: 100,
  filter,
  sort,
  ...over,
});

test('every message the webview sends passes the guard unchanged', () => {
  const ok = [
    { type: 'ready' },
    samples(),
    samples({}, { capability: 2, style: 'ocr', selected: true, search: 'a cat' }, { key: 'selfInfluence', dir: 'desc' }),
    { type: 'reveal', line: 7 },
    { type: 'reselect', budget: '10%' },
    { type: 'reselect', budget: '0.1' },
    { type: 'reselect', budget: '250' },
    { type: 'rename', capability: 'c3', name: 'charts and tables' },
    { type: 'runQuality' },
    { type: 'runCompare', strategies: ['cadc', 'random'] },
    { type: 'cancelJob' },
    { type: 'openMarkdown', what: 'compare' },
  ];
  for (const m of ok) assert.deepEqual(checkMapMessage(m), m, JSON.stringify(m));
});

test('hostile webview messages are refused, naming what is wrong', () => {
  const bad: [unknown, RegExp][] = [
    [samples({}, {}, { key: 'constructor', dir: 'asc' }), /\/sort\/key/],
    [samples({}, {}, { key: 'line', dir: 'asc; DROP TABLE attribution' }), /\/sort\/dir/],
    [samples({}, { search: 5 }), /\/filter\/search must be string/],
    [samples({}, { search: { $ne: 1 } }), /\/filter\/search/],
    [samples({}, { capability: -1 }), /\/filter\/capability/],
    [samples({}, { extra: 1 }), /additional properties/],
    [samples({ limit: 1e9 }), /\/limit/],
    [samples({ offset: -5 }), /\/offset/],
    [samples({ requestId: 1.5 }), /\/requestId/],
    [{ type: 'reveal', line: 0 }, /\/line/],
    [{ type: 'reveal', line: '7' }, /\/line/],
    [{ type: 'reselect', budget: Number.NaN }, /\/budget/],
    [{ type: 'reselect', budget: 0.1 }, /\/budget/],
    [{ type: 'reselect', budget: '-1' }, /\/budget/],
    [{ type: 'reselect', budget: '5%; rm -rf /' }, /\/budget/],
    [{ type: 'rename', capability: '__proto__', name: 'x' }, /\/capability/],
    [{ type: 'rename', capability: 'c1', name: 'x'.repeat(5000) }, /\/name/],
    [{ type: 'runCompare', strategies: ['cadc', '$(rm -rf ~)'] }, /\/strategies\/1/],
    [{ type: 'runCompare', strategies: [] }, /\/strategies/],
    [{ type: 'openMarkdown', what: '../../etc/passwd' }, /\/what/],
    [{ type: 'constructor' }, /tag "type"/],
    [{ type: '__proto__' }, /tag "type"/],
    [{}, /type/],
    [null, /must be object/],
    ['ready', /must be object/],
    [[{ type: 'ready' }], /must be object/],
  ];
  for (const [m, why] of bad) {
    assert.throws(
      () => checkMapMessage(m),
      (e) => e instanceof ProtocolError && why.test(e.message) && !e.message.includes('rm -rf'),
      `${JSON.stringify(m)?.slice(0, 80)} refused for ${why}`,
    );
  }
});

test('backend messages: the shapes the extension relies on are checked', () => {
  assert.deepEqual(checkProgress({ stage: 'trajectories', fraction: 0.5, message: 'checkpoint 2/4' }), {
    stage: 'trajectories',
    fraction: 0.5,
    message: 'checkpoint 2/4',
  });
  assert.throws(() => checkProgress({ stage: 'evil', fraction: 0.5 }), ProtocolError);
  assert.throws(() => checkProgress({ stage: 'read', fraction: 2 }), ProtocolError);
  assert.throws(() => checkLog({ level: 'constructor', message: 'x' }), ProtocolError, 'a log level that would index the log object');
  const summary = {
    manifest: '/ws/curation/d.cadc.json',
    dataset: '/ws/d.jsonl',
    sha256: 'a'.repeat(64),
    cacheDir: null,
    samples: 10,
    selected: 2,
    invalidLines: 0,
    capabilities: [{ id: 'c1', name: 'n', size: 10, selected: 2 }],
    stages: [{ id: 's1', kind: 'capability', capabilities: ['c1'], size: 2 }],
    notes: [],
    timingsMs: {},
    cacheHit: false,
    diagnosticCounts: {},
    diagnostics: [{ line: 3, severity: 'warning', code: 'missing-image', message: 'm' }],
  };
  assert.equal(checkCurateSummary(summary), summary);
  assert.throws(() => checkCurateSummary({ ...summary, manifest: undefined }), /manifest/);
  assert.throws(
    () => checkCurateSummary({ ...summary, stages: [{ id: '../s1', kind: 'capability', capabilities: [], size: 0 }] }),
    /\/stages\/0\/id/,
  );
  assert.throws(() => checkQualityReport({ schema: 'cadc.report/v1', dataset: {}, warnings: [] }), /pool/);
  assert.throws(
    () =>
      checkComparison({
        schema: 'other',
        dataset: {},
        budget: { requested: 1, count: 1 },
        strategies: [],
        overlap: [],
        pool: {},
        warnings: [],
      }),
    /schema/,
  );
});
