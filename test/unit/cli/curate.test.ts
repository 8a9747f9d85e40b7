// The CLI end to end on the real-data fixtures (built bundle, real files, real ORT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { nmi } from '../../../src/core/util/stats';
import { Rng } from '../../../src/core/util/rng';
import { runCuration } from '../../../src/core/pipeline/run';
import { resolveConfig } from '../../../src/core/config';
import { readDataset } from '../../../src/core/dataset/reader';
import { exampleText } from '../../../src/core/influence/examples';
import { cliSandbox, FIXTURES } from './sandbox';

const { out, cadc } = cliSandbox('cadc-cli-');

// llava-eval-pool's images were never on disk: every sample is flagged (missing image), so it is curated with --include-flagged.
for (const [name, file, budget, extra] of [
  ['vision-flan-205', 'vision-flan-205/vision-flan-205.jsonl', '20%', []],
  ['owleval', 'owleval/owleval.jsonl', '10%', []],
  ['llava-eval-pool', 'llava-eval-pool/llava-eval-pool.jsonl', '5%', ['--include-flagged']],
] as const) {
  test(`curate ${name}: budget met, K ≥ 2, ≥ 2 stages, valid manifest, byte-identical reruns`, () => {
    const dir = join(out, name);
    const r = cadc([
      'curate',
      join(FIXTURES, file),
      '--budget',
      budget,
      ...extra,
      '--out',
      dir,
      '--json',
      '--no-cache',
      '--attributions',
      '--quiet',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    const pct = Number(budget.replace('%', '')) / 100;
    assert.equal(res.selected, Math.round(res.samples * pct));
    assert.ok(res.capabilities.length >= 2, `K=${res.capabilities.length}`);
    assert.ok(res.stages.length >= 2);
    const text = readFileSync(res.manifest, 'utf8');
    const manifest = JSON.parse(text);
    assert.deepEqual(validateManifest(manifest), { valid: true, errors: [] });
    assert.equal(manifest.config.selection.dropTopSelfInfluence, 'auto');
    const bad = structuredClone(manifest);
    bad.config.selection.dropTopSelfInfluence = 'sometimes';
    assert.equal(validateManifest(bad).valid, false, 'the schema checks the self-influence filter');
    // The capability graph's split-half reliability is recorded, and checked to be a share.
    assert.ok(manifest.probe.reliability >= 0 && manifest.probe.reliability <= 1, `reliability ${manifest.probe.reliability}`);
    const outOfRange = structuredClone(manifest);
    outOfRange.probe.reliability = 1.5;
    assert.equal(validateManifest(outOfRange).valid, false, 'the schema checks the reliability');
    // The proxy ensemble: small pools average several proxies (their agreement recorded), 3,790 rows at
    // most 16,384 / 3,790 = 4; the schema checks both numbers.
    assert.equal(manifest.config.capabilities.proxies, 'auto');
    assert.ok(Number.isInteger(manifest.probe.proxies) && manifest.probe.proxies >= 1, `proxies ${manifest.probe.proxies}`);
    if (name === 'llava-eval-pool') assert.ok(manifest.probe.proxies <= 4);
    else assert.ok(manifest.probe.proxies >= 2, `${name}: ${manifest.probe.proxies} proxies`);
    if (manifest.probe.proxies >= 2) assert.ok(manifest.probe.proxyAgreement > 0 && manifest.probe.proxyAgreement <= 1);
    for (const [key, value] of [
      ['proxies', 0],
      ['proxies', 1.5],
      ['proxyAgreement', 2],
    ] as const) {
      const wrong = structuredClone(manifest);
      wrong.probe[key] = value;
      assert.equal(validateManifest(wrong).valid, false, `the schema checks probe.${key} = ${value}`);
    }
    // Every selected line is a valid, unique sample line.
    const attributions = readFileSync(res.attributions, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(attributions.length, res.samples);
    const valid = new Set(attributions.map((a) => a.line));
    const lines = manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line));
    assert.equal(new Set(lines).size, lines.length);
    assert.ok(lines.every((l: number) => valid.has(l)));
    assert.equal(attributions.filter((a) => a.selected).length, res.selected);
    // Same dataset + config + seed → the same bytes (with and without the cache).
    const again = cadc(['curate', join(FIXTURES, file), '--budget', budget, ...extra, '--out', dir, '--force', '--quiet', '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).cacheHit, false, 'the first cached run fills the cache');
    assert.equal(readFileSync(res.manifest, 'utf8'), text);
    const hit = cadc(['curate', join(FIXTURES, file), '--budget', budget, ...extra, '--out', dir, '--force', '--quiet', '--json']);
    assert.equal(JSON.parse(hit.stdout).cacheHit, true, 'second cached run hits');
    assert.equal(readFileSync(res.manifest, 'utf8'), text, 'a cache hit gives the same manifest');
  });
}

test('capabilities carry information about the real task labels, well above a random partition', async () => {
  // Unsupervised probe groups (micro-clusters), so the labels play no part in the method.
  const run = await runCuration({
    datasetPath: join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'),
    config: resolveConfig({ capabilities: { probe: 'clusters' } }),
    cacheDir: null,
  });
  const src = run.pool.labels.source.codes;
  const score = nmi(run.attribution.hard, src);
  const shuffled = Int32Array.from(run.attribution.hard);
  new Rng(1).shuffle(shuffled);
  const random = nmi(shuffled, src);
  assert.ok(run.capabilities.K >= 2);
  assert.ok(score > 0.1 && score > 10 * random, `NMI ${score.toFixed(3)} vs random partition ${random.toFixed(4)}`);
});

test('names on real instructions: every part of a name is a distinctive term, or a phrase that the class’s own instructions hold', async () => {
  const file = join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl');
  const run = await runCuration({ datasetPath: file, config: resolveConfig({ capabilities: { probe: 'clusters' } }), cacheDir: null });
  const lines = readFileSync(file, 'utf8').split('\n');
  // The user turns of a line, lower-cased, read here apart from the product's reader.
  const text = (i: number) =>
    (JSON.parse(lines[run.pool.lines[i] - 1]).conversations as { from: string; value: string }[])
      .filter((t) => t.from === 'human')
      .map((t) => t.value)
      .join('\n')
      .toLowerCase();
  const holds = (phrase: string[], texts: string[]) => {
    const re = new RegExp(`(?:^|[^\\p{L}\\p{N}])${phrase.join('\\s+')}(?=$|[^\\p{L}\\p{N}'’])`, 'u');
    return texts.filter((t) => re.test(t)).length;
  };
  const classes = run.capabilities.capabilities.flatMap((c, k) => [
    { name: c.name, terms: c.terms, members: [...run.attribution.hard.keys()].filter((i) => run.attribution.hard[i] === k) },
    ...(c.children ?? []).map((kid, j) => ({
      name: kid.name,
      terms: kid.terms,
      members: [...run.attribution.hard.keys()].filter((i) => run.attribution.hard[i] === k && run.attribution.child![i] === j),
    })),
  ]);
  let phrases = 0;
  for (const { name, terms, members } of classes) {
    // A class without a term of its own is named by its style alone.
    if (terms.length === 0) continue;
    const words = name
      .split(' · ')[0]
      .replace(/ \(c[\d.]+\)$/, '')
      .split(' ');
    const texts = members.map(text);
    // A unit is a term, or a phrase of several words holding a term, found in at least 5 of the texts.
    const unit = (u: string[]) => (u.length === 1 ? terms.includes(u[0]) : u.some((w) => terms.includes(w)) && holds(u, texts) >= 5);
    // The name's words split into units (a clash may have added one more term at the end).
    const fits = (rest: string[]): boolean =>
      rest.length === 0 || rest.some((_, cut) => unit(rest.slice(0, cut + 1)) && fits(rest.slice(cut + 1)));
    assert.ok(fits(words), `"${name}": terms ${terms.join(', ')}`);
    // Without phrases a name's terms are its first two terms.
    if (words.join(' ') !== terms.slice(0, 2).join(' ')) phrases++;
  }
  assert.ok(phrases > 0, `some names carry a phrase: ${classes.map((c) => c.name).join(' | ')}`);
  assert.equal(new Set(classes.map((c) => c.name)).size, classes.length, 'names are unique');
});

test('a Parquet pool’s cards carry their example instructions, read back by row', async () => {
  const dir = join(FIXTURES, 'parquet/shards');
  const first = new Map<number, string>();
  await readDataset(dir, {}, (x) => first.set(x.line, exampleText(x.turns.find((t) => t.role === 'user')!.text)));
  const run = await runCuration({ datasetPath: dir, config: resolveConfig({}), cacheDir: null });
  const examples = run.manifest.capabilities.flatMap((c) => [...(c.examples ?? []), ...(c.children ?? []).flatMap((k) => k.examples)]);
  assert.ok(examples.length >= 6, `${examples.length} examples`);
  for (const e of examples) {
    assert.ok(e.text.length > 0, `line ${e.line} has its text`);
    assert.equal(e.text, first.get(e.line));
  }
});

test('exit codes: 2 bad arguments, 3 unreadable dataset, 4 existing manifest without --force', () => {
  assert.equal(cadc(['curate']).status, 2);
  assert.equal(cadc(['curate', 'x.jsonl', '--budget', 'lots']).status, 2);
  assert.equal(cadc(['curate', join(out, 'nope.jsonl'), '--out', out]).status, 3);
  const dir = join(out, 'exists');
  const ds = join(out, 'small.jsonl');
  writeFileSync(ds, readFileSync(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl')));
  assert.equal(cadc(['curate', ds, '--out', dir, '--no-cache', '--quiet']).status, 0);
  const before = readFileSync(join(dir, 'small.cadc.json'), 'utf8');
  const r = cadc(['curate', ds, '--out', dir, '--no-cache', '--quiet', '--seed', '7']);
  assert.equal(r.status, 4);
  assert.match(r.stderr, /exists; use --force/);
  assert.equal(readFileSync(join(dir, 'small.cadc.json'), 'utf8'), before, 'not overwritten');
  assert.deepEqual(readdirSync(dir), ['small.cadc.json'], 'no temp files left');
  assert.ok(existsSync(ds));
});
