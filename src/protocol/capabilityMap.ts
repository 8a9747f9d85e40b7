// Messages between the extension host and the Capability Map webview. Discriminated unions per
// direction; every request from the webview carries an id that the host echoes in its reply.
import type { Comparison, QualityReport } from '../core/report/types';

/** An example instruction of a capability: its line in the dataset, its id and its text (untrusted). */
export interface MapExample {
  line: number;
  id: string;
  text: string;
}

/** A sub-capability (`c1.2`) inside a capability: the drill-down of its card. */
export interface MapSubCapability {
  id: string;
  name: string;
  size: number;
  selected: number;
  terms: string[];
  examples: MapExample[];
  curve: { selfInfluence: number[]; loss: number[] };
}

export interface MapCapability {
  id: string; // c1..cK
  name: string;
  size: number;
  selected: number;
  terms: string[];
  /** The label values that distinguish the capability (the host leaves the others out). */
  labels: { field: string; value: string; share: number; lift?: number }[];
  styles: { style: string; share: number }[];
  curve: { selfInfluence: number[]; loss: number[] };
  color: string; // css colour assigned by the host (stable per id)
  /** Three example instructions (when the manifest has them; else the card asks the table for the top-influence samples). */
  examples?: MapExample[];
  /** Sub-capabilities, when discovery found a hierarchy. */
  children?: MapSubCapability[];
}

/** A problem of the dataset, summarised per diagnostic code (the curation result's summary). */
export interface MapProblem {
  code: string;
  severity: 'error' | 'warning' | 'info';
  count: number;
  total: number;
  /** The first lines it occurs on. */
  lines: number[];
  message: string;
  fix?: string;
}

/** Where the trajectories came from: the built-in proxy, or gradients of the curator's own model. */
export interface MapGradientSource {
  kind: 'proxy' | 'gradients';
  model?: string;
  checkpoints?: number;
  layers?: string[];
  dims?: number;
}

export interface MapStage {
  id: string;
  name: string;
  /** Capability stages come first; an alignment stage (Vision-Flan), if any, is the last one. */
  kind: 'capability' | 'alignment';
  capabilities: string[];
  size: number;
  /** On the alignment stage: what it was drawn from. */
  alignment?: {
    predicate: 'long-answer' | 'label';
    minAnswerChars?: number;
    field?: string;
    values?: string[];
    matched: number;
    target: number;
  };
}

/** Sample columns for the scatter and the table, paged by the host; typed arrays travel as plain arrays. */
export interface MapSamplePage {
  offset: number;
  total: number;
  rows: {
    i: number; // sample index
    line: number;
    id: string;
    capability: number; // 0-based
    style: string;
    selected: boolean;
    stage: string | null;
    influence: number; // I of its hard capability
    selfInfluence: number;
    loss: number;
    preview: string; // first ~160 chars of the instruction (untrusted text: render as text only)
    /** 0-based index of its sub-capability in the capability's children, when there is a hierarchy. */
    sub?: number;
  }[];
}

export interface MapOverview {
  /** `name` as the manifest records it; `display` relative to the workspace folder (set by the host). */
  dataset: { name: string; samples: number; invalid: number; sha256: string; display?: string };
  budget: {
    requested: number;
    requestedCount: number;
    selected: number;
    /** The budget as the user wrote it (`5%`, `2000`). */ text: string;
  };
  strategy: string;
  /** The selection's remarks (e.g. CADC standing in for mmSSR scores): shown with the header. */
  notes: string[];
  checkpoints: { t: number; eta: number; trainLoss: number }[];
  capabilities: MapCapability[];
  stages: MapStage[];
  /** The dataset's problems, one summary per diagnostic code (when the run recorded them). */
  problems?: MapProblem[];
  /** Where the trajectories came from (when the manifest says). */
  gradients?: MapGradientSource;
  /**
   * Split-half reliability of the capability graph's trajectory cosines (manifest `probe.reliability`),
   * and whether the capabilities may not repeat with another seed (below the floor: the reliability across
   * proxies when the graph averages several, else the split-half one). With several proxies, how many and
   * their agreement (manifest `probe.proxies`, `probe.proxyAgreement`) and the reliability across them.
   */
  reliability?: { value: number; weak: boolean; proxies?: number; agreement?: number; acrossProxies?: number };
}

/**
 * The sample map: a 2-D layout (UMAP of the trajectories, or the PCA of the influence vectors when
 * the trajectories are not in the cache) of a seeded, capability-stratified subsample, computed in
 * the backend after the overview and sent on its own.
 */
export interface MapLayout {
  method: 'umap' | 'pca';
  /** Samples in the pool; the map draws `line.length` of them. */
  total: number;
  /** Per point: x0,y0,x1,y1,… */
  xy: number[];
  line: number[];
  capability: number[];
  selected: number[];
  /** Instruction previews (untrusted text: render as text only; '' where unknown). */
  preview: string[];
  /** Dimensions of a point's input (checkpoints × projected gradient); 0 for the PCA. */
  dims: number;
  /** When `dims` was wider than the layout takes: the width of the seeded random projection it ran on. */
  projectedTo?: number;
  cached: boolean;
  ms: number;
  note?: string;
}

/** A selection strategy the Compare view offers, with its one-line description. */
export interface MapStrategy {
  label: string;
  detail: string;
}

export type HostToMap =
  | { type: 'overview'; data: MapOverview }
  | { type: 'strategies'; items: MapStrategy[] }
  /** The VLIT quality report of the pool and of the current selection. */
  | { type: 'quality'; report: QualityReport }
  /** Strategies compared at the run's budget. */
  | { type: 'comparison'; data: Comparison }
  /** A long job of the map (quality, compare) started or ended. */
  | { type: 'job'; job: 'quality' | 'compare'; running: boolean; message?: string }
  | { type: 'samples'; requestId: number; page: MapSamplePage }
  | { type: 'busy'; busy: boolean; message?: string }
  | { type: 'error'; requestId?: number; message: string }
  /** The sample map's layout, or its progress while the backend computes it. */
  | { type: 'layout'; data: MapLayout }
  | { type: 'layoutProgress'; fraction: number; message: string }
  /** A sample's image for the table's and the sample map's preview: a thumbnail (a base64 JPEG data URI), or why there is none. */
  | { type: 'image'; line: number; dataUri?: string; width?: number; height?: number; note?: string }
  /** Scroll to a section (Quality, Compare) and highlight it (e.g. after the palette's command). */
  | { type: 'reveal'; section: 'quality' | 'compare' };

export type MapToHost =
  | { type: 'ready' }
  | {
      type: 'getSamples';
      requestId: number;
      offset: number;
      limit: number;
      filter: { capability?: number; style?: string; selected?: boolean; search?: string };
      sort: { key: 'line' | 'influence' | 'selfInfluence' | 'loss'; dir: 'asc' | 'desc' };
    }
  | { type: 'reveal'; line: number }
  /** The image of the sample at a line (hovered in the table or the sample map). */
  | { type: 'getImage'; line: number }
  | { type: 'reselect'; /** As typed in the budget box (`5%`, `0.05`, `2000`); the host parses it with the CLI's parser. */ budget: string }
  | { type: 'rename'; capability: string; name: string }
  | { type: 'runQuality' }
  | { type: 'runCompare'; strategies: string[] }
  | { type: 'cancelJob' }
  /** Open the current quality report or comparison as a Markdown document (untitled, not saved). */
  | { type: 'openMarkdown'; what: 'quality' | 'compare' };
