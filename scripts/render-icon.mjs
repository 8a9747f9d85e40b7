// Renders media/icon.svg to media/icon.png (128 × 128, the Marketplace's icon size) with sharp.
//   node scripts/render-icon.mjs
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const media = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'media');
const info = await sharp(path.join(media, 'icon.svg'), { density: 144 })
  .resize(128, 128)
  .png({ compressionLevel: 9 })
  .toFile(path.join(media, 'icon.png'));
console.log(`render-icon: media/icon.png ${info.width} × ${info.height}, ${info.size} bytes`);
