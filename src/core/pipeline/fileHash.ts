// The sha256 of a dataset file, streamed and cancellable: it names the dataset's cache folder. A
// folder of Parquet shards hashes as the reader defines it (shardSetHash over its shards' hashes).
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parquetShards, shardSetHash } from '../dataset/parquet';
import { throwIfCancelled } from '../runtime/cancel';

/** sha256 of a file, streamed; of a shard folder, the hash over its shards' names and hashes. */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  if ((await fsp.stat(file)).isDirectory()) {
    const shards = [];
    for (const f of await parquetShards(file)) shards.push({ name: path.basename(f), sha256: await fileSha256(f, signal) });
    return shardSetHash(shards);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    throwIfCancelled(signal);
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
