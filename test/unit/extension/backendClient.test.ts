// The extension's backend client against the real backend process (dist/backend.js, built here):
// a second job the backend refuses must neither receive the first job's progress nor silence it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationToken } from 'vscode-jsonrpc/node';
import type * as vscode from 'vscode';
import type { ProgressEvent } from '../../../src/core/runtime/progress';
import { BackendClient } from '../../../src/extension/backendClient';
import type { CurateParams } from '../../../src/protocol/backend';

const REPO = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'cadc-backend-'));
const logged: string[] = [];
const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(`warn ${m}`), error: (m: string) => logged.push(`error ${m}`) };
let client: BackendClient;

before(() => {
  const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'backend'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  writeFileSync(path.join(dir, 'd.jsonl'), readFileSync(path.join(REPO, 'demo', 'demo.jsonl'), 'utf8').split('\n').slice(0, 300).join('\n') + '\n');
  client = new BackendClient(path.join(REPO, 'dist', 'backend.js'), log as unknown as vscode.LogOutputChannel);
});
after(() => {
  client.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const params = (out: string): CurateParams => ({
  dataset: path.join(dir, 'd.jsonl'),
  out: path.join(dir, out),
  budget: 0.2,
  strategy: 'cadc',
  capabilities: 'auto',
  seed: 42,
  format: 'auto',
  attributions: false,
  force: true,
  cache: null,
  selfInfluenceDrop: 'auto',
  alignment: 'auto',
  alignmentSize: 1000,
});

test('a refused second job gets none of the first job’s progress, and the first keeps its own', async () => {
  const none = CancellationToken.None as unknown as vscode.CancellationToken;
  const first: ProgressEvent[] = [];
  const second: ProgressEvent[] = [];
  let firstCountAtRefusal = -1;
  let started!: () => void;
  const firstStarted = new Promise<void>((r) => (started = r));
  const job1 = client.curate(params('a'), none, (e) => {
    first.push(e);
    started();
  });
  await firstStarted;
  await assert.rejects(
    client.curate(params('b'), none, (e) => second.push(e)),
    /busy/,
  );
  firstCountAtRefusal = first.length;
  const result = await job1;
  assert.equal(result.samples, 300);
  assert.deepEqual(second, [], 'the refused job received no progress');
  assert.ok(first.length > firstCountAtRefusal, `the first job's progress kept arriving after the refusal (${firstCountAtRefusal} → ${first.length})`);
  assert.ok(first.some((e) => e.stage === 'select'), 'the first job saw its late stages');
  assert.ok(!logged.some((l) => l.startsWith('warn backend: ignored')), 'every backend message had its protocol shape');
});
