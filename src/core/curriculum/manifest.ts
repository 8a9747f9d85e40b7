// The cadc.manifest/v1 artefact: built from a run's parts, serialised deterministically, and where it
// is written for a dataset (<out>/<stem>.cadc.json, with <stem>.cadc.attributions.jsonl beside it).
import * as path from 'node:path';
import { requestedCount } from '../config';
import type { CurationConfig } from '../config';
import type { CapabilityModel } from '../capabilities/types';
import { shardRowOf } from '../dataset/parquet';
import type { DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import { sketchDim } from '../gradients/sketch';
import type { Trajectories } from '../gradients/types';
import type { Attribution } from '../influence/types';
import { exclusionOf } from '../selection/helpers';
import type { SelectionResult } from '../selection/types';
import { round6, stableStringify } from '../util/stableJson';
import { lossCurve, selfInfluenceCurve } from './stages';
import type { ManifestGradients, ManifestV1, Stage } from './types';

export interface ManifestParts {
  toolVersion: string;
  summary: DatasetSummary;
  datasetPath: string;
  config: CurationConfig;
  pool: Pool;
  warmup: { samples: number; checkpoints: { t: number; eta: number; trainLoss: number }[] };
  trajectories: Trajectories;
  capabilities: CapabilityModel;
  attribution: Attribution;
  selection: SelectionResult;
  stages: Stage[];
  /** Probe file, relative to the manifest's base folder, when probe groups came from one. */
  probeFile?: string;
  /** Imported mmSSR capability scores: file relative to the manifest's base folder, sha256, samples scored. */
  scoresFile?: { file: string; sha256: string; samples: number };
  /** Imported trajectories' source (index relative to the manifest's base folder). */
  gradients?: ManifestGradients;
}

export function buildManifest(p: ManifestParts): ManifestV1 {
  const { pool, attribution: a, capabilities: model, trajectories: traj } = p;
  const K = model.K;
  const members: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < pool.n; i++) members[a.hard[i]].push(i);
  const selectedPer = new Int32Array(K);
  for (const i of p.selection.selected) selectedPer[a.hard[i]]++;
  const s = p.summary;
  const excluded = exclusionOf(pool, p.config);
  const isSelected = new Uint8Array(pool.n);
  for (const i of p.selection.selected) isSelected[i] = 1;
  const example = (i: number) => ({ line: pool.lines[i], id: pool.ids[i], text: model.exampleText?.get(i) ?? '' });
  const children = (k: number) => {
    const kids = model.capabilities[k].children ?? [];
    const of: number[][] = kids.map(() => []);
    for (const i of members[k]) if (a.child && a.child[i] >= 0) of[a.child[i]].push(i);
    return kids.map((kid, j) => ({
      id: `c${k + 1}.${j + 1}`,
      name: kid.name,
      size: of[j].length,
      selected: of[j].reduce((n, i) => n + isSelected[i], 0),
      terms: kid.terms,
      examples: kid.examples.map(example),
      curve: curveOf(traj, of[j]),
    }));
  };
  return {
    schema: 'cadc.manifest/v1',
    tool: { name: 'cadc', version: p.toolVersion },
    dataset: {
      path: p.datasetPath,
      sha256: s.sha256,
      bytes: s.bytes,
      lines: s.lines,
      records: s.records,
      samples: s.samples,
      invalid: s.invalid,
      format: s.format,
      container: s.container,
    },
    config: p.config,
    budget: {
      requested: p.config.budget,
      requestedCount: Math.min(pool.n, requestedCount(p.config.budget, pool.n, p.config.budgetUnit)),
      selected: p.selection.selected.length,
    },
    ...(p.selection.notes.length ? { notes: [...p.selection.notes] } : {}),
    ...(excluded ? { excluded } : {}),
    proxy: {
      warmupSamples: p.warmup.samples,
      checkpoints: p.warmup.checkpoints.map((c) => ({ t: c.t, eta: round6(c.eta), trainLoss: round6(c.trainLoss) })),
      bytesPerSample: traj.bytesPerSample,
      // The sketch the built-in proxy's trajectories were made with ('auto' resolved for this pool).
      ...(p.gradients ? {} : { projectionDim: sketchDim(p.config.gradients.projectionDim, traj.n, traj.T) }),
    },
    probe: {
      source: model.probe.source,
      ...(model.probe.field ? { field: model.probe.field } : {}),
      ...(p.probeFile ? { file: p.probeFile } : {}),
      groups: model.probe.names.length,
      ...(model.graph.reliability !== undefined ? { reliability: Math.round(model.graph.reliability * 1000) / 1000 } : {}),
      ...(model.graph.proxies !== undefined ? { proxies: model.graph.proxies } : {}),
      ...(model.graph.proxyAgreement !== undefined ? { proxyAgreement: Math.round(model.graph.proxyAgreement * 1000) / 1000 } : {}),
    },
    ...(p.scoresFile ? { scores: { ...p.scoresFile } } : {}),
    ...(p.gradients
      ? {
          gradients: {
            ...p.gradients,
            checkpoints: p.gradients.checkpoints.map((c) => ({ path: c.path, eta: round6(c.eta) })),
            layers: [...p.gradients.layers],
          },
        }
      : {}),
    capabilities: model.capabilities.map((c, k) => ({
      id: `c${k + 1}`,
      name: c.name,
      size: c.size,
      selected: selectedPer[k],
      groups: c.groups.map((g) => model.probe.names[g]),
      terms: c.terms,
      labels: c.labels,
      styles: c.styles,
      curve: curveOf(traj, members[k]),
      ...(c.examples ? { examples: c.examples.map(example) } : {}),
      ...(c.children?.length ? { children: children(k) } : {}),
    })),
    stages: p.stages.map((st) => ({
      id: `s${st.index + 1}`,
      name: st.name,
      kind: st.kind,
      ...(st.alignment ? { alignment: { ...st.alignment } } : {}),
      capabilities: st.capabilities.map((k) => `c${k + 1}`),
      samples: Array.from(st.samples, (i) => ({
        ...(s.shards ? shardRowOf(s.shards, pool.lines[i]) : {}),
        line: pool.lines[i],
        id: pool.ids[i],
        capability: `c${a.hard[i] + 1}`,
        influence: round6(a.influence[i * K + a.hard[i]]),
      })),
    })),
  };
}

function curveOf(traj: Trajectories, members: number[]): { selfInfluence: number[]; loss: number[] } {
  return { selfInfluence: selfInfluenceCurve(traj, members).map(round6), loss: lossCurve(traj, members).map(round6) };
}

export function serializeManifest(m: ManifestV1): string {
  return stableStringify(m);
}

/** A dataset file's stem: its name without `.jsonl`/`.json`. */
export function datasetStem(dataset: string): string {
  return path.basename(dataset).replace(/\.(jsonl|json|parquet)$/i, '');
}

/** Where a curation of `dataset` writes its manifest: `<outDir>/<stem>.cadc.json`. */
export function manifestPathFor(outDir: string, dataset: string): string {
  return path.join(outDir, `${datasetStem(dataset)}.cadc.json`);
}

/** Where a curation of `dataset` writes its attributions: `<outDir>/<stem>.cadc.attributions.jsonl`. */
export function attributionsPathFor(outDir: string, dataset: string): string {
  return path.join(outDir, `${datasetStem(dataset)}.cadc.attributions.jsonl`);
}
