// Argument parsing for the `cadc` CLI, kept apart from main.ts so it can be unit-tested: Node's
// util.parseArgs reads the command line, the option table (src/app/options.ts) says which flags a
// command takes and how each value is read and checked.
import { parseArgs as parseCommandLine } from 'node:util';
import { applyOption, COMMANDS, defaultsOf, OPTIONS, optionsOf } from '../app/options';
import type { Command, OptionSpec, OptionTarget } from '../app/options';
import { UsageError } from '../app/outcome';
import type { GradientsPlanRequest } from '../app/gradientsPlan';
import type { ReportRequest } from '../app/report';
import { EXPORT_FORMATS } from '../core/export/formats';
import type { ExportFormat } from '../core/export/formats';
import type { CurateParams } from '../protocol/backend';

/** What every command's output switches add to its request. */
interface OutputSwitches {
  json: boolean;
  quiet: boolean;
  /** Print the stack of an unexpected failure. */
  verbose?: boolean;
}

export type CurateArgs = { command: 'curate' } & CurateParams & OutputSwitches;
export type ReportArgs = { command: 'report' } & ReportRequest & OutputSwitches;
export interface CompareArgs {
  command: 'compare';
  /** Strategy names as given (checked against the registry when the comparison runs). */
  strategies: string[];
  /** Everything else is curate's: dataset, budget, seed, out, cache, json, force, quiet, … */
  curate: CurateArgs;
}

/** `cadc gradients plan <dataset> --model M --gpus N …`. */
export type GradientsPlanArgs = { command: 'gradients'; action: 'plan' } & GradientsPlanRequest & Pick<OutputSwitches, 'json' | 'verbose'>;

export type ExportArgs = {
  command: 'export';
  manifest: string;
  format: ExportFormat;
  out?: string;
  force: boolean;
  imageRoot?: string;
} & OutputSwitches;
export type HelpTopic = Command;
export type CliArgs =
  CurateArgs | ReportArgs | CompareArgs | GradientsPlanArgs | ExportArgs | { command: 'help'; topic?: HelpTopic } | { command: 'version' };

/**
 * Reads a command's options and its one dataset: each `--name` or `--name=value` in order (the first
 * bad one throws), `--help` or `-h` stops the reading and asks for the command's help.
 */
function readCommand(command: Command, rest: string[]): { values: OptionTarget; help: boolean } {
  const options = optionsOf(command);
  const config = Object.fromEntries(options.map((o) => [o.flag as string, { type: o.arg ? ('string' as const) : ('boolean' as const) }]));
  const { tokens } = parseCommandLine({ args: rest, options: config, strict: false, allowPositionals: true, tokens: true });
  const values = defaultsOf(command);
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    if (t.name === 'help' || t.rawName === '-h') return { values, help: true };
    const option = options.find((o) => o.flag === t.name);
    if (!option) {
      const refused = OPTIONS.find((o) => o.flag === t.name && o.refusedBy?.[command])?.refusedBy?.[command];
      throw new UsageError(refused ?? `Unknown option ${t.rawName} for ${command}.`);
    }
    applyOption(option, values, valueOf(option, t), t.rawName);
  }
  const what = command === 'export' ? 'manifest' : 'dataset';
  if (positional.length !== 1) {
    throw new UsageError(
      positional.length === 0 ? `${command} needs a ${what} path.` : `${command} takes one ${what}, got ${positional.length}.`,
    );
  }
  values.dataset = positional[0];
  return { values, help: false };
}

/** An option token's value: a switch takes none; a valued option needs one (not the next flag). */
function valueOf(option: OptionSpec, t: { rawName: string; value?: string; inlineValue?: boolean }): string {
  if (!option.arg) {
    if (t.inlineValue) throw new UsageError(`${t.rawName} takes no value.`);
    return '';
  }
  if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--')))
    throw new UsageError(`${t.rawName} needs a value${option.example ? `, e.g. ${option.example}` : ''}.`);
  return t.value;
}

export function parseArgs(argv: string[]): CliArgs {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv[0] === 'help' ? argv[1] : undefined;
    if (topic !== undefined && !COMMANDS.includes(topic as HelpTopic))
      throw new UsageError(`No command '${topic}'; the commands are ${COMMANDS.join(', ')}.`);
    return { command: 'help', topic: topic as HelpTopic | undefined };
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [command, ...more] = argv;
  if (!COMMANDS.includes(command as Command))
    throw new UsageError(`Unknown command '${command}'; the commands are ${COMMANDS.join(', ')}.`);
  // `gradients` has one subcommand, `plan`.
  const planning = command === 'gradients' && more[0] === 'plan';
  if (command === 'gradients' && !planning && !more.some((a) => a === '--help' || a === '-h'))
    throw new UsageError(`gradients takes a subcommand: cadc gradients plan <dataset> --model M --gpus N.`);
  const rest = planning ? more.slice(1) : more;
  const { values, help } = readCommand(command as Command, rest);
  if (help) return { command: 'help', topic: command as Command };
  if (command === 'gradients') {
    if (values.model === undefined) throw new UsageError('gradients plan needs --model, e.g. --model HuggingFaceTB/SmolVLM-256M-Instruct.');
    if (values.gpus === undefined) throw new UsageError('gradients plan needs --gpus N (GPUs in all).');
    return { ...(values as unknown as GradientsPlanArgs), command: 'gradients', action: 'plan' };
  }
  if (command === 'report') return { command: 'report', ...(values as unknown as ReportRequest & OutputSwitches) };
  if (command === 'export') {
    const { dataset, ...rest } = values as unknown as Omit<ExportArgs, 'command' | 'manifest'> & { dataset: string };
    if (!rest.format) throw new UsageError(`export needs --format, e.g. --format llava (${EXPORT_FORMATS.join(', ')}).`);
    return { ...rest, command: 'export', manifest: dataset };
  }
  const { strategies, ...curate } = values as unknown as CurateArgs & { strategies?: string[] };
  checkAlignmentArgs(curate);
  if (command === 'curate') return { ...curate, command: 'curate' };
  if (!strategies) throw new UsageError('compare needs --strategies, e.g. --strategies cadc,random.');
  // The comparison's base run is curate's: curate's defaults for what compare does not take (--strategy).
  return { command: 'compare', strategies, curate: { ...(defaultsOf('curate') as unknown as CurateArgs), ...curate, command: 'curate' } };
}

/** The alignment options must agree with each other and with --alignment / --strategy. */
function checkAlignmentArgs(a: CurateParams): void {
  const shaping = [
    a.alignmentSize !== undefined && '--alignment-size',
    a.alignmentMinChars !== undefined && '--alignment-min-chars',
    a.alignmentLabel && '--alignment-label',
  ].filter((x): x is string => typeof x === 'string');
  if (a.alignmentLabel && a.alignmentMinChars !== undefined)
    throw new UsageError('--alignment-label and --alignment-min-chars are two different predicates: give one.');
  if (shaping.length === 0) return;
  const mode = a.alignment ?? 'auto';
  if (mode === 'off') throw new UsageError(`${shaping.join(', ')} shape the alignment stage, but --alignment is off.`);
  if (mode === 'auto' && a.strategy !== 'task-balanced') {
    throw new UsageError(
      `${shaping.join(', ')} shape the alignment stage, which --alignment auto leaves off for --strategy ${a.strategy}; add --alignment on.`,
    );
  }
}
