// Rebuilds the real-data test fixtures (test/fixtures/{vision-flan-205,owleval,llava-eval-pool,
// format-fixtures}) from a local copy of the source datasets, given as the only argument:
//   node scripts/makeFixtures.mjs <datasets-folder>
// <datasets-folder> holds vision-flan-205/, owleval/, llava-eval-pool/ and format-fixtures/ as
// test/fixtures/PROVENANCE.md describes. Question and answer text is never changed; images are shrunk
// to ≤ 256 px JPEG under their original file names (so every row's `image` path stays as it was).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';

if (!process.argv[2]) {
  console.error(
    'usage: node scripts/makeFixtures.mjs <datasets-folder>  (the folder holding vision-flan-205/, owleval/, llava-eval-pool/, format-fixtures/)',
  );
  process.exit(2);
}
const src = resolve(process.argv[2]);
const out = resolve('test/fixtures');
/** Rows of one stride: every POOL_STRIDE-th line of llava-eval-pool (the old benchmark smoke input). */
const POOL_STRIDE = 12;
/** Alpaca records kept (the reader test needs a real Alpaca file, not a thousand rows of it). */
const ALPACA_ROWS = 100;

const lines = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

async function shrink(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  await sharp(from).resize(256, 256, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 70 }).toFile(to);
}

/** Copies a JSONL dataset's rows (unchanged) and shrinks the images they name that exist. */
async function jsonlWithImages(name, keep = () => true) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rows = lines(join(src, name, `${name}.jsonl`)).filter(keep);
  let images = 0;
  for (const image of new Set(rows.map((l) => JSON.parse(l).image).filter(Boolean))) {
    const from = join(src, name, image);
    if (!existsSync(from)) continue; // a real missing image stays missing
    await shrink(from, join(dir, image));
    images++;
  }
  writeFileSync(join(dir, `${name}.jsonl`), rows.join('\n') + '\n');
  console.log(`test/fixtures/${name}/${name}.jsonl: ${rows.length} rows, ${images} images`);
}

await jsonlWithImages('vision-flan-205');
await jsonlWithImages('owleval');
await jsonlWithImages('llava-eval-pool', (_, i) => i % POOL_STRIDE === 0);

const ff = join(out, 'format-fixtures');
rmSync(ff, { recursive: true, force: true });
mkdirSync(ff, { recursive: true });
copyFileSync(join(src, 'format-fixtures/mllm_demo.json'), join(ff, 'mllm_demo.json'));
const mllm = JSON.parse(readFileSync(join(ff, 'mllm_demo.json'), 'utf8'));
for (const image of new Set(mllm.flatMap((r) => r.images ?? []))) await shrink(join(src, 'format-fixtures', image), join(ff, image));
const alpaca = JSON.parse(readFileSync(join(src, 'format-fixtures/alpaca_en_demo.json'), 'utf8'));
writeFileSync(join(ff, 'alpaca_en_demo.json'), JSON.stringify(alpaca.slice(0, ALPACA_ROWS), null, 2) + '\n');
console.log(
  `test/fixtures/format-fixtures: mllm_demo.json (${mllm.length} rows), alpaca_en_demo.json (${ALPACA_ROWS} of ${alpaca.length} rows)`,
);
