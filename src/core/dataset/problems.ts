// Problems as a summary: per diagnostic code one object — how many, out of how many, the first
// lines, the likely cause and the fix (with a machine-readable action where a setting fixes it) —
// instead of one line per record. The CLI prints these, the curate result carries them, the
// extension shows one notification per serious one. Pure: no I/O.
import { thousands } from '../util/format';
import { SAMPLE_FLAG } from './types';
import type { DatasetSummary, DiagnosticCode, DiagnosticSeverity } from './types';

/** Which diagnostic code each per-sample flag bit (Sample.flags, Pool.flags) stands for. */
export const FLAG_CODES: readonly { bit: number; code: DiagnosticCode }[] = [
  { bit: SAMPLE_FLAG.missingImage, code: 'missing-image' },
  { bit: SAMPLE_FLAG.imageOutsideRoot, code: 'image-outside-root' },
  { bit: SAMPLE_FLAG.imageTokenMismatch, code: 'image-token-mismatch' },
];

/** A fix the editor can run: pick a folder and store it (workspace-folder scope) in the setting. */
export interface ProblemAction {
  setting: 'cadc.dataset.imageRoot';
  action: 'pickFolder';
}

export type ProblemUnit = 'image paths' | 'samples' | 'records' | 'file';

export interface ProblemSummary {
  code: DiagnosticCode;
  severity: DiagnosticSeverity;
  /** Diagnostics of this code (all of them, including those not kept per line). */
  count: number;
  /** What `count` is out of (image references, valid samples, records); absent for a note on the whole file. */
  total?: number;
  unit: ProblemUnit;
  /** The first lines (1-based, ascending) with this problem, at most FIRST_LINES. */
  lines: number[];
  /** Per-line diagnostics of this code that were kept (the rest are counted only). */
  shown: number;
  /** One sentence with the numbers: "45,480 of 45,480 image paths do not resolve". */
  headline: string;
  /** The likely cause. */
  cause: string;
  /** What to do about it (setting and CLI flag named). */
  fix: string;
  action?: ProblemAction;
  /** Samples with this problem are left out of the selection (flagged, and flagged samples not included). */
  excludesSamples: boolean;
  /** Worth naming in the result message: an error, samples left out, or no image resolving at all. */
  serious: boolean;
}

/** Lines listed per summary. */
export const FIRST_LINES = 5;

interface Rule {
  unit: ProblemUnit;
  /** The headline after "count of total": e.g. "image paths do not resolve". */
  what: string;
  cause: (count: number, total: number | undefined) => string;
  fix: (count: number, total: number | undefined) => string;
  action?: (count: number, total: number | undefined) => boolean;
}

const IMAGE_ROOT_FIX = 'set cadc.dataset.imageRoot (CLI: --image-root DIR) to the folder the image paths are relative to';
const LEFT_OUT = 'these samples are not selected unless cadc.selection.includeFlagged is on (CLI: --include-flagged)';
const SKIPPED = 'the records are skipped; fix or remove those lines';
/** Most of the image paths failing points at the image root rather than at single files. */
const mostly = (count: number, total: number | undefined) => total !== undefined && total > 0 && count * 2 >= total;

