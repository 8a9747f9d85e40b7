// Capabilities discovered among probe groups (docs/method.md §1.2).

export interface ProbeGroups {
  source: 'file' | 'label' | 'clusters';
  /** Label field used when source = 'label' (or the probe file's field). */
  field?: string;
  /** One name per group (label value, or `cluster-<k>`). */
  names: string[];
  /** Group of each pool sample (-1 when the sample belongs to none, e.g. unlabeled rows). */
  of: Int32Array;
  /** Number of pool samples per group. */
  sizes: Int32Array;
}

export interface CapabilityGraph {
  /** Edge list among groups: [a, b, weight] with a < b and weight = cosine of group trajectories. */
  edges: [number, number, number][];
  threshold: number;
  resolution: number;
  modularity: number;
}

export interface Capability {
  /** 0-based index; the manifest calls it `c<index+1>`. */
  index: number;
  name: string;
  /** Probe groups (indices into ProbeGroups.names) forming the capability. */
  groups: number[];
  /** Samples whose hard label is this capability (filled by attribution). */
  size: number;
  /** Distinctive terms (class-based TF-IDF over the capability's samples). */
  terms: string[];
  /** Dominant labels: for each label field, the top values with their share of the capability. */
  labels: { field: string; value: string; share: number }[];
  /** Interaction styles with their share. */
  styles: { style: string; share: number }[];
}

export interface CapabilityModel {
  K: number;
  probe: ProbeGroups;
  capabilities: Capability[];
  /** Capability of each probe group. */
  groupCapability: Int32Array;
  /** Anchors ḡ_k(t), L2-normalised, row-major [T, K, D]. */
  anchors: Float32Array;
  graph: CapabilityGraph;
}
