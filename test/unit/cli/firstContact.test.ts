// The CLI on first contact, end to end (the built bundle as a child process, real files from the
// repository): help, usage errors, files that are not a dataset, budgets, progress lines, outputs
// that are never replaced without --force (also between two concurrent runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox, CLI, REPO } from './sandbox';

const { out, cadc } = cliSandbox('cadc-first-');

/** The first `n` lines of the demo dataset (its images stay behind: missing images are warnings). */
function demoSubset(name: string, n: number): string {
  const file = join(out, name);
  const lines = readFileSync(join(REPO, 'demo/demo.jsonl'), 'utf8').split('\n').slice(0, n);
  writeFileSync(file, `${lines.join('\n')}\n`);
  // The images beside it, as in demo/: samples whose image is missing are left out of selections.
  if (!existsSync(join(out, 'images'))) cpSync(join(REPO, 'demo/images'), join(out, 'images'), { recursive: true });
  return file;
}

const STACK = /^\s+at /m;

test('cadc and cadc --help print the top-level help: the commands, one line each, and where to start', () => {
  for (const argv of [[], ['--help'], ['-h'], ['help']]) {
    const r = cadc(argv);
    assert.equal(r.status, 0, argv.join(' '));
    for (const c of ['curate', 'report', 'compare'])
      assert.equal(r.stdout.split('\n').filter((l) => new RegExp(`^  ${c} <dataset> `).test(l)).length, 1, c);
    assert.match(r.stdout, /Start with: +cadc curate data\.jsonl/);
    assert.match(r.stdout, /cadc <command> --help/);
    assert.ok(r.stdout.split('\n').length < 20, 'short: the details are in each command’s help');
  }
  for (const c of ['curate', 'report', 'compare']) {
    const own = cadc([c, '--help']);
    assert.equal(own.status, 0);
    assert.match(own.stdout, new RegExp(`^Usage: cadc ${c} <dataset>`));
    assert.deepEqual(cadc(['help', c]).stdout, own.stdout);
  }
  assert.match(cadc(['curate', '--help']).stdout, /--budget B[\s\S]*1 is one sample/);
  assert.match(cadc(['report', '--help']).stdout, /--manifest M/);
  assert.match(cadc(['compare', '--help']).stdout, /--strategies/);
});

test('a usage error is one line and a hint (exit 2), with --json also an error object on stdout', () => {
  for (const [argv, command] of [
    [['curate', 'x.jsonl', '--budget', 'lots'], 'curate'],
    [['report'], 'report'],
    [['compare', 'x.jsonl'], 'compare'],
    [['curate', 'x.jsonl', '--frobnicate'], 'curate'],
  ] as const) {
    const r = cadc([...argv]);
    assert.equal(r.status, 2, argv.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0], /^cadc: /);
    assert.equal(lines[1], `Run 'cadc ${command} --help' for usage.`);
    assert.equal(r.stdout, '', 'no usage text scrolls the error away');
  }
  const unknown = cadc(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(
    unknown.stderr,
    /^cadc: Unknown command 'frobnicate'.*\nRun 'cadc <command> --help' for usage, or 'cadc --help' for the commands\.\n$/,
  );
  const json = cadc(['curate', 'x.jsonl', '--budget', 'lots', '--json']);
  assert.equal(json.status, 2);
  const e = JSON.parse(json.stdout);
  assert.equal(e.error.code, 'usage');
  assert.equal(e.error.exit, 2);
  assert.match(e.error.message, /--budget lots/);
});

/** Files that are not a dataset we read: each must end in exit 3 with one line, never a stack. */
function badInputs(): { name: string; file: string; found: RegExp }[] {
  const dir = join(out, 'bad');
  mkdirSync(dir, { recursive: true });
  const put = (name: string, data: string | Buffer) => {
    writeFileSync(join(dir, name), data);
    return join(dir, name);
  };
  const binary = Buffer.alloc(4096);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 131 + 7) & 0xff;
  return [
    { name: 'CSV', file: put('data.csv', 'id,question,answer\n1,What is shown?,A cat\n2,Colour?,Red\n'), found: /CSV/i },
    { name: 'TSV', file: put('data.tsv', 'id\tquestion\tanswer\n1\tWhat is shown?\tA cat\n2\tColour?\tRed\n'), found: /TSV|tab/i },
    {
      name: 'Parquet',
      file: put('data.parquet', Buffer.concat([Buffer.from('PAR1'), binary.subarray(0, 256), Buffer.from('PAR1')])),
      found: /Parquet/i,
    },
    {
      name: 'truncated JSON array',
      file: put('cut.json', '[\n  {"id": "a1", "conversations": [{"from": "human", "value": "What is'),
      found: /truncat|ends|cut|unterminated|closed/i,
    },
    { name: 'empty file', file: put('empty.jsonl', ''), found: /empty/i },
    { name: 'binary file', file: put('blob.jsonl', binary), found: /binary|not text/i },
    {
      name: 'one valid sample',
      file: put('one.jsonl', `${readFileSync(join(REPO, 'demo/demo.jsonl'), 'utf8').split('\n')[0]}\n`),
      found: /1 valid sample.*needs at least 2/,
    },
  ];
}

