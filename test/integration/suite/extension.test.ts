// Runs inside the real extension host: the extension activates, registers its commands, and
// CADC: Curate produces a valid manifest for the demo dataset; cancel leaves nothing behind.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe('CADC extension', () => {
  it('activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension('cadc-team.cadc');
    assert.ok(ext, 'extension cadc-team.cadc is present');
    const api = (await ext.activate()) as { version: string };
    assert.equal(api.version, ext.packageJSON.version);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['cadc.curate', 'cadc.cancel']) assert.ok(commands.includes(c), `${c} registered`);
  });

  it('curates the demo dataset into a manifest with ≥ 2 capabilities and stages', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, budget: '10%' })) as
      | { manifest: string; samples: number; selected: number; capabilities: unknown[]; stages: unknown[] }
      | undefined;
    assert.ok(result, 'curate returned a result');
    assert.equal(result.samples, 1543);
    assert.ok(Math.abs(result.selected - 154) <= 1, `selected ${result.selected}`);
    assert.ok(result.capabilities.length >= 2);
    assert.ok(result.stages.length >= 2);
    const manifest = JSON.parse(readFileSync(path.join(root(), 'curation', 'demo.cadc.json'), 'utf8'));
    assert.equal(manifest.schema, 'cadc.manifest/v1');
    assert.equal(manifest.dataset.path, '../demo.jsonl');
    const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
    assert.equal(new Set(lines).size, lines.length, 'no line selected twice');
  });

  it('bad lines appear in the Problems panel with their line numbers', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const diags = vscode.languages.getDiagnostics(dataset);
    // demo.jsonl line 7 is the Vision-Flan row whose image is missing upstream.
    const missing = diags.find((d) => d.code === 'missing-image');
    assert.ok(missing, 'a missing-image diagnostic');
    assert.equal(missing.range.start.line, 6);
  });

  it('cancel right after start leaves no manifest and no partial file', async () => {
    const out = path.join(root(), 'curation');
    rmSync(out, { recursive: true, force: true });
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const api = vscode.extensions.getExtension('cadc-team.cadc')!.exports as { isRunning(): boolean };
    const pending = vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, noCache: true });
    for (let i = 0; i < 100 && !api.isRunning(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(api.isRunning(), 'curation started');
    await new Promise((r) => setTimeout(r, 400));
    await vscode.commands.executeCommand('cadc.cancel');
    const result = await pending;
    assert.equal(result, undefined);
    const left = existsSync(out) ? readdirSync(out) : [];
    assert.deepEqual(left, [], `nothing written, found ${left.join(', ')}`);
  });
});
