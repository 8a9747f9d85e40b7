// Annotated JSONL: a short capability tag before each visible line and a hover with the full
// attribution. Both are lookups in the run's attribution table (sql.js, one primary-key read per
// line), computed only for the visible ranges plus a margin and refreshed debounced on scroll. They
// stay in the host (the map's layout and table pages run in the backend): a hover must answer at
// once, and a backend round trip per scroll would add latency and queue behind a running curation.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttributionRow } from '../core/store/attributionTable';
import { CurationCache } from '../core/store/cache';
import type { AttributionTable } from '../core/store/attributionTable';
import { hoverImage } from '../app/confine';
import { Disposable, toDisposable } from './util/dispose';

const MARGIN = 50;
const MAX_DECORATED = 2000;

interface Annotated {
  table: AttributionTable;
  sha256: string;
  capabilityNames: Map<string, string>;
  /** Stages that are not capability stages (the alignment stage), by id. */
  alignmentStages: Set<string>;
}

/** Markdown-escapes untrusted dataset text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => `\\${c}`);
}

export function tagOf(row: AttributionRow): string {
  return `${row.capability}${row.selected ? ` ✓ ${row.stage}` : ''}`;
}

export class Annotations extends Disposable {
  private readonly byFile = new Map<string, Annotated>();
  private readonly decoration = this._register(
    vscode.window.createTextEditorDecorationType({
      before: { margin: '0 1em 0 0', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  private readonly selectedDecoration = this._register(
    vscode.window.createTextEditorDecorationType({
      before: { margin: '0 1em 0 0', color: new vscode.ThemeColor('charts.green'), fontStyle: 'italic', fontWeight: 'bold' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    const selector: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.{jsonl,json}' }];
    for (const d of [
      vscode.languages.registerHoverProvider(selector, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('cadc.decorations.enabled') && this.refreshAll()),
    ])
      this._register(d);
    this._register(
      toDisposable(() => {
        if (this.timer) clearTimeout(this.timer);
        for (const e of this.byFile.values()) e.table.close();
        this.byFile.clear();
      }),
    );
  }

  /** Attaches a run's attribution table to a dataset file. */
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
    this.byFile.get(dataset)?.table.close();
    this.byFile.set(dataset, {
      table,
      sha256,
      capabilityNames: new Map(capabilities.map((c) => [c.id, c.name])),
      alignmentStages: new Set(stages.filter((s) => s.kind === 'alignment').map((s) => s.id)),
    });
    this.refreshAll();
    return true;
  }

  /** Forgets every attached table (their files are about to be deleted). */
  clear(): void {
    for (const e of this.byFile.values()) e.table.close();
    this.byFile.clear();
    this.refreshAll();
  }

  /** Content hash of the run attached to a file (the cache key of its attribution table). */
  shaFor(file: string): string | undefined {
    return this.byFile.get(file)?.sha256;
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
    const enabled = vscode.workspace.getConfiguration('cadc').get<boolean>('decorations.enabled', true);
    if (!entry || !enabled) {
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
        const row = entry.table.at(l + 1);
        if (!row) continue;
        const start = new vscode.Position(l, 0);
        (row.selected ? chosen : plain).push({
          range: new vscode.Range(start, start),
          renderOptions: { before: { contentText: tagOf(row) } },
        });
      }
    }
    editor.setDecorations(this.decoration, plain);
    editor.setDecorations(this.selectedDecoration, chosen);
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const entry = this.byFile.get(doc.uri.fsPath);
    const row = entry?.table.at(pos.line + 1);
    if (!entry || !row) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.supportHtml = false;
    const name = (id: string) => escapeMarkdown(entry.capabilityNames.get(id) ?? id);
    md.appendMarkdown(`**CADC** — ${escapeMarkdown(row.capability)} · ${name(row.capability)}\n\n`);
    const stage = row.stage ? `${escapeMarkdown(row.stage)}${entry.alignmentStages.has(row.stage) ? ' (alignment)' : ''}` : '';
    md.appendMarkdown(`${row.selected ? `selected, stage ${stage}` : 'not selected'} · style ${escapeMarkdown(row.style)}\n\n`);
    md.appendMarkdown('| capability | influence |\n|---|---|\n');
    for (const [id, v] of Object.entries(row.influence))
      md.appendMarkdown(
        `| ${id === row.capability ? '**' : ''}${escapeMarkdown(id)} ${name(id)}${id === row.capability ? '**' : ''} | ${v.toFixed(4)} |\n`,
      );
    md.appendMarkdown(`\nloss ${row.loss.toFixed(4)} · self-influence ${row.selfInfluence.toPrecision(4)} · id `);
    md.appendText(row.id);
    const image = this.imageOf(doc, pos.line);
    if (image) md.appendMarkdown(`\n\n![image](${vscode.Uri.file(image).toString()}|width=160)`);
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  /**
   * The line's first image, when the engine's resolver (realpath: a symlink out of the folder does
   * not count) places it inside the workspace folder (or, outside a workspace, the dataset's folder).
   */
  private imageOf(doc: vscode.TextDocument, line: number): string | undefined {
    let rec: unknown;
    try {
      rec = JSON.parse(doc.lineAt(line).text);
    } catch {
      return undefined;
    }
    const r = rec as { image?: unknown; images?: unknown };
    const raw =
      typeof r.image === 'string' ? r.image : Array.isArray(r.images) && typeof r.images[0] === 'string' ? r.images[0] : undefined;
    if (!raw) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
    return hoverImage(folder, doc.uri.fsPath, raw);
  }
}
