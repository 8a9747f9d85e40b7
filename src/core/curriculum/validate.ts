// Validates a manifest against schemas/cadc.manifest.v1.schema.json, plus the invariants a schema
// cannot say (unique lines across stages, selected count matches, stage capabilities exist, ids
// s1..sN in order, an alignment stage only last and no larger than its target and matches).
import Ajv2020 from 'ajv/dist/2020';
import schema from '../../../schemas/cadc.manifest.v1.schema.json';

let compiled: ReturnType<Ajv2020['compile']> | undefined;

export function validateManifest(obj: unknown): { valid: boolean; errors: string[] } {
  if (!compiled) compiled = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  const errors: string[] = [];
  if (!compiled(obj)) {
    for (const e of compiled.errors ?? []) errors.push(`${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    return { valid: false, errors };
  }
  const m = obj as {
    budget: { selected: number };
    proxy: { warmupSamples: number };
    gradients?: unknown;
    capabilities: { id: string }[];
    stages: {
      id: string;
      kind?: string;
      alignment?: { target: number; matched: number };
      capabilities: string[];
      samples: { line: number; capability: string }[];
    }[];
  };
  if (m.proxy.warmupSamples === 0 && !m.gradients)
    errors.push('proxy.warmupSamples is 0, which only a manifest with imported gradients may say');
  const caps = new Set(m.capabilities.map((c) => c.id));
  const lines = new Set<number>();
  let count = 0;
  m.stages.forEach((s, j) => {
    if (s.id !== `s${j + 1}`) errors.push(`stage ${j + 1} has id ${s.id}`);
    if (s.kind !== 'alignment') return;
    if (j !== m.stages.length - 1) errors.push(`alignment stage ${s.id} is not the last stage`);
    if (s.alignment && s.samples.length > Math.min(s.alignment.target, s.alignment.matched)) {
      errors.push(
        `alignment stage ${s.id} holds ${s.samples.length} samples, more than min(target ${s.alignment.target}, matched ${s.alignment.matched})`,
      );
    }
  });
  for (const s of m.stages) {
    for (const c of s.capabilities) if (!caps.has(c)) errors.push(`stage capability ${c} is not a capability`);
    for (const x of s.samples) {
      count++;
      if (lines.has(x.line)) errors.push(`line ${x.line} appears twice`);
      lines.add(x.line);
      if (!caps.has(x.capability)) errors.push(`line ${x.line}: unknown capability ${x.capability}`);
    }
  }
  if (count !== m.budget.selected) errors.push(`budget.selected is ${m.budget.selected} but the stages hold ${count} samples`);
  return { valid: errors.length === 0, errors };
}
