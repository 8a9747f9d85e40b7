// buildQualityReport: one streaming pass over a dataset with the project's reader, every sample
// added to the pool's accumulator, to each selection it belongs to, and to its capability's.
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { compareCapabilityIds } from '../capabilities/ids';
import { readDataset } from '../dataset/reader';
import type { DatasetFormat, DatasetSummary } from '../dataset/types';
import { detectStyles, primaryStyle } from '../features/styles';
import type { ManifestV1 } from '../curriculum/types';
import { CancelledError } from '../runtime/cancel';
import { QualityAccumulator, headlineDeltas, prepareSample } from './aggregate';
import { QUALITY_REPORT_SCHEMA } from './types';
import type { CapabilityQuality, QualityReport, QualitySection } from './types';

/** A selection given directly as 1-based dataset lines (the lines samples start on). */
export interface LineSelection {
  name: string;
  lines: Iterable<number>;
}

export interface QualityOptions {
  format?: DatasetFormat | 'auto';
  /** Folder image paths resolve against (default: the dataset's folder). */
  imageRoot?: string;
  /** Outermost folder images may live in (default: the image root). */
  confineTo?: string;
  /** The selection as a manifest (object or path): its stages' sample lines. */
  manifest?: ManifestV1 | string;
  /** The selection as a set of lines (used when no manifest is given). */
  lines?: LineSelection;
  /**
   * Attributions JSONL (`<stem>.cadc.attributions.jsonl`: one {line, capability} per sample). When a
   * manifest path is given and this is not, the file beside the manifest is used if it exists.
   */
  attributions?: string;
  /** Capability of every sample by line (e.g. from a CurationRun): id per line, names per id. */
  capabilities?: { ofLine: ReadonlyMap<number, string>; names?: Record<string, string> };
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface ScanResult {
  summary: DatasetSummary;
  pool: QualitySection;
  selections: { name: string; requested: number; matched: number; section: QualitySection }[];
  perCapability: { id: string; pool?: QualitySection; selections: QualitySection[] }[];
}

/**
 * The streaming pass under both the report and the comparison: `selections` are line sets,
 * `capabilityOf` maps a line to a capability id (pool-wide when `capabilityPoolWide`, else only the
 * selected lines are known and per-capability pool sections are omitted).
 */
export async function scanQuality(
  datasetPath: string,
  opts: {
    format?: DatasetFormat | 'auto';
    imageRoot?: string;
    confineTo?: string;
    selections: { name: string; lines: ReadonlySet<number> }[];
    capabilityOf?: ReadonlyMap<number, string>;
    capabilityPoolWide?: boolean;
    signal?: AbortSignal;
    onProgress?: (bytesRead: number, totalBytes: number) => void;
  },
): Promise<ScanResult> {
  const pool = new QualityAccumulator();
  const sels = opts.selections.map((s) => ({ ...s, acc: new QualityAccumulator(), matched: 0 }));
  const caps = new Map<string, { pool: QualityAccumulator | null; sels: QualityAccumulator[] }>();
  const capOf = opts.capabilityOf;
  const summary = await readDataset(
    datasetPath,
    {
      format: opts.format ?? 'auto',
      imageRoot: opts.imageRoot,
      confineTo: opts.confineTo,
      signal: opts.signal,
      onProgress: opts.onProgress,
    },
    (sample) => {
      const p = prepareSample(sample.turns, sample.images, sample.labels, primaryStyle(detectStyles(sample.turns)));
      pool.add(p);
      const capId = capOf?.get(sample.line);
      let cap: { pool: QualityAccumulator | null; sels: QualityAccumulator[] } | undefined;
      if (capId !== undefined) {
        cap = caps.get(capId);
        if (!cap) {
          cap = { pool: opts.capabilityPoolWide ? new QualityAccumulator() : null, sels: sels.map(() => new QualityAccumulator()) };
          caps.set(capId, cap);
        }
        cap.pool?.add(p);
      }
      sels.forEach((s, j) => {
        if (!s.lines.has(sample.line)) return;
        s.matched++;
        s.acc.add(p);
        cap?.sels[j].add(p);
      });
    },
  );
  if (opts.signal?.aborted) throw new CancelledError();
  const capIds = [...caps.keys()].sort(compareCapabilityIds);
  return {
    summary,
    pool: pool.result(),
    selections: sels.map((s) => ({ name: s.name, requested: s.lines.size, matched: s.matched, section: s.acc.result() })),
    perCapability: capIds.map((id) => {
      const c = caps.get(id) as { pool: QualityAccumulator | null; sels: QualityAccumulator[] };
      return { id, ...(c.pool ? { pool: c.pool.result() } : {}), selections: c.sels.map((a) => a.result()) };
    }),
  };
}

/** Reads a manifest file (JSON) with a clear error. */
export async function loadManifest(file: string): Promise<ManifestV1> {
  const text = await fsp.readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const m = value as Partial<ManifestV1> | null;
  if (!m || m.schema !== 'cadc.manifest/v1' || !Array.isArray(m.stages)) throw new Error(`${file} is not a cadc.manifest/v1 manifest.`);
  return m as ManifestV1;
}

/** `<dir>/<stem>.cadc.json` → `<dir>/<stem>.cadc.attributions.jsonl`. */
export function attributionsBeside(manifestPath: string): string {
  const base = path
    .basename(manifestPath)
    .replace(/\.cadc\.json$/i, '')
    .replace(/\.json$/i, '');
  return path.join(path.dirname(manifestPath), `${base}.cadc.attributions.jsonl`);
}

/** Capability id per line from an attributions JSONL, streamed. */
export async function readAttributionCapabilities(file: string, signal?: AbortSignal): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const rl = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of rl) {
    lineNo++;
    if (signal?.aborted) {
      rl.close();
      throw new CancelledError();
    }
    if (raw.trim() === '') continue;
    let row: { line?: unknown; capability?: unknown };
    try {
      row = JSON.parse(raw) as typeof row;
    } catch {
      throw new Error(`${file}:${lineNo}: not JSON.`);
    }
    if (typeof row.line !== 'number' || typeof row.capability !== 'string')
      throw new Error(`${file}:${lineNo}: expected {line, capability}.`);
    out.set(row.line, row.capability);
  }
  return out;
}

