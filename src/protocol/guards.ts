// Runtime guards for every message that crosses a trust or process boundary: what the Capability
// Map webview posts to the host (untrusted: a compromised or buggy webview can post anything), and
// what the backend process sends back (ours, but it crosses a process boundary; we check the shapes
// the extension relies on). The map's message schemas are typed against the protocol's TypeScript
// types with ajv's JSONSchemaType, so a change to a message type that the schema does not follow
// fails the typecheck; one compiled validator (a discriminated oneOf on `type`) guards them all.
import Ajv from 'ajv';
import type { JSONSchemaType, SchemaObject, ValidateFunction } from 'ajv';
import { STRATEGIES } from '../core/config';
import { STAGES } from '../core/runtime/progress';
import type { ProgressEvent } from '../core/runtime/progress';
import { COMPARISON_SCHEMA, QUALITY_REPORT_SCHEMA } from '../core/report/types';
import type { Comparison, QualityReport } from '../core/report/types';
import type { CurateSummary, RestoreResult } from './backend';
import type { MapToHost } from './capabilityMap';

export const ajv = new Ajv({ strict: true, strictRequired: false, discriminator: true, allErrors: false });

/** A message that does not have its protocol type. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** A checker that returns its input typed, or throws a ProtocolError naming what is wrong (never echoing the input). */
export type Check<T> = (x: unknown) => T;

/** `also`: a check the schema cannot say (e.g. columns of equal length); returns what is wrong. */
export function check<T>(what: string, validate: ValidateFunction<T>, also?: (x: T) => string | undefined): Check<T> {
  return (x) => {
    if (validate(x)) {
      const bad = also?.(x);
      if (bad) throw new ProtocolError(`${what}: ${bad}`);
      return x;
    }
    const e = validate.errors?.[0];
    throw new ProtocolError(`${what}: ${e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'invalid'}`);
  };
}

// ---- webview → host ----------------------------------------------------------------------------

type MapMessage<K extends MapToHost['type']> = Extract<MapToHost, { type: K }>;
const INT = 2 ** 31 - 1;
const tag = <K extends string>(k: K) => ({ type: 'string', const: k }) as const;
const bare = <K extends 'ready' | 'runQuality' | 'cancelJob'>(k: K) =>
  ({ type: 'object', additionalProperties: false, required: ['type'], properties: { type: tag(k) } }) as unknown as JSONSchemaType<
    MapMessage<K>
  >;

const getSamples: JSONSchemaType<MapMessage<'getSamples'>> = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'requestId', 'offset', 'limit', 'filter', 'sort'],
  properties: {
    type: tag('getSamples'),
    requestId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    offset: { type: 'integer', minimum: 0, maximum: INT },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    filter: {
      type: 'object',
      additionalProperties: false,
      required: [],
      properties: {
        capability: { type: 'integer', minimum: 0, maximum: 1023, nullable: true },
        style: { type: 'string', maxLength: 64, nullable: true },
        selected: { type: 'boolean', nullable: true },
        search: { type: 'string', maxLength: 1000, nullable: true },
      },
    },
    sort: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'dir'],
      properties: {
        key: { type: 'string', enum: ['line', 'influence', 'selfInfluence', 'loss'] },
        dir: { type: 'string', enum: ['asc', 'desc'] },
      },
    },
  },
};

/** One schema per message type; the mapped type makes a new message type without a schema a type error. */
const mapMessages: { [K in MapToHost['type']]: JSONSchemaType<MapMessage<K>> } = {
  ready: bare('ready'),
  getSamples,
  reveal: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'line'],
    properties: { type: tag('reveal'), line: { type: 'integer', minimum: 1, maximum: INT } },
  },
  getImage: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'line'],
    properties: { type: tag('getImage'), line: { type: 'integer', minimum: 1, maximum: INT } },
  },
  reselect: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'budget'],
    properties: {
      type: tag('reselect'),
      budget: { type: 'string', minLength: 1, maxLength: 32, pattern: '^\\s*(\\d+(\\.\\d+)?%?|\\d*\\.\\d+)\\s*$' },
    },
  },
  rename: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'capability', 'name'],
    properties: {
      type: tag('rename'),
      capability: { type: 'string', pattern: '^c[1-9][0-9]{0,3}$' },
      name: { type: 'string', minLength: 1, maxLength: 1000 },
    },
  },
  runQuality: bare('runQuality'),
  runCompare: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'strategies'],
    properties: {
      type: tag('runCompare'),
      strategies: {
        type: 'array',
        minItems: 1,
        maxItems: STRATEGIES.length,
        uniqueItems: true,
        items: { type: 'string', enum: STRATEGIES },
      },
    },
  },
  cancelJob: bare('cancelJob'),
  openMarkdown: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'what'],
    properties: { type: tag('openMarkdown'), what: { type: 'string', enum: ['quality', 'compare'] } },
  },
};

/** The one guard of the webview's messages: the message typed, or a ProtocolError. */
export const checkMapMessage: Check<MapToHost> = check(
  'webview message',
  ajv.compile<MapToHost>({
    type: 'object',
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: Object.values(mapMessages),
  } as SchemaObject),
);

