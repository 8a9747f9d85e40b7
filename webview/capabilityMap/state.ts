// The Capability Map webview's state, in one object: what the host sent (overview, results,
// strategies), the running jobs, the sample table's paging, and the view state that survives a
// reload (filter, sort, scroll; kept with the webview's setState).
import type { Comparison, QualityReport } from '../../src/core/report/types';
import type { MapExample, MapLayout, MapOverview, MapSamplePage, MapStrategy, MapToHost } from '../../src/protocol/capabilityMap';

/** What survives the webview being hidden or reloaded. */
export interface ViewState {
  filter: { capability?: number; style?: string; selected?: boolean; search?: string };
  sort: { key: 'line' | 'influence' | 'selfInfluence' | 'loss'; dir: 'asc' | 'desc' };
  scrollTop: number;
}

export interface MapState {
  view: ViewState;
  overview: MapOverview | undefined;
  quality: QualityReport | undefined;
  comparison: Comparison | undefined;
  strategies: MapStrategy[];
  /** Strategies ticked in the Compare view. */
  chosen: Set<string>;
  running: { quality: boolean; compare: boolean };
  jobMessage: { quality?: string; compare?: string };
  /** The sample map's layout (arrives after the overview), and its progress until then. */
  layout: MapLayout | undefined;
  layoutProgress: { fraction: number; message: string } | undefined;
  /** Example instructions read from the table for capabilities whose manifest has none, by capability index. */
  examples: Map<number, MapExample[]>;
  /** A section to scroll to once the page is drawn (a reveal that came before the overview). */
  pendingReveal: 'quality' | 'compare' | undefined;
  table: {
    requestId: number;
    /** Bumped when the filter or sort changes: replies to an older query are dropped. */
    generation: number;
    pages: Map<number, MapSamplePage['rows']>;
    pending: Set<number>;
    total: number;
    viewport?: HTMLDivElement;
    spacer?: HTMLDivElement;
    /** The hovered row's image (a thumbnail beside the row), and the line it shows. */
    tip?: HTMLDivElement;
  };
}

/** The webview's channel to the host: messages out, the persisted view state in and out. */
export interface Host {
  post(m: MapToHost): void;
  save(view: ViewState): void;
}

export function createState(saved: ViewState | undefined): MapState {
  return {
    view: saved ?? { filter: {}, sort: { key: 'line', dir: 'asc' }, scrollTop: 0 },
    overview: undefined,
    quality: undefined,
    comparison: undefined,
    strategies: [],
    chosen: new Set(['cadc', 'random']),
    running: { quality: false, compare: false },
    jobMessage: {},
    layout: undefined,
    layoutProgress: undefined,
    examples: new Map(),
    pendingReveal: undefined,
    table: { requestId: 0, generation: 0, pages: new Map(), pending: new Set(), total: 0 },
  };
}
