// The export use case (`cadc export`, "CADC: Export Curriculum"): a manifest's stages written as
// files a training framework reads (src/core/export/formats.ts), with a README on training stage by
// stage (and LLaMA-Factory's dataset_info.json). The manifest is untrusted input: it must pass the
// schema. The dataset is read once, streamed; a sample is taken when its line is in a stage and its
// id is the manifest's (else the dataset changed and nothing is written). Embedded (Parquet) images
// go to `images/` in the export folder, named by their content. Every file is written atomically;
// an existing file is replaced only with `force` (the extension asks first).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ManifestV1 } from '../core/curriculum/types';
import { validateManifest } from '../core/curriculum/validate';
import { readDataset } from '../core/dataset/reader';
import type { Sample } from '../core/dataset/types';
import { exportRecord, llamaFactoryInfo, stageFileName, stageFileText } from '../core/export/formats';
import type { ExportFormat, ExportSample } from '../core/export/formats';
import { exportReadme } from '../core/export/readme';
import { FileExistsError, writeFileAtomic } from '../core/util/atomicFile';
import { EXIT, existsFailure, failureOutcome, usageFailure } from './outcome';
import type { Failure } from './outcome';

export interface ExportRequest {
  /** The manifest (`<stem>.cadc.json`). */
  manifest: string;
  format: ExportFormat;
  /** The export folder; default `<manifest's folder>/<stem>.<format>/`. */
  out?: string;
  /** Replace existing files. */
  force: boolean;
  /** Folder the dataset's image paths resolve against (as for curate); default the dataset's folder. */
  imageRoot?: string;
  signal?: AbortSignal;
}

export interface ExportResult {
  out: string;
  format: ExportFormat;
  /** Every file written (stage files, README.md, dataset_info.json), in that order; images apart. */
  files: string[];
  stages: { id: string; name: string; samples: number; file: string }[];
  /** Embedded images written to `images/` (distinct contents). */
  images: number;
  /** System turns left out (LLaVA has none). */
  droppedSystem: number;
  /** `<image>` tokens added to samples whose text named none. */
  addedTokens: number;
  /** Image references left out: outside the image root or not a usable path. */
  droppedImages: number;
}

/** The manifest cannot be exported as asked (not a manifest, its dataset changed, …): exit 3. */
export class ExportRefused extends Error {
  override name = 'ExportRefused';
}

export interface ExportPlan {
  manifest: ManifestV1;
  manifestPath: string;
  dataset: string;
  stem: string;
  out: string;
  /** The files of the export besides images, in writing order. */
  targets: string[];
  /** Those that exist already (replaced only with force). */
  existing: string[];
}

/** Reads and checks the manifest and lists what the export writes, before anything is touched. */
export function planExport(req: Pick<ExportRequest, 'manifest' | 'format' | 'out'>): ExportPlan {
  const manifestPath = path.resolve(req.manifest);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new ExportRefused(`${path.basename(manifestPath)} cannot be read as JSON: ${(e as Error).message}`);
  }
  const { valid, errors } = validateManifest(parsed);
  if (!valid) throw new ExportRefused(`${path.basename(manifestPath)} is not a valid cadc.manifest/v1: ${errors.slice(0, 3).join('; ')}`);
  const manifest = parsed as ManifestV1;
  const stem = path
    .basename(manifestPath)
    .replace(/\.cadc\.json$/, '')
    .replace(/\.json$/, '');
  const out = path.resolve(req.out ?? path.join(path.dirname(manifestPath), `${stem}.${req.format}`));
  const dataset = path.resolve(path.dirname(manifestPath), manifest.dataset.path);
  const targets = [
    ...manifest.stages.map((s) => path.join(out, stageFileName(stem, s.id, req.format))),
    path.join(out, 'README.md'),
    ...(req.format === 'llama-factory' ? [path.join(out, 'dataset_info.json')] : []),
  ];
  return { manifest, manifestPath, dataset, stem, out, targets, existing: targets.filter((f) => existsSync(f)) };
}

