// The "Get started with CADC" walkthrough: its four steps (open, curate, read the map, commit), each
// with a Markdown page that exists and ships in the VSIX, and command links and completion events that
// name commands the extension contributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    walkthroughs: {
      id: string;
      title: string;
      steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[];
    }[];
  };
};

test('the walkthrough: open a dataset, curate, read the map, commit the manifest', () => {
  const [w] = pkg.contributes.walkthroughs;
  assert.equal(w.title, 'Get started with CADC');
  assert.deepEqual(
    w.steps.map((s) => s.id),
    ['openDemo', 'curate', 'readMap', 'commit'],
  );
  const ours = new Set(pkg.contributes.commands.map((c) => c.command));
  const ships = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  for (const s of w.steps) {
    const md = s.media.markdown;
    assert.ok(md && existsSync(path.join(ROOT, md)), `${s.id}: ${md} exists`);
    assert.ok(ships.includes(`!${path.dirname(md)}/**`), `${s.id}: ${md} ships in the VSIX`);
    for (const [, cmd] of s.description.matchAll(/\(command:([\w.]+)/g))
      if (cmd.startsWith('cadc.')) assert.ok(ours.has(cmd), `${s.id}: links ${cmd}, a contributed command`);
    for (const e of s.completionEvents ?? [])
      if (e.startsWith('onCommand:')) assert.ok(ours.has(e.slice('onCommand:'.length)), `${s.id}: completes on ${e}`);
  }
});
