// "Write Curriculum Manifest" decides what it may read and write before touching anything. A real
// manifest (the real CLI on 300 demo lines) is turned hostile: absolute and `..` dataset paths,
// symlinked folders pointing out of the workspace, stage ids with separators, untrusted workspaces.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ManifestRefused, planManifestWrite, writeStageSubsets } from '../../../src/app/writeManifest';

const REPO = path.resolve(__dirname, '../../..');
const top = mkdtempSync(path.join(tmpdir(), 'cadc-plan-'));
const ws = path.join(top, 'ws');
const outside = path.join(top, 'outside');
let manifest: Record<string, unknown> & { dataset: { path: string }; stages: { id: string }[] };

before(() => {
  mkdirSync(ws);
  mkdirSync(outside);
  const lines = readFileSync(path.join(REPO, 'demo', 'demo.jsonl'), 'utf8')
    .split('\n')
    .slice(0, 300);
  writeFileSync(path.join(ws, 'd.jsonl'), lines.join('\n') + '\n');
  writeFileSync(path.join(outside, 'd.jsonl'), lines.join('\n') + '\n');
  const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'cli'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const r = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'dist', 'cli.js'),
      'curate',
      path.join(ws, 'd.jsonl'),
      '--out',
      path.join(ws, 'curation'),
      '--no-cache',
      '--budget',
      '20%',
      // The copy has no images beside it: every sample is flagged (missing image) and would be left out.
      '--include-flagged',
      '--json',
      '--quiet',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  manifest = JSON.parse(readFileSync(path.join(ws, 'curation', 'd.cadc.json'), 'utf8'));
  symlinkSync(outside, path.join(ws, 'linked'));
  mkdirSync(path.join(outside, 'curation'));
  symlinkSync(path.join(outside, 'curation'), path.join(ws, 'linked-curation'));
});

/** Writes a variant of the real manifest at `rel` inside the workspace and plans writing it. */
function plan(
  rel: string,
  edit: (m: typeof manifest) => void = () => undefined,
  opts: { trusted?: boolean; root?: string | undefined; stageSubsets?: boolean } = {},
) {
  const m = structuredClone(manifest);
  edit(m);
  const file = path.join(ws, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(m));
  return planManifestWrite({
    trusted: opts.trusted ?? true,
    workspaceRoot: 'root' in opts ? opts.root : ws,
    manifestPath: file,
    stageSubsets: opts.stageSubsets ?? true,
  });
}

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ManifestRefused && pattern.test(e.message);

test('the real manifest plans its dataset and one subset per stage, beside it, inside the workspace', () => {
  const p = plan('curation/ok.cadc.json');
  assert.equal(p.dataset, path.join(ws, 'd.jsonl'));
  assert.deepEqual(
    p.targets.map((t) => t.file),
    manifest.stages.map((s) => path.join(ws, 'curation', `ok.${s.id}.jsonl`)),
  );
  assert.deepEqual(plan('curation/ok.cadc.json', undefined, { stageSubsets: false }).targets, []);
});

test('untrusted workspaces and manifests outside any workspace folder are refused', () => {
  assert.throws(() => plan('curation/ok.cadc.json', undefined, { trusted: false }), refused(/untrusted/));
  assert.throws(() => plan('curation/ok.cadc.json', undefined, { root: undefined }), refused(/not inside a workspace folder/));
});

test('an absolute dataset.path is refused by the schema', () => {
  assert.throws(
    () => plan('curation/abs.cadc.json', (m) => (m.dataset.path = path.join(outside, 'd.jsonl'))),
    refused(/not a valid cadc.manifest/),
  );
  assert.throws(() => plan('curation/etc.cadc.json', (m) => (m.dataset.path = '/etc/passwd')), refused(/not a valid/));
});

test('a dataset.path that climbs out with .. or through a symlinked folder is refused', () => {
  assert.throws(
    () => plan('curation/up.cadc.json', (m) => (m.dataset.path = '../../outside/d.jsonl')),
    refused(/outside|not a file inside/),
  );
  assert.throws(() => plan('curation/link.cadc.json', (m) => (m.dataset.path = '../linked/d.jsonl')), refused(/outside|not a file inside/));
  // Without stage subsets the dataset is not read, but its path must still stay inside.
  assert.throws(
    () => plan('curation/link2.cadc.json', (m) => (m.dataset.path = '../linked/d.jsonl'), { stageSubsets: false }),
    refused(/outside|not a file inside/),
  );
});

test('a stage id with separators (or any id not s1..sN) is refused before any file name is built', () => {
  for (const id of ['s1/../../../../elsewhere/x', '../x', 's1\\..\\x', 'stage1']) {
    assert.throws(() => plan('curation/ids.cadc.json', (m) => (m.stages[0].id = id)), refused(/not a valid cadc.manifest/), id);
  }
});

test('a manifest reached through a symlinked folder pointing outside is refused, and nothing is written there', () => {
  assert.throws(() => plan('linked-curation/m.cadc.json'), refused(/outside|not a file inside/));
  assert.deepEqual(readdirSync(path.join(outside, 'curation')), ['m.cadc.json'], 'only the test’s own manifest is there');
});

test('a missing dataset fails only when subsets are to be copied from it; not JSON is refused', () => {
  assert.throws(() => plan('curation/gone.cadc.json', (m) => (m.dataset.path = '../nope.jsonl')), refused(/does not exist/));
  assert.equal(plan('curation/gone.cadc.json', (m) => (m.dataset.path = '../nope.jsonl'), { stageSubsets: false }).dataset, undefined);
  writeFileSync(path.join(ws, 'curation', 'bad.cadc.json'), '{"schema": ');
  assert.throws(
    () =>
      planManifestWrite({ trusted: true, workspaceRoot: ws, manifestPath: path.join(ws, 'curation', 'bad.cadc.json'), stageSubsets: true }),
    refused(/not JSON/),
  );
});

test('stage subsets copy the lines the engine numbered, even after a line holding a lone carriage return', async () => {
  // A CR between JSON tokens is whitespace: the reader keeps line 1 valid and numbers lines by \n
  // only. A reader that also breaks lines at a lone CR would shift every later line by one.
  const text = readFileSync(path.join(ws, 'd.jsonl'), 'utf8').replace(/^\{/, '{\r');
  writeFileSync(path.join(ws, 'd.jsonl'), text);
  const p = plan('curation/cr.cadc.json');
  const written = await writeStageSubsets(p);
  assert.equal(written.length, manifest.stages.length);
  const byNumber = text.split('\n');
  for (const [k, stage] of (manifest.stages as unknown as { samples: { line: number }[] }[]).entries()) {
    const got = readFileSync(written[k], 'utf8').split('\n').slice(0, -1);
    assert.deepEqual(
      got,
      stage.samples.map((s) => byNumber[s.line - 1]),
      `stage ${k + 1}`,
    );
  }
});
