// Edits the Capability Map makes to a manifest file: renaming capabilities (written atomically, with
// the same deterministic serialisation) and carrying the user's names across a re-selection.
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/util/atomicFile';
import { stableStringify } from '../../core/util/stableJson';

/** Renames capabilities (id → new name) in the manifest file itself: one read, one write, same deterministic serialisation. */
export async function renameInManifest(uri: vscode.Uri, names: ReadonlyMap<string, string>): Promise<void> {
  const m = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as {
    capabilities: { id: string; name: string }[];
    stages: { capabilities: string[]; name: string; kind?: string }[];
  };
  for (const [id, name] of names) {
    const cap = m.capabilities.find((c) => c.id === id);
    if (!cap) throw new Error(`No capability ${id} in the manifest.`);
    const old = cap.name;
    cap.name = name;
    // A stage named after its single capability follows the rename.
    for (const st of m.stages)
      if (st.kind !== 'alignment' && st.capabilities.length === 1 && st.capabilities[0] === id && st.name === old) st.name = name;
  }
  // Atomic: a crash mid-write leaves the old manifest, never a truncated one (the extension host is Node; files are local).
  writeFileAtomic(uri.fsPath, stableStringify(m));
}

/** A capability's identity across re-selections: its id and the probe groups it is made of. */
export interface NamedCapability {
  id: string;
  name: string;
  groups: string[];
}

export async function readCapabilityNames(uri: vscode.Uri): Promise<NamedCapability[]> {
  const m = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as { capabilities: NamedCapability[] };
  return m.capabilities.map((c) => ({ id: c.id, name: c.name, groups: c.groups }));
}

/**
 * After a re-selection rewrote the manifest, puts back the names the user gave: a capability keeps
 * its name when the new manifest has the same id made of the same probe groups. Returns the ids renamed.
 */
export async function carryCapabilityNames(uri: vscode.Uri, before: NamedCapability[]): Promise<string[]> {
  const after = await readCapabilityNames(uri);
  const renames = new Map<string, string>();
  for (const old of before) {
    const now = after.find((c) => c.id === old.id);
    if (!now || now.name === old.name || now.groups.join('\u0000') !== old.groups.join('\u0000')) continue;
    renames.set(old.id, old.name);
  }
  if (renames.size) await renameInManifest(uri, renames);
  return [...renames.keys()];
}
