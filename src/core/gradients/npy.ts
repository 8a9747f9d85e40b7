// A small, validated reader of NumPy `.npy` files (format 1.0–3.0): the header is parsed strictly
// (magic, version, a Python dict literal with exactly descr, fortran_order and shape), only the
// little-endian numeric types the gradient format uses are accepted (<f2, <f4, <f8, <i4, <i8), only
// C order, and the file's size must be the header plus exactly the data the shape describes.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type NpyDescr = '<f2' | '<f4' | '<f8' | '<i4' | '<i8';
export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int32' | 'int64';

const DTYPES: Record<NpyDescr, { dtype: NpyDtype; size: number }> = {
  '<f2': { dtype: 'float16', size: 2 },
  '<f4': { dtype: 'float32', size: 4 },
  '<f8': { dtype: 'float64', size: 8 },
  '<i4': { dtype: 'int32', size: 4 },
  '<i8': { dtype: 'int64', size: 8 },
};

export interface NpyHeader {
  descr: NpyDescr;
  dtype: NpyDtype;
  /** Bytes per element. */
  itemSize: number;
  shape: number[];
  /** Offset of the first data byte (magic + version + length + header dict). */
  dataOffset: number;
  /** Bytes of data the shape describes. */
  dataBytes: number;
}

/** A file that is not a `.npy` file this reader accepts; the message names the file and the problem. */
export class NpyFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'NpyFormatError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy refuses headers over 10,000 bytes by default; this reader refuses them too. */
const MAX_HEADER = 10_000;

/**
 * The header of a `.npy` file from its first bytes (at least the whole header must be present).
 * Throws NpyFormatError naming `file`.
 */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const fail = (problem: string): never => {
    throw new NpyFormatError(file, problem);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('header is cut off');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_HEADER) fail(`header of ${headerLen} bytes is longer than ${MAX_HEADER}`);
  const dataOffset = 8 + lenBytes + headerLen;
  if (bytes.length < dataOffset) fail(`header is cut off (${bytes.length} bytes, the header needs ${dataOffset})`);
  const text = Buffer.from(bytes.subarray(8 + lenBytes, dataOffset)).toString(major === 3 ? 'utf8' : 'latin1');
  if (!text.endsWith('\n')) fail('header does not end with a newline');
  const dict = /^\{\s*(.*?)\s*\}\s*$/s.exec(text.trimEnd());
  if (!dict) fail('header is not a dict literal');
  const fields = new Map<string, string>();
  // 'key': value, with value a quoted string, True/False or a tuple of integers.
  const entry = /\s*'(\w+)'\s*:\s*('[^']*'|True|False|\((?:\s*\d+\s*,)*\s*(?:\d+\s*)?\))\s*(?:,|$)/gy;
  const body = (dict as RegExpExecArray)[1];
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < body.length && (m = entry.exec(body))) {
    if (fields.has(m[1])) fail(`header names '${m[1]}' twice`);
    fields.set(m[1], m[2]);
    at = entry.lastIndex;
  }
  if (at < body.trimEnd().length) fail(`header dict is not understood near "${body.slice(at, at + 30)}"`);
  const keys = [...fields.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') fail(`header has keys ${keys}, expected descr, fortran_order and shape`);
  const descr = (fields.get('descr') as string).slice(1, -1);
  if (!(descr in DTYPES)) {
    const hint = /^>/.test(descr) ? ' (big-endian is not read)' : '';
    fail(`dtype ${descr} is not one of ${Object.keys(DTYPES).join(', ')}${hint}`);
  }
  if (fields.get('fortran_order') !== 'False') fail('array is in Fortran order; only C order is read');
  const shape = [...(fields.get('shape') as string).matchAll(/\d+/g)].map((x) => Number(x[0]));
  if (shape.some((d) => !Number.isSafeInteger(d))) fail('shape has a dimension too large');
  const { dtype, size } = DTYPES[descr as NpyDescr];
  const elements = shape.reduce((a, b) => a * b, 1);
  const dataBytes = elements * size;
  if (!Number.isSafeInteger(dataBytes)) fail('shape describes more bytes than can be addressed');
  return { descr: descr as NpyDescr, dtype, itemSize: size, shape, dataOffset, dataBytes };
}

