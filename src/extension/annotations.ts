// Annotated JSONL: a capability tag after each visible line (setting cadc.annotations.lineTags) and a
// hover with the sample's attribution. Both are lookups: in the run's attribution table (sql.js, one
// primary-key read per line) or, for a curation restored from its manifest alone, in the manifest's
// selected samples; each sample's rank within its capability is computed once when a run is attached.
// Decorations cover only the visible ranges plus a margin and are refreshed debounced on scroll.
// They stay in the host (the map's layout and table pages run in the backend): a hover must answer
// at once, and a backend round trip per scroll would add latency and queue behind a running curation.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManifestV1 } from '../core/curriculum/types';
import type { AttributionRow, AttributionTable } from '../core/store/attributionTable';
import { CurationCache } from '../core/store/cache';
import { hoverImage } from '../app/confine';
import { ImageResolver } from '../core/dataset/images';
import { compareSelection, manifestSelection } from '../app/restore';
import type { SelectionDiff } from '../app/restore';
import { cut, escapeMarkdown, rankWithinCapability, recordPreview, tagOf, topPercent } from './annotationText';
import type { LineTags, Rank } from './annotationText';
import type { SampleAttribution } from './sampleText';
import { Disposable, toDisposable } from './util/dispose';

export { escapeMarkdown, tagOf };

const MARGIN = 50;
const MAX_DECORATED = 2000;

/** Where an attached curation's rows come from: the full attribution table, or the manifest's selected samples only. */
export type RowSource = 'table' | 'manifest';

interface Rows {
  at(line: number): AttributionRow | undefined;
  close(): void;
}

interface Annotated {
  rows: Rows;
  source: RowSource;
  sha256: string;
  capabilityNames: Map<string, string>;
  /** Stages that are not capability stages (the alignment stage), by id. */
  alignmentStages: Set<string>;
  /** Rank of each line's influence within its capability (0 = no rank), and the capability's size. */
  rank: Int32Array;
  of: Int32Array;
}

interface TableRow {
  line: number;
  cap: number;
  stage: number;
  value: number;
}

/**
 * Every row's line, capability, stage and influence on its capability, read once; the extension
 * host yields to its event loop every 20,000 rows, so a large table does not stall hovers.
 */
