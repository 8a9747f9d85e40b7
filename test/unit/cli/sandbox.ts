// Shared setup of the CLI end-to-end tests: the CLI bundle is built before the file's tests, each
// file gets its own temporary folder (and cache inside it, never the user's), removed afterwards.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export { FIXTURES } from '../helpers';

export const REPO = resolve(__dirname, '../../..');
export const CLI = join(REPO, 'dist/cli.js');

export interface CliSandbox {
  /** The file's temporary folder. */
  out: string;
  /** Runs the built `cadc` with these arguments (cache under `out`). */
  cadc(args: string[]): SpawnSyncReturns<string>;
}

export function cliSandbox(prefix: string): CliSandbox {
  const out = mkdtempSync(join(tmpdir(), prefix));
  before(() => {
    const b = spawnSync(process.execPath, ['esbuild.config.mjs', '--only', 'cli'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  });
  after(() => rmSync(out, { recursive: true, force: true }));
  return {
    out,
    cadc: (args) =>
      spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(out, 'xdg') } }),
  };
}
