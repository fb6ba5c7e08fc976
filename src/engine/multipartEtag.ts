/**
 * S3-style ETags for local files, to tell "same content" without downloading
 * when the remote ETag is a multipart one (`<md5 of the part md5s>-N`) and the
 * object carries no MD5 metadata (uploaded by another tool). The part size is
 * not recorded anywhere, so every common part size that yields N parts is
 * tried in a single read of the file (aws cli: 8 MiB; rclone: 5 MiB; others:
 * powers of two; and the smallest whole MiB that gives N parts).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const MiB = 1024 * 1024;
const COMMON_PART_SIZES = [5, 8, 10, 15, 16, 25, 32, 50, 64, 100, 128, 256, 512].map((n) => n * MiB);

/** Parses `"<32 hex>-N"` (quotes optional); undefined for a plain ETag. */
export function parseMultipartEtag(etag: string): { readonly digest: string; readonly parts: number } | undefined {
  const match = /^"?([0-9a-f]{32})-(\d+)"?$/.exec(etag);
  if (match === null) return undefined;
  return { digest: match[1] as string, parts: Number(match[2]) };
}

/** Part sizes that split `size` bytes into exactly `parts` parts, most likely first. */
export function candidatePartSizes(size: number, parts: number): number[] {
  const fits = (p: number): boolean => Math.ceil(size / p) === parts;
  const exact = Math.ceil(size / parts / MiB) * MiB;
  return [...new Set([...COMMON_PART_SIZES, exact])].filter((p) => p > 0 && fits(p));
}

/** True when the file's bytes, cut at some candidate part size, give exactly this multipart ETag. */
export async function matchesMultipartEtag(filePath: string, size: number, etag: string, signal?: AbortSignal): Promise<boolean> {
  const parsed = parseMultipartEtag(etag);
  if (parsed === undefined) return false;
  const sizes = candidatePartSizes(size, parsed.parts);
  if (sizes.length === 0) return false;
  const states = sizes.map((partSize) => ({ partSize, filled: 0, hash: createHash('md5') as Hash, digests: [] as Buffer[] }));
  const stream = createReadStream(filePath, { highWaterMark: MiB, ...(signal === undefined ? {} : { signal }) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const state of states) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(chunk.length - offset, state.partSize - state.filled);
        state.hash.update(chunk.subarray(offset, offset + take));
        state.filled += take;
        offset += take;
        if (state.filled === state.partSize) {
          state.digests.push(state.hash.digest());
          state.hash = createHash('md5');
          state.filled = 0;
        }
      }
    }
  }
  return states.some((state) => {
    const digests = state.filled > 0 ? [...state.digests, state.hash.digest()] : state.digests;
    return digests.length === parsed.parts && createHash('md5').update(Buffer.concat(digests)).digest('hex') === parsed.digest;
  });
}
