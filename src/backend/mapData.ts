// The Capability Map's data, computed in the backend process so the extension host only forwards:
// the run's overview (manifest figures), the sample map (a UMAP of the trajectories of a stratified
// subsample, cached: layoutCache.ts) and the sample table's pages (sql.js, filtered and sorted in SQL;
// instruction previews read from disk through a sparse line index), and one sample at a time for the
// editor (src/app/samplePreview.ts: turns, labels, a thumbnail). One run's table stays open, with its
// layout, until another is asked for.
import { capabilityNumber } from '../core/capabilities/ids';
import { WEAK_RELIABILITY } from '../core/capabilities/graph';
import { seedReliability } from '../core/capabilities/ensemble';
import { labelDistinguishes } from '../core/influence/attribute';
import { readFile } from 'node:fs/promises';
import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { budgetText } from '../core/config';
import type { BudgetUnit } from '../core/config';
import type { Logger } from '../core/runtime/log';
import { openCurationCache } from '../core/store/cache';
import type { AttributionTable } from '../core/store/attributionTable';
import type {
  MapCapability,
  MapGradientSource,
  MapLayout,
  MapOverview,
  MapProblem,
  MapSamplePage,
  MapStage,
} from '../protocol/capabilityMap';
import { ProtocolError } from '../protocol/guards';
import {
  checkMapLayoutParams,
  checkMapRun,
  checkMapSamplesParams,
  mapLayoutProgress,
  mapLayoutRequest,
  mapOverviewRequest,
  mapReleaseNotification,
  mapSamplesRequest,
} from '../protocol/mapData';
import type { MapRun, SampleQuery } from '../protocol/mapData';
import { samplePreview } from '../app/samplePreview';
import { isParquetDataset, readParquetRecords } from '../core/dataset/parquet';
import { checkSampleParams, sampleRequest } from '../protocol/sample';
import { sampleLayout } from './layoutCache';
import { LineSource } from './lines';
import type { LayoutRow } from './layoutCache';

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
/** Characters of an instruction preview sent with each point of the sample map (the tooltip's text). */
const POINT_PREVIEW = 120;
/** Bytes of Parquet chunks (text columns) read for one request's previews. */
const PARQUET_PREVIEW_BYTES = 64 * 1024 * 1024;

interface ManifestLike {
  dataset: { path: string; samples: number; invalid: number; sha256: string };
  config: { strategy: string; budget: number; budgetUnit?: BudgetUnit; seed?: number };
  budget: MapOverview['budget'];
  notes?: string[];
  proxy: { checkpoints: MapOverview['checkpoints'] };
  capabilities: Omit<MapCapability, 'color'>[];
  problems?: MapProblem[];
  /** The manifest's gradient source (cadc.manifest/v1 `gradients`), turned into the map's. */
  gradients?: { model?: string; checkpoints?: unknown[]; layers?: string[]; dims?: number };
  /** Split-half reliability of the capability graph and its proxies (cadc.manifest/v1 `probe`, optional). */
  probe?: { reliability?: number; proxies?: number; proxyAgreement?: number };
  /** Flagged samples the selection left out (cadc.manifest/v1 `excluded`). */
  excluded?: { total: number; reasons: { code: string; count: number }[] };
  stages: {
    id: string;
    name: string;
    kind?: MapStage['kind'];
    alignment?: MapStage['alignment'];
    capabilities: string[];
    samples: unknown[];
  }[];
}

/** The first instruction of a record, flattened for one table cell (untrusted: shown as text). */
export function previewOfRecord(rec: unknown): string {
  const r = (typeof rec === 'object' && rec !== null ? rec : {}) as {
    conversations?: { value?: unknown }[];
    messages?: { content?: unknown }[];
    instruction?: unknown;
    texts?: { user?: unknown }[];
  };
  const first = r.conversations?.[0]?.value ?? r.messages?.[0]?.content ?? r.instruction ?? r.texts?.[0]?.user;
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
}

/** The first instruction of a JSONL record, flattened for one table cell (untrusted: shown as text). */
export function previewOf(lineText: string): string {
  try {
    return previewOfRecord(JSON.parse(lineText));
  } catch {
    return '';
  }
}