test('not a dataset (CSV, TSV, Parquet, a truncated JSON array, an empty or binary file, one valid sample): exit 3, one line, no stack; --json gives an error object', () => {
  for (const { name, file } of badInputs()) {
    const r = cadc(['curate', file, '--out', join(out, 'bad-out'), '--no-cache', '--quiet']);
    assert.equal(r.status, 3, `${name}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, STACK, name);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: one line, got ${r.stderr}`);
    assert.match(
      lines[0],
      /^cadc: \S+ is not a dataset CADC can read: found .*supported: JSONL or a JSON array/,
      `${name}: says what was found and what is supported`,
    );
    const j = cadc(['curate', file, '--out', join(out, 'bad-out'), '--no-cache', '--quiet', '--json']);
    assert.equal(j.status, 3, name);
    const e = JSON.parse(j.stdout).error;
    assert.equal(e.exit, 3);
    assert.equal(typeof e.code, 'string');
    assert.equal(e.message, lines[0].replace(/^cadc: /, ''));
    assert.ok(e.line !== undefined || e.byte !== undefined, `${name}: says where reading stopped`);
  }
  assert.deepEqual(readdirSync(out).includes('bad-out') ? readdirSync(join(out, 'bad-out')) : [], [], 'nothing written');
  const verbose = cadc(['curate', badInputs()[4].file, '--no-cache', '--verbose', '--out', join(out, 'bad-out')]);
  assert.equal(verbose.status, 3);
  assert.match(verbose.stderr, STACK, '--verbose shows the stack');
});

// Uses the dataset reader's format detection (merged from wip/dataset): the line names what was found,
// and report and compare, which read the file themselves, stop at it the same way.
test('not a dataset: the one line names what was found (CSV, TSV, Parquet, truncated, empty, binary); report and compare exit 3 too', () => {
  for (const { name, file, found } of badInputs()) {
    const r = cadc(['curate', file, '--out', join(out, 'bad-out'), '--no-cache', '--quiet']);
    assert.equal(r.status, 3, name);
    assert.match(r.stderr.replace(file, '<file>'), found, `${name}: ${r.stderr}`);
    if (name === 'one valid sample') continue; // a quality report of one sample is a fine report
    for (const argv of [
      ['report', file, '--out', join(out, 'bad-out'), '--json'],
      ['compare', file, '--strategies', 'random', '--no-cache', '--quiet', '--out', join(out, 'bad-out'), '--json'],
    ]) {
      const other = cadc(argv);
      assert.equal(other.status, 3, `${argv[0]} ${name}: ${other.stderr}`);
      assert.doesNotMatch(other.stderr, STACK);
      assert.equal(other.stderr.trimEnd().split('\n').length, 1, other.stderr);
      assert.equal(JSON.parse(other.stdout).error.exit, 3);
    }
  }
});

