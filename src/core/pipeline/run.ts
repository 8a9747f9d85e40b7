// The CADC pipeline end to end: read → featurise → warm-up → trajectories → capabilities →
// influence → select → sequence, with progress, cancellation and a cache. Selection and sequencing:
// reselect.ts; cache keys: cacheKey.ts; attribution rows: attribution.ts.
import * as path from 'node:path';
import type { CurationConfig } from '../config';
import { TASK_LABEL_FIELDS } from '../features/labels';
import { buildPool, labelCandidates } from '../features/pool';
import type { Pool } from '../features/types';
import { DatasetReadError } from '../dataset/errors';
import { readErrorMessage } from '../dataset/sniff';
import type { DatasetSummary } from '../dataset/types';
import { warmUp } from '../proxy/warmup';
import type { WarmupResult } from '../proxy/warmup';
import { sketchDim } from '../gradients/sketch';
import { computeTrajectories } from '../gradients/trajectories';
import { checkGradientsDataset, openGradientsFolder } from '../gradients/importIndex';
import { importTrajectories } from '../gradients/importTrajectories';
import type { ImportedGradients } from '../gradients/importTrajectories';
import type { Trajectories } from '../gradients/types';
import { discoverCapabilities } from '../capabilities/discover';
import { WEAK_RELIABILITY } from '../capabilities/graph';
import { probeGroupsFromLabels } from '../capabilities/probeGroups';
import { attribute, describeCapabilities } from '../influence/attribute';
import type { TextGroupsMemo } from '../capabilities/types';
import { instructionReader, readExampleTexts } from '../influence/examples';
import { findDuplicates } from '../selection/dedup';
import { getStrategy } from '../selection/strategies';
import { prepareSelection } from '../selection/strategies/groupInfluence';
import { loadScoresFile } from '../selection/scores';
import { Rng } from '../util/rng';
import { openCurationCache } from '../store/cache';
import { ImageRefs } from '../store/imageDeps';
import { throwIfCancelled } from '../runtime/cancel';
import type { CurationInput, CurationRun } from './api';
import { attributionOf } from './attribution';
import { cacheKeyParts } from './cacheKey';
import { fileSha256 } from './fileHash';
import { selectFor, sequenceFor } from './reselect';
import { StageClock } from './stageClock';
import { moreProxiesOf } from './proxies';
import { proxyCap, seedReliability } from '../capabilities/ensemble';
import type { MoreProxies, ProxyCosinesMemo } from '../capabilities/types';

