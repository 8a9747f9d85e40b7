// The labelled datasets the capability benchmarks score against (bench/capabilities.ts and
// bench/capabilityAblation.ts): llava-eval-pool by `source` and `category`, owleval by `ability` and `turns`,
// vision-flan-205 by the task family (the dataset part of `task_name`), the demo by where each row comes
// from. Labels are read from the file by the pool's line numbers; they never reach the discovery.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { resolveConfig } from '../src/core/config';
import type { CurationConfig } from '../src/core/config';
import { buildPool } from '../src/core/features/pool';
import type { Pool } from '../src/core/features/types';
import { computeTrajectories } from '../src/core/gradients/trajectories';
import type { Trajectories } from '../src/core/gradients/types';
import { warmUp } from '../src/core/proxy/warmup';
import { Rng } from '../src/core/util/rng';
import { ari, nmi } from '../src/core/util/stats';
import { BenchDataError, DATA_ENV, REPO } from './data';
import { publishReport, RESULTS_DIR } from './results';

type Row = Record<string, unknown>;
export interface DatasetSpec {
  name: string;
  file: string;
  /** Labels computed from each raw JSONL record (the built-in sets). */
  labels?: Record<string, (r: Row) => string | undefined>;
  /**
   * Labels from the parsed pool's own label columns, so any format the reader takes (JSONL, a JSON
   * array, Parquet) works: `field`, or `field~SEP` for the part of each value before SEP (vision-flan's
   * task family is `task_name~+`). A dataset given on the command line (--dataset FILE --labels a,b).
   */
  columns?: string[];
}

const listText = (v: unknown) => (Array.isArray(v) ? v.map(String).join(',') : v === undefined || v === null ? undefined : String(v));

export function datasets(folder: string, smoke: boolean): DatasetSpec[] {
  const at = (name: string) => join(folder, name, `${name}.jsonl`);
  const specs: DatasetSpec[] = [
    {
      name: 'llava-eval-pool',
      file: at('llava-eval-pool'),
      labels: { source: (r) => listText(r.source), category: (r) => listText(r.category) },
    },
    { name: 'owleval', file: at('owleval'), labels: { ability: (r) => listText(r.ability), turns: (r) => listText(r.turns) } },
    {
      name: 'vision-flan-205',
      file: at('vision-flan-205'),
      labels: { 'task family': (r) => (typeof r.task_name === 'string' ? r.task_name.split('+')[0] : undefined) },
    },
    {
      name: 'demo',
      file: join(REPO, 'demo/demo.jsonl'),
      labels: {
        origin: (r) =>
          typeof r.source === 'string' ? `llava:${r.source}` : r.task_name ? 'vision-flan' : r.ability ? 'owleval' : undefined,
      },
    },
  ];
  return specs.filter((d) => !smoke || d.name !== 'demo' || existsSync(d.file));
}

/** Per-label codes of a dataset's rows (by the pool's line numbers), -1 where a row has no value. */
export function labelCodes(pool: Pool, file: string, spec: DatasetSpec): Record<string, { values: string[]; codes: Int32Array }> {
  if (spec.columns) return columnCodes(pool, spec);
  const lines = readFileSync(file, 'utf8').split('\n');
  const rows = Array.from(pool.lines, (line) => JSON.parse(lines[line - 1]) as Row);
  const out: Record<string, { values: string[]; codes: Int32Array }> = {};
  for (const [label, get] of Object.entries(spec.labels ?? {})) out[label] = codesOf(pool.n, (i) => get(rows[i]));
  return out;
}

/** Per row the code of its value (first-seen order), -1 where it has none; the values by code. */
function codesOf(n: number, valueAt: (i: number) => string | undefined): { values: string[]; codes: Int32Array } {
  const index = new Map<string, number>();
  const codes = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const v = valueAt(i);
    if (v === undefined) continue;
    if (!index.has(v)) index.set(v, index.size);
    codes[i] = index.get(v)!;
  }
  return { values: [...index.keys()], codes };
}

