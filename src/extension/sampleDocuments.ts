// Samples of a Parquet pool in the editor. A `.parquet` file is binary: there is no line to reveal or
// hover, so a sample opens as a read-only virtual document (`cadc-sample:` URIs, a
// TextDocumentContentProvider) with its turns, labels, attribution and image thumbnail, and hovering
// that document shows the sample's hover with the thumbnail. The samples come from the backend
// (src/app/samplePreview.ts: the row read alone, the image decoded in memory and capped, nothing
// written to disk) and are kept in a bounded LRU, so a second look answers at once. JSONL samples keep
// revealing their line.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isParquetDataset } from '../core/dataset/parquet';
import type { SamplePreview } from '../protocol/sample';
import { escapeMarkdown } from './annotationText';
import { untrustedMarkdown } from './annotations';
import type { Annotations } from './annotations';
import type { BackendClient } from './backendClient';
import { firstExchange, sampleDocumentText } from './sampleText';
import { Disposable } from './util/dispose';
import { Lru } from './util/lru';

export const SAMPLE_SCHEME = 'cadc-sample';

/** The preview document of a sample: `cadc-sample:/<dataset name>/line <n>.md?dataset=…&line=…`. */
export function sampleUri(dataset: string, line: number): vscode.Uri {
  return vscode.Uri.from({
    scheme: SAMPLE_SCHEME,
    path: `/${path.basename(dataset)}/line ${line}.md`,
    query: new URLSearchParams({ dataset, line: String(line) }).toString(),
  });
}

/** The dataset and line a preview URI names, or undefined when it is not one. */
export function parseSampleUri(uri: vscode.Uri): { dataset: string; line: number } | undefined {
  if (uri.scheme !== SAMPLE_SCHEME) return undefined;
  const q = new URLSearchParams(uri.query);
  const dataset = q.get('dataset');
  const line = Number(q.get('line'));
  return dataset && path.isAbsolute(dataset) && Number.isInteger(line) && line >= 1 ? { dataset, line } : undefined;
}

/** Samples kept: at most this many, and at most this many bytes of thumbnails and text. */
const CACHE_ENTRIES = 200;
const CACHE_BYTES = 8 * 1024 * 1024;

export class SampleDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  /** Pending and settled samples; a settled one is stored again with its size as its cost. */
  private readonly cache = new Lru<string, { sample: Promise<SamplePreview>; bytes: number }>(CACHE_ENTRIES, CACHE_BYTES, (e) => e.bytes);
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly backend: BackendClient,
    private readonly annotations: Annotations,
    /** The run's image root for a dataset (its curate parameters), when it has one. */
    private readonly imageRootOf: (dataset: string) => string | undefined,
  ) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(SAMPLE_SCHEME, this));
    this._register(vscode.languages.registerHoverProvider({ scheme: SAMPLE_SCHEME }, { provideHover: (doc, pos) => this.hover(doc, pos) }));
    // A run attached or detached changes what a preview says about the sample (capability, stage).
    this._register(
      annotations.onDidChange((dataset) => {
        for (const doc of vscode.workspace.textDocuments) if (parseSampleUri(doc.uri)?.dataset === dataset) this.changed.fire(doc.uri);
      }),
    );
  }

  /**
   * One sample with its thumbnail, from the cache or the backend (never blocking the host: the
   * backend reads and decodes); refused in an untrusted workspace. Keyed by the attached run's content hash, so a changed pool is read anew.
   */
  sample(dataset: string, line: number): Promise<SamplePreview> {
    // Restricted mode: the engine does not start, and no dataset image is decoded.
    if (!vscode.workspace.isTrusted)
      return Promise.reject(new Error('CADC reads and decodes samples only in a trusted workspace; trust it to see the sample.'));
    const key = `${dataset}\n${line}\n${this.annotations.shaFor(dataset) ?? ''}`;
    const hit = this.cache.get(key);
    if (hit) return hit.sample;
    const confineTo = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dataset))?.uri.fsPath ?? path.dirname(dataset);
    const imageRoot = this.imageRootOf(dataset);
    const p = this.backend.sample({ dataset, line, thumbnail: true, confineTo, ...(imageRoot ? { imageRoot } : {}) });
    const entry = { sample: p, bytes: 0 };
    this.cache.set(key, entry);
    p.then(
      (v) => this.cache.get(key) === entry && this.cache.set(key, { sample: p, bytes: sizeOf(v) }),
      // A failed read is not kept: the next look asks again.
      () => this.cache.get(key) === entry && this.cache.delete(key),
    );
    return p;
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const at = parseSampleUri(uri);
    if (!at) return 'Not a CADC sample.';
    // A `cadc-sample:` link can come from anywhere: only a dataset inside the workspace, or one curated in this window, is read.
    if (!this.allowed(at.dataset)) return `*Not shown: ${escapeMarkdown(at.dataset)} is not a dataset of this workspace.*`;
    try {
      const p = await this.sample(at.dataset, at.line);
      return sampleDocumentText(p, vscode.workspace.asRelativePath(at.dataset), this.annotations.attributionAt(at.dataset, at.line));
    } catch (e) {
      return `# line ${at.line}\n\n*The sample could not be read: ${(e as Error).message.split('\n')[0]}*\n`;
    }
  }

  private allowed(dataset: string): boolean {
    return !!vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dataset)) || this.annotations.shaFor(dataset) !== undefined;
  }

  /** The sample's hover anywhere in its preview document: the thumbnail first, then its attribution. */
  private async hover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const at = parseSampleUri(doc.uri);
    if (!at || !this.allowed(at.dataset)) return undefined;
    const p = await this.sample(at.dataset, at.line).catch(() => undefined);
    if (!p) return undefined;
    const image = p.thumbnail
      ? `![image](${p.thumbnail.dataUri}|height=${Math.min(128, p.thumbnail.height)})`
      : p.images > 0
        ? `*${p.imageProblem ?? 'image not read'}*`
        : undefined;
    let md = this.annotations.hoverMarkdown(at.dataset, at.line, image, firstExchange(p));
    if (!md && image) {
      md = untrustedMarkdown();
      md.appendMarkdown(`${image}\n\n*No curation of this dataset is attached.*`);
    }
    return md && new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  /** Shows a sample: a Parquet pool's in its preview document, a JSONL line in the dataset's editor. */
  async reveal(dataset: string, line: number, column = vscode.ViewColumn.One): Promise<void> {
    // Parquet as the engine reads it (a folder of shards, or a file with Parquet's magic bytes).
    if (await isParquetDataset(dataset).catch(() => false)) {
      const doc = await vscode.workspace.openTextDocument(sampleUri(dataset, line));
      await vscode.window.showTextDocument(doc, { viewColumn: column, preview: true, preserveFocus: false });
      return;
    }
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(dataset), { viewColumn: column, preserveFocus: false });
    const pos = editor.document.validatePosition(new vscode.Position(line - 1, 0));
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  }
}

function sizeOf(p: SamplePreview): number {
  let n = (p.thumbnail?.dataUri.length ?? 0) + 200;
  for (const t of p.turns) n += 2 * t.text.length;
  for (const l of p.labels) n += 2 * (l.field.length + l.value.length);
  return n;
}
