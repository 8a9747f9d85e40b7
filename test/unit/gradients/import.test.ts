// The import of gradient trajectories (src/core/gradients/import*.ts) on a real fixture: owleval with
// two invalid lines put in, and a cadc.gradients/v1 folder written for it with the engine's .npy writer
// (bench/gradientsSynth.ts: the job's files and index, seeded rows). The real job's output is imported
// by test/harness/gradientsImport.test.ts (it needs PyTorch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexDataset, writeSyntheticGradients } from '../../../bench/gradientsSynth';
import { resolveConfig } from '../../../src/core/config';
import { serializeManifest } from '../../../src/core/curriculum/manifest';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { readDataset } from '../../../src/core/dataset/reader';
import type { DatasetSummary } from '../../../src/core/dataset/types';
import { checkGradientsDataset, GradientsImportError, openGradientsFolder } from '../../../src/core/gradients/importIndex';
import { importTrajectories, matchLines } from '../../../src/core/gradients/importTrajectories';
import { halvesToFloat32, parseNpy } from '../../../src/core/gradients/npy';
import { runCuration } from '../../../src/core/pipeline/run';
import { FIXTURES } from '../helpers';

const work = mkdtempSync(join(tmpdir(), 'cadc-grad-import-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const SOURCE = join(FIXTURES, 'owleval');
const DATASET = join(work, 'owleval-broken.jsonl');
{
  // 120 real rows with an unparseable line and a record of the wrong shape among them.
  const rows = readFileSync(join(SOURCE, 'owleval.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 120);
  rows.splice(17, 0, '{"id": "cut off", "conversations": [');
  rows.splice(60, 0, '{"id": "no turns", "conversations": 7}');
  writeFileSync(DATASET, `${rows.join('\n')}\n`);
}
const LRS = [0.003, 0.002, 0.001];
const D = 24;

async function readSamples(): Promise<{ summary: DatasetSummary; lines: number[]; records: number[] }> {
  const lines: number[] = [];
  const records: number[] = [];
  const summary = await readDataset(DATASET, { imageRoot: SOURCE, confineTo: SOURCE }, (s) => {
    lines.push(s.line);
    records.push(s.recordIndex);
  });
  return { summary, lines, records };
}

/** A gradient folder for the dataset; `edit` changes the samples the job covered (lines, records). */
async function folder(name: string, edit?: (lines: number[], records: number[]) => void): Promise<string> {
  const { summary, lines, records } = await readSamples();
  edit?.(lines, records);
  const dir = join(work, name);
  writeSyntheticGradients(dir, {
    dataset: indexDataset(summary, 'owleval-broken.jsonl'),
    lines,
    records,
    lrs: LRS,
    D,
    shardSize: 25,
    seed: 5,
  });
  return dir;
}

function rowsOf(dir: string): Float32Array[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { shards: { files: { traj: { file: string } } }[] };
  return index.shards.map((s) => {
    const f = s.files.traj.file;
    return halvesToFloat32(parseNpy(readFileSync(join(dir, f)), f).data as Uint16Array);
  });
}

test('matchLines pairs the job’s samples with the pool’s by line (known answers)', () => {
  const pool = { n: 4, lines: Int32Array.from([2, 5, 5, 9]) };
  // Line 3 is a record the engine reads as invalid: left out. Line 5 holds two records (a one-line array).
  const r = matchLines(Float64Array.from([2, 3, 5, 5, 9]), Float64Array.from([0, 1, 2, 3, 4]), pool);
  assert.deepEqual(Array.from(r.map), [0, -1, 1, 2, 3]);
  assert.deepEqual(r.leftOut, [3]);
  const code = (reason: string, message: RegExp) => (e: Error) =>
    e instanceof GradientsImportError && e.reason === reason && message.test(e.message);
  assert.throws(
    () => matchLines(Float64Array.from([2, 9]), Float64Array.from([0, 4]), pool),
    code('gradients-coverage', /do not cover 1 sample line\(s\) of the dataset: 5$/),
  );
  assert.throws(
    () => matchLines(Float64Array.from([2, 5, 9]), Float64Array.from([0, 2, 4]), pool),
    /line 5 starts 1 record\(s\) in the gradients and 2/,
  );
  assert.throws(
    () => matchLines(Float64Array.from([2, 5, 5, 5, 9]), Float64Array.from([0, 2, 2, 3, 4]), pool),
    code('gradients-coverage', /list 1 sample\(s\) twice: lines 5/),
  );
  assert.throws(
    () => matchLines(Float64Array.from([5, 2]), Float64Array.from([2, 0]), pool),
    /out of file order: line 2 \(record 0\) comes after line 5/,
  );
});

test('imported rows, losses and norms are the files’ for every pool sample, the same held in memory or read from disk', async () => {
  const dir = await folder('good');
  const { summary, lines } = await readSamples();
  assert.equal(summary.invalid, 2);
  const g = openGradientsFolder(dir);
  checkGradientsDataset(g, summary);
  const pool = { n: lines.length, lines: Int32Array.from(lines) };
  const mem = await importTrajectories(g, pool);
  const disk = await importTrajectories(g, pool, { maxResidentBytes: 0, spillDir: work });
  assert.equal(mem.residence, 'memory');
  assert.equal(disk.residence, 'disk');
  const shards = rowsOf(dir);
  const T = LRS.length;
  for (const imp of [mem, disk]) {
    const tr = imp.trajectories;
    assert.deepEqual([tr.n, tr.T, tr.D, tr.storage], [lines.length, T, D, 'float16']);
    assert.deepEqual(Array.from(tr.eta), LRS);
    for (let t = 0; t < T; t++) {
      const all = tr.slice(t, 0, tr.n);
      const part = tr.slice(t, 30, 57);
      assert.deepEqual(part, all.subarray(30 * D, 57 * D));
      for (const i of [0, 24, 25, 60, tr.n - 1]) {
        const s = Math.floor(i / 25);
        const want = shards[s].subarray(((i - s * 25) * T + t) * D, ((i - s * 25) * T + t + 1) * D);
        assert.deepEqual(all.subarray(i * D, (i + 1) * D), want, `sample ${i} checkpoint ${t}`);
        let norm = 0;
        for (const x of want) norm += x * x;
        assert.ok(Math.abs(norm - 1) < 2e-3, 'unit rows');
      }
    }
    assert.equal(imp.warmup.samples, 0);
    assert.deepEqual(
      imp.warmup.checkpoints.map((c) => c.t),
      [1, 2, 3],
    );
  }
  assert.deepEqual(mem.trajectories.loss, disk.trajectories.loss);
  const loss0 = parseNpy(readFileSync(join(dir, 'shard-00000.loss.npy')), 'l').data as Float32Array;
  assert.deepEqual(mem.trajectories.loss.subarray(0, 25 * T), loss0);
  assert.equal(mem.source.sha256.length, 64);
  assert.deepEqual(
    mem.source.checkpoints.map((c) => c.eta),
    LRS,
  );
});

test('trajectories for records the engine reads as invalid are left out, as the pool leaves them out', async () => {
  const { summary, lines, records } = await readSamples();
  // The job read the wrong-shape record on line 61 as a sample (a reader disagreement): one more trajectory.
  const dir = await folder('extra', (l, r) => {
    const at = l.findIndex((x) => x > 61);
    l.splice(at, 0, 61);
    r.splice(at, 0, 60);
  });
  const warnings: string[] = [];
  const log = { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (m: string) => warnings.push(m) };
  const g = openGradientsFolder(dir);
  const imp = await importTrajectories(g, { n: lines.length, lines: Int32Array.from(lines) }, { log });
  assert.deepEqual(imp.leftOut, [61]);
  assert.match(warnings.join('\n'), /1 trajectories are for records CADC reads as invalid \(lines 61\)/);
  assert.equal(imp.trajectories.n, summary.samples);
  void records;
});

test('a curation with --gradients: the manifest records the source, validates, and is the same bytes on a rerun', async () => {
  const dir = await folder('run');
  const run = async () =>
    runCuration({
      datasetPath: DATASET,
      config: resolveConfig({ budget: 0.2 }),
      imageRoot: SOURCE,
      confineTo: SOURCE,
      cacheDir: null,
      gradientsDir: dir,
      manifestBase: work,
    });
  const a = await run();
  const m = a.manifest;
  assert.deepEqual(validateManifest(m), { valid: true, errors: [] });
  assert.equal(m.gradients?.index, 'run/index.json');
  assert.equal(m.gradients?.sha256, openGradientsFolder(dir).sha256);
  assert.deepEqual(m.gradients?.checkpoints, [
    { path: 'synthetic/checkpoint-1', eta: 0.003 },
    { path: 'synthetic/checkpoint-2', eta: 0.002 },
    { path: 'synthetic/checkpoint-3', eta: 0.001 },
  ]);
  assert.equal(m.gradients?.dims, D);
  assert.equal(m.proxy.warmupSamples, 0);
  assert.equal(m.proxy.projectionDim, undefined, 'no proxy sketch with imported gradients');
  assert.equal(m.proxy.bytesPerSample, LRS.length * D * 2 + LRS.length * 8);
  assert.equal(a.trajectories.D, D, 'the imported trajectories, not the proxy’s');
  assert.equal(serializeManifest((await run()).manifest), serializeManifest(m));
  const { gradients: _, ...noSource } = m;
  assert.equal(validateManifest(noSource).valid, false, 'warmupSamples 0 needs imported gradients');
  await assert.rejects(
    runCuration({ datasetPath: DATASET, config: resolveConfig({}), cacheDir: null, gradientsDir: dir, probeFile: DATASET }),
    /a probe file needs trajectories of its own samples/,
  );
});

test('a folder that does not fit the dataset, or is damaged, is refused naming the file and the problem', async () => {
  const good = await folder('damaged-source');
  const { summary, lines } = await readSamples();
  const pool = { n: lines.length, lines: Int32Array.from(lines) };
  const copy = (name: string) => {
    const dir = join(work, name);
    cpSync(good, dir, { recursive: true });
    return dir;
  };
  const refuses = async (dir: string, reason: string, message: RegExp) => {
    await assert.rejects(
      (async () => {
        const g = openGradientsFolder(dir);
        checkGradientsDataset(g, summary);
        await importTrajectories(g, pool);
      })(),
      (e: Error) => e instanceof GradientsImportError && e.reason === reason && message.test(e.message),
      `${dir}: ${reason} ${message}`,
    );
  };
  const truncated = copy('truncated');
  const traj1 = join(truncated, 'shard-00001.traj.npy');
  const size = readFileSync(traj1).length;
  truncateSync(traj1, size - 100);
  await refuses(
    truncated,
    'gradients-shard',
    new RegExp(`shard-00001.traj.npy is truncated: ${size - 100} bytes on disk, index.json says ${size} \\(100 missing\\)`),
  );

  const flipped = copy('flipped');
  const bytes = readFileSync(join(flipped, 'shard-00002.traj.npy'));
  bytes[bytes.length - 3] ^= 0x40;
  writeFileSync(join(flipped, 'shard-00002.traj.npy'), bytes);
  await refuses(flipped, 'gradients-shard', /shard-00002.traj.npy does not match its sha256 in index.json/);

  const loss = copy('loss');
  const lb = readFileSync(join(loss, 'shard-00000.loss.npy'));
  lb[lb.length - 1] ^= 1;
  writeFileSync(join(loss, 'shard-00000.loss.npy'), lb);
  await refuses(loss, 'gradients-shard', /shard-00000.loss.npy does not match its sha256/);

  const missingFile = copy('missing-file');
  rmSync(join(missingFile, 'shard-00003.sqnorm.npy'));
  await refuses(missingFile, 'gradients-shard', /shard-00003.sqnorm.npy is missing from/);

  const noIndex = copy('no-index');
  rmSync(join(noIndex, 'index.json'));
  await refuses(noIndex, 'gradients-index', /no index.json in .*not a finished cadc.gradients\/v1 folder/);

  const schema = copy('schema');
  const index = JSON.parse(readFileSync(join(schema, 'index.json'), 'utf8'));
  writeFileSync(join(schema, 'index.json'), JSON.stringify({ ...index, format: 'cadc.gradients/v2' }));
  await refuses(schema, 'gradients-index', /is not a cadc.gradients\/v1 index: \/format must be equal to constant/);

  const shape = copy('shape');
  index.trajectory.dim = D + 1;
  writeFileSync(join(shape, 'index.json'), JSON.stringify(index));
  await refuses(shape, 'gradients-index', new RegExp(`trajectory.dim is ${D + 1} but projection.dim is ${D}`));

  const otherData = copy('other-dataset');
  const idx2 = JSON.parse(readFileSync(join(good, 'index.json'), 'utf8'));
  idx2.dataset.sha256 = '0'.repeat(64);
  writeFileSync(join(otherData, 'index.json'), JSON.stringify(idx2));
  await refuses(
    otherData,
    'gradients-dataset',
    new RegExp(`computed for another dataset: index.json's dataset sha256 is 0{64} .*owleval-broken.jsonl's is ${summary.sha256}`),
  );

  const missingLines = await folder('missing-lines', (l, r) => {
    l.splice(40, 2);
    r.splice(40, 2);
  });
  await refuses(
    missingLines,
    'gradients-coverage',
    new RegExp(`do not cover 2 sample line\\(s\\) of the dataset: ${lines[40]}, ${lines[41]}$`),
  );
});
