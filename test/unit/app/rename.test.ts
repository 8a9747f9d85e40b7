import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carryCapabilityNames, readCapabilityNames, renameInManifest } from '../../../src/app/rename';
import { stableStringify } from '../../../src/core/util/stableJson';

function manifest(dir: string, caps: { id: string; name: string; groups: string[] }[]): string {
  const file = join(dir, 'm.cadc.json');
  const stages = [
    { id: 's1', name: caps[0].name, kind: 'capability', capabilities: [caps[0].id] },
    { id: 's2', name: 'mixed', kind: 'capability', capabilities: caps.slice(1).map((c) => c.id) },
    { id: 's3', name: caps[0].name, kind: 'alignment', capabilities: [caps[0].id] },
  ];
  writeFileSync(file, stableStringify({ schema: 'cadc.manifest/v1', capabilities: caps, stages }));
  return file;
}

test('rename: the capability and a stage named after it alone follow; other stages and the alignment stage do not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-rename-'));
  const file = manifest(dir, [
    { id: 'c1', name: 'yes/no', groups: ['g1'] },
    { id: 'c2', name: 'ocr', groups: ['g2'] },
  ]);
  await renameInManifest(file, new Map([['c1', '  Counting   objects ']]));
  const m = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(m.capabilities[0].name, 'Counting objects', 'names are cleaned');
  assert.deepEqual(
    m.stages.map((s: { name: string }) => s.name),
    ['Counting objects', 'mixed', 'yes/no'],
  );
  assert.equal(readFileSync(file, 'utf8'), stableStringify(m), 'the same deterministic serialisation');
  assert.deepEqual(readdirSync(dir), ['m.cadc.json'], 'written atomically: no temp file left');
  await assert.rejects(renameInManifest(file, new Map([['c9', 'x']])), /No capability c9/);
  await assert.rejects(renameInManifest(file, new Map([['c1', '   ']])), /empty name/);
});

test('carry: names come back only for the same id made of the same probe groups', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-rename-'));
  const before = [
    { id: 'c1', name: 'Counting', groups: ['g1', 'g2'] },
    { id: 'c2', name: 'Reading text', groups: ['g3'] },
  ];
  const file = manifest(dir, [
    { id: 'c1', name: 'auto 1', groups: ['g1', 'g2'] },
    { id: 'c2', name: 'auto 2', groups: ['g3', 'g4'] },
  ]);
  assert.deepEqual(await carryCapabilityNames(file, before), ['c1']);
  assert.deepEqual(
    (await readCapabilityNames(file)).map((c) => c.name),
    ['Counting', 'auto 2'],
  );
  writeFileSync(file, '{"not":"a manifest"}');
  await assert.rejects(readCapabilityNames(file), /not a CADC manifest/);
});