test('budget: 1 is one sample, 1.0 the whole pool; a budget above the samples that qualify gives all of them with a note (json, manifest, stderr)', () => {
  const ds = demoSubset('budget.jsonl', 240);
  const cache = join(out, 'budget-cache');
  const run = (budget: string, dir: string) => {
    const r = cadc(['curate', ds, '--budget', budget, '--out', join(out, dir), '--cache', cache, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return { r, s: JSON.parse(r.stdout) };
  };
  const one = run('1', 'b1');
  assert.equal(one.s.selected, 1);
  assert.deepEqual(one.s.notes, []);
  const all = run('1.0', 'b-all');
  const many = run('100000', 'b-many');
  assert.equal(many.s.selected, all.s.selected, 'a count above the pool selects what 100% selects');
  assert.ok(many.s.selected > 200 && many.s.selected <= many.s.samples, String(many.s.selected));
  for (const { r, s } of [all, many]) {
    const note = s.notes.find((n: string) => /is more than the [\d,]+ samples that qualify/.test(n));
    assert.ok(note, JSON.stringify(s.notes));
    assert.match(note, new RegExp(`all ${s.selected} are selected`));
    assert.match(note, /self-influence outliers/);
    assert.ok(JSON.parse(readFileSync(s.manifest, 'utf8')).notes.includes(note), 'in the manifest');
    assert.ok(r.stderr.includes(`cadc: note: ${note}`), 'in the human output');
  }
  assert.match(many.s.notes.join(' '), /The budget of 100,000 samples/, 'counts with thousands separators');
  assert.match(all.s.notes.join(' '), /The budget 100% \(240 samples\)/);
});

test('progress: one line per stage, numbered 1–8 the same whether a stage ran or came from the cache', () => {
  const ds = demoSubset('progress.jsonl', 200);
  const cache = join(out, 'progress-cache');
  const progress = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l));
  const first = cadc(['curate', ds, '--out', join(out, 'p'), '--cache', cache]);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(progress(first), [
    '[1/8] read',
    '[2/8] featurise',
    '[3/8] warm-up',
    '[4/8] trajectories',
    '[5/8] capabilities',
    '[6/8] influence',
    '[7/8] select',
    '[8/8] sequence',
  ]);
  const again = cadc(['curate', ds, '--out', join(out, 'p'), '--cache', cache, '--force']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(progress(again), [
    '[1/8] read',
    '[2/8] featurise (cached)',
    '[3/8] warm-up (cached)',
    '[4/8] trajectories (cached)',
    '[5/8] capabilities',
    '[6/8] influence',
    '[7/8] select',
    '[8/8] sequence',
  ]);
  const none = cadc(['curate', ds, '--out', join(out, 'p'), '--no-cache', '--force']);
  assert.deepEqual(progress(none), progress(first), 'without a cache too');
  assert.deepEqual(progress(cadc(['curate', ds, '--out', join(out, 'p'), '--no-cache', '--force', '--quiet'])), []);
});

function cadcAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, XDG_CACHE_HOME: join(out, 'xdg') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('two concurrent runs on the same output without --force: one exits 0, the other 4, the manifest is the winner’s whole file, nothing of the loser is left', async () => {
  const ds = demoSubset('race.jsonl', 200);
  const dir = join(out, 'race');
  // Both start before either has written anything, so both pass the early check: only the write can refuse.
  const args = (seed: string) => [
    'curate',
    ds,
    '--out',
    dir,
    '--no-cache',
    '--quiet',
    '--json',
    '--attributions',
    '--budget',
    '10%',
    '--seed',
    seed,
  ];
  const results = await Promise.all([cadcAsync(args('1')), cadcAsync(args('2'))]);
  const codes = results.map((r) => r.status).sort();
  assert.deepEqual(codes, [0, 4], results.map((r) => r.stderr).join('\n'));
  const winner = results.find((r) => r.status === 0)!;
  const loser = results.find((r) => r.status === 4)!;
  assert.match(loser.stderr, /exists|appeared/);
  assert.equal(JSON.parse(loser.stdout).error.code, 'exists');
  const summary = JSON.parse(winner.stdout);
  const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8'));
  const winnerSeed = results.indexOf(winner) === 0 ? 1 : 2;
  assert.equal(manifest.config.seed, winnerSeed, 'the manifest is the winner’s');
  assert.equal(manifest.budget.selected, summary.selected);
  // The attributions beside it are the winner's too (their selected lines are the manifest's).
  const rows = readFileSync(summary.attributions, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const selected = new Set(manifest.stages.flatMap((s: { samples: { line: number }[] }) => s.samples.map((x) => x.line)));
  assert.deepEqual(new Set(rows.filter((r) => r.selected).map((r) => r.line)), selected);
  assert.deepEqual(readdirSync(dir).sort(), ['race.cadc.attributions.jsonl', 'race.cadc.json'], 'no temp files, nothing else');
});

test('attributions are never replaced without --force, even with no manifest beside them', () => {
  const ds = demoSubset('attr.jsonl', 200);
  const dir = join(out, 'attr');
  const cache = join(out, 'attr-cache');
  assert.equal(cadc(['curate', ds, '--out', dir, '--cache', cache, '--quiet', '--attributions']).status, 0);
  const attributions = join(dir, 'attr.cadc.attributions.jsonl');
  writeFileSync(attributions, 'hand-edited\n');
  rmSync(join(dir, 'attr.cadc.json'));
  const r = cadc(['curate', ds, '--out', dir, '--cache', cache, '--quiet', '--attributions']);
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /attr\.cadc\.attributions\.jsonl exists; use --force/);
  assert.equal(readFileSync(attributions, 'utf8'), 'hand-edited\n');
  assert.deepEqual(readdirSync(dir), ['attr.cadc.attributions.jsonl'], 'no manifest written either');
  const forced = cadc(['curate', ds, '--out', dir, '--cache', cache, '--quiet', '--attributions', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.notEqual(readFileSync(attributions, 'utf8'), 'hand-edited\n');
});

test('report: existing outputs are not replaced without --force; Markdown has rounded numbers and no HTML entities', () => {
  const ds = demoSubset('rep.jsonl', 150);
  const dir = join(out, 'rep');
  const r = cadc(['report', ds, '--out', dir, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(dir, 'rep.cadc.report.md'), 'utf8');
  assert.doesNotMatch(md, /&(lt|gt|amp);/);
  assert.match(md, /`<image>` tokens ≠ images/);
  const numbers = md.match(/\d+\.\d+/g) ?? [];
  assert.ok(numbers.length > 20);
  for (const x of numbers) assert.ok(x.replace('.', '').replace(/^0+/, '').length <= 3, `${x}: at most 3 significant digits`);
  writeFileSync(join(dir, 'rep.cadc.report.md'), 'mine\n');
  const again = cadc(['report', ds, '--out', dir, '--quiet']);
  assert.equal(again.status, 4);
  assert.equal(readFileSync(join(dir, 'rep.cadc.report.md'), 'utf8'), 'mine\n');
});
