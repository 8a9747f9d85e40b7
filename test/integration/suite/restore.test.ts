// Committed curations reopen, in the real extension host. A fresh clone: a manifest written by the
// CLI without a cache (the extension's cache has never seen the dataset) is found by the watcher;
// opening its dataset re-runs the engine with the manifest's config and seed in the backend, checks
// the selection and restores tags, hovers and the map. Then the two ways it must not silently show
// other data: a manifest edited by hand (the re-run differs: said, and only the manifest's own
// selection shown) and a dataset changed since its manifest (stale, with Re-curate).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hoverText, until } from './helpers';

interface RestoreStatus {
  manifest: string;
  dataset?: string;
  state: string;
  source?: string;
  detail?: string;
}
interface Api {
  isRunning(): boolean;
  restoreStatuses(): RestoreStatus[];
  restore(uri: vscode.Uri): Promise<RestoreStatus | undefined>;
  lineTag(file: string, line: number): string | undefined;
  currentRun(): { manifest?: string; dataset?: string; map: boolean };
  capabilityMapMessage(m: unknown): Promise<boolean | undefined>;
}

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const ext = () => vscode.extensions.getExtension('cadc-team.cadc')!;
const api = () => ext().exports as Api;

const wait = <T>(what: string, get: () => T | Promise<T>) =>
  until(what, get, {
    ms: 100_000,
    every: 100,
    detail: () => `restores: ${JSON.stringify(api().restoreStatuses())}; running: ${api().isRunning()}`,
  });
/** The hover on a 1-based line, inside its text. */
const hoverAt = (uri: vscode.Uri, line: number) => hoverText(uri, new vscode.Position(line - 1, 3));

