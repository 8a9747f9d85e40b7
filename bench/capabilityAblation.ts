// What limits the capabilities' agreement with human labels? One factor of the discovery at a time,
// everything else at the shipped default (text probe groups from a fixed seed, the group graph on the
// proxy's centred trajectories gated by the groups' text cosine, one Louvain run), on every labelled
// dataset of bench/labelled.ts:
// - sketch: the projection size per side of each layer ('auto', the default: 32 up to 4,096 samples, 16 up to
//   16,384, else 8 — gradients/sketch.ts; fixed at 8, the previous default, 16 and 32), 2 layers × d² per checkpoint;
// - ensemble: the trajectories of 3 proxies (the seed's and two more, seed + 10,000·r) side by side, so the
//   group cosines average over proxy initialisations (as TRAK ensembles models), and the shipped rule since
//   the proxy-ensemble round: proxies averaged until their agreement predicts a reliable graph
//   (capabilities/ensemble.ts; the discovery itself, with proxies from pipeline/proxies.ts). Every other
//   arm, the default arm included, holds the graph at one proxy;
// - layers: the trajectory of both hooked layers (default), of the output layer only, of the hidden layer only;
// - centring: the group mean gradients minus the pool's mean gradient per checkpoint (default) or as they are;
// - graph: the trajectory cosine times the groups' text-centroid cosine (default: edges need both), the
//   trajectory cosine alone (centred, or not: the previous default), their average, or the text cosine
//   alone (a text reference, not CADC);
// - merge: how groups become K capabilities at the K Louvain found: Louvain (default), average linkage on
//   the trajectory cosine, top-down bisection (graph.ts splitOrMergeTo from one community);
// - groups: the number of text probe groups (√n by default; 32, 64, 512), and the text they are formed on:
//   the exact sparse TF-IDF (default, capabilities/textGroups.ts), a 128-d random projection of it (the
//   previous default), a 512-d one (half the projection's cosine error), or the exact TF-IDF clustered by
//   the bench's own k-means on every sample (partitions.ts sparseKMeans: a reference for the product's).
// Each arm: K per seed, NMI / ARI against every label (mean over seeds), stability (mean ARI between the
// seeds' partitions); the same with K forced to the number of values of the first label (≤ 64).
// Labels never reach the discovery. Run: npx tsx bench/capabilityAblation.ts [folder] [--seeds 3] [--smoke]
// (folder as bench/capabilities.ts; --smoke: the in-repo fixtures, nothing written to bench/results).
import { writeFileSync } from 'node:fs';
import { resolveConfig } from '../src/core/config';
import { discoverCapabilities } from '../src/core/capabilities/discover';
import { autoMicroClusters, chooseProbeGroups, groupsOf, probeGroupsFromClusters } from '../src/core/capabilities/probeGroups';
import { renumberByFirstAppearance } from '../src/core/capabilities/kmeansSteps';
import { averageLinkage } from '../src/core/capabilities/consensus';
import {
  centredMeans,
  cosineMatrix,
  findCommunities,
  gateByText,
  groupMeans,
  splitOrMergeTo,
  thresholdEdges,
  unitGroupRows,
} from '../src/core/capabilities/graph';
import { groupTextCosines } from '../src/core/capabilities/textGroups';
import type { ProbeGroups } from '../src/core/capabilities/types';
import type { Pool } from '../src/core/features/types';
import { sketchDim } from '../src/core/gradients/sketch';
import type { Trajectories } from '../src/core/gradients/types';
import { trajectoriesFromArrays } from '../src/core/gradients/trajectories';
import { moreProxiesOf } from '../src/core/pipeline/proxies';
import { Rng } from '../src/core/util/rng';
import { purity } from '../src/core/util/stats';
import { runBench } from './data';
import { sparseKMeans, tfidfRows } from './partitions';
import { companionFile, labelledArgs, loadLabelled, mean, r4, runLabelled, scores, seedRuns, stability } from './labelled';
import type { DatasetSpec, LabelCodes } from './labelled';

