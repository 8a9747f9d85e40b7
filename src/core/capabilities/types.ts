// Capabilities discovered among probe groups (docs/method.md §1.2).
import type { GroupSignal } from '../config';
import type { Trajectories } from '../gradients/types';

/**
 * Text k-means groups kept between runs (the pipeline's cache): returns the groups for k clusters,
 * calling `compute` only when it does not hold them.
 */
export type TextGroupsMemo = (k: number, compute: () => Promise<Int32Array>) => Promise<Int32Array>;

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
  /** What micro-clusters were formed on (source = 'clusters'). */
  signal?: GroupSignal;
}

export interface CapabilityGraph {
  /** Edge list among groups: [a, b, weight] with a < b and weight = the graph's group similarity (config.capabilities.graph). */
  edges: [number, number, number][];
  threshold: number;
  resolution: number;
  modularity: number;
  /**
   * Split-half reliability (Spearman–Brown) of the graph's trajectory cosines between groups
   * (graph.ts splitHalfReliability): near 1 the graph is signal, near 0 sampling noise, and another seed
   * may give other capabilities. Absent with fewer than 3 groups.
   */
  reliability?: number;
  /** Proxies whose trajectory cosines the graph averages (capabilities/ensemble.ts); 1 = one proxy. */
  proxies?: number;
  /** Mean correlation between the proxies' trajectory cosines (one proxy's reliability); with 2 or more. */
  proxyAgreement?: number;
  /** Consensus communities: per candidate K, the agreement of the perturbed runs (mean pairwise ARI). */
  stability?: { k: number; ari: number }[];
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
  /**
   * Dominant labels: for each label field, the top values with their share of the capability and
   * their lift (that share over the value's share of the pool; > 1: over-represented here).
   */
  labels: { field: string; value: string; share: number; lift?: number }[];
  /** Interaction styles with their share. */
  styles: { style: string; share: number }[];
  /** Three example samples (pool indices), most influential on the capability first (filled by attribution). */
  examples?: number[];
  /** Sub-capabilities: communities of its groups at a finer level (empty when it has one group). */
  children?: SubCapability[];
}

/** A sub-capability (the map's drill-down): a community among one capability's probe groups. */
export interface SubCapability {
  /** 0-based index within its capability; the manifest calls it `c<k>.<j>` (1-based). */
  index: number;
  name: string;
  groups: number[];
  /** Anchors ḡ(t) of the sub-capability, unit rows [T, D]. */
  anchor: Float32Array;
  size: number;
  terms: string[];
  examples: number[];
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
  /** Instruction text of each example sample (sample index → text ≤ 200 characters), read from the dataset. */
  exampleText?: Map<number, string>;
}

/** Proxy r's trajectories of the pool (r = 1, 2, …; the run's own is proxy 0), for the graph's ensemble. */
export type MoreProxies = (r: number) => Promise<Trajectories>;

/**
 * One extra proxy's share of the graph's ensemble: its trajectory cosines between the probe groups [G, G]
 * and, for the split-half reliability, the two halves' cosines [H, H] each (absent when fewer than 3
 * groups have samples in both halves, H = 0).
 */
export interface ProxyCosines {
  cos: Float32Array;
  halves?: [Float32Array, Float32Array];
}

/** What a proxy's cosines are computed on besides the proxy: the probe groups, the halves' coin, the centring. */
export interface ProxyBasis {
  /** Each sample's probe group (-1: none), the graph's numbering. */
  of: Int32Array;
  G: number;
  /** Each sample's half (0 or 1) for the split-half reliability. */
  half: Uint8Array;
  /** Groups with samples in both halves. */
  H: number;
  /** Centred group means (a text-gated graph). */
  centred: boolean;
}

/**
 * A store of proxy r's cosines for a basis (the run's cache): returns them, or those `compute` makes
 * (which trains the proxy) after keeping them, so a re-run of the same pool and settings trains no proxy again.
 */
export type ProxyCosinesMemo = (r: number, basis: ProxyBasis, compute: () => Promise<ProxyCosines>) => Promise<ProxyCosines>;
