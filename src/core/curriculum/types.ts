// The curriculum: stages of selected samples, and the manifest users commit (cadc.manifest/v1).
import type { CurationConfig } from '../config';
import type { DatasetContainer, DatasetFormat } from '../dataset/types';

export interface Stage {
  /** 0-based; the manifest calls it `s<index+1>`. */
  index: number;
  name: string;
  /** Capability indices in this stage. */
  capabilities: number[];
  /** Sample indices in training order (seeded shuffle within the stage). */
  samples: Int32Array;
}

export interface ManifestSample {
  line: number;
  id: string;
  capability: string;
  influence: number;
}

export interface ManifestV1 {
  schema: 'cadc.manifest/v1';
  tool: { name: 'cadc'; version: string };
  dataset: {
    /** Path relative to the workspace (or to the manifest's folder for the CLI), '/'-separated. */
    path: string;
    sha256: string;
    bytes: number;
    lines: number;
    records: number;
    samples: number;
    invalid: number;
    format: DatasetFormat;
    container: DatasetContainer;
  };
  config: CurationConfig;
  budget: { requested: number; requestedCount: number; selected: number };
  proxy: {
    warmupSamples: number;
    checkpoints: { t: number; eta: number; trainLoss: number }[];
    bytesPerSample: number;
  };
  probe: { source: string; field?: string; file?: string; groups: number };
  capabilities: {
    id: string;
    name: string;
    size: number;
    selected: number;
    groups: string[];
    terms: string[];
    labels: { field: string; value: string; share: number }[];
    styles: { style: string; share: number }[];
    /** Mean self-influence and mean loss of its samples along the checkpoints (learning curves). */
    curve: { selfInfluence: number[]; loss: number[] };
  }[];
  stages: {
    id: string;
    name: string;
    capabilities: string[];
    samples: ManifestSample[];
  }[];
}
