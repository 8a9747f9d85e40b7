// Fault suite: the real CLI (and backend) as child processes on a copy of demo/demo.jsonl, killed
// with SIGKILL inside each write window (CADC_TEST_KILL_AT, honoured only with CADC_TEST=1) and run
// on caches corrupted in every way we know. After each: the dataset's bytes are unchanged, an
// existing manifest is intact, the next run leaves no temp file anywhere, and its manifest is
// byte-identical to a --no-cache run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { parseArgs } from '../../../src/cli/args';
import type { CurateArgs } from '../../../src/cli/args';
import { curateRequest } from '../../../src/protocol/backend';
import { CurationCache } from '../../../src/core/store/cache';

const REPO = resolve(__dirname, '../../..');
const CLI = join(REPO, 'dist/cli.js');
const BACKEND = join(REPO, 'dist/backend.js');
const root = mkdtempSync(join(tmpdir(), 'cadc-fault-'));
const dataset = join(root, 'data', 'demo.jsonl');
const datasetBytes = readFileSync(join(REPO, 'demo/demo.jsonl'));
let refManifest: Buffer;
let refAttributions: Buffer;
const seed = join(root, 'seed-cache');

/** Runs `cadc curate` on the dataset copy into `out` with this cache (null: --no-cache). */
function curate(out: string, cache: string | null, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const args = [CLI, 'curate', dataset, '--out', out, ...(cache ? ['--cache', cache] : ['--no-cache']), '--attributions', '--force'];
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CADC_TEST: '1', ...env } });
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const temps = () => walk(root).filter((f) => f.endsWith('.tmp'));

/**
 * The cache files of the demo dataset: features-*.json, trajectories-*.bin, text-groups-*.json,
 * proxy-cosines-*.bin (its second proxy), attributions.json…
 */
function cacheFiles(cache: string): string[] {
  return walk(cache).filter((f) => /(features|trajectories|text-groups|proxy-cosines)-\w+\.(bin|json)$|attributions\.(bin|json)$/.test(f));
}

/** The next run after a fault: exit 0, the --no-cache manifest and attributions, no temp file, dataset intact, cache complete. */
function assertRecovered(what: string, out: string, cache: string): string {
  const r = curate(out, cache);
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  assert.ok(readFileSync(join(out, 'demo.cadc.json')).equals(refManifest), `${what}: the manifest is byte-identical to a --no-cache run`);
  assert.ok(readFileSync(join(out, 'demo.cadc.attributions.jsonl')).equals(refAttributions), `${what}: so are the attributions`);
  assert.deepEqual(temps(), [], `${what}: no temp files after the next run`);
  assert.ok(readFileSync(dataset).equals(datasetBytes), `${what}: the dataset is unchanged`);
  assert.equal(cacheFiles(cache).length, 10, `${what}: the cache is whole again`);
  return r.stderr;
}

before(() => {
  const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'cli,backend'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  mkdirSync(join(root, 'data'));
  writeFileSync(dataset, datasetBytes);
  cpSync(join(REPO, 'demo/images'), join(root, 'data/images'), { recursive: true });
  // Every out folder is root/<name>/out, so the manifest's relative dataset path is the same.
  const ref = curate(join(root, 'ref/out'), null);
  assert.equal(ref.status, 0, ref.stderr);
  refManifest = readFileSync(join(root, 'ref/out/demo.cadc.json'));
  refAttributions = readFileSync(join(root, 'ref/out/demo.cadc.attributions.jsonl'));
  const first = curate(join(root, 'seeded/out'), seed);
  assert.equal(first.status, 0, first.stderr);
  assert.ok(readFileSync(join(root, 'seeded/out/demo.cadc.json')).equals(refManifest), 'a cold cached run gives the --no-cache manifest');
  assert.equal(cacheFiles(seed).length, 10);
});
after(() => rmSync(root, { recursive: true, force: true }));

let scenario = 0;
/** A fresh out folder holding the reference outputs (an existing manifest to protect) and a cache copied from the seed minus `without`. */
function setup(without: RegExp | null): { out: string; cache: string } {
  const dir = join(root, `s${++scenario}`);
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'demo.cadc.json'), refManifest);
  writeFileSync(join(out, 'demo.cadc.attributions.jsonl'), refAttributions);
  const cache = join(dir, 'cache');
  cpSync(seed, cache, { recursive: true });
  if (without) for (const f of cacheFiles(cache)) if (without.test(f)) rmSync(f);
  return { out, cache };
}