const RULES: Record<DiagnosticCode, Rule> = {
  'missing-image': {
    unit: 'image paths',
    what: 'image paths do not resolve to a readable image',
    cause: (c, t) =>
      c === t
        ? 'none of the images is where its path points: the paths are probably relative to another folder than the image root (by default the dataset’s folder)'
        : mostly(c, t)
          ? 'most images are not where their paths point: the image root is probably not the folder the paths are relative to'
          : 'those image files are missing on disk, empty or invalid paths, or files that could not be decoded',
    fix: (c, t) => (mostly(c, t) ? `${IMAGE_ROOT_FIX}; until then ${LEFT_OUT}` : `restore the files or fix the paths; ${LEFT_OUT}`),
    action: mostly,
  },
  'image-outside-root': {
    unit: 'image paths',
    what: 'image paths leave the image root and are ignored',
    cause: () => 'the paths climb out of the image root or the workspace (../, an absolute path elsewhere, a symlink out)',
    fix: () =>
      `set cadc.dataset.imageRoot (CLI: --image-root DIR) to a folder inside the workspace that holds the images, or fix the paths; ${LEFT_OUT}`,
    action: () => true,
  },
  'remote-image': {
    unit: 'image paths',
    what: 'image references are URLs, not fetched',
    cause: () => 'http(s) or data URLs: CADC reads local files only, so these samples have no image features',
    fix: () => 'download the images and point the records at the local files if image features matter',
  },
  'image-token-mismatch': {
    unit: 'samples',
    what: 'samples have <image> tokens that do not match their images',
    cause: () =>
      'an <image> token in a record without an image (LLaVA’s loader then trains on the literal text “<image>” with a blank image), more tokens than images, or a multi-image count that differs; an image with no token at all is fine',
    fix: () => `add the missing image field or remove the stray tokens; ${LEFT_OUT}`,
  },
  'unreadable-shard': {
    unit: 'records',
    what: 'Parquet shards or row groups could not be decoded',
    cause: () => 'a damaged or truncated Parquet file, or a compression codec the reader does not support',
    fix: () => `re-download or rewrite the shard; ${SKIPPED}`,
  },
  'invalid-json': {
    unit: 'records',
    what: 'records are not valid JSON',
    cause: () => 'broken lines: a cut-off write, an unescaped quote or newline, or a JSON array that is not closed',
    fix: () => SKIPPED,
  },
  'wrong-shape': {
    unit: 'records',
    what: 'records are not records of a known format',
    cause: () =>
      'the record lacks the fields of its format (conversations, messages, texts or instruction/output) or has them in another shape',
    fix: () => `${SKIPPED}, or force the format (cadc.dataset.format / --format)`,
  },
  'empty-turns': {
    unit: 'records',
    what: 'records have no instruction or no answer',
    cause: () => 'no user turn or no assistant turn with text',
    fix: () => SKIPPED,
  },
  'empty-answer': {
    unit: 'samples',
    what: 'samples have an empty assistant turn',
    cause: () => 'a conversation with an assistant turn whose text is empty (the sample has other answers and is kept)',
    fix: () => 'fill in or drop the empty turns',
  },
  'line-too-long': {
    unit: 'records',
    what: 'records are longer than the line limit',
    cause: () => 'a record over the size limit (embedded image data, or several records on one line)',
    fix: () => SKIPPED,
  },
  'invalid-utf8': {
    unit: 'records',
    what: 'records contain bytes that are not UTF-8',
    cause: () => 'text written in another encoding (Latin-1, UTF-16) or binary data',
    fix: () => `re-encode the file as UTF-8; ${SKIPPED}`,
  },
  'misplaced-bom': {
    unit: 'records',
    what: 'records contain a byte-order mark',
    cause: () => 'files concatenated with their byte-order marks',
    fix: () => `remove the byte-order marks; ${SKIPPED}`,
  },
  'too-deep': {
    unit: 'records',
    what: 'records nest too deeply to read',
    cause: () => 'a record nested hundreds of levels deep (generated or corrupt data)',
    fix: () => SKIPPED,
  },
  'duplicate-id': {
    unit: 'samples',
    what: 'samples reuse the id of an earlier record',
    cause: () => 'ids that are not unique (records appended twice, or ids per source dataset)',
    fix: () => 'give each record its own id; meanwhile the manifest names the later ones <id>#line-N',
  },
  bom: { unit: 'file', what: '', cause: () => 'the file starts with a UTF-8 byte-order mark', fix: () => 'nothing to do: it is ignored' },
  crlf: { unit: 'file', what: '', cause: () => 'the file uses Windows line endings', fix: () => 'nothing to do: they are accepted' },
  'blank-line': { unit: 'file', what: '', cause: () => 'blank lines between records', fix: () => 'nothing to do: they are skipped' },
  'label-fields-dropped': {
    unit: 'file',
    what: '',
    cause: () => 'fields that do not look like labels, or more label fields than CADC keeps',
    fix: () => 'nothing to do unless a dropped field is the task label you want (cadc.curation.taskField / --task-field)',
  },
};