async function readRows(table: AttributionTable): Promise<TableRow[]> {
  const out: TableRow[] = [];
  for (const r of table.scan()) {
    out.push({ line: r.line, cap: r.cap, stage: r.stage, value: r.influence[r.cap] ?? 0 });
    if (out.length % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/** The rows of a manifest: its selected samples only, each with its influence on its own capability. */
/**
 * Markdown for a hover that shows dataset text and manifest names, which are untrusted: no command
 * links, no HTML (callers escape what they append), theme icons allowed.
 */
export function untrustedMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

function manifestRows(m: ManifestV1): Rows {
  const byLine = new Map<number, AttributionRow>();
  for (const s of m.stages)
    for (const x of s.samples)
      byLine.set(x.line, {
        line: x.line,
        id: x.id,
        capability: x.capability,
        influence: { [x.capability]: x.influence },
        selfInfluence: Number.NaN,
        loss: Number.NaN,
        style: '',
        selected: true,
        stage: s.id,
      });
  return { at: (line) => byLine.get(line), close: () => undefined };
}

export class Annotations extends Disposable {
  private readonly byFile = new Map<string, Annotated>();
  private readonly decoration = this._register(
    vscode.window.createTextEditorDecorationType({
      after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  private readonly selectedDecoration: vscode.TextEditorDecorationType;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** A dataset's annotations were attached or removed (its path). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    /** The gutter mark of a selected sample. */
    selectedIcon?: vscode.Uri,
  ) {
    super();
    this.selectedDecoration = this._register(
      vscode.window.createTextEditorDecorationType({
        after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('charts.green'), fontStyle: 'italic', fontWeight: 'bold' },
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        // Selected samples are also marked where long lines cannot hide it: the gutter and the scroll bar.
        ...(selectedIcon ? { gutterIconPath: selectedIcon, gutterIconSize: 'contain' } : {}),
        overviewRulerColor: new vscode.ThemeColor('charts.green'),
        overviewRulerLane: vscode.OverviewRulerLane.Left,
      }),
    );
    const selector: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.{jsonl,json}' }];
    for (const d of [
      vscode.languages.registerHoverProvider(selector, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeConfiguration(
        (e) =>
          (e.affectsConfiguration('cadc.annotations.lineTags') || e.affectsConfiguration('cadc.decorations.enabled')) && this.refreshAll(),
      ),
    ])
      this._register(d);
    this._register(
      toDisposable(() => {
        if (this.timer) clearTimeout(this.timer);
        for (const e of this.byFile.values()) e.rows.close();
        this.byFile.clear();
      }),
    );
  }

  /** Attaches a run's attribution table (from the cache) to a dataset file. */
  async attach(
    dataset: string,
    sha256: string,
    cacheDir: string,
    capabilities: { id: string; name: string }[],
    stages: { id: string; kind?: string }[] = [],
  ): Promise<boolean> {
    const table = await CurationCache.open(cacheDir).openAttributions(sha256);
    if (!table) {
      this.log.warn(`annotations: no attribution table for ${dataset}`);
      return false;
    }
    await this.attachTable(dataset, sha256, table, capabilities, stages);
    return true;
  }

  /**
   * Attaches the cached attribution table of a committed manifest's dataset, when the table holds
   * exactly the manifest's selection (the cache keeps the latest run per dataset, which may be
   * another budget or strategy). Resolves with 'missing' (no table), the difference, or 'attached'.
   */
  async attachManifestRun(dataset: string, cacheDir: string, m: ManifestV1): Promise<'attached' | 'missing' | SelectionDiff> {
    const table = await CurationCache.open(cacheDir).openAttributions(m.dataset.sha256);
    if (!table) return 'missing';
    const rows = await readRows(table);
    const diff = compareSelection(
      manifestSelection(m),
      rows.map((r) => ({ line: r.line, stage: r.stage > 0 ? `s${r.stage}` : null })),
    );
    if (!diff.same) {
      table.close();
      return diff;
    }
    await this.attachTable(dataset, m.dataset.sha256, table, m.capabilities, m.stages, rows);
    return 'attached';
  }

  /** Attaches what a manifest alone says (its selected samples), when no table of its run is available. */
  attachManifest(dataset: string, m: ManifestV1): void {
    const { rank, of } = rankWithinCapability(
      m.stages.flatMap((s) => s.samples.map((x) => ({ line: x.line, cap: Number(x.capability.slice(1)), value: x.influence }))),
    );
    this.set(dataset, {
      rows: manifestRows(m),
      source: 'manifest',
      sha256: m.dataset.sha256,
      capabilityNames: new Map(m.capabilities.map((c) => [c.id, c.name])),
      alignmentStages: new Set(m.stages.filter((s) => s.kind === 'alignment').map((s) => s.id)),
      rank,
      of,
    });
  }

  private async attachTable(
    dataset: string,
    sha256: string,
    table: AttributionTable,
    capabilities: { id: string; name: string }[],
    stages: { id: string; kind?: string }[],
    read?: TableRow[],
  ): Promise<void> {
    const { rank, of } = rankWithinCapability(read ?? (await readRows(table)));
    this.set(dataset, {
      rows: table,
      source: 'table',
      sha256,
      capabilityNames: new Map(capabilities.map((c) => [c.id, c.name])),
      alignmentStages: new Set(stages.filter((s) => s.kind === 'alignment').map((s) => s.id)),
      rank,
      of,
    });
  }

  private set(dataset: string, entry: Annotated): void {
    this.byFile.get(dataset)?.rows.close();
    this.byFile.set(dataset, entry);
    this.refreshAll();
    this.changed.fire(dataset);
  }

  /** Forgets a dataset's annotations (its file changed since its run). */
  detach(dataset: string): void {
    const e = this.byFile.get(dataset);
    if (!e) return;
    e.rows.close();
    this.byFile.delete(dataset);
    this.refreshAll();
    this.changed.fire(dataset);
  }

  /** Forgets every attached table (their files are about to be deleted). */
  clear(): void {
    for (const [file, e] of [...this.byFile]) {
      e.rows.close();
      this.byFile.delete(file);
      this.changed.fire(file);
    }
    this.refreshAll();
  }

  /** Content hash of the run attached to a file (the cache key of its attribution table). */
  shaFor(file: string): string | undefined {
    return this.byFile.get(file)?.sha256;
  }

  /** Where a file's annotations come from, when it has any. */
  sourceFor(file: string): RowSource | undefined {
    return this.byFile.get(file)?.source;
  }

  /** The tag of a line as it is drawn (tests and automation); undefined when the line has none. */
  tagAt(file: string, line: number, mode: LineTags = this.lineTags()): string | undefined {
    const entry = this.byFile.get(file);
    const row = entry?.rows.at(line);
    if (!entry || !row || mode === 'off') return undefined;
    return tagOf(row, entry.capabilityNames.get(row.capability) ?? row.capability, mode, this.rankOf(entry, line));
  }

  private rankOf(entry: Annotated, line: number): Rank | undefined {
    return line < entry.rank.length && entry.rank[line] > 0 ? { rank: entry.rank[line], of: entry.of[line] } : undefined;
  }

  private lineTags(): LineTags {
    const cfg = vscode.workspace.getConfiguration('cadc');
    if (!cfg.get<boolean>('decorations.enabled', true)) return 'off';
    const v = cfg.get<string>('annotations.lineTags', 'short');
    return v === 'off' || v === 'full' ? v : 'short';
  }

  private schedule(editor: vscode.TextEditor): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.decorate(editor), 60);
  }

  private refreshAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.decorate(e);
  }

  private decorate(editor: vscode.TextEditor): void {
    const entry = this.byFile.get(editor.document.uri.fsPath);
    const mode = this.lineTags();
    if (!entry || mode === 'off') {
      editor.setDecorations(this.decoration, []);
      editor.setDecorations(this.selectedDecoration, []);
      return;
    }
    const plain: vscode.DecorationOptions[] = [];
    const chosen: vscode.DecorationOptions[] = [];
    const last = editor.document.lineCount - 1;
    for (const r of editor.visibleRanges) {
      const from = Math.max(0, r.start.line - MARGIN);
      const to = Math.min(last, r.end.line + MARGIN, from + MAX_DECORATED);
      for (let l = from; l <= to; l++) {
        const row = entry.rows.at(l + 1);
        if (!row) continue;
        // At the end of the line: the line's own text does not move.
        const end = editor.document.lineAt(l).range.end;
        (row.selected ? chosen : plain).push({
          range: new vscode.Range(end, end),
          renderOptions: {
            after: {
              contentText: tagOf(row, entry.capabilityNames.get(row.capability) ?? row.capability, mode, this.rankOf(entry, l + 1)),
            },
          },
        });
      }
    }
    editor.setDecorations(this.decoration, plain);
    editor.setDecorations(this.selectedDecoration, chosen);
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const lineText = doc.lineAt(pos.line).text;
    // The image first, so it is in view whatever follows.
    const image = this.imageOf(doc, lineText);
    const md = this.hoverMarkdown(
      doc.uri.fsPath,
      pos.line + 1,
      image?.path
        ? `![image](${vscode.Uri.file(image.path).toString()}|height=96)`
        : image
          ? `*${image.problem}: ${escapeMarkdown(image.raw)}*`
          : undefined,
      recordPreview(lineText),
    );
    return md && new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  /**
   * The hover of a dataset's sample (a JSONL line, or a Parquet pool's row shown in its preview
   * document): `image` is Markdown put first (a file URI, a thumbnail's data URI, or why there is
   * none), then the capability, the selection, the instruction and the answer, the influence table.
   * Undefined when the line has no attribution.
   */
  hoverMarkdown(
    dataset: string,
    line: number,
    image: string | undefined,
    preview: { instruction: string; answer: string },
  ): vscode.MarkdownString | undefined {
    const entry = this.byFile.get(dataset);
    const row = entry?.rows.at(line);
    if (!entry || !row) return undefined;
    const md = untrustedMarkdown();
    const name = (id: string) => escapeMarkdown(entry.capabilityNames.get(id) ?? id);
    if (image) md.appendMarkdown(`${image}\n\n`);
    md.appendMarkdown(`**CADC** — ${name(row.capability)} (${escapeMarkdown(row.capability)})\n\n`);
    const stage = row.stage ? `${escapeMarkdown(row.stage)}${entry.alignmentStages.has(row.stage) ? ' (alignment)' : ''}` : '';
    const own = row.influence[row.capability];
    const r = this.rankOf(entry, line);
    const within = entry.source === 'manifest' ? 'of the selected samples of' : 'of';
    const rankText = r ? ` — rank ${r.rank} of ${r.of}, top ${topPercent(r)}% ${within} ${name(row.capability)}` : '';
    md.appendMarkdown(
      `${row.selected ? `selected, stage ${stage}` : 'not selected'}${row.style ? ` · style ${escapeMarkdown(row.style)}` : ''}\n\n`,
    );
    if (own !== undefined) md.appendMarkdown(`influence ${own.toFixed(4)}${rankText}\n\n`);
    const { instruction, answer } = preview;
    if (instruction) md.appendMarkdown(`**Q** ${escapeMarkdown(cut(instruction))}\n\n`);
    if (answer) md.appendMarkdown(`**A** ${escapeMarkdown(cut(answer))}\n\n`);
    if (entry.source === 'table') {
      md.appendMarkdown('| capability | influence |\n|---|---|\n');
      for (const [id, v] of Object.entries(row.influence))
        md.appendMarkdown(
          `| ${id === row.capability ? '**' : ''}${escapeMarkdown(id)} ${name(id)}${id === row.capability ? '**' : ''} | ${v.toFixed(4)} |\n`,
        );
      md.appendMarkdown(`\nloss ${row.loss.toFixed(4)} · self-influence ${row.selfInfluence.toPrecision(4)} · id `);
    } else {
      md.appendMarkdown('*From the manifest alone (influence on the other capabilities needs the attribution table).* id ');
    }
    md.appendText(row.id);
    return md;
  }

  /** A line's attribution as the preview document shows it: capability (id and name), selection, stage, style, influence. */
  attributionAt(dataset: string, line: number): SampleAttribution | undefined {
    const entry = this.byFile.get(dataset);
    const row = entry?.rows.at(line);
    if (!entry || !row) return undefined;
    return {
      capability: row.capability,
      name: entry.capabilityNames.get(row.capability) ?? row.capability,
      selected: row.selected,
      stage: row.stage,
      style: row.style,
      influence: row.influence[row.capability],
    };
  }

  /**
   * The line's first image reference and, when the engine's resolver (realpath: a symlink out of the
   * folder does not count) places it inside the workspace folder (or, outside a workspace, the
   * dataset's folder), its file.
   */
  private imageOf(doc: vscode.TextDocument, lineText: string): { raw: string; path?: string; problem?: string } | undefined {
    let rec: unknown;
    try {
      rec = JSON.parse(lineText);
    } catch {
      return undefined;
    }
    const r = rec as { image?: unknown; images?: unknown };
    const raw =
      typeof r.image === 'string' ? r.image : Array.isArray(r.images) && typeof r.images[0] === 'string' ? r.images[0] : undefined;
    if (!raw) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
    const shown = hoverImage(folder, doc.uri.fsPath, raw);
    if (shown) return { raw, path: shown };
    const why = new ImageResolver(path.dirname(doc.uri.fsPath), folder, true).resolve(raw).problem;
    return {
      raw,
      problem:
        why === 'missing'
          ? 'image missing'
          : why === 'remote'
            ? 'image not shown (not a local file)'
            : 'image not shown (outside the workspace)',
    };
  }
}