// The write windows, in the order a run reaches them; each run starts with the cache entries
// before that point in place (the earlier windows are then not written again).
const KILLS: [point: string, drop: RegExp | null, target: RegExp][] = [
  ['write:features-*.bin', /./, /features-\w+\.bin\.cadc-/],
  ['write:features-*.json', /./, /features-\w+\.json\.cadc-/],
  ['write:trajectories-*.bin', /trajectories|attributions/, /trajectories-\w+\.bin\.cadc-/],
  ['write:trajectories-*.json', /trajectories|attributions/, /trajectories-\w+\.json\.cadc-/],
  ['write:text-groups-*.bin', /text-groups|attributions/, /text-groups-\w+\.bin\.cadc-/],
  ['write:text-groups-*.json', /text-groups|attributions/, /text-groups-\w+\.json\.cadc-/],
  ['write:proxy-cosines-*.bin', /proxy-cosines|attributions/, /proxy-cosines-\w+\.bin\.cadc-/],
  ['write:proxy-cosines-*.json', /proxy-cosines|attributions/, /proxy-cosines-\w+\.json\.cadc-/],
  ['write:attributions.bin', /attributions/, /attributions\.bin\.cadc-/],
  ['write:attributions.json', /attributions/, /attributions\.json\.cadc-/],
  ['write:demo.cadc.attributions.jsonl', null, /demo\.cadc\.attributions\.jsonl\.cadc-/],
  ['write:demo.cadc.json', null, /demo\.cadc\.json\.cadc-/],
];

for (const [point, drop, target] of KILLS) {
  test(`kill -9 inside ${point}: nothing lost, the next run cleans up and gives the --no-cache manifest`, () => {
    const { out, cache } = setup(drop);
    const r = curate(out, cache, { CADC_TEST_KILL_AT: point });
    assert.equal(r.signal, 'SIGKILL', `killed at ${point} (status ${r.status}: ${r.stderr})`);
    assert.ok(
      temps().some((f) => target.test(f)),
      `the kill came inside the window: ${temps().join(', ')}`,
    );
    assert.ok(readFileSync(dataset).equals(datasetBytes), 'the dataset is unchanged');
    assert.ok(readFileSync(join(out, 'demo.cadc.json')).equals(refManifest), 'the existing manifest is intact');
    assert.ok(readFileSync(join(out, 'demo.cadc.attributions.jsonl')).equals(refAttributions), 'the existing attributions are intact');
    assertRecovered(point, out, cache);
  });
}

test('CADC_TEST_KILL_AT is ignored without CADC_TEST=1', () => {
  const { out, cache } = setup(null);
  const r = curate(out, cache, { CADC_TEST: '', CADC_TEST_KILL_AT: 'write:*' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(join(out, 'demo.cadc.json')).equals(refManifest));
});

test('kill -9 of the backend (JSON-RPC) inside a cache write: the next run cleans up and gives the --no-cache manifest', async () => {
  const { out, cache } = setup(/trajectories|attributions/);
  const child = spawn(process.execPath, [BACKEND], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CADC_TEST: '1', CADC_TEST_KILL_AT: 'write:trajectories-*.bin' },
  });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onError(() => undefined);
  connection.listen();
  const {
    command: _c,
    json: _j,
    quiet: _q,
    ...params
  } = parseArgs(['curate', dataset, '--out', out, '--cache', cache, '--force']) as CurateArgs;
  // Never hang the suite: if the kill point is not reached in time, end the backend (the assertions below then fail).
  const guard = setTimeout(() => child.kill('SIGTERM'), 120_000);
  const reply = connection.sendRequest(curateRequest, { ...params, progressToken: 'fault-suite' }).then(
    () => 'answered',
    () => 'no answer',
  );
  const signal = await exited;
  clearTimeout(guard);
  connection.dispose();
  assert.equal(signal, 'SIGKILL', 'the backend was killed at its kill point (not by the time guard)');
  assert.equal(await Promise.race([reply, exited.then(() => 'no answer')]), 'no answer');
  assert.ok(
    temps().some((f) => /trajectories-\w+\.bin\.cadc-/.test(f)),
    'the backend died inside the trajectories write',
  );
  assert.ok(readFileSync(join(out, 'demo.cadc.json')).equals(refManifest), 'the existing manifest is intact');
  assertRecovered('backend kill', out, cache);
});

