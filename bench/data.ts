// Where the benchmarks find their dataset. The full runs need the large real pool, which is not in the
// repository: name the file as an argument, or set CADC_BENCH_DATA to a folder holding
// llava-eval-pool/llava-eval-pool.jsonl. The pool is the LLaVA evaluation sets' real questions with
// llava-v1.5-13b's answers (haotian-liu/LLaVA @32cebc38, playground/data/eval/*; 45,480 rows, see
// test/fixtures/PROVENANCE.md). A --smoke run uses the in-repo fixture (every 12th row of that pool).
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { isParquetDataset } from '../src/core/dataset/parquet';
import { readDataset } from '../src/core/dataset/reader';
import { exportRecord } from '../src/core/export/formats';
import { createInterface } from 'node:readline';
import { Rng } from '../src/core/util/rng';
import { isAbsolute, join, relative, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..');
export const POOL_FILE = 'llava-eval-pool/llava-eval-pool.jsonl';
/** The in-repo real subset the smoke runs (and the unit tests) use. */
export const SMOKE_POOL = join(REPO, 'test/fixtures', POOL_FILE);
export const DATA_ENV = 'CADC_BENCH_DATA';

export const DATA_HELP =
  `The benchmark needs the llava-eval-pool dataset (45,480 rows; not in the repository). Either pass the ` +
  `file as an argument or set ${DATA_ENV} to a folder holding ${POOL_FILE}. It is the LLaVA evaluation ` +
  `sets' real questions with llava-v1.5-13b's answers, from haotian-liu/LLaVA @32cebc38 ` +
  `(playground/data/eval/*), converted to LLaVA JSONL as test/fixtures/PROVENANCE.md describes. ` +
  `--smoke runs on the in-repo fixture ${relative(REPO, SMOKE_POOL)} instead.`;

export class BenchDataError extends Error {}

/**
 * The dataset a benchmark runs on: the explicit argument, else (for --smoke) the in-repo fixture, else
 * $CADC_BENCH_DATA/llava-eval-pool/llava-eval-pool.jsonl. Throws BenchDataError with DATA_HELP when
 * none is given or the file is not there.
 */
export function benchDataset(arg: string | undefined, smoke: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const folder = env[DATA_ENV];
  const file = arg !== undefined ? resolve(arg) : smoke ? SMOKE_POOL : folder ? resolve(folder, POOL_FILE) : undefined;
  if (file === undefined) throw new BenchDataError(`No dataset given. ${DATA_HELP}`);
  if (!existsSync(file)) throw new BenchDataError(`${file} does not exist. ${DATA_HELP}`);
  return file;
}

/** How a results file names its dataset: relative to the repository or to $CADC_BENCH_DATA, never an outside path. */
export function datasetLabel(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const inRepo = relative(REPO, file);
  if (!inRepo.startsWith('..') && !isAbsolute(inRepo)) return inRepo;
  const folder = env[DATA_ENV];
  const inData = folder ? relative(resolve(folder), file) : '..';
  if (!inData.startsWith('..') && !isAbsolute(inData)) return `$${DATA_ENV}/${inData}`;
  return file.split(/[\\/]/).pop() ?? file;
}

/** Runs a benchmark's main, printing a data error as one plain message (exit 2) and anything else with its stack (exit 1). */
export function runBench(main: () => Promise<void>): void {
  main().catch((e) => {
    if (e instanceof BenchDataError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(e);
    process.exit(1);
  });
}

/**
 * The dataset as LLaVA JSONL, one record per line, for a benchmark that works on lines (bench/quality.ts
 * writes a split's training rows as lines): a JSONL file as it is, any other format the reader takes (a
 * JSON array, Parquet, a shard folder) read through the real reader and written to `dir` as
 * {id, image, conversations, ...labels}. Image references keep their paths as written; embedded image
 * bytes are not copied (the quality benchmark's learners never read images). The source is never modified.
 */
export async function asJsonlDataset(file: string, dir: string): Promise<{ file: string; converted: boolean }> {
  if (!(await isParquetDataset(file))) {
    // JSONL starts with a record ('{'); a JSON array with '[': the first 4 KB tell.
    const fd = openSync(file, 'r');
    const bytes = Buffer.alloc(4096);
    const got = readSync(fd, bytes, 0, bytes.length, 0);
    closeSync(fd);
    if (!bytes.toString('utf8', 0, got).trimStart().startsWith('[')) return { file, converted: false };
  }
  const out = join(dir, 'dataset.jsonl');
  const lines: string[] = [];
  await readDataset(file, { checkImages: false }, (sample) => {
    const images = sample.images.map((im) => im.raw);
    const { record } = exportRecord('llava', { id: sample.id, turns: sample.turns, images });
    lines.push(JSON.stringify({ ...record, ...sample.labels }));
  });
  if (!lines.length) throw new BenchDataError(`${file}: no valid records to benchmark.`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  return { file: out, converted: true };
}

/** The source's non-blank lines. */
export async function sourceLines(source: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of createInterface({ input: createReadStream(source) })) if (l.trim()) lines.push(l);
  return lines;
}

/** The fields of a LLaVA record that are not labels; an unlabelled pool keeps only these. */
const RECORD_FIELDS = new Set(['id', 'image', 'conversations']);

/**
 * A record without its label fields (llava-eval-pool's `source` and `category`), as in LLaVA-665K, which
 * has none: a run on it forms its probe groups itself (text k-means), the discovery's costly path.
 */
export function withoutLabels<T extends object>(rec: T): T {
  for (const key of Object.keys(rec)) if (!RECORD_FIELDS.has(key)) delete (rec as Record<string, unknown>)[key];
  return rec;
}

/** A JSONL line without its label fields (withoutLabels). */
export function unlabelledLine(line: string): string {
  return JSON.stringify(withoutLabels(JSON.parse(line) as object));
}

/**
 * The first n rows of the source, replicated with a seeded suffix token on each question when n exceeds
 * it; `unlabelled` drops the label fields (withoutLabels).
 */
export async function makePool(lines: string[], n: number, file: string, seed: number, unlabelled = false): Promise<void> {
  const out = createWriteStream(file);
  const rng = new Rng(seed);
  const strip = <T extends object>(rec: T): T => (unlabelled ? withoutLabels(rec) : rec);
  for (let i = 0; i < n; i++) {
    const base = lines[i % lines.length];
    const copy = Math.floor(i / lines.length);
    if (copy === 0) out.write(`${unlabelled ? unlabelledLine(base) : base}\n`);
    else {
      const rec = strip(JSON.parse(base));
      rec.id = `${rec.id}-r${copy}`;
      const tag = ` v${rng.int(1000)}`;
      rec.conversations[0].value += tag;
      out.write(`${JSON.stringify(rec)}\n`);
    }
  }
  await new Promise<void>((r) => out.end(r));
}
