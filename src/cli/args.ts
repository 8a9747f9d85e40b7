// Argument parsing for the `cadc` CLI, kept apart from main.ts so it can be unit-tested.
import type { BudgetUnit, StrategyName, WithinCapabilityRule } from '../core/config';
import type { DatasetFormat } from '../core/dataset/types';
import { STYLES } from '../core/features/types';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CurateArgs {
  command: 'curate';
  dataset: string;
  budget: number;
  /** How `budget` reads ('count' for `--budget 1`, 'fraction' for `5%`, `0.05`, `1.0`). */
  budgetUnit?: BudgetUnit;
  out: string;
  seed: number;
  capabilities: number | 'auto';
  strategy: StrategyName;
  within?: WithinCapabilityRule;
  balance?: 'even' | 'proportional';
  /** Final alignment stage: auto (on for task-balanced), on or off; the rest shape it. */
  alignment?: 'auto' | 'on' | 'off';
  alignmentSize?: number;
  alignmentLabel?: { field: string; values: string[] };
  alignmentMinChars?: number;
  imageRoot?: string;
  probe?: string;
  /** mmSSR capability scores file (JSONL or CSV). */
  scores?: string;
  taskField?: string;
  styleField?: string;
  lossBand?: [number, number];
  iconsPercentile?: number;
  /** Top share of self-influence left out: 'auto' (cadc 10%, others 0) or a fraction in [0, 1). */
  selfInfluenceDrop?: number | 'auto';
  format: DatasetFormat | 'auto';
  attributions: boolean;
  json: boolean;
  force: boolean;
  cache: string | null | undefined; // undefined = default user cache; null = --no-cache
  quiet: boolean;
  /** Print the stack of an unexpected failure. */
  verbose?: boolean;
}

export interface ReportArgs {
  command: 'report';
  dataset: string;
  manifest?: string;
  attributions?: string;
  imageRoot?: string;
  format: DatasetFormat | 'auto';
  out: string;
  json: boolean;
  force: boolean;
  quiet: boolean;
  verbose?: boolean;
}

export interface CompareArgs {
  command: 'compare';
  /** Strategy names as given (checked against the registry when the comparison runs). */
  strategies: string[];
  /** Everything else is curate's: dataset, budget, seed, out, cache, json, force, quiet, … */
  curate: CurateArgs;
}

export type HelpTopic = 'curate' | 'report' | 'compare';
export type CliArgs = CurateArgs | ReportArgs | CompareArgs | { command: 'help'; topic?: HelpTopic } | { command: 'version' };
export const COMMANDS: HelpTopic[] = ['curate', 'report', 'compare'];

