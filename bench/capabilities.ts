// Do the discovered capabilities mean something? For every labelled dataset (llava-eval-pool by `source`
// and `category`, owleval by `ability` and `turns`, vision-flan-205 by the task family — the dataset part
// of `task_name` — and the demo by where each row comes from), NMI and ARI of the capabilities against each
// label, beside baselines at the same K: spherical k-means on the TF-IDF of the instruction text, on the
// proxy's raw input features and on the trajectories themselves, and a random partition of the same sizes.
// Stability: mean ARI between the partitions of different seeds (each seed re-runs the warm-up, the
// trajectories and the discovery). Every discovery variant (what the probe groups are formed on, how a
// sample gets its capability, K forced to the number of label values) runs on the same trajectories, so
// the table says which signal did what. Labels never reach the discovery: the pool's label columns are
// removed and probe groups are unsupervised.
// Data: a folder holding llava-eval-pool/, owleval/ and vision-flan-205/ as the argument or in
// $CADC_BENCH_DATA (bench/data.ts); the demo comes from the repository. --smoke: the in-repo fixtures.
// Run: npx tsx bench/capabilities.ts [folder] [--seeds 3] [--smoke]
import { writeFileSync } from 'node:fs';
import { resolveConfig } from '../src/core/config';
import type { CurationConfig } from '../src/core/config';
import { discoverCapabilities } from '../src/core/capabilities/discover';
import { trajectoryRows } from '../src/core/capabilities/probeGroups';
import type { MoreProxies } from '../src/core/capabilities/types';
import type { Trajectories } from '../src/core/gradients/types';
import { attribute } from '../src/core/influence/attribute';
import { moreProxiesOf } from '../src/core/pipeline/proxies';
import { Rng } from '../src/core/util/rng';
import { runBench } from './data';
import { companionFile, labelledArgs, loadLabelled, mean, r4, runLabelled, scores, seedRuns, stability } from './labelled';
import type { DatasetSpec } from './labelled';
import { denseKMeans, randomPartition, rawFeatureRows, sparseKMeans, tfidfRows } from './partitions';
import { barChart, grid } from './plot';
import { capabilities as renderCapabilities } from './renderCapabilities';

/** A discovery variant: capability settings over the defaults. */
interface Variant {
  name: string;
  /** Capability settings, or a function of the pool size. */
  caps: Partial<CurationConfig['capabilities']> | ((n: number) => Partial<CurationConfig['capabilities']>);
  /** The shipped default (the one the plot's baselines are compared with). */
  isDefault?: boolean;
  /** Probe groups seeded by the run's seed (as before groupSeed existed) instead of the default's fixed seed. */
  groupSeedFromRun?: boolean;
}

/** The text-group variants before consensus communities: one Louvain run, groups from the run's seed. */
const BEFORE = { communities: 'louvain', groupSeedFromRun: true } as const;
/** The group graph of every variant before the trajectories-and-text graph: the trajectory cosine alone. */
const TRAJ = 'trajectories' as const;

