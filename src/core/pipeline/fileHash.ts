// The sha256 of a dataset file, streamed and cancellable: it names the dataset's cache folder.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { throwIfCancelled } from '../runtime/cancel';

/** sha256 of a file, streamed. */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    throwIfCancelled(signal);
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