export const STRATEGIES: StrategyName[] = ['cadc', 'random', 'mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];
const WITHIN: WithinCapabilityRule[] = ['stratified', 'top-influence', 'influence-weighted'];
const FORMATS = ['auto', 'llava', 'sharegpt', 'openai', 'cauldron', 'alpaca'];

/** `cadc` and `cadc --help`: the commands, one line each, and where to start. */
export const HELP = `Usage: cadc <command> [options]

Commands:
  curate <dataset>   Select a capability-balanced, staged curriculum from a dataset → <stem>.cadc.json
  report <dataset>   Quality report (correctness, diversity, complexity) of a dataset and a selection
  compare <dataset>  Compare selection strategies at one budget: overlap, composition, quality

Start with:  cadc curate data.jsonl --budget 5%
Each command's options: cadc <command> --help      Version: cadc --version
Datasets: JSONL or a JSON array of LLaVA, ShareGPT, OpenAI-messages, Cauldron or Alpaca records.
Exit codes: 0 ok, 2 bad arguments, 3 unreadable dataset, 4 output exists (use --force),
            5 failed, 130 cancelled. With --json a failure prints {"error":{"code","message",…}} on stdout.
`;

const EXIT_CODES = `Exit codes: 0 ok, 2 bad arguments, 3 unreadable dataset (one line: what was found, what is read,
            where reading stopped), 4 output exists (use --force), 5 failed, 130 cancelled (Ctrl+C;
            nothing half-written). With --json a failure prints {"error":{"code","message","line"?}} on stdout.
`;

const OUTPUT_OPTIONS = `  --out DIR           Output folder. Default ./curation.
  --json              Print one JSON object on stdout (progress stays on stderr).
  --force             Replace existing output files (otherwise exit 4; never replaced without it).
  --quiet             No progress on stderr.
  --verbose           With an unexpected failure, also print its stack.`;

export const CURATE_USAGE = `Usage: cadc curate <dataset> [options]

Curate a dataset (.jsonl or .json) into a capability-balanced, staged curriculum:
<out>/<stem>.cadc.json (and with --attributions <stem>.cadc.attributions.jsonl).

Options:
  --budget B          How many samples to select: 5% or 0.05 (a share of the pool; 100% or 1.0 is all of it)
                      or a whole number, a count (2000; 1 is one sample). Default 5%. A budget above the
                      unique samples selects all of them, with a note saying why.
  --seed N            Seed for every random choice. Default 42.
  --capabilities K    'auto' (discover K) or a number to force it. Default auto.
  --strategy S        ${STRATEGIES.join(' | ')}. Default cadc.
  --within R          CADC's rule inside a capability: ${WITHIN.join(' | ')}. Default stratified.
  --balance B         How CADC splits the budget over capabilities: proportional (default) | even (the paper).
  --alignment A       auto | on | off: end the curriculum with a small format-alignment stage (Vision-Flan),
                      taken out of the budget (at most 20% of it). auto = on for --strategy task-balanced.
  --alignment-size N  Alignment stage size (default 1000; fewer if fewer samples match).
  --alignment-min-chars N
                      Alignment samples: free-form answers of at least N characters that are not
                      yes/no, multiple-choice or short answers (default 400).
  --alignment-label FIELD=V1,V2
                      Alignment samples: those whose label FIELD is V1 or V2 (instead of long answers).
  --image-root DIR    Folder image paths resolve against. Default: the dataset's folder.
  --probe FILE        Probe dataset whose label field defines probe groups.
  --scores FILE       mmSSR capability scores, 0–5 for each of 14 capabilities (JSONL or CSV, by id or line);
                      without it --strategy mmssr uses CADC's discovered capabilities instead.
  --task-field F      Label field naming the task (task-balanced, less, icons). Default: the first present
                      of task_name, task, source, category, dataset, ability; else the probe groups.
  --style-field F     Label field whose values override the detected interaction style (mmssr); values:
                      ${STYLES.join(', ')}.
  --loss-band LO,HI   Quantile band of proxy loss for --strategy loss-band. Default 0.25,0.75.
  --self-influence-drop auto|F
                      Leave out the top share F of self-influence before selecting. Default auto:
                      10% for cadc (chosen by bench:quality), none for the other strategies.
  --icons-percentile P
                      Influence quantile above which a target group votes for a sample (icons). Default 0.8.
  --format F          ${FORMATS.join(' | ')}. Default auto.
  --attributions      Also write <stem>.cadc.attributions.jsonl (one line per sample).
  --cache DIR         Cache folder (default: $XDG_CACHE_HOME/cadc or ~/.cache/cadc).
  --no-cache          Do not read or write a cache.
${OUTPUT_OPTIONS}

${EXIT_CODES}`;

export const REPORT_USAGE = `Usage: cadc report <dataset> [options]

Quality report (correctness, diversity, complexity) of a dataset, and of a manifest's selection and
each capability: <out>/<stem>.cadc.report.md and .json, or one JSON object on stdout with --json.

Options:
  --manifest M        A cadc manifest whose selection to report on (its attributions file beside it is used).
  --attributions F    An attributions file (per-capability figures), if not beside the manifest.
  --image-root DIR    Folder image paths resolve against. Default: the dataset's folder.
  --format F          ${FORMATS.join(' | ')}. Default auto.
${OUTPUT_OPTIONS}

${EXIT_CODES}`;

export const COMPARE_USAGE = `Usage: cadc compare <dataset> --strategies cadc,random,… [options]

Run the pipeline once (cached) and select with each strategy at one budget: counts, Jaccard overlap,
composition, quality deltas. Writes <out>/<stem>.cadc.compare.md and .json, or JSON on stdout with --json.

Options:
  --strategies S,S,…  Strategies to compare: ${STRATEGIES.join(', ')}.
  --budget B          5% or 0.05 (a share of the pool) or a whole number, a count (1 is one sample). Default 5%.
  Every option of 'cadc curate' except --strategy and --attributions (see cadc curate --help).
${OUTPUT_OPTIONS}

${EXIT_CODES}`;

/** The help text of a topic (a command), or the top-level help. */
export function helpText(topic?: string): string {
  if (topic === 'curate') return CURATE_USAGE;
  if (topic === 'report') return REPORT_USAGE;
  if (topic === 'compare') return COMPARE_USAGE;
  return HELP;
}

/** Parses FIELD=V1,V2 (the alignment stage's label predicate); `what` names the option in errors. */
export function parseAlignmentLabel(v: string, what: string): { field: string; values: string[] } {
  const eq = v.indexOf('=');
  const field = eq > 0 ? v.slice(0, eq).trim() : '';
  const values = eq > 0 ? v.slice(eq + 1).split(',').map((x) => x.trim()) : [];
  if (!field || values.length === 0 || values.some((x) => !x)) throw new UsageError(`${what} ${v}: expected FIELD=VALUE[,VALUE…], e.g. task_name=llava+detail.`);
  return { field, values: [...new Set(values)] };
}

/**
 * Parses a budget: '5%' → 5% of the pool, '0.05' → 5%, '100%' or '1.0' → all of it; a bare whole
 * number is a count: '2000' → 2000 samples, '1' → one sample.
 */
export function parseBudget(text: string): { budget: number; budgetUnit: BudgetUnit } {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const v = Number(pct[1]) / 100;
    if (v <= 0 || v > 1) throw new UsageError(`--budget ${text}: a percentage must be in (0%, 100%].`);
    return { budget: v, budgetUnit: 'fraction' };
  }
  if (/^\d+$/.test(t)) {
    const v = Number(t);
    if (v < 1) throw new UsageError(`--budget ${text}: a count must be at least 1.`);
    if (!Number.isSafeInteger(v)) throw new UsageError(`--budget ${text}: too large a count.`);
    return { budget: v, budgetUnit: 'count' };
  }
  if (!/^\d*\.\d+$/.test(t)) throw new UsageError(`--budget ${text}: expected a share (5% or 0.05) or a count of samples (2000).`);
  const v = Number(t);
  if (v <= 0 || v > 1) throw new UsageError(`--budget ${text}: a share must be in (0, 1] (1.0 is all of the pool); a count is a whole number such as 2000.`);
  return { budget: v, budgetUnit: 'fraction' };
}