interface Arm {
  factor: 'default' | 'sketch' | 'ensemble' | 'layers' | 'centring' | 'graph' | 'merge' | 'groups';
  name: string;
  projectionDim?: number;
  /** Proxies whose trajectories are concatenated (1 unset). */
  ensemble?: number;
  /** The shipped proxy ensemble ('auto'), run through the discovery itself. */
  proxiesAuto?: boolean;
  layers?: 'output' | 'hidden';
  /** Unset: the default's (centred). */
  centre?: boolean;
  /** Unset: the default's ('product'). */
  graph?: 'trajectory' | 'text' | 'product' | 'average';
  merge?: 'average-linkage' | 'bisection';
  microClusters?: number;
  textDim?: number;
  sparseGroups?: boolean;
}

const ARMS: Arm[] = [
  {
    factor: 'default',
    name: 'default with one proxy (sketch sized to the pool, both layers, centred trajectories × text cosine, Louvain, √n text groups on the exact TF-IDF)',
  },
  { factor: 'sketch', name: 'sketch 8² per layer (the previous default)', projectionDim: 8 },
  { factor: 'sketch', name: 'sketch 16² per layer', projectionDim: 16 },
  { factor: 'sketch', name: 'sketch 32² per layer', projectionDim: 32 },
  { factor: 'ensemble', name: 'trajectories of 3 proxies (other initialisations) side by side', ensemble: 3 },
  { factor: 'ensemble', name: 'proxies averaged until reliable (the shipped default since the proxy-ensemble round)', proxiesAuto: true },
  { factor: 'layers', name: 'output layer only', layers: 'output' },
  { factor: 'layers', name: 'hidden layer only', layers: 'hidden' },
  { factor: 'centring', name: 'group means not centred (× text cosine)', centre: false },
  { factor: 'graph', name: 'trajectory cosine alone, centred', graph: 'trajectory' },
  { factor: 'graph', name: 'trajectory cosine alone, not centred (the previous default)', graph: 'trajectory', centre: false },
  { factor: 'graph', name: 'average of the centred trajectory cosine and the text cosine', graph: 'average' },
  { factor: 'graph', name: 'text centroids only (reference, not CADC)', graph: 'text' },
  { factor: 'merge', name: 'average linkage at Louvain’s K', merge: 'average-linkage' },
  { factor: 'merge', name: 'top-down bisection to Louvain’s K', merge: 'bisection' },
  { factor: 'groups', name: '32 text groups', microClusters: 32 },
  { factor: 'groups', name: '64 text groups', microClusters: 64 },
  { factor: 'groups', name: '512 text groups', microClusters: 512 },
  { factor: 'groups', name: '√n text groups on a 128-d projection of the TF-IDF (the previous default)', textDim: 128 },
  { factor: 'groups', name: '√n text groups on a 512-d projection of the TF-IDF', textDim: 512 },
  { factor: 'groups', name: '√n text groups on the exact TF-IDF, bench JS k-means on every sample (reference)', sparseGroups: true },
];

/** The sketch an arm runs with on a pool of n samples ('auto' resolved, so equal sizes share trajectories). */
const sketchOf = (a: Arm, n: number) =>
  sketchDim(a.projectionDim ?? resolveConfig({}).gradients.projectionDim, n, resolveConfig({}).proxy.checkpoints);

/**
 * Several runs' trajectories of the same pool as one, checkpoints side by side (T = ΣT_r): a group's
 * concatenated unit rows give the mean of its per-run cosines.
 */
function concatTrajectories(list: Trajectories[]): Trajectories {
  const { n, D } = list[0];
  const TT = list.reduce((a, t) => a + t.T, 0);
  const g: Float32Array[] = [];
  const loss = new Float32Array(n * TT);
  const gradNormSq = new Float32Array(n * TT);
  const eta = new Float64Array(TT);
  let at = 0;
  for (const tr of list) {
    for (let t = 0; t < tr.T; t++, at++) {
      g.push(Float32Array.from(tr.slice(t, 0, n)));
      eta[at] = tr.eta[t];
      for (let i = 0; i < n; i++) {
        loss[i * TT + at] = tr.loss[i * tr.T + t];
        gradNormSq[i * TT + at] = tr.gradNormSq[i * tr.T + t];
      }
    }
  }
  return trajectoriesFromArrays({ n, T: TT, D, storage: 'float32', g, loss, gradNormSq, eta });
}

