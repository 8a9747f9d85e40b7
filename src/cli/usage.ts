// The `cadc` help texts: the top-level help, and each command's usage with its options listed from
// the option table (src/app/options.ts), two columns, continuation lines aligned.
import { optionsOf } from '../app/options';
import type { Command } from '../app/options';

/** `cadc` and `cadc --help`: the commands, one line each, and where to start. */
export const HELP = `Usage: cadc <command> [options]

Commands:
  curate <dataset>   Select a capability-balanced, staged curriculum from a dataset → <stem>.cadc.json
  report <dataset>   Quality report (correctness, diversity, complexity) of a dataset and a selection
  compare <dataset>  Compare selection strategies at one budget: overlap, composition, quality
  gradients plan <dataset> --model M --gpus N
                     Launch commands and GPU-hours for the gradient job (real-model trajectories)
  export <manifest>  Write a curriculum's stages for LLaVA, ShareGPT, ms-swift or LLaMA-Factory

Start with:  cadc curate data.jsonl --budget 5%
Each command's options: cadc <command> --help      Version: cadc --version
Datasets: JSONL or a JSON array of LLaVA, ShareGPT, OpenAI-messages, Cauldron or Alpaca records,
          or Parquet (a file or a folder of shards) with such columns.
Exit codes: 0 ok, 2 bad arguments, 3 unreadable dataset, 4 output exists (use --force),
            5 failed, 130 cancelled. With --json a failure prints {"error":{"code","message",…}} on stdout.
`;

const EXIT_CODES = `Exit codes: 0 ok, 2 bad arguments, 3 unreadable dataset (one line: what was found, what is read,
            where reading stopped), 4 output exists (use --force), 5 failed, 130 cancelled (Ctrl+C;
            nothing half-written). With --json a failure prints {"error":{"code","message","line"?}} on stdout.
`;

/** What each command's usage says before its options (and, for compare, the line after them). */
const HEADERS: Record<Command, { head: string; after?: string }> = {
  curate: {
    head: `Usage: cadc curate <dataset> [options]

Curate a dataset (.jsonl or .json) into a capability-balanced, staged curriculum:
<out>/<stem>.cadc.json (and with --attributions <stem>.cadc.attributions.jsonl).`,
  },
  report: {
    head: `Usage: cadc report <dataset> [options]

Quality report (correctness, diversity, complexity) of a dataset, and of a manifest's selection and
each capability: <out>/<stem>.cadc.report.md and .json, or one JSON object on stdout with --json.`,
  },
  compare: {
    head: `Usage: cadc compare <dataset> --strategies cadc,random,… [options]

Run the pipeline once (cached) and select with each strategy at one budget: counts, Jaccard overlap,
composition, quality deltas. Writes <out>/<stem>.cadc.compare.md and .json, or JSON on stdout with --json.`,
    after: "  Every option of 'cadc curate' except --strategy and --attributions (see cadc curate --help).",
  },
  gradients: {
    head: `Usage: cadc gradients plan <dataset> --model M --gpus N [options]

The gradient job's launch commands (torchrun on one node and on several, Slurm's srun) for a dataset,
and the GPU-hours its measured throughput predicts (bench/results/gradients.json). The job
(jobs/gradients) writes a cadc.gradients/v1 folder for 'cadc curate <dataset> --gradients DIR'.`,
  },
  export: {
    head: `Usage: cadc export <manifest> --format llava|sharegpt|openai|llama-factory [options]

Write a manifest's stages as the files a training framework reads, one per stage in curriculum
order, with a README.md on training stage by stage (and dataset_info.json for LLaMA-Factory).
Images embedded in a Parquet dataset are written to images/ in the export folder. See docs/export.md.`,
  },
};

const INDENT = 2;
const COLUMN = 20; // the help text starts at INDENT + COLUMN; a longer flag gets a line of its own

/** One option's lines: `  --flag ARG          help`, continuation lines aligned under the help. */
function optionLines(flag: string, help: string): string[] {
  const pad = ' '.repeat(INDENT + COLUMN);
  const [first, ...more] = help.split('\n');
  const head =
    flag.length <= COLUMN - 2
      ? [`${' '.repeat(INDENT)}${flag.padEnd(COLUMN)}${first}`]
      : [`${' '.repeat(INDENT)}${flag}`, `${pad}${first}`];
  return [...head, ...more.map((l) => `${pad}${l}`)];
}

/** The usage text of a command. */
export function usageOf(command: Command): string {
  const listed = optionsOf(command).filter((o) => (o.listed ?? o.commands).includes(command));
  const output = new Set(['out', 'json', 'force', 'quiet', 'verbose']);
  const own = listed.filter((o) => !output.has(o.flag as string));
  const shared = listed.filter((o) => output.has(o.flag as string));
  const lines = (os: typeof listed) =>
    os.flatMap((o) => optionLines(`--${o.flag}${o.arg ? ` ${o.arg}` : ''}`, o.helpFor?.[command] ?? o.help ?? ''));
  const { head, after } = HEADERS[command];
  return [head, '', 'Options:', ...lines(own), ...(after ? [after] : []), ...lines(shared), '', EXIT_CODES].join('\n');
}

/** The help text of a topic (a command), or the top-level help. */
export function helpText(topic?: string): string {
  if (topic === 'curate' || topic === 'report' || topic === 'compare' || topic === 'gradients' || topic === 'export') return usageOf(topic);
  return HELP;
}

export const CURATE_USAGE = usageOf('curate');