describe('CADC restores committed curations', () => {
  const folder = () => path.join(root(), 'vf');
  const dataset = () => path.join(folder(), 'vf.jsonl');
  const manifestFile = () => path.join(folder(), 'curation', 'vf.cadc.json');
  type Manifest = {
    dataset: { sha256: string };
    budget: { requestedCount: number };
    capabilities: { id: string; name: string }[];
    stages: { id: string; samples: { line: number; capability: string }[] }[];
  };
  let manifest: Manifest;

  before(async () => {
    await ext().activate();
    // A clone with a committed manifest: the dataset, its images, and the CLI's manifest (no cache anywhere).
    const fixture = path.join(ext().extensionPath, 'test', 'fixtures', 'vision-flan-205');
    mkdirSync(folder(), { recursive: true });
    cpSync(path.join(fixture, 'vision-flan-205.jsonl'), dataset());
    cpSync(path.join(fixture, 'images'), path.join(folder(), 'images'), { recursive: true });
    execFileSync(
      process.execPath,
      [
        path.join(ext().extensionPath, 'dist', 'cli.js'),
        'curate',
        dataset(),
        '--out',
        path.join(folder(), 'curation'),
        '--no-cache',
        '--budget',
        '20%',
        '--quiet',
      ],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
    );
    manifest = JSON.parse(readFileSync(manifestFile(), 'utf8')) as Manifest;
  });

  it('finds the new manifest, and opening its dataset restores it by a checked re-run: tags, hovers, status and map', async () => {
    // The watcher usually indexes it at once; opening the dataset looks for it anyway (watchers drop events in bursts).
    const uri = vscode.Uri.file(dataset());
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const status = await wait('the restore', () =>
      api()
        .restoreStatuses()
        .find((s) => s.manifest === manifestFile() && s.state !== 'indexed' && s.state !== 'checking'),
    );
    assert.equal(status.state, 'restored', status.detail);
    assert.equal(status.source, 'rerun', 'no cache held it: the engine re-ran with the manifest’s config and seed');
    assert.equal(status.dataset, dataset());
    const first = manifest.stages[0].samples[0];
    const name = manifest.capabilities.find((c) => c.id === first.capability)!.name;
    assert.equal(api().lineTag(dataset(), first.line), `${name.length > 28 ? `${name.slice(0, 27)}…` : name} ✓ s1`);
    const text = await hoverAt(uri, first.line);
    assert.match(text, /\*\*CADC\*\* — /);
    assert.match(text, /rank \d+ of \d+, top \d+% of /, 'influence as a rank within the capability');
    assert.match(text, /selected, stage s1/);
    assert.match(text, /\*\*Q\*\* /, 'the instruction preview');
    assert.ok(text.indexOf('![image](') >= 0 && text.indexOf('![image](') < text.indexOf('**CADC**'), 'the image comes first');
    for (const c of manifest.capabilities) assert.ok(text.includes(c.id), `influence on ${c.id} listed`);
    assert.deepEqual(api().currentRun(), { manifest: manifestFile(), dataset: dataset(), map: true });
    await vscode.commands.executeCommand('cadc.showCapabilityMap');
    assert.equal(await api().capabilityMapMessage({ type: 'ready' }), true, 'the map opens on the restored run');
    assert.equal(
      await api().capabilityMapMessage({
        type: 'getSamples',
        requestId: 1,
        offset: 0,
        limit: 5,
        filter: {},
        sort: { key: 'line', dir: 'asc' },
      }),
      true,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the second time, the cache has the run: restored without re-running', async () => {
    const again = await api().restore(vscode.Uri.file(manifestFile()));
    assert.equal(again?.state, 'restored');
    assert.equal(again?.source, 'cache');
    // Compare re-uses the restored run's parameters (no curation in this window).
    const cmp = (await vscode.commands.executeCommand('cadc.compareStrategies', ['cadc', 'random'])) as
      { strategies: { strategy: string; selected: number }[]; budget: { count: number } } | undefined;
    assert.deepEqual(
      cmp?.strategies.map((s) => s.strategy),
      ['cadc', 'random'],
    );
    assert.equal(cmp?.budget.count, manifest.budget.requestedCount, 'at the manifest’s budget');
  });

  it('a manifest edited by hand is told apart: the re-run differs, and only the manifest’s own selection is shown', async () => {
    const edited = structuredClone(manifest);
    const selected = new Set(edited.stages.flatMap((s) => s.samples.map((x) => x.line)));
    const other = Array.from({ length: 205 }, (_, i) => i + 1).find((l) => !selected.has(l))!;
    const moved = edited.stages[0].samples[0];
    moved.line = other;
    writeFileSync(manifestFile(), JSON.stringify(edited));
    const s = await api().restore(vscode.Uri.file(manifestFile()));
    assert.equal(s?.state, 'mismatch', s?.detail);
    assert.match(
      s?.detail ?? '',
      /selected other samples: 1 selected sample\(s\) of the manifest not selected, 1 other sample\(s\) selected/,
    );
    assert.ok(api().lineTag(dataset(), other)?.endsWith('✓ s1'), 'the manifest’s line is tagged');
    assert.match(await hoverAt(vscode.Uri.file(dataset()), other), /From the manifest alone/);
    assert.equal(api().currentRun().map, false, 'no map of another selection');
  });

  it('a dataset changed since its manifest is stale: nothing of the old run is shown, Re-curate is offered', async () => {
    writeFileSync(manifestFile(), JSON.stringify(manifest));
    appendFileSync(dataset(), readFileSync(dataset(), 'utf8').split('\n')[0] + '\n');
    const s = await api().restore(vscode.Uri.file(dataset()));
    assert.equal(s?.state, 'stale', s?.detail);
    assert.match(s?.detail ?? '', /vf\.jsonl changed since vf\/curation\/vf\.cadc\.json/);
    assert.equal(api().lineTag(dataset(), manifest.stages[0].samples[0].line), undefined, 'no tags from the old run');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(dataset()));
    const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri)) as vscode.CodeLens[];
    const lens = lenses.find((l) => l.command?.command === 'cadc.curate');
    assert.ok(lens, 'a Re-curate lens on the dataset');
    assert.match(lens.command!.title, /changed since .* — Re-curate/);
  });
});
