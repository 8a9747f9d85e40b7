// The Capability Map's data, computed in the backend process so the extension host only forwards:
// the run's overview (manifest figures and the PCA layout of every sample's influence vector) and
// the sample table's pages (sql.js, filtered and sorted in SQL; instruction previews read from disk
// through a sparse line index). One run's table stays open, with its layout, until another is asked for.
import { capabilityNumber } from '../core/capabilities/ids';
import { readFile } from 'node:fs/promises';
import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { budgetText } from '../core/config';
import type { BudgetUnit } from '../core/config';
import { buildLineIndex, isStale, readLines } from '../core/dataset/lineIndex';
import type { LineIndex } from '../core/dataset/lineIndex';
import { pca2d } from '../core/pipeline/layout';
import type { Logger } from '../core/runtime/log';
import { openCurationCache } from '../core/store/cache';
import type { AttributionTable } from '../core/store/attributionTable';
import { Rng } from '../core/util/rng';
import type { MapOverview, MapSamplePage, MapStage } from '../protocol/capabilityMap';
import { ProtocolError } from '../protocol/guards';
import { checkMapRun, checkMapSamplesParams, mapOverviewRequest, mapReleaseNotification, mapSamplesRequest } from '../protocol/mapData';
import type { MapRun, SampleQuery } from '../protocol/mapData';

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MAX_POINTS = 200_000;

interface ManifestLike {
  dataset: { path: string; samples: number; invalid: number; sha256: string };
  config: { strategy: string; budget: number; budgetUnit?: BudgetUnit };
  budget: MapOverview['budget'];
  notes?: string[];
  proxy: { checkpoints: MapOverview['checkpoints'] };
  capabilities: Omit<MapOverview['capabilities'][number], 'color'>[];
  stages: {
    id: string;
    name: string;
    kind?: MapStage['kind'];
    alignment?: MapStage['alignment'];
    capabilities: string[];
    samples: unknown[];
  }[];
}

/** The first instruction of a JSONL record, flattened for one table cell (untrusted: shown as text). */
export function previewOf(lineText: string): string {
  try {
    const rec = JSON.parse(lineText) as {
      conversations?: { value?: unknown }[];
      messages?: { content?: unknown }[];
      instruction?: unknown;
      texts?: { user?: unknown }[];
    };
    const first = rec.conversations?.[0]?.value ?? rec.messages?.[0]?.content ?? rec.instruction ?? rec.texts?.[0]?.user;
    const text =
      typeof first === 'string'
        ? first
        : Array.isArray(first)
          ? first.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join(' ')
          : '';
    return text
      .replace(/<image>/g, '')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 160);
  } catch {
    return '';
  }
}

/** The 2-D PCA layout of every sample's influence vector; large pools keep a seeded subsample of points. */
export function layoutPoints(table: AttributionTable, K: number): MapOverview['points'] {
  const rows = [...table.scan()];
  const n = rows.length;
  const x = new Float32Array(n * K);
  rows.forEach((r, i) => x.set(r.influence.subarray(0, K), i * K));
  const xy = pca2d(x, n, K);
  // Large pools: a seeded subsample of points keeps the webview light; the table still pages all.
  const keep = n > MAX_POINTS ? Array.from(new Rng(1).sample(n, MAX_POINTS)).sort((a, b) => a - b) : rows.map((_, i) => i);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    xy: keep.flatMap((i) => [round(xy[2 * i]), round(xy[2 * i + 1])]),
    capability: keep.map((i) => rows[i].cap),
    selected: keep.map((i) => (rows[i].stage > 0 ? 1 : 0)),
  };
}

interface OpenRun {
  key: string;
  table: AttributionTable;
  /** The layout depends only on the table: computed once per run, reused after a rename. */
  points?: { K: number; points: MapOverview['points'] };
  lineIndex?: Promise<LineIndex>;
}

export class MapData {
  private open: OpenRun | undefined;

  constructor(private readonly log?: Logger) {}

