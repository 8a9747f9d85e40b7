// The extension ↔ backend requests of the Capability Map: the run's overview, the sample map's
// layout (UMAP of the trajectories, with progress) and the sample table's pages (sql.js, filtered and
// sorted in SQL) are computed in the backend process; the host forwards them to the webview. Both
// directions are checked here.
import { NotificationType0, ProgressType, RequestType } from 'vscode-jsonrpc';
import type { SchemaObject } from 'ajv';
import { ajv, check, checkMapMessage, pathSchema, ProtocolError, str } from './guards';
import type { Check } from './guards';
import type { MapLayout, MapOverview, MapSamplePage, MapToHost } from './capabilityMap';

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
/** The sample map of a run; progress (fraction, message) arrives under the request's `progressToken`. */
export interface MapLayoutParams {
  source: MapRun;
  progressToken: string;
}
export const mapLayoutRequest = new RequestType<MapLayoutParams, MapLayout, void>('cadc/map/layout');
export interface MapLayoutProgress {
  fraction: number;
  message: string;
}
export const mapLayoutProgress = new ProgressType<MapLayoutProgress>();
/** The map closed: the backend frees the run's table (its memory) until a map asks again. */
export const mapReleaseNotification = new NotificationType0('cadc/map/release');

const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifest', 'dataset', 'cacheDir', 'sha256', 'run'],
  properties: {
    manifest: pathSchema,
    dataset: pathSchema,
    cacheDir: pathSchema,
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    run: { type: 'integer', minimum: 0 },
  },
};

/** A map request's run, checked in the backend before any file is opened. */
export const checkMapRun: Check<MapRun> = check('map run', ajv.compile<MapRun>(runSchema as SchemaObject));

/** A layout request: its run and its progress token. */
export function checkMapLayoutParams(x: unknown): MapLayoutParams {
  const p = x as Partial<MapLayoutParams> | null;
  const source = checkMapRun(p?.source);
  const token = p?.progressToken;
  if (typeof token !== 'string' || token.length < 1 || token.length > 200)
    throw new ProtocolError('map layout: /progressToken must be a short string');
  return { source, progressToken: token };
}

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
const nums = { type: 'array', items: num } as const;

const example = {
  type: 'object',
  required: ['line', 'id', 'text'],
  properties: { line: int, id: str, text: str },
} as const;
const curve = { type: 'object', required: ['selfInfluence', 'loss'], properties: { selfInfluence: nums, loss: nums } } as const;

/** The parts of an overview the webview draws (header, capabilities and their hierarchy, curves, stages, problems). */
export const checkMapOverview: Check<MapOverview> = check(
  'backend map overview',
  ajv.compile<MapOverview>({
    type: 'object',
    required: ['dataset', 'budget', 'strategy', 'notes', 'checkpoints', 'capabilities', 'stages'],
    properties: {
      dataset: {
        type: 'object',
        required: ['name', 'samples', 'invalid', 'sha256'],
        properties: { name: str, samples: int, invalid: int, sha256: str, display: str },
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
            curve,
            examples: { type: 'array', maxItems: 20, items: example },
            children: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'name', 'size', 'selected', 'terms', 'examples', 'curve'],
                properties: {
                  id: { type: 'string', pattern: '^c[1-9][0-9]*\\.[1-9][0-9]*$' },
                  name: str,
                  size: int,
                  selected: int,
                  terms: { type: 'array', items: str },
                  examples: { type: 'array', maxItems: 20, items: example },
                  curve,
                },
              },
            },
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
      problems: {
        type: 'array',
        items: {
          type: 'object',
          required: ['code', 'severity', 'count', 'total', 'lines', 'message'],
          properties: {
            code: str,
            severity: { enum: ['error', 'warning', 'info'] },
            count: int,
            total: int,
            lines: { type: 'array', items: int },
            message: str,
            fix: str,
          },
        },
      },
      gradients: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: { enum: ['proxy', 'gradients'] },
          model: str,
          checkpoints: int,
          layers: { type: 'array', items: str },
          dims: int,
        },
      },
      reliability: {
        type: 'object',
        required: ['value', 'weak'],
        properties: {
          value: { type: 'number', minimum: 0, maximum: 1 },
          weak: { type: 'boolean' },
          proxies: { type: 'integer', minimum: 2 },
          agreement: { type: 'number', minimum: -1, maximum: 1 },
          acrossProxies: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
  } as SchemaObject),
);

/** A progress report of a layout. */
export const checkMapLayoutProgress: Check<MapLayoutProgress> = check(
  'backend map layout progress',
  ajv.compile<MapLayoutProgress>({
    type: 'object',
    required: ['fraction', 'message'],
    properties: { fraction: { type: 'number', minimum: 0, maximum: 1 }, message: { type: 'string', maxLength: 1000 } },
  } as SchemaObject),
);

/** The sample map: one entry per point in every column, coordinates finite. */
export const checkMapLayout: Check<MapLayout> = check(
  'backend map layout',
  ajv.compile<MapLayout>({
    type: 'object',
    required: ['method', 'total', 'xy', 'line', 'capability', 'selected', 'preview', 'dims', 'cached', 'ms'],
    properties: {
      method: { enum: ['umap', 'pca'] },
      total: int,
      xy: nums,
      line: { type: 'array', items: { type: 'integer', minimum: 1 } },
      capability: { type: 'array', items: { type: 'integer', minimum: 0 } },
      selected: { type: 'array', items: { enum: [0, 1] } },
      preview: { type: 'array', items: str },
      dims: int,
      projectedTo: { type: 'integer', minimum: 1 },
      cached: { type: 'boolean' },
      ms: num,
      note: str,
    },
  } as SchemaObject),
  // ajv's `number` already refuses non-finite values; the columns must describe the same points.
  (l) => {
    const m = l.line.length;
    const same = l.xy.length === 2 * m && l.capability.length === m && l.selected.length === m && l.preview.length === m;
    return same ? undefined : 'columns of different lengths';
  },
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
            sub: int,
          },
        },
      },
    },
  } as SchemaObject),
);
