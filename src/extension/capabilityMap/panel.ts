// The Capability Map panel (host side). One panel; strict CSP with a fresh nonce per render; only
// dist/webview is a local resource root; typed messages both ways after a `ready` handshake.
// Data: the run's manifest (capabilities, curves, stages) and its attribution table (per-sample
// rows, paged and filtered in SQL), so the panel works for datasets of any size from disk.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { capabilityNumber, cleanCapabilityName } from '../../core/capabilities/ids';
import { pca2d } from '../../core/pipeline/layout';
import type { AttributionTable } from '../../core/store/attributionTable';
import type { HostToMap, MapOverview, MapSamplePage, MapStage, MapStrategy, MapToHost } from '../../protocol/capabilityMap';
import type { Comparison, QualityReport } from '../../core/report/types';
import { comparisonToMarkdown, reportToMarkdown } from '../../core/report/markdown';
import { Rng } from '../../core/util/rng';
import { stableStringify } from '../../core/util/stableJson';
import { buildLineIndex, isStale, readLines } from '../../core/dataset/lineIndex';
import type { LineIndex } from '../../core/dataset/lineIndex';
import { writeFileAtomic } from '../../core/util/atomicFile';
import { checkMapMessage } from '../../protocol/guards';
import { budgetText } from '../../core/config';
import type { BudgetUnit } from '../../core/config';

export interface MapSource {
  manifestUri: vscode.Uri;
  datasetUri: vscode.Uri;
  table: AttributionTable;
}

/** What the panel asks of the rest of the extension (the backend does the work). */
export interface MapServices {
  /** Re-select at a new budget (a cached re-run). */
  reselect(budget: string): void;
  /** Strategies the Compare view offers. */
  strategies(): MapStrategy[];
  /** Quality report of the pool and of the source's selection. */
  quality(source: MapSource, token: vscode.CancellationToken, progress: (message: string) => void): Promise<QualityReport>;
  /** The strategies compared at the source's budget. */
  compare(source: MapSource, strategies: string[], token: vscode.CancellationToken, progress: (message: string) => void): Promise<Comparison>;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MAX_POINTS = 200_000;

interface ManifestLike {
  dataset: { path: string; samples: number; invalid: number; sha256: string };
  config: { strategy: string; budget: number; budgetUnit?: BudgetUnit };
  budget: MapOverview['budget'];
  notes?: string[];
  proxy: { checkpoints: MapOverview['checkpoints'] };
  capabilities: Omit<MapOverview['capabilities'][number], 'color'>[];
  stages: { id: string; name: string; kind?: MapStage['kind']; alignment?: MapStage['alignment']; capabilities: string[]; samples: unknown[] }[];
}

/** The first instruction of a JSONL record, flattened for one table cell (untrusted: shown as text). */
export function previewOf(lineText: string): string {
  try {
    const rec = JSON.parse(lineText) as { conversations?: { value?: unknown }[]; messages?: { content?: unknown }[]; instruction?: unknown; texts?: { user?: unknown }[] };
    const first = rec.conversations?.[0]?.value ?? rec.messages?.[0]?.content ?? rec.instruction ?? rec.texts?.[0]?.user;
    const text = typeof first === 'string' ? first : Array.isArray(first) ? first.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join(' ') : '';
    return text.replace(/<image>/g, '').replace(/\s+/g, ' ').trim().slice(0, 160);
  } catch {
    return '';
  }
}

export async function buildOverview(source: MapSource): Promise<MapOverview> {
  const m = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(source.manifestUri)).toString('utf8')) as ManifestLike;
  const K = m.capabilities.length;
  const rows = [...source.table.scan()];
  const n = rows.length;
  const x = new Float32Array(n * K);
  rows.forEach((r, i) => x.set(r.influence.subarray(0, K), i * K));
  const xy = pca2d(x, n, K);
  // Large pools: a seeded subsample of points keeps the webview light; the table still pages all.
  const keep = n > MAX_POINTS ? Array.from(new Rng(1).sample(n, MAX_POINTS)).sort((a, b) => a - b) : rows.map((_, i) => i);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    dataset: { name: m.dataset.path, samples: m.dataset.samples, invalid: m.dataset.invalid, sha256: m.dataset.sha256 },
    budget: { requested: m.budget.requested, requestedCount: m.budget.requestedCount, selected: m.budget.selected, text: budgetText(m.config.budget, m.config.budgetUnit) },
    strategy: m.config.strategy,
    notes: m.notes ?? [],
    checkpoints: m.proxy.checkpoints,
    capabilities: m.capabilities.map((c, k) => ({ ...c, color: PALETTE[k % PALETTE.length] })),
    stages: m.stages.map((s) => ({ id: s.id, name: s.name, kind: s.kind ?? 'capability', ...(s.alignment ? { alignment: s.alignment } : {}), capabilities: s.capabilities, size: s.samples.length })),
    points: {
      xy: keep.flatMap((i) => [round(xy[2 * i]), round(xy[2 * i + 1])]),
      capability: keep.map((i) => rows[i].cap),
      selected: keep.map((i) => (rows[i].stage > 0 ? 1 : 0)),
    },
  };
}

