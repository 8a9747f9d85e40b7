// Issue 16: the same pool as JSONL, as one JSON array (the llava_v1_5_mix665k.json shape) and as
// Parquet shards with embedded images — time, peak RSS (per format: issue 14's and 16's memory goals),
// the curate's stage timings and the load average, each run in a fresh child process:
//   read     readDataset alone (the streaming reader: JSONL lines, JSON-array elements, row groups)
//   curate   the whole `cadc curate` (dist/cli.js; no cache)
// The pools are built by replicating llava-eval-pool (bench/data.ts: an argument or $CADC_BENCH_DATA)
// in a temporary folder (removed afterwards): each copy of a row gets a new id. One row in
// `imageEvery` gets a real image (the vision-flan fixture's JPEGs, cycled): a file beside the JSONL/JSON
// pools, the same bytes embedded in the Parquet rows (hyparquet-writer, snappy, shards of 50,000
// rows in row groups of 5,000). Results: bench/results/formats.json.
// Run: npm run bench:formats --, or npx tsx bench/formats.ts [pool.jsonl] [--read-rows 665000]
//      [--curate-rows 45000] [--smoke]   (--smoke: 2,000 rows of the in-repo fixture, nothing written)
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { benchDataset, datasetLabel, REPO, runBench } from './data';
import { publishReport } from './results';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const smoke = process.argv.includes('--smoke');
const positional = process.argv
  .slice(2)
  .find((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--') && all[i - 1] !== '--smoke'));
const READ_ROWS = Number(arg('--read-rows') ?? (smoke ? 2000 : 665_000));
const CURATE_ROWS = Number(arg('--curate-rows') ?? (smoke ? 2000 : 45_000));
const IMAGE_EVERY = Number(arg('--image-every') ?? 20);
const SHARD_ROWS = 50_000;
const GROUP_ROWS = 5_000;

interface Row {
  id: string;
  conversations: { from: string; value: string }[];
  [k: string]: unknown;
}

export function sourceRows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
}

function images(): { name: string; bytes: Buffer }[] {
  const dir = join(REPO, 'test/fixtures/vision-flan-205/images');
  return readdirSync(dir)
    .sort()
    .slice(0, 64)
    .map((n, k) => ({ name: `img${k}.jpg`, bytes: readFileSync(join(dir, n)) }));
}

/** Row i of the replicated pool: a fresh id per copy; one row in IMAGE_EVERY names a real image. */
function rowAt(src: Row[], imgs: { name: string }[], i: number): Row {
  const base = src[i % src.length];
  const copy = Math.floor(i / src.length);
  const r: Row = { ...base, id: copy === 0 ? String(base.id) : `${base.id}-r${copy}` };
  delete r.image;
  if (i % IMAGE_EVERY === 0) r.image = `images/${imgs[(i / IMAGE_EVERY) % imgs.length].name}`;
  return r;
}

async function writeText(file: string, n: number, each: (i: number) => string, head = '', sep = '', tail = ''): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write(head);
  for (let i = 0; i < n; i++) await write((i > 0 ? sep : '') + each(i));
  await write(tail);
  await new Promise<void>((r) => out.end(r));
}

