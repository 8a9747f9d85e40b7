// Runs only in the runner's second pass (CADC_TEST_UNTRUSTED=1): the workspace is opened in
// restricted mode, and its .vscode/settings.json sets every restricted CADC setting to a hostile
// value (stage subsets on, manifests to ../cadc-escaped, images from /, scores from /etc/passwd).
// VS Code must ignore those values; CADC must neither curate nor write a manifest; nothing appears
// outside the workspace, nothing is staged.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

if (process.env.CADC_TEST_UNTRUSTED === '1') {
  describe('CADC in an untrusted workspace', () => {
    const curation = () => readdirSync(path.join(root(), 'curation')).sort();
    let before0: string[];

    before(async () => {
      await vscode.extensions.getExtension('cadc-team.cadc')!.activate();
      before0 = curation();
    });

    it('the workspace is open in restricted mode and the extension is active', () => {
      assert.equal(vscode.workspace.isTrusted, false);
      assert.ok(vscode.extensions.getExtension('cadc-team.cadc')!.isActive);
    });

    it('the workspace’s values of the restricted settings are ignored; others still apply', () => {
      const written = JSON.parse(readFileSync(path.join(root(), '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(written['cadc.manifest.writeStageSubsets'], true, 'the workspace does set them');
      const cfg = vscode.workspace.getConfiguration('cadc', vscode.Uri.file(path.join(root(), 'small.jsonl')));
      assert.equal(cfg.get('manifest.writeStageSubsets'), false);
      assert.equal(cfg.get('manifest.folder'), 'curation');
      assert.equal(cfg.get('dataset.imageRoot'), '');
      assert.equal(cfg.get('curation.scoresFile'), '');
      assert.equal(cfg.get('decorations.enabled'), false, 'a setting that is not restricted keeps the workspace’s value');
    });

    it('Set Image Root refuses to change the workspace settings', async () => {
      const settings = path.join(root(), '.vscode', 'settings.json');
      const before = readFileSync(settings, 'utf8');
      const dataset = vscode.Uri.file(path.join(root(), 'small.jsonl'));
      assert.equal(await vscode.commands.executeCommand('cadc.setImageRoot', dataset, vscode.Uri.file(root())), undefined);
      assert.equal(readFileSync(settings, 'utf8'), before);
    });

    it('the committed manifest stays readable: restored from the manifest alone, the engine never started', async () => {
      const api = vscode.extensions.getExtension('cadc-team.cadc')!.exports as {
        isRunning(): boolean;
        backendRunning(): boolean;
        restore(uri: vscode.Uri): Promise<{ state: string; source?: string; detail?: string } | undefined>;
        lineTag(file: string, line: number): string | undefined;
        currentRun(): { manifest?: string; map: boolean };
      };
      const dataset = vscode.Uri.file(path.join(root(), 'small.jsonl'));
      const manifestFile = path.join(root(), 'curation', 'small.cadc.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { stages: { samples: { line: number }[] }[] };
      const s = await api.restore(dataset);
      assert.equal(s?.state, 'manifest-only', s?.detail);
      assert.equal(s?.source, 'manifest');
      assert.match(s?.detail ?? '', /untrusted/);
      assert.equal(api.isRunning(), false, 'no job ran');
      assert.equal(api.backendRunning(), false, 'the engine’s process was never started');
      assert.equal(api.currentRun().manifest, manifestFile);
      assert.equal(api.currentRun().map, false, 'no attribution table: the map says why instead of showing another run');
      const line = manifest.stages[0].samples[0].line;
      // cadc.decorations.enabled is false in this workspace (not a restricted setting): no line tags, hovers still work.
      assert.equal(api.lineTag(dataset.fsPath, line), undefined);
      const hovers = (await vscode.commands.executeCommand(
        'vscode.executeHoverProvider',
        dataset,
        new vscode.Position(line - 1, 3),
      )) as vscode.Hover[];
      const text = hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
        .join('\n');
      assert.match(text, /selected, stage s1/);
      assert.match(text, /From the manifest alone/);
      assert.equal(await vscode.commands.executeCommand('cadc.qualityReport'), undefined, 'no quality report: it would run the engine');
      assert.equal(await vscode.commands.executeCommand('cadc.compareStrategies', ['cadc', 'random']), undefined, 'no comparison either');
      assert.equal(api.backendRunning(), false);
      assert.deepEqual(curation(), before0, 'nothing written');
      // A sample's preview document (how a Parquet pool's samples open) decodes nothing here either.
      const preview = await vscode.workspace.openTextDocument(
        vscode.Uri.from({
          scheme: 'cadc-sample',
          path: '/small.jsonl/line 1.md',
          query: new URLSearchParams({ dataset: dataset.fsPath, line: '1' }).toString(),
        }),
      );
      assert.match(preview.getText(), /only in a trusted workspace/);
      assert.equal(api.backendRunning(), false, 'the preview did not start the engine');
    });

    it('Curate refuses to run', async () => {
      const result = await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'small.jsonl')), {
        noPrompt: true,
        force: true,
      });
      assert.equal(result, undefined);
      assert.deepEqual(curation(), before0, 'no manifest written');
      assert.ok(!existsSync(path.join(root(), '..', 'cadc-escaped')), 'nothing outside the workspace');
    });

    it('Write Curriculum Manifest refuses: no subset written, nothing staged', async () => {
      const manifest = vscode.Uri.file(path.join(root(), 'curation', 'small.cadc.json'));
      assert.ok(existsSync(manifest.fsPath), 'the runner made a real manifest');
      assert.equal(
        await vscode.commands.executeCommand('cadc.writeManifest', manifest, { confirm: false }),
        undefined,
        'refused (subsets from the setting)',
      );
      assert.equal(
        await vscode.commands.executeCommand('cadc.writeManifest', manifest, { stageSubsets: true, confirm: false }),
        undefined,
        'refused (subsets asked for)',
      );
      assert.deepEqual(curation(), before0, 'no subset written');
      const staged = execFileSync('git', ['diff', '--cached', '--name-only'], { cwd: root(), encoding: 'utf8' }).trim();
      assert.equal(staged, '', 'nothing staged');
    });
  });
}
