// The one option schema: every option of the `cadc` commands and every `cadc.*` setting, with its
// type, default, values, help text, CLI flag, setting key and the commands that take it. It drives
// the CLI's parsing and usage text (src/cli/args.ts, src/cli/usage.ts), the extension's settings →
// request mapping (settingsToCurateParams) and the package.json agreement test. Over 300 lines
// because it is one table: splitting it would bring back the copies it replaces.
import { STRATEGIES } from '../core/config';
import type { BalanceRule, WithinCapabilityRule } from '../core/config';
import type { DatasetFormat } from '../core/dataset/types';
import { EXPORT_FORMATS } from '../core/export/formats';
import { STYLES } from '../core/features/types';
import type { CurateParams } from '../protocol/backend';
import { UsageError } from './outcome';
import {
  parseAlignmentLabel,
  parseBudget,
  parseCapabilities,
  parseChoice,
  parseField,
  parseLossBand,
  parseOpenQuantile,
  parseProxies,
  parseSeed,
  parseSelfInfluenceDrop,
  parseWhole,
} from './optionValues';

export type Command = 'curate' | 'report' | 'compare' | 'gradients' | 'export';
export const COMMANDS: readonly Command[] = ['curate', 'report', 'compare', 'gradients', 'export'];
export const BALANCES: readonly BalanceRule[] = ['even', 'proportional', 'sqrt'];
export const WITHIN: readonly WithinCapabilityRule[] = [
  'stratified',
  'top-influence',
  'influence-weighted',
  'style',
  'sub-capability',
  'difficulty',
];
export const FORMATS: readonly (DatasetFormat | 'auto')[] = ['auto', 'llava', 'sharegpt', 'openai', 'cauldron', 'alpaca'];

/** The request an option writes into (curate's fields, report's, compare's list, the CLI's switches). */
export type OptionTarget = Record<string, unknown>;

/** A `cadc.*` setting in package.json's contributes.configuration. */
export interface SettingSpec {
  key: string;
  type: 'string' | 'integer' | 'boolean';
  default: string | number | boolean;
  enum?: readonly string[];
  /** Names a file or folder: the extension confines it to the workspace and maps it itself. */
  path?: boolean;
}

export interface OptionSpec {
  /** The flag without its dashes (`budget` is `--budget`); absent for a setting of the extension alone. */
  flag?: string;
  /** The value's placeholder in the usage text (`--budget B`); absent for a switch. */
  arg?: string;
  /** The commands that take it. */
  commands: readonly Command[];
  /** The commands whose `--help` lists it (default: every command that takes it). */
  listed?: readonly Command[];
  /** Its usage text; a line break starts a continuation line. */
  help?: string;
  /** A command's own usage text for it. */
  helpFor?: Partial<Record<Command, string>>;
  /** An example value, for the message when the value is missing. */
  example?: string;
  /** The value when the option is not given (as text, read by `set`); a switch is false unless given. */
  default?: string;
  /** The request field a switch sets to true (and to false by default). */
  switch?: string;
  /** Commands that refuse it with a message of their own (a command that takes it cannot refuse it). */
  refusedBy?: Partial<Record<Command, string>>;
  /** Writes the option's value into the request; throws UsageError naming `what` when it cannot be used. */
  set?: (into: OptionTarget, value: string, what: string) => void;
  setting?: SettingSpec;
}

const CURATE: readonly Command[] = ['curate', 'compare'];
/** Every command but `gradients plan`. */
const ALL: readonly Command[] = ['curate', 'report', 'compare', 'export'];
const PLAN: readonly Command[] = ['gradients'];
/** The commands that read a dataset (export reads a manifest). */
const ON_DATASET: readonly Command[] = ['curate', 'report', 'compare'];
const CURATE_ONLY_HELP: readonly Command[] = ['curate'];

