// Refactoring guard: curates the demo and the owleval fixture with every strategy (no cache) and
// prints one line per output file: "<sha256>  <dataset>/<strategy>/<file>". Run it before and after
// a change that must not change behaviour and diff the two outputs (they must be identical).
//   node esbuild.config.mjs --only cli && node scripts/outputHashes.mjs > before.txt
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const datasets = { demo: 'demo/demo.jsonl', owleval: 'test/fixtures/owleval/owleval.jsonl' };
const strategies = ['cadc', 'random', 'mmssr', 'task-balanced', 'less', 'icons', 'length', 'loss-band'];
const cli = resolve('dist/cli.js');
const out = mkdtempSync(join(tmpdir(), 'cadc-hashes-'));
let failed = 0;
try {
  for (const [name, file] of Object.entries(datasets)) {
    // A copy in the temp folder: the manifests' relative dataset paths do not depend on the checkout.
    cpSync(dirname(file), join(out, 'data', name), { recursive: true });
    const copy = join('data', name, file.split('/').pop());
    for (const strategy of strategies) {
      const dir = join(name, strategy);
      const r = spawnSync(
        process.execPath,
        [cli, 'curate', copy, '--strategy', strategy, '--budget', '10%', '--out', dir, '--no-cache', '--attributions', '--quiet'],
        { encoding: 'utf8', cwd: out },
      );
      if (r.status !== 0) {
        failed++;
        console.error(`${name}/${strategy}: exit ${r.status}: ${r.stderr.trim()}`);
        continue;
      }
      for (const f of readdirSync(join(out, dir)).sort()) {
        const sha = createHash('sha256')
          .update(readFileSync(join(out, dir, f)))
          .digest('hex');
        console.log(`${sha}  ${name}/${strategy}/${f}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
