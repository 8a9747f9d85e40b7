// `cadc gradients plan`: the launch commands of the gradient job (jobs/gradients) for a dataset on one
// node, several nodes and Slurm, and the GPU-hours the measured throughput predicts. Throughput comes
// from bench/results/gradients.json (bundled at build time): a GPU row when the benchmark ran on one;
// with none, the CPU tiny-model number is not stretched to a GPU — the plan says so and falls back to
// the H100 figures issue 15 reports (docs/gradients.md), labelled as such.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import measured from '../../bench/results/gradients.json';
import { readDataset } from '../core/dataset/reader';
import { UsageError } from './outcome';

export interface GradientsPlanRequest {
  dataset: string;
  /** A Hugging Face model id or folder, or a config.json. */
  model: string;
  gpus: number;
  gpusPerNode?: number;
  checkpoints?: number;
  /** Tokens a sample (default: estimated from the dataset). */
  tokens?: number;
  batch?: number;
}

export interface GpuRow {
  model: string;
  device: string;
  gpu: number;
  batch: number;
  tokens: number;
  layers: number;
  samplesPerSecond: number;
}

export interface GradientsPlan {
  dataset: string;
  samples: number;
  invalid: number;
  checkpoints: number;
  tokens: { perSample: number; basis: string };
  model: { name: string; parameters?: number; basis: string };
  gpus: number;
  nodes: number;
  gpusPerNode: number;
  batch: number;
  commands: { oneNode: string; multiNode?: string; slurm: string; import: string };
  estimate: {
    /** Where the throughput comes from, in words. */
    source: string;
    measuredOn?: string;
    samplesPerSecondPerGpu?: number;
    gpuHours?: number;
    wallHours?: number;
    note: string;
  };
}

/** One H100, SmolVLM-256M shape, ≈ 700 tokens: samples·checkpoints/s at batch 8, 32, 64 (issue 15; docs/gradients.md). */
const ISSUE_15 = {
  device: 'NVIDIA H100 (issue 15)',
  parameters: 256e6,
  tokens: 700,
  rows: { 8: 56, 32: 192, 64: 286 } as Record<number, number>,
};
/** The benchmark's GPU model: SmolVLM-256M's text stack (30 layers, d 576, MLP 1536; bench.py's SMOL). */
const BENCH_SHAPE_PARAMETERS = 30 * (4 * 576 * 576 + 3 * 576 * 1536);

export async function planGradients(req: GradientsPlanRequest): Promise<GradientsPlan> {
  if (!Number.isInteger(req.gpus) || req.gpus < 1) throw new UsageError(`--gpus ${req.gpus}: expected a whole number ≥ 1.`);
  const K = req.checkpoints ?? 4;
  const batch = req.batch ?? 64;
  const gpusPerNode = req.gpusPerNode ?? Math.min(req.gpus, 8);
  const nodes = Math.ceil(req.gpus / gpusPerNode);
  // Estimated tokens of each sample: text characters / 4 + 64 an image.
  const perSample: number[] = [];
  const summary = await readDataset(req.dataset, { checkImages: false, maxDiagnostics: 0 }, (s) => {
    let chars = 0;
    for (const t of s.turns) chars += t.text.length;
    perSample.push(chars / 4 + 64 * s.images.length);
  });
  const samples = perSample.length;
  const tokens =
    req.tokens !== undefined
      ? { perSample: req.tokens, basis: 'given (--tokens)' }
      : {
          perSample: Math.max(1, Math.round(perSample.reduce((a, b) => a + b, 0) / Math.max(1, samples))),
          basis:
            'estimated: text characters / 4 + 64 tokens an image, averaged over the samples (pass --tokens for your processor’s count)',
        };
  const model = modelSize(req.model);
  const ds = req.dataset;
  const base = req.model;
  const cks = Array.from({ length: K }, (_, t) => `--checkpoint warmup/checkpoint-${t + 1} --lr LR${t + 1}`).join(' ');
  // The job's cut-off: the power of two that holds the given length, or 95% of the estimated lengths.
  const p95 = req.tokens ?? [...perSample].sort((a, b) => a - b)[Math.floor(0.95 * Math.max(0, samples - 1))] ?? 0;
  const maxTokens = Math.max(128, 2 ** Math.ceil(Math.log2(Math.max(1, p95))));
  const job = `-m cadc_gradients run ${ds} --out grads/ --base ${base} ${cks} --batch-size ${batch} --max-tokens ${maxTokens}`;
  const commands = {
    oneNode: `torchrun --standalone --nproc_per_node ${Math.min(req.gpus, gpusPerNode)} ${job}`,
    ...(nodes > 1
      ? {
          multiNode: `torchrun --nnodes ${nodes} --nproc_per_node ${gpusPerNode} --node_rank $NODE_RANK --master_addr $HEAD_NODE --master_port 29500 ${job}`,
        }
      : {}),
    slurm:
      `export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1) MASTER_PORT=29500; ` +
      `srun --nodes ${nodes} --ntasks-per-node ${gpusPerNode} --gpus-per-node ${gpusPerNode} python ${job}`,
    import: `cadc curate ${ds} --gradients grads/`,
  };
  return {
    dataset: ds,
    samples,
    invalid: summary.invalid,
    checkpoints: K,
    tokens,
    model,
    gpus: req.gpus,
    nodes,
    gpusPerNode,
    batch,
    commands,
    estimate: estimate(samples * K, tokens.perSample, model.parameters, batch, req.gpus),
  };
}

