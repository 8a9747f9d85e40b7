// The CADC pipeline end to end: read → featurise → warm-up → trajectories → capabilities →
// influence → select → sequence, with progress, cancellation, a cache, and cheap re-selection.
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { CurationConfig } from '../config';
import { TASK_LABEL_FIELDS } from '../features/labels';
import { buildPool, labelCandidates, sampleAtLine } from '../features/pool';
import { STYLES } from '../features/types';
import type { Pool } from '../features/types';
import { DatasetReadError } from '../dataset/errors';
import { readErrorMessage } from '../dataset/sniff';
import type { DatasetSummary } from '../dataset/types';
import { warmUp } from '../proxy/warmup';
import type { WarmupResult } from '../proxy/warmup';
import { computeTrajectories } from '../gradients/trajectories';
import type { Trajectories } from '../gradients/types';
import { discoverCapabilities } from '../capabilities/discover';
import { probeGroupsFromLabels } from '../capabilities/probeGroups';
import type { CapabilityModel } from '../capabilities/types';
import { attribute, describeCapabilities } from '../influence/attribute';
import { findDuplicates } from '../selection/dedup';
import { budgetCount, budgetShortNote } from '../selection/helpers';
import { getStrategy } from '../selection/strategies';
import { prepareSelection } from '../selection/strategies/groupInfluence';
import { loadScoresFile } from '../selection/scores';
import type { SelectionResult } from '../selection/types';
import { buildStages } from '../curriculum/stages';
import { appendAlignmentStage, combinedSelection, selectWithAlignment } from '../curriculum/alignment';
import { buildManifest } from '../curriculum/manifest';
import type { Stage } from '../curriculum/types';
import { Rng } from '../util/rng';
import { round6 } from '../util/stableJson';
import { CACHE_SCHEMA, openCurationCache } from '../store/cache';
import { ImageRefs } from '../store/imageDeps';
import type { ImageScope } from '../store/imageDeps';
import type { AttributionRow } from '../store/attributionTable';
import type { CurationInput, CurationRun, ReselectOptions } from './api';
import { throwIfCancelled } from '../runtime/cancel';
import type { ProgressFn, StageName } from '../runtime/progress';

export const TOOL_VERSION = '0.1.0';

/** sha256 of a file, streamed. */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    throwIfCancelled(signal);
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Stage progress and timings. Every stage of STAGES is reported once, in order: `begin` … `end`
 * (fraction 0 … 1) when it runs, `cached` (fraction 1, cached: true) when its result came from the cache.
 */
class StageClock {
  readonly timings: Record<string, number> = {};
  private readonly start = performance.now();
  private open: { stage: StageName; t: number } | undefined;
  constructor(private readonly progress: ProgressFn) {}

  begin(stage: StageName): void {
    if (this.open) this.end(this.open.stage);
    this.open = { stage, t: performance.now() };
    this.progress({ stage, fraction: 0 });
  }

  report(stage: StageName, fraction: number, message?: string): void {
    if (this.open?.stage === stage) this.progress({ stage, fraction: Math.max(0, Math.min(1, fraction)), ...(message ? { message } : {}) });
  }

  end(stage: StageName): void {
    if (this.open?.stage !== stage) return;
    this.timings[stage] = Math.round((performance.now() - this.open.t) * 10) / 10 + (this.timings[stage] ?? 0);
    this.open = undefined;
    this.progress({ stage, fraction: 1 });
  }

  cached(stage: StageName): void {
    this.progress({ stage, fraction: 1, cached: true });
  }

  async run<T>(stage: StageName, fn: (report: (fraction: number, message?: string) => void) => Promise<T> | T): Promise<T> {
    this.begin(stage);
    const result = await fn((fraction, message) => this.report(stage, fraction, message));
    this.end(stage);
    return result;
  }

  total(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }
}

