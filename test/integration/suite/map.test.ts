// The Capability Map's lifecycle in the real extension host: one panel, shown on the current run;
// closing it (the panel disposes itself and its owner, once) leaves no map behind; showing it
// again creates a working one; Quality and Compare run as jobs of the panel on the run it shows.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const api = () =>
  vscode.extensions.getExtension('cadc-team.cadc')!.exports as { capabilityMapMessage(m: unknown): Promise<boolean | undefined> };
/** The workbench's tab model follows the extension host asynchronously: wait (≤ 5 s) for it to settle. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 20));
}
const mapTabs = () =>
  vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('cadc.capabilityMap'));

describe('CADC Capability Map lifecycle', () => {
  before(async () => {
    const result = await vscode.commands.executeCommand('cadc.curate', vscode.Uri.file(path.join(root(), 'demo.jsonl')), {
      noPrompt: true,
      force: true,
      budget: '10%',
    });
    assert.ok(result, 'curated the demo');
  });

  it('shows one panel however often it is asked for, and closing it leaves no map', async () => {
    await vscode.commands.executeCommand('cadc.showCapabilityMap');
    await vscode.commands.executeCommand('cadc.showCapabilityMap');
    await until(() => mapTabs().length > 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(mapTabs().length, 1, 'one map panel');
    assert.equal(await api().capabilityMapMessage({ type: 'ready' }), true, 'the open map takes messages');
    await vscode.window.tabGroups.close(mapTabs());
    await until(async () => (await api().capabilityMapMessage({ type: 'ready' })) === undefined);
    assert.equal(await api().capabilityMapMessage({ type: 'ready' }), undefined, 'no map after its panel closed');
    await until(() => mapTabs().length === 0);
    assert.equal(mapTabs().length, 0);
  });

  it('shows a working map again after one was closed, and runs its jobs on the current run', async () => {
    await vscode.commands.executeCommand('cadc.showCapabilityMap');
    await until(() => mapTabs().length === 1);
    assert.equal(mapTabs().length, 1);
    assert.equal(
      await api().capabilityMapMessage({
        type: 'getSamples',
        requestId: 1,
        offset: 0,
        limit: 10,
        filter: {},
        sort: { key: 'influence', dir: 'desc' },
      }),
      true,
    );
    const cmp = (await vscode.commands.executeCommand('cadc.compareStrategies', ['cadc', 'random'])) as
      { strategies: { strategy: string }[] } | undefined;
    assert.deepEqual(
      cmp?.strategies.map((s) => s.strategy),
      ['cadc', 'random'],
    );
    await vscode.window.tabGroups.close(mapTabs());
  });
});
