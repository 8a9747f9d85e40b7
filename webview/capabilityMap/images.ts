// Sample images in the map: the table's row preview and the sample map's tooltip show a thumbnail of
// the hovered sample (a Parquet pool's embedded image or an image file in the workspace), asked of the
// host once per line and kept for the last 300 lines. The host sends only checked base64 JPEG data
// URIs, which the CSP's `img-src data:` allows.
import type { HostToMap } from '../../src/protocol/capabilityMap';
import { el } from './dom';

export type SampleImage = Extract<HostToMap, { type: 'image' }>;

const KEEP = 300;
const got = new Map<number, SampleImage>();
const waiting = new Map<number, ((img: SampleImage) => void)[]>();

/** Calls `then` with the image of a line: at once when it is known, else when the host answers (asked once). */
export function imageOf(line: number, ask: (line: number) => void, then: (img: SampleImage) => void): void {
  const hit = got.get(line);
  if (hit) return then(hit);
  const list = waiting.get(line);
  if (list) return void list.push(then);
  waiting.set(line, [then]);
  ask(line);
}

export function receiveImage(m: SampleImage): void {
  got.delete(m.line);
  got.set(m.line, m);
  for (const k of got.keys()) {
    if (got.size <= KEEP) break;
    got.delete(k);
  }
  const list = waiting.get(m.line) ?? [];
  waiting.delete(m.line);
  for (const f of list) f(m);
}

/** The image element of a thumbnail, or a muted note why there is none (undefined when the sample has no image). */
export function imageElement(img: SampleImage): HTMLElement | undefined {
  if (img.dataUri) {
    const i = el('img', { class: 'thumb', alt: `image of line ${img.line}`, src: img.dataUri });
    if (img.width && img.height) {
      i.setAttribute('width', String(img.width));
      i.setAttribute('height', String(img.height));
    }
    return i;
  }
  return img.note && img.note !== 'no image' ? el('div', { class: 'meta' }, img.note) : undefined;
}
