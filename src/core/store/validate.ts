// What a cache entry's index must be before anything in it is used: the JSON index (sidecar) beside
// each data file, its checksum and layout, the extras of the features and trajectories entries, and
// the arrays each entry must hold. Every check returns why an entry is unusable (then it is a miss).
import { createHash } from 'node:crypto';
import Ajv from 'ajv';
import type { JSONSchemaType } from 'ajv';
import type { DatasetSummary } from '../dataset/types';
import type { Pool } from '../features/types';
import type { WarmupResult } from '../proxy/warmup';
import { stableStringify } from '../util/stableJson';

/** The element types an index may name. */
export type Typed = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float32Array | Float64Array;
export const CTORS = { Int32Array, Uint32Array, Uint16Array, Uint8Array, Float32Array, Float64Array } as const;
export type CtorName = keyof typeof CTORS;
const CTOR_NAMES = Object.keys(CTORS) as CtorName[];

export interface Layout {
  name: string;
  type: CtorName;
  offset: number;
  length: number;
}

export interface Sidecar {
  schema: number;
  kind: string;
  key: string;
  sha256: string;
  bytes: number;
  arrays: Layout[];
  extra: unknown;
  /** sha256 of the stable JSON of every other field. */
  indexSha256: string;
}

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const UINT = { type: 'integer', minimum: 0 } as const;

const sidecarSchema: JSONSchemaType<Sidecar> = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'kind', 'key', 'sha256', 'bytes', 'arrays', 'extra', 'indexSha256'],
  properties: {
    schema: { type: 'integer' },
    kind: { type: 'string' },
    key: { type: 'string' },
    sha256: HEX64,
    bytes: UINT,
    arrays: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type', 'offset', 'length'],
        properties: { name: { type: 'string', minLength: 1 }, type: { type: 'string', enum: CTOR_NAMES }, offset: UINT, length: UINT },
      },
    },
    extra: {},
    indexSha256: HEX64,
  },
} as unknown as JSONSchemaType<Sidecar>;

export interface FeaturesExtra {
  n: number;
  ids: string[];
  labels: Record<string, string[]>;
  termOf: [number, string][];
  dims: Pool['dims'];
  summary: DatasetSummary;
  hasImageFeatures: boolean;
  /** imagesFingerprint of the entry's image references when it was written (absent: not tracked). */
  images?: string;
}

const featuresExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'ids', 'labels', 'termOf', 'dims', 'summary', 'hasImageFeatures'],
  properties: {
    n: UINT,
    ids: { type: 'array', items: { type: 'string' } },
    labels: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    termOf: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'integer' }, { type: 'string' }] } },
    dims: {
      type: 'object',
      additionalProperties: false,
      required: ['questionBuckets', 'maxQuestionNgrams', 'answerVocab', 'imageDim'],
      properties: { questionBuckets: UINT, maxQuestionNgrams: UINT, answerVocab: UINT, imageDim: UINT },
    },
    summary: {
      type: 'object',
      required: [
        'path',
        'container',
        'format',
        'sha256',
        'bytes',
        'lines',
        'records',
        'samples',
        'invalid',
        'diagnosticCounts',
        'diagnostics',
        'labelFields',
      ],
      properties: {
        path: { type: 'string' },
        container: { type: 'string' },
        format: { type: 'string' },
        sha256: HEX64,
        bytes: UINT,
        lines: UINT,
        records: UINT,
        samples: UINT,
        invalid: UINT,
        diagnosticCounts: { type: 'object', additionalProperties: UINT },
        diagnostics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['line', 'severity', 'code', 'message'],
            properties: {
              line: UINT,
              column: UINT,
              recordIndex: UINT,
              severity: { type: 'string' },
              code: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
        labelFields: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'present', 'distinct'],
            properties: { name: { type: 'string' }, present: UINT, distinct: UINT },
          },
        },
      },
    },
    hasImageFeatures: { type: 'boolean' },
    images: HEX64,
  },
} as const;

export interface TrajectoriesExtra {
  n: number;
  T: number;
  D: number;
  storage: 'float32' | 'float16';
  shape: WarmupResult['shape'];
  checkpoints: { t: number; eta: number; trainLoss: number }[];
}

const trajectoriesExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'T', 'D', 'storage', 'shape', 'checkpoints'],
  properties: {
    n: UINT,
    T: UINT,
    D: UINT,
    storage: { type: 'string', enum: ['float32', 'float16'] },
    shape: {
      type: 'object',
      additionalProperties: false,
      required: ['questionBuckets', 'maxNgrams', 'embedDim', 'imageDim', 'hidden', 'vocab', 'din'],
      properties: { questionBuckets: UINT, maxNgrams: UINT, embedDim: UINT, imageDim: UINT, hidden: UINT, vocab: UINT, din: UINT },
    },
    checkpoints: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['t', 'eta', 'trainLoss'],
        properties: { t: UINT, eta: { type: 'number' }, trainLoss: { type: 'number' } },
      },
    },
  },
} as const;

/** The index of a text-groups entry: how many samples and groups its `of` array holds. */
export interface TextGroupsExtra {
  n: number;
  groups: number;
}

const textGroupsExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'groups'],
  properties: { n: UINT, groups: UINT },
} as const;

/** The index of one extra proxy's cosines (capabilities/types.ts ProxyCosines): G groups, H of them in both halves. */
export interface ProxyCosinesExtra {
  G: number;
  H: number;
}

const proxyCosinesExtraSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['G', 'H'],
  properties: { G: UINT, H: UINT },
} as const;

const ajv = new Ajv({ strict: false });
export const validSidecar = ajv.compile<Sidecar>(sidecarSchema);
export const validFeaturesExtra = ajv.compile<FeaturesExtra>(featuresExtraSchema);
export const validTrajectoriesExtra = ajv.compile<TrajectoriesExtra>(trajectoriesExtraSchema);
export const validTextGroupsExtra = ajv.compile<TextGroupsExtra>(textGroupsExtraSchema);
export const validProxyCosinesExtra = ajv.compile<ProxyCosinesExtra>(proxyCosinesExtraSchema);

export function schemaError(v: { errors?: { instancePath: string; message?: string }[] | null }): string {
  const e = v.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'is invalid';
}

export function indexChecksum(side: Omit<Sidecar, 'indexSha256'> & { indexSha256?: string }): string {
  const { indexSha256: _, ...rest } = side;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
}

/** Why a layout cannot describe `bytes` bytes (overlap, misalignment, out of bounds, duplicate names), or undefined. */
export function layoutProblem(arrays: Layout[], bytes: number): string | undefined {
  const names = new Set<string>();
  let end = 0;
  for (const a of arrays) {
    if (names.has(a.name)) return `names array ${a.name} twice`;
    names.add(a.name);
    const size = CTORS[a.type].BYTES_PER_ELEMENT;
    if (a.offset % 8 !== 0 || a.offset < end) return `places array ${a.name} at a bad offset ${a.offset}`;
    end = a.offset + a.length * size;
    if (end > bytes) return `places array ${a.name} past the end of the data (${end} > ${bytes} bytes)`;
  }
  return end === bytes ? undefined : `describes ${end} bytes of ${bytes}`;
}

/** What an entry's arrays must be: name → element type and length (undefined: any length). */
export type ArraySpec = Record<string, [CtorName, number | undefined]>;

/** Why `arrays` do not match `spec` exactly (no missing, extra, mistyped or mis-sized array), or undefined. */
export function arraysMismatch(arrays: Record<string, Typed>, spec: ArraySpec): string | undefined {
  for (const [name, [type, length]] of Object.entries(spec)) {
    const a = Object.hasOwn(arrays, name) ? arrays[name] : undefined;
    if (!a) return `lacks array ${name}`;
    if (a.constructor.name !== type) return `has array ${name} of type ${a.constructor.name}, not ${type}`;
    if (length !== undefined && a.length !== length) return `has array ${name} of length ${a.length}, not ${length}`;
  }
  const extra = Object.keys(arrays).find((k) => !Object.hasOwn(spec, k));
  return extra === undefined ? undefined : `has an unexpected array ${extra}`;
}