const SEVERITY_ORDER: Record<DiagnosticSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Whether samples with this code are flagged (left out of selections unless included). */
export function flagsSamples(code: DiagnosticCode): boolean {
  return FLAG_CODES.some((f) => f.code === code);
}

/**
 * One summary per diagnostic code of a read, errors first, then by count. `includeFlagged` says
 * whether flagged samples were allowed into the selection (default false).
 */
export function summariseProblems(summary: DatasetSummary, opts: { includeFlagged?: boolean } = {}): ProblemSummary[] {
  const out: ProblemSummary[] = [];
  for (const [code, count] of Object.entries(summary.diagnosticCounts) as [DiagnosticCode, number][]) {
    if (!count) continue;
    const rule = RULES[code];
    if (!rule) continue;
    const kept = summary.diagnostics.filter((d) => d.code === code);
    const severity = kept[0]?.severity ?? defaultSeverity(code);
    const total =
      rule.unit === 'image paths'
        ? summary.imageRefs
        : rule.unit === 'samples'
          ? summary.samples
          : rule.unit === 'records'
            ? summary.records
            : undefined;
    const excludesSamples = flagsSamples(code) && !opts.includeFlagged;
    const headline =
      rule.unit === 'file'
        ? (kept[0]?.message ?? code)
        : `${thousands(count)}${total !== undefined ? ` of ${thousands(total)}` : ''} ${rule.what}${excludesSamples ? ' (left out of the selection)' : ''}`;
    out.push({
      code,
      severity,
      count,
      ...(total !== undefined ? { total } : {}),
      unit: rule.unit,
      lines: [...new Set(kept.map((d) => d.line))].sort((a, b) => a - b).slice(0, FIRST_LINES),
      shown: kept.length,
      headline,
      cause: rule.cause(count, total),
      fix: rule.fix(count, total),
      ...(rule.action?.(count, total) ? { action: { setting: 'cadc.dataset.imageRoot', action: 'pickFolder' } as const } : {}),
      excludesSamples,
      serious: severity === 'error' || excludesSamples || (code === 'missing-image' && total !== undefined && count >= total),
    });
  }
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.count - a.count || a.code.localeCompare(b.code));
}

/** Severities of codes whose diagnostics were all dropped by a cap of 0 (reader defaults). */
function defaultSeverity(code: DiagnosticCode): DiagnosticSeverity {
  if (['bom', 'crlf', 'blank-line', 'label-fields-dropped', 'remote-image'].includes(code)) return 'info';
  if (['empty-answer', 'missing-image', 'image-outside-root', 'image-token-mismatch', 'duplicate-id'].includes(code)) return 'warning';
  return 'error';
}

function linesText(p: ProblemSummary): string {
  return p.lines.length ? ` (line${p.count > 1 ? 's' : ''} ${p.lines.join(', ')}${p.count > p.lines.length ? ', …' : ''})` : '';
}

/** A summary as one line: `headline (lines 3, 9, …): cause; fix. [code]`. */
export function problemText(p: ProblemSummary): string {
  return `${p.headline}${linesText(p)}: ${p.cause}; ${p.fix}. [${p.code}]`;
}

/** A summary as a terminal prints it: `file: severity: headline (lines …) [code]`, then its cause and fix indented. */
export function problemLines(file: string, p: ProblemSummary): string {
  return `${file}: ${p.severity}: ${p.headline}${linesText(p)} [${p.code}]\n  cause: ${p.cause}\n  fix: ${p.fix}\n`;
}

/**
 * The serious problems in one sentence for a result message ("" when there are none), e.g.
 * "Problems: 1,140 of 1,543 samples have <image> tokens that do not match their images (left out of the selection)."
 */
export function seriousProblemsText(problems: readonly ProblemSummary[] | undefined): string {
  const serious = (problems ?? []).filter((p) => p.serious);
  if (serious.length === 0) return '';
  return `Problems: ${serious.map((p) => p.headline).join('; ')}.`;
}
