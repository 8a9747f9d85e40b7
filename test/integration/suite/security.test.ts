// The extension side under attack, inside the real extension host: hostile manifests, a hostile
// workspace (its settings), hostile webview messages and hover images behind symlinks. A sentinel
// folder outside the workspace (reachable through symlinks inside it) must keep its files, bytes
// and mtimes, and gain none: nothing is read into, written to or run from outside the workspace.
//
// This pass runs with workspace trust off (the workspace is trusted): even a trusted workspace
// cannot make CADC reach outside its folder. Restricted mode has its own pass and suite
// (untrusted.test.ts, run by runCodeServer.ts with workspace trust on).
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const api = () =>
  vscode.extensions.getExtension('cadc-team.cadc')!.exports as { capabilityMapMessage(m: unknown): Promise<boolean | undefined> };

/** Every entry under `dir` (links not followed): kind, size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = `dir ${st.mtimeMs}`;
        walk(p);
      } else
        out[rel] =
          `${st.isSymbolicLink() ? 'link' : 'file'} ${st.size} ${st.mtimeMs} ${st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : ''}`;
    }
  };
  walk(dir);
  return out;
}

describe('CADC security: the extension never reaches outside the workspace', () => {
  let outside: string;
  let before0: Record<string, string>;
  let manifestFile: string;
  let manifest: {
    dataset: { path: string };
    stages: { id: string; samples: { line: number }[] }[];
    capabilities: { id: string; name: string }[];
  };
  const curationDir = () => path.join(root(), 'curation');
  const unchanged = () => assert.deepEqual(snapshot(outside), before0, 'the sentinel folder outside the workspace is unchanged');
  const hostile = (name: string, edit: (m: typeof manifest) => void, dir = curationDir()) => {
    const m = structuredClone(manifest);
    edit(m);
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(m, null, 2));
    return vscode.Uri.file(file);
  };

  before(async () => {
    const result = (await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'demo.jsonl')), {
      noPrompt: true,
      force: true,
      budget: '10%',
    })) as { manifest: string } | undefined;
    assert.ok(result, 'curated the demo');
    manifestFile = result.manifest;
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    // The sentinel: a dataset, an image, a scores file and a victim file outside the workspace,
    // and symlinks to it from inside.
    outside = mkdtempSync(path.join(tmpdir(), 'cadc-sentinel-'));
    writeFileSync(
      path.join(outside, 'secret.jsonl'),
      readFileSync(path.join(root(), 'demo.jsonl'), 'utf8').split('\n').slice(0, 300).join('\n') + '\n',
    );
    copyFileSync(path.join(root(), 'images', '1.jpg'), path.join(outside, 'secret.png'));
    writeFileSync(path.join(outside, 'scores.jsonl'), '{"line": 1, "scores": {"ocr": 4}}\n');
    writeFileSync(path.join(outside, 'victim.jsonl'), 'victim\n');
    mkdirSync(path.join(outside, 'curation'));
    writeFileSync(path.join(outside, 'curation', 'm.cadc.json'), JSON.stringify(manifest));
    symlinkSync(outside, path.join(root(), 'linked'));
    symlinkSync(path.join(outside, 'curation'), path.join(root(), 'linked-curation'));
    before0 = snapshot(outside);
  });

  afterEach(() => unchanged());

  describe('hostile manifests', () => {
    const write = (uri: vscode.Uri) =>
      vscode.commands.executeCommand('cadc.writeManifest', uri, { stageSubsets: true, confirm: false }) as Thenable<
        { written: string[] } | undefined
      >;
    const subsetsOf = (stem: string) => readdirSync(curationDir()).filter((f) => f.startsWith(`${stem}.`) && f.endsWith('.jsonl'));

    it('refuses an absolute dataset.path, a .. path and a path through a symlinked folder', async () => {
      const rel = path.relative(curationDir(), path.join(outside, 'secret.jsonl'));
      for (const [name, p] of [
        ['abs', path.join(outside, 'secret.jsonl')],
        ['up', rel],
        ['link', '../linked/secret.jsonl'],
      ]) {
        assert.equal(await write(hostile(`${name}.cadc.json`, (m) => (m.dataset.path = p))), undefined, `${name}: refused`);
        assert.deepEqual(subsetsOf(name), [], `${name}: no subset written`);
      }
    });

    it('refuses stage ids with separators: no file appears anywhere', async () => {
      const escape = `s1/${path.relative(curationDir(), outside)}/x`;
      assert.equal(await write(hostile('ids.cadc.json', (m) => (m.stages[0].id = escape))), undefined);
      assert.equal(await write(hostile('ids2.cadc.json', (m) => (m.stages[0].id = 's1/../../x'))), undefined);
      assert.deepEqual(subsetsOf('ids'), []);
      assert.ok(!existsSync(path.join(outside, 'x.jsonl')) && !existsSync(path.join(root(), 'x.jsonl')));
    });

    it('refuses a manifest reached through a symlinked folder that points outside', async () => {
      assert.equal(await write(vscode.Uri.file(path.join(root(), 'linked-curation', 'm.cadc.json'))), undefined);
    });

    it('refuses when the workspace switches stage subsets on and the manifest is hostile', async () => {
      const cfg = vscode.workspace.getConfiguration('cadc');
      await cfg.update('manifest.writeStageSubsets', true, vscode.ConfigurationTarget.Workspace);
      try {
        assert.equal(vscode.workspace.getConfiguration('cadc').inspect('manifest.writeStageSubsets')?.workspaceValue, true);
        const uri = hostile('ws.cadc.json', (m) => (m.dataset.path = '../linked/secret.jsonl'));
        assert.equal(await vscode.commands.executeCommand('cadc.writeManifest', uri, { confirm: false }), undefined);
        assert.deepEqual(subsetsOf('ws'), []);
      } finally {
        await cfg.update('manifest.writeStageSubsets', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('replaces a subset file that is a symlink to outside instead of writing through it, atomically', async () => {
      const stem = path.basename(manifestFile).replace(/\.cadc\.json$/, '');
      const s1 = path.join(curationDir(), `${stem}.s1.jsonl`);
      const s2 = path.join(curationDir(), `${stem}.s2.jsonl`);
      for (const f of [s1, s2]) rmSync(f, { force: true });
      symlinkSync(path.join(outside, 'victim.jsonl'), s1);
      writeFileSync(s2, 'old\n');
      const inode = statSync(s2).ino;
      const out = await write(vscode.Uri.file(manifestFile));
      assert.ok(out, 'the real manifest is written');
      assert.ok(lstatSync(s1).isFile(), 's1 is now a regular file in the workspace');
      const demo = new Set(readFileSync(path.join(root(), 'demo.jsonl'), 'utf8').split('\n'));
      const lines = readFileSync(s1, 'utf8').trim().split('\n');
      assert.equal(lines.length, manifest.stages[0].samples.length);
      assert.ok(
        lines.every((l) => demo.has(l)),
        'subset lines are dataset lines',
      );
      assert.notEqual(statSync(s2).ino, inode, 'the subset was replaced by rename, not rewritten in place');
      assert.deepEqual(
        readdirSync(curationDir()).filter((f) => f.endsWith('.tmp')),
        [],
        'no temp file left',
      );
    });
  });

  describe('a hostile workspace', () => {
    const curate = () =>
      vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'demo.jsonl')), {
        noPrompt: true,
        force: true,
        budget: '10%',
      });
    const withSetting = async (key: string, value: unknown, body: () => Promise<void>) => {
      const cfg = vscode.workspace.getConfiguration('cadc');
      await cfg.update(key, value, vscode.ConfigurationTarget.Workspace);
      try {
        assert.deepEqual(
          vscode.workspace.getConfiguration('cadc').inspect(key)?.workspaceValue,
          value,
          `${key} set in .vscode/settings.json`,
        );
        await body();
      } finally {
        await cfg.update(key, undefined, vscode.ConfigurationTarget.Workspace);
      }
    };

    it('cannot send manifests outside with cadc.manifest.folder (.., symlinked folder)', async () => {
      for (const value of [path.relative(root(), outside), 'linked', 'linked/deeper']) {
        await withSetting('manifest.folder', value, async () =>
          assert.equal(await curate(), undefined, `manifest.folder ${value}: refused`),
        );
      }
    });

    it('cannot make curation read images or scores from outside', async () => {
      await withSetting('dataset.imageRoot', outside, async () => assert.equal(await curate(), undefined));
      await withSetting('dataset.imageRoot', 'linked', async () => assert.equal(await curate(), undefined));
      await withSetting('curation.scoresFile', path.join(outside, 'scores.jsonl'), async () => assert.equal(await curate(), undefined));
      await withSetting('curation.scoresFile', 'linked/scores.jsonl', async () => assert.equal(await curate(), undefined));
    });
  });

  describe('hostile webview messages', () => {
    before(async () => {
      await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'demo.jsonl')), {
        noPrompt: true,
        force: true,
        budget: '10%',
      });
      await vscode.commands.executeCommand('cadc.showCapabilityMap');
    });
    const page = (sort: unknown, filter: unknown = {}) => ({ type: 'getSamples', requestId: 1, offset: 0, limit: 100, filter, sort });

    it('rejects messages that are not of the protocol, and still serves the ones that are', async () => {
      assert.equal(await api().capabilityMapMessage(page({ key: 'line', dir: 'asc' }, { search: 'what' })), true);
      const hostileMessages = [
        page({ key: 'constructor', dir: 'asc' }),
        page({ key: 'line', dir: 'asc' }, { search: 42 }),
        page({ key: 'line', dir: 'asc' }, { search: "' OR 1=1 --", style: { toString: 1 } }),
        { type: 'rename', capability: '../../x', name: 'x' },
        { type: 'runCompare', strategies: [`$(touch ${path.join(outside, 'pwned')})`] },
        { type: 'openMarkdown', what: path.join(outside, 'victim.jsonl') },
        { type: 'reselect', budget: -1 },
        { type: 'reveal', line: -3 },
        { type: 'toString' },
        null,
        'ready',
      ];
      for (const m of hostileMessages) assert.equal(await api().capabilityMapMessage(m), false, `${JSON.stringify(m)} rejected`);
      assert.ok(!existsSync(path.join(outside, 'pwned')), 'nothing was run');
    });

    it('a well-formed message whose handler fails is reported, not thrown; a rename is written atomically', async () => {
      const before1 = readFileSync(manifestFile, 'utf8');
      assert.equal(await api().capabilityMapMessage({ type: 'rename', capability: 'c999', name: 'ghost' }), true);
      assert.equal(readFileSync(manifestFile, 'utf8'), before1, 'an unknown capability changes nothing');
      const inode = statSync(manifestFile).ino;
      assert.equal(await api().capabilityMapMessage({ type: 'rename', capability: 'c1', name: 'renamed by the security suite' }), true);
      const after = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
      assert.equal(after.capabilities.find((c) => c.id === 'c1')?.name, 'renamed by the security suite');
      assert.notEqual(statSync(manifestFile).ino, inode, 'replaced by rename, never truncated in place');
      assert.deepEqual(
        readdirSync(curationDir()).filter((f) => f.endsWith('.tmp')),
        [],
        'no temp file left',
      );
    });
  });

  describe('hover images', () => {
    it('shows an image inside the workspace but none behind a symlink that points outside', async () => {
      const demo = readFileSync(path.join(root(), 'demo.jsonl'), 'utf8').trim().split('\n').slice(2, 300);
      const rec = (image: string, q: string) =>
        JSON.stringify({
          id: q,
          image,
          conversations: [
            { from: 'human', value: `<image>\n${q}` },
            { from: 'gpt', value: 'An answer.' },
          ],
        });
      const file = path.join(root(), 'hover.jsonl');
      writeFileSync(
        file,
        [rec('linked/secret.png', 'What is behind the link?'), rec('images/1.jpg', 'What is in the picture?'), ...demo].join('\n') + '\n',
      );
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      assert.ok(await vscode.commands.executeCommand('cadc.curate', uri, { noPrompt: true, force: true, budget: '20%' }), 'curated');
      const hoverText = async (line: number) =>
        ((await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, new vscode.Position(line, 3))) as vscode.Hover[])
          .flatMap((h) => h.contents)
          .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
          .join('\n');
      const linked = await hoverText(0);
      assert.match(linked, /\*\*CADC\*\*/, 'the line has its hover');
      assert.ok(
        !linked.includes('secret.png') && !linked.includes(outside) && !linked.includes('![image]'),
        `no image from outside: ${linked.slice(-200)}`,
      );
      assert.match(await hoverText(1), /!\[image\]\(file:\/\/.*images\/1\.jpg/, 'an image inside the workspace is shown');
    });
  });
});