function imageExtension(b: Uint8Array): string {
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'webp';
  if (b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return 'bin';
}

const posix = (p: string) => p.split(path.sep).join('/');

/** Runs the export; throws ExportRefused, FileExistsError (an existing file without force), DatasetReadError. */
export async function runExport(req: ExportRequest): Promise<ExportResult> {
  const plan = planExport(req);
  if (plan.existing.length > 0 && !req.force) throw new FileExistsError(plan.existing[0]);
  const { manifest, out, stem } = plan;
  mkdirSync(out, { recursive: true });
  const wanted = new Map<number, string>();
  for (const s of manifest.stages) for (const x of s.samples) wanted.set(x.line, x.id);
  const picked = new Map<number, ExportSample>();
  const imagesWritten = new Set<string>();
  let droppedImages = 0;
  const imageDir = path.join(out, 'images');
  const embeddedPath = (bytes: Uint8Array): string => {
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}.${imageExtension(bytes)}`;
    const file = path.join(imageDir, name);
    if (!imagesWritten.has(name)) {
      if (existsSync(file)) {
        const same = Buffer.compare(readFileSync(file), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) === 0;
        if (!same && !req.force) throw new FileExistsError(file);
        if (!same) writeFileAtomic(file, bytes);
      } else {
        mkdirSync(imageDir, { recursive: true });
        writeFileAtomic(file, bytes, { replace: false });
      }
      imagesWritten.add(name);
    }
    return `images/${name}`;
  };
  const onSample = (s: Sample) => {
    const id = wanted.get(s.line);
    if (id === undefined) return;
    if (id !== s.id)
      throw new ExportRefused(
        `line ${s.line} of the dataset is ${JSON.stringify(s.id)}, but the manifest has ${JSON.stringify(id)} there: the dataset changed since the curation; nothing was exported.`,
      );
    const images: string[] = [];
    for (const im of s.images) {
      if (im.bytes) images.push(embeddedPath(im.bytes));
      else if (im.problem === 'remote') images.push(im.raw);
      else if (im.path && (im.problem === undefined || im.problem === 'missing')) images.push(posix(path.relative(out, im.path)));
      else droppedImages++;
    }
    picked.set(s.line, { id: s.id, turns: s.turns, images });
  };
  await readDataset(plan.dataset, { imageRoot: req.imageRoot, signal: req.signal }, onSample);
  const missing = [...wanted.keys()].filter((l) => !picked.has(l));
  if (missing.length > 0)
    throw new ExportRefused(
      `${missing.length} sample(s) of the manifest are not valid records of the dataset any more (first: line ${missing[0]}): the dataset changed since the curation; nothing was exported.`,
    );
  let droppedSystem = 0;
  let addedTokens = 0;
  const files: string[] = [];
  const stages: ExportResult['stages'] = [];
  for (const [k, st] of manifest.stages.entries()) {
    const records = st.samples.map((x) => {
      const r = exportRecord(req.format, picked.get(x.line)!);
      droppedSystem += r.droppedSystem;
      addedTokens += r.addedTokens;
      return r.record;
    });
    writeFileAtomic(plan.targets[k], stageFileText(req.format, records), { replace: req.force });
    files.push(plan.targets[k]);
    stages.push({ id: st.id, name: st.name, samples: records.length, file: path.basename(plan.targets[k]) });
  }
  const readme = exportReadme({
    format: req.format,
    stem,
    manifest: posix(path.relative(out, plan.manifestPath)),
    dataset: posix(path.relative(out, plan.dataset)),
    stages: stages.map((s) => ({ id: s.id, name: s.name, samples: s.samples })),
    embeddedImages: imagesWritten.size,
  });
  const readmeFile = path.join(out, 'README.md');
  writeFileAtomic(readmeFile, readme, { replace: req.force });
  files.push(readmeFile);
  if (req.format === 'llama-factory') {
    const info = path.join(out, 'dataset_info.json');
    writeFileAtomic(info, `${JSON.stringify(llamaFactoryInfo(stem, manifest.stages), null, 2)}\n`, { replace: req.force });
    files.push(info);
  }
  return { out, format: req.format, files, stages, images: imagesWritten.size, droppedSystem, addedTokens, droppedImages };
}

/** The CLI's export: the result, or the failure with its exit code (3 refused/unreadable, 4 exists). */
export async function exportToFiles(req: ExportRequest): Promise<{ code: number; result?: ExportResult } & Partial<Failure>> {
  try {
    return { code: EXIT.ok, result: await runExport(req) };
  } catch (e) {
    if (e instanceof ExportRefused) return { code: EXIT.unreadable, reason: 'refused', message: e.message };
    if (e instanceof FileExistsError) return existsFailure(e.file);
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && !existsSync(path.resolve(req.manifest)))
      return usageFailure(`the manifest ${req.manifest} does not exist`);
    return failureOutcome(e, 'export', `cannot read the dataset of ${req.manifest}`);
  }
}