/** Reads and checks the header of a `.npy` file on disk, and that its size is the header plus the data. */
export function readNpyHeader(file: string): NpyHeader & { fileBytes: number } {
  const fd = openSync(file, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(fileBytes, 12 + MAX_HEADER));
    readSync(fd, head, 0, head.length, 0);
    const h = parseNpyHeader(head, file);
    checkSize(h, fileBytes, file);
    return { ...h, fileBytes };
  } finally {
    closeSync(fd);
  }
}

function checkSize(h: NpyHeader, fileBytes: number, file: string): void {
  const want = h.dataOffset + h.dataBytes;
  if (fileBytes < want)
    throw new NpyFormatError(file, `truncated: ${fileBytes} bytes, the header's shape [${h.shape.join(', ')}] needs ${want}`);
  if (fileBytes > want) throw new NpyFormatError(file, `${fileBytes - want} bytes after the data (${fileBytes} bytes, expected ${want})`);
}

export type NpyData = Uint16Array | Float32Array | Float64Array | Int32Array | BigInt64Array;

/** The data of a parsed `.npy` file's bytes as a typed array (float16 as raw Uint16 halves), copied to aligned memory. */
export function npyData(bytes: Uint8Array, h: NpyHeader, file: string): NpyData {
  checkSize(h, bytes.length, file);
  // A copy (a Buffer's slice is a view into a shared pool, at any alignment).
  const raw = new Uint8Array(bytes.subarray(h.dataOffset, h.dataOffset + h.dataBytes)).buffer;
  switch (h.dtype) {
    case 'float16':
      return new Uint16Array(raw);
    case 'float32':
      return new Float32Array(raw);
    case 'float64':
      return new Float64Array(raw);
    case 'int32':
      return new Int32Array(raw);
    case 'int64':
      return new BigInt64Array(raw);
  }
}

/** A whole `.npy` file's bytes: its header and data. */
export function parseNpy(bytes: Uint8Array, file: string): { header: NpyHeader; data: NpyData } {
  const header = parseNpyHeader(bytes, file);
  return { header, data: npyData(bytes, header, file) };
}

/** int64 values as numbers; throws when one is outside ±2^53. */
export function int64ToNumbers(a: BigInt64Array, file: string): Float64Array {
  const out = new Float64Array(a.length);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < a.length; i++) {
    if (a[i] > max || a[i] < -max) throw new NpyFormatError(file, `value ${a[i]} at index ${i} is too large`);
    out[i] = Number(a[i]);
  }
  return out;
}

// float16 → float32 through a 65,536-entry table (exact: every half is a float32).
let HALF: Float32Array | undefined;
export function halfTable(): Float32Array {
  if (HALF) return HALF;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? sign * m * 2 ** -24 : e === 0x1f ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (HALF = t);
}

let HALF_BITS: Uint32Array | undefined;
/** Raw halves → float32, into `out` (allocated when absent): the table's bit patterns copied as integers. */
export function halvesToFloat32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const t = (HALF_BITS ??= new Uint32Array(halfTable().buffer));
  const o = new Uint32Array(out.buffer, out.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) o[i] = t[src[i]];
  return out;
}

/**
 * The bytes of a `.npy` file (format 1.0, C order, little-endian), as `numpy.save` writes them: the
 * header dict padded with spaces to a multiple of 64 bytes, then the data. For the benchmarks and tests
 * that synthesise a gradient folder, and the reader's round-trip test.
 */
export function npyBytes(descr: NpyDescr, shape: number[], data: ArrayBufferView): Uint8Array {
  const want = shape.reduce((a, b) => a * b, 1) * DTYPES[descr].size;
  if (data.byteLength !== want) throw new Error(`npyBytes: ${data.byteLength} bytes of data for shape [${shape.join(', ')}] of ${descr}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
