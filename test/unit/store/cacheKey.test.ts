// The cache keys hold everything a cached result depends on: a change to any input of a cached
// stage misses, and the same JSONL in another folder (without its images) never gets the first
// folder's image features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import type { CurationConfig } from '../../../src/core/config';
import { serializeManifest } from '../../../src/core/curriculum/manifest';
import { buildPool } from '../../../src/core/features/pool';
import type { CurationInput } from '../../../src/core/pipeline/api';
import type { Logger } from '../../../src/core/runtime/log';
import { cacheKeyParts } from '../../../src/core/pipeline/cacheKey';
import { autoMicroClusters } from '../../../src/core/capabilities/probeGroups';
import { runCuration } from '../../../src/core/pipeline/run';
import { cacheKey, CurationCache } from '../../../src/core/store/cache';
import { ImageRefs } from '../../../src/core/store/imageDeps';
import { recordingLog } from '../helpers';

const DEMO = join(__dirname, '../../../demo');

/** The first `lines` lines of the demo in `dir`, with the demo's images beside it or not. */
function demoCopy(dir: string, lines: number, images: boolean): string {
  mkdirSync(dir, { recursive: true });
  const text = readFileSync(join(DEMO, 'demo.jsonl'), 'utf8').split('\n').slice(0, lines).join('\n');
  writeFileSync(join(dir, 'demo.jsonl'), `${text}\n`);
  if (images) cpSync(join(DEMO, 'images'), join(dir, 'images'), { recursive: true });
  return join(dir, 'demo.jsonl');
}

function keys(input: CurationInput, images?: string): { f: string; t: string } {
  const k = cacheKeyParts(input);
  return { f: cacheKey(k.features), t: cacheKey(k.trajectories(images)) };
}

/** Every leaf of a config section, changed one at a time. */
function variants(section: Record<string, unknown>): [string, unknown][] {
  return Object.entries(section).map(([k, v]) => [k, typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : `${String(v)}-other`]);
}

test('changing any input of the features or trajectories stage changes its key; selection-only inputs do not', () => {
  const base: CurationInput = { datasetPath: '/data/a/demo.jsonl', config: resolveConfig({}), cacheDir: '/cache' };
  const b = keys(base, 'f'.repeat(64));
  const withConfig = (edit: (c: CurationConfig) => void): CurationInput => {
    const config = structuredClone(base.config);
    edit(config);
    return { ...base, config };
  };
  const featureInputs: [string, CurationInput][] = [
    ...variants(base.config.features).map(([k, v]): [string, CurationInput] => [
      `features.${k}`,
      withConfig((c) => ((c.features as unknown as Record<string, unknown>)[k] = v)),
    ]),
    ['format', { ...base, format: 'llava' }],
    ['image root', { ...base, imageRoot: '/data/images' }],
    ['the folder images resolve against (the dataset moved)', { ...base, datasetPath: '/data/b/demo.jsonl' }],
    ['image confinement', { ...base, confineTo: '/data' }],
  ];
  assert.ok(featureInputs.length >= 8);
  for (const [what, input] of featureInputs) {
    const k = keys(input, 'f'.repeat(64));
    assert.notEqual(k.f, b.f, `${what} changes the features key`);
    assert.notEqual(k.t, b.t, `${what} changes the trajectories key`);
  }
  const trajectoryInputs: [string, CurationInput, string?][] = [
    ...variants(base.config.proxy).map(([k, v]): [string, CurationInput] => [
      `proxy.${k}`,
      withConfig((c) => ((c.proxy as unknown as Record<string, unknown>)[k] = v)),
    ]),
    ...variants(base.config.gradients).map(([k, v]): [string, CurationInput] => [
      `gradients.${k}`,
      withConfig((c) => ((c.gradients as unknown as Record<string, unknown>)[k] = v)),
    ]),
    ['seed', withConfig((c) => (c.seed += 1))],
    ['the image files found', base, 'e'.repeat(64)],
  ];
  for (const [what, input, images] of trajectoryInputs) {
    const k = keys(input, images ?? 'f'.repeat(64));
    assert.equal(k.f, b.f, `${what} leaves the features key`);
    assert.notEqual(k.t, b.t, `${what} changes the trajectories key`);
  }
  for (const [what, input] of [
    ['budget', withConfig((c) => (c.budget = 0.5))],
    ['strategy', withConfig((c) => (c.strategy = 'random'))],
    ['capabilities.k', withConfig((c) => (c.capabilities.k = 7))],
    ['the cache folder', { ...base, cacheDir: '/elsewhere' }],
  ] as [string, CurationInput][]) {
    assert.deepEqual(keys(input, 'f'.repeat(64)), b, `${what} is not an input of a cached stage`);
  }
});

