// Runs inside the real extension host: the extension activates, registers its commands, and
// CADC: Curate produces a valid manifest for the demo dataset; cancel leaves nothing behind.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    for (const c of [
      'cadc.curate',
      'cadc.cancel',
      'cadc.showCapabilityMap',
      'cadc.writeManifest',
      'cadc.exportCurriculum',
      'cadc.revealSample',
      'cadc.clearCache',
      'cadc.qualityReport',
      'cadc.compareStrategies',
      'cadc.setImageRoot',
    ])
      assert.ok(commands.includes(c), `${c} registered`);
  });

  it('curates the demo dataset into a manifest with ≥ 2 capabilities, their sub-capabilities and stages', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, budget: '10%' })) as
      { manifest: string; samples: number; selected: number; capabilities: unknown[]; stages: unknown[] } | undefined;
    assert.ok(result, 'curate returned a result');
    assert.equal(result.samples, 1054);
    assert.ok(Math.abs(result.selected - 105) <= 1, `selected ${result.selected}`);
    // Since the probe groups use the exact TF-IDF the demo has 2 capabilities on every seed (science
    // multiple choice; open-ended description), each with sub-capabilities (README, capabilities).
    assert.ok(result.capabilities.length >= 2);
    assert.ok(result.stages.length >= 2);
    const manifest = JSON.parse(readFileSync(path.join(root(), 'curation', 'demo.cadc.json'), 'utf8'));
    assert.ok(
      manifest.capabilities.every((c: { children?: unknown[] }) => (c.children?.length ?? 0) >= 2),
      'every capability has sub-capabilities',
    );
    assert.equal(manifest.schema, 'cadc.manifest/v1');
    assert.equal(manifest.dataset.path, '../demo.jsonl');
    const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
    assert.equal(new Set(lines).size, lines.length, 'no line selected twice');
  });

  it('bad lines appear in the Problems panel with their line numbers', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const diags = vscode.languages.getDiagnostics(dataset);
    // demo.jsonl line 7 is the Vision-Flan row whose image is missing upstream; lines 1020–1054 are
    // llava-eval-pool rows whose images were never on disk.
    const missing = diags.filter((d) => d.code === 'missing-image');
    assert.deepEqual(
      missing.map((d) => d.range.start.line + 1),
      [7, ...Array.from({ length: 35 }, (_, i) => 1020 + i)],
    );
    assert.match(missing[0].message, /^Image not found: "images\/WIT\+detailed_description_48_Emperor_Alexander_I\.jpg"$/);
    // One summary at the first (line 7); all 36 listed per line, so none "not listed".
    const summary = diags.find((d) => d.code === 'missing-image (summary)');
    assert.ok(summary, 'a summary diagnostic for the missing images');
    assert.equal(summary.range.start.line, 6);
    assert.match(
      summary.message,
      /^36 of 654 image paths do not resolve to a readable image \(left out of the selection\)\. Likely cause: .*--include-flagged\)\.$/,
    );
    assert.equal(diags.length, 37, 'no other problem in the demo');
  });

  it('Set Image Root stores a folder inside the workspace folder, relative to it, at folder scope; a folder outside is refused', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const cfg = () => vscode.workspace.getConfiguration('cadc', dataset);
    try {
      assert.equal(
        await vscode.commands.executeCommand('cadc.setImageRoot', dataset, vscode.Uri.file(path.join(root(), 'images'))),
        'images',
      );
      assert.equal(cfg().get('dataset.imageRoot'), 'images');
      assert.equal(cfg().inspect('dataset.imageRoot')?.workspaceFolderValue, 'images', 'stored for the workspace folder');
      assert.equal(await vscode.commands.executeCommand('cadc.setImageRoot', dataset, vscode.Uri.file(root())), '.');
      assert.equal(cfg().get('dataset.imageRoot'), '.');
      assert.equal(await vscode.commands.executeCommand('cadc.setImageRoot', dataset, vscode.Uri.file(path.dirname(root()))), undefined);
      assert.equal(cfg().get('dataset.imageRoot'), '.', 'a folder outside the workspace folder is refused, the setting unchanged');
    } finally {
      await cfg().update('dataset.imageRoot', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    }
    assert.equal(cfg().get('dataset.imageRoot'), '');
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

describe('CADC annotations', () => {
  const hostile = '<img src=x onerror=alert(1)> </script><script>alert(2)</script> **bold** [link](command:workbench.action.quit)';

  it('hover on a curated line shows its full attribution, with dataset text escaped', async () => {
    const file = path.join(root(), 'hostile.jsonl');
    const demo = readFileSync(path.join(root(), 'demo.jsonl'), 'utf8').trim().split('\n').slice(0, 300);
    const bad = JSON.stringify({
      id: hostile,
      conversations: [
        { from: 'human', value: hostile },
        { from: 'gpt', value: hostile },
      ],
    });
    writeFileSync(file, [bad, ...demo].join('\n') + '\n');
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const result = (await vscode.commands.executeCommand('cadc.curate', uri, { noPrompt: true, force: true, budget: '20%' })) as
      { capabilities: { id: string }[] } | undefined;
    assert.ok(result, 'curated');
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, new vscode.Position(0, 5))) as vscode.Hover[];
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
      .join('\n');
    assert.match(text, /\*\*CADC\*\* — .+ \(c\d+\)/, 'the capability by name, then its id');
    for (const c of result.capabilities) assert.ok(text.includes(c.id), `influence on ${c.id} listed`);
    assert.match(text, /loss \d+\.\d+ · self-influence/);
    assert.ok(!text.includes('<img src=x'), 'raw HTML from the dataset never reaches the hover unescaped');
    assert.ok(!text.includes('](command:'), 'no live command link from the dataset');
    const md = hovers.flatMap((h) => h.contents).find((c) => c instanceof vscode.MarkdownString) as vscode.MarkdownString;
    assert.ok(!md.isTrusted, 'hover markdown is not trusted');
    assert.ok(!md.supportHtml, 'hover markdown renders no HTML');
  });
});