const VARIANTS: Variant[] = [
  // Earlier choices (one Louvain run, K = its count, groups seeded by the run), kept for the record.
  {
    name: 'groups on trajectories, assigned by influence (before text groups)',
    caps: { groupSignal: 'trajectories', assign: 'influence', communities: BEFORE.communities, graph: TRAJ },
    groupSeedFromRun: true,
  },
  {
    name: 'groups on trajectories, assigned by group',
    caps: { groupSignal: 'trajectories', assign: 'group', communities: BEFORE.communities, graph: TRAJ },
    groupSeedFromRun: true,
  },
  {
    name: 'groups on text, assigned by influence',
    caps: { groupSignal: 'text', assign: 'influence', communities: BEFORE.communities, graph: TRAJ },
    groupSeedFromRun: true,
  },
  {
    name: 'groups on text, assigned by group (before consensus)',
    caps: { groupSignal: 'text', assign: 'group', communities: BEFORE.communities, graph: TRAJ },
    groupSeedFromRun: true,
  },
  {
    name: 'groups on text+trajectories, assigned by group',
    caps: { groupSignal: 'text+trajectories', assign: 'group', communities: BEFORE.communities, graph: TRAJ },
    groupSeedFromRun: true,
  },
  // What each half of the stability change does alone, then both (the previous default).
  {
    name: 'text groups, one Louvain run, groups seeded apart from the run, trajectory graph (the previous default)',
    caps: { groupSignal: 'text', assign: 'group', communities: 'louvain', graph: TRAJ },
  },
  {
    name: 'text groups, consensus K, groups seeded by the run',
    caps: { groupSignal: 'text', assign: 'group', communities: 'consensus', graph: TRAJ },
    groupSeedFromRun: true,
  },
  {
    name: 'text groups, consensus K, groups seeded apart from the run',
    caps: { groupSignal: 'text', assign: 'group', communities: 'consensus', graph: TRAJ },
  },
  {
    name: 'text groups, K by stability, one Louvain run split or merged to it, groups seeded apart from the run',
    caps: { groupSignal: 'text', assign: 'group', communities: 'stable-k', graph: TRAJ },
  },
  // The group graph: centred trajectories gated by the groups' text cosine (bench:capability-ablation).
  {
    name: 'text groups, one Louvain run, centred trajectories × text cosine, one proxy (the previous default)',
    caps: { groupSignal: 'text', assign: 'group', communities: 'louvain', graph: 'trajectories-and-text', proxies: 1 },
  },
  // The graph averaged over proxies until their agreement predicts a reliable graph (capabilities/ensemble.ts).
  {
    name: 'text groups, one Louvain run, centred trajectories × text cosine, proxies averaged until reliable (default)',
    caps: { groupSignal: 'text', assign: 'group', communities: 'louvain', graph: 'trajectories-and-text', proxies: 'auto' },
    isDefault: true,
  },
];

