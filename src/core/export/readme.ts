// The README.md written beside an exported curriculum: what the files are and how to train stage by
// stage with the chosen framework (each stage a run that starts from the previous stage's weights).
import type { ExportFormat } from './formats';
import { llamaFactoryName, stageFileName } from './formats';

export interface ReadmeStage {
  id: string;
  name: string;
  samples: number;
}

export function exportReadme(opts: {
  format: ExportFormat;
  stem: string;
  manifest: string;
  dataset: string;
  stages: ReadmeStage[];
  embeddedImages: number;
}): string {
  const { format, stem, stages } = opts;
  const file = (id: string) => stageFileName(stem, id, format);
  const table = stages.map((s) => `| ${s.id} | ${s.name.replace(/\|/g, '\\|')} | ${s.samples} | \`${file(s.id)}\` |`).join('\n');
  const images =
    opts.embeddedImages > 0 ? `The ${opts.embeddedImages} image(s) embedded in the dataset were written to \`images/\` here. ` : '';
  const head = `# CADC curriculum: ${stem} (${format})

Exported by \`cadc export\` from the manifest \`${opts.manifest}\` (dataset \`${opts.dataset}\`). Train the
stages **in this order**, each stage starting from the weights the previous stage ended with; within a
stage the samples are in CADC's training order (turn off shuffling to keep it, or let the framework
shuffle within the stage).

| stage | name | samples | file |
|---|---|---|---|
${table}

Image paths in the files are relative to this folder. ${images}
`;
  const first = stages[0]?.id ?? 's1';
  switch (format) {
    case 'llava':
      return `${head}
## LLaVA (\`llava/train/train.py\`)

Each stage file is a JSON array of \`{id, image, conversations}\` records, as LLaVA's
\`LazySupervisedDataset\` reads them. The image folder is **this folder**: for stage ${first},

\`\`\`sh
deepspeed llava/train/train_mem.py ... \\
  --data_path ${file(first)} --image_folder . \\
  --output_dir ./checkpoints/${stem}-${first}
\`\`\`

then run the next stage with \`--model_name_or_path ./checkpoints/${stem}-${first}\` and its own
\`--data_path\`, and so on. LLaVA-1.5 reads one image per sample; records with several images carry
\`image\` as a list (LLaVA-NeXT / OneVision read it). System turns are not part of LLaVA's format and
were left out.
`;
    case 'sharegpt':
      return `${head}
## ShareGPT

Each stage file is a JSON array of \`{id, conversations: [{from: human|gpt, value}], system?, images?}\`.
LLaMA-Factory reads it with \`"formatting": "sharegpt"\` and its default tags (\`from\`/\`value\`,
\`human\`/\`gpt\`) and \`"columns": {"messages": "conversations", "images": "images"}\`; other
ShareGPT readers take it as it is. Train one stage after the other, each from the previous output.
`;
    case 'llama-factory':
      return `${head}
## LLaMA-Factory

\`dataset_info.json\` here declares one dataset per stage (\`formatting: sharegpt\`, \`columns\`
{messages, images}, OpenAI-style \`tags\`), in stage order: ${stages.map((s) => `\`${llamaFactoryName(stem, s.id)}\``).join(', ')}.
Point \`dataset_dir\` at this folder (image paths resolve against it) and train stage by stage:

\`\`\`yaml
# stage ${first}
dataset_dir: ${'<this folder>'}
dataset: ${llamaFactoryName(stem, first)}
output_dir: saves/${stem}-${first}
\`\`\`

\`llamafactory-cli train stage-${first}.yaml\`, then the next stage with \`dataset:\` its entry and
\`model_name_or_path\` (full fine-tuning) or \`adapter_name_or_path\` (LoRA) set to the previous
\`output_dir\`.
`;
    case 'openai':
      return `${head}
## ms-swift (and other readers of OpenAI-style messages)

Each stage file is JSONL: \`{"messages": [{"role", "content"}], "images": [...]}\`, the standard
format of ms-swift. Train stage by stage, from this folder (image paths are relative to it):

\`\`\`sh
swift sft --model <model> --dataset ${file(first)} --output_dir output/${stem}-${first}
\`\`\`

then the next stage with its own \`--dataset\` and \`--resume_from_checkpoint\` (or \`--adapters\`
for LoRA) pointing at the previous stage's last checkpoint.
`;
  }
}
