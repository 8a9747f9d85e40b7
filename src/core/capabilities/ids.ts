// Capability ids and names as users see them: `c<k>` (1-based) written and parsed in one place, ids
// ordered by number, and a user-given name cleaned the same way wherever it is set.

/** The id of the capability at 0-based index k: `c1`, `c2`, … */
export function capabilityId(k: number): string {
  return `c${k + 1}`;
}

/** k of a capability id `c<k>` (1-based, as written), or -1 when the text is not one. */
export function capabilityNumber(id: string): number {
  const m = /^c(\d+)$/.exec(id);
  return m ? Number(m[1]) : -1;
}

/** c2 < c10; other ids by string. */
export function compareCapabilityIds(a: string, b: string): number {
  const na = capabilityNumber(a);
  const nb = capabilityNumber(b);
  if (na >= 0 && nb >= 0) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Longest capability name kept. */
export const MAX_CAPABILITY_NAME = 120;

/** A capability name as a user typed it, cleaned: whitespace runs to one space, trimmed, cut at MAX_CAPABILITY_NAME ('' when nothing is left). */
export function cleanCapabilityName(name: string): string {
  return name.replace(/\s+/g, ' ').trim().slice(0, MAX_CAPABILITY_NAME);
}