describe('CADC manifests into git', () => {
  it('writes per-stage subsets, stages them with the manifest and pre-fills the commit message', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, budget: '10%' })) as {
      selected: number;
      stages: { id: string; size: number }[];
    };
    const out = (await vscode.commands.executeCommand('cadc.writeManifest', undefined, { stageSubsets: true, confirm: false })) as {
      written: string[];
      staged: boolean;
    };
    assert.equal(out.written.length, 1 + result.stages.length);
    const demoLines = new Set(readFileSync(dataset.fsPath, 'utf8').split('\n'));
    let total = 0;
    for (const s of result.stages) {
      const lines = readFileSync(path.join(root(), 'curation', `demo.${s.id}.jsonl`), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, s.size);
      assert.ok(
        lines.every((l) => demoLines.has(l)),
        'subset lines are byte-exact dataset lines',
      );
      total += lines.length;
    }
    assert.equal(total, result.selected);
    assert.equal(out.staged, true);
    const { execFileSync } = await import('node:child_process');
    const staged = execFileSync('git', ['diff', '--cached', '--name-only'], { cwd: root(), encoding: 'utf8' }).trim().split('\n');
    assert.ok(staged.includes('curation/demo.cadc.json'), `staged: ${staged.join(', ')}`);
    assert.ok(staged.includes('curation/demo.s1.jsonl'));
  });

  it('exports the last curation for LLaMA-Factory: a file per stage and dataset_info.json in stage order', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, budget: '10%' })) as {
      selected: number;
      stages: { id: string; size: number }[];
    };
    const opts = { format: 'llama-factory', out: 'curation/demo.llama-factory', confirm: false };
    const out = (await vscode.commands.executeCommand('cadc.exportCurriculum', undefined, opts)) as {
      out: string;
      stages: { id: string; samples: number; file: string }[];
    };
    assert.ok(out, 'export returned a result');
    assert.deepEqual(
      out.stages.map((s) => [s.id, s.samples]),
      result.stages.map((s) => [s.id, s.size]),
    );
    const info = JSON.parse(readFileSync(path.join(out.out, 'dataset_info.json'), 'utf8')) as Record<string, { file_name: string }>;
    assert.deepEqual(
      Object.values(info).map((e) => e.file_name),
      out.stages.map((s) => s.file),
    );
    const first = JSON.parse(readFileSync(path.join(out.out, out.stages[0].file), 'utf8')) as { messages: unknown[] }[];
    assert.equal(first.length, out.stages[0].samples);
    assert.ok(existsSync(path.join(out.out, 'README.md')));
    // Again, with confirm: false the existing files are replaced (the UI asks first).
    const again = await vscode.commands.executeCommand('cadc.exportCurriculum', undefined, opts);
    assert.ok(again, 'a second export over the first one, confirmed');
  });
});

