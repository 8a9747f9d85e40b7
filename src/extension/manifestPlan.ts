// What "Write Curriculum Manifest" may read and write, decided before anything is touched. A
// manifest is untrusted input (it sits in the workspace, anyone can commit one): it must pass the
// manifest schema and its invariants (so stage ids are s1..sN and dataset.path is relative), the
// command refuses in untrusted workspaces, and the manifest, its dataset and every stage subset
// resolve inside the manifest's workspace folder after following symlinks. Pure Node (no `vscode`).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ManifestV1 } from '../core/curriculum/types';
import { validateManifest } from '../core/curriculum/validate';
import { confinedFile, OutsideWorkspaceError } from './confine';

/** The command will not act on this manifest here; the message says why. */
export class ManifestRefused extends Error {
  override name = 'ManifestRefused';
}

export interface ManifestWritePlan {
  manifest: ManifestV1;
  /** The manifest as addressed (inside the workspace folder). */
  manifestPath: string;
  /** The dataset's real path inside the workspace folder (undefined when it is missing and no subset is written). */
  dataset: string | undefined;
  /** The dataset as the manifest names it, resolved against the manifest's folder (for the commit message). */
  datasetPath: string;
  /** One JSONL file per stage, beside the manifest, in stage order (empty without stage subsets). */
  targets: { stage: string; file: string }[];
}

const STAGE_ID = /^s[1-9][0-9]*$/;

export function planManifestWrite(opts: {
  trusted: boolean;
  workspaceRoot: string | undefined;
  manifestPath: string;
  stageSubsets: boolean;
}): ManifestWritePlan {
  if (!opts.trusted)
    throw new ManifestRefused('CADC does not write manifests or stage subsets in an untrusted workspace. Trust the workspace first.');
  const root = opts.workspaceRoot;
  if (!root) throw new ManifestRefused(`${opts.manifestPath} is not inside a workspace folder; open its folder to write it.`);
  try {
    const manifestReal = confinedFile(root, root, opts.manifestPath, 'The manifest');
    if (!manifestReal) throw new ManifestRefused(`${opts.manifestPath} does not exist.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(manifestReal, 'utf8'));
    } catch (e) {
      throw new ManifestRefused(`${path.basename(opts.manifestPath)} is not JSON: ${(e as Error).message}`);
    }
    const { valid, errors } = validateManifest(parsed);
    if (!valid)
      throw new ManifestRefused(`${path.basename(opts.manifestPath)} is not a valid cadc.manifest/v1: ${errors.slice(0, 3).join('; ')}`);
    const manifest = parsed as ManifestV1;
    const dir = path.dirname(opts.manifestPath);
    // The dataset is read only to copy stage lines; its path must stay inside the workspace either way.
    const dataset = confinedFile(root, path.dirname(manifestReal), manifest.dataset.path, 'The manifest’s dataset');
    if (!dataset && opts.stageSubsets) throw new ManifestRefused(`The manifest’s dataset ${manifest.dataset.path} does not exist.`);
    const stem = path.basename(opts.manifestPath).replace(/\.cadc\.json$/, '');
    const targets = opts.stageSubsets
      ? manifest.stages.map((s) => {
          // The schema already holds stage ids to s1..sN; checked again here because a file name is built from it.
          if (!STAGE_ID.test(s.id)) throw new ManifestRefused(`stage id ${JSON.stringify(s.id)} is not of the form s1, s2, …`);
          return { stage: s.id, file: path.join(dir, `${stem}.${s.id}.jsonl`) };
        })
      : [];
    return { manifest, manifestPath: opts.manifestPath, dataset, datasetPath: path.resolve(dir, manifest.dataset.path), targets };
  } catch (e) {
    if (e instanceof OutsideWorkspaceError) throw new ManifestRefused(e.message);
    throw e;
  }
}
