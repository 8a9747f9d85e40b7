// A workspace must not be able to point CADC's reads and writes elsewhere while it is untrusted:
// every setting that names a file or folder, or makes CADC write, is a restricted configuration
// (VS Code ignores the workspace's value in restricted mode), and resolves per workspace folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] }; virtualWorkspaces: boolean };
  contributes: { configuration: { properties: Record<string, { scope?: string; description?: string; markdownDescription?: string }> } };
};

test('settings that name paths or make CADC write are restricted in untrusted workspaces', () => {
  const props = pkg.contributes.configuration.properties;
  const sensitive = [
    'cadc.dataset.imageRoot',
    'cadc.curation.scoresFile',
    'cadc.gradients.directory',
    'cadc.manifest.folder',
    'cadc.manifest.writeStageSubsets',
  ];
  for (const key of sensitive) {
    assert.ok(props[key], `${key} exists`);
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(key), `${key} is restricted`);
    assert.equal(props[key].scope, 'resource', `${key} resolves per workspace folder`);
  }
  // Any setting described as a file, folder or root is in the list above (a new one must be added there).
  for (const [key, p] of Object.entries(props)) {
    if (/\b(file|folder|root)\b/i.test(`${key} ${p.description ?? ''} ${p.markdownDescription ?? ''}`) && !/decorations/.test(key))
      assert.ok(sensitive.includes(key), `${key} names a path: restrict it`);
  }
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.equal(pkg.capabilities.virtualWorkspaces, false, 'files are local: atomic writes go through node:fs');
});