/** Parameters from a config.json (a Llama-style count of its text and vision stacks) or from the model's name ("256M", "2.2B"). */
export function modelSize(model: string): GradientsPlan['model'] {
  const config = model.endsWith('.json')
    ? model
    : existsSync(path.join(model, 'config.json'))
      ? path.join(model, 'config.json')
      : undefined;
  if (config && existsSync(config) && statSync(config).isFile()) {
    let c: Record<string, unknown>;
    try {
      c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--model ${model}: ${config} is not JSON (${(e as Error).message}).`);
    }
    const stacks = [c.text_config ?? c, c.vision_config].filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
    let p = 0;
    for (const s of stacks) {
      const h = Number(s.hidden_size ?? s.d_model);
      const l = Number(s.num_hidden_layers ?? s.n_layer);
      const f = Number(s.intermediate_size ?? 4 * h);
      const v = Number(s.vocab_size ?? 0);
      if (Number.isFinite(h) && Number.isFinite(l)) p += l * (4 * h * h + 3 * h * f) + v * h;
    }
    return p > 0
      ? {
          name: (c._name_or_path as string) || model,
          parameters: p,
          basis: `counted from ${config} (layers × (4h² + 3h·d_ff) + vocab × h per stack)`,
        }
      : { name: model, basis: `${config} names no hidden_size / num_hidden_layers` };
  }
  const m = /(\d+(?:\.\d+)?)\s*([MB])(?![a-z])/i.exec(path.basename(model));
  if (m) return { name: model, parameters: Number(m[1]) * (m[2].toUpperCase() === 'B' ? 1e9 : 1e6), basis: `from the name (${m[0]})` };
  return { name: model, basis: 'unknown (no size in the name and no config.json); pass a config.json for an estimate' };
}

function estimate(passes: number, tokens: number, parameters: number | undefined, batch: number, gpus: number): GradientsPlan['estimate'] {
  const rows = ((measured as { gpu?: GpuRow[] | null }).gpu ?? []).filter((r) => r.gpu === 0);
  const cpu = (measured as { cpu?: { name: string; runs: { model: string; samplesPerSecond: number; batch: number }[] } }).cpu;
  const cpuText = cpu?.runs.length
    ? `CPU ${cpu.name}, tiny model, ${cpu.runs.map((r) => `${r.samplesPerSecond} samples·checkpoints/s at batch ${r.batch}`).join(', ')}`
    : 'nothing';
  const hours = (perGpu: number) => ({
    samplesPerSecondPerGpu: sig3(perGpu),
    gpuHours: sig3(passes / perGpu / 3600),
    wallHours: sig3(passes / perGpu / 3600 / gpus),
  });
  /** FLOPs ∝ parameters × tokens; never faster than measured (a small model or short samples do not fill a GPU's batch the same way). */
  const flops = (p0: number, t0: number) => Math.min(1, (p0 * t0) / (parameters! * tokens));
  if (parameters === undefined)
    return { source: 'none', note: `No estimate: the model's size is unknown. Measured in bench/results/gradients.json: ${cpuText}.` };
  if (rows.length) {
    const row = rows.reduce((a, b) => (Math.abs(b.batch - batch) < Math.abs(a.batch - batch) ? b : a));
    const scale = flops(BENCH_SHAPE_PARAMETERS, row.tokens);
    return {
      source: 'bench/results/gradients.json (GPU)',
      measuredOn: `${row.device}, ${row.model} (${row.layers} hooked layers), batch ${row.batch}, ${row.tokens} tokens: ${row.samplesPerSecond} samples·checkpoints/s`,
      ...hours(row.samplesPerSecond * scale),
      note: `Scaled by FLOPs (parameters × tokens, capped at the measured rate: × ${sig3(scale)}) from the measured shape to this model; wall time assumes linear scaling over ${gpus} GPU(s) of the measured kind.`,
    };
  }
  const b = [8, 32, 64].reduce((a, x) => (Math.abs(x - batch) < Math.abs(a - batch) ? x : a));
  const scale = flops(ISSUE_15.parameters, ISSUE_15.tokens);
  return {
    source: 'issue 15 (no GPU measurement in bench/results/gradients.json)',
    measuredOn: `${ISSUE_15.device}, SmolVLM-256M shape, batch ${b}, ${ISSUE_15.tokens} tokens: ${ISSUE_15.rows[b]} samples·checkpoints/s`,
    ...hours(ISSUE_15.rows[b] * scale),
    note:
      `bench/results/gradients.json holds no GPU run (${cpuText}); a CPU tiny-model number says nothing about a GPU and is not scaled to one. ` +
      `This estimate uses the H100 throughput reported in issue 15 (docs/gradients.md), scaled by FLOPs (parameters × tokens, capped at the measured rate: × ${sig3(scale)}); ` +
      `run npm run bench:gradients on your GPUs for a measured one. Wall time assumes linear scaling over ${gpus} H100-class GPU(s).`,
  };
}

function sig3(x: number): number {
  return Number(x.toPrecision(3));
}

/** The plan as text for a terminal. */
export function planText(p: GradientsPlan): string {
  const e = p.estimate;
  const lines = [
    `Dataset: ${p.dataset} — ${p.samples.toLocaleString('en-US')} samples${p.invalid ? ` (${p.invalid} invalid records skipped)` : ''}, ${p.checkpoints} checkpoints, ≈ ${p.tokens.perSample} tokens a sample (${p.tokens.basis})`,
    `Model: ${p.model.name}${p.model.parameters ? ` ≈ ${(p.model.parameters / 1e6).toFixed(0)}M parameters` : ''} (${p.model.basis})`,
    '',
    `Launch (put your warm-up checkpoints and their learning rates in place of warmup/checkpoint-t and LRt):`,
    `  1 node × ${Math.min(p.gpus, p.gpusPerNode)} GPU(s):`,
    `    ${p.commands.oneNode}`,
    ...(p.commands.multiNode
      ? [`  ${p.nodes} nodes × ${p.gpusPerNode} GPUs (run on every node; grads/ on a shared file system):`, `    ${p.commands.multiNode}`]
      : []),
    `  Slurm, ${p.nodes} node(s) × ${p.gpusPerNode} GPU(s):`,
    `    ${p.commands.slurm}`,
    `  Then: ${p.commands.import}`,
    '',
    `Estimate (${e.source}):`,
    ...(e.measuredOn ? [`  throughput measured on: ${e.measuredOn}`] : []),
    ...(e.gpuHours !== undefined
      ? [
          `  ≈ ${e.samplesPerSecondPerGpu} samples·checkpoints/s per GPU → ${e.gpuHours} GPU-hours for ${(p.samples * p.checkpoints).toLocaleString('en-US')} sample·checkpoint gradients, ≈ ${e.wallHours} h on ${p.gpus} GPU(s)`,
        ]
      : []),
    `  ${e.note}`,
  ];
  return `${lines.join('\n')}\n`;
}
