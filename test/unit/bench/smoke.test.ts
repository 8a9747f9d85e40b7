// Benchmarks are not tests, but their smoke versions (--smoke: tiny inputs, nothing written to
// bench/results) run here so they cannot rot. Each script prints its whole report as the last line
// of stdout; render then draws the smoke reports of the others into a temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { makePool } from '../../../bench/data';

const REPO = resolve(__dirname, '../../..');
/* eslint-disable @typescript-eslint/no-explicit-any */
const reports: Record<string, any> = {};

function run(bench: string, args: string[] = []): any {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`, '--smoke', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    // A guard against a hung process, not a speed check: bench:capabilities --smoke trains up to 32
    // proxies per small fixture and took 77 s alone on 2 cores, over 180 s with another suite beside it.
    timeout: 600_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]);
  assert.equal(report.benchmark, bench);
  reports[bench] = report;
  return report;
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

test('a full benchmark run without its dataset exits 2 and says where the data comes from', () => {
  const empty = mkdtempSync(join(tmpdir(), 'cadc-bench-nodata-'));
  try {
    for (const [bench, env] of [
      ['perf', { CADC_BENCH_DATA: empty }],
      ['quality', { CADC_BENCH_DATA: undefined }],
      ['scaling', { CADC_BENCH_DATA: join(empty, 'nowhere') }],
    ] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...env },
      });
      assert.equal(r.status, 2, `${bench}: ${r.stderr}`);
      assert.match(r.stderr, /CADC_BENCH_DATA/, bench);
      assert.match(r.stderr, /haotian-liu\/LLaVA @32cebc38/, bench);
      assert.match(r.stderr, env.CADC_BENCH_DATA ? /llava-eval-pool\.jsonl does not exist/ : /No dataset given/, bench);
      assert.equal(r.stdout, '', `${bench} wrote no report`);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('bench/perf.ts --smoke: stage times, cache hit and hover latency', () => {
  const rep = run('perf');
  assert.equal(rep.loadavg.before.length, 3);
  const row = rep.results[0];
  assert.equal(row.samples, 2000);
  assert.ok(row.selected > 0 && row.cacheHit === true);
  assert.ok(isNum(row.stagesMs.trajectories) && row.peakRssMB > 0);
  assert.ok(row.hover.openMs >= 0);
  assert.equal(row.hover.singleLine.found, row.hover.singleLine.lookups);
  for (const k of ['p50', 'p99', 'max']) {
    assert.ok(isNum(row.hover.singleLine[k]) && row.hover.singleLine[k] > 0);
    assert.ok(isNum(row.hover.visibleWindow[k]));
  }
  assert.ok(row.hover.singleLine.p50 <= row.hover.singleLine.p99 && row.hover.singleLine.p99 <= row.hover.singleLine.max);
  assert.equal(row.hover.visibleWindow.lookupsPerWindow, 160);
  assert.match(rep.labels, /^dropped/);
  assert.ok(row.probeGroups >= 2);
  assert.ok(row.capabilityShare > 0 && row.capabilityShare < 1);
  assert.equal(row.capabilityShare, +(row.stagesMs.capabilities / row.stagesMs.total).toFixed(3));
});

test('bench pools: unlabelled keeps only id, image and conversations; replicas get a new id and a suffix token', async () => {
  const lines = readFileSync(join(REPO, 'test/fixtures/llava-eval-pool/llava-eval-pool.jsonl'), 'utf8').split('\n').slice(0, 2);
  const dir = mkdtempSync(join(tmpdir(), 'cadc-bench-pool-'));
  try {
    for (const unlabelled of [false, true]) {
      const file = join(dir, `pool-${unlabelled}.jsonl`);
      await makePool(lines, 5, file, 7, unlabelled);
      const rows = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(rows.length, 5);
      for (const [i, r] of rows.entries()) {
        const src = JSON.parse(lines[i % 2]);
        assert.deepEqual(Object.keys(r).sort(), unlabelled ? ['conversations', 'id', 'image'] : Object.keys(src).sort());
        assert.equal(r.id, i < 2 ? src.id : `${src.id}-r${Math.floor(i / 2)}`);
        assert.equal(r.conversations[1].value, src.conversations[1].value);
        if (i < 2) assert.equal(r.conversations[0].value, src.conversations[0].value);
        else
          assert.match(
            r.conversations[0].value,
            new RegExp(`^${src.conversations[0].value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} v\\d+$`),
          );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/gemm.ts --smoke: ORT, numpy and FMA peak, with ratios or a stated reason', () => {
  const rep = run('gemm');
  const row = rep.rows[0];
  assert.ok(row.ort1Thread > 0 && row.ort2Threads > 0 && row.naiveJs > 0);
  // numpy and the compiled peak are optional on a machine without python3/g++, but then say why.
  if (rep.numpy.error) assert.equal(row.numpy1Thread, null);
  else assert.ok(row.numpy1Thread > 0 && row.ortOverNumpy.thread1 > 0);
  if (rep.fmaPeak.ok) {
    assert.ok(rep.fmaPeak.avx2Fma.thread1 > 0 && rep.fmaPeak.avx2Fma.threads2 > 0);
    assert.ok(row.ortOverAvx2FmaPeak.thread1 > 0);
  } else assert.match(rep.fmaPeak.error, /\w/);
});

test('bench/scaling.ts --smoke: a point per knob value, fits and the GPU estimate', () => {
  const rep = run('scaling');
  for (const knob of ['n', 'T', 'd', 'K']) {
    const pts = rep.points.filter((p: any) => p.knob === knob);
    assert.equal(pts.length, 2, knob);
    for (const p of pts) assert.ok(p.stagesMs.total > 0 && p.trajectoryBytesPerSample > 0 && p.capabilitiesFound >= 1);
    assert.ok(isNum(rep.fits[knob].total.power.exponent) && isNum(rep.fits[knob].total.linear.slope));
  }
  // Bytes per sample are T·(2d²·b + 8) with b = 2 (float16, the default) or 4: quadratic in d, linear in T.
  const d = rep.points.filter((p: any) => p.knob === 'd');
  const b = (d[0].config.gradients.storage ?? 'float16') === 'float16' ? 2 : 4; // the point's config is a partial over the defaults
  assert.equal(d[0].trajectoryBytesPerSample, d[0].config.gradients.projectionDim ** 2 * 2 * b * 4 + 4 * 8);
  assert.ok(rep.gpuCrossover.models || rep.gpuCrossover.error);
});

test('bench/quality.ts --smoke: one split, every strategy a row, random with seeds, NMI and ARI, the aggregate', () => {
  const rep = run('quality');
  assert.equal(rep.splits.length, 1);
  const sp = rep.splits[0];
  assert.equal(sp.split, 0);
  const names = new Set(sp.rows.map((r: any) => r.strategy));
  assert.ok(names.has('cadc (proportional, sub-capability, no self-influence filter)'));
  assert.ok(names.has('cadc (default: proportional, sub-capability, top-10% self-influence dropped)'));
  assert.ok(names.has('cadc (proportional, stratified, top-10% self-influence dropped)'));
  assert.ok(names.has('cadc (sqrt split, sub-capability, top-10% self-influence dropped)'));
  assert.ok(names.has('random (top-10% self-influence dropped)'));
  assert.equal(sp.rows.filter((r: any) => r.strategy === 'random').length, 2);
  for (const s of rep.strategies.baselinesAvailable) assert.ok(names.has(s), s);
  for (const r of sp.rows) {
    assert.equal(r.perGroup.length, rep.groups.length);
    assert.equal(r.perGroupLoss.length, rep.groups.length);
    assert.ok(isNum(r.relative) && r.selected > 0);
    assert.equal(r.usesEvaluationLabel, / \(label: /.test(r.strategy));
  }
  assert.ok(isNum(sp.nmi.capabilitiesVsLabel) && isNum(sp.ari.capabilitiesVsLabel) && isNum(sp.ari.randomPartitionSameSizes));
  assert.match(rep.groupsForSelection, /probe groups/);
  // Aggregate over one split: the split's own values, paired differences against random's seed mean.
  assert.equal(rep.aggregate.splits, 1);
  const rnd = sp.rows.filter((r: any) => r.strategy === 'random');
  const rndMean = rnd.reduce((a: number, r: any) => a + r.relative, 0) / rnd.length;
  for (const a of rep.aggregate.rows) {
    assert.equal(a.relative.n, 1);
    assert.equal(a.relative.sd, null);
    if (a.strategy === 'random') {
      assert.equal(a.seedSd.seeds, 2);
      assert.ok(!a.vsRandom);
    } else {
      // A strategy with several selection seeds counts as their mean, like random.
      const own = sp.rows.filter((r: any) => r.strategy === a.strategy && r.budget === a.budget);
      const value = own.reduce((t: number, r: any) => t + r.relative, 0) / own.length;
      assert.ok(Math.abs(a.vsRandom.mean - (value - rndMean)) < 0.011, a.strategy);
      assert.equal(a.vsRandom.wins, value > rndMean ? 1 : 0);
    }
  }
});

test('bench/quality.ts on JSON array and Parquet copies of the fixture: converted by the real reader, the same rows and figures', () => {
  // Other formats than JSONL (a labelled set of one's own may be a JSON array or Parquet): the bench
  // reads them through the reader, writes LLaVA JSONL, and must then measure exactly what it measures
  // on the JSONL fixture (run by the test above).
  const dir = mkdtempSync(join(tmpdir(), 'cadc-bench-formats-'));
  try {
    const records = readFileSync(join(REPO, 'test/fixtures/llava-eval-pool/llava-eval-pool.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    writeFileSync(join(dir, 'pool.json'), JSON.stringify(records, null, 1));
    const str = (name: string) => ({
      name,
      type: 'BYTE_ARRAY' as const,
      converted_type: 'UTF8' as const,
      repetition_type: 'OPTIONAL' as const,
    });
    const parquet = parquetWriteBuffer({
      schema: [
        { name: 'root', num_children: 5 },
        str('id'),
        { name: 'conversations', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
        str('from'),
        str('value'),
        str('image'),
        str('source'),
        str('category'),
      ],
      rowGroupSize: 1000,
      columnData: [
        { name: 'id', data: records.map((r) => r.id) },
        { name: 'conversations', data: records.map((r) => r.conversations) },
        { name: 'image', data: records.map((r) => r.image ?? null) },
        { name: 'source', data: records.map((r) => r.source ?? null) },
        { name: 'category', data: records.map((r) => r.category ?? null) },
      ],
    });
    writeFileSync(join(dir, 'pool.parquet'), new Uint8Array(parquet));
    const rows = (q: any) =>
      q.splits.map((sp: any) => sp.rows.map((x: any) => [x.strategy, x.budget, x.seed, x.selected, x.relative, x.macroLoss]));
    const fixture = reports.quality ?? run('quality');
    for (const name of ['pool.json', 'pool.parquet']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/quality.ts', join(dir, name), '--smoke'], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 180_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.equal(rep.dataset, name);
      assert.match(rep.convertedTo, /LLaVA JSONL/);
      assert.ok(rows(rep)[0].length > 10);
      assert.deepEqual(rows(rep), rows(fixture), name);
    }
    // A label the file does not have: exit 2, naming the fields it has.
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/quality.ts', join(dir, 'pool.json'), '--smoke', '--label', 'task'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /no label field 'task' .*label fields found: .*source/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/layout.ts --smoke: the sample map laid out (UMAP) and read back from the cache', () => {
  const rep = run('layout', ['--points', '400']);
  assert.equal(rep.results.length, 1);
  const r = rep.results[0];
  assert.equal(r.points, 400);
  assert.equal(r.method, 'umap');
  assert.ok(r.dims > 0);
  for (const k of ['coldMs', 'readAndKnnMs', 'umapMs', 'cachedMs']) assert.ok(isNum(r[k]) && r[k] >= 0, k);
  assert.ok(r.cachedMs < r.coldMs, 'reading the cached layout is faster than computing it');
});

test('bench/render.ts --smoke: SVGs and tables from the smoke reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-render-in-'));
  try {
    for (const [name, rep] of Object.entries(reports)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(rep));
    const rep = run('render', ['--in', existsSync(join(dir, 'quality.json')) ? dir : join(REPO, 'bench/results')]);
    assert.ok(rep.svgs.length >= 1);
    for (const f of rep.svgs) {
      const svg = readFileSync(join(rep.outDir, f), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.doesNotMatch(svg, /NaN|undefined/, f);
    }
    const md = readFileSync(rep.tables, 'utf8');
    for (const name of rep.inputs) assert.match(md, new RegExp(`bench:${name}`));
    if (rep.inputs.includes('quality')) {
      assert.match(md, /random \(\d+ seeds: mean ± sd/);
      assert.match(md, /Paired difference against random on the same split/);
    }
    rmSync(rep.outDir, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/formats.ts --smoke: JSONL, JSON array and Parquet pools read and curated, time and peak RSS each', () => {
  const rep = run('formats');
  for (const phase of ['read', 'curate']) {
    assert.equal(rep[phase].rows, 2000);
    for (const f of ['jsonl', 'array', 'parquet']) {
      const row = rep[phase].pools[f];
      assert.equal(row.samples, 2000, `${phase} ${f}`);
      assert.ok(isNum(row.seconds) && row.seconds > 0 && row.peakRssMB > 0 && row.bytes > 0);
      assert.ok(row.loadavg.before.length === 3 && row.loadavg.after.every(isNum), 'the load average beside every timing');
      if (phase === 'curate') assert.ok(isNum(row.stagesMs.trajectories) && isNum(row.stagesMs.total), 'the curate stage timings');
    }
    assert.ok(isNum(rep[phase].timeVsJsonl.array) && isNum(rep[phase].timeVsJsonl.parquet));
  }
});

test('bench:capabilities --smoke scores every variant and baseline against every label', () => {
  // The capability benchmark: every dataset and label scored for every variant and baseline, numbers in range.
  const report = run('capabilities', ['--only', 'owleval,vision-flan-205,demo']);
  assert.deepEqual(
    report.datasets.map((d: { name: string }) => d.name),
    ['owleval', 'vision-flan-205', 'demo'],
  );
  for (const d of report.datasets) {
    const labels = Object.keys(d.labels);
    assert.ok(labels.length >= 1);
    assert.ok(d.variants.some((v: { isDefault: boolean }) => v.isDefault));
    for (const v of d.variants) {
      assert.equal(v.perSeed.length, 2);
      for (const l of labels) {
        assert.ok(v.mean[l].nmi >= 0 && v.mean[l].nmi <= 1, `${d.name} ${v.name} ${l}`);
        assert.ok(v.mean[l].ari >= -1 && v.mean[l].ari <= 1);
      }
      assert.ok(v.stability >= -1 && v.stability <= 1);
      // Baselines exist at every K a variant found.
      for (const p of v.perSeed) assert.ok(d.baselines[String(p.K)], `${d.name}: baselines at K=${p.K}`);
    }
    for (const [K, b] of Object.entries(d.baselines) as [string, Record<string, { mean: Record<string, { nmi: number }> }>][]) {
      assert.deepEqual(
        Object.keys(b).sort(),
        ['k-means on raw features', 'k-means on trajectories', 'random partition', 'tf-idf k-means (instruction text)'],
        K,
      );
    }
  }
});

test('bench:capabilities on datasets named on the command line: any format, labels by field, the same figures as the built-in set', () => {
  // A labelled set that is not one of ours (the "same commands on labelled sets we hold back"):
  // a Parquet file and a JSONL file, labels by field name and by the part of a field before a separator.
  const dir = mkdtempSync(join(tmpdir(), 'cadc-bench-ext-'));
  try {
    const out = join(dir, 'nested', 'mine.json');
    const report = run('capabilities', [
      '--dataset',
      'test/fixtures/parquet/owleval-40.zstd.parquet',
      '--labels',
      'ability',
      '--dataset',
      'test/fixtures/vision-flan-205/vision-flan-205.jsonl',
      '--labels',
      'task_name~+',
      '--out',
      out,
    ]);
    assert.deepEqual(
      report.datasets.map((d: { name: string }) => d.name),
      ['owleval-40', 'vision-flan-205'],
    );
    // The report, its plot and its table beside --out; nothing over bench/results.
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).datasets.length, 2);
    assert.match(readFileSync(join(dir, 'nested', 'mine.svg'), 'utf8'), /^<svg/);
    assert.match(readFileSync(join(dir, 'nested', 'mine.md'), 'utf8'), /vision-flan-205 by `task_name~\+` \(126 values\)/);
    // The task family counted straight from the file agrees with the label the bench scored against.
    const families = new Set(
      readFileSync(join(REPO, 'test/fixtures/vision-flan-205/vision-flan-205.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => String(JSON.parse(l).task_name).split('+')[0]),
    );
    assert.equal(report.datasets[1].labels['task_name~+'].values, families.size);
    // The same set through the built-in spec (labels read from the raw lines): the same figures, seed by seed.
    const builtIn = run('capabilities', ['--only', 'vision-flan-205']).datasets[0];
    const def = (d: any) => d.variants.find((v: any) => v.isDefault).perSeed;
    assert.deepEqual(
      def(report.datasets[1]).map((p: any) => [p.K, p.scores['task_name~+']]),
      def(builtIn).map((p: any) => [p.K, p.scores['task family']]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench:capabilities --dataset: a label the file does not have, or --labels without its --dataset, exits 2 and says why', () => {
  for (const [args, message] of [
    [
      ['--dataset', 'test/fixtures/parquet/owleval-40.zstd.parquet', '--labels', 'turns'],
      /no label field "turns" \(label fields found: ability, model\)/,
    ],
    [['--dataset', 'test/fixtures/parquet/owleval-40.zstd.parquet', '--labels', 'model'], /"model" has 1 distinct value/],
    [['--labels', 'ability'], /--labels follows the --dataset it belongs to/],
    [['--dataset', 'test/fixtures/owleval/owleval.jsonl'], /No --labels for/],
    [['--dataset', 'nowhere.jsonl', '--labels', 'a'], /Missing dataset file\(s\): .*nowhere\.jsonl/],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/capabilities.ts', ...args], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('bench:capabilityAblation --smoke: every arm scored at auto and forced K, the default arm is the shipped discovery', () => {
  const report = run('capabilityAblation');
  assert.deepEqual(
    report.datasets.map((d: { name: string }) => d.name),
    ['owleval'],
  );
  const d = report.datasets[0];
  const factors = new Set(d.arms.map((a: { factor: string }) => a.factor));
  for (const f of ['default', 'sketch', 'ensemble', 'layers', 'centring', 'graph', 'merge', 'groups']) assert.ok(factors.has(f), f);
  assert.equal(d.arms[0].factor, 'default');
  assert.equal(d.arms[0].matchesShipped, true);
  for (const a of d.arms) {
    for (const run of [a.auto, a.forced]) {
      assert.equal(run.K.length, 2, a.name);
      for (const l of Object.keys(d.labels)) {
        assert.ok(run[l].nmi >= 0 && run[l].nmi <= 1, `${a.name} ${l}`);
        assert.ok(run[l].ari >= -1 && run[l].ari <= 1);
      }
      assert.ok(run.stability >= -1 && run.stability <= 1);
    }
    // Forced K is the number of values of the first label (owleval's ability), for every arm.
    assert.ok(
      a.forced.K.every((k: number) => k === a.forced.k),
      a.name,
    );
  }
  // The arms change what they say: the text-group counts differ.
  assert.ok(new Set(d.arms.map((a: { groups: number }) => a.groups)).size >= 3);
});
