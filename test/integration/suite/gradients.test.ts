// Imported gradients in the real extension host: the setting cadc.gradients.directory (relative to the
// workspace folder) makes CADC: Curate use a cadc.gradients/v1 folder's trajectories, and the manifest
// records them. The folder is a synthetic job-shaped one for demo.jsonl (bench/gradientsSynth.ts).
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { indexDataset, writeSyntheticGradients } from '../../../bench/gradientsSynth';
import { readDataset } from '../../../src/core/dataset/reader';

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe('CADC with imported gradients', () => {
  const folder = () => path.join(root(), 'grads-test');
  after(async () => {
    await vscode.workspace.getConfiguration('cadc').update('gradients.directory', undefined, vscode.ConfigurationTarget.Workspace);
    rmSync(folder(), { recursive: true, force: true });
  });

  it('the setting makes Curate use the folder, and the manifest says so', async () => {
    const dataset = path.join(root(), 'demo.jsonl');
    const lines: number[] = [];
    const records: number[] = [];
    const summary = await readDataset(dataset, { checkImages: false }, (s) => {
      lines.push(s.line);
      records.push(s.recordIndex);
    });
    writeSyntheticGradients(folder(), {
      dataset: indexDataset(summary, 'demo.jsonl'),
      lines,
      records,
      lrs: [0.002, 0.001],
      D: 32,
      shardSize: 500,
      seed: 1,
    });
    await vscode.workspace.getConfiguration('cadc').update('gradients.directory', 'grads-test', vscode.ConfigurationTarget.Workspace);
    const result = (await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(dataset), {
      noPrompt: true,
      force: true,
      budget: '10%',
    })) as { manifest: string; samples: number } | undefined;
    assert.ok(result, 'curate returned a result');
    assert.equal(result.samples, lines.length);
    const manifest = JSON.parse(readFileSync(result.manifest, 'utf8'));
    assert.equal(manifest.gradients.index, '../grads-test/index.json');
    assert.equal(manifest.gradients.dims, 32);
    assert.equal(manifest.proxy.warmupSamples, 0);
    assert.deepEqual(
      manifest.gradients.checkpoints.map((c: { eta: number }) => c.eta),
      [0.002, 0.001],
    );
  });
});