/** A cache entry read through: what `load` finds, else what `compute` makes, kept with `save` first. */
async function readThrough<T>(
  load: () => Promise<T | undefined>,
  save: (value: T) => Promise<void>,
  compute: () => Promise<T>,
): Promise<T> {
  const hit = await load();
  if (hit) return hit;
  const value = await compute();
  await save(value);
  return value;
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

  // Imported gradients: the folder is checked (index, file sizes and headers) before any work.
  if (input.gradientsDir && input.probeFile) throw new Error(PROBE_WITH_GRADIENTS);
  const gradients = input.gradientsDir ? openGradientsFolder(input.gradientsDir) : undefined;
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

    // Warm-up and trajectories (cached together: trajectories need the warm-up's checkpoints), or
    // the trajectories of a gradient job (never cached: its folder is already on disk, checksummed).
    let warm: WarmupResult | undefined;
    let traj: Trajectories | undefined;
    let imported: ImportedGradients | undefined;
    // A block of trajectories too large to hold in memory goes to a temporary file here (gradients/store.ts).
    const spillDir = input.cacheDir ?? undefined;
    if (gradients) {
      checkGradientsDataset(gradients, summary);
      clock.begin('warm-up');
      clock.report('warm-up', 1, 'not needed: imported gradients');
      clock.end('warm-up');
      imported = await clock.run('trajectories', (report) =>
        importTrajectories(gradients, thePool, { onProgress: report, signal, log, ...(spillDir ? { spillDir } : {}) }),
      );
      traj = imported.trajectories;
    } else {
      if (cache) {
        const hit = await cache.loadTrajectories(summary.sha256, keys.trajectories(images));
        if (hit) ({ warm, traj } = hit);
      }
      if (!warm || !traj) {
        warm = await clock.run('warm-up', (report) => warmUp(thePool, cfg, rng.fork('warm-up'), { onProgress: report, signal }));
        const w = warm;
        traj = await clock.run('trajectories', (report) =>
          computeTrajectories(thePool, w, cfg, { onProgress: report, signal, ...(spillDir ? { spillDir } : {}) }),
        );
        if (cache) await cache.saveTrajectories(summary.sha256, keys.trajectories(images), warm, traj);
      } else {
        cacheHit = true;
        clock.cached('warm-up');
        clock.cached('trajectories');
      }
    }
    const theTraj = traj;
    throwIfCancelled(signal);

    const probeFile = input.probeFile;
    const w = warm;
    // Text probe groups depend on the dataset, not on the trajectories: a run with the cache reuses them.
    const textGroups: TextGroupsMemo | undefined = cache
      ? (k, compute) => {
          const key = keys.textGroups(k);
          return readThrough(
            () => cache.loadTextGroups(sha, key, thePool.n),
            (of) => cache.saveTextGroups(sha, key, of),
            compute,
          );
        }
      : undefined;
    // An extra proxy's group cosines depend on its trajectories and the groups: a re-run trains no proxy again.
    const proxyCosines: ProxyCosinesMemo | undefined = cache
      ? (r, basis, compute) => {
          const key = keys.proxyCosines(images, r, basis);
          return readThrough(
            () => cache.loadProxyCosines(sha, key, basis.G, basis.H),
            (of) => cache.saveProxyCosines(sha, key, of),
            compute,
          );
        }
      : undefined;
    const capabilities = await clock.run('capabilities', async (report) => {
      const probe = probeFile && w ? await probeFromFile(probeFile, cfg, w, thePool.n, input, signal) : undefined;
      // Imported gradients come from one model: no proxies to add.
      const proxies = imported ? undefined : moreProxiesOf(thePool, cfg, signal);
      const cap = proxyCap(cfg.capabilities.proxies ?? 1, thePool.n);
      // The share of the most proxies the run may train: the stage ends early when fewer suffice.
      const moreProxies: MoreProxies | undefined = proxies
        ? (r) => {
            report(r / cap, `proxy ${r + 1} of up to ${cap} for a reliable graph`);
            return proxies(r);
          }
        : undefined;
      return discoverCapabilities(thePool, theTraj, cfg, rng.fork('capabilities'), {
        labelCandidates: labelCandidates(thePool),
        probe,
        textGroups,
        ...(moreProxies ? { moreProxies } : {}),
        ...(moreProxies && proxyCosines ? { proxyCosines } : {}),
      });
    });
    const g = capabilities.graph;
    const reliability = seedReliability(g);
    if (reliability !== undefined && reliability < WEAK_RELIABILITY)
      log?.warn(
        `capabilities: the learning trajectories barely tell the probe groups apart on this pool (${
          (g.proxies ?? 1) >= 2 && g.proxyAgreement !== undefined
            ? `reliability ${reliability.toFixed(2)} across ${g.proxies} proxies that agree at ${g.proxyAgreement!.toFixed(2)}`
            : `split-half reliability ${reliability.toFixed(2)}`
        }, below ${WEAK_RELIABILITY}): another seed may give other capabilities; read them as a rough map`,
      );
    throwIfCancelled(signal);
    const attribution = await clock.run('influence', async () => {
      const a = await attribute(theTraj, capabilities, cfg.capabilities.assign);
      await describeCapabilities(thePool, capabilities, a, instructionReader(datasetPath, thePool, readOpts));
      await readExampleTexts(datasetPath, thePool, capabilities, readOpts);
      return a;
    });
    throwIfCancelled(signal);
    clock.begin('select');
    const duplicates = findDuplicates(thePool, cfg.selection.nearDuplicateBits);
    // Per-group influence for LESS / ICONS (ORT GEMMs): the asynchronous part of selection.
    const groupInfluence = await prepareSelection({
      pool: thePool,
      config: cfg,
      strategy: getStrategy(cfg.strategy),
      trajectories: theTraj,
      capabilities,
    });
    const partial = {
      input: { ...input, datasetPath },
      summary,
      pool: thePool,
      trajectories: theTraj,
      warmup: imported?.warmup ?? {
        samples: w?.indices.length ?? 0,
        checkpoints: (w?.checkpoints ?? []).map((c) => ({ t: c.t, eta: c.eta, trainLoss: c.trainLoss })),
      },
      ...(imported ? { gradients: imported.source } : {}),
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
    }
    return run;
  } finally {
    cache?.close();
  }
}

const PROBE_WITH_GRADIENTS =
  'a probe file needs trajectories of its own samples, which imported gradients do not have: run without --probe (probe groups then come from a label field or from clusters of the imported trajectories)';

/** A dataset with fewer than 2 valid samples is bad input (exit 3), said in one line like the reader's. */
function tooFewSamples(n: number, s: DatasetSummary): DatasetReadError {
  const found = `${n} valid sample(s) in ${s.records} record(s)${s.invalid ? ` (${s.invalid} invalid)` : ''}, and CADC needs at least 2`;
  return new DatasetReadError(
    n === 0 && s.bytes === 0 ? 'empty' : 'no-records',
    readErrorMessage(s.path, found, { line: s.lines, byte: s.bytes }),
    s.lines,
    s.bytes,
  );
}

/**
 * Probe groups from a probe dataset (docs/method.md §1.2): its samples, grouped by a task-label field,
 * with trajectories from the same warm-up checkpoints as the pool.
 */
async function probeFromFile(
  file: string,
  cfg: CurationConfig,
  warm: WarmupResult,
  poolSize: number,
  input: CurationInput,
  signal?: AbortSignal,
) {
  const { pool: probePool } = await buildPool(path.resolve(file), cfg, { imageRoot: undefined, confineTo: input.confineTo, signal });
  const field =
    cfg.capabilities.labelField ??
    TASK_LABEL_FIELDS.find((f) => probePool.labels[f] && probePool.labels[f].values.length >= 2) ??
    labelCandidates(probePool)[0];
  if (!field) throw new Error(`The probe file ${file} has no task-label field (task_name, source, category, …) to group its samples by.`);
  const groups = { ...probeGroupsFromLabels(probePool, field), source: 'file' as const };
  // The pool's sketch (an 'auto' size is the pool's, not the probe file's), so the two compare.
  const projectionDim = sketchDim(cfg.gradients.projectionDim, poolSize, warm.checkpoints.length);
  const traj = await computeTrajectories(probePool, warm, { ...cfg, gradients: { ...cfg.gradients, projectionDim } }, { signal });
  return { groups, traj };
}
