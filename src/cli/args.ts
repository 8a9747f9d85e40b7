// Argument parsing for the `cadc` CLI, kept apart from main.ts so it can be unit-tested.
import type { StrategyName, WithinCapabilityRule } from '../core/config';
import type { DatasetFormat } from '../core/dataset/types';

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
  out: string;
  seed: number;
  capabilities: number | 'auto';
  strategy: StrategyName;
  within?: WithinCapabilityRule;
  balance?: 'even' | 'proportional';
  imageRoot?: string;
  probe?: string;
  format: DatasetFormat | 'auto';
  attributions: boolean;
  json: boolean;
  force: boolean;
  cache: string | null | undefined; // undefined = default user cache; null = --no-cache
  quiet: boolean;
}

export type CliArgs = CurateArgs | { command: 'help'; topic?: string } | { command: 'version' };

export const STRATEGIES: StrategyName[] = ['cadc', 'random', 'mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];
const WITHIN: WithinCapabilityRule[] = ['stratified', 'top-influence', 'influence-weighted'];
const FORMATS = ['auto', 'llava', 'sharegpt', 'openai', 'cauldron', 'alpaca'];

export const USAGE = `Usage: cadc <command> [options]

Commands:
  curate <dataset>   Curate a dataset (.jsonl or .json) into a capability-balanced, staged curriculum.

Options for curate:
  --budget B          5% | 0.05 | 2000 (fraction of the pool or a sample count). Default 5%.
  --out DIR           Folder for <stem>.cadc.json (and attributions). Default ./curation.
  --seed N            Seed for every random choice. Default 42.
  --capabilities K    'auto' (discover K) or a number to force it. Default auto.
  --strategy S        ${STRATEGIES.join(' | ')}. Default cadc.
  --within R          CADC's rule inside a capability: ${WITHIN.join(' | ')}. Default stratified.
  --balance B         How CADC splits the budget over capabilities: proportional (default) | even (the paper).
  --image-root DIR    Folder image paths resolve against. Default: the dataset's folder.
  --probe FILE        Probe dataset whose label field defines probe groups.
  --format F          ${FORMATS.join(' | ')}. Default auto.
  --attributions      Also write <stem>.cadc.attributions.jsonl (one line per sample).
  --json              Print one JSON summary object on stdout (progress stays on stderr).
  --force             Overwrite an existing manifest.
  --cache DIR         Cache folder (default: $XDG_CACHE_HOME/cadc or ~/.cache/cadc).
  --no-cache          Do not read or write a cache.
  --quiet             No progress on stderr.

Exit codes: 0 ok, 2 bad arguments, 3 unreadable dataset, 4 manifest exists (use --force),
            5 curation failed, 130 cancelled (Ctrl+C; nothing half-written).
`;

/** Parses a budget: '5%' → 0.05, '0.05' → 0.05, '2000' → 2000. */
export function parseBudget(text: string): number {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const v = Number(pct[1]) / 100;
    if (v <= 0 || v > 1) throw new UsageError(`--budget ${text}: a percentage must be in (0%, 100%].`);
    return v;
  }
  if (!/^\d+(?:\.\d+)?$/.test(t)) throw new UsageError(`--budget ${text}: expected 5%, 0.05 or a count such as 2000.`);
  const v = Number(t);
  if (v <= 0) throw new UsageError(`--budget ${text}: must be positive.`);
  if (v > 1 && !Number.isInteger(v)) throw new UsageError(`--budget ${text}: a count must be a whole number.`);
  return v;
}

export function parseArgs(argv: string[]): CliArgs {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    return { command: 'help', topic: argv[1] };
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [command, ...rest] = argv;
  if (command !== 'curate') throw new UsageError(`Unknown command '${command}'. Try 'cadc --help'.`);

  const out: CurateArgs = {
    command: 'curate',
    dataset: '',
    budget: 0.05,
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
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value.`);
      return v;
    };
    switch (name) {
      case '--help':
        return { command: 'help', topic: 'curate' };
      case '--budget':
        out.budget = parseBudget(value());
        break;
      case '--out':
        out.out = value();
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
      case '--image-root':
        out.imageRoot = value();
        break;
      case '--probe':
        out.probe = value();
        break;
      case '--format': {
        const v = value();
        if (!FORMATS.includes(v)) throw new UsageError(`--format ${v}: expected one of ${FORMATS.join(', ')}.`);
        out.format = v as DatasetFormat | 'auto';
        break;
      }
      case '--attributions':
        out.attributions = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '--force':
        out.force = true;
        break;
      case '--quiet':
        out.quiet = true;
        break;
      case '--cache':
        out.cache = value();
        break;
      case '--no-cache':
        out.cache = null;
        break;
      default:
        throw new UsageError(`Unknown option ${name}. Try 'cadc --help'.`);
    }
  }
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'curate needs a dataset path.' : `curate takes one dataset, got ${positional.length}.`);
  }
  out.dataset = positional[0];
  return out;
}
