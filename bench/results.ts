// Where a benchmark's results go: bench/results/<name>.json (skipped for a smoke run, which must not
// overwrite the measured results), and one JSON line on stdout for the smoke tests and for piping.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(__dirname, 'results');

export function publishReport(name: string, report: unknown, smoke: boolean): void {
  if (!smoke) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
