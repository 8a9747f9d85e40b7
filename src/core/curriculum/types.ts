// The curriculum: stages of selected samples, and the manifest users commit (cadc.manifest/v1).
import type { CurationConfig } from '../config';
import type { DatasetContainer, DatasetFormat, DiagnosticCode } from '../dataset/types';
import type { GradientSource } from '../gradients/importTrajectories';

export type StageKind = 'capability' | 'alignment';

/** An example instruction on a capability's card. */
export interface ManifestExample {
  line: number;
  id: string;
  text: string;
}

/** A sub-capability `c<k>.<j>` of capability `c<k>`. */
export interface ManifestSubCapability {
  id: string;
  name: string;
  size: number;
  selected: number;
  terms: string[];
  examples: ManifestExample[];
  curve: { selfInfluence: number[]; loss: number[] };
}

/** What an alignment stage was drawn from (recorded in the manifest with the stage). */
export interface AlignmentStageInfo {
  predicate: 'long-answer' | 'label';
  /** long-answer: answers of at least this many characters … */
  minAnswerChars?: number;
  /** … whose style is none of these. */
  excludedStyles?: string[];
  /** label: labels[field] ∈ values. */
  field?: string;
  values?: string[];
  /** Unique (one per duplicate cluster) samples of the pool that match the predicate. */
  matched: number;
  /** min(size, ⌊maxShare·B⌋): what the stage aimed for before matches ran out. */
  target: number;
}

export interface Stage {
  /** 0-based; the manifest calls it `s<index+1>`. */
  index: number;
  name: string;
  /** Capability stages come from the strategy; an alignment stage, if any, is the last one. */
  kind: StageKind;
  /** Only on the alignment stage. */
  alignment?: AlignmentStageInfo;
  /** Capability indices in this stage. */
  capabilities: number[];
  /** Sample indices in training order (seeded shuffle within the stage). */
  samples: Int32Array;
}

export interface ManifestSample {
  line: number;
  /** Parquet datasets only: the shard file name and the 0-based row in it (`line` runs across shards). */
  shard?: string;
  row?: number;
  id: string;
  capability: string;
  influence: number;
}

/** The source of imported trajectories (`index` relative to the manifest's base folder, '/'-separated). */
export type ManifestGradients = GradientSource;

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
  /** The selection's remarks a reader needs (absent when there are none). */
  notes?: string[];
  /**
   * Pool samples left out of the selection because they are flagged (an image that does not resolve
   * or leaves the root, a real `<image>` token mismatch), by problem; a sample with two problems
   * counts once in `total` and under each code. Absent when nothing was left out (or
   * `config.selection.includeFlagged`).
   */
  excluded?: { total: number; reasons: { code: DiagnosticCode; count: number }[] };
  proxy: {
    warmupSamples: number;
    checkpoints: { t: number; eta: number; trainLoss: number }[];
    bytesPerSample: number;
    /** Projection size per side of the built-in proxy's sketch, as used (absent with imported gradients; optional in v1). */
    projectionDim?: number;
  };
  /**
   * `reliability`: split-half reliability of the capability graph's trajectory cosines (0–1; optional in v1).
   * `proxies`: how many proxies' cosines the graph averages; `proxyAgreement`: their mean correlation
   * (one proxy's reliability; with 2 or more). Both optional in v1.
   */
  probe: { source: string; field?: string; file?: string; groups: number; reliability?: number; proxies?: number; proxyAgreement?: number };
  /** Imported capability scores (mmSSR, --scores): file relative to the manifest's base folder. */
  scores?: { file: string; sha256: string; samples: number };
  /** Imported gradient trajectories (--gradients, docs/gradients.md); absent: the built-in proxy's. */
  gradients?: ManifestGradients;
  capabilities: {
    id: string;
    name: string;
    size: number;
    selected: number;
    groups: string[];
    terms: string[];
    /** lift: share here / share in the pool (absent in manifests written before it was recorded). */
    labels: { field: string; value: string; share: number; lift?: number }[];
    styles: { style: string; share: number }[];
    /** Mean self-influence and mean loss of its samples along the checkpoints (learning curves). */
    curve: { selfInfluence: number[]; loss: number[] };
    /** Three example instructions (most influential first; text ≤ 200 characters). Optional in v1. */
    examples?: ManifestExample[];
    /** Sub-capabilities (communities of its probe groups at a finer level). Optional in v1. */
    children?: ManifestSubCapability[];
  }[];
  stages: {
    id: string;
    name: string;
    /** Optional in v1 (manifests before it have capability stages only). */
    kind?: StageKind;
    alignment?: AlignmentStageInfo;
    capabilities: string[];
    samples: ManifestSample[];
  }[];
}