/** The probe groups' key: count, text width, sparse or not. */
const groupKey = (a: Arm) => `${a.microClusters ?? 0}:${a.textDim ?? 'exact'}:${a.sparseGroups ? 'reference' : 'product'}`;

/** The bench's own exact TF-IDF k-means on every sample (partitions.ts), as probe groups the way probeGroups.ts numbers them. */
function referenceTextGroups(pool: Pool, k: number, seed: number): ProbeGroups {
  const of = sparseKMeans(tfidfRows(pool), pool.dims.questionBuckets, k, seed);
  renumberByFirstAppearance(of, k);
  return { ...groupsOf(of), signal: 'text' };
}

/**
 * Unit group trajectories [G, T·D] as discover.ts makes them (graph.ts unitGroupRows), from the group
 * means after the arm's change: one layer's half kept, or the pool's mean gradient subtracted.
 */
function groupRows(means: Float64Array, traj: Trajectories, groups: ProbeGroups, arm: Arm): Float32Array {
  const { T, D } = traj;
  const G = groups.names.length;
  // The stored g is [output layer (d²), hidden layer (d²)] (proxy/model.ts buildTrajectoryGraph).
  const half = D / 2;
  const keep = (j: number) => (arm.layers === 'output' ? j < half : arm.layers === 'hidden' ? j >= half : true);
  const changed = arm.centre ? centredMeans(means, T, G, D, groups.sizes) : Float64Array.from(means);
  for (let t = 0; t < T; t++) for (let g = 0; g < G; g++) for (let j = 0; j < D; j++) if (!keep(j)) changed[(t * G + g) * D + j] = 0;
  return unitGroupRows(changed, T, G, D, traj.eta);
}

/** Capabilities per group for one arm and one seed's trajectories, at K auto (Louvain) or forced. */
async function partition(
  traj: Trajectories,
  groups: ProbeGroups,
  textCos: Float32Array,
  arm: Arm,
  seed: number,
  k: number | 'auto',
): Promise<{ community: Int32Array; count: number }> {
  const G = groups.names.length;
  const { T, D } = traj;
  const { means, u } = groupMeans(traj, groups);
  const centre = arm.centre ?? true;
  const graph = arm.graph ?? 'product';
  // As discover.ts: centredMeans then unitGroupRows (groupRows; layer arms also mask a layer).
  const rows = arm.layers || centre ? groupRows(means, traj, groups, { ...arm, centre }) : u;
  const trajCos = await cosineMatrix(rows, G, T * D);
  const cos =
    graph === 'text'
      ? textCos
      : graph === 'product'
        ? gateByText(trajCos, textCos)
        : graph === 'average'
          ? Float32Array.from(trajCos, (v, i) => (v + textCos[i]) / 2)
          : trajCos;
  const { edges } = thresholdEdges(cos, G, 'auto');
  // The same stream discover.ts gives Louvain for this seed.
  const part = findCommunities(G, edges, cos, 1, k, new Rng(seed).fork('capabilities').fork('communities'), groups.sizes);
  if (arm.merge === 'average-linkage') return { community: averageLinkage(Float64Array.from(cos), G, part.count), count: part.count };
  if (arm.merge === 'bisection') return splitOrMergeTo(new Int32Array(G), 1, cos, G, part.count, groups.sizes);
  return part;
}

/** The shipped discovery with its proxy ensemble (proxies from pipeline/proxies.ts, as a run trains them). */
async function shippedEnsemble(pool: Pool, traj: Trajectories, seed: number, k: number | 'auto') {
  const cfg = resolveConfig({ seed, capabilities: { probe: 'clusters', proxies: 'auto', k } });
  const model = await discoverCapabilities(pool, traj, cfg, new Rng(seed).fork('capabilities'), {
    labelCandidates: [],
    moreProxies: moreProxiesOf(pool, resolveConfig({ seed })),
  });
  return { community: model.groupCapability, count: model.K };
}