test("the same JSONL in another folder without its images is not given the first folder's image features", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cachekey-'));
  try {
    const a = demoCopy(join(dir, 'a'), 200, true);
    const b = demoCopy(join(dir, 'b'), 200, false);
    const cacheDir = join(dir, 'cache');
    const config = resolveConfig({ budget: 0.2 });
    const run = (datasetPath: string, cache: string | null) =>
      runCuration({ datasetPath, config, cacheDir: cache, manifestBase: dir, confineTo: join(datasetPath, '..') });
    const inA = await run(a, cacheDir);
    const inB = await run(b, cacheDir);
    const fresh = await run(b, null);
    const missing = (r: typeof inA) => r.summary.diagnosticCounts['missing-image'] ?? 0;
    assert.ok(missing(fresh) > missing(inA) + 150, `without its images: ${missing(fresh)} missing vs ${missing(inA)}`);
    assert.equal(missing(inB), missing(fresh), 'the missing images are reported');
    assert.equal(inB.pool.imageFeatures === null, fresh.pool.imageFeatures === null);
    assert.equal(
      serializeManifest(inB.manifest),
      serializeManifest(fresh.manifest),
      'the cached run gives the manifest of an uncached one',
    );
    const again = await run(b, cacheDir);
    assert.equal(again.cacheHit, true, 'folder b has its own entry');
    assert.equal(serializeManifest(again.manifest), serializeManifest(fresh.manifest));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a features entry misses when an image it used is replaced, touched or appears', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cachekey-'));
  try {
    const file = demoCopy(join(dir, 'a'), 120, true);
    const scope = { root: join(dir, 'a') };
    const refs = new ImageRefs();
    const { pool, summary } = await buildPool(file, resolveConfig({}), { onImages: (ims) => refs.add(ims) });
    const lines: string[] = [];
    const log: Logger = { info: () => undefined, warn: (m) => lines.push(m), error: () => undefined, debug: () => undefined };
    const cache = CurationCache.open(join(dir, 'cache'), log);
    const save = () => cache.saveFeatures(summary.sha256, { k: 1 }, pool, summary, { refs: refs.list(), scope });
    const load = () => cache.loadFeatures(summary.sha256, { k: 1 }, scope);
    const fingerprint = await save();
    const hit = await load();
    assert.equal(hit?.images, fingerprint, 'unchanged images: a hit');
    const used = readdirSync(join(dir, 'a', 'images')).filter((n) => refs.list().includes(`images/${n}`));
    assert.ok(used.length >= 2);
    const [one, two] = used.map((n) => join(dir, 'a', 'images', n));
    copyFileSync(two, one);
    assert.equal(await load(), undefined, 'a replaced image is a miss');
    assert.match(lines.join('\n'), /built from other images/);
    await save();
    utimesSync(one, new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.equal(await load(), undefined, 'a touched image is a miss');
    await save();
    rmSync(one);
    assert.equal(await load(), undefined, 'a removed image is a miss');
    await save();
    copyFileSync(two, one);
    assert.equal(await load(), undefined, 'an image that appears is a miss');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the text groups key: features, group count and group seed change it; the run seed only without a group seed', () => {
  const base: CurationInput = { datasetPath: '/data/a/demo.jsonl', config: resolveConfig({}), cacheDir: '/cache' };
  const key = (input: CurationInput, k = 45) => cacheKey(cacheKeyParts(input).textGroups(k));
  const withConfig = (edit: (c: CurationConfig) => void): CurationInput => {
    const config = structuredClone(base.config);
    edit(config);
    return { ...base, config };
  };
  const b = key(base);
  assert.equal(base.config.capabilities.groupSeed, 0, 'the default groups are seeded apart from the run');
  assert.notEqual(key(base, 46), b, 'the group count');
  assert.notEqual(key(withConfig((c) => (c.features.questionBuckets += 1))), b, 'the features');
  assert.notEqual(key(withConfig((c) => (c.capabilities.groupSeed = 1))), b, 'the group seed');
  assert.equal(key(withConfig((c) => (c.seed += 1))), b, 'the run seed, with a group seed');
  assert.equal(key(withConfig((c) => (c.strategy = 'random'))), b, 'a selection input');
  assert.equal(key(withConfig((c) => (c.proxy.hiddenDim += 1))), b, 'the proxy (groups come from the text)');
  const unseeded = withConfig((c) => delete c.capabilities.groupSeed);
  assert.notEqual(
    key(unseeded),
    key({ ...unseeded, config: { ...unseeded.config, seed: unseeded.config.seed + 1 } }),
    'the run seed, without one',
  );
});

