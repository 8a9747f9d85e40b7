// What the Capability Map panel needs from the rest of the extension. The curation service
// (backend client) implements it; the panel never talks to the backend directly.
import type * as vscode from 'vscode';
import type { MapOverview, MapSamplePage, MapToHost } from '../../protocol/capabilityMap';

export type SampleQuery = Extract<MapToHost, { type: 'getSamples' }>;

export interface MapDataSource {
  /** The current run's overview, or undefined when nothing has been curated yet. */
  overview(): Promise<MapOverview | undefined>;
  samples(query: Omit<SampleQuery, 'type' | 'requestId'>): Promise<MapSamplePage>;
  /** Re-select at a new budget without recomputing trajectories; resolves with the new overview. */
  reselect(budget: number): Promise<MapOverview>;
  /** Rename a capability; the name persists into the manifest. */
  rename(capabilityId: string, name: string): Promise<void>;
  /** Reveal a dataset line in an editor. */
  reveal(line: number): Promise<void>;
  /** Fires when a new run finished or the selection changed. */
  readonly onDidChange: vscode.Event<void>;
}
