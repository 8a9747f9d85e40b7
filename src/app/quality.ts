// The quality use case of the extension (the backend's `quality` job): the VLIT quality report of a
// dataset and of a manifest's selection, per capability over the whole pool when the run's cache has
// its attribution table.
import { capabilityId } from '../core/capabilities/ids';
import type { Logger } from '../core/runtime/log';
import { buildQualityReport } from '../core/report/report';
import type { QualityReport } from '../core/report/types';
import { openCurationCache } from '../core/store/cache';
import type { QualityParams } from '../protocol/backend';
import type { RunHooks } from './curate';

/** Every sample's capability (by line) from the run's cached attribution table, if the cache has it. */
async function capabilitiesFromCache(cacheDir: string, sha256: string, log?: Logger): Promise<{ ofLine: Map<number, string> } | undefined> {
  const cache = await openCurationCache(cacheDir, log);
  try {
    const table = await cache.openAttributions(sha256);
    if (!table) return undefined;
    const ofLine = new Map<number, string>();
    for (const r of table.scan()) ofLine.set(r.line, capabilityId(r.cap));
    return { ofLine };
  } finally {
    cache.close();
  }
}

export async function qualityReport(params: QualityParams, hooks: RunHooks = {}): Promise<QualityReport> {
  // Per-capability figures over the whole pool need every sample's capability: the run's table.
  const capabilities =
    params.cacheDir && params.sha256 ? await capabilitiesFromCache(params.cacheDir, params.sha256, hooks.log) : undefined;
  return buildQualityReport(params.dataset, {
    manifest: params.manifest,
    imageRoot: params.imageRoot,
    confineTo: params.confineTo,
    ...(capabilities ? { capabilities } : {}),
    signal: hooks.signal,
    onProgress: (read, totalBytes) => hooks.onProgress?.({ stage: 'read', fraction: totalBytes ? read / totalBytes : 0 }),
  });
}
