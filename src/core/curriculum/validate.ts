// Validates a manifest against schemas/cadc.manifest.v1.schema.json, plus the invariants a schema
// cannot say (unique lines across stages, selected count matches, stage capabilities exist).
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
  const m = obj as { budget: { selected: number }; capabilities: { id: string }[]; stages: { capabilities: string[]; samples: { line: number; capability: string }[] }[] };
  const caps = new Set(m.capabilities.map((c) => c.id));
  const lines = new Set<number>();
  let count = 0;
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
