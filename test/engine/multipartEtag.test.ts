import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidatePartSizes, matchesMultipartEtag, parseMultipartEtag } from '../../src/engine/multipartEtag.js';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-etag-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** AWS's formula, written independently of the module under test. */
function awsEtag(data: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let i = 0; i < data.length; i += partSize) digests.push(createHash('md5').update(data.subarray(i, i + partSize)).digest());
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
}

describe('multipart ETags of local files', () => {
  it('parses multipart ETags and ignores plain ones', () => {
    expect(parseMultipartEtag('"0123456789abcdef0123456789abcdef-3"')).toEqual({ digest: '0123456789abcdef0123456789abcdef', parts: 3 });
    expect(parseMultipartEtag('0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it('only tries part sizes that give the right number of parts', () => {
    expect(candidatePartSizes(20 * MiB, 3)).toEqual([8 * MiB, 7 * MiB]);
    expect(candidatePartSizes(20 * MiB, 4)).toEqual([5 * MiB]);
  });

  it.each([5, 8, 16])('recognises a file uploaded with %i MiB parts (aws cli, rclone, others)', async (mib) => {
    const data = Buffer.alloc(21 * MiB + 123);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
    const file = join(dir, `f${mib}.bin`);
    await writeFile(file, data);
    expect(await matchesMultipartEtag(file, data.length, awsEtag(data, mib * MiB))).toBe(true);
  });

  it('does not match different content of the same size', async () => {
    const data = Buffer.alloc(12 * MiB, 1);
    const other = Buffer.alloc(12 * MiB, 2);
    const file = join(dir, 'other.bin');
    await writeFile(file, other);
    expect(await matchesMultipartEtag(file, other.length, awsEtag(data, 8 * MiB))).toBe(false);
  });
});