/** Renames capabilities (id → new name) in the manifest file itself: one read, one write, same deterministic serialisation. */
export async function renameInManifest(uri: vscode.Uri, names: ReadonlyMap<string, string>): Promise<void> {
  const m = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as { capabilities: { id: string; name: string }[]; stages: { capabilities: string[]; name: string; kind?: string }[] };
  for (const [id, name] of names) {
    const cap = m.capabilities.find((c) => c.id === id);
    if (!cap) throw new Error(`No capability ${id} in the manifest.`);
    const old = cap.name;
    cap.name = name;
    // A stage named after its single capability follows the rename.
    for (const st of m.stages) if (st.kind !== 'alignment' && st.capabilities.length === 1 && st.capabilities[0] === id && st.name === old) st.name = name;
  }
  // Atomic: a crash mid-write leaves the old manifest, never a truncated one (the extension host is Node; files are local).
  writeFileAtomic(uri.fsPath, stableStringify(m));
}

/** A capability's identity across re-selections: its id and the probe groups it is made of. */
export interface NamedCapability {
  id: string;
  name: string;
  groups: string[];
}

export async function readCapabilityNames(uri: vscode.Uri): Promise<NamedCapability[]> {
  const m = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as { capabilities: NamedCapability[] };
  return m.capabilities.map((c) => ({ id: c.id, name: c.name, groups: c.groups }));
}

/**
 * After a re-selection rewrote the manifest, puts back the names the user gave: a capability keeps
 * its name when the new manifest has the same id made of the same probe groups. Returns the ids renamed.
 */
export async function carryCapabilityNames(uri: vscode.Uri, before: NamedCapability[]): Promise<string[]> {
  const after = await readCapabilityNames(uri);
  const renames = new Map<string, string>();
  for (const old of before) {
    const now = after.find((c) => c.id === old.id);
    if (!now || now.name === old.name || now.groups.join('\u0000') !== old.groups.join('\u0000')) continue;
    renames.set(old.id, old.name);
  }
  if (renames.size) await renameInManifest(uri, renames);
  return [...renames.keys()];
}