/**
 * Walks the options of a command line: positional arguments are collected; each `--name` or
 * `--name=value` goes to `onOption` with a reader for its value (inline or the next argument).
 * `--help` stops the walk.
 */
function walkOptions(rest: string[], onOption: (name: string, value: () => string) => void): { positional: string[]; help: boolean } {
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const raw = rest[i];
    if (!raw.startsWith('--')) {
      positional.push(raw);
      continue;
    }
    const eq = raw.indexOf('=');
    const name = eq >= 0 ? raw.slice(0, eq) : raw;
    const inline = eq >= 0 ? raw.slice(eq + 1) : undefined;
    if (name === '--help') return { positional, help: true };
    onOption(name, () => {
      if (inline !== undefined) return inline;
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value.`);
      return v;
    });
  }
  return { positional, help: false };
}


/** Options curate and report share (compare passes its own to curate's parser). */
type CommonOptions = Pick<CurateArgs, 'out' | 'format' | 'json' | 'force' | 'quiet' | 'verbose' | 'imageRoot'>;

/** Applies one of the shared options; false when `name` is not one of them. */
function commonOption(out: CommonOptions, name: string, value: () => string): boolean {
  switch (name) {
    case '--out':
      out.out = value();
      return true;
    case '--image-root':
      out.imageRoot = value();
      return true;
    case '--format': {
      const v = value();
      if (!FORMATS.includes(v)) throw new UsageError(`--format ${v}: expected one of ${FORMATS.join(', ')}.`);
      out.format = v as DatasetFormat | 'auto';
      return true;
    }
    case '--json':
      out.json = true;
      return true;
    case '--force':
      out.force = true;
      return true;
    case '--quiet':
      out.quiet = true;
      return true;
    case '--verbose':
      out.verbose = true;
      return true;
    default:
      return false;
  }
}


export function parseArgs(argv: string[]): CliArgs {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv[0] === 'help' ? argv[1] : undefined;
    if (topic !== undefined && !COMMANDS.includes(topic as HelpTopic)) throw new UsageError(`No command '${topic}'; the commands are ${COMMANDS.join(', ')}.`);
    return { command: 'help', topic: topic as HelpTopic | undefined };
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [command, ...rest] = argv;
  if (command === 'report') return parseReportArgs(rest);
  if (command === 'compare') return parseCompareArgs(rest);
  if (command !== 'curate') throw new UsageError(`Unknown command '${command}'; the commands are ${COMMANDS.join(', ')}.`);

  const out: CurateArgs = {
    command: 'curate',
    dataset: '',
    budget: 0.05,
    budgetUnit: 'fraction',
    out: 'curation',
    seed: 42,
    capabilities: 'auto',
    strategy: 'cadc',
    format: 'auto',
    attributions: false,
    json: false,
    force: false,
    cache: undefined,
    quiet: false,
  };
  const { positional, help } = walkOptions(rest, (name, value) => {
    switch (name) {
      case '--budget':
        Object.assign(out, parseBudget(value()));
        break;
      case '--seed': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--seed ${v}: expected a whole number 0..4294967295.`);
        out.seed = Number(v);
        break;
      }
      case '--capabilities': {
        const v = value();
        if (v === 'auto') out.capabilities = 'auto';
        else if (/^\d+$/.test(v) && Number(v) >= 2 && Number(v) <= 64) out.capabilities = Number(v);
        else throw new UsageError(`--capabilities ${v}: expected 'auto' or a number from 2 to 64.`);
        break;
      }
      case '--strategy': {
        const v = value() as StrategyName;
        if (!STRATEGIES.includes(v)) throw new UsageError(`--strategy ${v}: expected one of ${STRATEGIES.join(', ')}.`);
        out.strategy = v;
        break;
      }
      case '--within': {
        const v = value() as WithinCapabilityRule;
        if (!WITHIN.includes(v)) throw new UsageError(`--within ${v}: expected one of ${WITHIN.join(', ')}.`);
        out.within = v;
        break;
      }
      case '--balance': {
        const v = value();
        if (v !== 'even' && v !== 'proportional') throw new UsageError(`--balance ${v}: expected even or proportional.`);
        out.balance = v;
        break;
      }
      case '--alignment': {
        const v = value();
        if (v !== 'auto' && v !== 'on' && v !== 'off') throw new UsageError(`--alignment ${v}: expected auto, on or off.`);
        out.alignment = v;
        break;
      }
      case '--alignment-size': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1e9) throw new UsageError(`--alignment-size ${v}: expected a whole number ≥ 1.`);
        out.alignmentSize = Number(v);
        break;
      }
      case '--alignment-min-chars': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1e9) throw new UsageError(`--alignment-min-chars ${v}: expected a whole number ≥ 1.`);
        out.alignmentMinChars = Number(v);
        break;
      }
      case '--alignment-label':
        out.alignmentLabel = parseAlignmentLabel(value(), '--alignment-label');
        break;
      case '--probe':
        out.probe = value();
        break;
      case '--scores':
        out.scores = value();
        break;
      case '--task-field':
      case '--style-field': {
        const v = value().trim();
        if (!v) throw new UsageError(`${name}: expected a label field name.`);
        if (name === '--task-field') out.taskField = v;
        else out.styleField = v;
        break;
      }
      case '--loss-band': {
        const v = value();
        const m = /^\s*(\d*\.?\d+)\s*,\s*(\d*\.?\d+)\s*$/.exec(v);
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2]) : NaN;
        if (!(lo >= 0 && hi <= 1 && lo < hi)) throw new UsageError(`--loss-band ${v}: expected LOW,HIGH quantiles with 0 ≤ LOW < HIGH ≤ 1, e.g. 0.25,0.75.`);
        out.lossBand = [lo, hi];
        break;
      }
      case '--icons-percentile': {
        const v = value();
        const p = /^\s*\d*\.?\d+\s*$/.test(v) ? Number(v) : NaN;
        if (!(p > 0 && p < 1)) throw new UsageError(`--icons-percentile ${v}: expected a quantile strictly between 0 and 1, e.g. 0.8.`);
        out.iconsPercentile = p;
        break;
      }
      case '--self-influence-drop': {
        const v = value().trim();
        const f = /^\d*\.?\d+$/.test(v) ? Number(v) : NaN;
        if (v !== 'auto' && !(f >= 0 && f < 1)) throw new UsageError(`--self-influence-drop ${v}: expected auto or a fraction in [0, 1), e.g. 0.1 (0 keeps every sample).`);
        out.selfInfluenceDrop = v === 'auto' ? 'auto' : f;
        break;
      }
      case '--attributions':
        out.attributions = true;
        break;
      case '--cache':
        out.cache = value();
        break;
      case '--no-cache':
        out.cache = null;
        break;
      default:
        if (!commonOption(out, name, value)) throw new UsageError(`Unknown option ${name} for curate.`);
    }
  });
  if (help) return { command: 'help', topic: 'curate' };
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'curate needs a dataset path.' : `curate takes one dataset, got ${positional.length}.`);
  }
  out.dataset = positional[0];
  checkAlignmentArgs(out);
  return out;
}

