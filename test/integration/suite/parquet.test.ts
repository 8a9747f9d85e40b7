// Issue 16: a Parquet pool in the real extension host. The fixture's folder of three shards (images
// embedded as bytes, hyparquet-writer) is curated as one dataset from its Explorer Uri; clicking a
// sample in the Capability Map opens its read-only preview document (shard + row, turns, labels,
// attribution and the thumbnail), and hovering that document shows the thumbnail as a data: URI —
// nothing of the dataset is written to the workspace.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hoverText, until } from './helpers';

interface Api {
  currentRun(): { manifest?: string; dataset?: string; map: boolean };
  restore(uri: vscode.Uri): Promise<{ state: string; source?: string; detail?: string } | undefined>;
  capabilityMapMessage(m: unknown): Promise<boolean | undefined>;
}
interface Manifest {
  dataset: { path: string; container: string; samples: number };
  stages: { id: string; samples: { line: number; shard?: string; row?: number; id: string; capability: string }[] }[];
}

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const ext = () => vscode.extensions.getExtension('cadc-team.cadc')!;
const api = () => ext().exports as Api;

const wait = <T>(what: string, get: () => T | Promise<T>) => until(what, get, { ms: 20_000 });
/** The hover at the start of a 0-based line. */
const hoverAt = (uri: vscode.Uri, line: number) => hoverText(uri, new vscode.Position(line, 0));

/** Every file under a folder (relative paths), to show nothing was written beside the pool. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe('CADC Parquet pools in the editor', () => {
  const pool = () => path.join(root(), 'pool');
  let manifest: Manifest;

  before(async () => {
    await ext().activate();
    cpSync(path.join(ext().extensionPath, 'test', 'fixtures', 'parquet', 'shards'), pool(), { recursive: true });
    const result = (await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(pool()), {
      noPrompt: true,
      force: true,
      budget: '25%',
    })) as { manifest: string; dataset: string; samples: number } | undefined;
    assert.ok(result, 'the folder of shards curated');
    assert.equal(result.dataset, pool());
    assert.equal(result.samples, 60);
    manifest = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(result.manifest))).toString('utf8')) as Manifest;
    assert.equal(manifest.dataset.container, 'parquet');
  });

  it('a sample clicked in the map opens its read-only preview: shard and row, turns, attribution and the embedded image', async () => {
    const before = filesUnder(pool());
    await vscode.commands.executeCommand('cadc.showCapabilityMap');
    await wait('the map on the pool', () => api().currentRun().map && api().currentRun().dataset === pool());
    const s = manifest.stages[0].samples[0];
    assert.ok(s.shard && s.row !== undefined, 'the manifest addresses the sample as shard + row');
    assert.equal(await api().capabilityMapMessage({ type: 'reveal', line: s.line }), true);
    const editor = await wait('the preview document', () =>
      vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'cadc-sample' && e.document.getText().includes('## User')),
    );
    const text = editor.document.getText();
    assert.equal(text.split('\n')[0], `# ${s.shard.replace(/[-.]/g, (c) => `\\${c}`)} · row ${s.row}`);
    assert.ok(text.includes(`**${s.capability}** `), 'its capability');
    assert.ok(text.includes('selected, stage s1'), 'its stage');
    assert.match(text, /## Assistant\n\n```text\n/);
    assert.match(text, /embedded: JPEG \d+×\d+, [\d,]+ bytes; thumbnail \d+×\d+/);
    assert.match(text, /!\[image\]\(data:image\/jpeg;base64,[A-Za-z0-9+/]+={0,2}\)\n*$/, 'the thumbnail as a data URI, last');
    // A preview is read-only: VS Code will not save a document of a content provider.
    assert.equal(editor.document.isUntitled, false);
    assert.equal(editor.document.uri.scheme, 'cadc-sample');

    const hover = await hoverAt(editor.document.uri, 2);
    assert.match(hover, /^!\[image\]\(data:image\/jpeg;base64,[A-Za-z0-9+/]+={0,2}\|height=\d+\)/, 'the thumbnail first');
    assert.match(hover, /\*\*CADC\*\* — /);
    assert.match(hover, /selected, stage s1/);
    assert.ok(hover.length < 100_000, 'under the 100,000 characters VS Code renders of a hover');
    // The map's image preview: a getImage message is accepted; nothing was written beside the pool.
    assert.equal(await api().capabilityMapMessage({ type: 'getImage', line: s.line }), true);
    assert.equal(await api().capabilityMapMessage({ type: 'getImage', line: -1 }), false, 'a hostile line is refused');
    assert.deepEqual(filesUnder(pool()), before);
  });

  it('CADC: Reveal Sample opens the preview of any row by its line, also one that was not selected', async () => {
    const selected = new Set(manifest.stages.flatMap((st) => st.samples.map((x) => x.line)));
    const line = [...Array(60).keys()].map((i) => i + 1).find((l) => !selected.has(l))!;
    await vscode.commands.executeCommand('cadc.revealSample', line);
    const editor = await wait('the preview of an unselected row', () =>
      vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.query.includes(`line=${line}`) && e.document.getText().includes('## User'),
      ),
    );
    assert.match(editor.document.getText(), /· not selected/);
    assert.match(await hoverAt(editor.document.uri, 0), /not selected/);
  });

  it('a cadc-sample: link to a dataset outside the workspace is not read', async () => {
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'cadc-outside-')), 'secret.jsonl');
    writeFileSync(
      outside,
      `${JSON.stringify({
        conversations: [
          { from: 'human', value: 'SENTINEL-SECRET' },
          { from: 'gpt', value: 'x' },
        ],
      })}\n`,
    );
    const uri = vscode.Uri.from({
      scheme: 'cadc-sample',
      path: '/secret.jsonl/line 1.md',
      query: new URLSearchParams({ dataset: outside, line: '1' }).toString(),
    });
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /Not shown: .* is not a dataset of this workspace/);
    assert.ok(!doc.getText().includes('SENTINEL-SECRET'));
    assert.equal(await hoverAt(uri, 0), '');
  });

  it('the pool’s committed manifest is restored from the cache, as a JSONL dataset’s is (the folder hashed as the reader does)', async () => {
    const status = await api().restore(vscode.Uri.file(pool()));
    assert.equal(status?.state, 'restored', status?.detail);
    assert.equal(status?.source, 'cache');
    assert.equal(api().currentRun().dataset, pool());
  });
});