export class CapabilityMapPanel implements vscode.Disposable {
  static readonly viewType = 'cadc.capabilityMap';
  private static current: CapabilityMapPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private source: MapSource | undefined;
  private lineIndex: Promise<LineIndex> | undefined;
  private job: vscode.CancellationTokenSource | undefined;
  private jobKind: 'quality' | 'compare' | undefined;
  private lastQuality: QualityReport | undefined;
  private lastComparison: Comparison | undefined;

  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, source: MapSource | undefined, services: MapServices): CapabilityMapPanel {
    if (CapabilityMapPanel.current) {
      CapabilityMapPanel.current.panel.reveal();
      CapabilityMapPanel.current.setSource(source);
      return CapabilityMapPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(CapabilityMapPanel.viewType, 'CADC: Capability Map', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    });
    CapabilityMapPanel.current = new CapabilityMapPanel(panel, context, log, services);
    CapabilityMapPanel.current.setSource(source);
    return CapabilityMapPanel.current;
  }

  /** Restores a panel after a window reload (the serializer hands back the webview panel). */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, log: vscode.LogOutputChannel, source: MapSource | undefined, services: MapServices): CapabilityMapPanel {
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] };
    CapabilityMapPanel.current = new CapabilityMapPanel(panel, context, log, services);
    CapabilityMapPanel.current.setSource(source);
    return CapabilityMapPanel.current;
  }

  static get instance(): CapabilityMapPanel | undefined {
    return CapabilityMapPanel.current;
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly services: MapServices,
  ) {
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
    );
  }

  setSource(source: MapSource | undefined): void {
    this.job?.cancel();
    // Results of another run (or of an earlier selection) no longer describe this one.
    if (source?.manifestUri.toString() !== this.source?.manifestUri.toString() || source?.datasetUri.toString() !== this.source?.datasetUri.toString()) this.lastComparison = undefined;
    this.lastQuality = undefined;
    this.source = source;
    this.lineIndex = undefined;
    void this.sendOverview();
  }

  private post(m: HostToMap): void {
    void this.panel.webview.postMessage(m);
  }

  private async sendOverview(): Promise<void> {
    if (!this.source) return;
    try {
      this.post({ type: 'busy', busy: true, message: 'Loading the run…' });
      this.post({ type: 'overview', data: await buildOverview(this.source) });
    } catch (e) {
      this.post({ type: 'error', message: `Could not load the run: ${(e as Error).message}` });
    } finally {
      this.post({ type: 'busy', busy: false });
    }
  }

  /**
   * Previews of a page's lines, read from disk through a sparse line index (so a dataset of any size,
   * also one VS Code will not open, shows them); JSON-array datasets have no per-line records.
   */
  private async previews(lines: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (!this.source || !/\.jsonl$/i.test(this.source.datasetUri.fsPath)) return out;
    try {
      const file = this.source.datasetUri.fsPath;
      let index = this.lineIndex && (await this.lineIndex);
      if (!index || index.file !== file || (await isStale(index))) {
        this.lineIndex = buildLineIndex(file);
        index = await this.lineIndex;
      }
      for (const [line, text] of await readLines(index, lines, 256 * 1024)) out.set(line, previewOf(text));
    } catch (e) {
      this.lineIndex = undefined;
      this.log.warn(`capability map: no previews (${(e as Error).message})`);
    }
    return out;
  }

  /** The quality report of the pool and the current selection, shown in the panel and returned. */
  async runQuality(): Promise<QualityReport | undefined> {
    let result: QualityReport | undefined;
    await this.runJob('quality', 'Reading every sample…', async (token, progress) => {
      result = this.lastQuality = await this.services.quality(this.source!, token, progress);
      this.post({ type: 'quality', report: result });
    });
    return result;
  }

  /** Strategies compared at the run's budget, shown in the panel and returned. */
  async runCompare(strategies: string[]): Promise<Comparison | undefined> {
    let result: Comparison | undefined;
    await this.runJob('compare', `Selecting with ${strategies.join(', ')}…`, async (token, progress) => {
      result = this.lastComparison = await this.services.compare(this.source!, strategies, token, progress);
      this.post({ type: 'comparison', data: result });
    });
    return result;
  }

  /**
   * Handles one message from the webview. Untrusted input: anything that is not a message of the
   * protocol (checked against its schema) is rejected with a log line; a failing handler is logged
   * and reported to the panel, never left as an unhandled rejection. Resolves with whether the
   * message was accepted (tests send hostile messages through here).
   */
  async receive(raw: unknown): Promise<boolean> {
    let m: MapToHost;
    try {
      m = checkMapMessage(raw);
    } catch (e) {
      this.log.warn(`capability map: rejected a message from the webview (${(e as Error).message})`);
      return false;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.log.error(`capability map ${m.type}: ${(e as Error).message}`);
      this.post({ type: 'error', ...(m.type === 'getSamples' ? { requestId: m.requestId } : {}), message: (e as Error).message.split('\n')[0] });
    }
    return true;
  }

  private async handle(m: MapToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.post({ type: 'strategies', items: this.services.strategies() });
        if (this.source) await this.sendOverview();
        // A restored (or freshly opened) view gets the results it would otherwise have missed.
        if (this.source && this.lastQuality) this.post({ type: 'quality', report: this.lastQuality });
        if (this.source && this.lastComparison) this.post({ type: 'comparison', data: this.lastComparison });
        if (this.job) this.post({ type: 'job', job: this.jobKind ?? 'quality', running: true });
        else this.post({ type: 'error', message: 'No curation yet. Run CADC: Curate on a dataset.' });
        return;
      case 'getSamples': {
        if (!this.source) return;
        const { total, rows } = this.source.table.page({ ...m.filter, sort: m.sort.key, dir: m.sort.dir, offset: m.offset, limit: m.limit });
        const previews = await this.previews(rows.map((r) => r.line));
        const page: MapSamplePage = {
          offset: m.offset,
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
        this.post({ type: 'samples', requestId: m.requestId, page });
        return;
      }
      case 'reveal': {
        if (!this.source) return;
        const editor = await vscode.window.showTextDocument(this.source.datasetUri, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
        const pos = editor.document.validatePosition(new vscode.Position(m.line - 1, 0));
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
        return;
      }
      case 'reselect':
        this.services.reselect(m.budget);
        return;
      case 'runQuality':
        await this.runQuality();
        return;
      case 'runCompare':
        await this.runCompare(m.strategies);
        return;
      case 'cancelJob':
        this.job?.cancel();
        return;
      case 'openMarkdown': {
        // An untitled document: nothing is written until the user saves it where they choose.
        const content = m.what === 'quality' ? this.lastQuality && reportToMarkdown(this.lastQuality) : this.lastComparison && comparisonToMarkdown(this.lastComparison);
        if (content) await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content }), vscode.ViewColumn.One);
        return;
      }
      case 'rename': {
        if (!this.source) return;
        const name = cleanCapabilityName(m.name);
        if (!name) return;
        await renameInManifest(this.source.manifestUri, new Map([[m.capability, name]]));
        this.log.info(`capability ${m.capability} renamed to ${JSON.stringify(name)}`);
        await this.sendOverview();
        return;
      }
    }
  }

  /** One long job at a time per panel, cancellable from the panel; errors shown in the panel. */
  private async runJob(job: 'quality' | 'compare', message: string, work: (token: vscode.CancellationToken, progress: (message: string) => void) => Promise<void>): Promise<void> {
    if (!this.source) return void this.post({ type: 'error', message: 'No curation yet. Run CADC: Curate on a dataset.' });
    if (this.job) return void this.post({ type: 'error', message: 'Another job of this panel is running; cancel it first.' });
    const cts = new vscode.CancellationTokenSource();
    this.job = cts;
    this.jobKind = job;
    this.post({ type: 'job', job, running: true, message });
    try {
      await work(cts.token, (msg) => this.post({ type: 'job', job, running: true, message: msg }));
    } catch (e) {
      if (!cts.token.isCancellationRequested) {
        this.log.error(`capability map ${job}: ${(e as Error).message}`);
        this.post({ type: 'error', message: `${job === 'quality' ? 'Quality report' : 'Compare'} failed: ${(e as Error).message.split('\n')[0]}` });
      }
    } finally {
      if (this.job === cts) this.job = undefined;
      cts.dispose();
      this.post({ type: 'job', job, running: false });
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const asset = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview', f)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('capabilityMap.css')}">
<title>CADC: Capability Map</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">Loading…</p></main>
<script nonce="${nonce}" type="module" src="${asset('vscode-elements.js')}"></script>
<script nonce="${nonce}" type="module" src="${asset('capabilityMap.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.job?.cancel();
    if (CapabilityMapPanel.current === this) CapabilityMapPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