test('a second run on the same dataset reads its text probe groups from the cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-textgroups-'));
  try {
    const data = demoCopy(join(dir, 'a'), 600, false);
    const cacheDir = join(dir, 'cache');
    const config = resolveConfig({ budget: 0.2 });
    const run = (seed: number) =>
      runCuration({ datasetPath: data, config: { ...config, seed }, cacheDir, manifestBase: dir, confineTo: join(data, '..') });
    const first = await run(1);
    assert.equal(first.capabilities.probe.source, 'clusters');
    const entryDir = readdirSync(cacheDir).find((d) => !d.startsWith('.'))!;
    const entries = readdirSync(join(cacheDir, entryDir)).filter((f) => f.startsWith('text-groups-') && f.endsWith('.json'));
    assert.equal(entries.length, 1, 'one text-groups entry');
    // Another seed (new trajectories) reuses the groups: the same groups, and the entry is what it reads.
    const second = await run(2);
    assert.equal(second.cacheHit, false, 'other trajectories');
    assert.deepEqual(Array.from(second.capabilities.probe.of), Array.from(first.capabilities.probe.of));
    const cache = CurationCache.open(cacheDir);
    const k = autoMicroClusters(first.pool.n);
    const key = cacheKeyParts({ datasetPath: data, config, cacheDir, confineTo: join(data, '..') }).textGroups(k);
    assert.deepEqual(
      Array.from((await cache.loadTextGroups(first.summary.sha256, key, first.pool.n))!),
      Array.from(first.capabilities.probe.of),
    );
    // Planted groups in the entry (three groups in turn) are the next run's groups.
    const planted = Int32Array.from({ length: first.pool.n }, (_, i) => i % 3);
    await cache.saveTextGroups(first.summary.sha256, key, planted);
    const third = await run(3);
    assert.deepEqual(Array.from(third.capabilities.probe.of), Array.from(planted));
    // Without a cache, the groups are formed again, as the first run formed them.
    const fresh = await runCuration({
      datasetPath: data,
      config: { ...config, seed: 3 },
      cacheDir: null,
      manifestBase: dir,
      confineTo: join(data, '..'),
    });
    assert.deepEqual(Array.from(fresh.capabilities.probe.of), Array.from(first.capabilities.probe.of));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a re-run reads the extra proxies' group cosines from the cache instead of training them; a corrupt entry is retrained", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-proxycos-'));
  const { log, warnings } = recordingLog();
  try {
    const data = demoCopy(join(dir, 'a'), 600, false);
    const cacheDir = join(dir, 'cache');
    const config = resolveConfig({ budget: 0.2 });
    const run = async (cache: string | null) => {
      const trained: string[] = [];
      const r = await runCuration({
        datasetPath: data,
        config,
        cacheDir: cache,
        manifestBase: dir,
        confineTo: join(data, '..'),
        log,
        onProgress: ({ stage, message }) => {
          if (stage === 'capabilities' && message && /^proxy \d+ of up to/.test(message)) trained.push(message);
        },
      });
      return { r, trained, manifest: serializeManifest(r.manifest) };
    };
    const first = await run(cacheDir);
    const R = first.r.capabilities.graph.proxies ?? 1;
    assert.ok(R >= 2, `the 600-row demo trains extra proxies (${R})`);
    assert.equal(first.trained.length, R - 1, 'each extra proxy trained once');
    const entryDir = join(
      cacheDir,
      readdirSync(cacheDir).find((d) => !d.startsWith('.'))!,
    );
    const entries = () => readdirSync(entryDir).filter((f) => /^proxy-cosines-\w+\.bin$/.test(f));
    assert.equal(entries().length, R - 1, 'one entry per extra proxy');
    const graph = (x: typeof first) => {
      const g = x.r.capabilities.graph;
      return {
        proxies: g.proxies,
        agreement: g.proxyAgreement,
        reliability: g.reliability,
        of: Array.from(x.r.capabilities.groupCapability),
      };
    };
    // The re-run: trajectories and proxies from the cache, the same capabilities and manifest.
    const second = await run(cacheDir);
    assert.equal(second.r.cacheHit, true);
    assert.deepEqual(second.trained, [], 'no proxy trained again');
    assert.deepEqual(graph(second), graph(first));
    assert.equal(second.manifest, first.manifest);
    // Without a cache, the proxies are trained and give the same graph: the cache serves what they make.
    const fresh = await run(null);
    assert.equal(fresh.trained.length, R - 1);
    assert.deepEqual(graph(fresh), graph(first));
    assert.equal(fresh.manifest, first.manifest);
    // A flipped byte in one entry: a logged miss, that proxy trained again, the same result.
    const victim = join(entryDir, entries()[0]);
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(victim, bytes);
    warnings.length = 0;
    const third = await run(cacheDir);
    assert.equal(third.trained.length, 1, 'the corrupt proxy only');
    assert.ok(
      warnings.some((w) => /proxy-cosines-\w+/.test(w)),
      warnings.join('\n'),
    );
    assert.deepEqual(graph(third), graph(first));
    assert.equal(third.manifest, first.manifest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an extra proxy's cosines key: its trajectories (with the proxy's seed), the groups, the halves and the centring change it", () => {
  const base: CurationInput = { datasetPath: '/data/a/demo.jsonl', config: resolveConfig({}), cacheDir: '/cache' };
  const basis = { of: Int32Array.from([0, 1, 2, 0, 1, 2]), G: 3, half: Uint8Array.from([0, 1, 0, 1, 0, 1]), H: 3, centred: false };
  const key = (input: CurationInput, r = 1, b = basis, images = 'img') => cacheKey(cacheKeyParts(input).proxyCosines(images, r, b));
  const withConfig = (edit: (c: CurationConfig) => void): CurationInput => {
    const config = structuredClone(base.config);
    edit(config);
    return { ...base, config };
  };
  const k = key(base);
  assert.equal(key(base, 1, { ...basis, of: Int32Array.from(basis.of) }), k, 'the same basis in another array');
  assert.notEqual(key(base, 2), k, 'another proxy');
  assert.notEqual(key(withConfig((c) => (c.seed += 1))), k, 'the run seed');
  assert.notEqual(key(withConfig((c) => (c.proxy.hiddenDim += 1))), k, 'the proxy');
  assert.notEqual(key(withConfig((c) => (c.features.questionBuckets += 1))), k, 'the features');
  assert.notEqual(key(base, 1, basis, 'other images'), k, 'the images');
  assert.notEqual(key(base, 1, { ...basis, of: Int32Array.from([0, 1, 2, 0, 1, 1]) }), k, 'the groups');
  assert.notEqual(key(base, 1, { ...basis, half: Uint8Array.from([1, 1, 0, 1, 0, 1]) }), k, 'the halves');
  assert.notEqual(key(base, 1, { ...basis, centred: true }), k, 'the centring');
  assert.equal(key(withConfig((c) => (c.strategy = 'random'))), k, 'a selection input');
  // Proxy r of seed s is proxy 0 of seed proxySeed(s, r): the same trajectories as that run's.
  const parts = cacheKeyParts(base);
  const other = cacheKeyParts(withConfig((c) => (c.seed += 10_000)));
  assert.deepEqual(parts.proxyCosines('img', 1, basis).trajectories, other.trajectories('img'));
});
