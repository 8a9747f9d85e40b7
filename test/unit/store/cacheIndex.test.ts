// Cache entries are untrusted input: every way an index or data file can be corrupt or hostile is a
// miss that is logged and deleted (never a different pool, a TypeError or a prototype property);
// large files are read in chunks; temp files of writers that died are removed when the cache opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { buildPool } from '../../../src/core/features/pool';
import { cacheIo, loadArrays, saveArrays } from '../../../src/core/store/arrays';
import { CurationCache } from '../../../src/core/store/cache';
import type { Logger } from '../../../src/core/runtime/log';
import { stableStringify } from '../../../src/core/util/stableJson';

const DEMO = join(__dirname, '../../../demo/demo.jsonl');

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), debug: () => undefined };
}

type Index = {
  arrays: { name: string; type: string; offset: number; length: number }[];
  extra: Record<string, unknown>;
  bytes: number;
  indexSha256: string;
};

/** Rewrites an index through `edit`, optionally with a recomputed (valid) index checksum: a forged index. */
function editIndex(file: string, edit: (side: Index) => void, forge: boolean): void {
  const side = JSON.parse(readFileSync(file, 'utf8')) as Index;
  edit(side);
  if (forge) {
    const { indexSha256: _, ...rest } = side;
    side.indexSha256 = createHash('sha256').update(stableStringify(rest)).digest('hex');
  }
  writeFileSync(file, JSON.stringify(side));
}

