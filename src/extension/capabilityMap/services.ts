// What the Capability Map asks of the rest of the extension, wired to the session: the backend
// computes (overview, table pages, quality, compare), the session knows the run and its parameters.
import * as vscode from 'vscode';
import { reselect } from '../commands/reselect';
import { progressText, strategyItems } from '../curateCommand';
import type { SampleDocuments } from '../sampleDocuments';
import type { CurationSession } from '../session';
import type { MapServices } from './panel';

const UNTRUSTED = 'CADC does not run the engine in an untrusted workspace; trust the workspace to run it.';

/** What the map asks of the rest of the extension: the backend computes, the session knows the run. */
export function mapServices(
  context: vscode.ExtensionContext,
  s: CurationSession,
  log: vscode.LogOutputChannel,
  samples: SampleDocuments,
): MapServices {
  return {
    reveal: (source, line) => samples.reveal(source.dataset, line),
    image: async (source, line) => {
      // A hover must not fill the map with errors: a sample that cannot be read is a note on its image.
      const p = await samples.sample(source.dataset, line).catch((e: Error) => e);
      if (p instanceof Error) return { note: p.message.split('\n')[0] };
      const t = p.thumbnail;
      return t
        ? { dataUri: t.dataUri, width: t.width, height: t.height }
        : { note: p.images > 0 ? (p.imageProblem ?? 'image not read') : 'no image' };
    },
    overview: (source) => s.backend.mapOverview(source),
    layout: (source, progress) => s.backend.mapLayout(source, (p) => progress(p.fraction, p.message)),
    samples: (source, query) => s.backend.mapSamples(source, query),
    release: () => s.backend.mapRelease(),
    reselect: (budget) => void reselect(s, log, budget),
    strategies: () => strategyItems(context),
    placeholder: () => s.mapPlaceholder(),
    ensureRun: () => s.ensureRun(),
    quality: (source, token, progress) => {
      if (!vscode.workspace.isTrusted) throw new Error(UNTRUSTED);
      const params = s.lastParams(source.dataset);
      return s.backend.quality(
        {
          dataset: source.dataset,
          manifest: source.manifest,
          imageRoot: params?.imageRoot,
          confineTo: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(source.dataset))?.uri.fsPath,
          cacheDir: params?.cache ?? null,
          sha256: source.sha256,
        },
        token,
        (e) => progress(`Reading every sample… ${Math.round(e.fraction * 100)}%`),
      );
    },
    compare: async (source, strategies, token, progress) => {
      if (!vscode.workspace.isTrusted) throw new Error(UNTRUSTED);
      const params = s.lastParams(source.dataset);
      if (!params) throw new Error('Curate this dataset in this window first: Compare re-uses that run’s settings and cache.');
      return s.backend.compare({ ...params, strategies }, token, (e) => progress(progressText(e)));
    },
  };
}