async function runDataset(spec: DatasetSpec, seeds: number[], chosen: Variant[] = VARIANTS) {
  const t0 = performance.now();
  const { pool, labels } = await loadLabelled(spec);
  const runs = await seedRuns(pool, seeds);
  const trajSeconds = (performance.now() - t0) / 1000;
  // The extra proxies of the graph's ensemble, as a run with each seed trains them (pipeline/proxies.ts),
  // each trained once per seed and shared by every variant that asks for it.
  const extra = new Map<string, Promise<Trajectories>>();
  const sources = new Map<number, MoreProxies>();
  const moreProxies =
    (seed: number): MoreProxies =>
    (r) => {
      const key = `${seed}:${r}`;
      if (!sources.has(seed)) sources.set(seed, moreProxiesOf(pool, resolveConfig({ seed })));
      if (!extra.has(key)) extra.set(key, sources.get(seed)!(r));
      return extra.get(key)!;
    };
  const variants = [];
  const Ks = new Set<number>();
  const discoverSeconds: number[] = [];
  for (const v of chosen) {
    const perSeed = [];
    const parts: Int32Array[] = [];
    const groupParts: Int32Array[] = [];
    const variantSeconds: number[] = [];
    for (const run of runs) {
      const caps = typeof v.caps === 'function' ? v.caps(pool.n) : v.caps;
      // Variants from before the proxy ensemble keep one proxy unless they name the setting.
      const cfg = resolveConfig({ seed: run.seed, capabilities: { probe: 'clusters', proxies: 1, ...caps } });
      if (v.groupSeedFromRun) delete cfg.capabilities.groupSeed;
      const d0 = performance.now();
      const model = await discoverCapabilities(pool, run.traj, cfg, new Rng(run.seed).fork('capabilities'), {
        labelCandidates: [],
        moreProxies: moreProxies(run.seed),
      });
      const att = await attribute(run.traj, model, cfg.capabilities.assign);
      discoverSeconds.push((performance.now() - d0) / 1000);
      variantSeconds.push((performance.now() - d0) / 1000);
      Ks.add(model.K);
      parts.push(att.hard);
      groupParts.push(model.probe.of);
      perSeed.push({
        seed: run.seed,
        K: model.K,
        ...(model.graph.stability ? { stabilityByK: model.graph.stability } : {}),
        groups: model.probe.names.length,
        ...(model.graph.reliability !== undefined ? { reliability: r4(model.graph.reliability) } : {}),
        proxies: model.graph.proxies ?? 1,
        ...(model.graph.proxyAgreement !== undefined ? { proxyAgreement: r4(model.graph.proxyAgreement) } : {}),
        scores: scores(att.hard, labels, r4),
        groupsVsLabel: scores(model.probe.of, labels, r4),
      });
    }
    variants.push({
      name: v.name,
      caps: v.caps,
      isDefault: !!v.isDefault,
      perSeed,
      mean: meanScores(perSeed),
      stability: stability(parts),
      // Where instability comes from: the probe groups' own agreement between seeds.
      groupStability: stability(groupParts),
      // What one run can tell of it: the graph's split-half reliability, mean over seeds.
      ...(perSeed.every((p) => p.reliability !== undefined) ? { reliability: r4(mean(perSeed.map((p) => p.reliability!))) } : {}),
      // Discovery + attribution per run (s), under whatever load the machine had.
      secondsPerRun: +mean(variantSeconds).toFixed(2),
    });
    process.stderr.write(
      `${spec.name}: ${v.name}: ${JSON.stringify(variants[variants.length - 1].mean)} stability ${variants[variants.length - 1].stability}\n`,
    );
  }
  // Forced K = the number of values of each label (2..64), with the chosen default settings.
  const forced = [];
  // A side run of some variants (--variants) skips the forced-K rows and the baselines.
  const side = chosen !== VARIANTS;
  for (const [l, { values }] of Object.entries(side ? {} : labels)) {
    const k = Math.max(2, Math.min(64, values.length));
    const perSeed = [];
    for (const run of runs) {
      const cfg = resolveConfig({ seed: run.seed, capabilities: { probe: 'clusters', k } });
      const model = await discoverCapabilities(pool, run.traj, cfg, new Rng(run.seed).fork('capabilities'), {
        labelCandidates: [],
        moreProxies: moreProxies(run.seed),
      });
      const att = await attribute(run.traj, model, cfg.capabilities.assign);
      Ks.add(k);
      perSeed.push({ seed: run.seed, K: model.K, scores: scores(att.hard, labels, r4) });
    }
    forced.push({ label: l, k, perSeed, mean: meanScores(perSeed) });
  }
  // Baselines at every K seen, one partition per seed.
  const tfidf = tfidfRows(pool);
  const baselines: Record<string, Record<string, unknown>> = {};
  for (const K of side ? [] : [...Ks].sort((a, b) => a - b)) {
    const rows: Record<string, { perSeed: { seed: number; scores: ReturnType<typeof scores> }[]; parts: Int32Array[] }> = {
      'tf-idf k-means (instruction text)': { perSeed: [], parts: [] },
      'k-means on raw features': { perSeed: [], parts: [] },
      'k-means on trajectories': { perSeed: [], parts: [] },
      'random partition': { perSeed: [], parts: [] },
    };
    for (const run of runs) {
      const text = sparseKMeans(tfidf, pool.dims.questionBuckets, K, run.seed);
      const raw = rawFeatureRows(pool, run.embedding, resolveConfig({}).proxy.embedDim);
      const feats = await denseKMeans(raw.x, pool.n, raw.w, K, run.seed);
      const W = run.traj.T * run.traj.D;
      const traj = await denseKMeans(trajectoryRows(run.traj, 0, pool.n), pool.n, W, K, run.seed);
      const rand = randomPartition(text, run.seed);
      for (const [name, part] of [
        ['tf-idf k-means (instruction text)', text],
        ['k-means on raw features', feats],
        ['k-means on trajectories', traj],
        ['random partition', rand],
      ] as const) {
        rows[name].perSeed.push({ seed: run.seed, scores: scores(part, labels, r4) });
        rows[name].parts.push(part);
      }
    }
    baselines[String(K)] = Object.fromEntries(
      Object.entries(rows).map(([name, r]) => [name, { mean: meanScores(r.perSeed), stability: stability(r.parts), perSeed: r.perSeed }]),
    );
  }
  return {
    name: spec.name,
    samples: pool.n,
    labels: Object.fromEntries(
      Object.entries(labels).map(([l, x]) => [l, { values: x.values.length, labelled: x.codes.filter((c) => c >= 0).length }]),
    ),
    seeds,
    variants,
    forcedK: forced,
    baselines,
    seconds: {
      trajectories: Math.round(trajSeconds),
      discoveryMeanPerRun: +mean(discoverSeconds).toFixed(2),
      total: Math.round((performance.now() - t0) / 1000),
    },
  };
}