/**
 * Everything a cached stage's result depends on, in one place (a change to any of it is a miss).
 * Features: the dataset's content (its sha256 names the cache folder), the cache format and tool
 * version, the feature config, the record format, where images resolve (the image root, by default
 * the dataset's folder, and the confinement folder, as given and as real paths) and, checked when the
 * entry loads, which image files those references found (path, size, mtime: `images`).
 * Trajectories: all of that plus the image fingerprint, proxy, gradient config and seed. Probe and
 * scores files are read on every run, after the cached stages.
 */
export function cacheKeyParts(input: CurationInput) {
  const datasetPath = path.resolve(input.datasetPath);
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const scope: ImageScope = { root: path.resolve(input.imageRoot ?? path.dirname(datasetPath)), ...(input.confineTo ? { confineTo: path.resolve(input.confineTo) } : {}) };
  const c = input.config;
  const features = {
    cache: CACHE_SCHEMA,
    tool: TOOL_VERSION,
    features: c.features,
    format: input.format ?? 'auto',
    imageRoot: [scope.root, real(scope.root)],
    confineTo: scope.confineTo ? [scope.confineTo, real(scope.confineTo)] : null,
  };
  return {
    scope,
    features,
    trajectories: (images: string | undefined) => ({ features, images: images ?? null, proxy: c.proxy, gradients: c.gradients, seed: c.seed }),
  };
}

export async function runCuration(input: CurationInput): Promise<CurationRun> {
  const cfg = input.config;
  const signal = input.signal;
  const log = input.log;
  const clock = new StageClock(input.onProgress ?? (() => undefined));
  const rng = new Rng(cfg.seed);
  const datasetPath = path.resolve(input.datasetPath);
  const readOpts = {
    format: input.format ?? 'auto',
    imageRoot: input.imageRoot,
    confineTo: input.confineTo,
    signal,
  } as const;

  const cache = input.cacheDir ? await openCurationCache(input.cacheDir, log) : undefined;
  let cacheHit = false;
  try {
    // Read + featurise (or load both from the cache, keyed by the file's content hash). With a
    // cache, 'read' also hashes the file first.
    let pool: Pool | undefined;
    let summary: DatasetSummary | undefined;
    let sha = '';
    let images: string | undefined;
    const keys = cacheKeyParts(input);
    const refs = new ImageRefs();
    clock.begin('read');
    if (cache) {
      sha = await fileSha256(datasetPath, signal);
      const hit = await cache.loadFeatures(sha, keys.features, keys.scope);
      if (hit) {
        ({ pool, summary, images } = hit);
        summary = { ...summary, path: datasetPath };
      }
    }
    if (!pool || !summary) {
      let featurising = false;
      const toFeaturise = () => {
        if (!featurising) clock.begin('featurise'); // ends 'read'
        featurising = true;
      };
      const built = await buildPool(datasetPath, cfg, {
        ...readOpts,
        onImages: (ims) => refs.add(ims),
        onStageProgress: (stage, fraction) => {
          if (stage === 'read') clock.report('read', cache ? 0.5 + fraction / 2 : fraction);
          else {
            toFeaturise();
            clock.report('featurise', fraction, 'images');
          }
        },
      });
      toFeaturise();
      pool = built.pool;
      summary = built.summary;
      if (cache) images = await cache.saveFeatures(summary.sha256, keys.features, pool, summary, { refs: refs.list(), scope: keys.scope });
      clock.end('featurise');
    } else {
      clock.end('read');
      clock.cached('featurise');
    }
    throwIfCancelled(signal);
    if (pool.n < 2) throw tooFewSamples(pool.n, summary);
    const thePool = pool;
    // Imported capability scores (mmSSR): parsed and validated now, so a bad file fails before training.
    const scores = input.scoresFile ? await loadScoresFile(path.resolve(input.scoresFile), thePool) : undefined;
    for (const w of scores?.warnings ?? []) log?.warn(w);

    // Warm-up and trajectories (cached together: trajectories need the warm-up's checkpoints).
    let warm: WarmupResult | undefined;
    let traj: Trajectories | undefined;
    if (cache) {
      const hit = await cache.loadTrajectories(summary.sha256, keys.trajectories(images));
      if (hit) ({ warm, traj } = hit);
    }
    if (!warm || !traj) {
      warm = await clock.run('warm-up', (report) => warmUp(thePool, cfg, rng.fork('warm-up'), { onProgress: report, signal }));
      const w = warm;
      traj = await clock.run('trajectories', (report) => computeTrajectories(thePool, w, cfg, { onProgress: report, signal }));
      if (cache) await cache.saveTrajectories(summary.sha256, keys.trajectories(images), warm, traj);
    } else {
      cacheHit = true;
      clock.cached('warm-up');
      clock.cached('trajectories');
    }
    const theTraj = traj;
    throwIfCancelled(signal);

    const probeFile = input.probeFile;
    const w = warm;
    const capabilities = await clock.run('capabilities', async () => {
      const probe = probeFile ? await probeFromFile(probeFile, cfg, w, input, signal) : undefined;
      return discoverCapabilities(thePool, theTraj, cfg, rng.fork('capabilities'), { labelCandidates: labelCandidates(thePool), probe });
    });
    throwIfCancelled(signal);
    const attribution = await clock.run('influence', async () => {
      const a = await attribute(theTraj, capabilities);
      describeCapabilities(thePool, capabilities, a);
      return a;
    });
    throwIfCancelled(signal);
    clock.begin('select');
    const duplicates = findDuplicates(thePool, cfg.selection.nearDuplicateBits);
    // Per-group influence for LESS / ICONS (ORT GEMMs): the asynchronous part of selection.
    const groupInfluence = await prepareSelection({ pool: thePool, config: cfg, strategy: getStrategy(cfg.strategy), trajectories: theTraj, capabilities });
    const partial = {
      input: { ...input, datasetPath },
      summary,
      pool: thePool,
      trajectories: theTraj,
      warmup: {
        samples: warm.indices.length,
        checkpoints: warm.checkpoints.map((c) => ({ t: c.t, eta: c.eta, trainLoss: c.trainLoss })),
      },
      capabilities,
      attribution,
      duplicates,
      scores,
      groupInfluence,
      cacheHit,
    };
    const picked = selectFor(partial, cfg);
    clock.end('select');
    const chosen = await clock.run('sequence', () => sequenceFor(partial, cfg, picked));
    const run: CurationRun = { ...partial, ...chosen, timingsMs: { ...clock.timings } };
    run.timingsMs.total = clock.total();
    if (cache) {
      const r = run;
      await cache.saveAttributions(
        summary.sha256,
        (function* () {
          for (let i = 0; i < r.pool.n; i++) yield attributionOf(r, i);
        })(),
      );
      await cache.flush();
    }
    return run;
  } finally {
    cache?.close();
  }
}

