// The rename use case: the names a curator gives capabilities, written into the manifest file itself
// (one read, one atomic write, the same deterministic serialisation), and carried across a
// re-selection to capabilities made of the same probe groups. Used by the Capability Map.
import { readFile } from 'node:fs/promises';
import { cleanCapabilityName } from '../core/capabilities/ids';
import { writeFileAtomic } from '../core/util/atomicFile';
import { stableStringify } from '../core/util/stableJson';

interface ManifestNames {
  capabilities: { id: string; name: string; groups: string[] }[];
  stages: { capabilities: string[]; name: string; kind?: string }[];
}

async function readManifest(file: string): Promise<ManifestNames> {
  const m = JSON.parse(await readFile(file, 'utf8')) as ManifestNames;
  if (!m || !Array.isArray(m.capabilities) || !Array.isArray(m.stages))
    throw new Error(`${file} is not a CADC manifest (no capabilities or stages).`);
  return m;
}

/** Renames capabilities (id → new name) in the manifest file; names are cleaned, an unknown id is an error. */
export async function renameInManifest(file: string, names: ReadonlyMap<string, string>): Promise<void> {
  const m = await readManifest(file);
  for (const [id, raw] of names) {
    const name = cleanCapabilityName(raw);
    if (!name) throw new Error(`An empty name for ${id}.`);
    const cap = m.capabilities.find((c) => c.id === id);
    if (!cap) throw new Error(`No capability ${id} in the manifest.`);
    const old = cap.name;
    cap.name = name;
    // A stage named after its single capability follows the rename.
    for (const st of m.stages)
      if (st.kind !== 'alignment' && st.capabilities.length === 1 && st.capabilities[0] === id && st.name === old) st.name = name;
  }
  // Atomic: a crash mid-write leaves the old manifest, never a truncated one.
  writeFileAtomic(file, stableStringify(m));
}

/** A capability's identity across re-selections: its id and the probe groups it is made of. */
export interface NamedCapability {
  id: string;
  name: string;
  groups: string[];
}

export async function readCapabilityNames(file: string): Promise<NamedCapability[]> {
  const m = await readManifest(file);
  return m.capabilities.map((c) => ({ id: c.id, name: c.name, groups: c.groups }));
}

/**
 * After a re-selection rewrote the manifest, puts back the names the user gave: a capability keeps
 * its name when the new manifest has the same id made of the same probe groups. Returns the ids renamed.
 */
export async function carryCapabilityNames(file: string, before: NamedCapability[]): Promise<string[]> {
  const after = await readCapabilityNames(file);
  const renames = new Map<string, string>();
  for (const old of before) {
    const now = after.find((c) => c.id === old.id);
    if (!now || now.name === old.name || now.groups.join('\u0000') !== old.groups.join('\u0000')) continue;
    renames.set(old.id, old.name);
  }
  if (renames.size) await renameInManifest(file, renames);
  return [...renames.keys()];
}