// ---- backend → extension -----------------------------------------------------------------------

const progress: JSONSchemaType<ProgressEvent> = {
  type: 'object',
  required: ['stage', 'fraction'],
  properties: {
    stage: { type: 'string', enum: [...STAGES] },
    fraction: { type: 'number', minimum: 0, maximum: 1 },
    message: { type: 'string', maxLength: 10_000, nullable: true },
    cached: { type: 'boolean', nullable: true },
  },
};
export const checkProgress: Check<ProgressEvent> = check('backend progress', ajv.compile(progress));

export interface LogMessage {
  level: 'info' | 'warn' | 'error';
  message: string;
}
const logMessage: JSONSchemaType<LogMessage> = {
  type: 'object',
  required: ['level', 'message'],
  properties: { level: { type: 'string', enum: ['info', 'warn', 'error'] }, message: { type: 'string' } },
};
export const checkLog: Check<LogMessage> = check('backend log', ajv.compile(logMessage));

/** A file path in a request from the extension: non-empty, bounded. */
export const pathSchema = { type: 'string', minLength: 1, maxLength: 4096 } as const;
export const str = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const strings = { type: 'array', items: str } as const;
/** Where a run is and what it selected: the fields a curate result and a restore result share. */
const RUN_REQUIRED = ['manifest', 'dataset', 'sha256', 'cacheDir', 'samples', 'selected'] as const;
const runProperties = {
  manifest: { type: 'string', minLength: 1 },
  dataset: { type: 'string', minLength: 1 },
  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  cacheDir: { type: ['string', 'null'] },
  samples: count,
  selected: count,
} as const;

/** The parts of a curation result the extension uses (paths, counts, capabilities, stages, notes, diagnostics). */
export const checkCurateSummary: Check<CurateSummary> = check(
  'backend curate result',
  ajv.compile<CurateSummary>({
    type: 'object',
    required: [...RUN_REQUIRED, 'capabilities', 'stages', 'notes', 'diagnostics'],
    properties: {
      ...runProperties,
      capabilities: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'name', 'size', 'selected'],
          properties: { id: { type: 'string', pattern: '^c[1-9][0-9]*$' }, name: str, size: count, selected: count },
        },
      },
      stages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'kind', 'capabilities', 'size'],
          properties: {
            id: { type: 'string', pattern: '^s[1-9][0-9]*$' },
            kind: { enum: ['capability', 'alignment'] },
            capabilities: strings,
            size: count,
          },
        },
      },
      notes: strings,
      diagnostics: {
        type: 'array',
        items: {
          type: 'object',
          required: ['line', 'severity', 'code', 'message'],
          properties: { line: count, severity: str, code: str, message: str },
        },
      },
      problems: {
        type: 'array',
        items: {
          type: 'object',
          required: ['code', 'severity', 'count', 'lines', 'headline', 'cause', 'fix', 'serious'],
          properties: {
            code: str,
            severity: { enum: ['error', 'warning', 'info'] },
            count,
            total: count,
            lines: { type: 'array', items: count },
            headline: str,
            cause: str,
            fix: str,
            action: {
              type: 'object',
              required: ['setting', 'action'],
              properties: { setting: { const: 'cadc.dataset.imageRoot' }, action: { const: 'pickFolder' } },
            },
            serious: { type: 'boolean' },
          },
        },
      },
    },
  } as SchemaObject),
);

/** A restore's result (src/app/restore.ts): where the run is and whether it matched the manifest. */
export const checkRestoreResult: Check<RestoreResult> = check(
  'backend restore result',
  ajv.compile<RestoreResult>({
    type: 'object',
    required: [...RUN_REQUIRED, 'same', 'difference'],
    properties: {
      ...runProperties,
      same: { type: 'boolean' },
      difference: str,
    },
  } as SchemaObject),
);

const section = { type: 'object' } as const;

/** A quality report: its schema tag and the sections the panel and Markdown export read. */
export const checkQualityReport: Check<QualityReport> = check(
  'backend quality report',
  ajv.compile<QualityReport>({
    type: 'object',
    required: ['schema', 'dataset', 'pool', 'warnings'],
    properties: {
      schema: { const: QUALITY_REPORT_SCHEMA },
      dataset: { type: 'object' },
      pool: section,
      selection: section,
      perCapability: { type: 'array' },
      warnings: strings,
    },
  } as SchemaObject),
);

/** A comparison: its schema tag, the strategies and the overlap matrix the panel and Markdown export read. */
export const checkComparison: Check<Comparison> = check(
  'backend comparison',
  ajv.compile<Comparison>({
    type: 'object',
    required: ['schema', 'dataset', 'budget', 'strategies', 'overlap', 'pool', 'warnings'],
    properties: {
      schema: { const: COMPARISON_SCHEMA },
      budget: { type: 'object', required: ['requested', 'count'], properties: { requested: { type: 'number' }, count: count } },
      strategies: {
        type: 'array',
        items: { type: 'object', required: ['strategy', 'selected'], properties: { strategy: str, selected: count } },
      },
      overlap: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      pool: section,
      warnings: strings,
    },
  } as SchemaObject),
);