type Index = { arrays: { type: string; length: number }[]; extra: Record<string, unknown> | null };
const editJson = (f: string, edit: (side: Index) => void) => {
  const side = JSON.parse(readFileSync(f, 'utf8')) as Index;
  edit(side);
  writeFileSync(f, JSON.stringify(side));
};

// Each way of corrupting a cache file, applied to every cache file it fits at once (features,
// trajectories and attributions; index and data files); every one must be caught on its own.
const CORRUPTIONS: [what: string, fits: RegExp, corrupt: (file: string) => void][] = [
  ['truncated to half', /./, (f) => writeFileSync(f, readFileSync(f).subarray(0, readFileSync(f).length >> 1))],
  [
    'a flipped byte',
    /./,
    (f) => {
      const b = readFileSync(f);
      b[b.length >> 1] ^= 0x20;
      writeFileSync(f, b);
    },
  ],
  [
    'wrong length (data 8 bytes longer, an index array length × 1000)',
    /./,
    (f) => (f.endsWith('.bin') ? appendFileSync(f, Buffer.alloc(8)) : editJson(f, (s) => (s.arrays[0].length *= 1000))),
  ],
  ['bad JSON', /\.json$/, (f) => writeFileSync(f, '{"schema": 2, "kind": ')],
  [
    'nulls in extra',
    /\.json$/,
    (f) => editJson(f, (s) => (s.extra = s.extra ? Object.fromEntries(Object.keys(s.extra).map((k) => [k, null])) : { rows: null })),
  ],
  [
    'prototype keys (type "constructor", a __proto__ key)',
    /\.json$/,
    (f) => {
      editJson(f, (s) => (s.arrays[0].type = 'constructor'));
      writeFileSync(f, readFileSync(f, 'utf8').replace(/^\{/, '{"__proto__":{"polluted":true},'));
    },
  ],
];

/** What the attribution table's reader (hovers, the quality report) makes of a cache: rows, or undefined and its log. */
async function readAttributions(cache: string): Promise<{ rows?: number; log: string[] }> {
  const log: string[] = [];
  const sha = createHash('sha256').update(datasetBytes).digest('hex');
  const table = await CurationCache.open(cache, {
    info: () => undefined,
    warn: (m) => log.push(m),
    error: (m) => log.push(m),
    debug: () => undefined,
  }).openAttributions(sha);
  if (!table) return { log };
  let rows = 0;
  for (const _ of table.scan()) rows++;
  table.close();
  return { rows, log };
}

for (const [what, fits, corrupt] of CORRUPTIONS) {
  test(`a cache with ${what}: each file is a logged miss, rebuilt, and the manifest is the --no-cache one`, async () => {
    const { out, cache } = setup(null);
    const hit = cacheFiles(cache).filter((f) => fits.test(f));
    for (const f of hit) corrupt(f);
    // The CLI only writes the attribution table; its readers meet the corruption (on a copy here).
    cpSync(cache, `${cache}-copy`, { recursive: true });
    const reader = await readAttributions(`${cache}-copy`);
    assert.equal(reader.rows, undefined, `${what}: the attribution table is a miss`);
    assert.match(reader.log.join('\n'), /cache: attributions .*(deleting|rebuilding)/, `${what} of the attribution table is logged`);
    const log = assertRecovered(what, out, cache);
    for (const e of new Set(hit.map((f) => f.replace(/^.*\/|\.(bin|json)$/g, '')).filter((e) => e !== 'attributions'))) {
      assert.match(log, new RegExp(`cache: ${e} .*deleting it and rebuilding`), `${what} of ${e} is logged`);
    }
    assert.equal(
      (await readAttributions(cache)).rows,
      datasetBytes.toString('utf8').trim().split('\n').length,
      `${what}: the rewritten table has every sample`,
    );
  });
}
