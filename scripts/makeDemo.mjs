// Derives the demo dataset (demo/demo.jsonl + demo/images/) from a local copy of the source datasets:
// all of vision-flan-205 and of owleval (images shrunk to ≤ 256 px JPEG), an evenly spread slice of
// llava-eval-pool's text-only ScienceQA rows (no image, no <image> token), and a few rows of each other
// llava-eval-pool source that keep their `image` path — those images were never on disk, so CADC flags
// them (a realistic missing-image case for the Problems panel). Text is unchanged. Re-run:
// node scripts/makeDemo.mjs <datasets-folder>, the folder holding vision-flan-205/, owleval/ and
// llava-eval-pool/ (sources: demo/PROVENANCE.md).
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';

/** Text-only ScienceQA rows taken from llava-eval-pool. */
const SCIENCEQA_TEXT = 400;
/** Rows kept per other llava-eval-pool source (with their image paths, which do not resolve). */
const MISSING_PER_SOURCE = 5;

if (!process.argv[2]) {
  console.error(
    'usage: node scripts/makeDemo.mjs <datasets-folder>  (the folder holding vision-flan-205/, owleval/, llava-eval-pool/; see demo/PROVENANCE.md)',
  );
  process.exit(2);
}
const source = resolve(process.argv[2]);
const out = resolve('demo');
rmSync(join(out, 'images'), { recursive: true, force: true });
mkdirSync(join(out, 'images'), { recursive: true });
const read = (f) =>
  readFileSync(join(source, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** `take` rows spread evenly over `list` (every k-th): deterministic, and covers the whole file. */
const spread = (list, take) => Array.from({ length: Math.min(take, list.length) }, (_, i) => list[Math.floor((i * list.length) / take)]);

const rows = [];
const shrunk = new Set();
async function withImage(row, dir) {
  if (!row.image) return row;
  const src = join(source, dir, row.image);
  const name = basename(row.image).replace(/\.[^.]+$/, '.jpg');
  if (existsSync(src) && !shrunk.has(name)) {
    shrunk.add(name);
    await sharp(src)
      .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 70 })
      .toFile(join(out, 'images', name));
  }
  return { ...row, image: `images/${name}` };
}
for (const r of read('vision-flan-205/vision-flan-205.jsonl')) rows.push(await withImage(r, 'vision-flan-205'));
for (const r of read('owleval/owleval.jsonl')) rows.push(await withImage(r, 'owleval'));
const pool = read('llava-eval-pool/llava-eval-pool.jsonl');
const textOnly = (r) => !r.image && !JSON.stringify(r.conversations).includes('<image>');
for (const r of spread(
  pool.filter((r) => r.source === 'scienceqa' && textOnly(r)),
  SCIENCEQA_TEXT,
))
  rows.push(r);
const bySource = new Map();
for (const r of pool.filter((r) => r.image)) (bySource.get(r.source) ?? bySource.set(r.source, []).get(r.source)).push(r);
for (const [, list] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) rows.push(...spread(list, MISSING_PER_SOURCE));
writeFileSync(join(out, 'demo.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`demo/demo.jsonl: ${rows.length} rows, ${shrunk.size} images`);