/** A dataset with fewer than 2 valid samples is bad input (exit 3), said in one line like the reader's. */
function tooFewSamples(n: number, s: DatasetSummary): DatasetReadError {
  const found = `${n} valid sample(s) in ${s.records} record(s)${s.invalid ? ` (${s.invalid} invalid)` : ''}, and CADC needs at least 2`;
  return new DatasetReadError(n === 0 && s.bytes === 0 ? 'empty' : 'no-records', readErrorMessage(s.path, found, { line: s.lines, byte: s.bytes }), s.lines, s.bytes);
}

/**
 * Probe groups from a probe dataset (docs/method.md §1.2): its samples, grouped by a task-label field,
 * with trajectories from the same warm-up checkpoints as the pool.
 */
async function probeFromFile(file: string, cfg: CurationConfig, warm: WarmupResult, input: CurationInput, signal?: AbortSignal) {
  const { pool: probePool } = await buildPool(path.resolve(file), cfg, { imageRoot: undefined, confineTo: input.confineTo, signal });
  const field =
    cfg.capabilities.labelField ??
    TASK_LABEL_FIELDS.find((f) => probePool.labels[f] && probePool.labels[f].values.length >= 2) ??
    labelCandidates(probePool)[0];
  if (!field) throw new Error(`The probe file ${file} has no task-label field (task_name, source, category, …) to group its samples by.`);
  const groups = { ...probeGroupsFromLabels(probePool, field), source: 'file' as const };
  const traj = await computeTrajectories(probePool, warm, cfg, { signal });
  return { groups, traj };
}

