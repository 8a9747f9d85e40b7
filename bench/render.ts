// Renders bench/results/*.json into SVG charts and the Markdown tables the README quotes
// (bench/results/tables.md). Every number comes from a results file; a missing file only skips its
// charts and tables. The quality section: renderQuality.ts; the capabilities section: renderCapabilities.ts.
// Run: npx tsx bench/render.ts [--in bench/results] [--out bench/results] [--smoke]
// (--smoke writes into a temp folder and prints what it wrote.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { barChart, grid, lineChart, PALETTE, single } from './plot';
import type { Chart, Series } from './plot';
import { capabilities } from './renderCapabilities';
import { quality } from './renderQuality';
import { int, loadLine, num, sign, table } from './renderText';
import type { Json } from './renderText';

const REPO = resolve(__dirname, '..');
const STAGES = ['featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select'] as const;
const STAGE_COLORS: Record<string, string> = {
  featurise: PALETTE[0],
  'warm-up': PALETTE[1],
  trajectories: PALETTE[2],
  capabilities: PALETTE[3],
  influence: PALETTE[4],
  select: PALETTE[5],
  read: PALETTE[6],
  total: '#000000',
};

function load(dir: string, name: string): Json | undefined {
  const p = join(dir, `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : undefined;
}

// ---------------------------------------------------------------- perf
function perf(j: Json, out: Map<string, string>, md: string[]): void {
  const rs: Json[] = j.results;
  const x = rs.map((r) => r.samples);
  const time = lineChart({
    title: 'Wall time vs pool size (log-log)',
    xLabel: 'pool size (samples)',
    yLabel: 'seconds',
    xLog: true,
    yLog: true,
    xTicks: x,
    series: [
      { name: 'first run', points: rs.map((r) => [r.samples, r.wallSeconds]), labels: true },
      { name: 're-run (cache hit)', points: rs.map((r) => [r.samples, r.cacheHitRerunSeconds]), dashed: true, labels: true },
    ],
    note: 'Pools above 45,480 replicate llava-eval-pool with a suffix token per question. Text-only (images not on disk).',
  });
  const mem = lineChart({
    title: 'Peak RSS vs pool size (log-log)',
    xLabel: 'pool size (samples)',
    yLabel: 'peak RSS (MB)',
    xLog: true,
    yLog: true,
    xTicks: x,
    series: [
      { name: 'peak RSS (one run)', points: rs.map((r) => [r.samples, r.peakRssMB]), labels: true, color: PALETTE[1] },
      {
        name: 'trajectories (n × bytes/sample)',
        points: rs.map((r) => [r.samples, (r.samples * r.trajectoryBytesPerSample) / 1e6]),
        dashed: true,
        labels: true,
        color: PALETTE[2],
      },
    ],
  });
  out.set('perf-scaling.svg', grid([time, mem], 2));
  const stages = barChart({
    title: 'Where the time goes: share of each stage (first run)',
    categories: rs.map((r) => `${int(r.samples)} samples`),
    series: [
      { name: 'read + hash', color: STAGE_COLORS.read, values: rs.map((r) => (100 * (r.stagesMs.read ?? 0)) / r.stagesMs.total) },
      ...STAGES.map((s) => ({ name: s, color: STAGE_COLORS[s], values: rs.map((r) => (100 * (r.stagesMs[s] ?? 0)) / r.stagesMs.total) })),
      {
        name: 'other (cache writes)',
        color: '#cccccc',
        values: rs.map(
          (r) =>
            (100 * Math.max(0, r.stagesMs.total - ['read', ...STAGES].reduce((a, s) => a + (r.stagesMs[s] ?? 0), 0))) / r.stagesMs.total,
        ),
      },
    ],
    stacked: true,
    yMax: 100,
    valueLabels: true,
    yLabel: '% of pipeline time',
    totals: rs.map((r) => `${num(r.stagesMs.total / 1000, 1)} s`),
    yTickFormat: (v) => `${Math.round(v)}`,
  });
  out.set('perf-stages.svg', single(stages));
  md.push('## Speed and memory (`npm run bench:perf` → `perf.json`)', '', loadLine(j), '');
  if (j.labels) md.push(`Label fields: ${j.labels}.`, '');
  md.push(
    table(
      [
        'pool',
        'wall time',
        'samples/s',
        'featurise',
        'warm-up',
        'trajectories',
        'capabilities (share of run)',
        'influence + select',
        're-run (cache hit)',
        'peak RSS (one run)',
        'peak RSS, re-run loaded too',
      ],
      rs.map((r) => [
        `${int(r.samples)}${r.replicated ? ' (replicated)' : ' (real)'}`,
        `${num(r.wallSeconds, 2)} s`,
        int(r.samplesPerSecond),
        `${num(r.stagesMs.featurise / 1000)} s`,
        `${num(r.stagesMs['warm-up'] / 1000)} s`,
        `${num(r.stagesMs.trajectories / 1000)} s`,
        `${num(r.stagesMs.capabilities / 1000)} s (${num((100 * r.stagesMs.capabilities) / r.stagesMs.total, 1)}%)`,
        `${num((r.stagesMs.influence + r.stagesMs.select) / 1000)} s`,
        `${num(r.cacheHitRerunSeconds, 2)} s`,
        `${int(r.peakRssMB)} MB`,
        r.peakRssWithRerunMB === undefined ? '—' : `${int(r.peakRssWithRerunMB)} MB`,
      ]),
    ),
    '',
  );
  const hv = rs.filter((r) => r.hover);
  if (hv.length) {
    md.push('### Hover and decoration lookups (sql.js attribution table, `AttributionTable.at`)', '');
    md.push(
      table(
        ['pool', 'table file', 'open table', 'hover: one line p50 / p99 / max', 'visible window (60 + 2×50 margin lines) p50 / p99 / max'],
        hv.map((r) => [
          int(r.samples),
          r.hover.tableFileMB === undefined ? '—' : `${num(r.hover.tableFileMB)} MB`,
          `${num(r.hover.openMs)} ms`,
          `${num(r.hover.singleLine.p50)} / ${num(r.hover.singleLine.p99)} / ${num(r.hover.singleLine.max)} µs`,
          `${num(r.hover.visibleWindow.p50, 2)} / ${num(r.hover.visibleWindow.p99, 2)} / ${num(r.hover.visibleWindow.max, 2)} ms`,
        ]),
      ),
      '',
      `${hv[0].hover.singleLine.lookups.toLocaleString('en-US')} random single-line lookups and ${hv[0].hover.visibleWindow.windows.toLocaleString('en-US')} random windows per pool.`,
      '',
    );
    const pv = rs.filter((r) => r.previews);
    if (pv.length) {
      md.push('### Capability Map previews read from disk (sparse line index, `src/core/dataset/lineIndex.ts`)', '');
      md.push(
        table(
          ['pool', 'index build (once per file)', 'index entries', 'page of 100 random lines p50 / p99 / max'],
          pv.map((r) => [
            int(r.samples),
            `${int(r.previews.indexBuildMs)} ms`,
            int(r.previews.indexEntries),
            `${num(r.previews.page.p50, 2)} / ${num(r.previews.page.p99, 2)} / ${num(r.previews.page.max, 2)} ms`,
          ]),
        ),
        '',
        `${pv[0].previews.page.pages} pages of ${pv[0].previews.page.rowsPerPage} random lines per pool (the table sorted by influence jumps anywhere in the file).`,
        '',
      );
    }
    const hov = barChart({
      title: 'Hover lookup latency (one line, AttributionTable.at)',
      categories: hv.map((r) => `${int(r.samples)} lines`),
      series: [
        { name: 'p50', values: hv.map((r) => r.hover.singleLine.p50) },
        { name: 'p99', values: hv.map((r) => r.hover.singleLine.p99) },
      ],
      yLabel: 'µs',
      valueLabels: true,
      width: 560,
    });
    const win = barChart({
      title: 'Visible-range decoration (160 lookups)',
      categories: hv.map((r) => `${int(r.samples)} lines`),
      series: [
        { name: 'p50', values: hv.map((r) => r.hover.visibleWindow.p50) },
        { name: 'p99', values: hv.map((r) => r.hover.visibleWindow.p99) },
      ],
      yLabel: 'ms',
      valueLabels: true,
      width: 560,
    });
    const open = barChart({
      title: 'Opening the attribution table',
      categories: hv.map((r) => `${int(r.samples)} lines`),
      series: [{ name: 'open', values: hv.map((r) => r.hover.openMs), color: PALETTE[2] }],
      yLabel: 'ms',
      valueLabels: true,
      width: 560,
    });
    out.set('hover-latency.svg', grid([hov, win, open], 3));
  }
}

// ---------------------------------------------------------------- gemm
function gemm(j: Json, out: Map<string, string>, md: string[]): void {
  const rows: Json[] = j.rows;
  const pk = j.fmaPeak;
  const hl: { y: number; label: string; color?: string }[] = [];
  if (pk?.ok) {
    hl.push({ y: pk.avx2Fma.threads2, label: `AVX2 FMA peak, 2 threads: ${num(pk.avx2Fma.threads2)}`, color: '#444' });
    if (pk.avx512Fma)
      hl.push({ y: pk.avx512Fma.threads2, label: `AVX-512 FMA peak, 2 threads: ${num(pk.avx512Fma.threads2)}`, color: '#a00' });
  }
  const c = barChart({
    title: 'GEMM throughput vs this machine’s measured peak (float32)',
    categories: rows.map((r) => `${r.shape} ${r.role}`),
    series: [
      { name: 'ORT 1 thread', values: rows.map((r) => r.ort1Thread), color: '#9ecae1' },
      { name: 'ORT 2 threads', values: rows.map((r) => r.ort2Threads), color: PALETTE[0] },
      { name: 'numpy 1 thread', values: rows.map((r) => r.numpy1Thread ?? null), color: '#fdae6b' },
      { name: 'numpy 2 threads', values: rows.map((r) => r.numpy2Threads ?? null), color: PALETTE[1] },
    ],
    yLabel: 'GFLOP/s',
    valueLabels: true,
    hlines: hl,
    width: 900,
    height: 460,
    note: pk?.ok
      ? `Peak: register-resident FMA loop compiled with ${pk.compiler} ${pk.flags}; 1-thread AVX2 ${num(pk.avx2Fma.thread1)}${pk.avx512Fma ? `, AVX-512 ${num(pk.avx512Fma.thread1)}` : ''} GFLOP/s.`
      : `FMA peak not measured: ${pk?.error ?? 'unknown'}`,
  });
  out.set('gemm.svg', single(c));
  md.push('## GEMM throughput (`npm run bench:gemm` → `gemm.json`), GFLOP/s', '', loadLine(j), '');
  md.push(
    table(
      [
        'shape',
        'ORT 1 thread',
        'ORT 2 threads',
        'numpy 1 thread',
        'numpy 2 threads',
        'naive JS',
        'ORT ÷ numpy (1 / 2 threads)',
        'ORT ÷ AVX2 FMA peak (1 / 2)',
        'ORT ÷ AVX-512 FMA peak (1 / 2)',
      ],
      rows.map((r) => [
        `${r.shape} (${r.role})`,
        num(r.ort1Thread),
        num(r.ort2Threads),
        r.numpy1Thread === null ? '—' : num(r.numpy1Thread),
        r.numpy2Threads === null ? '—' : num(r.numpy2Threads),
        num(r.naiveJs, 2),
        `${r.ortOverNumpy.thread1 ?? '—'} / ${r.ortOverNumpy.threads2 ?? '—'}`,
        `${r.ortOverAvx2FmaPeak.thread1 ?? '—'} / ${r.ortOverAvx2FmaPeak.threads2 ?? '—'}`,
        `${r.ortOverAvx512FmaPeak.thread1 ?? '—'} / ${r.ortOverAvx512FmaPeak.threads2 ?? '—'}`,
      ]),
    ),
    '',
  );
  if (pk?.ok)
    md.push(
      `Measured FMA peak (register-resident loop, ${pk.compiler}, \`${pk.flags}\`): AVX2 ${num(pk.avx2Fma.thread1)} GFLOP/s on 1 thread, ${num(pk.avx2Fma.threads2)} on 2${pk.avx512Fma ? `; AVX-512 ${num(pk.avx512Fma.thread1)} on 1, ${num(pk.avx512Fma.threads2)} on 2` : ''}. numpy: ${j.numpy?.version ?? '?'} with ${j.numpy?.blas ?? '?'}.`,
      '',
    );
  else md.push(`FMA peak not measured: ${pk?.error ?? 'no result'}.`, '');
}

// ---------------------------------------------------------------- scaling
const KNOB_LABEL: Record<string, string> = {
  n: 'pool size n (samples)',
  T: 'checkpoints T',
  d: 'projection dim d (gradients.projectionDim)',
  K: 'forced capabilities K (capabilities.k)',
};

function scaling(j: Json, out: Map<string, string>, md: string[]): void {
  const pts: Json[] = j.points;
  const charts: Chart[] = [];
  for (const knob of ['n', 'T', 'd', 'K']) {
    const ps = pts.filter((p) => p.knob === knob).sort((a, b) => a.value - b.value);
    if (ps.length < 2) continue;
    const stages = ['total', 'featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select'];
    const series: Series[] = stages.map((s) => ({
      name: s,
      color: STAGE_COLORS[s],
      dashed: s === 'total',
      points: ps.map((p) => [p.value, Math.max(1, p.stagesMs[s])] as [number, number]),
    }));
    const fit = j.fits?.[knob];
    const expo = fit
      ? stages
          .filter((s) => fit[s])
          .map((s) => `${s} ${fit[s].power.exponent.toFixed(2)}`)
          .join(', ')
      : '';
    charts.push(
      lineChart({
        title: `Cost vs ${KNOB_LABEL[knob]}`,
        xLabel: KNOB_LABEL[knob],
        yLabel: 'ms (log)',
        xLog: true,
        yLog: true,
        xTicks: ps.map((p) => p.value),
        series,
        width: 640,
        height: 400,
        note:
          `Log-log slopes (cost ∝ x^p): ${expo}. Bytes/sample: ${ps.map((p) => int(p.trajectoryBytesPerSample)).join(' → ')}.` +
          (knob === 'n' && fit
            ? ` Linear fit: total ≈ ${num(fit.total.linear.intercept / 1000, 2)} s + ${num(fit.total.linear.slope * 1000, 0)} µs × n (R² ${fit.total.linear.r2.toFixed(3)}); slopes < 1 above come from fixed costs.`
            : '') +
          (knob === 'K' ? ` K found: ${ps.map((p) => p.capabilitiesFound).join(', ')}.` : ''),
      }),
    );
  }
  if (charts.length)
    out.set('scaling.svg', grid(charts, 2, `Scaling on ${j.dataset.split('/').pop()} (${int(j.samples)} rows), one knob at a time`));
  md.push('## Scaling (`npm run bench:scaling` → `scaling.json`)', '', loadLine(j), '', j.method, '');
  md.push(
    table(
      [
        'knob',
        'value',
        'n',
        'featurise',
        'warm-up',
        'trajectories',
        'capabilities',
        'influence',
        'select',
        'total',
        'bytes/sample',
        'trajectories (MB)',
        'K found',
      ],
      [...pts]
        .sort((a, b) => 'nTdK'.indexOf(a.knob) - 'nTdK'.indexOf(b.knob) || a.value - b.value)
        .map((p) => [
          p.knob,
          p.value,
          int(p.samples),
          ...['featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total'].map(
            (s) => `${int(p.stagesMs[s])} ms`,
          ),
          int(p.trajectoryBytesPerSample),
          num(p.trajectoryMB),
          p.capabilitiesFound,
        ]),
    ),
    '',
    'Fitted growth, power-law exponent p of cost ∝ x^p (R² in brackets):',
    '',
  );
  const fitRows: (string | number)[][] = [];
  for (const knob of ['n', 'T', 'd', 'K']) {
    const fit = j.fits?.[knob];
    if (!fit) continue;
    const cell = (s: string) => (fit[s] ? `${fit[s].power.exponent.toFixed(2)} (${fit[s].power.r2.toFixed(2)})` : '—');
    fitRows.push([
      knob,
      ...['featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total', 'trajectoryBytesPerSample'].map(cell),
    ]);
  }
  md.push(
    table(['knob', 'featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total', 'bytes/sample'], fitRows),
    '',
  );
  const lin: (string | number)[][] = [];
  for (const [knob, unit, scaleBy] of [
    ['n', 'ms per 1,000 samples', 1000],
    ['T', 'ms per checkpoint', 1],
    ['d', 'ms per unit of d', 1],
    ['K', 'ms per capability', 1],
  ] as const) {
    const fit = j.fits?.[knob];
    if (!fit) continue;
    lin.push([
      `${knob} (${unit})`,
      ...['featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total'].map(
        (s) =>
          `${sign(fit[s].linear.slope * scaleBy, 1)} (${fit[s].linear.intercept < 0 ? '−' : '+'}${int(Math.abs(fit[s].linear.intercept))}; R² ${fit[s].linear.r2.toFixed(2)})`,
      ),
    ]);
  }
  md.push(
    'Straight-line fits, slope (+ intercept in ms; R²):',
    '',
    table(['knob', 'featurise', 'warm-up', 'trajectories', 'capabilities', 'influence', 'select', 'total'], lin),
    '',
  );
  const g = j.gpuCrossover;
  if (g?.models) {
    md.push(
      '### When to bring gradients from a GPU job',
      '',
      `Measured: CPU GEMM ${num(g.measured.cpuGemmGflops)} GFLOP/s (${g.measured.cpuGemmSource}); FMA peak ${num(g.measured.cpuFmaPeakGflops)} GFLOP/s; our proxy computes ${int(g.measured.proxySampleCheckpointsPerSecond ?? 0)} sample-checkpoints/s. Assumed: ${g.assumptions.tokensPerSample} tokens/sample, ${g.assumptions.flopsPerSampleGradient}; GPU ${g.assumptions.gpu}.`,
      '',
      table(
        [
          'model',
          'GFLOP per sample per checkpoint',
          'CPU s per sample-checkpoint',
          'sample-checkpoints per CPU hour',
          '45K × T=4 on this CPU',
          '665K × T=4 on this CPU',
          '45K × T=4 on one A100',
          '665K × T=4 on one A100',
        ],
        g.models.map((m: Json) => [
          m.model,
          int(m.gflopsPerSampleCheckpoint),
          num(m.cpuSecondsPerSampleCheckpoint, 2),
          int(m.sampleCheckpointsPerCpuHour),
          `${num(m.cpuDays45kT4)} days`,
          `${num(m.cpuDays665kT4)} days`,
          `${num(m.gpuHours45kT4)} h`,
          `${num(m.gpuHours665kT4)} h`,
        ]),
      ),
      '',
    );
  }
}

// ---------------------------------------------------------------- sample map layout
function layout(j: Json, _out: Map<string, string>, md: string[]): void {
  md.push('## Sample map layout (`npm run bench:layout` → `layout.json`)', '', loadLine(j), '');
  md.push(
    `${j.dataset}: ${int(j.samples)} samples (curated in ${num(j.curateMs / 1000)} s). The map draws ${int(j.defaultPoints)} points by default: ${j.method}.`,
    '',
  );
  md.push(
    table(
      ['points', 'input dims', 'subsample', 'read rows + kNN', 'UMAP', 'total (first open)', 'read from the cache', 'RSS Δ'],
      (j.results as Json[]).map((r) => [
        int(r.points),
        int(r.dims),
        `${int(r.subsampleMs)} ms`,
        `${int(r.readAndKnnMs)} ms`,
        `${num(r.umapMs / 1000)} s`,
        `${num(r.coldMs / 1000)} s`,
        `${int(r.cachedMs)} ms`,
        `${int(r.rssDeltaMB)} MB`,
      ]),
    ),
    '',
  );
}

function main(): void {
  const a = process.argv.slice(2);
  const smoke = a.includes('--smoke');
  const get = (k: string) => (a.indexOf(k) >= 0 ? a[a.indexOf(k) + 1] : undefined);
  const inDir = resolve(get('--in') ?? join(REPO, 'bench/results'));
  const outDir = smoke ? mkdtempSync(join(tmpdir(), 'cadc-render-')) : resolve(get('--out') ?? inDir);
  mkdirSync(outDir, { recursive: true });
  const svgs = new Map<string, string>();
  const md: string[] = [
    '# Benchmark tables',
    '',
    'Generated by `npm run bench:render` from `bench/results/*.json`; do not edit by hand.',
    '',
  ];
  const found: string[] = [];
  for (const [name, fn] of [
    ['perf', perf],
    ['gemm', gemm],
    ['scaling', scaling],
    ['quality', quality],
    ['capabilities', capabilities],
    ['layout', layout],
  ] as const) {
    const j = load(inDir, name);
    if (!j) continue;
    found.push(name);
    fn(j, svgs, md);
  }
  for (const [file, svg] of svgs) writeFileSync(join(outDir, file), svg);
  writeFileSync(join(outDir, 'tables.md'), `${md.join('\n').replace(/\n{3,}/g, '\n\n')}\n`);
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'render', inputs: found, outDir, svgs: [...svgs.keys()], tables: join(outDir, 'tables.md') })}\n`,
  );
}

main();
