// Does the curation help? On a labelled pool (default llava-eval-pool from $CADC_BENCH_DATA, see
// bench/data.ts; --smoke: the in-repo fixture test/fixtures/llava-eval-pool), hold out a
// seeded split stratified by the label, curate the rest with each strategy and budget, train a fresh
// downstream learner on each subset only, and report held-out loss per label group and its macro
// average as "relative performance": the share of the full-pool learner's improvement over an
// answer-prior baseline that the subset achieves (docs/method.md §7), so 100% = as good as all data.
// The downstream learner differs from the selection proxy: other seed, other width (256 vs 128
// hidden), other embedding size (64 vs 128), other learning rate.
// Every strategy is a row selected through reselect(run, {budget, strategy}) on one curation run of
// the training part: CADC (the default rule and its variants), random (5 seeds, mean ± sd) and the
// baselines mmssr, task-balanced, less, icons, length, loss-band. Selection never sees the label:
// the run's pool is given to the selection with its label columns removed, so the group-based
// baselines (task-balanced, LESS, ICONS) fall back to the unsupervised probe groups. Rows marked
// "(label: <field>)" are the exception, said so in the results: the same baselines told to use the
// evaluation's own label field (on the training rows only).
// Held-out splits: --splits N (default 3; 1 with --smoke) repeats the whole benchmark — split,
// curation of the training part, every strategy, the downstream learner — for N held-out splits whose
// seeds are splitSeed(base, s) = base + 1000·s (base --split-seed, default 7, so split 0 is the split
// used before this option existed); nothing else changes between splits. Each split's rows are kept
// under `splits`; `aggregate` (bench/aggregate.ts) gives, per strategy and budget, mean ± sd over
// splits and the paired difference against random's seed mean on the same split (mean ± sd, wins/N).
// Splits can run in separate processes: --only-split s --out file each, then --merge file,file publishes
// them as one report (--rows-from file takes a split's selection rows from this script's streamed stdout).
// Run: npx tsx bench/quality.ts [dataset: JSONL, JSON array or Parquet] [--label source] [--budgets 0.05,0.1,0.2] [--splits 3] [--split-seed 7] [--smoke]
//      [--only-split s --out file] [--rows-from stdout.jsonl] [--merge a.json,b.json] [--capabilities-before]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CADC_SELF_INFLUENCE_DROP, resolveConfig } from '../src/core/config';
import type { BalanceRule, StrategyName, WithinCapabilityRule } from '../src/core/config';
import { buildPool } from '../src/core/features/pool';
import type { Pool } from '../src/core/features/types';
import { computeTrajectories } from '../src/core/gradients/trajectories';
import type { CurationRun } from '../src/core/pipeline/api';
import { reselectAsync } from '../src/core/pipeline/reselect';
import { runCuration } from '../src/core/pipeline/run';
import { getStrategy } from '../src/core/selection/strategies';
import { warmUp } from '../src/core/proxy/warmup';
import { ari, nmi } from '../src/core/util/stats';
import { Rng } from '../src/core/util/rng';
import { aggregate } from './aggregate';
import { publishReport } from './results';
import { asJsonlDataset, BenchDataError, benchDataset, datasetLabel, runBench } from './data';