type RunBase = Omit<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest' | 'timingsMs'>;

/** Selection, stages and manifest for a run's fixed trajectories/capabilities and a config. */
function selectAndSequence(base: RunBase, cfg: CurationConfig): Pick<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest'> {
  return sequenceFor(base, cfg, selectFor(base, cfg));
}

interface Picked {
  rng: Rng;
  aligned: ReturnType<typeof selectWithAlignment>;
  selection: SelectionResult;
}

/** The selection for a config: the strategy's picks (and the alignment stage's), with a note when the budget was not met. */
function selectFor(base: RunBase, cfg: CurationConfig): Picked {
  const rng = new Rng(cfg.seed);
  const strategy = getStrategy(cfg.strategy);
  // The strategy gets B − A; the alignment stage (if enabled) takes A of the samples it left.
  const aligned = selectWithAlignment({
    pool: base.pool,
    duplicates: base.duplicates,
    attribution: base.attribution,
    config: cfg,
    budget: budgetCount(cfg.budget, base.pool.n, cfg.budgetUnit),
    rng: rng.fork('alignment'),
    select: (budget): SelectionResult =>
      strategy.select(
        {
          pool: base.pool,
          config: cfg,
          rng: rng.fork(`select:${cfg.strategy}`),
          duplicates: base.duplicates,
          trajectories: base.trajectories,
          capabilities: base.capabilities,
          attribution: base.attribution,
          scores: base.scores,
          groupInfluence: base.groupInfluence,
        },
        budget,
      ),
  });
  const combined = combinedSelection(aligned);
  const short = budgetShortNote({ pool: base.pool, duplicates: base.duplicates, config: cfg, attribution: base.attribution }, cfg.strategy, combined.selected.length);
  const selection = short.length ? { ...combined, notes: [...combined.notes, ...short] } : combined;
  return { rng, aligned, selection };
}

/** The curriculum stages and the manifest of a selection. */
function sequenceFor(base: RunBase, cfg: CurationConfig, { rng, aligned, selection }: Picked): Pick<CurationRun, 'selection' | 'stages' | 'stageOf' | 'manifest'> {
  const stages: Stage[] = appendAlignmentStage(
    buildStages(aligned.capability, base.attribution, base.capabilities, base.trajectories, cfg, rng.fork('sequence')),
    aligned,
    base.attribution,
  );
  const stageOf = new Int32Array(base.pool.n).fill(-1);
  for (const s of stages) for (const i of s.samples) stageOf[i] = s.index;
  const manifest = buildManifest({
    toolVersion: TOOL_VERSION,
    summary: base.summary,
    datasetPath: manifestDatasetPath(base.input),
    config: cfg,
    pool: base.pool,
    warmup: base.warmup,
    trajectories: base.trajectories,
    capabilities: base.capabilities,
    attribution: base.attribution,
    selection,
    stages,
    probeFile: base.input.probeFile ? relativeTo(base.input, base.input.probeFile) : undefined,
    scoresFile:
      base.scores && base.input.scoresFile ? { file: relativeTo(base.input, base.input.scoresFile), sha256: base.scores.sha256, samples: base.scores.scored } : undefined,
  });
  return { selection, stages, stageOf, manifest };
}

function relativeTo(input: CurationInput, file: string): string {
  const base = input.manifestBase ? path.resolve(input.manifestBase) : path.dirname(path.resolve(input.datasetPath));
  return path.relative(base, path.resolve(file)).split(path.sep).join('/');
}

function manifestDatasetPath(input: CurationInput): string {
  return relativeTo(input, input.datasetPath);
}

/**
 * New selection at another budget/strategy without recomputing features or trajectories. Synchronous:
 * LESS / ICONS need per-group influence (ORT GEMMs, asynchronous), which the run carries when it was
 * curated with one of them; otherwise use `reselectAsync`, which computes it first. Imported scores are reused.
 */