interface OpenRun {
  key: string;
  table: AttributionTable;
  /** The sample map depends only on the run: computed (or read from the cache) once, reused after a rename. */
  layout?: Promise<MapLayout>;
}

export class MapData {
  private open: OpenRun | undefined;

  constructor(
    private readonly log?: Logger,
    /** The dataset's lines (previews); shared with the sample request. */
    readonly lines = new LineSource(),
  ) {}

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
    await this.runOf(run);
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
      // Cards show only the label values that tell a capability apart (no codes, no values as common here as in the pool).
      capabilities: m.capabilities.map((c, k) => ({
        ...c,
        labels: c.labels.filter((l) => labelDistinguishes(l)),
        color: PALETTE[k % PALETTE.length],
      })),
      ...problemsOf(m),
      gradients: gradientSource(m),
      ...reliabilityOf(m),
      stages: m.stages.map((s) => ({
        id: s.id,
        name: s.name,
        kind: s.kind ?? 'capability',
        ...(s.alignment ? { alignment: s.alignment } : {}),
        capabilities: s.capabilities,
        size: s.samples.length,
      })),
    };
  }

  /**
   * The sample map of a run: a UMAP of the trajectories of a stratified subsample (≤ 5,000 points,
   * selected samples first), read from the cache or computed (with progress), and each point's line,
   * capability, selection and instruction preview.
   */
  async layout(run: MapRun, onProgress?: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<MapLayout> {
    const open = await this.runOf(run);
    if (!open.layout) {
      const p = this.computeLayout(open, run, onProgress, signal);
      open.layout = p;
      // A failed or cancelled layout is not kept: the next request tries again.
      p.catch(() => {
        if (open.layout === p) open.layout = undefined;
      });
    }
    return open.layout;
  }

  private async computeLayout(
    open: OpenRun,
    run: MapRun,
    onProgress?: (fraction: number, message: string) => void,
    signal?: AbortSignal,
  ): Promise<MapLayout> {
    const m = JSON.parse(await readFile(run.manifest, 'utf8')) as ManifestLike;
    const rows: LayoutRow[] = [...open.table.scan()];
    const l = await sampleLayout({
      cacheDir: run.cacheDir,
      sha256: run.sha256,
      checkpoints: m.proxy.checkpoints,
      seed: typeof m.config.seed === 'number' ? m.config.seed : 42,
      rows,
      signal,
      onProgress,
      log: this.log,
    });
    const lines = Array.from(l.index, (i) => rows[i].line);
    const previews = await this.previews(run.dataset, lines);
    const round = (v: number) => Math.round(v * 1e4) / 1e4;
    this.log?.info(
      `capability map: ${l.method} layout of ${lines.length.toLocaleString()} of ${rows.length.toLocaleString()} samples ${l.cached ? 'read from the cache' : 'computed'} in ${l.ms} ms`,
    );
    return {
      method: l.method,
      total: rows.length,
      xy: Array.from(l.xy, round),
      line: lines,
      capability: Array.from(l.index, (i) => Math.max(0, rows[i].cap)),
      selected: Array.from(l.index, (i) => (rows[i].stage > 0 ? 1 : 0)),
      preview: lines.map((line) => (previews.get(line) ?? '').slice(0, POINT_PREVIEW)),
      dims: l.dims,
      ...(l.projectedTo ? { projectedTo: l.projectedTo } : {}),
      cached: l.cached,
      ms: l.ms,
      ...(l.note ? { note: l.note } : {}),
    };
  }

  async samples(run: MapRun, q: SampleQuery): Promise<MapSamplePage> {
    const open = await this.runOf(run);
    const { total, rows } = open.table.page({ ...q.filter, sort: q.sort.key, dir: q.sort.dir, offset: q.offset, limit: q.limit });
    const previews = await this.previews(
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
        // The sub-capability index, once the attribution rows carry one (a hierarchy of capabilities).
        ...(typeof (r as { sub?: unknown }).sub === 'number' ? { sub: (r as { sub?: number }).sub } : {}),
      })),
    };
  }

  /**
   * Previews of a page's lines, read from disk through a sparse line index (so a dataset of any size,
   * also one VS Code will not open, shows them); JSON-array datasets have no per-line records.
   */
  /**
   * Previews of a page's lines: a JSONL file's read from disk through a sparse line index (so a
   * dataset of any size, also one VS Code will not open, shows them), a Parquet pool's from the
   * rows' row groups (text columns only, at most 64 MiB of chunks per request); JSON arrays have no
   * per-line records.
   */
  private async previews(file: string, lines: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    try {
      if (/\.jsonl$/i.test(file)) for (const [line, text] of await this.lines.read(file, lines, 256 * 1024)) out.set(line, previewOf(text));
      else if (await isParquetDataset(file))
        for (const [line, rec] of await readParquetRecords(file, lines, PARQUET_PREVIEW_BYTES)) out.set(line, previewOfRecord(rec));
    } catch (e) {
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
  connection.onRequest(mapLayoutRequest, (raw: unknown, token) =>
    reply(() => {
      const { source, progressToken } = checkMapLayoutParams(raw);
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return data.layout(
        source,
        (fraction, message) => void connection.sendProgress(mapLayoutProgress, progressToken, { fraction, message }),
        controller.signal,
      );
    }),
  );
  connection.onNotification(mapReleaseNotification, () => data.close());
  // One sample for a hover, the preview document or the map's image: a read too, thumbnails decoded by sharp off the event loop.
  connection.onRequest(sampleRequest, (raw: unknown) =>
    reply(() => samplePreview(checkSampleParams(raw), async (file, line) => (await data.lines.read(file, [line], 1 << 20)).get(line))),
  );
  return data;
}

/** Where the trajectories came from: a gradient job's folder (manifest `gradients`) or the built-in proxy. */
/** The graph's reliability for the map, when the manifest records a valid one. */
function reliabilityOf(m: ManifestLike): Pick<MapOverview, 'reliability'> {
  const r = m.probe?.reliability;
  if (!(typeof r === 'number' && r >= 0 && r <= 1)) return {};
  const R = m.probe?.proxies;
  const agreement = m.probe?.proxyAgreement;
  const several = Number.isInteger(R) && R! >= 2 && typeof agreement === 'number' && agreement >= -1 && agreement <= 1;
  const seed = several ? seedReliability({ reliability: r, proxies: R, proxyAgreement: agreement }) : r;
  return {
    reliability: {
      value: r,
      weak: seed! < WEAK_RELIABILITY,
      ...(several ? { proxies: R!, agreement: agreement!, acrossProxies: Math.round(seed! * 1000) / 1000 } : {}),
    },
  };
}

function gradientSource(m: ManifestLike): MapGradientSource {
  const g = m.gradients;
  if (!g || typeof g !== 'object') return { kind: 'proxy', checkpoints: m.proxy.checkpoints.length };
  return {
    kind: 'gradients',
    ...(typeof g.model === 'string' ? { model: g.model } : {}),
    ...(Array.isArray(g.checkpoints) ? { checkpoints: g.checkpoints.length } : {}),
    ...(Array.isArray(g.layers) ? { layers: g.layers.filter((l): l is string => typeof l === 'string') } : {}),
    ...(typeof g.dims === 'number' ? { dims: g.dims } : {}),
  };
}

/** The header's problems: those a manifest carries, else the flagged samples its selection left out. */
function problemsOf(m: ManifestLike): { problems?: MapProblem[] } {
  if (Array.isArray(m.problems)) return { problems: m.problems };
  const ex = m.excluded;
  if (!ex || !Array.isArray(ex.reasons) || ex.total <= 0) return {};
  return {
    problems: ex.reasons.map((r) => ({
      code: r.code,
      severity: 'warning' as const,
      count: r.count,
      total: m.dataset.samples,
      lines: [],
      message: `${r.count.toLocaleString('en-US')} of ${m.dataset.samples.toLocaleString('en-US')} samples flagged ${r.code} and left out of the selection`,
    })),
  };
}