/** The dataset block of a report or comparison, from the reader's summary. */
export function reportDataset(s: DatasetSummary): QualityReport['dataset'] {
  return {
    path: s.path,
    sha256: s.sha256,
    bytes: s.bytes,
    records: s.records,
    samples: s.samples,
    invalid: s.invalid,
    emptyTurnsRejected: s.diagnosticCounts['empty-turns'] ?? 0,
    format: s.format,
  };
}

/** The quality report of a dataset, and of a selection from it when a manifest or line set is given. */
export async function buildQualityReport(datasetPath: string, opts: QualityOptions = {}): Promise<QualityReport> {
  const t0 = performance.now();
  const warnings: string[] = [];
  let manifest: ManifestV1 | undefined;
  let manifestPath: string | undefined;
  if (typeof opts.manifest === 'string') {
    manifestPath = path.resolve(opts.manifest);
    manifest = await loadManifest(manifestPath);
  } else manifest = opts.manifest;

  let selection: { name: string; kind: 'manifest' | 'lines'; lines: Set<number> } | undefined;
  const names: Record<string, string> = {};
  let capabilityOf: Map<number, string> | ReadonlyMap<number, string> | undefined;
  let capabilitySource: QualityReport['capabilitySource'];
  let poolWide = false;
  if (manifest) {
    const lines = new Set<number>();
    const fromManifest = new Map<number, string>();
    for (const st of manifest.stages) {
      for (const s of st.samples) {
        lines.add(s.line);
        fromManifest.set(s.line, s.capability);
      }
    }
    for (const c of manifest.capabilities ?? []) names[c.id] = c.name;
    selection = { name: manifestPath ? path.basename(manifestPath) : 'manifest', kind: 'manifest', lines };
    capabilityOf = fromManifest;
    capabilitySource = 'manifest';
  } else if (opts.lines) {
    selection = { name: opts.lines.name, kind: 'lines', lines: new Set(opts.lines.lines) };
  }
  const attributionsFile =
    opts.attributions ?? (manifestPath && existsSync(attributionsBeside(manifestPath)) ? attributionsBeside(manifestPath) : undefined);
  if (opts.capabilities) {
    capabilityOf = opts.capabilities.ofLine;
    Object.assign(names, opts.capabilities.names ?? {});
    capabilitySource = 'run';
    poolWide = true;
  } else if (attributionsFile) {
    capabilityOf = await readAttributionCapabilities(attributionsFile, opts.signal);
    capabilitySource = 'attributions';
    poolWide = true;
  }

  const scan = await scanQuality(datasetPath, {
    format: opts.format,
    imageRoot: opts.imageRoot,
    confineTo: opts.confineTo,
    selections: selection ? [{ name: selection.name, lines: selection.lines }] : [],
    capabilityOf,
    capabilityPoolWide: poolWide,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const s = scan.summary;
  if (manifest && manifest.dataset?.sha256 && manifest.dataset.sha256 !== s.sha256) {
    warnings.push(
      `The manifest was made from a different file (sha256 ${manifest.dataset.sha256.slice(0, 12)}…, this file ${s.sha256.slice(0, 12)}…): its lines may not mean the same samples.`,
    );
  }
  const sel = scan.selections[0];
  if (sel && sel.matched < sel.requested)
    warnings.push(`${sel.requested - sel.matched} selected line(s) are not the first line of a valid sample in this file.`);

  const perCapability: CapabilityQuality[] = scan.perCapability.map((c) => {
    const selSection = c.selections[0];
    const out: CapabilityQuality = { id: c.id, name: names[c.id] ?? c.id };
    if (c.pool) out.pool = c.pool;
    if (selSection) out.selection = selSection;
    if (c.pool && selSection) out.deltas = headlineDeltas(selSection.headline, c.pool.headline);
    return out;
  });

  const report: QualityReport = {
    schema: QUALITY_REPORT_SCHEMA,
    dataset: reportDataset(s),
    ...(selection && sel
      ? { selectionSource: { kind: selection.kind, name: selection.name, requested: sel.requested, matched: sel.matched } }
      : {}),
    ...(capabilitySource && perCapability.length > 0 ? { capabilitySource } : {}),
    pool: scan.pool,
    ...(sel ? { selection: sel.section, deltas: headlineDeltas(sel.section.headline, scan.pool.headline) } : {}),
    ...(perCapability.length > 0 ? { perCapability } : {}),
    ...(manifest?.excluded ? { excluded: manifest.excluded } : {}),
    warnings,
    timingsMs: { total: Math.round(performance.now() - t0) },
  };
  return report;
}