function meanScores(perSeed: { K?: number; scores: Record<string, { nmi: number; ari: number }> }[]) {
  const labels = Object.keys(perSeed[0].scores);
  return {
    ...(perSeed[0].K !== undefined ? { K: +mean(perSeed.map((p) => p.K!)).toFixed(2) } : {}),
    ...Object.fromEntries(
      labels.map((l) => [l, { nmi: r4(mean(perSeed.map((p) => p.scores[l].nmi))), ari: r4(mean(perSeed.map((p) => p.scores[l].ari))) }]),
    ),
  };
}

function parse() {
  const args = labelledArgs(process.argv.slice(2));
  // --variants a,b: only the variants whose name contains one of these (a quick side run: no forced K, no baselines).
  return { ...args, variants: args.get('--variants')?.split(',') };
}

async function main(): Promise<void> {
  const args = parse();
  const chosen = args.variants ? VARIANTS.filter((v) => args.variants!.some((x) => v.name.includes(x))) : VARIANTS;
  const method =
    'Labels are removed before discovery (probe groups are unsupervised micro-clusters). NMI (arithmetic normalisation) and ARI against each label; baselines at the same K; stability = mean ARI between the partitions of different seeds (each seed re-runs warm-up, trajectories and discovery).';
  const results = await runLabelled('capabilities', method, args, (spec, seeds) => runDataset(spec, seeds, chosen));
  const svg = companionFile(args, 'capabilities', '.svg');
  if (svg) writeFileSync(svg, chart(results));
  if (args.external) {
    // Datasets of one's own: the README's table for them, on stderr and beside --out.
    const md: string[] = [];
    renderCapabilities({ method, datasets: results }, new Map(), md);
    const text = `${md.join('\n')}\n`;
    process.stderr.write(text);
    const file = companionFile(args, 'capabilities', '.md');
    if (file) writeFileSync(file, text);
  }
}

/** One panel per dataset × label: NMI of each variant's capabilities beside the baselines at the default's K. */
function chart(results: Awaited<ReturnType<typeof runDataset>>[]): string {
  const charts = [];
  for (const d of results) {
    const def = d.variants.find((v) => v.isDefault) ?? d.variants[0];
    for (const label of Object.keys(d.labels)) {
      const K = Math.round(def.perSeed[0].K);
      const b = d.baselines[String(K)] as Record<string, { mean: Record<string, { nmi: number }> }> | undefined;
      const cats = [...d.variants.map((v) => v.name.replace('assigned by', '→')), ...Object.keys(b ?? {})];
      const vals = [
        ...d.variants.map((v) => (v.mean as Record<string, { nmi: number }>)[label].nmi),
        ...Object.values(b ?? {}).map((x) => x.mean[label].nmi),
      ];
      charts.push(
        barChart({
          title: `${d.name} vs ${label} (NMI; baselines at K = ${K})`,
          categories: cats.map((_, i) => String(i + 1)),
          series: [{ name: 'NMI', values: vals }],
          yLabel: 'NMI',
          valueLabels: true,
          width: 620,
          height: 320,
          note: cats.map((c, i) => `${i + 1}: ${c}`).join('  '),
        }),
      );
    }
  }
  return grid(charts, 2, 'Capabilities against human labels (bench/capabilities.ts)');
}

runBench(main);