/** The alignment options must agree with each other and with --alignment / --strategy. */
function checkAlignmentArgs(a: CurateArgs): void {
  const shaping = [a.alignmentSize !== undefined && '--alignment-size', a.alignmentMinChars !== undefined && '--alignment-min-chars', a.alignmentLabel && '--alignment-label'].filter(
    (x): x is string => typeof x === 'string',
  );
  if (a.alignmentLabel && a.alignmentMinChars !== undefined) throw new UsageError('--alignment-label and --alignment-min-chars are two different predicates: give one.');
  if (shaping.length === 0) return;
  const mode = a.alignment ?? 'auto';
  if (mode === 'off') throw new UsageError(`${shaping.join(', ')} shape the alignment stage, but --alignment is off.`);
  if (mode === 'auto' && a.strategy !== 'task-balanced') {
    throw new UsageError(`${shaping.join(', ')} shape the alignment stage, which --alignment auto leaves off for --strategy ${a.strategy}; add --alignment on.`);
  }
}

/** `cadc report <dataset> [--manifest M] [--attributions F] [--image-root DIR] [--format F] [--out DIR] [--json] [--force] [--quiet]`. */
export function parseReportArgs(rest: string[]): ReportArgs | { command: 'help'; topic: HelpTopic } {
  const out: ReportArgs = { command: 'report', dataset: '', format: 'auto', out: 'curation', json: false, force: false, quiet: false };
  const { positional, help } = walkOptions(rest, (name, value) => {
    switch (name) {
      case '--manifest':
        out.manifest = value();
        break;
      case '--attributions':
        out.attributions = value();
        break;
      default:
        if (!commonOption(out, name, value)) throw new UsageError(`Unknown option ${name} for report.`);
    }
  });
  if (help) return { command: 'help', topic: 'report' };
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'report needs a dataset path.' : `report takes one dataset, got ${positional.length}.`);
  }
  out.dataset = positional[0];
  return out;
}