test('every corrupt or forged features index is a logged miss, deleted, never a different pool', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cacheidx-'));
  try {
    const { pool, summary } = await buildPool(DEMO, resolveConfig({ features: { images: false } }));
    const log = recorder();
    const cache = CurationCache.open(join(dir, 'cache'), log);
    const sha = summary.sha256;
    const folder = join(dir, 'cache', sha.slice(0, 16));
    const file = (ext: string) =>
      join(
        folder,
        readdirSync(folder).find((n) => n.startsWith('features-') && n.endsWith(ext))!,
      );
    const cases: [string, () => void][] = [
      ['an array length × 1000', () => editIndex(file('.json'), (s) => (s.arrays[0].length *= 1000), false)],
      ['a forged array length × 1000', () => editIndex(file('.json'), (s) => (s.arrays[0].length *= 1000), true)],
      ['a forged shorter array', () => editIndex(file('.json'), (s) => (s.arrays[0].length -= 1), true)],
      ['a forged misaligned offset', () => editIndex(file('.json'), (s) => (s.arrays[1].offset += 4), true)],
      ['a forged size', () => editIndex(file('.json'), (s) => (s.bytes += 8), true)],
      ['extra.ids = null', () => editIndex(file('.json'), (s) => (s.extra.ids = null), false)],
      ['a forged extra.ids = null', () => editIndex(file('.json'), (s) => (s.extra.ids = null), true)],
      ['a forged extra.n', () => editIndex(file('.json'), (s) => (s.extra.n = (s.extra.n as number) - 1), true)],
      ['a forged type: "constructor"', () => editIndex(file('.json'), (s) => (s.arrays[0].type = 'constructor'), true)],
      ['a forged type: "Float32Array" for an Int32Array', () => editIndex(file('.json'), (s) => (s.arrays[0].type = 'Float32Array'), true)],
      [
        'a __proto__ key in extra',
        () => writeFileSync(file('.json'), readFileSync(file('.json'), 'utf8').replace('"extra":{', '"extra":{"__proto__":{"n":1},')),
      ],
      [
        'a __proto__ label',
        () => writeFileSync(file('.json'), readFileSync(file('.json'), 'utf8').replace('"labels":{', '"labels":{"__proto__":["x"],')),
      ],
      ['bad JSON', () => writeFileSync(file('.json'), readFileSync(file('.json'), 'utf8').slice(0, 100))],
      [
        'a flipped data byte',
        () => {
          const b = readFileSync(file('.bin'));
          b[b.length >> 1] ^= 0x40;
          writeFileSync(file('.bin'), b);
        },
      ],
      ['a truncated data file', () => writeFileSync(file('.bin'), readFileSync(file('.bin')).subarray(0, 1000))],
      ['a data file 8 bytes longer', () => appendFileSync(file('.bin'), Buffer.alloc(8))],
      ['no data file', () => rmSync(file('.bin'))],
    ];
    for (const [what, corrupt] of cases) {
      await cache.saveFeatures(sha, { k: 1 }, pool, summary);
      assert.ok(await cache.loadFeatures(sha, { k: 1 }), `${what}: the intact entry loads`);
      corrupt();
      log.lines.length = 0;
      let hit: unknown;
      await assert.doesNotReject(async () => (hit = await cache.loadFeatures(sha, { k: 1 })), what);
      assert.equal(hit, undefined, `${what} is a miss`);
      assert.deepEqual(readdirSync(folder), [], `${what}: the entry is deleted`);
      assert.match(log.lines.join('\n'), /cache: features-\w+ .*; deleting it and rebuilding/, `${what} is logged`);
      assert.equal(({} as Record<string, unknown>).n, undefined, 'no prototype was touched');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hand-edited extra, or a forged attributions index, is a miss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cacheidx-'));
  try {
    const base = join(dir, 'x');
    saveArrays(base, 'k', 'key', { a: Float32Array.from([1, 2]) }, { hello: 'world' });
    editIndex(`${base}.json`, (s) => (s.extra = { hello: 'there' }), false);
    assert.equal(loadArrays(base, 'k', 'key'), undefined, 'an edited extra fails the index checksum');
    const log = recorder();
    const cache = CurationCache.open(join(dir, 'cache'), log);
    const sha = 'b'.repeat(64);
    const rows = [
      {
        line: 1,
        id: 'a',
        capability: 'c1',
        influence: { c1: 0.5 },
        selfInfluence: 1,
        loss: 1,
        style: 'yes/no',
        selected: false,
        stage: null,
      },
    ];
    await cache.saveAttributions(sha, rows);
    editIndex(join(dir, 'cache', sha.slice(0, 16), 'attributions.json'), (s) => (s.extra = { rows: null }), true);
    assert.equal(await cache.openAttributions(sha), undefined, 'attributions with a forged extra');
    await cache.saveAttributions(sha, rows);
    editIndex(join(dir, 'cache', sha.slice(0, 16), 'attributions.json'), (s) => (s.arrays[0].name = 'constructor'), true);
    assert.equal(await cache.openAttributions(sha), undefined, 'attributions with an array named constructor');
    assert.deepEqual(readdirSync(join(dir, 'cache', sha.slice(0, 16))), []);
    await cache.saveAttributions(sha, rows);
    const t = await cache.openAttributions(sha);
    assert.equal(t?.at(1)?.id, 'a', 'saving again works');
    t?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('entries are read in chunks no larger than cacheIo.chunkBytes (the 2 GiB readFileSync limit, scaled down)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cacheidx-'));
  const saved = { ...cacheIo };
  try {
    const limit = 64;
    cacheIo.chunkBytes = limit;
    const reads: number[] = [];
    cacheIo.readSync = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number) => {
      if (len > limit) throw new RangeError(`a read of ${len} bytes is over the limit`);
      reads.push(len);
      return saved.readSync(fd, buf, off, len, pos);
    }) as typeof cacheIo.readSync;
    const big = Float64Array.from({ length: 1000 }, (_, i) => i * 1.5);
    const odd = Uint8Array.from({ length: 13 }, (_, i) => i);
    saveArrays(join(dir, 'x'), 'k', 'key', { odd, big }, null);
    const hit = loadArrays(join(dir, 'x'), 'k', 'key');
    assert.ok(hit, 'a file larger than one read loads');
    assert.deepEqual(hit.arrays.big, big);
    assert.deepEqual(hit.arrays.odd, odd);
    assert.ok(reads.length >= 8000 / limit, `${reads.length} reads`);
  } finally {
    Object.assign(cacheIo, saved);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("opening the cache removes temp files of writers that died (both patterns), not those of live ones, and schema 1's attributions.sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-cacheidx-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const sub = join(dir, 'c312718db65bccaa');
    mkdirSync(sub);
    const stale = [`.features-1.bin.cadc-${dead}-0123abcd.tmp`, `features-1.bin.${dead}.tmp`, `attributions.sqlite.${dead}.tmp`];
    const live = [`.features-2.bin.cadc-${process.pid}-0123abcd.tmp`, `features-2.bin.${process.pid}.tmp`, 'features-3.bin', 'notes.tmp'];
    for (const n of [...stale, ...live]) writeFileSync(join(sub, n), 'x');
    writeFileSync(join(dir, `.top.cadc-${dead}-0123abcd.tmp`), 'x');
    writeFileSync(join(sub, 'attributions.sqlite'), 'x'); // schema 1's table, superseded
    const log = recorder();
    CurationCache.open(dir, log);
    assert.deepEqual(readdirSync(sub).sort(), [...live].sort());
    assert.equal(existsSync(join(dir, `.top.cadc-${dead}-0123abcd.tmp`)), false);
    assert.match(log.lines.join('\n'), /removed 4 temp file\(s\) left by writers that died/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
