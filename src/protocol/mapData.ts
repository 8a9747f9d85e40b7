// The extension ↔ backend requests of the Capability Map: the run's overview (with the PCA layout
// of every sample) and the sample table's pages (sql.js, filtered and sorted in SQL) are computed in
// the backend process; the host forwards them to the webview. Both directions are checked here.
import { NotificationType0, RequestType } from 'vscode-jsonrpc';
import type { SchemaObject } from 'ajv';
import { ajv, check, checkMapMessage } from './guards';
import type { Check } from './guards';
import type { MapOverview, MapSamplePage, MapToHost } from './capabilityMap';

/** The run the map shows: its manifest, dataset and the cache entry of its attribution table. */
export interface MapRun {
  manifest: string;
  dataset: string;
  cacheDir: string;
  sha256: string;
  /** Which curation of this window produced it: the backend keeps one run's table open, keyed by this. */
  run: number;
}

/** What the table asks for: a page of rows under a filter and a sort (the webview's getSamples, less its envelope). */
export type SampleQuery = Omit<Extract<MapToHost, { type: 'getSamples' }>, 'type' | 'requestId'>;

export interface MapSamplesParams {
  source: MapRun;
  query: SampleQuery;
}

export const mapOverviewRequest = new RequestType<MapRun, MapOverview, void>('cadc/map/overview');
export const mapSamplesRequest = new RequestType<MapSamplesParams, MapSamplePage, void>('cadc/map/samples');
/** The map closed: the backend frees the run's table (its memory) until a map asks again. */
export const mapReleaseNotification = new NotificationType0('cadc/map/release');

const path = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifest', 'dataset', 'cacheDir', 'sha256', 'run'],
  properties: {
    manifest: path,
    dataset: path,
    cacheDir: path,
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    run: { type: 'integer', minimum: 0 },
  },
};

/** A map request's run, checked in the backend before any file is opened. */
export const checkMapRun: Check<MapRun> = check('map run', ajv.compile<MapRun>(runSchema as SchemaObject));

/** A samples request: its run, and a query with exactly the webview message's constraints (limits, sort keys). */
export function checkMapSamplesParams(x: unknown): MapSamplesParams {
  const p = x as Partial<MapSamplesParams> | null;
  const source = checkMapRun(p?.source);
  const {
    type: _t,
    requestId: _r,
    ...query
  } = checkMapMessage({ ...(typeof p?.query === 'object' ? p.query : {}), type: 'getSamples', requestId: 0 }) as Extract<
    MapToHost,
    { type: 'getSamples' }
  >;
  return { source, query };
}

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const nums = { type: 'array', items: num } as const;

/** The parts of an overview the webview draws (header, capabilities, curves, stages, points). */
export const checkMapOverview: Check<MapOverview> = check(
  'backend map overview',
  ajv.compile<MapOverview>({
    type: 'object',
    required: ['dataset', 'budget', 'strategy', 'notes', 'checkpoints', 'capabilities', 'stages', 'points'],
    properties: {
      dataset: {
        type: 'object',
        required: ['name', 'samples', 'invalid', 'sha256'],
        properties: { name: str, samples: int, invalid: int, sha256: str },
      },
      budget: {
        type: 'object',
        required: ['requested', 'requestedCount', 'selected', 'text'],
        properties: { requested: num, requestedCount: int, selected: int, text: str },
      },
      strategy: str,
      notes: { type: 'array', items: str },
      checkpoints: { type: 'array', items: { type: 'object', required: ['t'], properties: { t: num } } },
      capabilities: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'name', 'size', 'selected', 'color', 'curve'],
          properties: {
            id: str,
            name: str,
            size: int,
            selected: int,
            color: { type: 'string', pattern: '^#[0-9a-f]{6}$' },
            curve: { type: 'object', required: ['selfInfluence', 'loss'], properties: { selfInfluence: nums, loss: nums } },
          },
        },
      },
      stages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'name', 'kind', 'capabilities', 'size'],
          properties: { id: str, name: str, kind: { enum: ['capability', 'alignment'] }, size: int },
        },
      },
      points: {
        type: 'object',
        required: ['xy', 'capability', 'selected'],
        properties: { xy: nums, capability: { type: 'array', items: int }, selected: { type: 'array', items: int } },
      },
    },
  } as SchemaObject),
);

/** A page of the sample table: every cell the webview shows. */
export const checkMapSamplePage: Check<MapSamplePage> = check(
  'backend map samples',
  ajv.compile<MapSamplePage>({
    type: 'object',
    required: ['offset', 'total', 'rows'],
    properties: {
      offset: int,
      total: int,
      rows: {
        type: 'array',
        items: {
          type: 'object',
          required: ['i', 'line', 'id', 'capability', 'style', 'selected', 'stage', 'influence', 'selfInfluence', 'loss', 'preview'],
          properties: {
            i: int,
            line: int,
            id: str,
            capability: int,
            style: str,
            selected: { type: 'boolean' },
            stage: { type: ['string', 'null'] },
            influence: num,
            selfInfluence: num,
            loss: num,
            preview: str,
          },
        },
      },
    },
  } as SchemaObject),
);
