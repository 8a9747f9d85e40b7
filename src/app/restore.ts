// The restore use case: a committed manifest (cadc.manifest/v1) back into a curation the editor can
// show. The pure parts (read and validate a manifest, find its dataset, compare a selection with the
// manifest's) are shared by the extension (which restores from the cache or from the manifest alone)
// and the backend, which re-runs the engine with the manifest's config and seed when the cache has no
// table for it (restoreByRerun) and says whether the re-run selected the same samples.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ManifestV1 } from '../core/curriculum/types';
import { validateManifest } from '../core/curriculum/validate';
import { configureOrt } from '../core/ort/session';
import { fileSha256 } from '../core/pipeline/fileHash';
import { runCuration } from '../core/pipeline/run';
import { stableStringify } from '../core/util/stableJson';
import type { CurateParams, RestoreParams, RestoreResult } from '../protocol/backend';
import { configFromArgs, curationInputFromArgs } from './curate';
import type { RunHooks } from './curate';

/** Manifests larger than this are not read (a real one is ~100 bytes per selected sample). */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export type ManifestRead = { manifest: ManifestV1; errors?: undefined } | { manifest?: undefined; errors: string[] };

/** A manifest's text parsed and validated (schema + invariants); the errors otherwise. */
export function parseManifest(text: string): ManifestRead {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return { errors: [`not JSON: ${(e as Error).message}`] };
  }
  const v = validateManifest(obj);
  return v.valid ? { manifest: obj as ManifestV1 } : { errors: v.errors.slice(0, 5) };
}

/** Reads and validates a manifest file (size-capped). */
export async function readManifestFile(file: string): Promise<ManifestRead> {
  try {
    const size = statSync(file).size;
    if (size > MAX_MANIFEST_BYTES) return { errors: [`${size} bytes, more than a manifest can be`] };
    return parseManifest(await readFile(file, 'utf8'));
  } catch (e) {
    return { errors: [(e as Error).message] };
  }
}

/**
 * Where a manifest's dataset may be, in the order tried: its `dataset.path` relative to the
 * manifest's folder (what the extension and the CLI write), then relative to the workspace folder
 * (the older reading of the field). An absolute path, or one that leaves the workspace, is refused.
 */