// Re-selection is async: LESS / ICONS compute their per-group influence in ORT the first time.
const reselect = reselectAsync;
const BASELINES: StrategyName[] = ['mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];
/** Baselines that read a task-label field when the pool has one. */
const LABEL_USERS: StrategyName[] = ['task-balanced', 'less', 'icons'];

interface Args {
  dataset: string;
  /** A dataset was named on the command line (a smoke run then takes every 12th line of it). */
  datasetGiven: boolean;
  label: string;
  budgets: number[];
  randomSeeds: number;
  splits: number;
  splitSeed: number;
  smoke: boolean;
  /** --only-split a,b: run these split indices only (to run splits in separate processes; --merge joins them). */
  onlySplits?: number[];
  /** --rows-from file: the selection rows of the splits run are read from a file of streamed rows (this script's stdout). */
  rowsFrom?: string;
  /** --out file: write the report there instead of bench/results/quality.json. */
  out?: string;
  /** --merge a.json,b.json: join the splits of reports written with --out and publish them. */
  merge?: string[];
  /** --capabilities-before: the run's capabilities as before consensus communities and groupSeed (one Louvain run, groups from the run's seed). */
  capabilitiesBefore: boolean;
}

/** A --smoke run on a dataset with more records than this takes every 12th (the full pool's 45,480 → 3,790). */
const SMOKE_STRIDE_ABOVE = 10_000;

/** Fewer training rows than this after the held-out split cannot be curated and measured. */
const MIN_TRAIN_ROWS = 20;

/** The seed of held-out split `s` (split 0 keeps the base seed). */
const splitSeed = (base: number, s: number) => base + 1000 * s;

function parse(): Args {
  const a = process.argv.slice(2);
  const get = (k: string) => (a.indexOf(k) >= 0 ? a[a.indexOf(k) + 1] : undefined);
  const smoke = a.includes('--smoke');
  const splits = Number(get('--splits') ?? (smoke ? 1 : 3));
  if (!Number.isInteger(splits) || splits < 1) throw new Error(`--splits must be a positive integer, got ${get('--splits')}`);
  const given = a.find((x) => !x.startsWith('--') && a[a.indexOf(x) - 1]?.startsWith('--') !== true && !a.includes('--merge'));
  return {
    dataset: benchDataset(given, smoke),
    datasetGiven: given !== undefined,
    label: get('--label') ?? 'source',
    budgets: (get('--budgets') ?? (smoke ? '0.2' : '0.05,0.1,0.2')).split(',').map(Number),
    randomSeeds: smoke ? 2 : 5,
    splits,
    splitSeed: Number(get('--split-seed') ?? 7),
    smoke,
    ...(get('--only-split') ? { onlySplits: get('--only-split')!.split(',').map(Number) } : {}),
    ...(get('--rows-from') ? { rowsFrom: get('--rows-from') } : {}),
    ...(get('--out') ? { out: get('--out') } : {}),
    ...(get('--merge') ? { merge: get('--merge')!.split(',') } : {}),
    capabilitiesBefore: a.includes('--capabilities-before'),
  };
}

const DOWNSTREAM: Parameters<typeof resolveConfig>[0] = {
  seed: 20261122,
  proxy: { embedDim: 64, hiddenDim: 256, checkpoints: 4, learningRate: 0.002, batchSize: 64, minWarmup: 1 },
  gradients: { projectionDim: 2, batchSize: 4096 },
};

/** Trains the downstream learner on exactly `train` (indices into pool) and returns per-sample held-out losses. */
async function downstreamLoss(pool: Pool, train: Int32Array, heldOut: Int32Array): Promise<Float64Array> {
  const cfg = resolveConfig(DOWNSTREAM);
  const warm = await warmUp(pool, cfg, new Rng(cfg.seed), { indices: train });
  const last = { ...warm, checkpoints: [warm.checkpoints[warm.checkpoints.length - 1]] };
  const sub = subPool(pool, heldOut);
  const traj = await computeTrajectories(sub, last, cfg);
  return Float64Array.from(traj.loss);
}

/** The pool restricted to some samples (only the columns the learner reads). */
function subPool(pool: Pool, idx: Int32Array): Pool {
  const L = pool.dims.maxQuestionNgrams;
  const F = pool.dims.imageDim;
  const answerPtr = new Int32Array(idx.length + 1);
  const tokens: number[] = [];
  idx.forEach((i, r) => {
    for (let j = pool.answerPtr[i]; j < pool.answerPtr[i + 1]; j++) tokens.push(pool.answerTokens[j]);
    answerPtr[r + 1] = tokens.length;
  });
  const q = new Uint32Array(idx.length * L);
  idx.forEach((i, r) => q.set(pool.questionNgrams.subarray(i * L, i * L + L), r * L));
  const img = pool.imageFeatures ? new Float32Array(idx.length * F) : null;
  if (img) idx.forEach((i, r) => img.set(pool.imageFeatures!.subarray(i * F, i * F + F), r * F));
  return {
    ...pool,
    n: idx.length,
    questionNgrams: q,
    questionNgramCount: Uint16Array.from(idx, (i) => pool.questionNgramCount[i]),
    answerPtr,
    answerTokens: Uint32Array.from(tokens),
    imageFeatures: img,
    hasImage: Uint8Array.from(idx, (i) => pool.hasImage[i]),
  };
}

/** Held-out cross-entropy under the training pool's answer-token distribution (add-one smoothed). */
function priorLoss(pool: Pool, train: Int32Array, heldOut: Int32Array): Float64Array {
  const V = pool.dims.answerVocab;
  const counts = new Float64Array(V).fill(1);
  for (const i of train) for (let j = pool.answerPtr[i]; j < pool.answerPtr[i + 1]; j++) counts[pool.answerTokens[j]]++;
  const total = counts.reduce((a, b) => a + b, 0);
  return Float64Array.from(heldOut, (i) => {
    let l = 0;
    const a0 = pool.answerPtr[i],
      a1 = pool.answerPtr[i + 1];
    for (let j = a0; j < a1; j++) l -= Math.log(counts[pool.answerTokens[j]] / total) / (a1 - a0);
    return l;
  });
}

function perGroup(loss: Float64Array, groups: Int32Array, G: number): number[] {
  const s = new Float64Array(G);
  const c = new Float64Array(G);
  loss.forEach((l, r) => {
    s[groups[r]] += l;
    c[groups[r]]++;
  });
  return Array.from(s, (v, g) => (c[g] ? v / c[g] : NaN));
}

type Row = {
  budget: number;
  strategy: string;
  seed?: number;
  control?: string;
  usesEvaluationLabel: boolean;
  selected: number;
  macroLoss: number;
  relative: number;
  perGroup: number[];
  perGroupLoss: number[];
  notes?: string[];
};
type Variant = {
  strategy: string;
  name: StrategyName;
  within?: WithinCapabilityRule;
  balance?: BalanceRule;
  seed?: number;
  taskField?: string;
  dropTopSelfInfluence?: number;
  /** The random row with the same exclusions (self-influence filter; flagged and duplicates alike for all). */
  control?: string;
};

/** One held-out split: hold out, curate the rest, select with every strategy and budget, train the downstream learner. */
async function runSplit(
  args: Args,
  pool: Pool,
  lines: string[],
  s: number,
  available: StrategyName[],
  missing: { strategy: StrategyName; error: string }[],
) {
  const t0 = performance.now();
  const seed = splitSeed(args.splitSeed, s);
  const col = pool.labels[args.label];
  // Stratified held-out split: 10% of every label group (seeded).
  const rng = new Rng(seed);
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < pool.n; i++) (byGroup.get(col.codes[i]) ?? byGroup.set(col.codes[i], []).get(col.codes[i])!).push(i);
  const held: number[] = [];
  for (const [, list] of [...byGroup].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(list);
    held.push(...list.slice(0, Math.max(1, Math.round(list.length * (args.smoke ? 0.2 : 0.1)))));
  }
  const heldOut = Int32Array.from(held).sort();
  const isHeld = new Uint8Array(pool.n);
  for (const i of heldOut) isHeld[i] = 1;
  const trainAll = Int32Array.from({ length: pool.n }, (_, i) => i).filter((i) => !isHeld[i]);
  const G = col.values.length;
  if (trainAll.length < MIN_TRAIN_ROWS)
    throw new BenchDataError(
      `Holding out ${heldOut.length} of ${pool.n} rows (at least one of each of the ${G} values of '${args.label}') leaves ${trainAll.length} to curate, fewer than ${MIN_TRAIN_ROWS}: score by a label with fewer values, or give a larger pool.`,
    );
  const heldGroups = Int32Array.from(heldOut, (i) => col.codes[i]);

  // Curate the training part only: its lines, in order, in a temp file (the dataset is never modified).
  const dir = join(tmpdir(), `cadc-quality-${process.pid}-split${s}`);
  mkdirSync(dir, { recursive: true });
  const trainFile = join(dir, 'train.jsonl');
  writeFileSync(trainFile, Array.from(trainAll, (i) => lines[pool.lines[i] - 1]).join('\n') + '\n');
  // The pool's images were never on disk: every sample is flagged (missing image), so flagged samples are included.
  const config = resolveConfig({ capabilities: { probe: 'clusters' }, selection: { includeFlagged: true } });
  if (args.capabilitiesBefore) {
    config.capabilities.communities = 'louvain';
    delete config.capabilities.groupSeed;
  }
  const run = await runCuration({ datasetPath: trainFile, config, cacheDir: null });
  rmSync(dir, { recursive: true, force: true });
  const toPool = (sel: Int32Array) => Int32Array.from(sel, (j) => trainAll[j]);

  const prior = perGroup(priorLoss(pool, trainAll, heldOut), heldGroups, G);
  const full = perGroup(await downstreamLoss(pool, trainAll, heldOut), heldGroups, G);
  // What the selection sees: the run with its pool's label columns removed (see the header).
  const blind: CurationRun = { ...run, pool: { ...run.pool, labels: {} } };
  const withSeed = (r: CurationRun, seed: number): CurationRun => ({
    ...r,
    manifest: { ...r.manifest, config: { ...r.manifest.config, seed } },
  });
  const withSelection = (r: CurationRun, sel: Partial<CurationRun['manifest']['config']['selection']>): CurationRun => ({
    ...r,
    manifest: { ...r.manifest, config: { ...r.manifest.config, selection: { ...r.manifest.config.selection, ...sel } } },
  });
  const relative = (l: number[]) => {
    const per = l.map((v, g) => (prior[g] - v) / (prior[g] - full[g]));
    return { perGroup: per.map((v) => +(100 * v).toFixed(1)), macro: +((100 * per.reduce((a, b) => a + b, 0)) / G).toFixed(1) };
  };

  const rows: Row[] = [];
  const cadcSeeds = args.smoke ? [100] : [100, 101, 102];
  const drop = `top-${Math.round(100 * CADC_SELF_INFLUENCE_DROP)}% self-influence dropped`;
  // Every CADC row names its control: random with the same exclusions. Flagged samples are included
  // and duplicates excluded for every row alike, so the only exclusion that differs is the filter.
  const filtered = `random (${drop})`;
  const unfiltered = 'random';
  // A proportional CADC row once per selection seed.
  const seeded = (v: Omit<Variant, 'name' | 'balance' | 'seed'>): Variant[] =>
    cadcSeeds.map((seed) => ({ name: 'cadc', balance: 'proportional', ...v, seed }));
  for (const budget of args.rowsFrom ? [] : args.budgets) {
    const variants: Variant[] = [
      // The two leading rules get several selection seeds too (their within-bin draws are random), and
      // the filter gets its control: random with the same top-self-influence samples dropped.
      ...seeded({
        strategy: 'cadc (proportional, sub-capability, no self-influence filter)',
        within: 'sub-capability',
        dropTopSelfInfluence: 0,
        control: unfiltered,
      }),
      // The default config as shipped ('auto': the cadc strategy drops its top self-influence share).
      ...seeded({ strategy: `cadc (default: proportional, sub-capability, ${drop})`, within: 'sub-capability', control: filtered }),
      // The previous default's bins (probe group × style), with as many selection seeds.
      ...seeded({ strategy: `cadc (proportional, stratified, ${drop})`, within: 'stratified', control: filtered }),
      ...Array.from({ length: args.randomSeeds }, (_, k): Variant => ({
        strategy: filtered,
        name: 'random',
        dropTopSelfInfluence: CADC_SELF_INFLUENCE_DROP,
        seed: 100 + k,
      })),
      // Other rules the capabilities' hierarchy and trajectories allow (one selection seed each), with
      // the default split and filter: coarser bins (capability × style) and probe group × style ×
      // difficulty band (tertile of the proxy's final loss inside the capability); and the budget split
      // ∝ √(capability size) instead of ∝ size.
      ...(['style', 'difficulty'] as const).map((within): Variant => ({
        strategy: `cadc (proportional, within ${within}, ${drop})`,
        name: 'cadc',
        within,
        balance: 'proportional',
        seed: 100,
        control: filtered,
      })),
      {
        strategy: `cadc (sqrt split, sub-capability, ${drop})`,
        name: 'cadc',
        within: 'sub-capability',
        balance: 'sqrt',
        seed: 100,
        control: filtered,
      },
      // The paper's rules as written: no self-influence filter.
      {
        strategy: 'cadc (even, stratified; paper split)',
        name: 'cadc',
        within: 'stratified',
        balance: 'even',
        dropTopSelfInfluence: 0,
        control: unfiltered,
      },
      {
        strategy: 'cadc (even, influence-weighted)',
        name: 'cadc',
        within: 'influence-weighted',
        balance: 'even',
        dropTopSelfInfluence: 0,
        control: unfiltered,
      },
      {
        strategy: 'cadc (even, top-influence; paper literal)',
        name: 'cadc',
        within: 'top-influence',
        balance: 'even',
        dropTopSelfInfluence: 0,
        control: unfiltered,
      },
      ...Array.from({ length: args.randomSeeds }, (_, k): Variant => ({ strategy: 'random', name: 'random', seed: 100 + k })),
      ...available.map((name): Variant => ({ strategy: name, name })),
      ...available
        .filter((n) => LABEL_USERS.includes(n))
        .map((name): Variant => ({ strategy: `${name} (label: ${args.label})`, name, taskField: args.label })),
    ];
    for (const v of variants) {
      let r = v.taskField ? withSelection(run, { taskField: v.taskField }) : blind;
      if (v.dropTopSelfInfluence !== undefined) r = withSelection(r, { dropTopSelfInfluence: v.dropTopSelfInfluence });
      if (v.seed !== undefined) r = withSeed(r, v.seed);
      let chosen: CurationRun;
      try {
        chosen = await reselect(r, {
          budget,
          strategy: v.name,
          ...(v.within ? { within: v.within } : {}),
          ...(v.balance ? { balance: v.balance } : {}),
        });
      } catch (e) {
        missing.push({ strategy: v.name, error: `split ${s}, budget ${budget}: ${(e as Error).message}` });
        process.stderr.write(`split ${s}: ${v.strategy} @ ${budget}: ${(e as Error).message}\n`);
        continue;
      }
      const sel = toPool(chosen.selection.selected);
      const loss = perGroup(await downstreamLoss(pool, sel, heldOut), heldGroups, G);
      const rel = relative(loss);
      const notes = chosen.selection.notes.slice(0, 3).map((n) => n.slice(0, 300));
      rows.push({
        budget,
        strategy: v.strategy,
        ...(v.seed !== undefined ? { seed: v.seed } : {}),
        ...(v.control ? { control: v.control } : {}),
        usesEvaluationLabel: !!v.taskField,
        selected: sel.length,
        macroLoss: +(loss.reduce((a, b) => a + b, 0) / G).toFixed(4),
        relative: rel.macro,
        perGroup: rel.perGroup,
        perGroupLoss: loss.map((x) => +x.toFixed(4)),
        ...(notes.length ? { notes } : {}),
      });
      process.stdout.write(`${JSON.stringify({ split: s, ...rows[rows.length - 1] })}\n`);
    }
  }
  // Read last, so the streamed rows can still be arriving from another process while this one curates.
  if (args.rowsFrom)
    for (const line of readFileSync(args.rowsFrom, 'utf8').split('\n')) {
      if (!line.startsWith('{"split"')) continue;
      const { split, ...row } = JSON.parse(line) as Row & { split: number };
      if (split === s) rows.push(row);
    }
  const hard = run.attribution.hard;
  const src = Int32Array.from(trainAll, (i) => col.codes[i]);
  const shuffled = Int32Array.from(hard);
  new Rng(3).shuffle(shuffled);
  return {
    split: s,
    splitSeed: seed,
    heldOut: heldOut.length,
    trainPool: trainAll.length,
    capabilities: run.capabilities.K,
    probeGroups: run.capabilities.probe.names.length,
    nmi: { capabilitiesVsLabel: +nmi(hard, src).toFixed(4), randomPartitionSameSizes: +nmi(shuffled, src).toFixed(4) },
    ari: { capabilitiesVsLabel: +ari(hard, src).toFixed(4), randomPartitionSameSizes: +ari(shuffled, src).toFixed(4) },
    probeGroupsVsLabel: {
      groups: run.capabilities.probe.names.length,
      nmi: +nmi(run.capabilities.probe.of, src).toFixed(4),
      ari: +ari(run.capabilities.probe.of, src).toFixed(4),
    },
    baselines: {
      answerPriorMacroLoss: +(prior.reduce((a, b) => a + b, 0) / G).toFixed(4),
      fullPoolMacroLoss: +(full.reduce((a, b) => a + b, 0) / G).toFixed(4),
    },
    rows,
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

/** Joins the splits of reports written with --out (in the order given) and publishes them as one. */
function mergeReports(files: string[], smoke: boolean): void {
  const reports = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const splits = reports.flatMap((r) => r.splits).sort((a, b) => a.split - b.split);
  const first = reports[0];
  const report = {
    ...first,
    loadavg: { before: first.loadavg.before, after: reports[reports.length - 1].loadavg.after, perReport: reports.map((r) => r.loadavg) },
    groupsForSelection: String(first.groupsForSelection).replace(
      /\([^()]*on the \d+ split\(s\)\)/,
      `(${splits.map((x) => x.probeGroups).join(' / ')} on the ${splits.length} split(s))`,
    ),
    splitMethod: String(first.splitMethod)
      .replace(/^\d+ held-out split\(s\)/, `${splits.length} held-out split(s)`)
      .replace(/\(([\d, ]+)\);/, `(${splits.map((x) => x.splitSeed).join(', ')});`),
    splits,
    aggregate: aggregate(splits),
    mergedFrom: `${files.length} processes run side by side (--only-split), joined by --merge`,
    seconds: Math.max(...reports.map((r) => r.seconds)),
  };
  publishReport('quality', report, smoke);
}

async function main(): Promise<void> {
  const args = parse();
  if (args.merge) return mergeReports(args.merge, args.smoke);
  const t0 = performance.now();
  const load0 = loadavg().map((x) => +x.toFixed(2));
  const dir = join(tmpdir(), `cadc-quality-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // A JSON array or Parquet pool becomes LLaVA JSONL first (the splits are written as lines).
  const given = await asJsonlDataset(args.dataset, dir);
  const source = args.dataset;
  args.dataset = given.file;
  // The pool's lines (read once; pool.lines index them), or those of its smoke sample.
  let lines = readFileSync(args.dataset, 'utf8').split('\n');
  const records = lines.filter((l) => l.trim());
  if (args.smoke && args.datasetGiven && records.length > SMOKE_STRIDE_ABOVE) {
    // A small stride sample of the pool (every 12th line: all label groups, ~3,800 rows). Without a
    // dataset, the smoke run reads the in-repo fixture, which is already that sample.
    const small = join(dir, 'smoke.jsonl');
    lines = records.filter((_, i) => i % 12 === 0);
    writeFileSync(small, lines.join('\n') + '\n');
    args.dataset = small;
  }
  const base = resolveConfig({});
  const { pool } = await buildPool(args.dataset, base);
  const col = pool.labels[args.label];
  if (!col)
    throw new BenchDataError(
      `${source}: no label field '${args.label}' to hold out and score by (label fields found: ${Object.keys(pool.labels).join(', ') || 'none'}); name one with --label.`,
    );
  rmSync(dir, { recursive: true, force: true });

  const available: StrategyName[] = [];
  const missing: { strategy: StrategyName; error: string }[] = [];
  for (const name of BASELINES) {
    try {
      getStrategy(name);
      available.push(name);
    } catch (e) {
      missing.push({ strategy: name, error: (e as Error).message });
    }
  }
  const splits = [];
  const loadPerSplit: number[][] = [];
  const which = args.onlySplits ?? Array.from({ length: args.splits }, (_, s) => s);
  for (const s of which) {
    splits.push(await runSplit(args, pool, lines, s, available, missing));
    loadPerSplit.push(loadavg().map((x) => +x.toFixed(2)));
    process.stderr.write(`split ${s + 1}/${args.splits} done (${splits[splits.length - 1].seconds} s)\n`);
  }
  const report = {
    benchmark: 'quality',
    dataset: datasetLabel(source),
    ...(given.converted
      ? { convertedTo: 'LLaVA JSONL (turns, image paths as written, label fields; embedded image bytes not copied)' }
      : {}),
    label: args.label,
    groups: col.values,
    budgets: args.budgets,
    randomSeeds: args.randomSeeds,
    // Identical on every split (10% of each label group, rounded), so kept at the top level.
    heldOut: splits[0].heldOut,
    trainPool: splits[0].trainPool,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    loadavg: { before: load0, after: loadavg().map((x) => +x.toFixed(2)), afterEachSplit: loadPerSplit },
    probe: `clusters (unsupervised; labels play no part in the selection)${args.capabilitiesBefore ? '; capabilities as before consensus communities and groupSeed (one Louvain run, groups from the run seed)' : ''}`,
    groupsForSelection: `Selection sees the training pool with its label columns removed, so task-balanced, LESS and ICONS use the unsupervised probe groups (micro-clusters of gradients; ${splits.map((x) => x.probeGroups).join(' / ')} on the ${splits.length} split(s)) as their tasks / target groups and mmSSR uses rule-based interaction styles. Exception: rows named "… (label: ${args.label})" (usesEvaluationLabel: true) were told to use '${args.label}' — the evaluation's own label field, on the training rows only — as their tasks / target groups.`,
    strategies: { baselinesAvailable: available, missing },
    splitMethod: `${args.splits} held-out split(s), each ${args.smoke ? 20 : 10}% of every '${args.label}' group drawn with seed ${args.splitSeed} + 1000 × split index (${splits.map((x) => x.splitSeed).join(', ')}); the curation run, selection seeds (random: ${Array.from({ length: args.randomSeeds }, (_, k) => 100 + k).join(', ')}) and the downstream learner are otherwise identical on every split.`,
    downstream: DOWNSTREAM,
    splits,
    aggregate: aggregate(splits),
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  if (args.out) writeFileSync(args.out, `${JSON.stringify(report)}\n`);
  else publishReport('quality', report, args.smoke);
}

runBench(main);
