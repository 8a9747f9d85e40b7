// The extension's backend client against the real backend process (dist/backend.js, built here):
// a second job the backend refuses must neither receive the first job's progress nor silence it;
// the Capability Map's overview, sample map (UMAP of the trajectories, cached) and table pages come
// from the backend, checked both ways; disposing the client twice is harmless.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationToken } from 'vscode-jsonrpc/node';
import type * as vscode from 'vscode';
import type { ProgressEvent } from '../../../src/core/runtime/progress';
import { BackendClient } from '../../../src/extension/backendClient';
import type { CurateParams, CurateSummary } from '../../../src/protocol/backend';
import type { MapRun } from '../../../src/protocol/mapData';

const REPO = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'cadc-backend-'));
const logged: string[] = [];
const log = {
  info: (m: string) => logged.push(m),
  warn: (m: string) => logged.push(`warn ${m}`),
  error: (m: string) => logged.push(`error ${m}`),
};
let client: BackendClient;

before(() => {
  const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'backend'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  writeFileSync(
    path.join(dir, 'd.jsonl'),
    readFileSync(path.join(REPO, 'demo', 'demo.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 300)
      .join('\n') + '\n',
  );
  client = new BackendClient(path.join(REPO, 'dist', 'backend.js'), log as unknown as vscode.LogOutputChannel);
});
after(() => {
  client.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const params = (out: string): CurateParams => ({
  dataset: path.join(dir, 'd.jsonl'),
  out: path.join(dir, out),
  budget: 0.2,
  strategy: 'cadc',
  capabilities: 'auto',
  seed: 42,
  format: 'auto',
  attributions: false,
  force: true,
  cache: null,
  selfInfluenceDrop: 'auto',
  alignment: 'auto',
  alignmentSize: 1000,
});

test('a refused second job gets none of the first job’s progress, and the first keeps its own', async () => {
  const none = CancellationToken.None as unknown as vscode.CancellationToken;
  const first: ProgressEvent[] = [];
  const second: ProgressEvent[] = [];
  let firstCountAtRefusal = -1;
  let started!: () => void;
  const firstStarted = new Promise<void>((r) => (started = r));
  const job1 = client.curate(params('a'), none, (e) => {
    first.push(e);
    started();
  });
  await firstStarted;
  await assert.rejects(
    client.curate(params('b'), none, (e) => second.push(e)),
    /busy/,
  );
  firstCountAtRefusal = first.length;
  const result = await job1;
  assert.equal(result.samples, 300);
  assert.deepEqual(second, [], 'the refused job received no progress');
  assert.ok(
    first.length > firstCountAtRefusal,
    `the first job's progress kept arriving after the refusal (${firstCountAtRefusal} → ${first.length})`,
  );
  assert.ok(
    first.some((e) => e.stage === 'select'),
    'the first job saw its late stages',
  );
  assert.ok(!logged.some((l) => l.startsWith('warn backend: ignored')), 'every backend message had its protocol shape');
});

describe('the Capability Map’s data from the backend', () => {
  let run: MapRun;
  let summary: CurateSummary;
  const none = CancellationToken.None as unknown as vscode.CancellationToken;
  const lines = () => readFileSync(path.join(dir, 'd.jsonl'), 'utf8').split('\n');

  before(async () => {
    summary = await client.curate({ ...params('map'), cache: path.join(dir, 'cache') }, none, () => undefined);
    assert.ok(summary.cacheDir);
    run = { manifest: summary.manifest, dataset: summary.dataset, cacheDir: summary.cacheDir, sha256: summary.sha256, run: 1 };
  });

  test('the overview carries the manifest’s capabilities and stages; cards get only the labels that tell a capability apart', async () => {
    const o = await client.mapOverview(run);
    type Label = { field: string; value: string; share: number; lift?: number };
    const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8')) as {
      capabilities: { id: string; size: number; labels: Label[] }[];
      stages: { id: string; samples: unknown[] }[];
    };
    assert.deepEqual(
      o.capabilities.map((c) => c.id),
      manifest.capabilities.map((c) => c.id),
    );
    // The demo's labels hold codes ("a,b,d"), placeholders ("default") and values as common in a
    // capability as in the pool: the manifest keeps them all (with their lift), the cards do not.
    const all = manifest.capabilities.flatMap((c) => c.labels);
    const shown = o.capabilities.flatMap((c) => c.labels);
    assert.ok(all.length > 0 && all.every((l) => typeof l.lift === 'number' && l.lift > 0), 'every manifest label has its lift');
    assert.ok(shown.length < all.length, `${shown.length} of ${all.length} label values shown`);
    for (const l of shown) {
      assert.ok(l.share >= 0.05 && (l.lift ?? 0) >= 1.5, `shown: ${JSON.stringify(l)}`);
      assert.ok(!/^\s*\w{1,2}\s*(,\s*\w{1,3}\s*)*$/.test(l.value) && l.value !== 'default', `no code or placeholder: ${l.value}`);
    }
    o.capabilities.forEach((c, k) =>
      assert.deepEqual(
        c.labels,
        manifest.capabilities[k].labels.filter(
          (l) => l.share >= 0.05 && l.lift! >= 1.5 && !/^\s*\w{1,2}\s*(,\s*\w{1,3}\s*)*$/.test(l.value) && l.value !== 'default',
        ),
        `${c.id}: every distinguishing value is kept`,
      ),
    );
    assert.deepEqual(
      o.stages.map((s) => [s.id, s.size]),
      manifest.stages.map((s) => [s.id, s.samples.length]),
    );
  });

  test('the sample map is a UMAP of the run’s trajectories, with progress, cached on disk and identical when read back', async () => {
    const progress: number[] = [];
    const l = await client.mapLayout(run, (p) => progress.push(p.fraction));
    assert.equal(l.method, 'umap', l.note);
    assert.equal(l.cached, false);
    assert.equal(l.total, summary.samples);
    assert.equal(l.line.length, summary.samples, 'a small pool is drawn whole');
    assert.equal(l.xy.length, 2 * l.line.length);
    assert.equal(
      l.selected.reduce((a, b) => a + b, 0),
      summary.selected,
    );
    summary.capabilities.forEach((c, k) =>
      assert.equal(l.capability.filter((x) => x === k).length, c.size, `${c.id}: one point per sample`),
    );
    assert.ok(progress.length > 2 && progress.at(-1) === 1, `progress ${progress}`);
    assert.ok(l.dims > 0);
    const text = lines();
    const first = (JSON.parse(text[l.line[0] - 1]) as { conversations: { value: string }[] }).conversations[0].value;
    assert.equal(
      l.preview[0],
      first
        .replace(/<image>/g, '')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 120),
    );
    // Beside the run's cache entries, as a checksummed entry; a new backend session reads it back.
    const entry = path.join(run.cacheDir, run.sha256.slice(0, 16));
    assert.equal(readdirSync(entry).filter((f) => f.startsWith('map-layout-')).length, 2, 'index and data');
    client.mapRelease();
    const again = await client.mapLayout(run, () => undefined);
    assert.equal(again.cached, true);
    assert.deepEqual(again.xy, l.xy);
    // A corrupted entry is a miss (logged), recomputed to the same coordinates: the layout is seeded.
    const bin = readdirSync(entry).find((f) => f.startsWith('map-layout-') && f.endsWith('.bin'))!;
    writeFileSync(path.join(entry, bin), Buffer.alloc(8));
    client.mapRelease();
    const rebuilt = await client.mapLayout(run, () => undefined);
    assert.equal(rebuilt.cached, false);
    assert.deepEqual(rebuilt.xy, l.xy);
    assert.ok(
      logged.some((m) => /map-layout-.*deleting it/.test(m)),
      'the bad entry was logged',
    );
    // While a layout is computed the backend still answers the table (it yields between epochs).
    for (const f of readdirSync(entry)) if (f.startsWith('map-layout-')) rmSync(path.join(entry, f));
    client.mapRelease();
    let laidOut = false;
    const pending = client.mapLayout(run, () => undefined).then((x) => ((laidOut = true), x));
    const page = await client.mapSamples(run, { offset: 0, limit: 5, filter: {}, sort: { key: 'line', dir: 'asc' } });
    assert.equal(page.rows.length, 5);
    assert.equal(laidOut, false, 'the table page came back before the layout was done');
    assert.deepEqual((await pending).xy, l.xy);
  });

  test('a table page is filtered and sorted in the backend, with previews read from the dataset', async () => {
    const page = await client.mapSamples(run, {
      offset: 0,
      limit: 50,
      filter: { selected: true },
      sort: { key: 'influence', dir: 'desc' },
    });
    assert.equal(page.total, summary.selected);
    assert.equal(page.rows.length, Math.min(50, summary.selected));
    assert.ok(page.rows.every((r) => r.selected && r.stage !== null));
    for (let i = 1; i < page.rows.length; i++)
      assert.ok(page.rows[i - 1].influence >= page.rows[i].influence, 'sorted by influence, descending');
    const text = lines();
    for (const r of page.rows) {
      const first = (JSON.parse(text[r.line - 1]) as { conversations: { value: string }[] }).conversations[0].value;
      assert.equal(
        r.preview,
        first
          .replace(/<image>/g, '')
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, 160),
        `line ${r.line}: its own instruction`,
      );
    }
    const cap0 = await client.mapSamples(run, { offset: 0, limit: 10, filter: { capability: 0 }, sort: { key: 'line', dir: 'asc' } });
    assert.equal(cap0.total, summary.capabilities[0].size);
  });

  test('the backend refuses malformed map requests without opening anything', async () => {
    const q = { offset: 0, limit: 10, filter: {}, sort: { key: 'line' as const, dir: 'asc' as const } };
    await assert.rejects(client.mapSamples(run, { ...q, limit: 5000 }), /limit/);
    await assert.rejects(client.mapSamples(run, { ...q, sort: { key: 'constructor', dir: 'asc' } } as never), /sort/);
    await assert.rejects(client.mapOverview({ ...run, sha256: '../../etc' }), /sha256/);
    await assert.rejects(client.mapOverview({ ...run, sha256: '0'.repeat(64), run: 2 }), /not in the cache/);
    // The backend still serves the next request.
    assert.equal((await client.mapSamples(run, q)).rows.length, 10);
  });

  test('closing the map frees the run’s table in the backend; until then it is served from memory', async () => {
    const q = { offset: 0, limit: 5, filter: {}, sort: { key: 'line' as const, dir: 'asc' as const } };
    assert.equal((await client.mapSamples(run, q)).rows.length, 5);
    // The cache entry goes away (CADC: Clear Cache): the open table still answers…
    const entry = path.join(run.cacheDir, run.sha256.slice(0, 16));
    for (const f of ['attributions.bin', 'attributions.json']) rmSync(path.join(entry, f), { force: true });
    assert.equal((await client.mapSamples(run, q)).rows.length, 5, 'served from the table the backend holds');
    // …until the map is closed: then the backend has let it go and must read the cache again.
    client.mapRelease();
    await assert.rejects(client.mapSamples(run, q), /not in the cache/);
  });
});

test('disposing a started client twice does not throw', async () => {
  const other = new BackendClient(path.join(REPO, 'dist', 'backend.js'), log as unknown as vscode.LogOutputChannel);
  const none = CancellationToken.None as unknown as vscode.CancellationToken;
  await assert.rejects(other.curate({ ...params('gone'), dataset: path.join(dir, 'missing.jsonl') }, none, () => undefined));
  other.dispose();
  assert.doesNotThrow(() => other.dispose());
});