/** Codes from the pool's label columns (`field` or `field~SEP`, the part before SEP), re-coded in first-seen order. */
function columnCodes(pool: Pool, spec: DatasetSpec): Record<string, { values: string[]; codes: Int32Array }> {
  const out: Record<string, { values: string[]; codes: Int32Array }> = {};
  for (const label of spec.columns ?? []) {
    const cut = label.indexOf('~');
    const field = cut < 0 ? label : label.slice(0, cut);
    const sep = cut < 0 ? undefined : label.slice(cut + 1);
    const column = pool.labels[field];
    if (!column) {
      const have = Object.keys(pool.labels);
      throw new BenchDataError(
        `${spec.file}: no label field "${field}" (${have.length ? `label fields found: ${have.join(', ')}` : 'the file has no label fields'}). ` +
          'A label field is a record key other than the conversation and image keys, present on at least 5% of the samples, with at most 5,000 distinct values.',
      );
    }
    const coded = codesOf(pool.n, (i) => {
      const c = column.codes[i];
      if (c < 0) return undefined;
      return sep ? column.values[c].split(sep)[0] : column.values[c];
    });
    if (coded.values.length < 2)
      throw new BenchDataError(
        `${spec.file}: the label "${label}" has ${coded.values.length} distinct value(s); scoring against it needs at least 2.`,
      );
    out[label] = coded;
  }
  return out;
}

/**
 * Datasets named on the command line: each `--dataset FILE` with the `--labels a,b` that follows it
 * (any format the reader takes; labels as in DatasetSpec.columns). Named by the file's base name.
 */
export function commandLineDatasets(argv: string[]): DatasetSpec[] {
  const specs: DatasetSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dataset') {
      const file = argv[i + 1];
      if (!file || file.startsWith('--')) throw new BenchDataError('--dataset needs a file: --dataset FILE --labels a,b');
      const name = basename(file)
        .replace(/\.(jsonl|json|parquet)$/i, '')
        .replace(/\.(zstd|snappy|gz)$/i, '');
      specs.push({ name, file: resolve(file), columns: [] });
      i++;
    } else if (argv[i] === '--labels') {
      const last = specs[specs.length - 1];
      if (!last || last.columns!.length)
        throw new BenchDataError('--labels follows the --dataset it belongs to: --dataset FILE --labels a,b');
      last.columns = (argv[i + 1] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      i++;
    }
  }
  const unlabelled = specs.filter((d) => !d.columns!.length).map((d) => d.file);
  if (unlabelled.length) throw new BenchDataError(`No --labels for ${unlabelled.join(', ')}: give --dataset FILE --labels a,b.`);
  requireFiles(specs, '');
  // Two files with one base name (a/x.jsonl, b/x.jsonl) keep apart in the report.
  const seen = new Map<string, number>();
  for (const d of specs) {
    const k = (seen.get(d.name) ?? 0) + 1;
    seen.set(d.name, k);
    if (k > 1) d.name = `${d.name} (${k})`;
  }
  return specs;
}

/** The command line the labelled-data benchmarks share: [folder] [--seeds N] [--only a,b] [--smoke]; `get` reads any other option. */
export interface LabelledArgs {
  /** The folder holding the built-in sets (undefined when datasets are named with --dataset). */
  folder: string | undefined;
  smoke: boolean;
  seeds: number;
  only: string[] | undefined;
  get: (k: string) => string | undefined;
  /** Datasets named with --dataset FILE --labels a,b: only these run. */
  external: DatasetSpec[] | undefined;
  /** Where the report of --dataset runs goes (--out). */
  out: string | undefined;
}