export function reselect(run: CurationRun, opts: ReselectOptions): CurationRun {
  const cfg: CurationConfig = structuredClone(run.manifest.config);
  cfg.budget = opts.budget;
  // The unit given; the run's own for the run's own budget; otherwise none (≤ 1 a share, above a count).
  if (opts.budgetUnit) cfg.budgetUnit = opts.budgetUnit;
  else if (opts.budget !== run.manifest.config.budget) delete cfg.budgetUnit;
  if (opts.strategy) cfg.strategy = opts.strategy;
  if (opts.within) cfg.selection.within = opts.within;
  if (opts.balance) cfg.selection.balance = opts.balance;
  const t = performance.now();
  const names = run.capabilities.capabilities.map((c) => c.name);
  const chosen = selectAndSequence(run, cfg);
  // Names may have been edited by the user; keep them.
  names.forEach((n, k) => (run.capabilities.capabilities[k].name = n));
  return { ...run, ...chosen, timingsMs: { ...run.timingsMs, reselect: Math.round(performance.now() - t) } };
}

/** `reselect` for any strategy: computes (and keeps on the run) the per-group influence LESS / ICONS need. */
export async function reselectAsync(run: CurationRun, opts: ReselectOptions): Promise<CurationRun> {
  const cfg: CurationConfig = structuredClone(run.manifest.config);
  if (opts.strategy) cfg.strategy = opts.strategy;
  const groupInfluence = await prepareSelection({
    pool: run.pool,
    config: cfg,
    strategy: getStrategy(cfg.strategy),
    trajectories: run.trajectories,
    capabilities: run.capabilities,
    existing: run.groupInfluence,
  });
  return reselect({ ...run, groupInfluence }, opts);
}

/** Renames a capability; the manifest is rebuilt so the name persists into it. */
export function renameCapability(run: CurationRun, id: string, name: string): CurationRun {
  const k = capabilityIndex(id);
  const cap = run.capabilities.capabilities[k];
  if (!cap) throw new Error(`No capability ${id}.`);
  const clean = name.replace(/\s+/g, ' ').trim().slice(0, 120);
  if (!clean) throw new Error('A capability name cannot be empty.');
  cap.name = clean;
  return { ...run, ...selectAndSequence(run, run.manifest.config) };
}

export function capabilityId(k: number): string {
  return `c${k + 1}`;
}

export function capabilityIndex(id: string): number {
  const m = /^c(\d+)$/.exec(id);
  return m ? Number(m[1]) - 1 : -1;
}

export function stageId(s: number): string {
  return `s${s + 1}`;
}


export function attributionOf(run: CurationRun, i: number): AttributionRow {
  const { pool, attribution, trajectories } = run;
  const K = attribution.K;
  const influence: Record<string, number> = {};
  for (let k = 0; k < K; k++) influence[capabilityId(k)] = round6(attribution.influence[i * K + k]);
  const T = trajectories.T;
  const stage = run.stageOf[i];
  return {
    line: pool.lines[i],
    id: pool.ids[i],
    capability: capabilityId(attribution.hard[i]),
    influence,
    selfInfluence: round6(attribution.selfInfluence[i]),
    loss: round6(trajectories.loss[i * T + T - 1]),
    style: STYLES[pool.primaryStyle[i]] ?? 'unknown',
    selected: stage >= 0,
    stage: stage >= 0 ? stageId(stage) : null,
  };
}

export function attributionAt(run: CurationRun, line: number): AttributionRow | undefined {
  const i = sampleAtLine(run.pool, line);
  return i < 0 ? undefined : attributionOf(run, i);
}

export function attributionsInRange(run: CurationRun, startLine: number, endLine: number): AttributionRow[] {
  const out: AttributionRow[] = [];
  const { lines, n } = run.pool;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid] < startLine) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < n && lines[i] <= endLine; i++) out.push(attributionOf(run, i));
  return out;
}

export function attributionRows(run: CurationRun): AttributionRow[] {
  const rows: AttributionRow[] = new Array(run.pool.n);
  for (let i = 0; i < run.pool.n; i++) rows[i] = attributionOf(run, i);
  return rows;
}

export type { CapabilityModel };