export function datasetCandidates(manifestFile: string, datasetPath: string, workspaceRoot?: string): string[] {
  if (!datasetPath || path.isAbsolute(datasetPath) || /^[a-zA-Z]:/.test(datasetPath) || datasetPath.includes('\0')) return [];
  const rel = datasetPath.split('/').join(path.sep);
  const bases = [path.dirname(path.resolve(manifestFile)), ...(workspaceRoot ? [path.resolve(workspaceRoot)] : [])];
  const out: string[] = [];
  for (const b of bases) {
    const p = path.resolve(b, rel);
    if (workspaceRoot && !inside(path.resolve(workspaceRoot), p)) continue;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** The first candidate that is an existing file, or a folder of Parquet shards, or undefined. */
export function findDataset(manifestFile: string, datasetPath: string, workspaceRoot?: string): string | undefined {
  return datasetCandidates(manifestFile, datasetPath, workspaceRoot).find((p) => {
    try {
      if (!existsSync(p)) return false;
      const st = statSync(p);
      return st.isFile() || (st.isDirectory() && readdirSync(p).some((n) => n.endsWith('.parquet')));
    } catch {
      return false;
    }
  });
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** The manifest's selection: stage id per selected line (1-based lines). */
export function manifestSelection(m: Pick<ManifestV1, 'stages'>): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of m.stages) for (const x of s.samples) out.set(x.line, s.id);
  return out;
}

export interface SelectionDiff {
  same: boolean;
  /** Lines the manifest selects and the other does not. */
  missing: number;
  /** Lines the other selects and the manifest does not. */
  extra: number;
  /** Lines both select, in different stages. */
  moved: number;
  /** One sentence: what differs (empty when the selections are the same). */
  message: string;
}

/** Compares a selection (line → stage id, or null when not selected) with the manifest's. */
export function compareSelection(expected: Map<number, string>, actual: Iterable<{ line: number; stage: string | null }>): SelectionDiff {
  let extra = 0;
  let moved = 0;
  let found = 0;
  for (const r of actual) {
    if (!r.stage) continue;
    const want = expected.get(r.line);
    if (want === undefined) extra++;
    else {
      found++;
      if (want !== r.stage) moved++;
    }
  }
  const missing = expected.size - found;
  const same = missing === 0 && extra === 0 && moved === 0;
  const parts = [
    missing ? `${missing} selected sample(s) of the manifest not selected` : '',
    extra ? `${extra} other sample(s) selected` : '',
    moved ? `${moved} sample(s) in another stage` : '',
  ].filter(Boolean);
  return { same, missing, extra, moved, message: same ? '' : parts.join(', ') };
}

/**
 * The curate parameters that describe a manifest's run (its config, seed, probe and scores files),
 * with the rest (dataset, cache, image root, format) as given; undefined when the manifest's config
 * is not one that curate's options can express (then Compare cannot re-use it). Checked by a round
 * trip: the parameters' config must equal the manifest's.
 */
export function curateParamsFromManifest(
  manifestFile: string,
  m: ManifestV1,
  fixed: Pick<CurateParams, 'dataset' | 'format' | 'cache'> & Partial<CurateParams>,
): CurateParams | undefined {
  const c = m.config;
  const a = c.curriculum.alignment;
  const sel = c.selection;
  const base = path.dirname(path.resolve(manifestFile));
  const params: CurateParams = {
    out: base,
    attributions: false,
    force: false,
    ...fixed,
    seed: c.seed,
    budget: c.budget,
    ...(c.budgetUnit ? { budgetUnit: c.budgetUnit } : {}),
    strategy: c.strategy,
    capabilities: c.capabilities.k,
    // Manifests written before the proxy ensemble have no key: their graph had one proxy.
    proxies: c.capabilities.proxies ?? 1,
    within: sel.within,
    balance: sel.balance,
    selfInfluenceDrop: sel.dropTopSelfInfluence,
    iconsPercentile: sel.iconsPercentile,
    lossBand: [sel.lossBand[0], sel.lossBand[1]],
    ...(sel.taskField !== undefined ? { taskField: sel.taskField } : {}),
    ...(sel.styleField !== undefined ? { styleField: sel.styleField } : {}),
    // Manifests written before the flagged-sample filter have no key (their selection included them).
    includeFlagged: sel.includeFlagged ?? true,
    alignment: a.enabled === 'auto' ? 'auto' : a.enabled ? 'on' : 'off',
    alignmentSize: a.size,
    ...(a.predicate === 'label' && a.field && a.values
      ? { alignmentLabel: { field: a.field, values: [...a.values] } }
      : { alignmentMinChars: a.minAnswerChars }),
    ...(m.probe.file ? { probe: path.resolve(base, m.probe.file) } : {}),
    ...(m.scores?.file ? { scores: path.resolve(base, m.scores.file) } : {}),
    // A run on a gradient job's trajectories re-runs on the same folder (its index.json's folder).
    ...(m.gradients?.index ? { gradients: path.dirname(path.resolve(base, m.gradients.index)) } : {}),
  };
  // A manifest from before the proxy ensemble ran with one proxy: compared as the config that says so.
  const asRun = { ...c, capabilities: { proxies: 1, ...c.capabilities } };
  return stableStringify(configFromArgs(params)) === stableStringify(asRun) ? params : undefined;
}

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

/**
 * Re-runs the engine with the manifest's config and seed (through the cache, which then holds the
 * run's attribution table) and compares the selection with the manifest's. Writes no manifest.
 */
export async function restoreByRerun(params: RestoreParams, hooks: RunHooks = {}): Promise<RestoreResult> {
  const read = await readManifestFile(params.manifest);
  if (!read.manifest) throw new RestoreRefused(`${params.manifest} is not a valid manifest: ${read.errors.join('; ')}`);
  const m = read.manifest;
  const base = path.dirname(path.resolve(params.manifest));
  // Files the manifest's run read besides the dataset, where it recorded them (relative to its base).
  const extra = (f: string | undefined, what: string) => {
    if (!f) return undefined;
    const p = path.resolve(base, f);
    if (!existsSync(p)) throw new RestoreRefused(`the manifest's ${what} ${f} is not there; re-curate to replace the manifest`);
    return p;
  };
  const curate: CurateParams = {
    ...params.curate,
    probe: extra(m.probe.file, 'probe file'),
    scores: extra(m.scores?.file, 'scores file'),
  };
  configureOrt({ telemetry: false });
  const input = { ...curationInputFromArgs(curate, base, hooks), config: m.config };
  if ((await fileSha256(input.datasetPath, hooks.signal)) !== m.dataset.sha256)
    throw new RestoreRefused(`${path.basename(input.datasetPath)} changed since the manifest (its sha256 differs)`);
  const run = await runCuration(input);
  if (run.summary.sha256 !== m.dataset.sha256)
    throw new RestoreRefused(`${path.basename(input.datasetPath)} changed since the manifest (its sha256 differs)`);
  const diff = compareSelection(
    manifestSelection(m),
    Array.from(manifestSelection(run.manifest), ([line, stage]) => ({ line, stage })),
  );
  return {
    manifest: path.resolve(params.manifest),
    dataset: input.datasetPath,
    sha256: run.summary.sha256,
    cacheDir: input.cacheDir,
    samples: run.summary.samples,
    selected: run.selection.selected.length,
    same: diff.same,
    difference: diff.message,
  };
}
