// Derives the demo dataset (demo/demo.jsonl + demo/images/) from a local copy of the source datasets: all of
// vision-flan-205, the owleval rows of two answering models, and a source-stratified slice of
// llava-eval-pool (whose images are not on disk, so its `image` key is dropped). Text is unchanged;
// images are shrunk to ≤ 256 px JPEG. Re-run: node scripts/makeDemo.mjs <datasets-folder>, the folder
// holding vision-flan-205/, owleval/ and llava-eval-pool/ (sources: demo/PROVENANCE.md).
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';

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

const rows = [];
async function withImage(row, dir) {
  if (!row.image) return row;
  const src = join(source, dir, row.image);
  const name = basename(row.image).replace(/\.[^.]+$/, '.jpg');
  if (existsSync(src)) {
    await sharp(src)
      .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 70 })
      .toFile(join(out, 'images', name));
  }
  return { ...row, image: `images/${name}` };
}
for (const r of read('vision-flan-205/vision-flan-205.jsonl')) rows.push(await withImage(r, 'vision-flan-205'));
for (const r of read('owleval/owleval.jsonl').filter((r) => r.model === 'mPLUG_Owl_7b' || r.model === 'llava_13b'))
  rows.push(await withImage(r, 'owleval'));
const pool = read('llava-eval-pool/llava-eval-pool.jsonl');
const bySource = new Map();
for (const r of pool) (bySource.get(r.source) ?? bySource.set(r.source, []).get(r.source)).push(r);
for (const [, list] of [...bySource].sort()) {
  // Every k-th row: deterministic and spread over the file.
  const take = Math.round((1200 * list.length) / pool.length);
  const step = list.length / take;
  for (let i = 0; i < take; i++) {
    const { image: _image, ...rest } = list[Math.floor(i * step)];
    rows.push(rest);
  }
}
writeFileSync(join(out, 'demo.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`demo/demo.jsonl: ${rows.length} rows`);