export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'strategies',
    arg: 'S,S,…',
    commands: ['compare'],
    example: 'cadc,random',
    help: `Strategies to compare: ${STRATEGIES.join(', ')}.`,
    set: (o, v, what) => {
      const names = v.split(',').map((x) => x.trim());
      if (names.some((x) => !x)) throw new UsageError(`${what} ${v}: expected a comma-separated list such as cadc,random.`);
      o.strategies = names;
    },
  },
  {
    flag: 'budget',
    arg: 'B',
    commands: CURATE,
    help: `How many samples to select: 5% or 0.05 (a share of the pool; 100% or 1.0 is all of it)
or a whole number, a count (2000; 1 is one sample). Default 5%. A budget above the
unique samples selects all of them, with a note saying why.`,
    helpFor: { compare: '5% or 0.05 (a share of the pool) or a whole number, a count (1 is one sample). Default 5%.' },
    default: '5%',
    set: (o, v, what) => Object.assign(o, parseBudget(v, what)),
    setting: { key: 'cadc.curation.budget', type: 'string', default: '5%' },
  },
  {
    flag: 'seed',
    arg: 'N',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Seed for every random choice. Default 42.',
    default: '42',
    set: (o, v, what) => (o.seed = parseSeed(v, what)),
    setting: { key: 'cadc.curation.seed', type: 'integer', default: 42 },
  },
  {
    flag: 'capabilities',
    arg: 'K',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: "'auto' (discover K) or a number to force it. Default auto.",
    default: 'auto',
    set: (o, v, what) => (o.capabilities = parseCapabilities(v, what)),
    setting: { key: 'cadc.curation.capabilities', type: 'string', default: 'auto' },
  },
  {
    flag: 'proxies',
    arg: 'auto|N',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Proxies whose trajectories the capability graph averages. Default auto: on pools under
16,384 samples, as many as their measured agreement says the graph needs to be reliable
(at most 32); 1 is fastest and repeats less between seeds on small pools.`,
    default: 'auto',
    set: (o, v, what) => (o.proxies = parseProxies(v, what)),
    setting: { key: 'cadc.curation.proxies', type: 'string', default: 'auto' },
  },
  {
    flag: 'strategy',
    arg: 'S',
    commands: ['curate'],
    help: `${STRATEGIES.join(' | ')}. Default cadc.`,
    default: 'cadc',
    refusedBy: { compare: 'compare takes --strategies a,b,… (a list), not --strategy.' },
    set: (o, v, what) => (o.strategy = parseChoice(v, what, STRATEGIES)),
    setting: { key: 'cadc.curation.strategy', type: 'string', default: 'cadc', enum: STRATEGIES },
  },
  {
    flag: 'within',
    arg: 'R',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `CADC's rule inside a capability: ${WITHIN.join(' | ')}. Default sub-capability.`,
    set: (o, v, what) => (o.within = parseChoice(v, what, WITHIN)),
  },
  {
    flag: 'balance',
    arg: 'B',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'How CADC splits the budget over capabilities: proportional (default) | sqrt (∝ √size) | even (the paper).',
    set: (o, v, what) => (o.balance = parseChoice(v, what, BALANCES, 'even, proportional or sqrt')),
  },
  {
    flag: 'alignment',
    arg: 'A',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `auto | on | off: end the curriculum with a small format-alignment stage (Vision-Flan),
taken out of the budget (at most 20% of it). auto = on for --strategy task-balanced.`,
    set: (o, v, what) => (o.alignment = parseChoice(v, what, ['auto', 'on', 'off'] as const, 'auto, on or off')),
    setting: { key: 'cadc.curriculum.alignment', type: 'string', default: 'auto', enum: ['auto', 'on', 'off'] },
  },
  {
    flag: 'alignment-size',
    arg: 'N',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Alignment stage size (default 1000; fewer if fewer samples match).',
    set: (o, v, what) => (o.alignmentSize = parseWhole(v, what, 1, 1e9, 'a whole number ≥ 1')),
    setting: { key: 'cadc.curriculum.alignmentSize', type: 'integer', default: 1000 },
  },
  {
    flag: 'alignment-min-chars',
    arg: 'N',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Alignment samples: free-form answers of at least N characters that are not
yes/no, multiple-choice or short answers (default 400).`,
    set: (o, v, what) => (o.alignmentMinChars = parseWhole(v, what, 1, 1e9, 'a whole number ≥ 1')),
  },
  {
    flag: 'alignment-label',
    arg: 'FIELD=V1,V2',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Alignment samples: those whose label FIELD is V1 or V2 (instead of long answers).',
    set: (o, v, what) => (o.alignmentLabel = parseAlignmentLabel(v, what)),
    setting: { key: 'cadc.curriculum.alignmentLabel', type: 'string', default: '' },
  },
  {
    flag: 'manifest',
    arg: 'M',
    commands: ['report'],
    help: 'A cadc manifest whose selection to report on (its attributions file beside it is used).',
    set: (o, v) => (o.manifest = v),
  },
  {
    flag: 'attributions',
    arg: 'F',
    commands: ['report'],
    help: 'An attributions file (per-capability figures), if not beside the manifest.',
    set: (o, v) => (o.attributions = v),
  },
  {
    flag: 'image-root',
    arg: 'DIR',
    commands: ALL,
    listed: ['curate', 'report'],
    help: "Folder image paths resolve against. Default: the dataset's folder.",
    set: (o, v) => (o.imageRoot = v),
    setting: { key: 'cadc.dataset.imageRoot', type: 'string', default: '', path: true },
  },
  {
    flag: 'probe',
    arg: 'FILE',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Probe dataset whose label field defines probe groups.',
    set: (o, v) => (o.probe = v),
  },
  {
    flag: 'scores',
    arg: 'FILE',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `mmSSR capability scores, 0–5 for each of 14 capabilities (JSONL or CSV, by id or line);
without it --strategy mmssr uses CADC's discovered capabilities instead.`,
    set: (o, v) => (o.scores = v),
    setting: { key: 'cadc.curation.scoresFile', type: 'string', default: '', path: true },
  },
  {
    flag: 'gradients',
    arg: 'DIR',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `A gradient job's output folder (cadc.gradients/v1, jobs/gradients): its trajectories,
from the model being tuned, replace the built-in proxy's (checked against the dataset).`,
    set: (o, v) => (o.gradients = v),
    setting: { key: 'cadc.gradients.directory', type: 'string', default: '', path: true },
  },
  {
    flag: 'task-field',
    arg: 'F',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Label field naming the task (task-balanced, less, icons). Default: the first present
of task_name, task, source, category, dataset, ability; else the probe groups.`,
    set: (o, v, what) => (o.taskField = parseField(v, what)),
    setting: { key: 'cadc.curation.taskField', type: 'string', default: '' },
  },
  {
    flag: 'style-field',
    arg: 'F',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Label field whose values override the detected interaction style (mmssr); values:
${STYLES.join(', ')}.`,
    set: (o, v, what) => (o.styleField = parseField(v, what)),
  },
  {
    flag: 'loss-band',
    arg: 'LO,HI',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Quantile band of proxy loss for --strategy loss-band. Default 0.25,0.75.',
    set: (o, v, what) => (o.lossBand = parseLossBand(v, what)),
  },
  {
    flag: 'self-influence-drop',
    arg: 'auto|F',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Leave out the top share F of self-influence before selecting. Default auto:
10% for cadc (chosen by bench:quality), none for the other strategies.`,
    set: (o, v, what) => (o.selfInfluenceDrop = parseSelfInfluenceDrop(v, what)),
    setting: { key: 'cadc.curation.selfInfluenceDrop', type: 'string', default: 'auto' },
  },
  {
    flag: 'include-flagged',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: `Also select flagged samples (an image that does not resolve or leaves the image root,
<image> tokens that do not match the images). Default: they are left out, counted in the manifest.`,
    // No value on the command line (''); the setting's true/false as text.
    set: (o, v) => (o.includeFlagged = v !== 'false'),
    setting: { key: 'cadc.selection.includeFlagged', type: 'boolean', default: false },
  },
  {
    flag: 'icons-percentile',
    arg: 'P',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Influence quantile above which a target group votes for a sample (icons). Default 0.8.',
    set: (o, v, what) => (o.iconsPercentile = parseOpenQuantile(v, what)),
  },
  {
    flag: 'format',
    arg: 'F',
    commands: ON_DATASET,
    listed: ['curate', 'report'],
    help: `${FORMATS.join(' | ')}. Default auto.`,
    default: 'auto',
    set: (o, v, what) => (o.format = parseChoice(v, what, FORMATS)),
  },
  {
    flag: 'attributions',
    commands: ['curate'],
    help: 'Also write <stem>.cadc.attributions.jsonl (one line per sample).',
    switch: 'attributions',
    refusedBy: { compare: 'compare does not write attributions; use curate --attributions.' },
  },
  {
    flag: 'cache',
    arg: 'DIR',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Cache folder (default: $XDG_CACHE_HOME/cadc or ~/.cache/cadc).',
    set: (o, v) => (o.cache = v),
  },
  {
    flag: 'no-cache',
    commands: CURATE,
    listed: CURATE_ONLY_HELP,
    help: 'Do not read or write a cache.',
    set: (o) => (o.cache = null),
  },
  {
    flag: 'out',
    arg: 'DIR',
    commands: ON_DATASET,
    help: 'Output folder. Default ./curation.',
    default: 'curation',
    set: (o, v) => (o.out = v),
    setting: { key: 'cadc.manifest.folder', type: 'string', default: 'curation', path: true },
  },
  {
    flag: 'format',
    arg: 'F',
    commands: ['export'],
    example: 'llava',
    help: `Target framework: ${EXPORT_FORMATS.join(' | ')} (required).`,
    set: (o, v, what) => (o.format = parseChoice(v, what, EXPORT_FORMATS)),
  },
  {
    flag: 'out',
    arg: 'DIR',
    commands: ['export'],
    help: "Export folder. Default <manifest's folder>/<stem>.<format>/.",
    set: (o, v) => (o.out = v),
  },
  {
    flag: 'model',
    arg: 'M',
    commands: PLAN,
    example: 'HuggingFaceTB/SmolVLM-256M-Instruct',
    help: 'The model being tuned: a Hugging Face id or folder, or its config.json (for its size).',
    set: (o, v) => (o.model = v),
  },
  {
    flag: 'gpus',
    arg: 'N',
    commands: PLAN,
    help: 'GPUs in all.',
    set: (o, v, what) => (o.gpus = parseWhole(v, what, 1, 1e6, 'a whole number ≥ 1')),
  },
  {
    flag: 'gpus-per-node',
    arg: 'G',
    commands: PLAN,
    help: 'GPUs on one node (default: --gpus, at most 8).',
    set: (o, v, what) => (o.gpusPerNode = parseWhole(v, what, 1, 1e4, 'a whole number ≥ 1')),
  },
  {
    flag: 'checkpoints',
    arg: 'K',
    commands: PLAN,
    help: 'Checkpoints of the warm-up (default 4).',
    set: (o, v, what) => (o.checkpoints = parseWhole(v, what, 1, 1e4, 'a whole number ≥ 1')),
  },
  {
    flag: 'tokens',
    arg: 'L',
    commands: PLAN,
    help: "Tokens a sample (default: estimated from the dataset's text and images).",
    set: (o, v, what) => (o.tokens = parseWhole(v, what, 1, 1e7, 'a whole number ≥ 1')),
  },
  {
    flag: 'batch',
    arg: 'B',
    commands: PLAN,
    help: "The job's --batch-size (default 64).",
    set: (o, v, what) => (o.batch = parseWhole(v, what, 1, 1e5, 'a whole number ≥ 1')),
  },
  { flag: 'json', commands: [...ALL, 'gradients'], help: 'Print one JSON object on stdout (progress stays on stderr).', switch: 'json' },
  { flag: 'force', commands: ALL, help: 'Replace existing output files (otherwise exit 4; never replaced without it).', switch: 'force' },
  { flag: 'quiet', commands: ALL, help: 'No progress on stderr.', switch: 'quiet' },
  {
    flag: 'verbose',
    commands: [...ALL, 'gradients'],
    help: 'With an unexpected failure, also print its stack.',
    set: (o) => (o.verbose = true),
  },
  // Settings of the extension alone (no command takes them).
  { commands: [], setting: { key: 'cadc.decorations.enabled', type: 'boolean', default: true } },
  { commands: [], setting: { key: 'cadc.annotations.lineTags', type: 'string', default: 'short', enum: ['off', 'short', 'full'] } },
  { commands: [], setting: { key: 'cadc.manifest.writeStageSubsets', type: 'boolean', default: false } },
];

/** The options a command takes, in table order. */
export function optionsOf(command: Command): OptionSpec[] {
  return OPTIONS.filter((o) => o.flag !== undefined && o.commands.includes(command));
}

/** A command's request before its options are read: every default of the table applied. */
export function defaultsOf(command: Command): OptionTarget {
  const into: OptionTarget = {};
  for (const o of optionsOf(command)) {
    if (o.switch) into[o.switch] = false;
    if (o.default !== undefined) o.set?.(into, o.default, `--${o.flag}`);
  }
  return into;
}

/** Applies one option's value (a switch's is ignored): `what` names it in errors. */
export function applyOption(o: OptionSpec, into: OptionTarget, value: string, what: string): void {
  if (o.switch) into[o.switch] = true;
  else o.set?.(into, value, what);
}

/**
 * The curation request the extension's settings describe, validated by the same parsers as the
 * CLI's flags. `get` reads a setting by its full key (undefined: not set, the default applies);
 * `picked` holds values chosen for this run (quick picks) by setting key, read before the settings;
 * `fixed` the fields the extension decides itself (the dataset, the confined paths, force, cache).
 * Settings that name paths are left to `fixed`; an empty string setting means "not set".
 * Throws UsageError (naming the setting) for a value that cannot be used.
 */
export function settingsToCurateParams(
  get: (key: string) => unknown,
  fixed: Pick<CurateParams, 'dataset' | 'out' | 'force' | 'cache'> & Partial<CurateParams>,
  picked: Readonly<Record<string, string>> = {},
): CurateParams {
  const into = defaultsOf('curate');
  for (const o of optionsOf('curate')) {
    const s = o.setting;
    if (!s || s.path) continue;
    const chosen = picked[s.key];
    const value = chosen ?? get(s.key) ?? s.default;
    const text = String(value).trim();
    if (text === '') continue;
    applyOption(o, into, text, chosen !== undefined ? s.key.replace(/^.*\./, '') : `setting ${s.key}`);
  }
  delete into.json;
  delete into.quiet;
  return { ...(into as unknown as CurateParams), ...fixed };
}