export function labelledArgs(argv: string[]): LabelledArgs {
  const get = (k: string) => (argv.indexOf(k) >= 0 ? argv[argv.indexOf(k) + 1] : undefined);
  const smoke = argv.includes('--smoke');
  const given = argv.find((x, i) => !x.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const seeds = Number(get('--seeds') ?? (smoke ? 2 : 3));
  if (!Number.isInteger(seeds) || seeds < 1) throw new BenchDataError(`--seeds must be a positive integer, got ${get('--seeds')}`);
  const external = commandLineDatasets(argv);
  if (external.length) {
    // Datasets of one's own: only those run, and the report goes to --out (never over bench/results).
    const out = get('--out');
    return { folder: undefined, smoke, seeds, only: undefined, get, external, out: out ? resolve(out) : undefined };
  }
  const folder = given
    ? resolve(given)
    : smoke
      ? join(REPO, 'test/fixtures')
      : process.env[DATA_ENV]
        ? resolve(process.env[DATA_ENV]!)
        : undefined;
  if (!folder)
    throw new BenchDataError(
      `No dataset folder given: pass a folder holding llava-eval-pool/, owleval/ and vision-flan-205/, or set ${DATA_ENV}.`,
    );
  return { folder, smoke, seeds, only: get('--only')?.split(','), get, external: undefined, out: undefined };
}

/** The datasets to run (all, or those named by --only), each file checked to exist. */
function labelledSpecs(folder: string, smoke: boolean, only: string[] | undefined): DatasetSpec[] {
  const specs = datasets(folder, smoke).filter((d) => !only || only.includes(d.name));
  requireFiles(specs, ` Pass a folder holding them or set ${DATA_ENV}.`);
  return specs;
}

/** Stops (BenchDataError) naming the specs' files that do not exist, with `hint` after the list. */
function requireFiles(specs: DatasetSpec[], hint: string): void {
  const missing = specs.filter((d) => !existsSync(d.file)).map((d) => d.file);
  if (missing.length) throw new BenchDataError(`Missing dataset file(s): ${missing.join(', ')}.${hint}`);
}

/**
 * Runs a labelled-data benchmark: each chosen dataset with seeds 42, 43, …, then its report (what ran,
 * on what machine, under what load, how long) printed and, unless --smoke, written to bench/results.
 */
export async function runLabelled<T>(
  benchmark: string,
  method: string,
  args: LabelledArgs,
  runDataset: (spec: DatasetSpec, seeds: number[]) => Promise<T>,
): Promise<T[]> {
  const t0 = performance.now();
  const load0 = loadavg().map((x) => +x.toFixed(2));
  const specs = args.external ?? labelledSpecs(args.folder!, args.smoke, args.only);
  const seeds = Array.from({ length: args.seeds }, (_, i) => 42 + i);
  const datasets: T[] = [];
  for (const spec of specs) datasets.push(await runDataset(spec, seeds));
  const report = {
    benchmark,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    method,
    datasets,
    loadavg: { before: load0, after: loadavg().map((x) => +x.toFixed(2)) },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  if (args.external) {
    // Only where asked (--out), never over the measured results in bench/results.
    if (args.out) mkdirSync(dirname(args.out), { recursive: true });
    if (args.out) writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else publishReport(benchmark, report, args.smoke);
  return datasets;
}

/**
 * Where a benchmark's companion file (a plot, a table) goes: beside --out for datasets named on the
 * command line (x.json → x.svg), bench/results/<name><ext> for the built-in sets, nowhere for a smoke run.
 */
export function companionFile(args: LabelledArgs, name: string, ext: string): string | undefined {
  if (args.external) return args.out ? args.out.replace(/(\.json)?$/i, ext) : undefined;
  return args.smoke ? undefined : join(RESULTS_DIR, `${name}${ext}`);
}

/** A dataset's pool with its label columns removed (labels never reach the discovery), and the labels apart. */
export async function loadLabelled(spec: DatasetSpec): Promise<{ pool: Pool; labels: LabelCodes }> {
  const { pool: labelled } = await buildPool(spec.file, resolveConfig({}), { imageRoot: undefined });
  return { pool: { ...labelled, labels: {} }, labels: labelCodes(labelled, spec.file, spec) };
}

/** Per seed: the proxy's warm-up and the pool's trajectories, as a curation with that seed makes them. */
export async function seedRuns(
  pool: Pool,
  seeds: number[],
  gradients: Partial<CurationConfig['gradients']> = {},
): Promise<{ seed: number; traj: Trajectories; embedding: Float32Array }[]> {
  const runs = [];
  for (const seed of seeds) {
    const cfg = resolveConfig({ seed, gradients });
    const warm = await warmUp(pool, cfg, new Rng(seed).fork('warm-up'));
    runs.push({ seed, traj: await computeTrajectories(pool, warm, cfg), embedding: warm.embedding });
  }
  return runs;
}

export type LabelCodes = ReturnType<typeof labelCodes>;

export const r4 = (x: number) => Math.round(x * 10000) / 10000;
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** NMI and ARI of a partition against each label, through `round` (r4 for per-seed figures). */
export function scores(part: Int32Array, labels: LabelCodes, round: (x: number) => number = (x) => x) {
  const out: Record<string, { nmi: number; ari: number }> = {};
  for (const [l, { codes }] of Object.entries(labels)) out[l] = { nmi: round(nmi(part, codes)), ari: round(ari(part, codes)) };
  return out;
}

/** Stability: mean ARI between every pair of the seeds' partitions (r4). */
export function stability(parts: Int32Array[]): number {
  const s: number[] = [];
  for (let a = 0; a < parts.length; a++) for (let b = a + 1; b < parts.length; b++) s.push(ari(parts[a], parts[b]));
  return r4(mean(s));
}