/** `cadc compare <dataset> --strategies a,b,… [curate's options]`: --strategies is taken out, the rest is parsed as curate's. */
export function parseCompareArgs(rest: string[]): CompareArgs | { command: 'help'; topic: HelpTopic } {
  let strategies: string[] | undefined;
  const forCurate: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const raw = rest[i];
    if (raw === '--help') return { command: 'help', topic: 'compare' };
    if (raw === '--strategy' || raw.startsWith('--strategy=')) throw new UsageError('compare takes --strategies a,b,… (a list), not --strategy.');
    if (raw === '--attributions') throw new UsageError('compare does not write attributions; use curate --attributions.');
    if (raw === '--strategies' || raw.startsWith('--strategies=')) {
      const v = raw.includes('=') ? raw.slice(raw.indexOf('=') + 1) : rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError('--strategies needs a value, e.g. cadc,random.');
      const names = v.split(',').map((x) => x.trim());
      if (names.some((x) => !x)) throw new UsageError(`--strategies ${v}: expected a comma-separated list such as cadc,random.`);
      strategies = names;
      continue;
    }
    forCurate.push(raw);
  }
  if (!strategies) throw new UsageError('compare needs --strategies, e.g. --strategies cadc,random.');
  let curate: CliArgs;
  try {
    curate = parseArgs(['curate', ...forCurate]);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.replace(/^curate /, 'compare '));
    throw e;
  }
  if (curate.command !== 'curate') return { command: 'help', topic: 'compare' };
  return { command: 'compare', strategies, curate };
}
