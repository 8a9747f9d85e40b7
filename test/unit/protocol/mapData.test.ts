// The Capability Map's backend replies as the extension checks them: the overview with the optional
// fields other parts of a run may add (examples, sub-capabilities, problems, the gradient source),
// the sample map's layout (columns of one length, finite coordinates) and its request and progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/protocol/guards';
import {
  checkMapLayout,
  checkMapLayoutParams,
  checkMapLayoutProgress,
  checkMapOverview,
  checkMapSamplePage,
} from '../../../src/protocol/mapData';
import type { MapLayout, MapOverview } from '../../../src/protocol/capabilityMap';

const curve = { selfInfluence: [0.01, 0.02], loss: [6.5, 6.2] };
const overview = (over: Partial<MapOverview> = {}, cap: Record<string, unknown> = {}): unknown => ({
  dataset: { name: '../demo.jsonl', samples: 10, invalid: 0, sha256: 'a'.repeat(64) },
  budget: { requested: 0.1, requestedCount: 1, selected: 1, text: '10%' },
  strategy: 'cadc',
  notes: [],
  checkpoints: [{ t: 1, eta: 0.1, trainLoss: 6 }],
  capabilities: [
    { id: 'c1', name: 'charts', size: 10, selected: 1, terms: ['chart'], labels: [], styles: [], curve, color: '#4e79a7', ...cap },
  ],
  stages: [{ id: 's1', name: 'charts', kind: 'capability', capabilities: ['c1'], size: 1 }],
  ...over,
});
const example = { line: 3, id: 'q3', text: 'What does the chart show?' };
const child = { id: 'c1.2', name: 'bar charts', size: 4, selected: 1, terms: ['bar'], examples: [example], curve };

test('an overview without the optional fields passes, and so does one with all of them', () => {
  assert.doesNotThrow(() => checkMapOverview(overview()));
  const full = overview(
    {
      dataset: { name: '../demo.jsonl', display: 'demo.jsonl', samples: 10, invalid: 0, sha256: 'a'.repeat(64) },
      problems: [
        {
          code: 'image-missing',
          severity: 'warning',
          count: 3,
          total: 10,
          lines: [2, 5, 7],
          message: 'Image not found',
          fix: 'set cadc.dataset.imageRoot',
        },
      ],
      gradients: { kind: 'gradients', model: 'llava-v1.5-7b', checkpoints: 3, layers: ['mm_projector'], dims: 2048 },
      reliability: { value: 0.42, weak: true },
    },
    { examples: [example, example, example], children: [child] },
  );
  const o = checkMapOverview(full);
  assert.equal(o.capabilities[0].children?.[0].id, 'c1.2');
  assert.equal(o.dataset.display, 'demo.jsonl');
  assert.deepEqual(o.reliability, { value: 0.42, weak: true });
  // With several proxies, their count, agreement and reliability together pass too.
  const ens = { value: 0.59, weak: false, proxies: 17, agreement: 0.53, acrossProxies: 0.95 };
  assert.deepEqual(checkMapOverview(overview({ reliability: ens })).reliability, ens);
});

test('malformed optional fields are refused, naming the field', () => {
  const bad: [unknown, RegExp][] = [
    [overview({}, { children: [{ ...child, id: 'c1' }] }), /children\/0\/id/],
    [overview({}, { children: [{ ...child, examples: undefined }] }), /examples/],
    [overview({}, { examples: [{ line: 'x', id: 'a', text: 'b' }] }), /examples\/0\/line/],
    [overview({ problems: [{ code: 'x', severity: 'fatal', count: 1, total: 1, lines: [], message: 'm' }] as never }), /severity/],
    [overview({ gradients: { kind: 'remote' } as never }), /gradients\/kind/],
    [overview({ reliability: { value: 1.2, weak: false } }), /reliability\/value/],
    [overview({ reliability: { value: 0.5, weak: false, proxies: 1, agreement: 0.5, acrossProxies: 0.5 } }), /reliability\/proxies/],
    [overview({ reliability: { value: 0.5, weak: false, proxies: 4, agreement: 0.5, acrossProxies: 1.5 } }), /reliability\/acrossProxies/],
    [overview({ dataset: { name: 'd', samples: 1, invalid: 0, sha256: 'a', display: 3 } as never }), /display/],
  ];
  for (const [x, why] of bad) {
    assert.throws(
      () => checkMapOverview(x),
      (e: Error) => e instanceof ProtocolError && why.test(e.message),
      String(why),
    );
  }
});

const layout = (over: Partial<MapLayout> = {}): unknown => ({
  method: 'umap',
  total: 100,
  xy: [0, 1, 2.5, -3],
  line: [4, 9],
  capability: [0, 1],
  selected: [1, 0],
  preview: ['a', ''],
  dims: 512,
  cached: false,
  ms: 12,
  ...over,
});

test('a layout passes when every column has one entry per point; otherwise it is refused', () => {
  assert.equal(checkMapLayout(layout()).line.length, 2);
  assert.doesNotThrow(() => checkMapLayout(layout({ method: 'pca', dims: 0, note: 'no trajectories' })));
  assert.equal(checkMapLayout(layout({ dims: 8192, projectedTo: 512 })).projectedTo, 512);
  const bad: [unknown, RegExp][] = [
    [layout({ xy: [0, 1, 2] }), /different lengths/],
    [layout({ preview: ['a'] }), /different lengths/],
    [layout({ selected: [1, 2] }), /selected/],
    [layout({ line: [0, 9] }), /line/],
    [layout({ method: 'tsne' as never }), /method/],
    [layout({ xy: [0, 1, Infinity, 2] }), /xy\/2 must be number/],
    [layout({ projectedTo: 0 }), /projectedTo/],
  ];
  for (const [x, why] of bad)
    assert.throws(
      () => checkMapLayout(x),
      (e: Error) => e instanceof ProtocolError && why.test(e.message),
      String(why),
    );
});

test('a layout request needs its run and a progress token; progress is a fraction and a message', () => {
  const source = { manifest: '/w/m.json', dataset: '/w/d.jsonl', cacheDir: '/c', sha256: 'b'.repeat(64), run: 1 };
  assert.deepEqual(checkMapLayoutParams({ source, progressToken: 'layout-1' }), { source, progressToken: 'layout-1' });
  assert.throws(() => checkMapLayoutParams({ source }), /progressToken/);
  assert.throws(() => checkMapLayoutParams({ source: { ...source, sha256: '../x' }, progressToken: 't' }), /sha256/);
  assert.doesNotThrow(() => checkMapLayoutProgress({ fraction: 0.5, message: 'Laying out…' }));
  assert.throws(() => checkMapLayoutProgress({ fraction: 2, message: '' }), /fraction/);
});

test('a table row may carry its sub-capability index', () => {
  const row = {
    i: 1,
    line: 1,
    id: 'a',
    capability: 0,
    style: 'ocr',
    selected: false,
    stage: null,
    influence: 0,
    selfInfluence: 0,
    loss: 1,
    preview: '',
  };
  assert.equal(checkMapSamplePage({ offset: 0, total: 1, rows: [{ ...row, sub: 1 }] }).rows[0].sub, 1);
  assert.throws(() => checkMapSamplePage({ offset: 0, total: 1, rows: [{ ...row, sub: 'c1.2' }] }), /sub/);
});
