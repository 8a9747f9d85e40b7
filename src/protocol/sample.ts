// The extension ↔ backend request for one sample as the editor shows it: its turns, labels and a
// small thumbnail of its image (a data: URI, size-capped), read by line from a Parquet pool (shard +
// row) or a JSONL file. Hovers, the sample preview document and the Capability Map's image preview
// use it. Both directions are checked here: the backend checks the parameters before any file is
// opened, the extension checks the reply (a thumbnail must be a base64 JPEG or PNG data URI).
import { RequestType } from 'vscode-jsonrpc';
import type { SchemaObject } from 'ajv';
import { ajv, check, pathSchema, str } from './guards';
import type { Check } from './guards';

/** Which sample: the dataset (a `.parquet` file, a folder of shards, or a `.jsonl` file) and its 1-based line. */
export interface SampleParams {
  dataset: string;
  line: number;
  /** Whether to decode the sample's first image into a thumbnail. */
  thumbnail: boolean;
  /** Image files referenced by path resolve only inside this folder (the workspace folder). */
  confineTo?: string;
  /** The run's image root (path references resolve against it; default: the dataset's folder). */
  imageRoot?: string;
}

/** A thumbnail small enough for a hover's Markdown (VS Code cuts a hover's Markdown at 100,000 characters). */
export interface Thumbnail {
  /** `data:image/jpeg;base64,…` or `data:image/png;base64,…`. */
  dataUri: string;
  width: number;
  height: number;
  /** The image as stored: its format, size in pixels and bytes. */
  source: { format: string; width: number; height: number; bytes: number };
}

/** One sample as the editor shows it (all text untrusted: escape it). */
export interface SamplePreview {
  line: number;
  /** Parquet pools: the shard file name and the 0-based row in it. */
  shard?: string;
  row?: number;
  id?: string;
  /** The record's turns (each cut to a few thousand characters; `truncated` says when any was). */
  turns: { role: string; text: string }[];
  labels: { field: string; value: string }[];
  truncated: boolean;
  /** Images of the sample (embedded or referenced). */
  images: number;
  /** Whether the first image is embedded in the dataset (a Parquet `{bytes, path}` struct). */
  embedded: boolean;
  thumbnail?: Thumbnail;
  /** Why there is no thumbnail although an image was asked for and the sample has one. */
  imageProblem?: string;
  /** Why the record could not be shown as turns (an unreadable row, an unknown shape). */
  problem?: string;
}

export const sampleRequest = new RequestType<SampleParams, SamplePreview, void>('cadc/sample');

/** The largest data URI a thumbnail may be (base64 of at most 48 KiB of image). */
export const MAX_THUMBNAIL_URI = 'data:image/jpeg;base64,'.length + 4 * Math.ceil((48 * 1024) / 3);

const int = { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 } as const;

/** A sample request, checked in the backend before any file is opened. */
export const checkSampleParams: Check<SampleParams> = check(
  'sample request',
  ajv.compile<SampleParams>({
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'line', 'thumbnail'],
    properties: {
      dataset: pathSchema,
      line: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 },
      thumbnail: { type: 'boolean' },
      confineTo: pathSchema,
      imageRoot: pathSchema,
    },
  } as SchemaObject),
);

/** The backend's reply, checked in the extension: a thumbnail is a bounded base64 JPEG/PNG data URI, nothing else. */
export const checkSamplePreview: Check<SamplePreview> = check(
  'backend sample',
  ajv.compile<SamplePreview>({
    type: 'object',
    required: ['line', 'turns', 'labels', 'truncated', 'images', 'embedded'],
    properties: {
      line: int,
      shard: str,
      row: int,
      id: str,
      turns: {
        type: 'array',
        maxItems: 200,
        items: { type: 'object', required: ['role', 'text'], properties: { role: str, text: str } },
      },
      labels: {
        type: 'array',
        maxItems: 64,
        items: { type: 'object', required: ['field', 'value'], properties: { field: str, value: str } },
      },
      truncated: { type: 'boolean' },
      images: int,
      embedded: { type: 'boolean' },
      thumbnail: {
        type: 'object',
        required: ['dataUri', 'width', 'height', 'source'],
        properties: {
          dataUri: { type: 'string', maxLength: MAX_THUMBNAIL_URI, pattern: '^data:image/(jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$' },
          width: int,
          height: int,
          source: {
            type: 'object',
            required: ['format', 'width', 'height', 'bytes'],
            properties: { format: str, width: int, height: int, bytes: int },
          },
        },
      },
      imageProblem: str,
      problem: str,
    },
  } as SchemaObject),
);
