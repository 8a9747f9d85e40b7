// Numbers in messages as people read them, the same on every machine: counts with thousands
// separators ("45,480"), whatever the locale of the process.
export function thousands(x: number): string {
  return x.toLocaleString('en-US');
}