/** Whether the default arm's partition is discover.ts's own (default config, assigned by group) for every seed. */
async function matchesShipped(
  pool: Pool,
  list: Trajectories[],
  groups: ProbeGroups,
  textCos: Float32Array,
  seeds: number[],
): Promise<boolean> {
  for (const [s, traj] of list.entries()) {
    const cfg = resolveConfig({ seed: seeds[s], capabilities: { probe: 'clusters', proxies: 1 } });
    const model = await discoverCapabilities(pool, traj, cfg, new Rng(seeds[s]).fork('capabilities'), { labelCandidates: [] });
    const mine = await partition(traj, groups, textCos, ARMS[0], seeds[s], 'auto');
    if (model.K !== mine.count || model.groupCapability.some((c, g) => c !== mine.community[g])) return false;
  }
  return true;
}

function summarise(parts: Int32Array[], Ks: number[], labels: LabelCodes) {
  const per = parts.map((p) => scores(p, labels));
  return {
    K: Ks,
    ...Object.fromEntries(
      Object.keys(labels).map((l) => [l, { nmi: r4(mean(per.map((s) => s[l].nmi))), ari: r4(mean(per.map((s) => s[l].ari))) }]),
    ),
    stability: stability(parts),
  };
}

async function runDataset(spec: DatasetSpec, seeds: number[]) {
  const t0 = performance.now();
  const { pool, labels } = await loadLabelled(spec);
  const first = Object.values(labels)[0];
  const forcedK = first && first.values.length <= 64 ? Math.max(2, first.values.length) : undefined;
  // Trajectories per projection size and seed, computed once; an ensemble arm's extra proxies on top.
  const trajs = new Map<string, Trajectories[]>();
  for (const pd of new Set(ARMS.map((a) => sketchOf(a, pool.n)))) {
    trajs.set(
      `${pd}:1`,
      (await seedRuns(pool, seeds, { projectionDim: pd })).map((r) => r.traj),
    );
  }
  for (const arm of ARMS.filter((a) => (a.ensemble ?? 1) > 1)) {
    const pd = sketchOf(arm, pool.n);
    const R = arm.ensemble!;
    const extra: Trajectories[][] = [];
    for (let r = 1; r < R; r++)
      extra.push(
        (
          await seedRuns(
            pool,
            seeds.map((s) => s + 10_000 * r),
            { projectionDim: pd },
          )
        ).map((x) => x.traj),
      );
    trajs.set(
      `${pd}:${R}`,
      trajs.get(`${pd}:1`)!.map((t, s) => concatTrajectories([t, ...extra.map((e) => e[s])])),
    );
  }
  // Probe groups per group count (text groups from the default's fixed seed: the same for every seed).
  const groupSets = new Map<string, { groups: ProbeGroups; textCos: Float32Array }>();
  for (const arm of ARMS) {
    const key = groupKey(arm);
    if (groupSets.has(key)) continue;
    const mc = arm.microClusters ?? 0;
    const cfg = resolveConfig({ capabilities: { probe: 'clusters', microClusters: mc } });
    const rng = new Rng(cfg.capabilities.groupSeed ?? 0).fork('probe');
    const textRng = rng.fork('text-centroids'); // before the groups draw from rng, as in discover.ts
    const first = trajs.values().next().value![0];
    const k = mc > 0 ? mc : autoMicroClusters(pool.n);
    const groups = arm.sparseGroups
      ? referenceTextGroups(pool, k, cfg.capabilities.groupSeed ?? 0)
      : arm.textDim
        ? await probeGroupsFromClusters(pool, first, k, rng, 'text', 20_000, arm.textDim)
        : await chooseProbeGroups(pool, first, cfg, rng, []);
    const G = groups.names.length;
    // The text cosines discover.ts computes for these groups (the same seeded choice of members).
    groupSets.set(key, { groups, textCos: await groupTextCosines(pool, groups.of, G, textRng) });
  }
  const arms = [];
  for (const arm of ARMS) {
    const list = trajs.get(`${sketchOf(arm, pool.n)}:${arm.ensemble ?? 1}`)!;
    const { groups, textCos } = groupSets.get(groupKey(arm))!;
    const run = async (k: number | 'auto') => {
      const parts: Int32Array[] = [];
      const Ks: number[] = [];
      for (const [s, traj] of list.entries()) {
        const p = arm.proxiesAuto
          ? await shippedEnsemble(pool, traj, seeds[s], k)
          : await partition(traj, groups, textCos, arm, seeds[s], k);
        parts.push(Int32Array.from(groups.of, (g) => (g >= 0 ? p.community[g] : -1)));
        Ks.push(p.count);
      }
      return summarise(parts, Ks, labels);
    };
    // The default arm must be the shipped discovery, or the table measures something else.
    const shipped = arm.factor === 'default' ? await matchesShipped(pool, list, groups, textCos, seeds) : undefined;
    const row = {
      factor: arm.factor,
      ...(shipped !== undefined ? { matchesShipped: shipped } : {}),
      name: arm.name,
      sketch: sketchOf(arm, pool.n),
      groups: groups.names.length,
      groupsVsLabel: Object.fromEntries(Object.entries(scores(groups.of, labels)).map(([l, s]) => [l, r4(s.nmi)])),
      groupsPurity: Object.fromEntries(Object.entries(labels).map(([l, x]) => [l, r4(purity(groups.of, x.codes))])),
      auto: await run('auto'),
      ...(forcedK !== undefined ? { forced: { k: forcedK, ...(await run(forcedK)) } } : {}),
    };
    arms.push(row);
    process.stderr.write(`${spec.name}: ${arm.name}: ${JSON.stringify(row.auto)}\n`);
  }
  return {
    name: spec.name,
    samples: pool.n,
    labels: Object.fromEntries(Object.entries(labels).map(([l, x]) => [l, x.values.length])),
    seeds,
    arms,
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

function parse() {
  const args = labelledArgs(process.argv.slice(2));
  // A smoke run keeps to the smallest fixture (every arm, two seeds) so the unit suite stays quick.
  return { ...args, only: args.only ?? (args.smoke ? ['owleval'] : undefined) };
}

async function main(): Promise<void> {
  const args = parse();
  const results = await runLabelled(
    'capabilityAblation',
    'One factor of the discovery changed at a time from the shipped default; labels removed before discovery. NMI (arithmetic) and ARI against each label, mean over seeds; stability = mean ARI between the seeds’ partitions; forced = K set to the number of values of the first label.',
    args,
    runDataset,
  );
  const md = companionFile(args, 'capabilityAblation', '.md');
  if (md) writeFileSync(md, table(results));
  if (args.external) process.stderr.write(table(results));
}

/** Markdown: one row per arm, NMI of the first label at auto K and forced K per dataset, with stability. */
function table(results: Awaited<ReturnType<typeof runDataset>>[]): string {
  const head = results.map((d) => `${d.name} \`${Object.keys(d.labels)[0]}\`: NMI auto K (stab) · forced K`);
  const lines = [`| factor | arm | ${head.join(' | ')} |`, `|---|---|${results.map(() => '---').join('|')}|`];
  for (let i = 0; i < ARMS.length; i++) {
    const cells = results.map((d) => {
      const a = d.arms[i];
      const l = Object.keys(d.labels)[0];
      const auto = a.auto as unknown as Record<string, { nmi: number }> & { stability: number; K: number[] };
      const forced = a.forced as unknown as (Record<string, { nmi: number }> & { stability: number }) | undefined;
      return `${auto[l].nmi.toFixed(2)} (${auto.stability.toFixed(2)}; K ${auto.K.join(',')})${forced ? ` · ${forced[l].nmi.toFixed(2)}` : ''}`;
    });
    lines.push(`| ${ARMS[i].factor} | ${ARMS[i].name} | ${cells.join(' | ')} |`);
  }
  return `# Capability discovery, one factor at a time (bench/capabilityAblation.ts)\n\n${lines.join('\n')}\n`;
}

runBench(main);
