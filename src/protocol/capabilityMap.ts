// Messages between the extension host and the Capability Map webview. Discriminated unions per
// direction; every request from the webview carries an id that the host echoes in its reply.
import type { Comparison, QualityReport } from '../core/report/types';

export interface MapCapability {
  id: string; // c1..cK
  name: string;
  size: number;
  selected: number;
  terms: string[];
  labels: { field: string; value: string; share: number }[];
  styles: { style: string; share: number }[];
  curve: { selfInfluence: number[]; loss: number[] };
  color: string; // css colour assigned by the host (stable per id)
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
  }[];
}

export interface MapOverview {
  dataset: { name: string; samples: number; invalid: number; sha256: string };
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
  /** 2-D coordinates of every sample (x0,y0,x1,y1,…) and its capability, for the scatter. */
  points: { xy: number[]; capability: number[]; selected: number[] };
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
  /** Scroll to a section (Quality Report and Compare Strategies from the command palette). */
  | { type: 'reveal'; section: 'quality' | 'compare' }
  | { type: 'error'; requestId?: number; message: string };

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
  | { type: 'reselect'; /** As typed in the budget box (`5%`, `0.05`, `2000`); the host parses it with the CLI's parser. */ budget: string }
  | { type: 'rename'; capability: string; name: string }
  | { type: 'runQuality' }
  | { type: 'runCompare'; strategies: string[] }
  | { type: 'cancelJob' }
  /** Open the current quality report or comparison as a Markdown document (untitled, not saved). */
  | { type: 'openMarkdown'; what: 'quality' | 'compare' };