  private async runOf(run: MapRun): Promise<OpenRun> {
    const key = JSON.stringify([run.cacheDir, run.sha256, run.run]);
    if (this.open?.key === key) return this.open;
    this.close();
    const cache = await openCurationCache(run.cacheDir, this.log);
    try {
      const table = await cache.openAttributions(run.sha256);
      if (!table) throw new Error('the run’s attribution table is not in the cache (cleared?); curate again');
      this.open = { key, table };
      return this.open;
    } finally {
      cache.close();
    }
  }

  async overview(run: MapRun): Promise<MapOverview> {
    const m = JSON.parse(await readFile(run.manifest, 'utf8')) as ManifestLike;
    const open = await this.runOf(run);
    const K = m.capabilities.length;
    if (open.points?.K !== K) open.points = { K, points: layoutPoints(open.table, K) };
    return {
      dataset: { name: m.dataset.path, samples: m.dataset.samples, invalid: m.dataset.invalid, sha256: m.dataset.sha256 },
      budget: {
        requested: m.budget.requested,
        requestedCount: m.budget.requestedCount,
        selected: m.budget.selected,
        text: budgetText(m.config.budget, m.config.budgetUnit),
      },
      strategy: m.config.strategy,
      notes: m.notes ?? [],
      checkpoints: m.proxy.checkpoints,
      capabilities: m.capabilities.map((c, k) => ({ ...c, color: PALETTE[k % PALETTE.length] })),
      stages: m.stages.map((s) => ({
        id: s.id,
        name: s.name,
        kind: s.kind ?? 'capability',
        ...(s.alignment ? { alignment: s.alignment } : {}),
        capabilities: s.capabilities,
        size: s.samples.length,
      })),
      points: open.points.points,
    };
  }

  async samples(run: MapRun, q: SampleQuery): Promise<MapSamplePage> {
    const open = await this.runOf(run);
    const { total, rows } = open.table.page({ ...q.filter, sort: q.sort.key, dir: q.sort.dir, offset: q.offset, limit: q.limit });
    const previews = await this.previews(
      open,
      run.dataset,
      rows.map((r) => r.line),
    );
    return {
      offset: q.offset,
      total,
      rows: rows.map((r) => ({
        i: r.line,
        line: r.line,
        id: r.id,
        capability: capabilityNumber(r.capability) - 1,
        style: r.style,
        selected: r.selected,
        stage: r.stage,
        influence: r.influence[r.capability] ?? 0,
        selfInfluence: r.selfInfluence,
        loss: r.loss,
        preview: previews.get(r.line) ?? '',
      })),
    };
  }

  /**
   * Previews of a page's lines, read from disk through a sparse line index (so a dataset of any size,
   * also one VS Code will not open, shows them); JSON-array datasets have no per-line records.
   */
  private async previews(open: OpenRun, file: string, lines: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (!/\.jsonl$/i.test(file)) return out;
    try {
      let index = open.lineIndex && (await open.lineIndex);
      if (!index || index.file !== file || (await isStale(index))) {
        open.lineIndex = buildLineIndex(file);
        index = await open.lineIndex;
      }
      for (const [line, text] of await readLines(index, lines, 256 * 1024)) out.set(line, previewOf(text));
    } catch (e) {
      open.lineIndex = undefined;
      this.log?.warn(`capability map: no previews (${(e as Error).message})`);
    }
    return out;
  }

  close(): void {
    this.open?.table.close();
    this.open = undefined;
  }
}

/**
 * Serves the map's requests on the backend's connection. They are reads, not jobs: they run beside
 * a curation (between its awaits) rather than being refused while one is busy. Parameters are
 * checked before any file is opened; a failure goes back as one ResponseError line.
 */
export function registerMapData(connection: MessageConnection, log: Logger): MapData {
  const data = new MapData(log);
  const reply = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      throw new ResponseError(
        e instanceof ProtocolError ? ErrorCodes.InvalidParams : ErrorCodes.InternalError,
        (e as Error).message.split('\n')[0],
      );
    }
  };
  connection.onRequest(mapOverviewRequest, (raw: unknown) => reply(() => data.overview(checkMapRun(raw))));
  connection.onRequest(mapSamplesRequest, (raw: unknown) =>
    reply(() => {
      const { source, query } = checkMapSamplesParams(raw);
      return data.samples(source, query);
    }),
  );
  connection.onNotification(mapReleaseNotification, () => data.close());
  return data;
}