export async function buildPools(dir: string, src: Row[], n: number): Promise<{ jsonl: string; array: string; parquet: string }> {
  const imgs = images();
  mkdirSync(join(dir, 'images'), { recursive: true });
  for (const im of imgs) writeFileSync(join(dir, 'images', im.name), im.bytes);
  const jsonl = join(dir, `pool-${n}.jsonl`);
  await writeText(jsonl, n, (i) => `${JSON.stringify(rowAt(src, imgs, i))}\n`);
  // The LLaVA mix665k layout: one array, each element indented over several lines.
  const array = join(dir, `pool-${n}.json`);
  await writeText(
    array,
    n,
    (i) =>
      JSON.stringify(rowAt(src, imgs, i), null, 2)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    '[\n',
    ',\n',
    '\n]\n',
  );
  const parquet = join(dir, `pool-${n}-parquet`);
  mkdirSync(parquet);
  const str = (name: string) => ({
    name,
    type: 'BYTE_ARRAY' as const,
    converted_type: 'UTF8' as const,
    repetition_type: 'OPTIONAL' as const,
  });
  const schema = [
    { name: 'root', num_children: 5 },
    str('id'),
    { name: 'conversations', repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL' as const, num_children: 2 },
    str('from'),
    str('value'),
    { name: 'image', repetition_type: 'OPTIONAL' as const, num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY' as const, repetition_type: 'OPTIONAL' as const },
    str('path'),
    str('source'),
    str('category'),
  ];
  const byName = new Map(imgs.map((im) => [`images/${im.name}`, im.bytes]));
  const shards = Math.ceil(n / SHARD_ROWS);
  for (let s = 0; s < shards; s++) {
    const rows: Row[] = [];
    for (let i = s * SHARD_ROWS; i < Math.min(n, (s + 1) * SHARD_ROWS); i++) rows.push(rowAt(src, imgs, i));
    const buf = parquetWriteBuffer({
      schema,
      rowGroupSize: GROUP_ROWS,
      columnData: [
        { name: 'id', data: rows.map((r) => r.id) },
        { name: 'conversations', data: rows.map((r) => r.conversations) },
        {
          name: 'image',
          data: rows.map((r) => (typeof r.image === 'string' ? { bytes: new Uint8Array(byName.get(r.image)!), path: r.image } : null)),
        },
        { name: 'source', data: rows.map((r) => (typeof r.source === 'string' ? r.source : null)) },
        { name: 'category', data: rows.map((r) => (typeof r.category === 'string' ? r.category : null)) },
      ],
    });
    writeFileSync(join(parquet, `train-${String(s).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.parquet`), new Uint8Array(buf));
  }
  return { jsonl, array, parquet };
}

function bytesOf(p: string): number {
  const st = statSync(p);
  return st.isDirectory() ? readdirSync(p).reduce((a, n) => a + statSync(join(p, n)).size, 0) : st.size;
}

interface Measure {
  seconds: number;
  /** CPU time of the child (user + system, all threads): steadier than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMB: number;
  samples: number;
  /** The curate's own stage timings (ms). */
  stagesMs?: Record<string, number>;
}

/** readDataset in a fresh Node (tsx): wall time of the read and the child's peak RSS. */
function measureRead(file: string): Measure {
  const script = `
    const { readDataset } = require(${JSON.stringify(join(REPO, 'src/core/dataset/reader.ts'))});
    const t0 = process.hrtime.bigint();
    let n = 0;
    readDataset(${JSON.stringify(file)}, { checkImages: true }, () => { n++; }).then((s) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const u = process.resourceUsage();
      console.log(JSON.stringify({ seconds, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, peakRssMB: u.maxRSS / 1024, samples: n, records: s.records }));
    });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', cwd: REPO, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`read ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

/** What runs `cadc curate`: the built dist/cli.js when there is one, else src/cli/main.ts through tsx. */
const CLI_BUNDLE = join(REPO, 'dist/cli.js');
const curateRunner = existsSync(CLI_BUNDLE) ? 'dist/cli.js' : 'src/cli/main.ts (tsx)';

/** `cadc curate` in a fresh Node: wall time (from the call of main) and peak RSS. */
function measureCurate(file: string, out: string): Measure {
  const entry = existsSync(CLI_BUNDLE) ? CLI_BUNDLE : join(REPO, 'src/cli/main.ts');
  const script = `
    const { main } = require(${JSON.stringify(entry)});
    const t0 = process.hrtime.bigint();
    main(['curate', ${JSON.stringify(file)}, '--budget', '5%', '--out', ${JSON.stringify(out)}, '--no-cache', '--quiet', '--force', '--json']).then((code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const u = process.resourceUsage();
      process.stderr.write(JSON.stringify({ code, seconds, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, peakRssMB: u.maxRSS / 1024 }) + '\\n');
    });`;
  const node = existsSync(CLI_BUNDLE) ? ['-e', script] : ['--import', 'tsx', '-e', script];
  const r = spawnSync(process.execPath, node, { encoding: 'utf8', cwd: REPO, maxBuffer: 1 << 28 });
  const line = r.stderr.trim().split('\n').pop() ?? '';
  const m = JSON.parse(line) as Measure & { code: number };
  if (m.code !== 0) throw new Error(`curate ${file} exited ${m.code}: ${r.stderr.slice(0, 400)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: number; timingsMs?: Record<string, number> };
  return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, peakRssMB: m.peakRssMB, samples: result.samples, stagesMs: result.timingsMs };
}

const round = (m: Measure) => ({
  seconds: +m.seconds.toFixed(2),
  cpuSeconds: +m.cpuSeconds.toFixed(2),
  peakRssMB: Math.round(m.peakRssMB),
  samples: m.samples,
  ...(m.stagesMs ? { stagesMs: m.stagesMs } : {}),
});
const load = () => loadavg().map((x) => +x.toFixed(2));

async function main(): Promise<void> {
  const source = benchDataset(positional, smoke);
  const src = sourceRows(source);
  const dir = mkdtempSync(join(tmpdir(), 'cadc-formats-'));
  try {
    const phases: Record<string, unknown> = {};
    for (const [phase, n] of [
      ['read', READ_ROWS],
      ['curate', CURATE_ROWS],
    ] as const) {
      const sub = join(dir, phase);
      mkdirSync(sub);
      const t0 = Date.now();
      const pools = await buildPools(sub, src, n);
      const built = (Date.now() - t0) / 1000;
      const rows: Record<string, unknown> = {};
      for (const [name, file] of Object.entries(pools)) {
        // The load average beside every timing: other work on the machine makes wall times noisy.
        const before = load();
        const m = phase === 'read' ? measureRead(file) : measureCurate(file, join(sub, `out-${name}`));
        rows[name] = { bytes: bytesOf(file), ...round(m), loadavg: { before, after: load() } };
        process.stderr.write(`formats: ${phase} ${n} ${name}: ${JSON.stringify(rows[name])}\n`);
      }
      const j = rows.jsonl as { seconds: number; cpuSeconds: number };
      const ratio = (k: 'seconds' | 'cpuSeconds', f: string) => +((rows[f] as Record<string, number>)[k] / j[k]).toFixed(3);
      phases[phase] = {
        rows: n,
        buildSeconds: +built.toFixed(1),
        pools: rows,
        timeVsJsonl: { array: ratio('seconds', 'array'), parquet: ratio('seconds', 'parquet') },
        cpuVsJsonl: { array: ratio('cpuSeconds', 'array'), parquet: ratio('cpuSeconds', 'parquet') },
      };
      rmSync(sub, { recursive: true, force: true });
    }
    publishReport(
      'formats',
      {
        benchmark: 'formats',
        dataset: datasetLabel(source),
        curateRunner,
        replication: `rows of the source cycled, a new id per copy; one row in ${IMAGE_EVERY} names one of 64 real JPEGs (files for JSONL/JSON, embedded bytes for Parquet)`,
        parquet: `hyparquet-writer, snappy, shards of ${SHARD_ROWS} rows, row groups of ${GROUP_ROWS}`,
        machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => +x.toFixed(2)), node: process.version },
        date: new Date().toISOString(),
        ...phases,
      },
      smoke,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runBench(main);