describe('CADC backend process', () => {
  it('reports a failed job and stays usable for the next one', async () => {
    const bad = path.join(root(), 'tiny.jsonl');
    writeFileSync(
      bad,
      JSON.stringify({
        id: 'only',
        conversations: [
          { from: 'human', value: 'q' },
          { from: 'gpt', value: 'a' },
        ],
      }) + '\n',
    );
    const failed = await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(bad), { noPrompt: true, force: true });
    assert.equal(failed, undefined, 'a one-sample dataset cannot be curated');
    const ok = (await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'demo.jsonl')), {
      noPrompt: true,
      force: true,
    })) as { samples: number } | undefined;
    assert.equal(ok?.samples, 1054, 'the same backend runs the next job');
  });
});

describe('CADC strategies in the extension', () => {
  it('curating with mmSSR and no scores says CADC stands in, in the result and in the manifest', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, {
      noPrompt: true,
      force: true,
      budget: '10%',
      strategy: 'mmssr',
    })) as { selected: number; notes: string[]; manifest: string } | undefined;
    assert.ok(result, 'curated');
    assert.ok(Math.abs(result.selected - 105) <= 1, `selected ${result.selected}`);
    assert.ok(
      result.notes.some((n) => /stand in/i.test(n)),
      `notes: ${result.notes.join(' | ')}`,
    );
    const manifest = JSON.parse(readFileSync(result.manifest, 'utf8'));
    assert.equal(manifest.config.strategy, 'mmssr');
    assert.deepEqual(manifest.notes, result.notes);
  });
});

describe('CADC quality report and compare', () => {
  it('reports the quality of the demo pool and of its selection, per capability over the whole pool', async () => {
    const dataset = vscode.Uri.file(path.join(root(), 'demo.jsonl'));
    const result = (await vscode.commands.executeCommand('cadc.curate', dataset, { noPrompt: true, force: true, budget: '10%' })) as {
      selected: number;
      samples: number;
      capabilities: { id: string; size: number }[];
    };
    const report = (await vscode.commands.executeCommand('cadc.qualityReport')) as
      | {
          pool: { samples: number; correctness: { imageMissing: { count: number } } };
          selection?: { samples: number };
          perCapability?: { id: string; pool?: { samples: number } }[];
          capabilitySource?: string;
        }
      | undefined;
    assert.ok(report, 'a report came back');
    assert.equal(report.pool.samples, result.samples);
    assert.equal(report.selection?.samples, result.selected);
    // demo.jsonl: 36 images missing (line 7 upstream, 35 llava-eval-pool rows never on disk; also Problems entries).
    assert.equal(report.pool.correctness.imageMissing.count, 36);
    assert.equal(report.capabilitySource, 'run');
    assert.deepEqual(
      report.perCapability?.map((c) => [c.id, c.pool?.samples]),
      result.capabilities.map((c) => [c.id, c.size]),
      'per-capability pool sizes match the run',
    );
  });

  it('compares strategies at the run’s budget without touching the manifest', async () => {
    const manifestFile = path.join(root(), 'curation', 'demo.cadc.json');
    const before = readFileSync(manifestFile, 'utf8');
    const cmp = (await vscode.commands.executeCommand('cadc.compareStrategies', ['cadc', 'random'])) as
      | {
          strategies: { strategy: string; selected: number; composition: { capabilities: { share: number }[] } }[];
          overlap: number[][];
          budget: { count: number };
        }
      | undefined;
    assert.ok(cmp, 'a comparison came back');
    assert.deepEqual(
      cmp.strategies.map((s) => s.strategy),
      ['cadc', 'random'],
    );
    for (const s of cmp.strategies) {
      assert.equal(s.selected, cmp.budget.count);
      const total = s.composition.capabilities.reduce((a, c) => a + c.share, 0);
      assert.ok(Math.abs(total - 1) < 1e-6, `capability shares of ${s.strategy} sum to 1 (${total})`);
    }
    assert.equal(cmp.overlap[0][0], 1);
    assert.equal(cmp.overlap[0][1], cmp.overlap[1][0]);
    assert.ok(cmp.overlap[0][1] < 1, 'cadc and random differ');
    assert.equal(readFileSync(manifestFile, 'utf8'), before, 'compare leaves the manifest alone');
  });
});
