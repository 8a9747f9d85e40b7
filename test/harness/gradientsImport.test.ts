// The engine imports the real gradient job's output (a step of test/harness/gradients.ts: it needs
// Debian's PyTorch). The job (tiny model, CPU) runs on 60 real rows of test/fixtures/llava-eval-pool
// with two invalid lines put in, once with 1 rank and once with 2 ranks started with the env://
// variables torchrun sets (gloo); `cadc curate --gradients` gives byte-identical manifests for both;
// a truncated shard, a dataset with other bytes and an index missing a line each exit 3 naming why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validateManifest } from '../../src/core/curriculum/validate';

const REPO = path.resolve(__dirname, '../..');
const JOB = path.join(REPO, 'jobs', 'gradients');
const PYTHON = process.env.CADC_PYTHON ?? '/usr/bin/python3';
const CLI = path.join(REPO, 'dist', 'cli.js');
const work = mkdtempSync(path.join(tmpdir(), 'cadc-grad-e2e-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const rows = readFileSync(path.join(REPO, 'test/fixtures/llava-eval-pool/llava-eval-pool.jsonl'), 'utf8').split('\n').slice(0, 60);
rows.splice(10, 0, '{"not json');
rows.splice(30, 0, '{"id": "x", "conversations": 5}');
const DATA = `${rows.join('\n')}\n`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs the job with `world` ranks, each a process started as torchrun starts it. */
async function runJob(world: number, dataset: string, out: string, checkpoints: string[]): Promise<void> {
  const port = await freePort();
  const args = ['-m', 'cadc_gradients', 'run', dataset, '--out', out, '--model', 'tiny', '--shard-size', '16', '--batch-size', '8'];
  args.push('--max-tokens', '512', '--dim', '64', '--threads', '1', '--timeout', '120');
  checkpoints.forEach((c, t) => args.push('--checkpoint', c, '--lr', String([0.003, 0.001][t])));
  const ranks = Array.from({ length: world }, (_, r) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: JOB, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };
    if (world > 1)
      Object.assign(env, {
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        RANK: String(r),
        WORLD_SIZE: String(world),
        LOCAL_RANK: String(r),
      });
    const p = spawn(PYTHON, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    p.stdout.on('data', (d) => (log += d));
    p.stderr.on('data', (d) => (log += d));
    return new Promise<void>((resolve, reject) =>
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rank ${r} exited ${code}:\n${log}`)))),
    );
  });
  await Promise.all(ranks);
}

function cadc(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: path.join(work, 'xdg') } });
}

/** A run folder: the dataset and (after the job) grads/ beside it, so every manifest path is the same relative path. */
function runFolder(name: string): { dir: string; data: string; grads: string; out: string } {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'data.jsonl'), DATA);
  return { dir, data: path.join(dir, 'data.jsonl'), grads: path.join(dir, 'grads'), out: path.join(dir, 'curation') };
}

let checkpoints: string[] = [];
const one = runFolder('one');
const two = runFolder('two');

test.before(async () => {
  const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'cli'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const ck = spawnSync(
    PYTHON,
    [
      '-c',
      `import sys; sys.path[:0] = ['${JOB}/tests', '${JOB}']\nfrom conftest import make_checkpoints\nprint('\\n'.join(make_checkpoints(sys.argv[1])[0]))`,
      work,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(ck.status, 0, ck.stderr);
  checkpoints = ck.stdout.trim().split('\n');
  await Promise.all([runJob(1, one.data, one.grads, checkpoints), runJob(2, two.data, two.grads, checkpoints)]);
});

test('the job on 1 and on 2 ranks imports into byte-identical manifests that record the gradient source', () => {
  const manifests = [one, two].map((f) => {
    const r = cadc(['curate', f.data, '--gradients', f.grads, '--out', f.out, '--budget', '20%', '--no-cache', '--quiet', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { manifest: string; samples: number; invalidLines: number };
    assert.equal(res.samples, 60);
    assert.equal(res.invalidLines, 2, 'the two invalid lines: skipped by the job and by the engine alike');
    return readFileSync(res.manifest, 'utf8');
  });
  assert.equal(manifests[1], manifests[0]);
  const m = JSON.parse(manifests[0]);
  assert.deepEqual(validateManifest(m), { valid: true, errors: [] });
  const index = JSON.parse(readFileSync(path.join(one.grads, 'index.json'), 'utf8'));
  assert.equal(m.gradients.index, '../grads/index.json');
  assert.equal(m.gradients.model, 'tiny-vlm');
  assert.equal(m.gradients.dims, 64);
  assert.deepEqual(
    m.gradients.layers,
    index.layers.modules.map((x: { name: string }) => x.name),
  );
  assert.deepEqual(m.gradients.checkpoints, [
    { path: checkpoints[0], eta: 0.003 },
    { path: checkpoints[1], eta: 0.001 },
  ]);
  assert.equal(m.proxy.warmupSamples, 0);
  // The built-in proxy on the same file gives another manifest (the import is what was used).
  const proxy = cadc(['curate', one.data, '--out', path.join(one.dir, 'proxy'), '--budget', '20%', '--no-cache', '--quiet', '--json']);
  assert.equal(proxy.status, 0, proxy.stderr);
  const pm = JSON.parse(readFileSync(JSON.parse(proxy.stdout).manifest, 'utf8'));
  assert.equal(pm.gradients, undefined);
  assert.ok(pm.proxy.warmupSamples > 0);
});

test('a truncated shard exits 3 naming the file and its expected and actual bytes', () => {
  const f = runFolder('truncated');
  cpSync(one.grads, f.grads, { recursive: true });
  const shard = path.join(f.grads, 'shard-00001.traj.npy');
  const size = statSync(shard).size;
  truncateSync(shard, size - 1000);
  const r = cadc(['curate', f.data, '--gradients', f.grads, '--out', f.out, '--no-cache', '--quiet']);
  assert.equal(r.status, 3, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`shard-00001\\.traj\\.npy is truncated: ${size - 1000} bytes on disk, index\\.json says ${size} \\(1000 missing\\)`),
  );
});

test('gradients computed for other bytes of the dataset exit 3 with both hashes', () => {
  const f = runFolder('other-bytes');
  cpSync(one.grads, f.grads, { recursive: true });
  writeFileSync(f.data, DATA.replace('"conversations"', '"conversations" '));
  const r = cadc(['curate', f.data, '--gradients', f.grads, '--out', f.out, '--no-cache', '--quiet']);
  assert.equal(r.status, 3, r.stderr);
  assert.match(
    r.stderr,
    /were computed for another dataset: index\.json's dataset sha256 is [0-9a-f]{64} \(data\.jsonl\), data\.jsonl's is [0-9a-f]{64}/,
  );
});

test('an index that misses a sample line exits 3 naming the line', () => {
  const f = runFolder('missing-line');
  cpSync(one.grads, f.grads, { recursive: true });
  // Drop the fourth sample of shard 0 from its arrays and the index (sizes, hashes and ranges made consistent again).
  const py = spawnSync(
    PYTHON,
    [
      '-c',
      `
import hashlib, io, json, os, sys
import numpy as np
d = sys.argv[1]
ix = json.load(open(os.path.join(d, "index.json")))
s0 = ix["shards"][0]
dropped = None
for key, f in s0["files"].items():
    a = np.load(os.path.join(d, f["file"]))
    if key == "line": dropped = int(a[3])
    a = np.delete(a, 3, axis=0)
    buf = io.BytesIO(); np.save(buf, a); data = buf.getvalue()
    open(os.path.join(d, f["file"]), "wb").write(data)
    f.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), shape=list(a.shape))
for i, s in enumerate(ix["shards"]):
    s["samples"] = [s["samples"][0] - (i > 0), s["samples"][1] - 1]
ix["samples"] -= 1; ix["dataset"]["samples"] -= 1
json.dump(ix, open(os.path.join(d, "index.json"), "w"))
print(dropped)
`,
      f.grads,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const line = Number(py.stdout.trim());
  const r = cadc(['curate', f.data, '--gradients', f.grads, '--out', f.out, '--no-cache', '--quiet', '--json']);
  assert.equal(r.status, 3, r.stderr);
  const err = JSON.parse(r.stdout).error as { code: string; exit: number; message: string };
  assert.equal(err.code, 'gradients-coverage');
  assert.equal(err.exit, 3);
  assert.match(err.message, new RegExp(`the gradients do not cover 1 sample line\\(s\\) of the dataset: ${line}$`));
});
